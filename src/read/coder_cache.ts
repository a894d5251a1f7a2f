// This module is browser compatible.
/**
 * The **coder cache** of a bounded file: the decoded state of blocks (one `BlockCoder` each, with
 * the levels `0..levelsDone-1` it has decoded) that `MrcFile` keeps between calls, so that a
 * later request of a level `k` decodes only the levels the block lacks (none when
 * `k < levelsDone`: the level is read out of the reconstruction). Least recently used blocks are
 * evicted to stay within the cache's limit, and to make room for a request under `maxBytes`.
 *
 * A request takes the coders of its blocks out of the cache (so that two requests never feed the
 * same coder) and puts them back when it ends; a coder whose decoding failed is dropped.
 *
 * @module
 */

import { type BlockCoder, blockCoderBytes } from "../bounded/block_coder.ts";

/** Default share of `maxBytes` the cache may hold. */
export const DEFAULT_CACHE_SHARE = 0.5;
/** Default most bytes the cache holds, whatever `maxBytes` (e.g. `Infinity`). */
export const DEFAULT_CACHE_CAP = 2 ** 29;

/**
 * Checks a `cacheBytes` option: a number >= 0 (0 = no cache, Infinity allowed). Default: half of
 * `maxBytes`, at most 512 MiB.
 */
export function checkCacheBytes(cacheBytes: number | undefined, maxBytes: number): number {
  if (cacheBytes === undefined) return Math.min(DEFAULT_CACHE_SHARE * maxBytes, DEFAULT_CACHE_CAP);
  if (typeof cacheBytes !== "number" || !(cacheBytes >= 0)) {
    throw new TypeError(`Cannot open: cacheBytes must be a number >= 0, found ${cacheBytes}`);
  }
  return cacheBytes;
}

/** Bytes a block's coder holds ({@linkcode blockCoderBytes}). */
export function coderBytes(coder: BlockCoder): number {
  const { n, H, W, levels } = coder.params;
  return blockCoderBytes(n, H, W, levels);
}

interface Entry {
  coder: BlockCoder;
  bytes: number;
}

/** The decoded blocks of one file, least recently used first. */
export class CoderCache {
  /** Most bytes held between requests. */
  readonly limit: number;
  /** By block, least recently used first (a `Map` keeps insertion order). */
  readonly #entries = new Map<number, Entry>();
  #bytes = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes held (the coders not taken by a request). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Blocks held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Levels block `block`'s held coder has decoded (0 when none is held). */
  levelsDone(block: number): number {
    return this.#entries.get(block)?.coder.levelsDone ?? 0;
  }

  /** Removes block `block`'s coder and returns it (a request's own until it puts it back). */
  take(block: number): BlockCoder | undefined {
    const entry = this.#entries.get(block);
    if (entry === undefined) return undefined;
    this.#entries.delete(block);
    this.#bytes -= entry.bytes;
    return entry.coder;
  }

  /**
   * Holds `coder` for block `block` as the most recently used, unless one that has decoded more
   * levels is held (another request's); then evicts down to the limit.
   */
  put(block: number, coder: BlockCoder): void {
    if (coder.levelsDone === 0) return;
    const held = this.#entries.get(block);
    if (held !== undefined) {
      if (held.coder.levelsDone >= coder.levelsDone) return;
      this.take(block);
    }
    const bytes = coderBytes(coder);
    this.#entries.set(block, { coder, bytes });
    this.#bytes += bytes;
    this.shrink(this.limit);
  }

  /** Evicts least recently used blocks until at most `room` bytes are held. */
  shrink(room: number): void {
    for (const block of this.#entries.keys()) {
      if (this.#bytes <= room) return;
      this.take(block);
    }
  }

  /** Drops every block. */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
