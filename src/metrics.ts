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

/**
 * How far the data is from what a float32 decoder can return: the largest `|fround(x) - x|` and
 * the largest `|x|` over the values not marked missing (`maxAbs` above the float32 range means
 * the data cannot be decoded at all). Both are 0 for float32 data's rounding.
 *
 * @param values The data.
 * @param missing Optional mask, 1 = missing (left out).
 * @returns The largest rounding error and the largest magnitude.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { float32Rounding } from "./metrics.ts";
 *
 * const { rounding, maxAbs } = float32Rounding(Float64Array.of(0.1, -2, 1e300), Uint8Array.of(0, 0, 1));
 * assert.strictEqual(rounding, Math.abs(Math.fround(0.1) - 0.1));
 * assert.strictEqual(maxAbs, 2);
 * ```
 */
export function float32Rounding(
  values: ArrayLike<number>,
  missing?: Uint8Array | null,
): { rounding: number; maxAbs: number } {
  let rounding = 0, maxAbs = 0;
  for (let i = 0; i < values.length; i++) {
    if (missing?.[i]) continue;
    const v = values[i];
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
    const e = Math.abs(Math.fround(v) - v);
    if (e > rounding) rounding = e;
  }
  return { rounding, maxAbs };
}

/**
 * Whether a value is missing: NaN, or equal to the fill value when there is one. The one rule of
 * the encoder's scan, the header's missing count and the bench.
 *
 * @param v A value.
 * @param fillValue The value that marks missing data, if any.
 * @returns True when `v` is missing.
 */
export function isMissing(v: number, fillValue?: number): boolean {
  return Number.isNaN(v) || (fillValue !== undefined && v === fillValue);
}

/**
 * How many values are missing ({@linkcode isMissing}).
 *
 * @param values The data.
 * @param fillValue The value that marks missing data, if any.
 * @returns The count.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { countMissing } from "./metrics.ts";
 *
 * assert.strictEqual(countMissing([1, NaN, -9999, 2]), 1);
 * assert.strictEqual(countMissing([1, NaN, -9999, 2], -9999), 2);
 * ```
 */
export function countMissing(values: ArrayLike<number>, fillValue?: number): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (isMissing(values[i], fillValue)) n++;
  return n;
}
