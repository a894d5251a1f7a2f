// This module is browser compatible.
/**
 * Error of a decoded level against the original array, sampled where the level samples it.
 *
 * @module
 */

import type { DecodedLevel } from "./output.ts";
import { ErrorTally, psnr } from "../metrics.ts";

/** RMSE, PSNR and max abs error of a decoded level. */
export interface LevelMetrics {
  /** Root mean squared error, original units. */
  rmse: number;
  /** `psnr()` of `src/metrics.ts` with the original's value range; null for a constant original. */
  psnr: number | null;
  /** Largest absolute error, original units; `Infinity` when a value decoded as NaN. */
  maxAbsError: number;
  /** Values compared (missing ones are skipped). */
  count: number;
}

/**
 * Compares a decoded level with the original `[T, H, W]` array at the positions the level samples
 * (`decoded.rows`, `decoded.cols`), with the rule of `ErrorTally` in `src/metrics.ts`: positions
 * missing (NaN) in the original are skipped, and a NaN decoded for a finite original is an
 * infinite error.
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
  const tally = new ErrorTally();
  for (let t = 0; t < n; t++) {
    const src = (decoded.snapshots[0] + t) * H * W;
    for (let i = 0; i < nr; i++) {
      const row = src + decoded.rows[i] * W;
      for (let j = 0; j < nc; j++) {
        tally.add(original[row + decoded.cols[j]], decoded.data[(t * nr + i) * nc + j]);
      }
    }
  }
  const { rmse, maxAbsError, count } = tally.stats();
  return { rmse, psnr: psnr(rmse, max - min), maxAbsError, count };
}
