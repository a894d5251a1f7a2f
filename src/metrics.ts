// This module is browser compatible.
/**
 * The one definition of PSNR used everywhere in mrcae (reports, `info`, the bench, training), and
 * of the error of a reconstruction against its original, with its rule for missing values.
 *
 * @module
 */

/**
 * Peak signal-to-noise ratio in dB: `20 log10(range / rmse)`.
 *
 * @param rmse Root mean squared error, in the same units as `range`.
 * @param range `max - min` of the reference data.
 * @returns The PSNR; `Infinity` for an exact reconstruction (`rmse = 0`); `null` when the
 *   reference is constant (`range = 0`), where PSNR is undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { psnr } from "./metrics.ts";
 *
 * assert.strictEqual(psnr(0.01, 1), 40);
 * assert.strictEqual(psnr(0, 1), Infinity);
 * assert.strictEqual(psnr(0.5, 0), null);
 * ```
 */
export function psnr(rmse: number, range: number): number | null {
  if (!(range > 0)) return null;
  return rmse > 0 ? 20 * Math.log10(range / rmse) : Infinity;
}

/** The error of a reconstruction against the original: what {@linkcode errorStats} returns. */
export interface ErrorStats {
  /** Positions compared: those whose original is a finite number. */
  count: number;
  /** Positions left out: the original is missing (NaN) or not finite. */
  missing: number;
  /** Root mean squared error over the compared positions, original units; 0 when none. */
  rmse: number;
  /** Largest absolute error over the compared positions; `Infinity` when one decoded as NaN. */
  maxAbsError: number;
}

/**
 * A running {@linkcode ErrorStats}, in float64, for callers that walk the positions themselves
 * (a decoded level samples the original at its own rows and columns). The rule, the one the bound
 * guarantee needs: a position whose original is not a finite number (NaN: missing) is left out
 * and counted in `missing`, since the reader restores it as missing and no bound applies; a finite
 * original whose reconstruction is NaN or infinite is an infinite error, which no bound meets.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { ErrorTally } from "./metrics.ts";
 *
 * const tally = new ErrorTally();
 * tally.add(1, 1.5);
 * tally.add(NaN, 7); // missing: left out
 * assert.deepStrictEqual(tally.stats(), { count: 1, missing: 1, rmse: 0.5, maxAbsError: 0.5 });
 * tally.add(2, NaN);
 * assert.strictEqual(tally.stats().maxAbsError, Infinity);
 * ```
 */
export class ErrorTally {
  /** Positions compared. */
  count = 0;
  /** Positions left out (original not finite). */
  missing = 0;
  /** Sum of squared errors. */
  sumSquares = 0;
  /** Largest absolute error. */
  maxAbsError = 0;

  /**
   * Adds one position.
   *
   * @param original The original value.
   * @param decoded Its reconstruction.
   */
  add(original: number, decoded: number): void {
    if (!Number.isFinite(original)) {
      this.missing++;
      return;
    }
    const d = Math.abs(decoded - original);
    const e = Number.isNaN(d) ? Infinity : d;
    this.sumSquares += e * e;
    this.count++;
    if (e > this.maxAbsError) this.maxAbsError = e;
  }

  /** The statistics so far. @returns Counts, RMSE and the largest error. */
  stats(): ErrorStats {
    const rmse = this.count > 0 ? Math.sqrt(this.sumSquares / this.count) : 0;
    return { count: this.count, missing: this.missing, rmse, maxAbsError: this.maxAbsError };
  }
}

/**
 * The error of `decoded` against `original`, position by position, with the rule of
 * {@linkcode ErrorTally} (missing originals left out and counted; a NaN reconstruction of a
 * finite value is an infinite error).
 *
 * @param original Reference values.
 * @param decoded The reconstruction, the same length.
 * @returns Counts, RMSE and the largest error.
 * @throws {TypeError} When the lengths differ.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { errorStats } from "./metrics.ts";
 *
 * const s = errorStats([0, 1, NaN, 3, 4], [0, 1.5, NaN, 3, 4]);
 * assert.deepStrictEqual(s, { count: 4, missing: 1, rmse: 0.25, maxAbsError: 0.5 });
 * ```
 */
export function errorStats(original: ArrayLike<number>, decoded: ArrayLike<number>): ErrorStats {
  if (original.length !== decoded.length) {
    throw new TypeError(
      `Cannot compare arrays: lengths differ (${original.length} vs ${decoded.length})`,
    );
  }
  const tally = new ErrorTally();
  for (let i = 0; i < original.length; i++) tally.add(original[i], decoded[i]);
  return tally.stats();
}
