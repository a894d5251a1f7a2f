// This module is browser compatible.
/**
 * The decode engine of bounded files (SPEC.md §4.7): one `BlockCoder` per block the range
 * touches, fed the block's `BCOD` chunks level by level; each level's points are copied out of
 * the blocks' reconstructions. The coders may come from, and go back to, a coder cache
 * (`coder_cache.ts`).
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
import { BlockCoder, type BlockParams } from "../bounded/block_coder.ts";
import { gatherLevel } from "./_gather.ts";
import { boundedBudget, type DecodeRequest } from "./_budget.ts";
import { EngineBase, type EngineChunk } from "./_engine.ts";
import type { CoderCache } from "./coder_cache.ts";
import { type DecodedLevel, decodedLevel, levelExtent, restoreMissing } from "./output.ts";

/**
 * Decodes a bounded file's request: `BCOD` of every block of the range, level by level. With a
 * coder cache (`MrcFile`'s), the blocks' coders are taken from it: a block that has decoded
 * levels `0..j-1` reads only the chunks of levels `j..level`, and a level it has is read out of
 * its reconstruction; `release()` puts them back.
 */
export class BoundedEngine extends EngineBase {
  /** Per block of the range: its coder, once made (or taken from the cache). */
  #coders: (BlockCoder | undefined)[];
  #cache: CoderCache | null;
  /** Chunks of `needs` accepted so far. */
  #done = 0;
  /** The next level to yield. */
  #next: number;

  /**
   * Checks the budget (the header sizes everything) before anything is made, then takes the
   * range's coders out of `cache` and evicts its other blocks down to what the request leaves.
   */
  constructor(
    header: MrcHeader,
    request: DecodeRequest,
    maxBytes: number,
    cache: CoderCache | null = null,
  ) {
    const bytes = boundedBudget(header, request, maxBytes);
    const coders: (BlockCoder | undefined)[] = [];
    super(header, request, maxBytes, (first, last) => {
      for (let b = first; b <= last; b++) coders.push(cache?.take(b));
      cache?.shrink(maxBytes - bytes);
      const needs: EngineChunk[] = [];
      for (let k = 0; k <= request.level; k++) {
        for (let b = first; b <= last; b++) {
          if (k < (coders[b - first]?.levelsDone ?? 0)) continue;
          needs.push({ type: CHUNK_TYPES.bounded, level: k, block: b });
        }
      }
      return needs;
    });
    this.#coders = coders;
    this.#cache = cache;
    this.#next = request.every ? 0 : request.level;
  }

  accept(chunk: EngineChunk, value: ChunkValues[keyof ChunkValues]): DecodedLevel | null {
    const b = chunk.block!, i = b - this.first;
    const coder = this.#coders[i] ?? boundedBlock(this.header, b, this.missing);
    // A coder whose level fails to decode is dropped: only a sound one goes back to the cache.
    this.#coders[i] = undefined;
    decodeBoundedLevel(coder, (value as BoundedBlock).bytes, b);
    this.#coders[i] = coder;
    this.#done++;
    return this.ready();
  }

  override ready(): DecodedLevel | null {
    const { level, every } = this.request;
    const k = this.#next;
    if (k > level) return null;
    // `needs` goes level by level: level k is complete once no chunk of a level <= k is left.
    if (this.#done < this.needs.length && this.needs[this.#done].level <= k) return null;
    const out = this.#gather(k);
    this.#next = every ? k + 1 : level + 1;
    if (this.#next > level) this.release();
    return out;
  }

  override release(): void {
    const cache = this.#cache;
    this.#cache = null;
    if (cache === null) return;
    this.#coders.forEach((coder, i) => {
      if (coder !== undefined) cache.put(this.first + i, coder);
    });
  }

  /** Level `k` of the range, out of the blocks' reconstructions. */
  #gather(k: number): DecodedLevel {
    const { start, end } = this.request;
    const h = this.header, bs = h.blockSize;
    const e = levelExtent(h, k);
    const data = new Float32Array((end - start) * e.nr * e.nc);
    const plane = e.nr * e.nc;
    this.#coders.forEach((coder, i) => {
      const block = this.first + i;
      if (coder === undefined || coder.levelsDone <= k) {
        throw new Error(`internal: block ${block} has no level ${k}`);
      }
      const first = Math.max(start, block * bs), last = Math.min(end, (block + 1) * bs);
      gatherLevel(
        coder.rec,
        h.shape[1],
        h.shape[2],
        e.rows,
        e.cols,
        first - block * bs,
        last - first,
        data.subarray((first - start) * plane, (last - start) * plane),
      );
    });
    if (this.missing) restoreMissing(h, e, data, start, end - start, this.missing);
    return decodedLevel(k, start, end, e, data);
  }
}

/** The coder parameters of block `block` of a bounded file. */
export function blockParams(header: MrcHeader, block: number): BlockParams {
  const [, H, W] = header.shape;
  const bound = header.bound!;
  return {
    n: blockSnapshotCount(header, block),
    H,
    W,
    levels: header.levels.length,
    keyInterval: bound.keyInterval,
    bound: bound.abs,
    cubic: bound.interpolation === "cubic",
    learned: bound.interpolation === "learned",
  };
}

/** Block `block`'s part of the file's `T * H * W` missing mask (a view), or null. */
export function blockMissing(
  header: MrcHeader,
  block: number,
  missing: Uint8Array | null,
): Uint8Array | null {
  if (missing === null) return null;
  const [, H, W] = header.shape;
  const first = block * header.blockSize;
  return missing.subarray(first * H * W, (first + blockSnapshotCount(header, block)) * H * W);
}

/** A fresh coder for block `block` of a bounded file (`missing`: the file's `T * H * W` mask). */
function boundedBlock(header: MrcHeader, block: number, missing: Uint8Array | null): BlockCoder {
  return new BlockCoder(blockParams(header, block), blockMissing(header, block, missing));
}

/**
 * Decodes the next level of a block from its `BCOD` bytes.
 *
 * @throws {MrcFormatError} When the coded bytes end before the level does.
 */
function decodeBoundedLevel(coder: BlockCoder, bytes: Uint8Array, block: number): void {
  const level = coder.levelsDone;
  let read: number;
  try {
    read = coder.decodeLevel(bytes);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw chunkError(CHUNK_TYPES.bounded, null, `level ${level} block ${block}: ${e.message}`);
  }
  // SPEC.md §4.7.4: the decoder reads exactly the coded bytes, no more (cut short) and no fewer
  // (bytes after the last symbol), which every writer's output meets.
  if (read !== bytes.length) {
    throw chunkError(
      CHUNK_TYPES.bounded,
      null,
      read > bytes.length
        ? `level ${level} block ${block}: the coded bytes end ${
          plural(read - bytes.length, "byte")
        } early`
        : `level ${level} block ${block}: ${
          plural(bytes.length - read, "byte")
        } after the last symbol`,
    );
  }
}

/** `1 byte`, `2 bytes`. */
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
