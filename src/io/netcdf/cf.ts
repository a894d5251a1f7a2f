/**
 * CF conventions, both ways: the time dimension, which variables compress as they are,
 * coordinate variables, on reading, and the attributes of the unpacked output on writing
 * (`_FillValue`, `missing_value`, `scale_factor`/`add_offset`, `valid_*`).
 *
 * @module
 */

import type { MrcAttribute, MrcAttributeType, MrcDimension } from "../../../format/attributes.ts";
import { ATTRIBUTE_TYPES } from "../../../format/_constants.ts";
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
  const coord = coordinateVariable(source, name, group);
  return isTimeCoordinate(name, coord?.attributes ?? {});
}

/**
 * Whether a dimension with the coordinate attributes `attributes` is time: by its name (`time`,
 * `t`, ...), `axis: "T"`, `standard_name: "time"` or `units` of the form `"<unit> since <date>"`.
 */
export function isTimeCoordinate(name: string, attributes: Record<string, MrcAttribute>): boolean {
  if (TIME_NAMES.has(name.toLowerCase())) return true;
  const text = (key: string) => textOf(attributes[key])?.trim() ?? "";
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
    // The layer dimension: neither time (or, without one, the first) nor the last two.
    const layer = time === 1
      ? v.dims[0]
      : time >= 0
      ? v.dims.filter((_, i) => i !== time)[0]
      : v.dims[1];
    return {
      ok: true,
      note: `4-D: stored as layers along ${layer} (--select ${layer}=K keeps one, 3-D)`,
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
 * The variable's attributes for the unpacked output, with the fill convention of the source:
 * packing attributes removed, values in packed units (valid range) unpacked, `_FillValue` and
 * `missing_value` of the output type. Missing cells get the source's own `_FillValue`, else its
 * `missing_value`; a packed source's fill (a packed integer) becomes netCDF-C's default fill of
 * the output type under the same attribute name (`_FillValue` alone when it had both); a source
 * with neither keeps NaN and gets no fill attribute. So a variable that had only `missing_value` comes back with only
 * `missing_value`, and `_FillValue` appears only where the source had one.
 *
 * @returns The attributes in source order, and the value written in missing cells.
 */
export function outputAttributes(
  attributes: Record<string, MrcAttribute>,
  type: "float" | "double",
): { attributes: Record<string, MrcAttribute>; fill: number } {
  const scale = single(attributes.scale_factor);
  const offset = single(attributes.add_offset);
  const packed = scale !== null || offset !== null;
  const unpack = (x: number) => x * (scale ?? 1) + (offset ?? 0);
  const flips = packed && (scale ?? 1) < 0;
  const round = type === "float" ? Math.fround : (x: number) => x;
  const out: Record<string, MrcAttribute> = {};
  let fill: number | null = null;
  let missing: number | null = null;
  for (const [name, a] of Object.entries(attributes)) {
    if (name === "scale_factor" || name === "add_offset") continue;
    if (name === "_FillValue" || name === "missing_value") {
      if (typeof a.value === "string" || a.value.length === 0) continue;
      // Packed, both: two packed codes became one kind of missing cell, under _FillValue.
      if (packed && name === "missing_value" && attributes._FillValue !== undefined) continue;
      const value = packed ? [DEFAULT_FILL[type]] : a.value.map(round);
      out[name] = { type, value };
      if (name === "_FillValue") fill = value[0];
      else missing = value[0];
      continue;
    }
    if (packed && /^valid_(range|min|max)$/.test(name) && typeof a.value !== "string") {
      const value = a.value.map(unpack);
      if (flips) value.reverse();
      const key = flips && name === "valid_min"
        ? "valid_max"
        : flips && name === "valid_max"
        ? "valid_min"
        : name;
      out[key] = { type, value: value.map(round) };
      continue;
    }
    out[name] = a;
  }
  return { attributes: out, fill: fill ?? missing ?? NaN };
}

/**
 * The interval `valid_range` or `valid_min`/`valid_max` declare (all that are there, intersected),
 * as the closest values of the output type inside it, so a value moved onto an end is valid both
 * when compared in the attribute's type and in the output type (netCDF4-python casts to the
 * variable's type). Null when none is declared or the declaration is not a usable interval.
 */
export function validInterval(
  attributes: Record<string, MrcAttribute>,
  type: "float" | "double",
): [number, number] | null {
  let lo = -Infinity, hi = Infinity;
  const numbers = (key: string) => {
    const a = attributes[key];
    return a && typeof a.value !== "string" ? a.value : null;
  };
  const range = numbers("valid_range");
  if (range && range.length === 2) [lo, hi] = [Math.max(lo, range[0]), Math.min(hi, range[1])];
  const min = numbers("valid_min");
  if (min && min.length === 1) lo = Math.max(lo, min[0]);
  const max = numbers("valid_max");
  if (max && max.length === 1) hi = Math.min(hi, max[0]);
  if (lo === -Infinity && hi === Infinity) return null;
  if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) return null;
  if (type === "float") {
    let a = Math.fround(lo), b = Math.fround(hi);
    if (a < lo) a = nextFloat32(a, 1);
    if (b > hi) b = nextFloat32(b, -1);
    if (a > b) return null;
    [lo, hi] = [a, b];
  }
  return [lo, hi];
}

/** The next float32 after `x` towards +Infinity (`direction` 1) or -Infinity (-1). */
function nextFloat32(x: number, direction: 1 | -1): number {
  if (!Number.isFinite(x)) return x;
  if (x === 0) return direction * 2 ** -149;
  const bits = new Uint32Array(new Float32Array([x]).buffer);
  bits[0] += (x > 0) === (direction > 0) ? 1 : -1;
  return new Float32Array(bits.buffer)[0];
}

/**
 * CF attributes whose value names other variables: as a list (`coordinates`,
 * `ancillary_variables`), as one name (`bounds`, `climatology`, `geometry`), as `key: name` pairs
 * (`cell_measures`, `formula_terms`) or as `gm: coords gm2: coords` (`grid_mapping`).
 */
const REFERENCES: Record<string, "list" | "name" | "pairs" | "mapping"> = {
  coordinates: "list",
  ancillary_variables: "list",
  bounds: "name",
  climatology: "name",
  geometry: "name",
  cell_measures: "pairs",
  formula_terms: "pairs",
  grid_mapping: "mapping",
};

/**
 * The attributes of a variable without the references to variables the output lacks: names not
 * in `written` are removed from a `coordinates` or `ancillary_variables` list, `key: name` pairs
 * of `cell_measures` naming one are removed, and an attribute that names one where a part would
 * mean something else (`bounds`, `climatology`, `formula_terms`, `grid_mapping`) is dropped
 * whole; an attribute left empty is dropped.
 *
 * @returns The attributes (in their order) and what was removed, one line each
 *   (`coordinates: lat2d lon2d`).
 */
export function withoutDanglingReferences(
  attributes: Record<string, MrcAttribute>,
  written: ReadonlySet<string>,
): { attributes: Record<string, MrcAttribute>; removed: string[] } {
  const out: Record<string, MrcAttribute> = {};
  const removed: string[] = [];
  for (const [name, a] of Object.entries(attributes)) {
    const kind = REFERENCES[name];
    if (kind === undefined || typeof a.value !== "string") {
      out[name] = a;
      continue;
    }
    const tokens = a.value.trim().split(/\s+/).filter((t) => t !== "");
    const isKey = (t: string) => t.endsWith(":");
    // The keys of cell_measures and formula_terms are roles; grid_mapping's are variables.
    const names = kind === "mapping"
      ? tokens.map((t) => t.replace(/:$/, ""))
      : tokens.filter((t) => !isKey(t));
    const missing = names.filter((t) => !written.has(t));
    if (missing.length === 0) {
      out[name] = a;
      continue;
    }
    let kept: string[] = [];
    if (kind === "list") kept = names.filter((t) => written.has(t));
    if (kind === "pairs" && name === "cell_measures") {
      for (let i = 0; i + 1 < tokens.length; i += 2) {
        if (isKey(tokens[i]) && written.has(tokens[i + 1])) kept.push(tokens[i], tokens[i + 1]);
      }
    }
    removed.push(`${name}: ${missing.join(" ")}`);
    if (kept.length > 0) out[name] = { type: a.type, value: kept.join(" ") };
  }
  return { attributes: out, removed };
}

/**
 * A variable the compressed one refers to, carried in the free-form `source` member of `ATTR`
 * (`source.variables`, SPEC.md §4.8) so that `decompress -o x.nc` can write it back: the
 * variables named by its `coordinates` (2-D latitude and longitude of a curvilinear grid), the
 * `bounds` and `climatology` of its dimensions' coordinates (`time_bnds`), and the 1-D
 * variables on one of its dimensions that are not that dimension's coordinate variable (`lat` on
 * dimension `latitude`). Values as stored (packed ones packed, with their attributes), over the
 * compressed range of each of its dimensions; a dimension the compressed variable does not have
 * (`nv` of `time_bnds`) is kept whole.
 */
export interface AuxiliaryVariable {
  /** Its dimensions. */
  dims: string[];
  /** Its shape over the compressed ranges. */
  shape: number[];
  /** Its netCDF type. */
  type: MrcAttributeType;
  /** Its values, row-major. */
  values: number[];
  /** Its attributes. */
  attributes: Record<string, MrcAttribute>;
}

/** Most values of all auxiliary variables of one file together (the `ATTR` body is JSON). */
export const MAX_AUXILIARY_VALUES = 2 ** 18;
/** Largest dimension of an auxiliary variable that the compressed variable does not have. */
const MAX_EXTRA_DIMENSION = 64;

const numberToJson = (v: number): number | string => Number.isFinite(v) ? v : String(v);
const numberFromJson = (v: unknown): number =>
  typeof v === "number" ? v : v === "NaN" ? NaN : v === "Infinity" ? Infinity : -Infinity;

/**
 * The auxiliary variables of `v` (see {@linkcode AuxiliaryVariable}) as the JSON of
 * `source.variables`: `ranges` per dimension kept in the compressed field. Variables that are
 * not numeric, that use a dimension fixed by a selection, or a dimension of its own longer than
 * 64 are left out; so is a group (the `coordinates` together, each bounds variable, each 1-D
 * variable) that would take the values above {@linkcode MAX_AUXILIARY_VALUES}, whole.
 */
export function auxiliaryVariables(
  source: Source,
  v: Variable,
  ranges: Map<string, [number, number]>,
): Record<string, unknown> {
  // Groups carried whole or not at all: the coordinates (a curvilinear grid needs both), then
  // each bounds variable, then each 1-D variable.
  const groups: string[][] = [];
  const words = (text: string | null) => (text ?? "").trim().split(/\s+/).filter((n) => n !== "");
  groups.push(words(textOf(v.attributes.coordinates)));
  for (const d of ranges.keys()) {
    const coord = source.variables.find((x) => x.name === d && x.dims.length === 1);
    for (const key of ["bounds", "climatology"]) groups.push(words(textOf(coord?.attributes[key])));
  }
  for (const x of source.variables) {
    if (x.dims.length === 1 && ranges.has(x.dims[0]) && x.name !== x.dims[0]) groups.push([x.name]);
  }
  const out: Record<string, unknown> = {};
  let total = 0;
  for (const group of groups) {
    const boxes: [Variable, [number, number][], number][] = [];
    for (const name of group) {
      const x = source.variables.find((y) => y.name === name);
      if (!x || x === v || name in out || !isNumericType(x.type) || ranges.has(name)) continue;
      if (!x.dims.some((d) => ranges.has(d))) continue;
      const usable = x.dims.every((d, i) =>
        ranges.has(d) || (!v.dims.includes(d) && x.shape[i] <= MAX_EXTRA_DIMENSION)
      );
      if (!usable) continue;
      const box = x.dims.map((d, i): [number, number] => ranges.get(d) ?? [0, x.shape[i]]);
      boxes.push([x, box, box.reduce((n, [a, b]) => n * (b - a), 1)]);
    }
    const count = boxes.reduce((n, [, , c]) => n + c, 0);
    if (total + count > MAX_AUXILIARY_VALUES) continue;
    total += count;
    for (const [x, box] of boxes) {
      // float values in their shortest float32 form: the JSON is about half as long.
      const value = x.type === "float" ? shortestFloat32 : numberToJson;
      out[x.name] = {
        dims: x.dims,
        shape: box.map(([a, b]) => b - a),
        type: x.type,
        values: Array.from(source.read(x, box), value),
        attributes: Object.fromEntries(
          Object.entries(x.attributes).map(([k, a]) => [
            k,
            {
              type: a.type,
              value: typeof a.value === "string" ? a.value : a.value.map(numberToJson),
            },
          ]),
        ),
      };
    }
  }
  return out;
}

/** The shortest decimal whose float32 is `x`'s (`x` a float32 value), or its JSON string form. */
function shortestFloat32(x: number): number | string {
  if (!Number.isFinite(x)) return String(x);
  for (let p = 1; p < 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

/**
 * The `source.variables` of an `ATTR` body, read back: entries that are not a well-formed
 * {@linkcode AuxiliaryVariable} (the member is free-form) are left out.
 */
export function readAuxiliaryVariables(json: unknown): Map<string, AuxiliaryVariable> {
  const out = new Map<string, AuxiliaryVariable>();
  if (typeof json !== "object" || json === null || Array.isArray(json)) return out;
  const isNumber = (x: unknown) =>
    typeof x === "number" || x === "NaN" || x === "Infinity" || x === "-Infinity";
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    const e = entry as Record<string, unknown>;
    if (typeof e !== "object" || e === null) continue;
    const { dims, shape, type, values, attributes } = e;
    if (!Array.isArray(dims) || !dims.every((d) => typeof d === "string")) continue;
    if (!Array.isArray(shape) || shape.length !== dims.length) continue;
    if (!shape.every((n) => Number.isInteger(n) && n >= 1)) continue;
    if (typeof type !== "string" || !ATTRIBUTE_TYPES.has(type)) continue;
    if (!isNumericType(type as MrcAttributeType)) continue;
    if (!Array.isArray(values) || !values.every(isNumber)) continue;
    if (values.length !== (shape as number[]).reduce((a, b) => a * b, 1)) continue;
    if (typeof attributes !== "object" || attributes === null) continue;
    const record: Record<string, MrcAttribute> = {};
    let ok = true;
    for (const [k, a] of Object.entries(attributes as Record<string, unknown>)) {
      const { type: t, value } = (a ?? {}) as { type?: unknown; value?: unknown };
      if (typeof t !== "string") ok = false;
      else if (typeof value === "string") record[k] = { type: t as MrcAttributeType, value };
      else if (Array.isArray(value) && value.length > 0 && value.every(isNumber)) {
        record[k] = { type: t as MrcAttributeType, value: value.map(numberFromJson) };
      } else ok = false;
    }
    if (!ok) continue;
    out.set(name, {
      dims: dims as string[],
      shape: shape as number[],
      type: type as MrcAttributeType,
      values: values.map(numberFromJson),
      attributes: record,
    });
  }
  return out;
}
