// This module is browser compatible.
/**
 * The decode engine of bounded files (SPEC.md §4.7): one `BlockCoder` per block the range
 * touches, fed the block's `BCOD` chunks level by level; each level's points are copied out of
 * the blocks' reconstructions.
 *
 * @module
 */

import {
  type BoundedBlock,
  CHUNK_TYPES,
  chunkError,
  type ChunkValues,
} from "../../format/chunks.ts";
import type { MrcHeader } from "../../format/header.ts";
import { blockSnapshotCount } from "../../format/geometry.ts";
import { BlockCoder } from "../bounded/block_coder.ts";
import { boundedBudget, type DecodeRequest } from "./_budget.ts";
import { EngineBase, type EngineChunk } from "./_engine.ts";
import {
  type DecodedLevel,
  decodedLevel,
  type LevelExtent,
  levelExtent,
  restoreMissing,
} from "./output.ts";

/** Decodes a bounded file's request: `BCOD` of every block of the range, level by level. */
export class BoundedEngine extends EngineBase {
  #coders: BlockCoder[] = [];

  /** Checks the budget (the header sizes everything) before anything is made. */
  constructor(header: MrcHeader, request: DecodeRequest, maxBytes: number) {
    boundedBudget(header, request, maxBytes);
    super(header, request, (first, last) => {
      const needs: EngineChunk[] = [];
      for (let k = 0; k <= request.level; k++) {
        for (let b = first; b <= last; b++) {
          needs.push({ type: CHUNK_TYPES.bounded, level: k, block: b });
        }
      }
      return needs;
    });
  }

  accept(chunk: EngineChunk, value: ChunkValues[keyof ChunkValues]): DecodedLevel | null {
    const b = chunk.block!, k = chunk.level;
    if (this.#coders.length === 0) {
      for (let i = this.first; i <= this.last; i++) {
        this.#coders.push(boundedBlock(this.header, i, this.missing));
      }
    }
    decodeBoundedLevel(this.#coders[b - this.first], (value as BoundedBlock).bytes, b);
    const { level, start, end, every } = this.request;
    if (b !== this.last || (!every && k < level)) return null;
    const h = this.header, bs = h.blockSize;
    const e = levelExtent(h, k);
    const data = new Float32Array((end - start) * e.nr * e.nc);
    const plane = e.nr * e.nc;
    this.#coders.forEach((coder, i) => {
      const block = this.first + i;
      const first = Math.max(start, block * bs), last = Math.min(end, (block + 1) * bs);
      gatherLevel(
        h,
        e,
        coder.rec,
        first - block * bs,
        last - first,
        data.subarray((first - start) * plane, (last - start) * plane),
      );
    });
    if (this.missing) restoreMissing(h, e, data, start, end - start, this.missing);
    return decodedLevel(k, start, end, e, data);
  }
}

/** A fresh coder for block `block` of a bounded file (`missing`: the file's `T * H * W` mask). */
function boundedBlock(header: MrcHeader, block: number, missing: Uint8Array | null): BlockCoder {
  const [, H, W] = header.shape;
  const n = blockSnapshotCount(header, block);
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
function decodeBoundedLevel(coder: BlockCoder, bytes: Uint8Array, block: number): void {
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

/** Copies the points of a level (extent `e`) out of a block's `[n][H][W]` reconstruction. */
function gatherLevel(
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
