/**
 * netCDF input and output: read a 2-D or 3-D field (or a 2-D/3-D selection of a 4-D one) from a
 * netCDF classic, 64-bit offset or netCDF-4/HDF5 file with its CF attributes, and write a decoded
 * field back as netCDF-4 with its dimensions, coordinates and attributes.
 *
 * Libraries, loaded on first use only (the decode-only entry never reaches them):
 * - classic and 64-bit offset (CDF-1, CDF-2): `npm:netcdfjs` (pure TypeScript, reads the whole
 *   file into memory; CDF-5 is not supported by it and is refused with a conversion hint);
 * - netCDF-4/HDF5, reading and writing: `npm:h5wasm` (the HDF5 C library compiled to
 *   WebAssembly; its Node build reads and writes files directly and slices datasets, so only the
 *   selected hyperslab of a variable is read).
 *
 * CF conventions applied on reading: `_FillValue` and `missing_value` (compared in the stored,
 * packed type) become NaN, which compression keeps exactly; `scale_factor`/`add_offset` are
 * applied (`value * scale_factor + add_offset`); the time dimension is found by name (`time`,
 * `t`), by `axis: "T"`, `standard_name: "time"` or by `units` of the form `"<unit> since <date>"`
 * on its coordinate variable, and must come first; any other extra dimension is fixed to one
 * index with `select`.
 *
 * @module
 */

import type {
  MrcAttribute,
  MrcAttributes,
  MrcAttributeType,
  MrcDimension,
  MrcSelectedDimension,
} from "../../format/attributes.ts";

/**
 * Largest number of values a variable (after selection) may have: 2^28 (1 GiB as float32). The
 * whole selection is held in memory while compressing (about 3 times its float32 size); pass
 * `maxValues` to go higher, or select a time range (`select: { time: [0, 1000] }`).
 */
export const DEFAULT_MAX_VALUES: number = 2 ** 28;

/** Largest classic-format file read: netcdfjs holds the whole file in memory. */
const MAX_CLASSIC_BYTES = 2 ** 31 - 1;

/** A dimension of a netCDF variable. */
export interface NetcdfDimension {
  /** Its name. */
  name: string;
  /** Its length. */
  size: number;
}

/** A variable of a netCDF file, as listed by {@linkcode listNetcdfVariables}. */
export interface NetcdfVariableInfo {
  /** Its name. */
  name: string;
  /** Its netCDF type, or the HDF5 class when it has no netCDF type. */
  type: string;
  /** Its dimensions in order. */
  dimensions: NetcdfDimension[];
  /** `long_name` or `standard_name`, or null. */
  longName: string | null;
  /** `units`, or null. */
  units: string | null;
  /** Whether it can be compressed: numeric with 2 or 3 dimensions, or 4 with a selection. */
  compressible: boolean;
  /** Why not, or what it needs (`"4-D: select one index of level"`); null when it can as is. */
  note: string | null;
}

/** What {@linkcode listNetcdfVariables} returns. */
export interface NetcdfListing {
  /** `"classic"`, `"64-bit offset"` or `"netCDF-4/HDF5"`. */
  format: string;
  /** Every variable with at least one dimension, in file order. */
  variables: NetcdfVariableInfo[];
}

/** A selection along one dimension: an index (the dimension is dropped) or a range `[a, b)`. */
export type NetcdfSelection = number | [number, number];

/** Options of {@linkcode readNetcdf}. */
export interface ReadNetcdfOptions {
  /** The variable to read. */
  variable: string;
  /**
   * Per dimension name, an index (dropping the dimension) or a range `[start, end)` (keeping it).
   * A 4-D variable needs one index, e.g. `{ level: 0 }`. Default: none.
   */
  select?: Record<string, NetcdfSelection>;
  /** Largest number of values after selection. Default {@linkcode DEFAULT_MAX_VALUES}. */
  maxValues?: number;
}

/** A field read by {@linkcode readNetcdf}, ready for `compress()`. */
export interface NetcdfField {
  /**
   * The values, unpacked, missing values as NaN: float64 when the variable or its scale factor
   * is double (or a 32/64-bit integer), else float32.
   */
  data: Float32Array | Float64Array;
  /** `[T, H, W]` (time first) or `[H, W]`. */
  shape: number[];
  /** Number of missing values (NaN in `data`). */
  missing: number;
  /** Variable, dimensions, coordinates and attributes, for `compress(..., { attributes })`. */
  attributes: MrcAttributes;
}

