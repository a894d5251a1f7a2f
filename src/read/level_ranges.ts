// This module is browser compatible.
/**
 * The byte ranges that decoding one level of a snapshot range reads, so that a cached remote
 * source can fetch them together (adjacent chunks in one request) before the decoder asks for
 * them one by one.
 *
 * @module
 */

import type { ByteRange } from "../transport/cache.ts";
import { CHUNK_TYPES } from "../../format/chunks.ts";
import { decodeEngine } from "./engine.ts";
import type { MrcFile } from "./mrc_file.ts";

/** Options of {@linkcode levelRanges}. */
export interface LevelRangesOptions {
  /** Level to decode. Default: the finest. */
  level?: number;
  /** Snapshot range `[start, end)`. Default: all snapshots. */
  snapshots?: [number, number];
}

/**
 * Byte ranges of the chunks that `file.decode(options)` reads: those its decode engine lists
 * (the level chunks of levels `0..level` of the blocks holding the snapshots, less the levels the
 * file's coder cache holds of a bounded file's blocks) and the missing-value mask; not those opening has read, nor the attributes or unknown types, which
 * decoding never reads. One range per chunk, in file order.
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
  const header = file.header;
  const level = options.level ?? file.levelCount - 1;
  const [start, end] = options.snapshots ?? [0, header.shape[0]];
  // Only the chunk list: no budget applies to a plan.
  const request = { level, start, end, every: false };
  // Bounded files: a block's levels the coder cache holds are not read again.
  const keys = new Set(
    decodeEngine(header, request, Infinity).needs
      .filter((c) => c.block === null || c.level >= file.cachedLevels(c.block))
      .map((c) => `${c.type}/${c.level}/${c.block}`),
  );
  if (header.missing.mode !== "none") keys.add(`${CHUNK_TYPES.missingMask}/null/null`);
  return file.chunks
    .filter((c) => keys.has(`${c.type}/${c.level}/${c.block}`))
    .map((c) => ({ offset: c.offset, length: c.length }));
}
