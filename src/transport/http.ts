// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * A range source over HTTP(S): `Range` requests, timeouts, servers that ignore `Range`, and
 * servers whose `Content-Range` a browser hides (another origin that sends no
 * `Access-Control-Expose-Headers`): the size then comes from headers every origin may read.
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
  /**
   * Where the size cannot be read from `Content-Range` (hidden by the browser on another origin)
   * nor from a `HEAD` answer's `Content-Length`, the last resort is a suffix range
   * (`Range: bytes=-n`, the file's last `n = max(prefix, 1024)` bytes), whose answer gives the
   * tail but not its offset: this function reads the file's size from those bytes (a format
   * whose end records its length, as the `.mrc` trailer does), or returns null. Its bytes are
   * returned as {@linkcode UrlSource.tail}. Default: none (no suffix range is sent).
   */
  sizeFromTail?: (tail: Uint8Array) => number | null;
}

/** What {@linkcode fromUrl} returns: a range source and the first bytes its first request read. */
export interface UrlSource extends RangeSource {
  /**
   * The first bytes of the file, read by the request that learned the size (`prefix` of
   * {@linkcode FromUrlOptions}, fewer for a shorter file; empty when the server answered with the
   * whole file, which the source then serves from memory).
   */
  readonly head: Uint8Array;
  /**
   * The last bytes of the file when learning the size took a suffix range (see
   * {@linkcode FromUrlOptions.sizeFromTail}), else null: like `head`, bytes a cache may hold
   * from the start.
   */
  readonly tail: { offset: number; bytes: Uint8Array } | null;
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
 * timeout, a network failure (in a browser also a read that CORS forbids; the message then names
 * the header the server must send), or an answer that does not fit the request (a body larger
 * than asked, a range other than the one asked for, a size it hides every way). A read cancelled
 * by the caller's own signal rejects with the signal's reason instead.
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
const DEFAULT_MAX_WHOLE_BYTES = 2 ** 30;
/** The fewest bytes a suffix range asks for: enough for any format's closing record. */
const MIN_SUFFIX = 1024;
/**
 * Why a `206` answer may show no `Content-Range`: a browser shows a page only the CORS-safelisted
 * headers of an answer from another origin (`Content-Length` and `Content-Type` among them) and
 * those the server lists in `Access-Control-Expose-Headers`.
 */
const HIDDEN_RANGE =
  'a browser hides it from another origin unless the server sends "Access-Control-Expose-Headers: Content-Range"';

/** The origin of the page or worker this runs in, in a browser; null elsewhere (Deno, Node). */
function browserOrigin(): string | null {
  if ("Deno" in globalThis) return null;
  const origin = (globalThis as { location?: { origin?: unknown } }).location?.origin;
  return typeof origin === "string" ? origin : null;
}

/**
 * What a failed `fetch` means. A browser rejects with a bare `TypeError` ("Failed to fetch",
 * "NetworkError when attempting to fetch resource", "Load failed") both when the server cannot
 * be reached and when CORS forbids the page to read the answer, and tells the page nothing more:
 * for a URL of another origin the message names what the server must send.
 */
function fetchFailure(e: unknown, href: string, headers: Headers, method: string): string {
  const message = (e instanceof Error ? e.message : String(e)).replace(/\.$/, "");
  const origin = browserOrigin();
  if (origin === null || !(e instanceof TypeError)) return message;
  let target: string;
  try {
    // `fetch` resolves a relative URL against the page; so does this.
    target = new URL(href, (globalThis as { location?: { href?: string } }).location?.href).origin;
  } catch {
    return message;
  }
  if (target === origin) return `${message} (the server cannot be reached)`;
  const set = [...headers.keys()].filter((name) => name !== "range");
  const range = headers.get("range");
  // A simple `Range: bytes=a-b` needs no preflight; a suffix range and other headers do.
  if (range !== null && /^bytes=-/.test(range)) set.unshift("Range");
  const allow = set.length > 0
    ? `, and "Access-Control-Allow-Headers: ${set.join(", ")}" in answer to the preflight`
    : "";
  const page = origin === "null" ? "this page" : origin;
  const value = origin === "null"
    ? '"Access-Control-Allow-Origin: *"'
    : `"Access-Control-Allow-Origin: ${origin}" (or "*")`;
  return `${message}: the server cannot be reached, or it does not let ${page} read ${target}: its answers to ${method} must carry ${value}${allow}`;
}

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
 * A source over HTTP(S). The first request learns the size and brings the first `prefix` bytes:
 * a `GET` with `Range: bytes=0-<prefix - 1>`, whose `206` answer carries
 * `Content-Range: bytes 0-<last>/<size>`. Every later read is a `GET` with an explicit
 * `Range: bytes=<first>-<last>` (a range a browser sends to another origin without a preflight).
 *
 * Where that answer shows no `Content-Range` (a browser hides it from a page of another origin
 * unless the server sends `Access-Control-Expose-Headers: Content-Range`), the size comes from
 * headers every origin may read: a body shorter than asked is the whole file; else a `HEAD`
 * request's `Content-Length`; else, with `sizeFromTail`, a suffix range (`bytes=-<n>`, which
 * costs a preflight in a browser) whose bytes say the size. Later answers are then checked
 * against their `Content-Range` where it shows, and against their length always.
 *
 * A server that ignores `Range` and answers `200` is handled by downloading the whole body
 * once (at most `maxWholeBytes`, also when the size the server first claimed is larger) and
 * serving every read from memory; the body costs its size once, as received.
 *
 * Bodies are read as they arrive and refused as soon as they are larger than asked, so a hostile
 * server cannot make the reader buffer more than the request. Each request has its own timeout
 * (`timeout`) and the signal of its own call; nothing is kept from the call that made the source.
 * A request the browser refuses (a server that sends no `Access-Control-Allow-Origin`) fails with
 * an {@linkcode HttpError} that says which header the server must send.
 *
 * @param url The file's URL.
 * @param options `fetch`, signal (initial requests only), headers, timeout, the largest whole
 *   body, the bytes of the first request and how the file's end gives its size.
 * @returns The source.
 * @throws {HttpError} When the server answers an error status, does not answer within the
 *   timeout, answers something other than what was asked, or hides the size every way.
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
   * One request (a `GET` of `range`, or a `HEAD`) and whatever `use` does with its answer, under
   * the call's signal and a timeout of its own (the timer is cleared when `use` settles).
   */
  const request = async <T>(
    ask: { range: string } | { method: "HEAD" },
    what: string,
    signal: AbortSignal | undefined,
    use: (response: Response) => Promise<T>,
  ): Promise<T> => {
    signal?.throwIfAborted();
    const headers = new Headers(options.headers);
    const method = "method" in ask ? ask.method : "GET";
    if ("range" in ask) headers.set("Range", ask.range);
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
      const response = await doFetch(href, { method, headers, signal: controller.signal });
      return await use(response);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      if (timedOut) {
        throw fail(`${what} ${href}: no complete answer within ${timeout} ms`, null, e);
      }
      if (e instanceof HttpError || e instanceof MrcFormatError || e instanceof RangeError) throw e;
      throw fail(`${what} ${href}: ${fetchFailure(e, href, headers, method)}`, null, e);
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
  /** A size the server states (`Content-Range` total or `Content-Length`), checked. */
  const statedSize = async (text: string, header: string, response: Response) => {
    const size = Number(text);
    if (!Number.isSafeInteger(size)) {
      await response.body?.cancel();
      throw new MrcFormatError(
        `Cannot read ${href}: the server gives a size of ${text} bytes (${header}), above 2^53`,
      );
    }
    return size;
  };
  type Learnt =
    | { size: number; tail?: { offset: number; bytes: Uint8Array }; whole?: undefined }
    | { size?: undefined; whole: Pieces };
  type First =
    | { size: number | null; head: Uint8Array; whole?: undefined }
    | { size?: undefined; head?: undefined; whole: Pieces };
  const first = await request<First>(
    { range: `bytes=0-${prefix - 1}` },
    "read",
    options.signal,
    async (first) => {
      if (first.status === 206) {
        const contentRange = first.headers.get("Content-Range");
        const refuse = (want: number) => (n: number) =>
          fail(`read the first ${want} bytes of ${href}: the server sent ${n} bytes or more`, 206);
        if (contentRange === null) {
          // Hidden from this page (another origin) or not sent: the body is still the first
          // bytes, and one shorter than asked is the whole file.
          const head = await readCapped(first, prefix, refuse(prefix));
          return { size: head.length < prefix ? head.length : null, head };
        }
        const match = /^bytes\s+0-(\d+)\/(\d+)\s*$/i.exec(contentRange);
        if (!match) {
          await first.body?.cancel();
          throw fail(
            `read ${href}: the 206 answer has no usable Content-Range (found ${
              JSON.stringify(contentRange)
            })`,
            206,
          );
        }
        const size = await statedSize(match[2], "Content-Range", first);
        // The first bytes: at most what was asked for, and all of them up to the answered end.
        const want = Math.min(prefix, Number(match[1]) + 1, size);
        const head = await readCapped(first, want, refuse(want));
        return { size, head: head.length === want ? head : head.subarray(0, 0) };
      }
      if (first.status === 200) return { whole: await loadWhole(first, "read", maxWholeBytes) };
      await first.body?.cancel();
      // An empty file: no byte 0 to return.
      if (first.status === 416) return { size: 0, head: new Uint8Array(0) };
      throw httpError(href, "read", first);
    },
  );

  /** The size where the first answer hid it: `HEAD`, then a suffix range (`sizeFromTail`). */
  const learnSize = async (head: Uint8Array): Promise<Learnt> => {
    const problems: string[] = [];
    const problem = (label: string, what: string, e: unknown) => {
      if (options.signal?.aborted || e instanceof MrcFormatError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      const start = `Cannot ${what} ${href}: `;
      problems.push(
        `${label} (${message.startsWith(start) ? message.slice(start.length) : message})`,
      );
    };
    const what = "read the size of";
    try {
      const size = await request({ method: "HEAD" }, what, options.signal, async (response) => {
        await response.body?.cancel();
        if (!response.ok) throw httpError(href, what, response);
        const length = response.headers.get("Content-Length");
        if (length === null) throw fail(`${what} ${href}: no Content-Length`, response.status);
        const size = await statedSize(length, "Content-Length of HEAD", response);
        if (size < head.length) {
          throw fail(
            `${what} ${href}: Content-Length ${size}, below the ${head.length} bytes already read`,
            response.status,
          );
        }
        return size;
      });
      return { size };
    } catch (e) {
      problem("HEAD", what, e);
    }
    const sizeFromTail = options.sizeFromTail;
    if (sizeFromTail) {
      const suffix = Math.max(prefix, MIN_SUFFIX);
      const what = `read the last ${suffix} bytes of`;
      try {
        return await request<Learnt>(
          { range: `bytes=-${suffix}` },
          what,
          options.signal,
          async (response) => {
            if (response.status === 200) {
              return { whole: await loadWhole(response, what, maxWholeBytes) };
            }
            if (response.status !== 206) {
              await response.body?.cancel();
              throw httpError(href, what, response);
            }
            const bytes = await readCapped(
              response,
              suffix,
              (n) => fail(`${what} ${href}: the server sent ${n} bytes or more`, 206),
            );
            const total = /^bytes\s+\d+-\d+\/(\d+)\s*$/i.exec(
              response.headers.get("Content-Range") ?? "",
            )?.[1];
            const size = total !== undefined
              ? await statedSize(total, "Content-Range", response)
              : sizeFromTail(bytes);
            if (size === null || size < bytes.length || size < head.length) {
              throw fail(
                `${what} ${href}: ${
                  size === null ? "they do not say" : `they give ${size} bytes, not`
                } the file's size`,
                206,
              );
            }
            return { size, tail: { offset: size - bytes.length, bytes } };
          },
        );
      } catch (e) {
        problem("a suffix range", what, e);
      }
    }
    throw fail(
      `read ${href}: the 206 answer shows no Content-Range (${HIDDEN_RANGE}), and the size could not be learnt otherwise: ${
        problems.join("; ")
      }`,
      206,
    );
  };

  const learnt: Learnt = first.whole
    ? { whole: first.whole }
    : first.size !== null
    ? { size: first.size }
    : await learnSize(first.head);
  if (learnt.whole) {
    const whole = learnt.whole;
    return {
      byteLength: whole.length,
      head: new Uint8Array(0),
      tail: null,
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
  const byteLength = learnt.size;

  return {
    byteLength,
    head: first.head ?? new Uint8Array(0),
    tail: learnt.tail ?? null,
    async read(offset: number, length: number, readOptions?: ReadOptions): Promise<Uint8Array> {
      readOptions?.signal?.throwIfAborted();
      checkRange(byteLength, offset, length);
      // A body shorter than the size first given makes a short read.
      if (memory) return memory.slice(offset, length);
      if (length === 0) return new Uint8Array(0);
      const what = `read ${length} bytes at offset ${offset} of`;
      const range = `bytes=${offset}-${offset + length - 1}`;
      return await request({ range }, what, readOptions?.signal, async (response) => {
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
        // Checked where it shows; hidden from another origin, the length is what is checked.
        const contentRange = response.headers.get("Content-Range");
        if (contentRange !== null) {
          const got = /^bytes\s+(\d+)-(\d+)\//i.exec(contentRange);
          if (!got || Number(got[1]) !== offset || Number(got[2]) > offset + length - 1) {
            await response.body?.cancel();
            throw fail(
              `${what} ${href}: the server answered range ${JSON.stringify(contentRange)}`,
              206,
            );
          }
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
