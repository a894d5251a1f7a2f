// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * The range-read abstraction the readers take, a source over bytes in memory, and a counting
 * wrapper for tests and diagnostics. Files and URLs are `src/transport/`.
 *
 * @module
 */

/** Options of a single {@linkcode RangeSource.read}. */
export interface ReadOptions {
  /** Aborts the read; the promise rejects with `signal.reason`. Default: none. */
  signal?: AbortSignal;
}

/** Random access to the bytes of one file. */
export interface RangeSource {
  /** Total size in bytes. */
  readonly byteLength: number;
  /**
   * Reads `length` bytes at `offset`. Resolves with fewer bytes only when the underlying file is
   * shorter than `byteLength` claims (readers turn that into a "truncated" error).
   */
  read(offset: number, length: number, options?: ReadOptions): Promise<Uint8Array>;
  /**
   * Releases what the source holds (an open file), if anything. Optional: sources over bytes and
   * URLs hold nothing. Readers that opened the source themselves call it when they are closed.
   */
  close?(): void | Promise<void>;
}

/** Throws unless `[offset, offset + length)` lies inside `[0, byteLength)`. */
export function checkRange(byteLength: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new TypeError(
      `Cannot read range: offset and length must be non-negative integers, found ${offset} and ${length}`,
    );
  }
  if (offset + length > byteLength) {
    throw new RangeError(
      `Cannot read ${length} bytes at offset ${offset}: the source has ${byteLength} bytes`,
    );
  }
}

/**
 * A source over bytes in memory. Reads return views, not copies.
 *
 * @param bytes The whole file.
 * @returns The source.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { fromBytes } from "./mod.ts";
 *
 * const source = fromBytes(new Uint8Array([1, 2, 3, 4]));
 * assert.deepStrictEqual(await source.read(1, 2), new Uint8Array([2, 3]));
 * ```
 */
export function fromBytes(bytes: Uint8Array): RangeSource {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError("Cannot make source: expected a Uint8Array");
  }
  return {
    byteLength: bytes.length,
    read(offset: number, length: number, options?: ReadOptions): Promise<Uint8Array> {
      try {
        options?.signal?.throwIfAborted();
        checkRange(bytes.length, offset, length);
        return Promise.resolve(bytes.subarray(offset, offset + length));
      } catch (e) {
        return Promise.reject(e);
      }
    },
  };
}

/** A {@linkcode RangeSource} that records its reads. */
export interface CountingSource extends RangeSource {
  /** Number of `read` calls. */
  readonly reads: number;
  /** Total bytes requested. */
  readonly bytesRead: number;
  /** Every read, in call order. */
  readonly log: readonly { offset: number; length: number }[];
  /** Sets the counters back to zero. */
  reset(): void;
}

/**
 * Wraps a source to count its reads and bytes; useful to prove that a reader reads only what it
 * needs.
 *
 * @param source The source to wrap.
 * @returns The counting source.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { countingSource, fromBytes } from "./mod.ts";
 *
 * const source = countingSource(fromBytes(new Uint8Array(10)));
 * await source.read(2, 3);
 * assert.strictEqual(source.reads, 1);
 * assert.strictEqual(source.bytesRead, 3);
 * ```
 */
export function countingSource(source: RangeSource): CountingSource {
  let log: { offset: number; length: number }[] = [];
  let bytesRead = 0;
  return {
    get byteLength() {
      return source.byteLength;
    },
    get reads() {
      return log.length;
    },
    get bytesRead() {
      return bytesRead;
    },
    get log() {
      return log;
    },
    reset() {
      log = [];
      bytesRead = 0;
    },
    read(offset: number, length: number, options?: ReadOptions): Promise<Uint8Array> {
      log.push({ offset, length });
      bytesRead += length;
      return source.read(offset, length, options);
    },
  };
}
