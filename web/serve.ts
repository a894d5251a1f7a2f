/**
 * The HTTP handler behind `cli.ts view`: static files with the headers a browser reading `.mrc`
 * files by range needs. Any static host that sends the same headers serves the viewer as well:
 *
 * - `Accept-Ranges: bytes`, and `206 Partial Content` with `Content-Range` and `Content-Length`
 *   for `Range: bytes=a-b` (also `a-` and the suffix `-n`); `416` with `Content-Range: bytes * /size`
 *   when unsatisfiable, and for what this server refuses: several ranges, a malformed header;
 * - CORS only for the origins named in `allowOrigins`: `Access-Control-Allow-Origin` (that origin),
 *   and `Access-Control-Expose-Headers: Content-Range, Content-Length, Accept-Ranges` (without it a
 *   browser hides `Content-Range` from the page); preflights allow the `Range` header. A request
 *   from any other origin than the server's own is refused (`403`);
 * - MIME types: `text/html`, `text/javascript` (module scripts and workers are refused otherwise),
 *   `application/json` for source maps, `application/octet-stream` for `.mrc`.
 *
 * It serves loopback only: a `Host` other than `127.0.0.1`, `localhost` or `[::1]` (with the
 * server's port when `port` is given) is refused with `403`, so a page that rebinds its own name to
 * 127.0.0.1 reads nothing. A file is read by range: only the bytes asked for, by reads of at most
 * 1 MiB (`maxConcurrentReads` at a time, over every request) that a long answer streams one after
 * the other; an answer that runs to the end of the file is the file's own stream.
 *
 * @module
 */

/** Options of {@linkcode fileHandler}. */
export interface FileHandlerOptions {
  /** URL path to file path (or bytes). A path ending in `/` maps to its `index.html`. */
  files: Record<string, string | Uint8Array>;
  /** URL path to the URL (path) a `302` sends it to, e.g. `{ "/": "/viewer/" }`. */
  redirects?: Record<string, string>;
  /**
   * Origins (`http://host:port`) other than the server's own whose pages may read the files across
   * origins. Default none: a request that names another `Origin` is refused.
   */
  allowOrigins?: string[];
  /**
   * What an allowed origin gets. `"full"` (default): the CORS headers above; `"no-expose"`:
   * `Access-Control-Allow-Origin` only (what a misconfigured host sends; for tests); `"none"`: no
   * CORS headers.
   */
  cors?: "full" | "no-expose" | "none";
  /** The port the server listens on: then `Host` must name it. Default: any port. */
  port?: number;
  /** Reads of a file at the same time, over every request (default 4). */
  maxConcurrentReads?: number;
  /** Milliseconds to wait before answering each request, to mimic a slow network. Default 0. */
  delayMs?: number;
  /** Called for each answered request (method, path, status, bytes of body). */
  onRequest?: (entry: { method: string; path: string; status: number; bytes: number }) => void;
}

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".ts": "text/typescript; charset=utf-8",
  ".png": "image/png",
  ".mrc": "application/octet-stream",
};

/** The largest read of a file at once; a longer answer streams in pieces of this size. */
const PIECE = 1 << 20;

function mimeOf(path: string): string {
  const dot = path.lastIndexOf(".");
  return MIME[dot >= 0 ? path.slice(dot) : ""] ?? "application/octet-stream";
}

/**
 * Parses a `Range` header against a size: `[start, end)`, null when the header is absent, and
 * "unsatisfiable" when it names no byte of the file or is refused: several ranges, another unit, a
 * malformed header, numbers of more than 15 digits.
 */
export function parseRangeHeader(
  header: string | null,
  size: number,
): [number, number] | null | "unsatisfiable" {
  if (header === null) return null;
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return "unsatisfiable";
  if (m[1] === "") {
    const n = Number(m[2]);
    return n === 0 || size === 0 ? "unsatisfiable" : [Math.max(0, size - n), size];
  }
  const start = Number(m[1]);
  if (m[2] !== "" && Number(m[2]) < start) return "unsatisfiable";
  const end = m[2] === "" ? size : Math.min(size, Number(m[2]) + 1);
  return start >= size ? "unsatisfiable" : [start, end];
}

const LOOPBACK = /^(127\.0\.0\.1|localhost|\[::1\])(?::(\d{1,5}))?$/i;

/**
 * Whether a `Host` header names this loopback server: `127.0.0.1`, `localhost` or `[::1]`, with
 * `port` when given (no port in the header means 80).
 */
export function isLoopbackHost(host: string | null, port?: number): boolean {
  const m = host === null ? null : LOOPBACK.exec(host);
  return m !== null && (port === undefined || Number(m[2] ?? 80) === port);
}

