// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * A range-source wrapper for slow sources (HTTP): it keeps the bytes already read, answers reads
 * that fall inside them without a request, shares a request between reads of the same bytes, and
 * merges reads issued together into one request when they touch or sit close to each other.
 * It is the only cache of the transports: bytes a source read before the cache existed (the head
 * that the first request of {@linkcode fromUrl} brings) are handed to it as `held`.
 *
 * @module
 */

import type { RangeSource, ReadOptions } from "../../format/source.ts";

/** A byte range of a file. */
export interface ByteRange {
  /** First byte. */
  offset: number;
  /** Number of bytes. */
  length: number;
}

/** Options of {@linkcode cachedSource}. */
export interface CachedSourceOptions {
  /**
   * Bytes kept; the oldest pieces are dropped first once more is held. A piece being read is
   * never dropped. Default 64 MiB.
   */
  maxBytes?: number;
  /**
   * Reads issued in the same task that lie at most this many bytes apart are fetched as one
   * request (the bytes between them are fetched too). Default 4096: one request costs a round
   * trip, which at typical latencies buys far more than 4 KiB.
   */
  coalesceGap?: number;
  /**
   * Bytes already read, held from the start as if read through the cache: for example the head
   * that the first request of {@linkcode fromUrl} brought (`[{ offset: 0, bytes: source.head }]`),
   * so that reads inside it need no request. Default: none.
   */
  held?: readonly { offset: number; bytes: Uint8Array }[];
}

/** A {@linkcode RangeSource} with a cache of the bytes it has read. */
export interface CachedSource extends RangeSource {
  /**
   * Reads `ranges` into the cache (merged as {@linkcode CachedSourceOptions.coalesceGap} allows)
   * so that later reads inside them need no request.
   *
   * @param ranges The ranges to fetch; a range already cached whole is not fetched again.
   * @param options `signal` cancels the wait (a merged request shared with other reads goes on).
   */
  prefetch(ranges: readonly ByteRange[], options?: ReadOptions): Promise<void>;
  /** Bytes held now. */
  readonly cachedBytes: number;
}

interface Piece {
  offset: number;
  bytes: Uint8Array;
}

interface Pending {
  offset: number;
  length: number;
  signal: AbortSignal | undefined;
  resolve: (bytes: Uint8Array) => void;
  reject: (reason: unknown) => void;
}

interface Flight {
  offset: number;
  length: number;
  done: Promise<Uint8Array>;
}

const DEFAULT_MAX_BYTES = 64 * 2 ** 20;
const DEFAULT_COALESCE_GAP = 4096;

/**
 * Wraps a source with a cache of the bytes read, shared requests for the same bytes, and merging
 * of nearby reads issued in the same task into one request.
 *
 * @param source The source to wrap (typically {@linkcode fromUrl}).
 * @param options The cache size and the largest gap merged.
 * @returns The cached source.
 *
 * @example Two nearby reads, one request; a read inside them, none
 * ```ts
 * import assert from "node:assert";
 * import { countingSource, fromBytes } from "../../format/mod.ts";
 * import { cachedSource } from "./mod.ts";
 *
 * const counted = countingSource(fromBytes(new Uint8Array(100).map((_, i) => i)));
 * const source = cachedSource(counted);
 * const [a, b] = await Promise.all([source.read(0, 10), source.read(20, 10)]);
 * assert.deepStrictEqual([a[0], b[0]], [0, 20]);
 * assert.deepStrictEqual((await source.read(5, 10))[0], 5);
 * assert.strictEqual(counted.reads, 1);
 * ```
 */
