// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * One range-read abstraction for `.mrc` files in memory, in files and behind URLs, plus a
 * counting wrapper for tests and diagnostics.
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
}

function checkRange(byteLength: number, offset: number, length: number): void {
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

/** The part of a `Deno.FsFile` (or similar handle) that {@linkcode fromFileHandle} uses. */
export interface FileHandleLike {
  /** Moves the position; `whence` 0 = from the start (`Deno.SeekMode.Start`). */
  seek(offset: number | bigint, whence: 0): Promise<number>;
  /** Reads into `buffer`; resolves with the byte count or `null` at end of file. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** File information; only `size` is used. */
  stat(): Promise<{ size: number }>;
}

/**
 * A source over an open file handle, such as a `Deno.FsFile`. The size is taken once from
 * `stat()`. Reads are serialized (each is a seek plus reads), so concurrent calls are safe. The
 * caller keeps ownership of the handle and closes it.
 *
 * @param handle An open, readable handle.
 * @returns The source.
 *
 * @example Reading a file
 * ```ts ignore
 * import { fromFileHandle, openContainer } from "./mod.ts";
 *
 * using file = await Deno.open("data.mrc");
 * const mrc = await openContainer(await fromFileHandle(file));
 * ```
 */
export async function fromFileHandle(handle: FileHandleLike): Promise<RangeSource> {
  if (typeof handle?.seek !== "function" || typeof handle.read !== "function") {
    throw new TypeError("Cannot make source: expected a handle with seek(), read() and stat()");
  }
  const { size } = await handle.stat();
  let queue: Promise<unknown> = Promise.resolve();
  return {
    byteLength: size,
    read(offset: number, length: number, options?: ReadOptions): Promise<Uint8Array> {
      const run = async () => {
        options?.signal?.throwIfAborted();
        checkRange(size, offset, length);
        const out = new Uint8Array(length);
        await handle.seek(offset, 0);
        let filled = 0;
        while (filled < length) {
          options?.signal?.throwIfAborted();
          const n = await handle.read(out.subarray(filled));
          if (n === null || n === 0) return out.subarray(0, filled);
          filled += n;
        }
        return out;
      };
      const result = queue.then(run, run);
      queue = result.catch(() => {});
      return result;
    },
  };
}

/** Options of {@linkcode fromUrl}. */
export interface FromUrlOptions {
  /** The `fetch` to use. Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Aborts the initial request and every later read. Default: none. */
  signal?: AbortSignal;
  /** Extra request headers (e.g. authorization), sent with every request. Default: none. */
  headers?: HeadersInit;
}

function combine(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (!a) return b;
  if (!b) return a;
  return AbortSignal.any([a, b]);
}

function httpError(url: string, what: string, response: Response): Error {
  return new Error(
    `Cannot ${what} ${url}: HTTP ${response.status}${
      response.statusText ? " " + response.statusText : ""
    }`,
  );
}

/**
 * A source over HTTP(S). One request learns the size: a `GET` with `Range: bytes=0-0`, whose
 * `206` answer carries `Content-Range: bytes 0-0/<size>`. Every later read is a `GET` with an
 * explicit `Range: bytes=<first>-<last>` (never a suffix range, which costs a CORS preflight).
 * A server that ignores `Range` and answers `200` is handled by downloading the whole body
 * once and serving every read from memory.
 *
 * @param url The file's URL.
 * @param options `fetch`, signal and headers.
 * @returns The source.
 * @throws {Error} When the server answers an error status or omits the size.
 *
 * @example Reading a remote file
 * ```ts ignore
 * import { fromUrl, openContainer } from "./mod.ts";
 *
 * const mrc = await openContainer(await fromUrl("https://example.com/data.mrc"));
 * ```
 */
export async function fromUrl(
  url: string | URL,
  options: FromUrlOptions = {},
): Promise<RangeSource> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const href = String(url);
  const request = (range: string, signal?: AbortSignal) => {
    const headers = new Headers(options.headers);
    headers.set("Range", range);
    return doFetch(href, { headers, signal: combine(options.signal, signal) });
  };
  let memory: Uint8Array | null = null;
  const loadWhole = async (response: Response): Promise<Uint8Array> => {
    memory = new Uint8Array(await response.arrayBuffer());
    return memory;
  };
  // Serves a read from the whole body; a body shorter than expected gives a short read.
  const slice = (bytes: Uint8Array, offset: number, length: number) =>
    bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length));

  const first = await request("bytes=0-0");
  let byteLength: number;
  if (first.status === 206) {
    const match = /^bytes\s+\d+-\d+\/(\d+)\s*$/i.exec(first.headers.get("Content-Range") ?? "");
    await first.body?.cancel();
    if (!match) {
      throw new Error(
        `Cannot read ${href}: the 206 answer has no usable Content-Range (found ${
          JSON.stringify(first.headers.get("Content-Range"))
        })`,
      );
    }
    byteLength = Number(match[1]);
  } else if (first.status === 200) {
    return fromBytes(await loadWhole(first));
  } else if (first.status === 416) {
    // An empty file: no byte 0 to return.
    await first.body?.cancel();
    byteLength = 0;
  } else {
    await first.body?.cancel();
    throw httpError(href, "read", first);
  }

  return {
    byteLength,
    async read(offset: number, length: number, readOptions?: ReadOptions): Promise<Uint8Array> {
      readOptions?.signal?.throwIfAborted();
      checkRange(byteLength, offset, length);
      if (memory) return slice(memory, offset, length);
      if (length === 0) return new Uint8Array(0);
      const response = await request(`bytes=${offset}-${offset + length - 1}`, readOptions?.signal);
      if (response.status === 200) {
        // The server stopped honouring Range: fall back to the whole body, once.
        return slice(await loadWhole(response), offset, length);
      }
      if (response.status !== 206) {
        await response.body?.cancel();
        throw httpError(href, `read ${length} bytes at offset ${offset} of`, response);
      }
      const range = /^bytes\s+(\d+)-(\d+)\//i.exec(response.headers.get("Content-Range") ?? "");
      if (!range || Number(range[1]) !== offset) {
        await response.body?.cancel();
        throw new Error(
          `Cannot read ${length} bytes at offset ${offset} of ${href}: the server answered range ${
            JSON.stringify(response.headers.get("Content-Range"))
          }`,
        );
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      return bytes.length > length ? bytes.subarray(0, length) : bytes;
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
