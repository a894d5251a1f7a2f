/**
 * Error and rate metrics of the benchmark. All errors are computed in float64
 * over the finite values of the original; the value range that PSNR and NRMSE
 * use is the range of the original data (not of the reconstruction).
 *
 * @module
 */

import {
  type ErrorStats as BaseErrorStats,
  errorStats as baseErrorStats,
  psnr,
} from "../src/metrics.ts";

/** Error statistics of one reconstruction: those of `src/metrics.ts` and the range's ratios. */
export interface ErrorStats extends BaseErrorStats {
  /** `rmse / range`. */
  nrmse: number;
  /** `20 log10(range / rmse)` in dB; `Infinity` for an exact reconstruction. */
  psnr: number;
}

/** Smallest and largest finite value. */
export function valueRange(data: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/**
 * Compare a reconstruction with the original: `errorStats()` of `src/metrics.ts` (positions where
 * the original is not finite are left out; a non-finite reconstruction of a finite value counts
 * as an infinite error), plus NRMSE and PSNR against `range`.
 *
 * @param original Reference values.
 * @param reconstructed Same length as `original`.
 * @param range Value range for PSNR and NRMSE; default `max - min` of `original`.
 */
export function errorStats(
  original: ArrayLike<number>,
  reconstructed: ArrayLike<number>,
  range?: number,
): ErrorStats {
  const stats = baseErrorStats(original, reconstructed);
  if (range === undefined) {
    const r = valueRange(original);
    range = r.max - r.min;
  }
  return {
    ...stats,
    nrmse: stats.rmse / range,
    // Peers are judged on non-constant data; a constant original has no PSNR.
    psnr: psnr(stats.rmse, range) ?? NaN,
  };
}

/** RMSE that gives `psnr` dB for a value range. */
export function rmseForPsnr(psnr: number, range: number): number {
  return range * 10 ** (-psnr / 20);
}

/**
 * Sample an original `[T, H, W]` stack at given original rows and columns:
 * `out[t][i][j] = original[t][rows[i]][cols[j]]` (indices clamped to the array).
 * A decoded level of the codec lists the original rows and columns it samples.
 */
export function sampleGrid(
  original: Float32Array,
  shape: [number, number, number],
  rows: ArrayLike<number>,
  cols: ArrayLike<number>,
): Float32Array {
  const [T, H, W] = shape;
  const h = rows.length, w = cols.length;
  const out = new Float32Array(T * h * w);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < h; i++) {
      const src = (t * H + Math.min(H - 1, Math.max(0, rows[i]))) * W;
      const dst = (t * h + i) * w;
      for (let j = 0; j < w; j++) {
        out[dst + j] = original[src + Math.min(W - 1, Math.max(0, cols[j]))];
      }
    }
  }
  return out;
}

/** Megabytes (1e6 bytes) per second of raw float32 data. */
export function throughput(rawBytes: number, seconds: number): number {
  return seconds > 0 ? rawBytes / 1e6 / seconds : Infinity;
}

/** Bits per value of a compressed size. */
export function bitsPerValue(compressedBytes: number, values: number): number {
  return (8 * compressedBytes) / values;
}
