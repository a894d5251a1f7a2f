// This module is browser compatible.
/**
 * Error of a decoded level against the original array, sampled where the level samples it.
 *
 * @module
 */

import type { DecodedLevel } from "./output.ts";
import { psnr } from "../metrics.ts";

/** RMSE, PSNR and max abs error of a decoded level. */
export interface LevelMetrics {
  /** Root mean squared error, original units. */
  rmse: number;
  /** `psnr()` of `src/metrics.ts` with the original's value range; null for a constant original. */
  psnr: number | null;
  /** Largest absolute error, original units. */
  maxAbsError: number;
  /** Values compared (missing ones are skipped). */
  count: number;
}

/**
 * Compares a decoded level with the original `[T, H, W]` array at the positions the level samples
 * (`decoded.rows`, `decoded.cols`), skipping NaN in the original.
 *
 * @param decoded A level from `MrcFile.decode()`.
 * @param original The original values, C order.
 * @param shape The original `[T, H, W]`.
 * @returns The error metrics.
 */
export function levelMetrics(
  decoded: DecodedLevel,
  original: ArrayLike<number>,
  shape: readonly [number, number, number],
): LevelMetrics {
  const [, H, W] = shape;
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < original.length; i++) {
    const v = original[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const [n, nr, nc] = decoded.shape;
  let sum = 0, count = 0, worst = 0;
  for (let t = 0; t < n; t++) {
    const src = (decoded.snapshots[0] + t) * H * W;
    for (let i = 0; i < nr; i++) {
      const row = src + decoded.rows[i] * W;
      for (let j = 0; j < nc; j++) {
        const o = original[row + decoded.cols[j]];
        if (Number.isNaN(o)) continue;
        const e = Math.abs(decoded.data[(t * nr + i) * nc + j] - o);
        sum += e * e;
        count++;
        if (e > worst) worst = e;
      }
    }
  }
  const rmse = count > 0 ? Math.sqrt(sum / count) : 0;
  const range = max - min;
  return {
    rmse,
    psnr: psnr(rmse, range),
    maxAbsError: worst,
    count,
  };
}
