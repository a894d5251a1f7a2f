/**
 * `--select D=X,D=A:B` of `compress`: split into one selection text per dimension, each resolved
 * by the netCDF reader against the dimension's coordinate variable (`src/io/netcdf/select.ts`).
 *
 * @module
 */

import type { NetcdfSelection } from "../src/io/netcdf/mod.ts";

/**
 * Parses `--select level=0,plev=85000,time=1990-01:1990-12` into a selection text per dimension.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { parseSelect } from "./_select.ts";
 *
 * assert.deepStrictEqual(parseSelect("plev=85000, time=1990-01-15"), {
 *   plev: "85000",
 *   time: "1990-01-15",
 * });
 * assert.throws(() => parseSelect("plev"), /--select must be DIM=/);
 * ```
 */
export function parseSelect(value: string | undefined): Record<string, NetcdfSelection> {
  const out: Record<string, NetcdfSelection> = {};
  if (value === undefined) return out;
  for (const part of value.split(",")) {
    const m = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(part);
    if (!m) {
      throw new Error(
        `--select must be DIM=X or DIM=A:B, comma-separated (X an index, #INDEX, a coordinate value or a date), found "${part}"`,
      );
    }
    if (Object.hasOwn(out, m[1])) throw new Error(`--select gives dimension "${m[1]}" twice`);
    out[m[1]] = m[2];
  }
  return out;
}
