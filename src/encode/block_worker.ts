/**
 * A worker that codes blocks of a bounded file (`codeBlock`) for `block_pool.ts`: it receives a
 * block's values, mask and parameters, and posts back its chunks, counts and error tallies.
 *
 * @module
 */

import { codeBlock } from "./code_block.ts";
import type { BlockJob } from "./block_pool.ts";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<BlockJob>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

scope.onmessage = (e: MessageEvent<BlockJob>) => {
  const { id, params, x, missing } = e.data;
  try {
    const coded = codeBlock(params, x, missing);
    scope.postMessage({ id, coded }, coded.chunks.map((c) => c.buffer));
  } catch (error) {
    scope.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
