// This module is browser compatible.
/**
 * Decoding of bounded files (SPEC.md §4.7): a block's `BCOD` chunks, level by level, into its
 * reconstruction, and the level's points out of it.
 *
 * @module
 */

import type { MrcHeader } from "../../format/header.ts";
import { blockSnapshots } from "../../format/geometry.ts";
import { chunkError } from "../../format/_chunk_error.ts";
import { CHUNK_TYPES } from "../../format/_constants.ts";
import { BlockCoder } from "../bounded/block_coder.ts";
import type { LevelExtent } from "./output.ts";

/**
 * A fresh coder for block `block` of a bounded file.
 *
 * @param header A valid bounded header.
 * @param block Block index.
 * @param missing The file's `T * H * W` missing mask, or null.
 */
export function boundedBlock(
  header: MrcHeader,
  block: number,
  missing: Uint8Array | null,
): BlockCoder {
  const [, H, W] = header.shape;
  const n = blockSnapshots(header, block);
  const first = block * header.blockSize;
  const bound = header.bound!;
  return new BlockCoder(
    {
      n,
      H,
      W,
      levels: header.levels.length,
      keyInterval: bound.keyInterval,
      bound: bound.abs,
      cubic: bound.interpolation === "cubic",
    },
    missing ? missing.subarray(first * H * W, (first + n) * H * W) : null,
  );
}

/**
 * Decodes the next level of a block from its `BCOD` bytes.
 *
 * @throws {MrcFormatError} When the coded bytes end before the level does.
 */
export function decodeBoundedLevel(coder: BlockCoder, bytes: Uint8Array, block: number): void {
  const level = coder.levelsDone;
  const read = coder.decodeLevel(bytes);
  // A whole stream is never read past its end: reading beyond means it was cut short.
  if (read > bytes.length) {
    throw chunkError(
      CHUNK_TYPES.bounded,
      null,
      `level ${level} block ${block}: the coded bytes end ${read - bytes.length} bytes early`,
    );
  }
}

/**
 * Copies the points of a level out of a block's reconstruction.
 *
 * @param header The file's header.
 * @param e The level's extent (`levelExtent`): rows and columns sampled.
 * @param rec The block's reconstruction, `[n][H][W]`.
 * @param from First snapshot inside the block.
 * @param count Snapshots to copy.
 * @param data Output `[count][nr][nc]`.
 */
export function gatherLevel(
  header: MrcHeader,
  e: LevelExtent,
  rec: Float32Array,
  from: number,
  count: number,
  data: Float32Array,
): void {
  const [, H, W] = header.shape;
  const { rows, cols, nr, nc } = e;
  for (let t = 0; t < count; t++) {
    const src = (from + t) * H * W;
    for (let i = 0; i < nr; i++) {
      const r = src + rows[i] * W, d = (t * nr + i) * nc;
      for (let j = 0; j < nc; j++) data[d + j] = rec[r + cols[j]];
    }
  }
}
