// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * The `BCOD` chunk (version 1.2): the error-bounded codes of one level of one snapshot block
 * (SPEC.md §4.7). Body: `u32 n` (snapshots), then the range-coded bytes.
 *
 * @module
 */

import { CHUNK_TYPES } from "./_constants.ts";
import { chunkError } from "./_chunk_error.ts";

/** The codes of one level of one block, as stored. */
export interface BoundedBlock {
  /** Number of snapshots in the block (SPEC.md's `n`). */
  snapshotCount: number;
  /** The range coder's bytes (SPEC.md §4.7.4). */
  bytes: Uint8Array;
}

/** u32 n: snapshots in the block. */
const HEAD = 4;
/**
 * The range decoder starts from 5 bytes, the first always 0 (SPEC.md §4.7.4): the encoder's first
 * byte is the carry above the initial 32-bit interval, which no interval reaches.
 */
const CODER_START = 5;

/**
 * Encodes a `BCOD` body.
 *
 * @param block The block.
 * @returns The body.
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert";
 * import { decodeBoundedBlock, encodeBoundedBlock } from "./mod.ts";
 *
 * const body = encodeBoundedBlock({ snapshotCount: 3, bytes: new Uint8Array([0, 1, 2, 3, 4]) });
 * assert.deepStrictEqual(decodeBoundedBlock(body).bytes, new Uint8Array([0, 1, 2, 3, 4]));
 * ```
 */
export function encodeBoundedBlock(block: BoundedBlock): Uint8Array<ArrayBuffer> {
  const n = block.snapshotCount;
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) {
    throw new TypeError(
      `Cannot encode "${CHUNK_TYPES.bounded}": snapshots must be a positive u32, found ${n}`,
    );
  }
  const out = new Uint8Array(HEAD + block.bytes.length);
  new DataView(out.buffer).setUint32(0, n, true);
  out.set(block.bytes, HEAD);
  return out;
}

/**
 * Decodes a `BCOD` body (the range-coded bytes are checked when decoded).
 *
 * @param body The chunk body.
 * @returns The block; `bytes` is a view into `body`.
 * @throws {MrcFormatError} When the body is shorter than its fixed part and the coder's first 5
 *   bytes. (The first range-coded byte, 0, is checked by the block's decoder, which knows where
 *   the range-coded bytes start: after the level's predictor in a file with learned prediction.)
 *
 * @example Too short
 * ```ts
 * import assert from "node:assert";
 * import { decodeBoundedBlock, MrcFormatError } from "./mod.ts";
 *
 * assert.throws(() => decodeBoundedBlock(new Uint8Array(3)), MrcFormatError);
 * assert.strictEqual(decodeBoundedBlock(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 0])).snapshotCount, 1);
 * ```
 */
export function decodeBoundedBlock(body: Uint8Array): BoundedBlock {
  if (body.length < HEAD + CODER_START) {
    throw chunkError(
      CHUNK_TYPES.bounded,
      null,
      `body is ${body.length} bytes, needs at least ${HEAD + CODER_START}`,
    );
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  return { snapshotCount: view.getUint32(0, true), bytes: body.subarray(HEAD) };
}
