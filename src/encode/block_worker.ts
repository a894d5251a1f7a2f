/**
 * A worker that codes blocks of a bounded file (`codeBlock`) for `block_pool.ts`: it receives a
 * block's values, mask and parameters, posts the share done about every 0.2 s, and posts back its
 * chunks, counts and error tallies. Or, for a split coding (`codeBlockSplit`), it runs the coding
 * half on the shared buffers it receives and posts back the chunks.
 *
 * @module
 */

import { codeBlockInParts, codeQuantizedBlock } from "./code_block.ts";
import type { BlockJob, SplitJob } from "./block_pool.ts";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<BlockJob | SplitJob>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

/** How often a block's progress is posted, in ms. */
const PROGRESS_MS = 200;

scope.onmessage = (e: MessageEvent<BlockJob | SplitJob>) => {
  if ("buffers" in e.data) {
    const { id, params, missing, buffers } = e.data;
    try {
      const chunks = codeQuantizedBlock(params, missing, buffers);
      scope.postMessage({ id, chunks }, chunks.map((c) => c.buffer));
    } catch (error) {
      scope.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
    }
    return;
  }
  const { id, params, x, missing } = e.data;
  try {
    const parts = codeBlockInParts(params, x, missing);
    let r = parts.next(), next = performance.now() + PROGRESS_MS;
    for (; !r.done; r = parts.next()) {
      if (performance.now() < next) continue;
      scope.postMessage({ id, progress: r.value });
      next = performance.now() + PROGRESS_MS;
    }
    const coded = r.value;
    scope.postMessage({ id, coded }, coded.chunks.map((c) => c.buffer));
  } catch (error) {
    scope.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
