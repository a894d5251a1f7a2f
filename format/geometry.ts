// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * Geometry derived from a header (SPEC.md §4.1.1, §4.5): blocks of snapshots, code streams and
 * their layout, and the crop of each level to the original extent.
 *
 * @module
 */

import type { MrcHeader } from "./header.ts";

/**
 * Number of `CODE` blocks per level: `ceil(T / blockSize)`.
 *
 * @param header A valid header.
 * @returns The block count.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { blockCount, type MrcHeader } from "./mod.ts";
 *
 * assert.strictEqual(blockCount({ shape: [5, 1, 1], blockSize: 2 } as MrcHeader), 3);
 * ```
 */
export function blockCount(header: MrcHeader): number {
  return Math.ceil(header.shape[0] / header.blockSize);
}

/**
 * Number of snapshots in block `block`: `blockSize`, except for a shorter last block.
 *
 * @param header A valid header.
 * @param block Block index in `0 .. blockCount(header) - 1`.
 * @returns The snapshot count.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { blockSnapshotCount, type MrcHeader } from "./mod.ts";
 *
 * assert.strictEqual(blockSnapshotCount({ shape: [5, 1, 1], blockSize: 2 } as MrcHeader, 2), 1);
 * ```
 */
export function blockSnapshotCount(header: MrcHeader, block: number): number {
  return Math.max(0, Math.min(header.blockSize, header.shape[0] - block * header.blockSize));
}

/**
 * Number of `CODE` streams of a level: the base stream (level 0 only) plus one per channel of
 * every group.
 *
 * @param header A valid header.
 * @param level Level index.
 * @returns The stream count.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { codeStreamCount, type MrcHeader } from "./mod.ts";
 *
 * const header = { levels: [{ groups: [2, 1] }, { groups: [3] }] } as MrcHeader;
 * assert.strictEqual(codeStreamCount(header, 0), 4);
 * assert.strictEqual(codeStreamCount(header, 1), 3);
 * ```
 */
export function codeStreamCount(header: MrcHeader, level: number): number {
  return streamLayout(header.levels[level].groups, level === 0).count;
}

/** Where each stream of a level sits in its `CODE` blocks (see {@linkcode streamLayout}). */
export interface StreamLayout {
  /** Number of streams. */
  count: number;
  /** Index of the base stream (level 0), or `null` (levels above 0 have none). */
  base: number | null;
  /** Index of the first stream of each group: group `g` owns `groups[g]` streams from there. */
  groupStart: number[];
  /** The group of each stream; `-1` for the base stream. */
  groupOf: number[];
}

/**
 * The stream order of a level (SPEC.md §4.6): the base stream first (level 0 only), then the
 * channels of each widening group, group by group. The one definition of this order: the writer,
 * both readers, the decoder and the encoder all take it from here.
 *
 * @param groups Channels of each group of the level.
 * @param hasBase Whether the level has a base stream (level 0).
 * @returns The layout.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { streamLayout } from "./mod.ts";
 *
 * const layout = streamLayout([2, 1], true);
 * assert.strictEqual(layout.count, 4);
 * assert.strictEqual(layout.base, 0);
 * assert.deepStrictEqual(layout.groupStart, [1, 3]);
 * assert.deepStrictEqual(layout.groupOf, [-1, 0, 0, 1]);
 * ```
 */
export function streamLayout(groups: readonly number[], hasBase: boolean): StreamLayout {
  const groupOf: number[] = hasBase ? [-1] : [];
  const groupStart: number[] = [];
  groups.forEach((channels, g) => {
    groupStart.push(groupOf.length);
    for (let c = 0; c < channels; c++) groupOf.push(g);
  });
  return { count: groupOf.length, base: hasBase ? 0 : null, groupStart, groupOf };
}

