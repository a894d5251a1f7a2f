// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * A range source over HTTP(S): `Range` requests, timeouts, servers that ignore `Range`.
 *
 * @module
 */

import { MrcFormatError } from "../../format/error.ts";
import { checkRange, type RangeSource, type ReadOptions } from "../../format/source.ts";

/** Options of {@linkcode fromUrl}. */
export interface FromUrlOptions {
  /** The `fetch` to use. Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  /**
   * Aborts the initial request (the one that learns the size) only: later reads take their own
   * signal through {@linkcode ReadOptions}, so a timeout given here never fails a later read.
   * Default: none.
   */
  signal?: AbortSignal;
  /** Extra request headers (e.g. authorization), sent with every request. Default: none. */
  headers?: HeadersInit;
  /**
   * Milliseconds each request may take, from sending it to the last byte of its body; a request
   * that takes longer fails with an {@linkcode HttpError} whose `status` is null. 0 = no limit.
   * Default 30000 (30 s).
   */
  timeout?: number;
  /**
   * The largest body accepted from a server that ignores `Range` and answers `200` with the whole
   * file (which is then held in memory). Default 1 GiB.
   */
  maxWholeBytes?: number;
  /**
   * Bytes read from the start of the file by the initial request (the one that learns the size),
   * returned as the source's {@linkcode UrlSource.head}. The source keeps no cache of its own: a
   * {@linkcode cachedSource} given the head as `held` serves reads inside it, and with a prefix
   * that holds the header and the report, opening a `.mrc` file then needs one more request (for
   * the index and trailer) instead of three. Default 1.
   */
  prefix?: number;
}

/** What {@linkcode fromUrl} returns: a range source and the first bytes its first request read. */
export interface UrlSource extends RangeSource {
  /**
   * The first bytes of the file, read by the request that learned the size (`prefix` of
   * {@linkcode FromUrlOptions}, fewer for a shorter file; empty when the server answered with the
   * whole file, which the source then serves from memory).
   */
  readonly head: Uint8Array;
}

/** Options of {@linkcode HttpError}. */
export interface HttpErrorOptions extends ErrorOptions {
  /** The HTTP status of the answer, or null when there was none (timeout, network failure). */
  status: number | null;
  /** The URL asked for. */
  url: string;
}

/**
 * Thrown by {@linkcode fromUrl} sources when a server fails: an error status, no answer within the
 * timeout, a network failure, or an answer that does not fit the request (a body larger than
 * asked, a range other than the one asked for, no usable `Content-Range`). A read cancelled by the
 * caller's own signal rejects with the signal's reason instead.
 *
 * @example Catching a server failure
 * ```ts
 * import assert from "node:assert";
 * import { fromUrl, HttpError } from "./mod.ts";
 *
 * const fetch404 = () => Promise.resolve(new Response("no", { status: 404 }));
 * await assert.rejects(
 *   fromUrl("https://example.com/a.mrc", { fetch: fetch404 }),
 *   (e) => e instanceof HttpError && e.status === 404 && e.url === "https://example.com/a.mrc",
 * );
 * ```
 */
export class HttpError extends Error {
  /** The HTTP status of the answer, or null when there was none (timeout, network failure). */
  readonly status: number | null;
  /** The URL asked for. */
  readonly url: string;

  /**
   * Makes an error.
   *
   * @param message Sentence-case message without a trailing period, leading with the action.
   * @param options Status, URL and cause.
   */
  constructor(message: string, options: HttpErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HttpError";
    this.status = options.status;
    this.url = options.url;
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
/**
 * A browser hides every response header of a cross-origin answer that the server does not list
 * in `Access-Control-Expose-Headers`, so a missing `Content-Range` there is a CORS setting.
 */
const CORS_HINT =
  '; if the file is on another origin, its server must send "Access-Control-Expose-Headers: Content-Range" (CORS)';
const DEFAULT_MAX_WHOLE_BYTES = 2 ** 30;

function httpError(url: string, what: string, response: Response): HttpError {
  return new HttpError(
    `Cannot ${what} ${url}: HTTP ${response.status}${
      response.statusText ? " " + response.statusText : ""
    }`,
    { status: response.status, url },
  );
}

/**
 * Reads the body of a range answer into one buffer of the `limit` bytes asked for (the reader
 * asked for them: its budget covers them), refusing it as soon as it passes them (the rest is
 * never read); a shorter body gives a shorter view.
 */
async function readCapped(
  response: Response,
  limit: number,
  refuse: (received: number) => Error,
): Promise<Uint8Array> {
  const body = response.body;
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const declared = Number(response.headers.get("Content-Length") ?? NaN);
  if (Number.isSafeInteger(declared) && declared > limit) {
    await reader.cancel().catch(() => {});
    throw refuse(declared);
  }
  const out = new Uint8Array(limit);
  let filled = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (filled + value.length > limit) {
      await reader.cancel().catch(() => {});
      throw refuse(filled + value.length);
    }
    out.set(value, filled);
    filled += value.length;
  }
  return out.subarray(0, filled);
}

/**
 * A whole body as its network reads delivered it, read as one array: pieces are kept as they
 * are (no growing buffer, so the body costs its size once), and a read is a view unless it
 * crosses pieces.
 */
class Pieces {
  readonly #parts: Uint8Array[] = [];
  readonly #starts: number[] = [];
  length = 0;

