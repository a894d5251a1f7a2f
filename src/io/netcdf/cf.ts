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

/** The group path of a variable named `forecast/t2m`: `"forecast"` (`""` in the root group). */
export function groupOf(name: string): string {
  const cut = name.lastIndexOf("/");
  return cut < 0 ? "" : name.slice(0, cut);
}

/**
 * The coordinate variable of dimension `name` as seen from `group`: in that group or the nearest
 * group above it that has one (netCDF-4's scoping of dimensions), or undefined.
 */
export function coordinateVariable(
  source: Source,
  name: string,
  group = "",
): Variable | undefined {
  for (let g = group;; g = groupOf(g)) {
    const path = g === "" ? name : `${g}/${name}`;
    const v = source.variables.find((x) => x.name === path && x.dims.length === 1);
    if (v || g === "") return v;
  }
}

/** Whether a dimension is time: by name, or by the attributes of its coordinate variable. */
export function isTimeDimension(source: Source, name: string, group = ""): boolean {
  if (TIME_NAMES.has(name.toLowerCase())) return true;
  const coord = coordinateVariable(source, name, group);
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

/**
 * The variable whose `bounds` or `climatology` attribute names `v` (CF 7.1: the cell boundaries
 * of a coordinate, `time_bnds` of `time`), or undefined.
 */
export function boundsOf(source: Source, v: Variable): Variable | undefined {
  const group = groupOf(v.name);
  const local = v.name.slice(group === "" ? 0 : group.length + 1);
  return source.variables.find((x) =>
    groupOf(x.name) === group &&
    [x.attributes.bounds, x.attributes.climatology].some((a) => textOf(a)?.trim() === local)
  );
}

/** The shape check of {@linkcode listNetcdfVariables}: null when compressible as is. */
export function variableNote(source: Source, v: Variable): { ok: boolean; note: string | null } {
  if (!isNumericType(v.type)) return { ok: false, note: `type ${v.typeName} is not numeric` };
  const rank = v.dims.length;
  if (rank < 2) return { ok: false, note: `${rank}-D` };
  const owner = boundsOf(source, v);
  if (owner) return { ok: false, note: `cell bounds of ${owner.name}` };
  // Unreferenced bounds (the attribute lost): by CF's usual name and a last dimension of 2 to 4
  // vertices.
  if (/_(bnds|bounds|bnd)$/i.test(v.name) && v.shape[rank - 1] >= 2 && v.shape[rank - 1] <= 4) {
    return { ok: false, note: "cell bounds (by its name)" };
  }
  if (rank > 4) return { ok: false, note: `${rank}-D (at most 4)` };
  const group = groupOf(v.name);
  const time = v.dims.findIndex((d) => isTimeDimension(source, d, group));
  if (rank === 4) {
    return {
      ok: true,
      note: `4-D: select one index or value of ${
        v.dims.filter((_, i) => i !== time).slice(0, -2).join(" or ")
      }`,
    };
  }
  if (rank === 3 && time > 0) {
    return { ok: true, note: `time is axis ${time}: moved first when compressed` };
  }
  if (rank === 3 && time < 0) {
    return { ok: true, note: `no time dimension: ${v.dims[0]} is compressed as time` };
  }
  return { ok: true, note: null };
}

/** The coordinate variable of a dimension (as seen from `group`), read whole (or null). */
export function coordinate(
  source: Source,
  name: string,
  size: number,
  group = "",
): Omit<MrcDimension, "size" | "name"> {
  const found = coordinateVariable(source, name, group);
  const coord = found && found.dims[0] === name && isNumericType(found.type) ? found : undefined;
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
