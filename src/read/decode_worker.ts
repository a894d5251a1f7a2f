/**
 * A worker that decodes blocks of a bounded file for `decode_pool.ts`: it receives a block's
 * parameters, missing mask, coded bytes (and the state a cached coder had reached), decodes the
 * levels as the calling thread would, and posts back the requested level's points of the block
 * (missing values put back) and the block's state (reconstruction and codes), transferred.
 *
 * Its module graph is `src/bounded/`, the range coder it imports (`format/_range_coder.ts`) and
 * `_gather.ts` only: no other `format/` module, no npm package.
 *
 * @module
 */

import { BlockCoder } from "../bounded/block_coder.ts";
import { fillHoles, gatherLevel } from "./_gather.ts";
import type { DecodeJob } from "./decode_pool.ts";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<DecodeJob>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

scope.onmessage = (e: MessageEvent<DecodeJob>) => {
  const { id, params, missing, state, chunks, rows, cols, from, count, fill } = e.data;
  try {
    const coder = new BlockCoder(params, missing, state);
    for (const bytes of chunks) {
      const level = coder.levelsDone;
      // The calling thread reads these bytes again to say what is wrong (its one-thread decode).
      if (coder.decodeLevel(bytes) !== bytes.length) {
        throw new Error(`level ${level}: the coded bytes do not end with the level`);
      }
    }
    const data = new Float32Array(count * rows.length * cols.length);
    const { H, W } = params;
    gatherLevel(coder.rec, H, W, rows, cols, from, count, data);
    if (missing) fillHoles(missing, H, W, rows, cols, from, count, data, fill ?? NaN);
    const { rec, q, levelsDone } = coder;
    const transfer = [data.buffer, rec.buffer as ArrayBuffer, q.buffer as ArrayBuffer];
    scope.postMessage({ id, data, state: { rec, q, levelsDone } }, transfer);
  } catch (error) {
    scope.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
