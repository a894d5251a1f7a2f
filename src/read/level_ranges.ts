// This module is browser compatible.
/**
 * The byte ranges that decoding one level of a snapshot range reads, so that a cached remote
 * source can fetch them together (adjacent chunks in one request) before the decoder asks for
 * them one by one.
 *
 * @module
 */

import type { ByteRange } from "../transport/cache.ts";
import type { MrcFile } from "./mrc_file.ts";

/** Options of {@linkcode levelRanges}. */
export interface LevelRangesOptions {
  /** Level to decode. Default: the finest. */
  level?: number;
  /** Snapshot range `[start, end)`. Default: all snapshots. */
  snapshots?: [number, number];
}

/** Chunks read when opening (header, report, index) or never by decoding. */
const OPEN_CHUNKS = new Set(["MHDR", "META", "INDX"]);

/**
 * Byte ranges of the chunks that `file.decode(options)` reads: every chunk of levels `0..level`
 * that belongs to no block or to a block holding one of the snapshots, and the file-level chunks
 * other than those opening has read (the missing-value mask). One range per chunk, in file order.
 *
 * @param file The opened file.
 * @param options Level and snapshot range, as for `decode`.
 * @returns The ranges, in file order.
 *
 * @example Prefetch a level through a cached source, then decode it from memory
 * ```ts
 * import assert from "node:assert";
 * import { countingSource, fromBytes } from "../../format/mod.ts";
 * import { cachedSource } from "../transport/mod.ts";
 * import { openMrc } from "./open.ts";
 * import { levelRanges } from "./level_ranges.ts";
 *
 * const bytes = await Deno.readFile(new URL("../../tests/testdata/v1.2-bounded.mrc", import.meta.url));
 * const counted = countingSource(fromBytes(bytes));
 * const source = cachedSource(counted);
 * const file = await openMrc(source);
 * await source.prefetch(levelRanges(file, { level: 1, snapshots: [0, 1] }));
 * const before = counted.reads;
 * await file.decode({ level: 1, snapshots: [0, 1] });
 * assert.strictEqual(counted.reads, before);
 * ```
 */
export function levelRanges(file: MrcFile, options: LevelRangesOptions = {}): ByteRange[] {
  const level = options.level ?? file.levelCount - 1;
  const [start, end] = options.snapshots ?? [0, file.header.shape[0]];
  const blockSize = file.header.blockSize;
  const first = Math.floor(start / blockSize);
  const last = Math.floor((Math.max(start, end - 1)) / blockSize);
  return file.chunks
    .filter((c) =>
      c.level === null
        ? !OPEN_CHUNKS.has(c.type)
        : c.level <= level && (c.block === null || (c.block >= first && c.block <= last))
    )
    .map((c) => ({ offset: c.offset, length: c.length }));
}
