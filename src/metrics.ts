// This module is browser compatible.
/**
 * The one definition of PSNR used everywhere in mrcae (reports, `info`, the bench, training).
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
