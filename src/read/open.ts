// This module is browser compatible.
/**
 * Opening a `.mrc` file from whatever the caller has: bytes, a path (Deno), a URL (HTTP range
 * requests) or any range source.
 *
 * @module
 */

import { type CachedSource, cachedSource } from "../transport/cache.ts";
import { openContainer, readFileIndex } from "../../format/reader.ts";
import { COLLECTION_TYPE } from "../../format/_constants.ts";
import {
  collectionOf,
  describeVariables,
  type MrcCollection,
  VariableChoiceError,
} from "./collection.ts";
import { checkRange, fromBytes, type RangeSource, type ReadOptions } from "../../format/source.ts";
import { fromUrl } from "../transport/http.ts";
import { type FileHandleLike, fromFileHandle } from "../transport/file.ts";
import { MrcFile } from "./mrc_file.ts";
import { DEFAULT_READ_AHEAD } from "./_read_ahead.ts";
import { checkMaxBytes } from "./_budget.ts";
import { decodeTrailer } from "../../format/_framing.ts";
import { TRAILER_LENGTH } from "../../format/_constants.ts";

/** What {@linkcode openMrc} accepts. */
export type MrcInput = Uint8Array | URL | string | RangeSource;

/** Options of {@linkcode openMrc}. */
export interface OpenMrcOptions {
  /** Cancels the reads of opening. */
  signal?: AbortSignal;
  /** Replaces the global `fetch` for `http:`/`https:` URLs. */
  fetch?: typeof fetch;
  /**
   * Most bytes of typed arrays one decode may hold (output, planes, codes, masks), checked against
   * the header before anything is allocated; `decode()` may override it per call. Also the most
   * one chunk read whole may have, and for a URL whose server ignores `Range`, the largest whole
   * body accepted. Default 1 GiB.
   */
  maxBytes?: number;
  /**
   * Bounded files: most bytes of decoded block state (`BlockCoder`s: reconstruction, codes,
   * tables) the file keeps between decodes, so that a decode reuses the levels an earlier one
   * decoded ({@linkcode MrcFile.coderCache}); least recently used blocks are evicted, and every
   * decode first evicts down to its `maxBytes` minus what it needs. 0 = none. Default: half of
   * `maxBytes`, at most 512 MiB.
   */
  cacheBytes?: number;
  /**
   * `http:`/`https:` URLs: milliseconds each request may take (this one and every later read),
   * 0 = no limit. Default 30000.
   */
  timeout?: number;
  /**
   * `http:`/`https:` URLs: bytes read from each end of the file on open, which usually hold the
   * header and report (start) and the index and trailer (end): opening then takes 2 requests
   * instead of 4, at the cost of up to twice this many bytes that may not be needed. 0 = exact
   * reads only. Default 16384.
   */
  readAhead?: number;
  /**
   * The variable to open in a collection (several variables in one file, SPEC.md §12); required
   * there. In a single-variable file it must be the file's variable (or `"data"` for a file
   * without attributes). Default: the file's one variable.
   */
  variable?: string;
  /** The layer of a variable of several layers (a 4-D variable), from 0. Required for one. */
  layer?: number;
}

/**
 * Opens a `.mrc` file: reads the trailer, the index and the header (three small reads). Nothing
 * else is read until a level is decoded. A file opened from a path holds a file handle until
 * `close()` (or `await using`); `signal` cancels the reads of opening only, never a later decode.
 *
 * @param input The file's bytes, a URL (`http:`, `https:` or `file:`), a local path (Deno, Node), a
 *   relative URL such as `"./data/x.mrc"` (in a browser, where a string without a scheme is
 *   resolved against `document.baseURI`, or a worker's `location`), or a range source.
 * @param options `signal` cancels the reads of opening; `fetch` and `timeout` for URLs.
 * @returns The opened file.
 * @throws {MrcFormatError} When the file is not a valid `.mrc` file.
 *
 * @example Open the golden test file and read its header
 * ```ts
 * import assert from "node:assert";
 * import { openMrc } from "./open.ts";
 *
 * const file = await openMrc(new URL("../../tests/testdata/v1.0-small.mrc", import.meta.url));
 * assert.strictEqual(file.levelCount, file.header.levels.length);
 * assert.ok(file.totalBytes > 0);
 * ```
 */