/** What {@linkcode writeNetcdf} writes. */
export interface NetcdfOutput {
  /** The values, row-major; NaN marks missing values. */
  data: Float32Array | Float64Array;
  /** `[T, H, W]` or `[H, W]`. */
  shape: number[];
  /** The stored attributes (`file.readAttributes()`), or null for generic names. */
  attributes: MrcAttributes | null;
  /** For each output row, the original row it samples (a decoded level's `rows`). Default: identity. */
  rows?: ArrayLike<number>;
  /** For each output column, the original column it samples. Default: identity. */
  cols?: ArrayLike<number>;
  /** First original snapshot of the output (its time coordinate offset). Default 0. */
  firstSnapshot?: number;
  /** Global attributes to add, e.g. a `history` line. Default: none. */
  extraGlobal?: Record<string, MrcAttribute>;
}

// ---------------------------------------------------------------------------------------------
// One shape for both libraries.

interface Variable {
  name: string;
  /** netCDF type, or null for types this module cannot read (compound, enum, vlen, ...). */
  type: MrcAttributeType | null;
  typeName: string;
  dims: string[];
  shape: number[];
  attributes: Record<string, MrcAttribute>;
}

interface Source {
  format: string;
  dims: Map<string, number>;
  variables: Variable[];
  global: Record<string, MrcAttribute>;
  /** Reads the hyperslab `[start, end)` per axis as float64 (integers exactly up to 2^53). */
  read(variable: Variable, ranges: [number, number][]): Float64Array;
  close(): void;
}

const TEXT_TYPES = new Set(["char", "string"]);
const isNumericType = (t: MrcAttributeType | null) => t !== null && !TEXT_TYPES.has(t);

function sniff(bytes: Uint8Array): "classic" | "64-bit offset" | "cdf5" | "hdf5" | null {
  const text = String.fromCharCode(...bytes.subarray(0, 8));
  if (text.startsWith("CDF\x01")) return "classic";
  if (text.startsWith("CDF\x02")) return "64-bit offset";
  if (text.startsWith("CDF\x05")) return "cdf5";
  if (text === "\x89HDF\r\n\x1a\n") return "hdf5";
  return null;
}

async function readHead(path: string): Promise<{ kind: ReturnType<typeof sniff>; size: number }> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`${path}: no such file`);
    throw new Error(`cannot read ${path}: ${e instanceof Error ? e.message : e}`, { cause: e });
  }
  try {
    const head = new Uint8Array(8);
    const n = await file.read(head);
    const size = (await file.stat()).size;
    return { kind: sniff(head.subarray(0, n ?? 0)), size };
  } finally {
    file.close();
  }
}

/** Opens a netCDF file with the library its signature calls for. */
async function openSource(path: string): Promise<Source> {
  const { kind, size } = await readHead(path);
  if (kind === "cdf5") {
    throw new Error(
      `${path}: netCDF CDF-5 (64-bit data) files are not supported by the classic reader (netcdfjs); convert with "nccopy -k nc4 ${path} out.nc"`,
    );
  }
  if (kind === "classic" || kind === "64-bit offset") {
    if (size > MAX_CLASSIC_BYTES) {
      throw new Error(
        `${path}: classic netCDF file of ${size} bytes is read whole and is above the 2 GiB limit; convert with "nccopy -k nc4 ${path} out.nc" (netCDF-4 files are read by slices)`,
      );
    }
    return await openClassic(path, kind);
  }
  if (kind === "hdf5") return await openHdf5(path);
  throw new Error(`${path}: not a netCDF file (no "CDF" or HDF5 signature)`);
}

// -- classic (netcdfjs) ------------------------------------------------------------------------

const CLASSIC_TYPES: Record<string, MrcAttributeType> = {
  byte: "byte",
  char: "char",
  short: "short",
  int: "int",
  float: "float",
  double: "double",
};

function classicAttribute(type: string, value: unknown): MrcAttribute | null {
  const t = CLASSIC_TYPES[type];
  if (t === undefined) return null;
  if (t === "char") return { type: t, value: String(value).replace(/\0+$/, "") };
  const list = Array.isArray(value) ? value : [value];
  return { type: t, value: list.map(Number) };
}

