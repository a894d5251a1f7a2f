/**
 * The HTTP handler behind `cli.ts view`: static files with the headers a browser reading `.mrc`
 * files by range needs. Any static host that sends the same headers serves the viewer as well:
 *
 * - `Accept-Ranges: bytes`, and `206 Partial Content` with `Content-Range` for `Range: bytes=a-b`
 *   (also `a-` and the suffix `-n`); `416` with `Content-Range: bytes * /size` when unsatisfiable;
 * - CORS for pages on other origins: `Access-Control-Allow-Origin`, and
 *   `Access-Control-Expose-Headers: Content-Range, Content-Length, Accept-Ranges` (without it a
 *   browser hides `Content-Range` from the page); preflights allow the `Range` header;
 * - MIME types: `text/html`, `text/javascript` (module scripts and workers are refused otherwise),
 *   `application/json` for source maps, `application/octet-stream` for `.mrc`.
 *
 * @module
 */

/** Options of {@linkcode fileHandler}. */
export interface FileHandlerOptions {
  /** URL path to file path (or bytes). A path ending in `/` maps to its `index.html`. */
  files: Record<string, string | Uint8Array>;
  /**
   * `"full"` (default): the CORS headers above; `"no-expose"`: `Access-Control-Allow-Origin`
   * only (what a misconfigured host sends; for tests); `"none"`: no CORS headers.
   */
  cors?: "full" | "no-expose" | "none";
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

function mimeOf(path: string): string {
  const dot = path.lastIndexOf(".");
  return MIME[dot >= 0 ? path.slice(dot) : ""] ?? "application/octet-stream";
}

/**
 * Parses a single-range `Range` header against a size: `[start, end)` or null when the header
 * is absent or names several ranges (answered with the whole file), "unsatisfiable" otherwise.
 */
export function parseRangeHeader(
  header: string | null,
  size: number,
): [number, number] | null | "unsatisfiable" {
  if (header === null) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const n = Number(m[2]);
    return n === 0 || size === 0 ? "unsatisfiable" : [Math.max(0, size - n), size];
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size : Math.min(size, Number(m[2]) + 1);
  return start >= size || end <= start ? "unsatisfiable" : [start, end];
}

/**
 * Makes the request handler.
 *
 * @param options The files, the CORS mode and the delay.
 * @returns A handler for `Deno.serve`.
 */
export function fileHandler(options: FileHandlerOptions): (request: Request) => Promise<Response> {
  const cors = options.cors ?? "full";
  return async (request) => {
    const url = new URL(request.url);
    const headers = new Headers();
    if (cors !== "none") headers.set("Access-Control-Allow-Origin", "*");
    if (cors === "full") {
      headers.set(
        "Access-Control-Expose-Headers",
        "Content-Range, Content-Length, Accept-Ranges",
      );
    }
    const answer = (body: Uint8Array | string | null, status: number) => {
      const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
      options.onRequest?.({
        method: request.method,
        path: url.pathname,
        status,
        bytes: bytes?.length ?? 0,
      });
      return new Response(request.method === "HEAD" ? null : bytes as Uint8Array<ArrayBuffer>, {
        status,
        headers,
      });
    };
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    if (request.method === "OPTIONS") {
      headers.set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
      headers.set("Access-Control-Allow-Headers", "Range");
      headers.set("Access-Control-Max-Age", "600");
      return answer(null, 204);
    }
    if (request.method !== "GET" && request.method !== "HEAD") return answer("", 405);
    let path = decodeURIComponent(url.pathname);
    if (path.endsWith("/") && !Object.hasOwn(options.files, path)) path += "index.html";
    const entry = Object.hasOwn(options.files, path) ? options.files[path] : undefined;
    if (entry === undefined) return answer("not found", 404);
    const bytes = typeof entry === "string" ? await Deno.readFile(entry) : entry;
    headers.set("Content-Type", mimeOf(path));
    headers.set("Accept-Ranges", "bytes");
    headers.set("Cache-Control", "no-cache");
    const range = parseRangeHeader(request.headers.get("Range"), bytes.length);
    if (range === "unsatisfiable") {
      headers.set("Content-Range", `bytes */${bytes.length}`);
      return answer(null, 416);
    }
    if (range === null) return answer(bytes, 200);
    headers.set("Content-Range", `bytes ${range[0]}-${range[1] - 1}/${bytes.length}`);
    return answer(bytes.subarray(range[0], range[1]), 206);
  };
}