export async function openMrc(input: MrcInput, options: OpenMrcOptions = {}): Promise<MrcFile> {
  const source = await toSource(input, options);
  // A source the caller gave stays the caller's to close; one opened here is closed by the file
  // (or here, when the file is not a valid `.mrc` file).
  const owned = source !== input;
  try {
    const index = await readFileIndex(source, options.signal, checkMaxBytes(options.maxBytes));
    if (index.entries[0]?.type === COLLECTION_TYPE || options.variable !== undefined) {
      const collection = await collectionOf(source, { ...options, index });
      if (options.variable === undefined) {
        throw new VariableChoiceError(
          `Cannot open ${describeInput(input)}: it holds several variables (${
            describeVariables(collection.variables)
          }): pass { variable } to open one, or use openCollection()`,
          collection.variables,
          false,
        );
      }
      return await collection.open(options.variable, options.layer, {
        signal: options.signal,
        close: owned ? () => source.close?.() : undefined,
      });
    }
    if (options.layer !== undefined && options.layer !== 0) {
      throw new RangeError(
        `Cannot open ${describeInput(input)}: layer ${options.layer} of a variable of one layer`,
      );
    }
    const container = await openContainer(source, { signal: options.signal, index });
    const file = new MrcFile(container, {
      close: owned ? () => source.close?.() : undefined,
      maxBytes: options.maxBytes,
      cacheBytes: options.cacheBytes,
    });
    // Read and validated by openContainer(): no request, and `file.units` is there at once.
    await file.readAttributes();
    return file;
  } catch (e) {
    if (owned) await source.close?.();
    throw e;
  }
}

/**
 * Opens a `.mrc` file as its variables: a collection (SPEC.md §12) lists several, a
 * single-variable file one. Three reads; each variable's part is opened by
 * {@linkcode MrcCollection.open} (three more reads each).
 *
 * @param input As {@linkcode openMrc}'s.
 * @param options As {@linkcode openMrc}'s, but for `variable` and `layer`.
 * @returns The collection; `close()` closes a source opened here.
 * @throws {MrcFormatError} When the file is not a valid `.mrc` file.
 *
 * @example The variables of a single-variable file: one
 * ```ts
 * import assert from "node:assert";
 * import { openCollection } from "./open.ts";
 *
 * await using c = await openCollection(new URL("../../tests/testdata/v1.2-bounded.mrc", import.meta.url));
 * assert.strictEqual(c.variables.length, 1);
 * assert.strictEqual(c.isCollection, false);
 * const file = await c.open(c.variables[0].name);
 * assert.ok(file.levelCount >= 1);
 * ```
 */
export async function openCollection(
  input: MrcInput,
  options: Omit<OpenMrcOptions, "variable" | "layer"> = {},
): Promise<MrcCollection> {
  const source = await toSource(input, options);
  const owned = source !== input;
  try {
    return await collectionOf(source, {
      ...options,
      close: owned ? () => source.close?.() : undefined,
    });
  } catch (e) {
    if (owned) await source.close?.();
    throw e;
  }
}

/** The input as errors name it. */
function describeInput(input: MrcInput): string {
  return input instanceof Uint8Array
    ? `${input.length} bytes`
    : typeof input === "string" || input instanceof URL
    ? String(input)
    : "the source";
}

/**
 * A remote file as a cached range source, its first and last `readAhead` bytes already read
 * (usually the header and report, and the index and trailer): two requests. `openMrc(url)` uses it;
 * so can a caller that wants the source too, e.g. to `prefetch()` the chunks of a decode.
 *
 * @param url An `http:` or `https:` URL.
 * @param options `fetch`, `signal` (these requests only), `timeout`, `readAhead`; `maxBytes`
 *   caps the whole body a server that ignores `Range` sends (the file is then held in memory).
 * @returns The source.
 */
export async function openRemote(
  url: string | URL,
  options: Pick<OpenMrcOptions, "fetch" | "signal" | "timeout" | "readAhead" | "maxBytes"> = {},
): Promise<CachedSource> {
  const readAhead = options.readAhead ?? DEFAULT_READ_AHEAD;
  if (!(Number.isSafeInteger(readAhead) && readAhead >= 0 && readAhead <= 2 ** 30)) {
    throw new RangeError(
      `Cannot open ${String(url)}: readAhead must be an integer from 0 to 2^30, found ${readAhead}`,
    );
  }
  // The signal covers these requests only: the source keeps nothing of this call. The first
  // request learns the size and, with `readAhead`, brings the file's first bytes.
  const remote = await fromUrl(url, {
    fetch: options.fetch,
    signal: options.signal,
    timeout: options.timeout,
    prefix: Math.max(1, readAhead),
    maxWholeBytes: checkMaxBytes(options.maxBytes),
    sizeFromTail: sizeFromTrailer,
  });
  // One cache, so that no chunk is fetched twice, holding the head the first request brought
  // (and the tail, where learning the size took a suffix range); with `readAhead`, one more
  // request for the end (index, trailer): 2 round trips to open instead of 4
  // (src/transport/cache.ts). Where the server hides Content-Range from this page (another
  // origin without Access-Control-Expose-Headers), learning the size costs one more (a HEAD).
  const held = [{ offset: 0, bytes: remote.head }];
  if (remote.tail) held.push(remote.tail);
  const cached = cachedSource(remote, { held });
  const size = cached.byteLength;
  if (readAhead > 0 && size > readAhead) {
    const start = Math.max(readAhead, size - readAhead);
    await cached.prefetch([{ offset: start, length: size - start }], { signal: options.signal });
  }
  return cached;
}