/** Part of a level grid that covers the original array (see {@linkcode levelCrop}). */
export interface LevelCrop {
  /** First level-grid row inside the original extent. */
  top: number;
  /** First level-grid column inside the original extent. */
  left: number;
  /** Number of rows (at least 1). */
  height: number;
  /** Number of columns (at least 1). */
  width: number;
}

/**
 * Where the original extent lies on level `level` (SPEC.md §4.1.1): with `s = 2^(N-1-level)`,
 * level pixel `i` is finest pixel `s * (i + 1) - 1` (each coarser level keeps window centres),
 * and the crop keeps rows `i` with `top <= s * (i + 1) - 1 <= top + H - 1` (same for columns), or
 * the one nearest row when none qualifies.
 *
 * @param header A valid header.
 * @param level Level index.
 * @returns The crop on the level grid.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { levelCrop, type MrcHeader } from "./mod.ts";
 *
 * const header = {
 *   shape: [1, 13, 10], grid: [15, 11], crop: [1, 0],
 *   levels: [{ grid: [7, 5] }, { grid: [15, 11] }],
 * } as MrcHeader;
 * assert.deepStrictEqual(levelCrop(header, 1), { top: 1, left: 0, height: 13, width: 10 });
 * assert.deepStrictEqual(levelCrop(header, 0), { top: 0, left: 0, height: 7, width: 5 });
 * ```
 */
export function levelCrop(header: MrcHeader, level: number): LevelCrop {
  if (!Number.isInteger(level) || level < 0 || level >= header.levels.length) {
    throw new RangeError(
      `Cannot compute crop of level ${level}: the file has levels 0..${header.levels.length - 1}`,
    );
  }
  const s = 2 ** (header.levels.length - 1 - level);
  const [, height, width] = header.shape;
  const [top, left] = header.crop;
  const [gh, gw] = header.levels[level].grid;
  // The fallback row of an extent narrower than `s` may fall one past the level grid: clamp it
  // (SPEC.md §4.1.1).
  const [r0, rows] = axisCrop(top, height, s);
  const [c0, cols] = axisCrop(left, width, s);
  return { top: Math.min(r0, gh - 1), left: Math.min(c0, gw - 1), height: rows, width: cols };
}

/**
 * Finest-grid index of level pixel `i` when the level is `stride = 2^(N-1-k)` times coarser
 * (SPEC.md §4.1.1): each coarser level keeps the centre `2i + 1` of every 3x3 stride-2 window, so
 * level pixel `i` is finest pixel `stride * (i + 1) - 1`.
 *
 * @param i Level pixel (row or column).
 * @param stride `2^(N-1-k)`.
 * @returns The finest-grid index.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { finestIndex } from "./mod.ts";
 *
 * assert.strictEqual(finestIndex(0, 4), 3);
 * assert.strictEqual(finestIndex(2, 1), 2);
 * ```
 */
export function finestIndex(i: number, stride: number): number {
  return stride * (i + 1) - 1;
}

/**
 * Level pixels `[first, count]` whose finest sample `s * (i + 1) - 1` lies in
 * `[start, start + length)`; the nearest one when none does (SPEC.md §4.1.1), which may lie one
 * past the level grid: {@linkcode levelCrop} clamps it.
 *
 * @param start First finest-grid row (column) of the original extent.
 * @param length Rows (columns) of the original extent.
 * @param s The level's stride `2^(N-1-k)`.
 * @returns `[first, count]` on the level grid.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { axisCrop } from "./mod.ts";
 *
 * assert.deepStrictEqual(axisCrop(1, 13, 2), [0, 7]);
 * ```
 */
export function axisCrop(start: number, length: number, s: number): [number, number] {
  const first = Math.ceil((start + 1) / s) - 1;
  const last = Math.floor((start + length) / s) - 1;
  // Math.round rounds halves up, as SPEC.md §4.1.1 says (`floor(x + 1/2)`).
  if (last < first) return [Math.max(0, Math.round((start + (length - 1) / 2 + 1) / s) - 1), 1];
  return [first, last - first + 1];
}