  push(piece: Uint8Array): void {
    this.#starts.push(this.length);
    this.#parts.push(piece);
    this.length += piece.length;
  }

  /** Bytes `offset .. offset + length - 1`, cut at the end of the body (a short read). */
  slice(offset: number, length: number): Uint8Array {
    const start = Math.min(offset, this.length), end = Math.min(offset + length, this.length);
    if (end <= start) return new Uint8Array(0);
    let lo = 0, hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid] <= start) lo = mid;
      else hi = mid - 1;
    }
    const at = start - this.#starts[lo];
    if (at + end - start <= this.#parts[lo].length) {
      return this.#parts[lo].subarray(at, at + end - start);
    }
    const out = new Uint8Array(end - start);
    for (let filled = 0, i = lo, from = at; filled < out.length; i++, from = 0) {
      const piece = this.#parts[i].subarray(from, from + out.length - filled);
      out.set(piece, filled);
      filled += piece.length;
    }
    return out;
  }
}

/** Reads a whole body, refusing it as soon as it passes `limit` bytes (the rest is never read). */
async function readPieces(
  response: Response,
  limit: number,
  refuse: (received: number) => Error,
): Promise<Pieces> {
  const pieces = new Pieces();
  const body = response.body;
  if (!body) return pieces;
  const declared = Number(response.headers.get("Content-Length") ?? NaN);
  if (Number.isSafeInteger(declared) && declared > limit) {
    await body.cancel().catch(() => {});
    throw refuse(declared);
  }
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (pieces.length + value.length > limit) {
      await reader.cancel().catch(() => {});
      throw refuse(pieces.length + value.length);
    }
    if (value.length > 0) pieces.push(value);
  }
  return pieces;
}

/**
 * A source over HTTP(S). One request learns the size: a `GET` with `Range: bytes=0-0`, whose
 * `206` answer carries `Content-Range: bytes 0-0/<size>`. Every later read is a `GET` with an
 * explicit `Range: bytes=<first>-<last>` (never a suffix range, which costs a CORS preflight).
 * A server that ignores `Range` and answers `200` is handled by downloading the whole body
 * once (at most `maxWholeBytes`, also when the size the server first claimed is larger) and
 * serving every read from memory; the body costs its size once, as received.
 *
 * Bodies are read as they arrive and refused as soon as they are larger than asked, so a hostile
 * server cannot make the reader buffer more than the request. Each request has its own timeout
 * (`timeout`) and the signal of its own call; nothing is kept from the call that made the source.
 *
 * @param url The file's URL.
 * @param options `fetch`, signal (initial request only), headers, timeout and the largest whole
 *   body.
 * @returns The source.
 * @throws {HttpError} When the server answers an error status, does not answer within the
 *   timeout, or answers something other than what was asked.
 * @throws {MrcFormatError} When the size the server gives is not a safe integer (above 2^53).
 *
 * @example Reading a remote file
 * ```ts ignore
 * import { openContainer } from "../../format/mod.ts";
 * import { fromUrl } from "./mod.ts";
 *
 * const mrc = await openContainer(await fromUrl("https://example.com/data.mrc"));
 * ```
 */
