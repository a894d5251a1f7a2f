// This module is browser compatible.
/**
 * The order a netCDF variable is written in: the source's order of its dimensions, when the
 * file records one (`source.dimensionOrder`, SPEC.md §4.8).
 *
 * @module
 */

/**
 * The axes of `names` in the order `order` lists them, or null when `order` is not a
 * permutation of `names` (another length, an unknown or repeated name, not a string): the one
 * check of a `source.dimensionOrder` (SPEC.md §4.8), which a file from a stranger may hold in
 * any form.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { permutationOf } from "./order.ts";
 * assert.deepStrictEqual(permutationOf(["time", "lat", "lon"], ["lat", "time", "lon"]), [1, 0, 2]);
 * assert.strictEqual(permutationOf(["time", "lat", "lon"], ["lat", "lat", "lon"]), null);
 * ```
 */
export function permutationOf(
  names: readonly string[],
  order: readonly unknown[],
): number[] | null {
  if (order.length !== names.length) return null;
  const perm = order.map((d) => typeof d === "string" ? names.indexOf(d) : -1);
  return perm.every((a, k) => a >= 0 && perm.indexOf(a) === k) ? perm : null;
}
