/**
 * Reading: {@linkcode listNetcdfVariables} and {@linkcode readNetcdf} over a {@linkcode Source}.
 *
 * @module
 */

import type { MrcDimension, MrcSelectedDimension } from "../../../format/attributes.ts";
import type { NetcdfField, NetcdfListing, ReadNetcdfOptions } from "./types.ts";
import { isNumericType, openSource } from "./source.ts";
import {
  auxiliaryVariables,
  coordinate,
  isTimeDimension,
  single,
  textOf,
  variableNote,
} from "./cf.ts";

/**
 * Largest number of values a variable (after selection) may have: 2^28 (1 GiB as float32). The
 * whole selection is held in memory while compressing (about 3 times its float32 size); pass
 * `maxValues` to go higher, or select a time range (`select: { time: [0, 1000] }`).
 */
export const DEFAULT_MAX_VALUES: number = 2 ** 28;

/**
 * Lists the variables of a netCDF file (classic, 64-bit offset or netCDF-4/HDF5) and whether
 * each can be compressed.
 *
 * @param path A local file.
 * @returns The format and the variables.
 * @throws {Error} When the file is missing or not netCDF; the message names the file.
 *
 * @example List the variables of the test fixture
 * ```ts
 * import assert from "node:assert";
 * import { listNetcdfVariables } from "./mod.ts";
 *
 * const path = new URL("../../../tests/testdata/netcdf/small-classic.nc", import.meta.url).pathname;
 * const { format, variables } = await listNetcdfVariables(path);
 * assert.strictEqual(format, "classic");
 * const uwnd = variables.find((v) => v.name === "uwnd")!;
 * assert.deepStrictEqual(uwnd.dimensions.map((d) => d.name), ["time", "lat", "lon"]);
 * assert.ok(uwnd.compressible);
 * ```
 */
export async function listNetcdfVariables(path: string): Promise<NetcdfListing> {
  const source = await openSource(path);
  try {
    return {
      format: source.format,
      variables: source.variables.filter((v) => v.dims.length > 0).map((v) => {
        const { ok, note } = variableNote(source, v);
        return {
          name: v.name,
          type: v.typeName,
          dimensions: v.dims.map((name, i) => ({ name, size: v.shape[i] })),
          longName: textOf(v.attributes.long_name) ?? textOf(v.attributes.standard_name),
          units: textOf(v.attributes.units),
          compressible: ok,
          note,
        };
      }),
    };
  } finally {
    source.close();
  }
}
/**
 * Reads one variable of a netCDF file as a field for `compress()`: selection applied, CF missing
 * values as NaN, packed integers unpacked, time first, and the attributes to store with it.
 *
 * @param path A local file (netCDF classic, 64-bit offset or netCDF-4/HDF5).
 * @param options The variable, the selection and the size limit.
 * @returns The field.
 * @throws {Error} With the file, the variable and what is wrong: no such variable, a type that
 *   is not numeric, a dimension that is not time, too many dimensions without a selection, bad
 *   packing attributes, a selection out of range, or more values than `maxValues`.
 *
 * @example Read packed shorts: missing values become NaN, the rest is unpacked
 * ```ts
 * import assert from "node:assert";
 * import { readNetcdf } from "./mod.ts";
 *
 * const path = new URL("../../../tests/testdata/netcdf/small-classic.nc", import.meta.url).pathname;
 * const field = await readNetcdf(path, { variable: "uwnd" });
 * assert.deepStrictEqual(field.shape, [8, 9, 12]);
 * assert.strictEqual(field.missing, 8 * 7); // a 2 x 3 hole and one missing_value per snapshot
 * assert.strictEqual(field.attributes.variable.attributes.units.value, "m/s");
 * assert.deepStrictEqual(field.attributes.dimensions.map((d) => d.name), ["time", "lat", "lon"]);
 * ```
 */
