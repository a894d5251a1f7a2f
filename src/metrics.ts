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

const F32 = new Float32Array(2);
const F32_BITS = new Uint32Array(F32.buffer);

/**
 * Whether two values have the same binary32 bit pattern (float64 values compared as binary32, the
 * precision of a bounded file's escapes): how a NaN kept as a value is checked.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { sameBits32 } from "./metrics.ts";
 *
 * const negativeNaN = new Float32Array(Uint32Array.of(0xffc00000).buffer)[0];
 * assert.ok(sameBits32(NaN, NaN));
 * assert.ok(!sameBits32(NaN, negativeNaN));
 * assert.ok(!sameBits32(0, -0));
 * ```
 */
export function sameBits32(a: number, b: number): boolean {
  F32[0] = a;
  F32[1] = b;
  return F32_BITS[0] === F32_BITS[1];
}

/**
 * A running {@linkcode ErrorStats}, in float64, for callers that walk the positions themselves
 * (a decoded level samples the original at its own rows and columns). The rule, the one the bound
 * guarantee needs: a position whose original is not a finite number (NaN: missing) is left out
 * and counted in `missing`, since the reader restores it as missing and no bound applies; a finite
 * original whose reconstruction is NaN or infinite is an infinite error, which no bound meets.
 * With `nanBits`, for callers that compare only positions that are not missing, where a NaN is a
 * value (a file in fill mode keeps it exactly): a NaN original is still left out, but only when it
 * came back with its binary32 bits ({@linkcode sameBits32}); anything else is an infinite error.
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
 * const exact = new ErrorTally({ nanBits: true });
 * exact.add(NaN, new Float32Array(Uint32Array.of(0xffc00000).buffer)[0]); // its sign was lost
 * assert.strictEqual(exact.stats().maxAbsError, Infinity);
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
  readonly #nanBits: boolean;

  /**
   * @param options `nanBits`: a NaN original must come back as a NaN with the same binary32
   *   bits, else it is an infinite error. Default false (a NaN original is left out, whatever came
   *   back).
   */
  constructor(options: { nanBits?: boolean } = {}) {
    this.#nanBits = options.nanBits ?? false;
  }

  /**
   * Adds one position.
   *
   * @param original The original value.
   * @param decoded Its reconstruction.
   */
  add(original: number, decoded: number): void {
    if (this.#nanBits && Number.isNaN(original) && !sameBits32(original, decoded)) {
      this.#addError(Infinity);
      return;
    }
    if (!Number.isFinite(original)) {
      this.missing++;
      return;
    }
    const d = Math.abs(decoded - original);
    this.#addError(Number.isNaN(d) ? Infinity : d);
  }

  #addError(e: number): void {
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
 * the largest `|x|` over the values not marked missing and not NaN (`maxAbs` above the float32
 * range means the data cannot be decoded at all). Both are 0 for float32 data's rounding.
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
    const v = values[i];
    if (missing?.[i] || Number.isNaN(v)) continue;
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
    const e = Math.abs(Math.fround(v) - v);
    if (e > rounding) rounding = e;
  }
  return { rounding, maxAbs };
}

/**
 * The fill value in the data's precision: a float32 array holds `Math.fround(fillValue)`, never
 * `fillValue` itself when float32 cannot hold it (`-9999.9` is stored as `-9999.900390625`), so
 * float32 data is compared with that; float64 data with `fillValue` as it is. The one rule of the
 * encoder's scan, the fill value a file records and the CLI's warning.
 *
 * @param fillValue The value that marks missing data.
 * @param values The data (its type decides the precision).
 * @returns The value the data holds where it means "missing".
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { fillInPrecision } from "./metrics.ts";
 *
 * assert.strictEqual(fillInPrecision(-9999.9, new Float32Array(1)), -9999.900390625);
 * assert.strictEqual(fillInPrecision(-9999.9, new Float64Array(1)), -9999.9);
 * ```
 */
export function fillInPrecision(
  fillValue: number,
  values: Float32Array | Float64Array | ArrayLike<number>,
): number {
  return values instanceof Float32Array ? Math.fround(fillValue) : fillValue;
}

/**
 * Whether a value is missing: equal to the fill value when there is one (in the data's precision,
 * {@linkcode fillInPrecision}), else NaN. With a fill value a NaN is not missing: it is a value,
 * kept with its bits (bounded coding stores it exactly), so that NaN and the fill value both come
 * back as they went in. The one rule of the encoder's scan, the header's missing count and the
 * bench.
 *
 * @param v A value.
 * @param fillValue The value that marks missing data, if any.
 * @returns True when `v` is missing.
 */
export function isMissing(v: number, fillValue?: number): boolean {
  return fillValue === undefined ? Number.isNaN(v) : v === fillValue;
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
 * assert.strictEqual(countMissing([1, NaN, -9999, 2], -9999), 1); // the fill value; NaN is a value
 * ```
 */
export function countMissing(values: ArrayLike<number>, fillValue?: number): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (isMissing(values[i], fillValue)) n++;
  return n;
}

/**
 * The smallest and largest values that are neither missing (the fill value, in the data's
 * precision) nor NaN: what a relative bound and a range are taken over. Null when there is none.
 *
 * @param values The data.
 * @param fillValue The value that marks missing data, if any.
 * @returns `{ min, max }`, or null.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { validExtent } from "./metrics.ts";
 *
 * assert.deepStrictEqual(validExtent(new Float32Array([3, NaN, -9999, 1]), -9999), { min: 1, max: 3 });
 * assert.strictEqual(validExtent([NaN]), null);
 * ```
 */
export function validExtent(
  values: Float32Array | Float64Array | ArrayLike<number>,
  fillValue?: number,
): { min: number; max: number } | null {
  const fill = fillValue === undefined ? undefined : fillInPrecision(fillValue, values);
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v || v === fill) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return max >= min ? { min, max } : null;
}