/**
 * The file size a `.mrc` file's last bytes state (SPEC.md §6: the index ends where the 28-byte
 * trailer starts, and nothing follows it), or null when they end in no valid trailer.
 */
function sizeFromTrailer(tail: Uint8Array): number | null {
  if (tail.length < TRAILER_LENGTH) return null;
  const trailer = tail.subarray(tail.length - TRAILER_LENGTH);
  const view = new DataView(trailer.buffer, trailer.byteOffset, TRAILER_LENGTH);
  const high = view.getUint32(4, true);
  if (high >= 2 ** 21) return null; // above 2^53
  const size = high * 2 ** 32 + view.getUint32(0, true) + view.getUint32(8, true) +
    TRAILER_LENGTH;
  try {
    // The end magic, the CRC and the version, checked against that size.
    decodeTrailer(trailer, size - TRAILER_LENGTH, size);
    return size;
  } catch {
    return null;
  }
}

/**
 * What a relative URL is relative to where there is no file system: the document's base URL in
 * a page (its `<base href>`, else its address), the script's address in a worker; null elsewhere.
 */
function pageBase(): string | null {
  const scope = globalThis as {
    document?: { baseURI?: unknown };
    location?: { href?: unknown };
  };
  const base = scope.document?.baseURI ?? scope.location?.href;
  return typeof base === "string" ? base : null;
}

/** The part of Node's `fs/promises` that {@linkcode fromNodeFile} uses. */
interface NodeFiles {
  open(path: string | URL, flags: "r"): Promise<{
    stat(): Promise<{ size: number }>;
    read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<
      { bytesRead: number }
    >;
    close(): Promise<void>;
  }>;
}

/** Node's `fs/promises` (Node 20.16 and later, through `process.getBuiltinModule`), else null. */
function nodeFiles(): NodeFiles | null {
  const process = (globalThis as {
    process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown };
  }).process;
  if (typeof process?.versions?.node !== "string") return null;
  return (process.getBuiltinModule?.("node:fs/promises") as NodeFiles | undefined) ?? null;
}

/**
 * A source over a file opened with Node's `fs/promises`: positional reads (no shared position,
 * so concurrent reads are safe), the size from one `stat()`; `close()` closes the handle once.
 */
async function fromNodeFile(fs: NodeFiles, path: string | URL): Promise<RangeSource> {
  const handle = await fs.open(path, "r");
  let size: number;
  try {
    size = (await handle.stat()).size;
  } catch (e) {
    await handle.close();
    throw e;
  }
  let closed: Promise<void> | null = null;
  return {
    byteLength: size,
    async read(offset: number, length: number, options?: ReadOptions): Promise<Uint8Array> {
      if (closed) throw new TypeError("Cannot read from a closed file source");
      options?.signal?.throwIfAborted();
      checkRange(size, offset, length);
      const out = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        options?.signal?.throwIfAborted();
        const { bytesRead } = await handle.read(out, filled, length - filled, offset + filled);
        if (bytesRead === 0) return out.subarray(0, filled);
        filled += bytesRead;
      }
      return out;
    },
    close(): Promise<void> {
      closed ??= handle.close();
      return closed;
    },
  };
}

async function toSource(input: MrcInput, options: OpenMrcOptions): Promise<RangeSource> {
  if (input instanceof Uint8Array) return fromBytes(input);
  if (typeof input === "object" && input !== null && "read" in input && "byteLength" in input) {
    return input as RangeSource;
  }
  const deno = (globalThis as { Deno?: { open(p: string | URL): Promise<unknown> } }).Deno;
  const node = deno ? null : nodeFiles();
  // In Deno and Node a string without a scheme is a path; in a browser, a URL relative to the page.
  const base = deno || node ? null : pageBase();
  const url = input instanceof URL
    ? input
    : /^[a-z][a-z0-9+.-]*:\/\//i.test(input)
    ? new URL(input)
    : base !== null
    ? new URL(input, base)
    : null;
  if (url && (url.protocol === "http:" || url.protocol === "https:")) {
    return await openRemote(url, options);
  }
  // A local file: only where a file system API exists (Deno, Node).
  if (!deno && node) return await fromNodeFile(node, url ?? (input as string));
  if (!deno) {
    throw new TypeError(
      `Cannot open ${String(input)}: ${
        url
          ? `no ${url.protocol} URLs here`
          : "no file system here (paths are read in Deno and Node)"
      }; pass bytes, an http(s) URL or a range source`,
    );
  }
  const handle = await deno.open(url ?? (input as string)) as FileHandleLike;
  try {
    return await fromFileHandle(handle);
  } catch (e) {
    handle.close?.();
    throw e;
  }
}