export async function fromUrl(
  url: string | URL,
  options: FromUrlOptions = {},
): Promise<UrlSource> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const href = String(url);
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  if (!(timeout >= 0 && timeout <= 2 ** 31 - 1)) {
    throw new RangeError(`Cannot read ${href}: timeout must be 0 to 2^31-1 ms, found ${timeout}`);
  }
  const maxWholeBytes = options.maxWholeBytes ?? DEFAULT_MAX_WHOLE_BYTES;
  if (!(maxWholeBytes >= 0)) {
    throw new RangeError(`Cannot read ${href}: maxWholeBytes must be >= 0, found ${maxWholeBytes}`);
  }
  const prefix = options.prefix ?? 1;
  if (!(Number.isSafeInteger(prefix) && prefix >= 1 && prefix <= 2 ** 30)) {
    throw new RangeError(
      `Cannot read ${href}: prefix must be an integer from 1 to 2^30, found ${prefix}`,
    );
  }
  const fail = (message: string, status: number | null, cause?: unknown) =>
    new HttpError(`Cannot ${message}`, { status, url: href, cause });

  /**
   * One request and whatever `use` does with its answer, under the call's signal and a timeout
   * of its own (the timer is cleared when `use` settles).
   */
  const request = async <T>(
    range: string,
    what: string,
    signal: AbortSignal | undefined,
    use: (response: Response) => Promise<T>,
  ): Promise<T> => {
    signal?.throwIfAborted();
    const headers = new Headers(options.headers);
    headers.set("Range", range);
    const controller = new AbortController();
    let timedOut = false;
    const timer = timeout > 0
      ? setTimeout(() => {
        timedOut = true;
        controller.abort(new DOMException("The request timed out", "TimeoutError"));
      }, timeout)
      : undefined;
    const onAbort = () => controller.abort(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const response = await doFetch(href, { headers, signal: controller.signal });
      return await use(response);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      if (timedOut) {
        throw fail(`${what} ${href}: no complete answer within ${timeout} ms`, null, e);
      }
      if (e instanceof HttpError || e instanceof MrcFormatError || e instanceof RangeError) throw e;
      throw fail(`${what} ${href}: ${e instanceof Error ? e.message : e}`, null, e);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  };

  let memory: Pieces | null = null;
  // The whole body of a 200 answer, at most `limit` bytes.
  const loadWhole = async (response: Response, what: string, limit: number) => {
    memory = await readPieces(
      response,
      limit,
      (n) =>
        fail(
          `${what} ${href}: the server sent the whole file (${n} bytes or more), above the ${limit} accepted`,
          response.status,
        ),
    );
    return memory;
  };
  type First =
    | { size: number; head: Uint8Array; whole?: undefined }
    | { size?: undefined; head?: undefined; whole: Pieces };
  const first = await request<First>(
    `bytes=0-${prefix - 1}`,
    "read",
    options.signal,
    async (first) => {
      if (first.status === 206) {
        const contentRange = first.headers.get("Content-Range");
        const match = /^bytes\s+0-(\d+)\/(\d+)\s*$/i.exec(contentRange ?? "");
        if (!match) await first.body?.cancel();
        if (!match) {
          throw fail(
            `read ${href}: the 206 answer has no usable Content-Range (found ${
              JSON.stringify(contentRange)
            })${contentRange === null ? CORS_HINT : ""}`,
            206,
          );
        }
        const size = Number(match[2]);
        if (!Number.isSafeInteger(size)) {
          await first.body?.cancel();
          throw new MrcFormatError(
            `Cannot read ${href}: the server gives a size of ${
              match[2]
            } bytes (Content-Range), above 2^53`,
          );
        }
        // The first bytes: at most what was asked for, and all of them up to the answered end.
        const want = Math.min(prefix, Number(match[1]) + 1, size);
        const head = await readCapped(
          first,
          want,
          (n) =>
            fail(
              `read the first ${want} bytes of ${href}: the server sent ${n} bytes or more`,
              206,
            ),
        );
        return { size, head: head.length === want ? head : head.subarray(0, 0) };
      }
      if (first.status === 200) return { whole: await loadWhole(first, "read", maxWholeBytes) };
      await first.body?.cancel();
      // An empty file: no byte 0 to return.
      if (first.status === 416) return { size: 0, head: new Uint8Array(0) };
      throw httpError(href, "read", first);
    },
  );
  if (first.whole) {
    const whole = first.whole;
    return {
      byteLength: whole.length,
      head: new Uint8Array(0),
      read(offset: number, length: number, readOptions?: ReadOptions): Promise<Uint8Array> {
        try {
          readOptions?.signal?.throwIfAborted();
          checkRange(whole.length, offset, length);
          return Promise.resolve(whole.slice(offset, length));
        } catch (e) {
          return Promise.reject(e);
        }
      },
    };
  }
  const byteLength = first.size;

  return {
    byteLength,
    head: first.head,
    async read(offset: number, length: number, readOptions?: ReadOptions): Promise<Uint8Array> {
      readOptions?.signal?.throwIfAborted();
      checkRange(byteLength, offset, length);
      // A body shorter than the size first given makes a short read.
      if (memory) return memory.slice(offset, length);
      if (length === 0) return new Uint8Array(0);
      const what = `read ${length} bytes at offset ${offset} of`;
      const range = `bytes=${offset}-${offset + length - 1}`;
      return await request(range, what, readOptions?.signal, async (response) => {
        if (response.status === 200) {
          // The server stopped honouring Range: fall back to the whole body, once, within the
          // same cap as at open (not the size it claimed then, which may be 2^53).
          const whole = await loadWhole(response, what, Math.min(byteLength, maxWholeBytes));
          return whole.slice(offset, length);
        }
        if (response.status !== 206) {
          await response.body?.cancel();
          throw httpError(href, what, response);
        }
        const contentRange = response.headers.get("Content-Range");
        const got = /^bytes\s+(\d+)-(\d+)\//i.exec(contentRange ?? "");
        if (!got || Number(got[1]) !== offset || Number(got[2]) > offset + length - 1) {
          await response.body?.cancel();
          throw fail(
            `${what} ${href}: the server answered range ${JSON.stringify(contentRange)}${
              contentRange === null ? CORS_HINT : ""
            }`,
            206,
          );
        }
        return await readCapped(
          response,
          length,
          (n) => fail(`${what} ${href}: the server sent ${n} bytes or more`, 206),
        );
      });
    },
  };
}