async function openClassic(path: string, format: string): Promise<Source> {
  const { NetCDFReader } = await import("npm:netcdfjs@4.0.0");
  let reader: InstanceType<typeof NetCDFReader>;
  try {
    reader = new NetCDFReader(await Deno.readFile(path));
  } catch (e) {
    throw new Error(`${path}: cannot read netCDF ${format} file: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const record = reader.recordDimension;
  const dimList = reader.dimensions.map((d, i) => ({
    name: d.name,
    size: i === record.id ? record.length : d.size,
  }));
  const toRecord = (list: { name: string; type: string; value: unknown }[]) => {
    const out: Record<string, MrcAttribute> = {};
    for (const a of list) {
      const attribute = classicAttribute(a.type, a.value);
      if (attribute) out[a.name] = attribute;
    }
    return out;
  };
  const raw = new Map(reader.variables.map((v) => [v.name, v]));
  const variables: Variable[] = reader.variables.map((v) => ({
    name: v.name,
    type: CLASSIC_TYPES[v.type] ?? null,
    typeName: v.type,
    dims: v.dimensions.map((i) => dimList[i].name),
    shape: v.dimensions.map((i) => dimList[i].size),
    attributes: toRecord(v.attributes as { name: string; type: string; value: unknown }[]),
  }));
  return {
    format,
    dims: new Map(dimList.map((d) => [d.name, d.size])),
    variables,
    global: toRecord(reader.globalAttributes),
    read(variable, ranges) {
      // netcdfjs returns the whole variable: nested per record for record variables.
      const all = reader.getDataVariable(raw.get(variable.name)!);
      const flat = new Float64Array(variable.shape.reduce((a, b) => a * b, 1));
      let at = 0;
      for (const item of all) {
        if (Array.isArray(item)) { for (const v of item) flat[at++] = Number(v); }
        else flat[at++] = Number(item);
      }
      return hyperslab(flat, variable.shape, ranges);
    },
    close() {},
  };
}

/** Copies the box `ranges` out of a row-major array of `shape`. */
function hyperslab(
  flat: Float64Array,
  shape: number[],
  ranges: [number, number][],
): Float64Array {
  if (ranges.every(([a, b], i) => a === 0 && b === shape[i])) return flat;
  const sizes = ranges.map(([a, b]) => b - a);
  const out = new Float64Array(sizes.reduce((a, b) => a * b, 1));
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const rank = shape.length;
  const index = new Array(rank).fill(0);
  const last = rank - 1;
  for (let at = 0; at < out.length; at += sizes[last]) {
    let offset = 0;
    for (let i = 0; i < rank; i++) offset += (ranges[i][0] + index[i]) * strides[i];
    out.set(flat.subarray(offset, offset + sizes[last]), at);
    for (let i = last - 1; i >= 0; i--) {
      if (++index[i] < sizes[i]) break;
      index[i] = 0;
    }
  }
  return out;
}

// -- netCDF-4 / HDF5 (h5wasm) ------------------------------------------------------------------

// deno-lint-ignore no-explicit-any
type H5 = any;

let h5Ready: Promise<H5> | null = null;

/** Loads h5wasm's Node build (real file system access) once. */
function loadH5wasm(): Promise<H5> {
  h5Ready ??= (async () => {
    const mod = await import("npm:h5wasm@0.10.3/node");
    const h5wasm = mod.default;
    await h5wasm.ready;
    return h5wasm;
  })();
  return h5Ready;
}

/** netCDF's name of a dimension that has no coordinate variable (netCDF-C's `DIM_WITHOUT_VARIABLE`). */
const DIM_WITHOUT_VARIABLE = "This is a netCDF dimension but not a netCDF variable.";
/** Attributes the HDF5 layer of netCDF-4 uses for itself. */
const HIDDEN_ATTRIBUTES = new Set([
  "CLASS",
  "NAME",
  "DIMENSION_LIST",
  "REFERENCE_LIST",
  "_Netcdf4Dimid",
  "_Netcdf4Coordinates",
  "_nc3_strict",
  "_NCProperties",
  "_IsNetcdf4",
  "_SuperblockVersion",
]);

/** netCDF type of an h5wasm metadata record (H5T class 0 integer, 1 float, 3 string). */
function h5Type(meta: { type: number; size: number; signed: boolean }): MrcAttributeType | null {
  if (meta.type === 0) {
    const names: Record<number, [MrcAttributeType, MrcAttributeType]> = {
      1: ["byte", "ubyte"],
      2: ["short", "ushort"],
      4: ["int", "uint"],
      8: ["int64", "uint64"],
    };
    const pair = names[meta.size];
    return pair ? pair[meta.signed ? 0 : 1] : null;
  }
  if (meta.type === 1) return meta.size === 4 ? "float" : meta.size === 8 ? "double" : null;
  if (meta.type === 3) return "char";
  return null;
}

function h5Attributes(entity: H5): Record<string, MrcAttribute> {
  const out: Record<string, MrcAttribute> = {};
  const attrs = entity.attrs as Record<string, H5>;
  for (const name of Object.keys(attrs)) {
    if (HIDDEN_ATTRIBUTES.has(name)) continue;
    try {
      const a = attrs[name];
      const type = h5Type(a.metadata);
      if (type === null) continue;
      const value = a.value;
      if (type === "char") {
        out[name] = { type, value: Array.isArray(value) ? value.join("") : String(value) };
      } else {
        const list = ArrayBuffer.isView(value)
          ? Array.from(value as unknown as ArrayLike<number>)
          : [value];
        out[name] = { type, value: list.map(Number) };
      }
    } catch {
      // An attribute of a type h5wasm cannot read (a reference, a compound) is left out.
    }
  }
  return out;
}

async function openHdf5(path: string): Promise<Source> {
  const h5wasm = await loadH5wasm();
  let file: H5;
  try {
    file = new h5wasm.File(path, "r");
  } catch (e) {
    throw new Error(`${path}: cannot open netCDF-4/HDF5 file: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const dims = new Map<string, number>();
  const variables: Variable[] = [];
  const datasets = new Map<string, H5>();
  for (const name of file.keys() as string[]) {
    const ds = file.get(name);
    if (!(ds instanceof h5wasm.Dataset)) continue; // groups: only the root group is read
    const shape: number[] = ds.shape ?? [];
    const nameAttr = ds.attrs.NAME ? String(ds.attrs.NAME.value) : "";
    const isScale = ds.attrs.CLASS && String(ds.attrs.CLASS.value) === "DIMENSION_SCALE";
    if (isScale && shape.length === 1) dims.set(name, shape[0]);
    if (isScale && nameAttr.startsWith(DIM_WITHOUT_VARIABLE)) continue;
    const dimNames = shape.map((_, i) => {
      if (isScale && shape.length === 1) return name; // a coordinate variable is its own scale
      let scales: string[] = [];
      try {
        scales = ds.get_attached_scales(i) ?? [];
      } catch { /* no DIMENSION_LIST */ }
      return scales.length > 0 ? scales[0].replace(/^.*\//, "") : `phony_dim_${i}`;
    });
    dimNames.forEach((d, i) => {
      if (!dims.has(d)) dims.set(d, shape[i]);
    });
    const type = h5Type(ds.metadata);
    variables.push({
      name,
      type,
      typeName: type ?? `HDF5 class ${ds.metadata.type}`,
      dims: dimNames,
      shape,
      attributes: h5Attributes(ds),
    });
    datasets.set(name, ds);
  }
  return {
    format: "netCDF-4/HDF5",
    dims,
    variables,
    global: h5Attributes(file),
    read(variable, ranges) {
      const ds = datasets.get(variable.name)!;
      const whole = ranges.every(([a, b], i) => a === 0 && b === variable.shape[i]);
      const value = whole ? ds.value : ds.slice(ranges);
      const out = new Float64Array((value as ArrayLike<number>).length);
      for (let i = 0; i < out.length; i++) out[i] = Number((value as ArrayLike<number>)[i]);
      return out;
    },
    close() {
      file.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// CF conventions.

const TIME_NAMES = new Set(["time", "t", "times", "date", "valid_time"]);

/** Whether a dimension is time: by name, or by the attributes of its coordinate variable. */
function isTimeDimension(source: Source, name: string): boolean {
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

function single(a: MrcAttribute | undefined): number | null {
  if (!a || typeof a.value === "string" || a.value.length !== 1) return null;
  return a.value[0];
}

function textOf(a: MrcAttribute | undefined): string | null {
  return a && typeof a.value === "string" ? a.value : null;
}

/** The shape check of {@linkcode listNetcdfVariables}: null when compressible as is. */
function variableNote(source: Source, v: Variable): { ok: boolean; note: string | null } {
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
 * import { listNetcdfVariables } from "./netcdf.ts";
 *
 * const path = new URL("../../tests/testdata/netcdf/small-classic.nc", import.meta.url).pathname;
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

/** The coordinate variable of a dimension, read whole (or null). */
function coordinate(
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
 * import { readNetcdf } from "./netcdf.ts";
 *
 * const path = new URL("../../tests/testdata/netcdf/small-classic.nc", import.meta.url).pathname;
 * const field = await readNetcdf(path, { variable: "uwnd" });
 * assert.deepStrictEqual(field.shape, [8, 9, 12]);
 * assert.strictEqual(field.missing, 8 * 7); // a 2 x 3 hole and one missing_value per snapshot
 * assert.strictEqual(field.attributes.variable.attributes.units.value, "m/s");
 * assert.deepStrictEqual(field.attributes.dimensions.map((d) => d.name), ["time", "lat", "lon"]);
 * ```
 */
export async function readNetcdf(path: string, options: ReadNetcdfOptions): Promise<NetcdfField> {
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
    const count = shape.reduce((a, b) => a * b, 1);
    const maxValues = options.maxValues ?? DEFAULT_MAX_VALUES;
    if (count > maxValues) {
      throw new Error(
        `${where} has ${count} values (${
          shape.join(" x ")
        }) after selection, above the limit of ${maxValues} held in memory: select a time range (--select ${
          keptDims[0]
        }=0:N) or raise the limit`,
      );
    }
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
    const raw = source.read(v, ranges);
    const packed = scale !== undefined || offset !== undefined;
    const wide = v.type === "double" || v.type === "int" || v.type === "uint" ||
      v.type === "int64" || v.type === "uint64" || scale?.type === "double" ||
      offset?.type === "double";
    const data = wide ? new Float64Array(count) : new Float32Array(count);
    const k = single(scale) ?? 1;
    const b = single(offset) ?? 0;
    let missing = 0;
    for (let i = 0; i < count; i++) {
      const x = raw[i];
      if (Number.isNaN(x) || fills.includes(x)) {
        data[i] = NaN;
        missing++;
      } else {
        data[i] = packed ? x * k + b : x;
      }
    }
    const dimensions: MrcDimension[] = kept.map((i) => {
      const d = v.dims[i];
      const [a, e] = ranges[i];
      const c = coordinate(source, d, v.shape[i]);
      return { name: d, size: e - a, ...c, values: c.values ? c.values.slice(a, e) : null };
    });
    return {
      data,
      shape,
      missing,
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
        },
      },
    };
  } finally {
    source.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Writing netCDF-4.

/** netCDF-C's default fill values (`NC_FILL_FLOAT`, `NC_FILL_DOUBLE`). */
const DEFAULT_FILL = { float: 9.969209968386869e36, double: 9.969209968386869e36 };

const ARRAYS: Record<string, (values: number[]) => ArrayBufferView> = {
  byte: (v) => Int8Array.from(v),
  ubyte: (v) => Uint8Array.from(v),
  short: (v) => Int16Array.from(v),
  ushort: (v) => Uint16Array.from(v),
  int: (v) => Int32Array.from(v),
  uint: (v) => Uint32Array.from(v),
  int64: (v) => BigInt64Array.from(v, (x) => BigInt(Math.round(x))),
  uint64: (v) => BigUint64Array.from(v, (x) => BigInt(Math.round(x))),
  float: (v) => Float32Array.from(v),
  double: (v) => Float64Array.from(v),
};

function putAttribute(target: H5, name: string, a: MrcAttribute): void {
  if (typeof a.value === "string") {
    // Fixed-length strings read back as netCDF "char" attributes, like the classic format's.
    const bytes = new TextEncoder().encode(a.value).length;
    target.create_attribute(name, a.value, null, `S${Math.max(1, bytes)}`);
    return;
  }
  const array = ARRAYS[a.type](a.value);
  target.create_attribute(name, array, [a.value.length]);
}

function putAttributes(target: H5, attributes: Record<string, MrcAttribute>): void {
  for (const [name, a] of Object.entries(attributes)) putAttribute(target, name, a);
}

/**
 * The variable's attributes for the unpacked output: packing attributes removed, values in
 * packed units (fill, missing, valid range) unpacked, `_FillValue` of the output type.
 */
function outputAttributes(
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

/**
 * Writes a field as a netCDF-4 file: the variable with its attributes (unpacked: no
 * `scale_factor`/`add_offset`; missing values as `_FillValue`), its dimensions with their
 * coordinate variables (sampled at `rows`/`cols` for a coarse level), the selected dimensions as
 * scalar coordinates named in `coordinates`, and the global attributes.
 *
 * @param path The output file (overwritten).
 * @param field The values, their shape and the stored attributes.
 * @returns Resolves when the file is closed.
 *
 * @example Write a 2-D field and read it back
 * ```ts
 * import assert from "node:assert";
 * import { readNetcdf, writeNetcdf } from "./netcdf.ts";
 *
 * const path = await Deno.makeTempFile({ suffix: ".nc" });
 * await writeNetcdf(path, { data: new Float32Array([1, 2, NaN, 4]), shape: [2, 2], attributes: null });
 * const back = await readNetcdf(path, { variable: "data" });
 * assert.deepStrictEqual(back.shape, [2, 2]);
 * assert.strictEqual(back.missing, 1);
 * await Deno.remove(path);
 * ```
 */
export async function writeNetcdf(path: string, field: NetcdfOutput): Promise<void> {
  const { data, shape } = field;
  if (shape.length !== 2 && shape.length !== 3) {
    throw new TypeError(
      `Cannot write ${path}: shape must be [T, H, W] or [H, W], found [${shape}]`,
    );
  }
  if (data.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new TypeError(`Cannot write ${path}: ${data.length} values do not fill shape [${shape}]`);
  }
  const h5wasm = await loadH5wasm();
  const attributes = field.attributes;
  const type = data instanceof Float64Array ? "double" : "float";
  const generic = shape.length === 3 ? ["time", "y", "x"] : ["y", "x"];
  const rank = shape.length;
  const indexOf = (axis: number, i: number) => {
    const map = axis === rank - 1 ? field.cols : axis === rank - 2 ? field.rows : undefined;
    return map ? map[i] : axis === 0 && rank === 3 ? (field.firstSnapshot ?? 0) + i : i;
  };
  let file: H5;
  try {
    file = new h5wasm.File(path, "w");
  } catch (e) {
    throw new Error(`cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const dimNames: string[] = [];
    for (let axis = 0; axis < rank; axis++) {
      const d = attributes?.dimensions[axis];
      const name = d?.name ?? generic[axis];
      dimNames.push(name);
      const n = shape[axis];
      if (d?.values) {
        const values = Array.from({ length: n }, (_, i) => d.values![indexOf(axis, i)]);
        const ds = file.create_dataset({ name, data: ARRAYS[d.type](values), shape: [n] });
        ds.make_scale(name);
        putAttributes(ds, d.attributes);
      } else {
        const ds = file.create_dataset({ name, data: new Float32Array(n), shape: [n] });
        ds.make_scale(`${DIM_WITHOUT_VARIABLE}${String(n).padStart(10)}`);
      }
    }
    for (const s of attributes?.selected ?? []) {
      if (s.values === null) continue;
      const ds = file.create_dataset({
        name: s.name,
        data: ARRAYS[s.type]([s.values[s.index]]),
        shape: [],
      });
      putAttributes(ds, s.attributes);
    }
    const name = attributes?.variable.name ?? "data";
    let hasMissing = false;
    for (let i = 0; i < data.length; i++) {
      if (Number.isNaN(data[i])) {
        hasMissing = true;
        break;
      }
    }
    const out = outputAttributes(attributes?.variable.attributes ?? {}, type, hasMissing);
    let values = data;
    if (hasMissing && out.fill !== null && !Number.isNaN(out.fill)) {
      values = data.slice();
      for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) values[i] = out.fill;
    }
    const ds = file.create_dataset({ name, data: values, shape });
    dimNames.forEach((d, axis) => ds.attach_scale(axis, `/${d}`));
    const scalars = (attributes?.selected ?? []).filter((s) => s.values !== null);
    if (scalars.length > 0) {
      const existing = textOf(out.attributes.coordinates);
      const names = [...(existing ? [existing] : []), ...scalars.map((s) => s.name)];
      out.attributes.coordinates = { type: "char", value: names.join(" ") };
    }
    putAttributes(ds, out.attributes);
    putAttributes(file, { ...(attributes?.global ?? {}), ...(field.extraGlobal ?? {}) });
  } catch (e) {
    file.close();
    throw new Error(`cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
  file.close();
}
