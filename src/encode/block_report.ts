// This module is browser compatible.
/**
 * What a bounded file's report and learned-prediction choice need from each coded block, and the
 * one definition of how they are combined: used by one compression in memory (`bounded.ts`),
 * by block-wise compression (`blockwise.ts`: streamed input, shards) and by `merge`, so that the
 * three give the same file for the same blocks.
 *
 * @module
 */

import type { LevelCodingStats } from "../bounded/block_coder.ts";
import { psnr } from "../metrics.ts";
import type { BoundedLevelReport } from "./bounded.ts";

/** A coded block as the report sees it. */
export interface BlockFigures {
  /** Per level, the coded bytes (after the snapshot count; records of learned files included). */
  bytes: number[];
  /** Per level, the coder's counts. */
  stats: LevelCodingStats[];
  /** Per level: `[count, sumSquares, maxAbsError]`, unrounded. */
  tallies: [number, number, number][];
}

/** A coded block as the learned-prediction choice sees it. */
export interface BlockSizes {
  /** Whether the block's own coding is learned. */
  learned: boolean;
  /** Its coded bytes, all levels. */
  size: number;
  /** With predictor `"auto"` and `learned`: the size of its fixed coding; else null. */
  fixedSize: number | null;
}

/**
 * Whether a file whose blocks include learned ones stays learned (SPEC.md §4.7.5): it does unless
 * every learned block has a fixed coding (predictor `"auto"`) and the fixed file is no larger
 * than the learned one with the 2-byte records per level above 0 that its fixed blocks then need,
 * so that `"auto"` is never larger than the fixed interpolation.
 *
 * @param blocks Every block in order.
 * @param levels The file's level count.
 */
export function keepsLearned(blocks: readonly BlockSizes[], levels: number): boolean {
  if (!blocks.some((b) => b.learned)) return false;
  const records = 2 * (levels - 1);
  const withRecords = blocks.reduce((a, b) => a + b.size + (b.learned ? 0 : records), 0);
  const fixed = blocks.reduce((a, b) => a + (b.fixedSize ?? b.size), 0);
  return !(blocks.every((b) => !b.learned || b.fixedSize !== null) && withRecords >= fixed);
}

/** The 10 figures of one level of one block, as a shard's `META` stores them (SPEC.md §4.1.2). */
export function levelFigures(b: BlockFigures, k: number): number[] {
  const s = b.stats[k];
  return [b.bytes[k], s.nonzero, s.escapes, ...s.modes, s.zeroLevels, ...b.tallies[k]];
}

/** The inverse of {@linkcode levelFigures}. */
export function fromLevelFigures(levels: readonly (readonly number[])[]): BlockFigures {
  return {
    bytes: levels.map((f) => f[0]),
    stats: levels.map((f) => ({
      nonzero: f[1],
      escapes: f[2],
      modes: [f[3], f[4], f[5]] as [number, number, number],
      zeroLevels: f[6],
    })),
    tallies: levels.map((f) => [f[7], f[8], f[9]] as [number, number, number]),
  };
}

/**
 * Every level's report from the blocks' figures, summed in block order: the errors of level `k`
 * are over every point of levels `0 .. k`, as the decoder of level `k` returns them.
 *
 * @param blocks Every block in order.
 * @param shape The file's `[T, H, W]`.
 * @param levels The level count.
 * @param range The data's range (max - min), for the PSNR.
 */
export function levelReports(
  blocks: Iterable<BlockFigures>,
  shape: readonly [number, number, number],
  levels: number,
  range: number,
): BoundedLevelReport[] {
  const [, H, W] = shape;
  const N = levels;
  const stats: LevelCodingStats[] = Array.from({ length: N }, () => ({
    nonzero: 0,
    escapes: 0,
    modes: [0, 0, 0],
    zeroLevels: 0,
  }));
  const tallies = Array.from({ length: N }, () => ({ count: 0, sumSquares: 0, maxAbsError: 0 }));
  const bytes = new Array<number>(N).fill(0);
  for (const b of blocks) {
    for (let k = 0; k < N; k++) {
      bytes[k] += b.bytes[k];
      const st = stats[k], s = b.stats[k];
      st.nonzero += s.nonzero;
      st.escapes += s.escapes;
      for (let m = 0; m < 3; m++) st.modes[m] += s.modes[m];
      st.zeroLevels += s.zeroLevels;
      const [count, sumSquares, maxAbsError] = b.tallies[k];
      tallies[k].count += count;
      tallies[k].sumSquares += sumSquares;
      tallies[k].maxAbsError = Math.max(tallies[k].maxAbsError, maxAbsError);
    }
  }
  const out: BoundedLevelReport[] = [];
  let sum = 0, count = 0, max = 0;
  for (let k = 0; k < N; k++) {
    sum += tallies[k].sumSquares;
    count += tallies[k].count;
    max = Math.max(max, tallies[k].maxAbsError);
    const s = 2 ** (N - 1 - k);
    const rmse = Math.sqrt(count > 0 ? sum / count : 0);
    out.push({
      level: k,
      grid: [Math.floor(H / s), Math.floor(W / s)],
      rmse,
      psnr: psnr(rmse, range),
      maxAbsError: max,
      bytes: bytes[k],
      ...stats[k],
    });
  }
  return out;
}