export async function readNetcdf(path: string, options: ReadNetcdfOptions): Promise<NetcdfField> {
  const field = await openNetcdfField(path, options);
  try {
    const count = field.shape.reduce((a, b) => a * b, 1);
    const maxValues = options.maxValues ?? DEFAULT_MAX_VALUES;
    if (count > maxValues) {
      throw new Error(
        `${path}: variable "${options.variable}" has ${count} values (${
          field.shape.join(" x ")
        }) after selection, above the limit of ${maxValues} held in memory: select a time range (--select ${
          field.attributes.dimensions[0].name
        }=0:N), compress it with --stream (read a block at a time), or raise the limit`,
      );
    }
    const data = field.read(0, field.shape.length === 3 ? field.shape[0] : 1);
    let missing = 0;
    for (let i = 0; i < data.length; i++) if (Number.isNaN(data[i])) missing++;
    return { data, shape: field.shape, missing, attributes: field.attributes };
  } finally {
    field.close();
  }
}

/** A netCDF variable opened for reading in slabs of its leading dimension. */
export interface NetcdfSlabs {
  /** `[T, H, W]` (time first) or `[H, W]`, after selection. */
  shape: number[];
  /** Element type of what `read` returns (as {@linkcode readNetcdf}'s `data`). */
  dtype: "float32" | "float64";
  /** The attributes to store: those {@linkcode readNetcdf} gives for the whole selection. */
  attributes: NetcdfField["attributes"];
  /**
   * Entries `t0 .. t1 - 1` of the leading dimension (of a 2-D variable, `0, 1`: the field),
   * unpacked, CF missing values as NaN.
   */
  read(t0: number, t1: number): Float32Array | Float64Array;
  /** Closes the file. */
  close(): void;
}

/**
 * Opens one variable of a netCDF file for reading a slab of its leading (time) dimension at a
 * time: the same values and attributes as {@linkcode readNetcdf}, with no limit on the size, for
 * inputs larger than memory. The caller closes it. A classic-format file is held in memory by
 * its library (netcdfjs), a netCDF-4 file is read by slices.
 *
 * @param path A local file.
 * @param options The variable and the selection (`maxValues` does not apply).
 * @returns The open variable.
 * @throws {Error} As {@linkcode readNetcdf}.
 */
