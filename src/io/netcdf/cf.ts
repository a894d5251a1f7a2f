/**
 * CF conventions, both ways: the time dimension, which variables compress as they are,
 * coordinate variables, on reading, and the attributes of the unpacked output on writing
 * (`_FillValue`, `missing_value`, `scale_factor`/`add_offset`, `valid_*`).
 *
 * @module
 */

import type { MrcAttribute, MrcDimension } from "../../../format/attributes.ts";
import { isNumericType, type Source, type Variable } from "./source.ts";

const TIME_NAMES = new Set(["time", "t", "times", "date", "valid_time"]);

/** Whether a dimension is time: by name, or by the attributes of its coordinate variable. */
export function isTimeDimension(source: Source, name: string): boolean {
  if (TIME_NAMES.has(name.toLowerCase())) return true;
  const coord = source.variables.find((v) => v.name === name && v.dims.length === 1);
  if (!coord) return false;
  const text = (key: string) => {
    const a = coord.attributes[key];
    return a && typeof a.value === "string" ? a.value.trim() : "";
  };
  return text("axis").toUpperCase() === "T" || text("standard_name") === "time" ||
    /^\w+\s+since\s+\S/.test(text("units"));
}

export function single(a: MrcAttribute | undefined): number | null {
  if (!a || typeof a.value === "string" || a.value.length !== 1) return null;
  return a.value[0];
}

export function textOf(a: MrcAttribute | undefined): string | null {
  return a && typeof a.value === "string" ? a.value : null;
}

/** The shape check of {@linkcode listNetcdfVariables}: null when compressible as is. */
export function variableNote(source: Source, v: Variable): { ok: boolean; note: string | null } {
  if (!isNumericType(v.type)) return { ok: false, note: `type ${v.typeName} is not numeric` };
  const rank = v.dims.length;
  if (rank < 2) return { ok: false, note: `${rank}-D` };
  if (rank > 4) return { ok: false, note: `${rank}-D (at most 4)` };
  const time = v.dims.findIndex((d) => isTimeDimension(source, d));
  if (rank === 4) {
    return {
      ok: true,
      note: `4-D: select one index of ${
        v.dims.filter((_, i) => i !== time).slice(0, -2).join(" or ")
      }`,
    };
  }
  if (rank === 3 && time !== 0) {
    return {
      ok: true,
      note: time < 0
        ? `no time dimension: select one index of ${v.dims[0]}, or compress ${v.dims[0]} as time`
        : `time is axis ${time}: select one index of ${v.dims[0]}`,
    };
  }
  return { ok: true, note: null };
}

/** The coordinate variable of a dimension, read whole (or null). */
export function coordinate(
  source: Source,
  name: string,
  size: number,
): Omit<MrcDimension, "size" | "name"> {
  const coord = source.variables.find((v) =>
    v.name === name && v.dims.length === 1 && v.dims[0] === name && isNumericType(v.type)
  );
  if (!coord || coord.shape[0] !== size) return { values: null, type: "double", attributes: {} };
  const values = Array.from(source.read(coord, [[0, size]]));
  return { values, type: coord.type!, attributes: coord.attributes };
}

/** netCDF-C's default fill values (`NC_FILL_FLOAT`, `NC_FILL_DOUBLE`). */
const DEFAULT_FILL = { float: 9.969209968386869e36, double: 9.969209968386869e36 };

/**
 * The variable's attributes for the unpacked output: packing attributes removed, values in
 * packed units (fill, missing, valid range) unpacked, `_FillValue` of the output type.
 */
export function outputAttributes(
  attributes: Record<string, MrcAttribute>,
  type: "float" | "double",
  hasMissing: boolean,
): { attributes: Record<string, MrcAttribute>; fill: number | null } {
  const scale = single(attributes.scale_factor);
  const offset = single(attributes.add_offset);
  const packed = scale !== null || offset !== null;
  const unpack = (x: number) => x * (scale ?? 1) + (offset ?? 0);
  const out: Record<string, MrcAttribute> = {};
  let fill: number | null = null;
  for (const [name, a] of Object.entries(attributes)) {
    if (name === "scale_factor" || name === "add_offset") continue;
    if (name === "_FillValue") {
      fill = packed ? null : single(a);
      continue;
    }
    if (name === "missing_value") {
      if (!packed && typeof a.value !== "string") out[name] = { type, value: a.value };
      continue;
    }
    if (packed && /^valid_(range|min|max)$/.test(name) && typeof a.value !== "string") {
      out[name] = { type, value: a.value.map(unpack) };
      continue;
    }
    out[name] = a;
  }
  if (fill === null && hasMissing) fill = DEFAULT_FILL[type];
  if (fill !== null) out._FillValue = { type, value: [fill] };
  return { attributes: out, fill };
}