export function cachedSource(source: RangeSource, options: CachedSourceOptions = {}): CachedSource {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const gap = options.coalesceGap ?? DEFAULT_COALESCE_GAP;
  if (!(maxBytes >= 0) || !(gap >= 0)) {
    throw new RangeError(
      `Cannot make cached source: maxBytes and coalesceGap must be >= 0, found ${maxBytes} and ${gap}`,
    );
  }
  const pieces: Piece[] = []; // oldest first
  let held = 0;
  const flights: Flight[] = [];
  let pending: Pending[] = [];

  const fromPieces = (offset: number, length: number): Uint8Array | null => {
    for (const p of pieces) {
      if (p.offset <= offset && offset + length <= p.offset + p.bytes.length) {
        return p.bytes.subarray(offset - p.offset, offset - p.offset + length);
      }
    }
    return null;
  };

  /** Copies `[offset, offset + length)` from the pieces that cover it together, or null. */
  const assemble = (offset: number, length: number): Uint8Array | null => {
    const out = new Uint8Array(length);
    let pos = offset;
    const end = offset + length;
    while (pos < end) {
      const p = pieces.find((p) => p.offset <= pos && pos < p.offset + p.bytes.length);
      if (!p) return null;
      const n = Math.min(end, p.offset + p.bytes.length) - pos;
      out.set(p.bytes.subarray(pos - p.offset, pos - p.offset + n), pos - offset);
      pos += n;
    }
    return out;
  };

  const keep = (piece: Piece) => {
    pieces.push(piece);
    held += piece.bytes.length;
    while (held > maxBytes && pieces.length > 1) held -= pieces.shift()!.bytes.length;
  };
  for (const piece of options.held ?? []) {
    if (piece.bytes.length > 0) keep({ offset: piece.offset, bytes: piece.bytes });
  }

  // Sends what was asked in this task: sorted, merged across gaps, one request per group.
  const flush = () => {
    const batch = pending.sort((a, b) => a.offset - b.offset);
    pending = [];
    let i = 0;
    while (i < batch.length) {
      let end = batch[i].offset + batch[i].length;
      let j = i + 1;
      while (j < batch.length && batch[j].offset <= end + gap) {
        end = Math.max(end, batch[j].offset + batch[j].length);
        j++;
      }
      const group = batch.slice(i, j);
      const offset = group[0].offset;
      // A lone read keeps its own signal; a merged one serves several callers and has none.
      const signal = group.length === 1 ? group[0].signal : undefined;
      const done = source.read(offset, end - offset, { signal });
      const flight = { offset, length: end - offset, done };
      flights.push(flight);
      done.then((bytes) => {
        keep({ offset, bytes });
        for (const r of group) {
          const start = Math.min(r.offset - offset, bytes.length);
          r.resolve(bytes.subarray(start, Math.min(start + r.length, bytes.length)));
        }
      }, (e) => {
        for (const r of group) r.reject(e);
      }).finally(() => flights.splice(flights.indexOf(flight), 1));
      i = j;
    }
  };

  const read = (offset: number, length: number, readOptions?: ReadOptions): Promise<Uint8Array> => {
    const signal = readOptions?.signal;
    try {
      signal?.throwIfAborted();
      if (offset < 0 || length < 0 || offset + length > source.byteLength) {
        // Let the wrapped source word the error.
        return source.read(offset, length, readOptions);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    const hit = fromPieces(offset, length);
    if (hit) return Promise.resolve(hit);
    // Held pieces covering the start or the end: fetch only the middle, then put it together.
    let a = offset, b = offset + length;
    for (const p of pieces) {
      if (p.offset <= a && a < p.offset + p.bytes.length) a = p.offset + p.bytes.length;
    }
    for (const p of pieces) if (p.offset < b && b <= p.offset + p.bytes.length) b = p.offset;
    if (a > offset || b < offset + length) {
      const middle = a < b ? read(a, b - a, readOptions) : Promise.resolve(null);
      // Pieces evicted meanwhile (a full cache): read the whole range.
      return middle.then(() =>
        assemble(offset, length) ?? source.read(offset, length, readOptions)
      );
    }
    const flight = flights.find((f) =>
      f.offset <= offset && offset + length <= f.offset + f.length
    );
    const result = flight
      ? flight.done.then((b) => b.subarray(offset - flight.offset, offset - flight.offset + length))
      : new Promise<Uint8Array>((resolve, reject) => {
        if (pending.length === 0) queueMicrotask(flush);
        pending.push({ offset, length, signal, resolve, reject });
      });
    if (!signal) return result;
    // The caller's signal ends its wait even when the request is shared.
    return new Promise<Uint8Array>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      result.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  };

  return {
    get byteLength() {
      return source.byteLength;
    },
    get cachedBytes() {
      return held;
    },
    read,
    async prefetch(ranges: readonly ByteRange[], readOptions?: ReadOptions): Promise<void> {
      await Promise.all(ranges.map((r) => read(r.offset, r.length, readOptions)));
    },
    close(): void | Promise<void> {
      pieces.length = 0;
      held = 0;
      return source.close?.();
    },
  };
}
