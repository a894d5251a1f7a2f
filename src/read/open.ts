// This module is browser compatible.
/**
 * Opening a `.mrc` file from whatever the caller has: bytes, a path (Deno), a URL (HTTP range
 * requests) or any range source.
 *
 * @module
 */

import { openContainer } from "../../format/reader.ts";
import { fromBytes, fromFileHandle, fromUrl, type RangeSource } from "../../format/source.ts";
import { MrcFile } from "./mrc_file.ts";

/** What {@linkcode openMrc} accepts. */
export type MrcInput = Uint8Array | URL | string | RangeSource;

/** Options of {@linkcode openMrc}. */
export interface OpenMrcOptions {
  /** Cancels the reads of opening. */
  signal?: AbortSignal;
  /** Replaces the global `fetch` for `http:`/`https:` URLs. */
  fetch?: typeof fetch;
}

/**
 * Opens a `.mrc` file: reads the trailer, the index and the header (three small reads). Nothing
 * else is read until a level is decoded.
 *
 * @param input The file's bytes, a URL (`http:`, `https:` or `file:`), a local path (Deno), or a
 *   range source.
 * @param options `signal` cancels reads; `fetch` replaces the global fetch for URLs.
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
  return new MrcFile(await openContainer(source, { signal: options.signal }));
}

async function toSource(input: MrcInput, options: OpenMrcOptions): Promise<RangeSource> {
  if (input instanceof Uint8Array) return fromBytes(input);
  if (typeof input === "object" && input !== null && "read" in input && "byteLength" in input) {
    return input as RangeSource;
  }
  const url = input instanceof URL
    ? input
    : /^[a-z][a-z0-9+.-]*:\/\//i.test(input)
    ? new URL(input)
    : null;
  if (url && (url.protocol === "http:" || url.protocol === "https:")) {
    return await fromUrl(url, { fetch: options.fetch, signal: options.signal });
  }
  // A local file: only where a file system API exists (Deno).
  const deno = (globalThis as { Deno?: { open(p: string | URL): Promise<unknown> } }).Deno;
  if (!deno) {
    throw new TypeError(
      `Cannot open ${String(input)}: no file system here; pass bytes or an http(s) URL`,
    );
  }
  const handle = await deno.open(url ?? (input as string));
  return await fromFileHandle(handle as Parameters<typeof fromFileHandle>[0]);
}