/** At most `max` tasks at a time, the others wait in order. */
class Limiter {
  #active = 0;
  #waiting: (() => void)[] = [];
  constructor(readonly max: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.max) await new Promise<void>((r) => this.#waiting.push(r));
    else this.#active++;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}

/** Reads exactly `length` bytes at `offset` of an open file. */
async function readAt(file: Deno.FsFile, offset: number, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  await file.seek(offset, Deno.SeekMode.Start);
  for (let at = 0; at < length;) {
    const n = await file.read(bytes.subarray(at));
    if (n === null) throw new Error("the file is shorter than when it was opened");
    at += n;
  }
  return bytes;
}

/** A byte source: in memory, or an open file read by range through the limiter. */
interface Body {
  size: number;
  /** The bytes `[start, end)` as one array (for at most {@linkcode PIECE} bytes) or a stream. */
  read(start: number, end: number): Promise<Uint8Array | ReadableStream<Uint8Array>>;
  close(): void;
}

async function openBody(entry: string | Uint8Array, limiter: Limiter): Promise<Body | null> {
  if (typeof entry !== "string") {
    return {
      size: entry.length,
      read: (s, e) => Promise.resolve(entry.subarray(s, e)),
      close() {},
    };
  }
  const file = await Deno.open(entry, { read: true }).catch(() => null);
  if (!file) return null;
  let closed = false;
  const close = () => {
    if (!closed) file.close();
    closed = true;
  };
  try {
    const info = await file.stat();
    if (!info.isFile) throw new Error("not a file");
    const size = info.size;
    const piece = (at: number, end: number) =>
      limiter.run(() => readAt(file, at, Math.min(PIECE, end - at)));
    return {
      size,
      close,
      async read(start, end) {
        if (end - start <= PIECE) return await piece(start, end);
        if (end === size) {
          // To the end of the file: the file's own stream, which Deno.serve copies to the
          // socket without a buffer in JavaScript (it closes the file).
          await file.seek(start, Deno.SeekMode.Start);
          closed = true;
          return file.readable;
        }
        let at = start;
        return new ReadableStream<Uint8Array>({
          async pull(controller) {
            try {
              const bytes = await piece(at, end);
              at += bytes.length;
              controller.enqueue(bytes);
              if (at >= end) {
                close();
                controller.close();
              }
            } catch (e) {
              close();
              controller.error(e);
            }
          },
          cancel: close,
        }, { highWaterMark: 0 });
      },
    };
  } catch {
    close();
    return null;
  }
}

/**
 * Makes the request handler.
 *
 * @param options The files, the origins allowed, the port, the delay.
 * @returns A handler for `Deno.serve`.
 */
export function fileHandler(options: FileHandlerOptions): (request: Request) => Promise<Response> {
  const cors = options.cors ?? "full";
  const allowed = new Set(options.allowOrigins ?? []);
  const limiter = new Limiter(Math.max(1, options.maxConcurrentReads ?? 4));
  return async (request) => {
    const url = new URL(request.url);
    const headers = new Headers({ "Vary": "Origin" });
    const answer = (
      body: Uint8Array | ReadableStream<Uint8Array> | string | null,
      status: number,
      length?: number,
    ) => {
      const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
      const size = length ?? (bytes instanceof Uint8Array ? bytes.length : 0);
      if (length !== undefined) headers.set("Content-Length", String(length));
      options.onRequest?.({ method: request.method, path: url.pathname, status, bytes: size });
      return new Response(
        request.method === "HEAD" ? null : bytes as Uint8Array<ArrayBuffer> | ReadableStream,
        { status, headers },
      );
    };
    const host = request.headers.get("Host");
    if (!isLoopbackHost(host, options.port)) return answer("forbidden host\n", 403);
    const origin = request.headers.get("Origin");
    if (origin !== null && origin.toLowerCase() !== `http://${host!.toLowerCase()}`) {
      if (!allowed.has(origin)) return answer("forbidden origin\n", 403);
      if (cors !== "none") headers.set("Access-Control-Allow-Origin", origin);
      if (cors === "full") {
        headers.set(
          "Access-Control-Expose-Headers",
          "Content-Range, Content-Length, Accept-Ranges",
        );
      }
    }
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    if (request.method === "OPTIONS") {
      headers.set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
      headers.set("Access-Control-Allow-Headers", "Range");
      headers.set("Access-Control-Max-Age", "600");
      return answer(null, 204);
    }
    if (request.method !== "GET" && request.method !== "HEAD") return answer("", 405);
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return answer("bad request: malformed percent-encoding in the path\n", 400);
    }
    const target = options.redirects && Object.hasOwn(options.redirects, path)
      ? options.redirects[path]
      : undefined;
    if (target !== undefined) {
      headers.set("Location", target);
      return answer(null, 302);
    }
    if (path.endsWith("/") && !Object.hasOwn(options.files, path)) path += "index.html";
    const entry = Object.hasOwn(options.files, path) ? options.files[path] : undefined;
    const body = entry === undefined ? null : await openBody(entry, limiter);
    if (body === null) return answer("not found\n", 404);
    let closeBody = true;
    try {
      headers.set("Content-Type", mimeOf(path));
      headers.set("Accept-Ranges", "bytes");
      headers.set("Cache-Control", "no-cache");
      const range = parseRangeHeader(request.headers.get("Range"), body.size);
      if (range === "unsatisfiable") {
        headers.set("Content-Range", `bytes */${body.size}`);
        return answer(null, 416, 0);
      }
      const [start, end] = range ?? [0, body.size];
      if (range !== null) headers.set("Content-Range", `bytes ${start}-${end - 1}/${body.size}`);
      if (request.method === "HEAD") return answer(null, range ? 206 : 200, end - start);
      const bytes = await body.read(start, end);
      closeBody = bytes instanceof Uint8Array;
      return answer(bytes, range ? 206 : 200, end - start);
    } catch {
      return answer("cannot read the file\n", 500);
    } finally {
      if (closeBody) body.close();
    }
  };
}