export async function openNetcdfField(
  path: string,
  options: ReadNetcdfOptions,
): Promise<NetcdfSlabs> {
  const name = options.variable;
  const source = await openSource(path);
  try {
    const where = `${path}: variable "${name}"`;
    const v = source.variables.find((x) => x.name === name);
    if (!v) {
      const names = source.variables.filter((x) => variableNote(source, x).ok).map((x) => x.name);
      throw new Error(
        `${path}: no variable "${name}" (compressible: ${names.join(", ") || "none"})`,
      );
    }
    if (!isNumericType(v.type)) {
      throw new Error(`${where} has type ${v.typeName}, expected a numeric type`);
    }
    // Selection: indices drop a dimension, ranges narrow it.
    const select = options.select ?? {};
    for (const d of Object.keys(select)) {
      if (!v.dims.includes(d)) {
        throw new Error(
          `${where} has no dimension "${d}" to select (its dimensions: ${v.dims.join(", ")})`,
        );
      }
    }
    const ranges: [number, number][] = [];
    const kept: number[] = [];
    const selected: MrcSelectedDimension[] = [];
    v.dims.forEach((d, i) => {
      const size = v.shape[i];
      const s = select[d];
      if (s === undefined) {
        ranges.push([0, size]);
        kept.push(i);
      } else if (typeof s === "number") {
        if (!Number.isInteger(s) || s < 0 || s >= size) {
          throw new Error(`${where}: index ${s} of dimension "${d}" is outside 0..${size - 1}`);
        }
        ranges.push([s, s + 1]);
        selected.push({ name: d, size, ...coordinate(source, d, size), index: s });
      } else {
        const [a, b] = s;
        if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b > size || a >= b) {
          throw new Error(
            `${where}: range ${a}:${b} of dimension "${d}" is not within 0:${size} or is empty`,
          );
        }
        ranges.push([a, b]);
        kept.push(i);
      }
    });
    const keptDims = kept.map((i) => v.dims[i]);
    if (keptDims.length < 2 || keptDims.length > 3) {
      const hint = keptDims.length > 3
        ? `: fix one dimension to an index (e.g. --select ${
          keptDims.filter((d) => !isTimeDimension(source, d)).slice(0, -2).map((d) => `${d}=0`)
            .join(" or ")
        })`
        : "";
      throw new Error(
        `${where} has dimensions (${keptDims.join(", ")}) after selection, expected 2 or 3${hint}`,
      );
    }
    if (keptDims.length === 3) {
      const time = keptDims.findIndex((d) => isTimeDimension(source, d));
      if (time > 0) {
        throw new Error(
          `${where}: time dimension "${keptDims[time]}" is axis ${time} of (${
            keptDims.join(", ")
          }), only a leading time dimension is supported: select one index of "${keptDims[0]}"`,
        );
      }
      // Without a time dimension the leading one is the stack (a level, an ensemble member): it
      // compresses the same way and is recorded under its own name.
    }
    const shape = kept.map((i) => ranges[i][1] - ranges[i][0]);
    // CF packing and missing values, compared in the stored type.
    const attrs = v.attributes;
    const scale = attrs.scale_factor;
    const offset = attrs.add_offset;
    for (const [key, a] of [["scale_factor", scale], ["add_offset", offset]] as const) {
      if (a !== undefined && (single(a) === null || !Number.isFinite(single(a)!))) {
        throw new Error(
          `${where}: packed data with an unusable ${key} (${
            JSON.stringify(a.value)
          }): expected one finite number`,
        );
      }
    }
    const fills = [attrs._FillValue, attrs.missing_value]
      .flatMap((a) => a && typeof a.value !== "string" ? a.value : []);
    const packed = scale !== undefined || offset !== undefined;
    const wide = v.type === "double" || v.type === "int" || v.type === "uint" ||
      v.type === "int64" || v.type === "uint64" || scale?.type === "double" ||
      offset?.type === "double";
    const k = single(scale) ?? 1;
    const b = single(offset) ?? 0;
    const dimensions: MrcDimension[] = kept.map((i) => {
      const d = v.dims[i];
      const [a, e] = ranges[i];
      const c = coordinate(source, d, v.shape[i]);
      return { name: d, size: e - a, ...c, values: c.values ? c.values.slice(a, e) : null };
    });
    // The variables its attributes name, and 1-D ones on its dimensions (lat on latitude).
    const variables = auxiliaryVariables(
      source,
      v,
      new Map(kept.map((i) => [v.dims[i], ranges[i]])),
    );
    const lead = kept.length === 3 ? kept[0] : -1;
    const read = (t0: number, t1: number) => {
      const slab = ranges.map((r) => [r[0], r[1]] as [number, number]);
      if (lead >= 0) {
        if (
          !(Number.isInteger(t0) && Number.isInteger(t1) && 0 <= t0 && t0 < t1 && t1 <= shape[0])
        ) {
          throw new RangeError(`${where}: cannot read entries ${t0}..${t1 - 1} of ${shape[0]}`);
        }
        slab[lead] = [ranges[lead][0] + t0, ranges[lead][0] + t1];
      }
      const raw = source.read(v, slab);
      const count = raw.length;
      const data = wide ? new Float64Array(count) : new Float32Array(count);
      for (let i = 0; i < count; i++) {
        const x = raw[i];
        data[i] = Number.isNaN(x) || fills.includes(x) ? NaN : packed ? x * k + b : x;
      }
      return data;
    };
    return {
      shape,
      dtype: wide ? "float64" : "float32",
      read,
      close: () => source.close(),
      attributes: {
        variable: { name, type: v.type!, attributes: attrs },
        dimensions,
        selected,
        global: source.global,
        source: {
          format: source.format,
          file: path.replace(/^.*[\\/]/, ""),
          ...(kept.some((i) => ranges[i][0] !== 0 || ranges[i][1] !== v.shape[i])
            ? { ranges: Object.fromEntries(kept.map((i) => [v.dims[i], ranges[i]])) }
            : {}),
          ...(Object.keys(variables).length > 0 ? { variables } : {}),
        },
      },
    };
  } catch (e) {
    source.close();
    throw e;
  }
}
