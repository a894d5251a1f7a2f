/**
 * Writing netCDF-4 with `npm:h5wasm` (loaded on use): {@linkcode writeNetcdfFile} (several
 * fields, one variable each, sharing their dimensions) and {@linkcode writeNetcdf} (one).
 *
 * @module
 */

import type {
  MrcAttribute,
  MrcAttributeType,
  MrcSelectedDimension,
} from "../../../format/attributes.ts";
import { permutationOf } from "./order.ts";
import { type SourceStorage, storageOfSource } from "./storage.ts";
import type { NetcdfFileReport, NetcdfOutput, NetcdfWriteReport } from "./types.ts";
import { DIM_WITHOUT_VARIABLE, type H5, hdf5Problem, loadH5wasm } from "./hdf5.ts";
import {
  type AuxiliaryVariable,
  isTimeCoordinate,
  outputAttributes,
  readAuxiliaryVariables,
  textOf,
  validInterval,
  withoutDanglingReferences,
} from "./cf.ts";

/**
 * Deflate level of a written variable when none is asked for: 1, zlib's fastest, which takes
 * most of what higher levels do on decoded floats at a fraction of their time. Used where the
 * `.mrc` file records no deflate level of its source (a classic or `.npy` source, or a file
 * written before `source.deflate`).
 */
export const DEFAULT_DEFLATE = 1;

/** Most bytes of a default chunk: netCDF-C's default chunk size (4 MiB). */
const MAX_CHUNK_BYTES = 4 * 1024 * 1024;
/** Bytes of a chunk of a 1-D record variable, as netCDF-C makes it (`DEFAULT_1D_UNLIM_SIZE`). */
const RECORD_1D_CHUNK_BYTES = 4096;
/** HDF5's largest chunk: under 4 GiB. */
const HDF5_MAX_CHUNK_BYTES = 2 ** 32 - 1;

/**
 * The default chunks of a variable of `shape`: one snapshot (and one layer of a 4-D variable:
 * the whole of the last two axes), its rows split (then its columns) so that a chunk holds at most 4 MiB.
 */
export function defaultChunks(shape: number[], bytes: number): number[] {
  const chunks = shape.map((n, axis) => axis < shape.length - 2 ? 1 : Math.max(1, n));
  const rank = shape.length;
  const size = () => chunks.reduce((a, b) => a * b, bytes);
  while (size() > MAX_CHUNK_BYTES && chunks[rank - 2] > 1) {
    chunks[rank - 2] = Math.ceil(chunks[rank - 2] / 2);
  }
  while (size() > MAX_CHUNK_BYTES && chunks[rank - 1] > 1) {
    chunks[rank - 1] = Math.ceil(chunks[rank - 1] / 2);
  }
  return chunks;
}

/**
 * Why `chunks` cannot chunk a variable of `shape` with `bytes` per value, or null when it can:
 * one positive integer per axis, none above the axis length, under 4 GiB together (HDF5's limit).
 */
export function chunksProblem(chunks: number[], shape: number[], bytes: number): string | null {
  if (chunks.length !== shape.length) {
    return `${chunks.length} chunk sizes for ${shape.length} axes (shape ${shape.join(" x ")})`;
  }
  for (let axis = 0; axis < shape.length; axis++) {
    const c = chunks[axis];
    if (!Number.isInteger(c) || c < 1) {
      return `chunk size ${c} of axis ${axis} is not an integer >= 1`;
    }
    if (c > shape[axis]) {
      return `chunk size ${c} of axis ${axis} is above its length ${shape[axis]} (shape ${
        shape.join(" x ")
      })`;
    }
  }
  const size = chunks.reduce((a, b) => a * b, bytes);
  if (size > HDF5_MAX_CHUNK_BYTES) {
    return `a chunk of ${chunks.join(" x ")} values is ${size} bytes, above HDF5's limit of 4 GiB`;
  }
  return null;
}

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
 * Why netCDF cannot hold `name` as the name of a dimension, variable or attribute, or null when
 * it can: netCDF-C refuses an empty name, `/` (HDF5's path separator), control characters (C0,
 * DEL) and a name that ends in white space.
 */
export function netcdfNameProblem(name: string): string | null {
  if (name === "") return "is empty";
  if (name.includes("/")) return 'contains "/"';
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return "contains a control character";
  if (/\s$/.test(name)) return "ends in white space";
  return null;
}

/** Throws when netCDF cannot hold `name`, saying what it would have named. */
function checkName(path: string, what: string, name: string): void {
  const problem = netcdfNameProblem(name);
  if (problem !== null) {
    throw new Error(
      `${path}: cannot write ${what} ${JSON.stringify(name)} as netCDF: the name ${problem}`,
    );
  }
}

/** Throws when netCDF cannot hold the name of an attribute of `owner`. */
function checkAttributeNames(path: string, owner: string, r: Record<string, MrcAttribute>): void {
  for (const key of Object.keys(r)) checkName(path, `attribute of ${owner}`, key);
}

/** The names one field would put in the file, checked before anything is written. */
function checkNames(path: string, field: NetcdfOutput, dimNames: string[], name: string): void {
  const a = field.attributes;
  dimNames.forEach((d) => checkName(path, "dimension", d));
  checkName(path, "variable", name);
  for (const s of a?.selected ?? []) checkName(path, "selected dimension", s.name);
  for (const d of a?.dimensions ?? []) {
    checkAttributeNames(path, `dimension "${d.name}"`, d.attributes);
  }
  for (const s of a?.selected ?? []) {
    checkAttributeNames(path, `dimension "${s.name}"`, s.attributes);
  }
  checkAttributeNames(path, `variable "${name}"`, a?.variable.attributes ?? {});
  const seen = new Map<string, string>();
  const names: [string, string][] = [
    ...dimNames.map((d): [string, string] => [d, "dimension"]),
    ...(a?.selected ?? []).filter((s) => s.values !== null).map((s): [string, string] => [
      s.name,
      "selected dimension",
    ]),
    [name, "variable"],
  ];
  for (const [n, what] of names) {
    const other = seen.get(n);
    if (other !== undefined) {
      throw new Error(
        `${path}: cannot write ${what} ${JSON.stringify(n)} as netCDF: a ${other} has that name`,
      );
    }
    seen.set(n, what);
  }
}

/** Options of {@linkcode writeNetcdfFile}. */
export interface WriteNetcdfFileOptions {
  /**
   * Global attributes to add after the first field's `attributes.global`, e.g. a `history` line.
   * Default: none.
   */
  extraGlobal?: Record<string, MrcAttribute>;
}

/**
 * Writes a field as a netCDF-4 file: {@linkcode writeNetcdfFile} with one field, its
 * `extraGlobal` as the file's. The file is one that netCDF-C, NCO, CDO and xarray read and can
 * edit: link and attribute creation order tracked (as netCDF-C writes them, so `ncatted` and
 * append mode work), the source's unlimited dimensions (else a leading time dimension: the record
 * dimension `ncrcat` concatenates along), the variable chunked and deflated as its source was
 * (`deflate`, `chunks`, else the file's `source` record, else the defaults), with its attributes
 * (unpacked: no `scale_factor`/`add_offset`; the source's fill convention, see
 * `outputAttributes` in `cf.ts`), its values moved onto its valid range where they were within
 * `bound` of it, its dimensions with their coordinate variables (sampled at `rows`/`cols`, and
 * `layers` for a 4-D field, for a coarse level), the selected dimensions as scalar coordinates
 * named in `coordinates`, and the global attributes. Attributes naming variables the file does
 * not hold (`coordinates`, `bounds`, ...) are removed and listed in the report.
 *
 * @param path The output file (overwritten).
 * @param field The values, their shape, the stored attributes and the encoding.
 * @returns What was written: chunks, deflate level, unlimited dimension, values clamped,
 *   attributes removed.
 * @throws {TypeError} When the shape, the values or the encoding (`deflate`, `chunks`) are not
 *   usable; {@linkcode Error} naming the file when a name cannot be netCDF or HDF5 fails.
 *
 * @example Write a 2-D field and read it back
 * ```ts
 * import assert from "node:assert";
 * import { readNetcdf, writeNetcdf } from "./mod.ts";
 *
 * const path = await Deno.makeTempFile({ suffix: ".nc" });
 * const report = await writeNetcdf(path, {
 *   data: new Float32Array([1, 2, NaN, 4]),
 *   shape: [2, 2],
 *   attributes: null,
 * });
 * assert.deepStrictEqual(report.chunks, [2, 2]);
 * const back = await readNetcdf(path, { variable: "data" });
 * assert.deepStrictEqual(back.shape, [2, 2]);
 * assert.strictEqual(back.missing, 1);
 * await Deno.remove(path);
 * ```
 */
export async function writeNetcdf(path: string, field: NetcdfOutput): Promise<NetcdfWriteReport> {
  const { extraGlobal, ...rest } = field;
  return (await writeNetcdfFile(path, [rest], { extraGlobal })).variables[0];
}

/**
 * Writes fields as the variables of one netCDF-4 file, each as {@linkcode writeNetcdf} writes
 * one: fields read from one source share their dimensions (`time`, `lat`, `lon`), each written
 * once with its coordinate variable, and so do their scalar coordinates and auxiliary variables
 * (`source.variables`) of one name. A dimension is unlimited when it is for any field (its
 * source's unlimited dimensions, else a leading time dimension). An auxiliary variable named
 * like one of the fields is left out: the field is the variable of that name. The global
 * attributes are the first field's, then `options.extraGlobal`. Attributes naming variables the
 * file does not hold are removed; a name any field brings counts as held (`u:coordinates =
 * "lat2d"` stays where another field carries `lat2d`).
 *
 * Fields of shape `[T, Z, H, W]` have a vertical (layer) axis second, sampled at `layers` as the
 * rows and columns are at `rows` and `cols`.
 *
 * @param path The output file (overwritten).
 * @param fields The fields, one variable each, written in order.
 * @param options Global attributes to add.
 * @returns One report per field, in order, and every line of attributes removed.
 * @throws {TypeError} When a field's shape, values, sampling (`rows`, `cols`, `layers`) or
 *   encoding (`deflate`, `chunks`, `order`) is not usable, or a field has `extraGlobal` (pass
 *   `options.extraGlobal`); {@linkcode Error} naming the file when a name cannot be netCDF, when
 *   two fields are named alike, when two fields disagree on a name they share (a dimension of
 *   another length or other coordinate values, a scalar coordinate or auxiliary variable of
 *   other values, a name that is a dimension of one and a scalar coordinate of the other, ...),
 *   all before the file is opened, or when HDF5 fails.
 *
 * @example Two variables on one grid, written once
 * ```ts
 * import assert from "node:assert";
 * import { listNetcdfVariables, writeNetcdfFile } from "./mod.ts";
 * import type { MrcAttributes } from "../../../format/mod.ts";
 *
 * const attributes = (name: string): MrcAttributes => ({
 *   variable: { name, type: "float", attributes: {} },
 *   dimensions: [
 *     { name: "lat", size: 2, values: [-45, 45], type: "float", attributes: {} },
 *     { name: "lon", size: 2, values: [0, 180], type: "float", attributes: {} },
 *   ],
 *   selected: [],
 *   global: {},
 *   source: {},
 * });
 * const data = new Float32Array([1, 2, 3, 4]);
 * const path = await Deno.makeTempFile({ suffix: ".nc" });
 * const report = await writeNetcdfFile(path, [
 *   { data, shape: [2, 2], attributes: attributes("u") },
 *   { data, shape: [2, 2], attributes: attributes("v") },
 * ]);
 * assert.deepStrictEqual(report.variables.map((v) => v.name), ["u", "v"]);
 * const { variables } = await listNetcdfVariables(path);
 * assert.deepStrictEqual(variables.map((v) => v.name), ["lat", "lon", "u", "v"]);
 * await Deno.remove(path);
 * ```
 */
export async function writeNetcdfFile(
  path: string,
  fields: readonly NetcdfOutput[],
  options: WriteNetcdfFileOptions = {},
): Promise<NetcdfFileReport> {
  if (fields.length === 0) throw new TypeError(`Cannot write ${path}: no fields to write`);
  const fieldNames = new Set(fields.map(variableName));
  const plans = fields.map((field) => planField(path, field, fieldNames));
  const global = { ...(fields[0].attributes?.global ?? {}), ...(options.extraGlobal ?? {}) };
  checkAttributeNames(path, "the file", global);
  const contents = fileContents(path, plans);
  // A dimension unlimited for one field is unlimited for all: it is one dimension.
  const unlimited = new Set(plans.flatMap((p) => [...p.unlimited]));

  // Every name the file holds, and the attributes cleaned of references to anything else.
  const removedOf = new Map<string, string[]>();
  const clean = (owner: string, r: Record<string, MrcAttribute>) => {
    const result = withoutDanglingReferences(r, contents.names);
    removedOf.set(owner, result.removed.map((line) => `${owner}:${line}`));
    return result.attributes;
  };
  const coordinates = contents.dimensions.filter((d) => d.values !== null);
  const dimensionAttributes = new Map(
    coordinates.map((d) => [d.name, clean(d.name, d.attributes)]),
  );
  const scalarAttributes = new Map(
    contents.scalars.map((s) => [s.name, clean(s.name, s.attributes)]),
  );
  const auxiliaryAttributes = new Map(
    contents.auxiliary.map((a) => [a.name, clean(a.name, a.attributes)]),
  );
  const variables = plans.map((p) => layoutVariable(p, unlimited, clean));
  const reports = variables.map((v, i): NetcdfWriteReport => {
    const p = plans[i];
    const uses = [
      p.name,
      ...p.dimNames,
      ...p.scalars.map((s) => s.name),
      ...p.auxiliary.map((a) => a.name),
    ];
    return {
      name: p.name,
      chunks: v.chunks,
      deflate: p.deflate,
      unlimited: v.dimensions.filter((d) => unlimited.has(d)),
      clamped: v.clamped,
      removed: uses.flatMap((n) => removedOf.get(n) ?? []),
      dimensions: v.dimensions,
    };
  });

  const h5wasm = await loadH5wasm();
  let file: H5;
  try {
    file = new h5wasm.File(path, "w", { track_order: true });
  } catch (e) {
    throw new Error(`${path}: cannot write: ${hdf5Problem(e)}`, { cause: e });
  }
  try {
    for (const d of contents.dimensions) {
      const record = unlimited.has(d.name)
        ? {
          maxshape: [null],
          chunks: [Math.max(1, RECORD_1D_CHUNK_BYTES / (d.values ? sizeOf(d.type) : 4))],
        }
        : {};
      const ds = file.create_dataset({
        name: d.name,
        data: d.values ? ARRAYS[d.type](d.values) : new Float32Array(d.size),
        shape: [d.size],
        ...record,
        track_order: true,
      });
      if (d.values) {
        ds.make_scale(d.name);
        putAttributes(ds, dimensionAttributes.get(d.name)!);
      } else ds.make_scale(`${DIM_WITHOUT_VARIABLE}${String(d.size).padStart(10)}`);
    }
    for (const s of contents.scalars) {
      const ds = file.create_dataset({
        name: s.name,
        data: ARRAYS[s.type]([s.values![s.index]]),
        shape: [],
        track_order: true,
      });
      putAttributes(ds, scalarAttributes.get(s.name)!);
    }
    for (const v of variables) {
      const ds = file.create_dataset({
        name: v.name,
        data: v.data,
        shape: v.shape,
        ...(v.dimensions.some((d) => unlimited.has(d))
          ? { maxshape: v.shape.map((n, k) => unlimited.has(v.dimensions[k]) ? null : n) }
          : {}),
        ...(v.chunks ? { chunks: v.chunks } : {}),
        ...(v.deflate > 0 ? { compression: "gzip", compression_opts: v.deflate } : {}),
        track_order: true,
      });
      v.dimensions.forEach((d, k) => ds.attach_scale(k, `/${d}`));
      putAttributes(ds, v.attributes);
    }
    for (const a of contents.auxiliary) {
      const axes = a.dims.map((d) => unlimited.has(d));
      const rowBytes = a.shape.reduce((p, n, k) => axes[k] ? p : p * n, sizeOf(a.type));
      const record = !axes.includes(true) ? {} : {
        maxshape: a.shape.map((n, k) => axes[k] ? null : n),
        chunks: a.shape.map((n, k) =>
          axes[k] ? Math.max(1, Math.floor(RECORD_1D_CHUNK_BYTES / rowBytes)) : n
        ),
      };
      const aux = file.create_dataset({
        name: a.name,
        data: ARRAYS[a.type](a.values),
        shape: a.shape,
        ...record,
        track_order: true,
      });
      a.dims.forEach((d, k) => aux.attach_scale(k, `/${d}`));
      putAttributes(aux, auxiliaryAttributes.get(a.name)!);
    }
    putAttributes(file, global);
  } catch (e) {
    try {
      file.close();
    } catch { /* the error above is the one to report */ }
    throw new Error(`${path}: cannot write: ${hdf5Problem(e)}`, { cause: e });
  }
  // Closing flushes what HDF5 holds: a full disk shows here.
  let status;
  try {
    status = file.close();
  } catch (e) {
    throw new Error(`${path}: cannot write: ${hdf5Problem(e)}`, { cause: e });
  }
  if (typeof status === "number" && status < 0) {
    throw new Error(`${path}: cannot write: HDF5 could not close the file (status ${status})`);
  }
  return {
    variables: reports,
    dimensions: contents.dimensions.map((d) => d.name),
    unlimited: contents.dimensions.map((d) => d.name).filter((d) => unlimited.has(d)),
    removed: [...new Set(reports.flatMap((r) => r.removed))],
  };
}

/** The name of a field's variable: its source's, else `data`. */
function variableName(field: NetcdfOutput): string {
  return field.attributes?.variable.name ?? "data";
}

/** A dimension of the file, with its coordinate variable's values (sampled) where it has one. */
interface FileDimension {
  name: string;
  size: number;
  /** The coordinate values, or null without a coordinate variable. */
  values: number[] | null;
  type: MrcAttributeType;
  attributes: Record<string, MrcAttribute>;
  /**
   * Whether it is an axis of a field (coordinates included); false for a dimension only an
   * auxiliary variable has (`nv`), of which the length alone is known.
   */
  axis: boolean;
}

/** An auxiliary variable as written, sampled like its field. */
type CarriedVariable = AuxiliaryVariable & { name: string };

/** One field, checked, with what it puts in the file: everything but what depends on the others. */
interface FieldPlan {
  field: NetcdfOutput;
  name: string;
  /** The dimensions of `data`'s axes. */
  dimNames: string[];
  /** The written order: axis k of the variable is axis `perm[k]` of `data`. */
  perm: number[];
  /** One per axis of `data`. */
  dimensions: FileDimension[];
  /** Dimensions of the auxiliary variables that the field does not have, with their lengths. */
  extraDimensions: FileDimension[];
  /** The selected dimensions written as scalar coordinates. */
  scalars: MrcSelectedDimension[];
  auxiliary: CarriedVariable[];
  /** The field's own unlimited dimensions. */
  unlimited: Set<string>;
  /** How the source stored it. */
  stored: SourceStorage;
  deflate: number;
}

/**
 * Index into the source's coordinate values (`attributes.dimensions[axis].values`) of output
 * index `i` along `axis`: rows, columns and layers through their maps, snapshots offset by
 * `firstSnapshot`.
 */
function sourceIndex(field: NetcdfOutput, axis: number, i: number): number {
  const rank = field.shape.length;
  const map = axis === rank - 1
    ? field.cols
    : axis === rank - 2
    ? field.rows
    : axis === 1
    ? field.layers
    : undefined;
  if (map) return map[i];
  return axis === 0 && rank >= 3 ? (field.firstSnapshot ?? 0) + i : i;
}

/** Generic dimension names per rank, for a field without attributes. */
const GENERIC_DIMENSIONS: Record<number, string[]> = {
  2: ["y", "x"],
  3: ["time", "y", "x"],
  4: ["time", "z", "y", "x"],
};

/**
 * Checks one field and lays out what it puts in the file (before any file is opened).
 *
 * @param fieldNames The variables of every field of the file: an auxiliary variable of one of
 *   these names is left out.
 */
function planField(path: string, field: NetcdfOutput, fieldNames: ReadonlySet<string>): FieldPlan {
  const { data, shape } = field;
  if (shape.length < 2 || shape.length > 4) {
    throw new TypeError(
      `Cannot write ${path}: shape must be [T, Z, H, W], [T, H, W] or [H, W], found [${shape}]`,
    );
  }
  if (data.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new TypeError(`Cannot write ${path}: ${data.length} values do not fill shape [${shape}]`);
  }
  const rank = shape.length;
  if (field.layers !== undefined && rank !== 4) {
    throw new TypeError(
      `Cannot write ${path}: layers are for a shape [T, Z, H, W], found [${shape}]`,
    );
  }
  for (
    const [what, map, axis] of [["rows", field.rows, rank - 2], ["cols", field.cols, rank - 1], [
      "layers",
      field.layers,
      1,
    ]] as const
  ) {
    if (map !== undefined && map.length !== shape[axis]) {
      throw new TypeError(
        `Cannot write ${path}: ${map.length} ${what} for axis ${axis} of length ${shape[axis]}`,
      );
    }
  }
  if (field.extraGlobal !== undefined) {
    throw new TypeError(
      `Cannot write ${path}: a field's extraGlobal is writeNetcdf's; pass writeNetcdfFile's options.extraGlobal`,
    );
  }
  if (field.deflate !== undefined) checkDeflate(path, field.deflate);
  const bytes = data.BYTES_PER_ELEMENT;
  if (field.chunks !== undefined) {
    const problem = chunksProblem(field.chunks, shape, bytes);
    if (problem !== null) throw new TypeError(`Cannot write ${path}: chunks: ${problem}`);
  }
  const attributes = field.attributes;
  const dimNames = shape.map((_, axis) =>
    attributes?.dimensions[axis]?.name ?? GENERIC_DIMENSIONS[rank][axis]
  );
  const name = variableName(field);
  checkNames(path, field, dimNames, name);
  const perm = writtenOrder(path, dimNames, field.order);
  // How the source stored it (recorded by compress), where the file says and the caller does not.
  const stored = storageOfSource(attributes?.source, dimNames, shape);
  // The unlimited dimensions: the source's, else a leading time dimension, the record dimension
  // netCDF-C, NCO and CDO append along (a fixed time in the source stays fixed).
  const unlimited = stored.unlimited ?? new Set(
    rank >= 3 && perm[0] === 0 &&
      isTimeCoordinate(dimNames[0], attributes?.dimensions[0]?.attributes ?? {})
      ? [dimNames[0]]
      : [],
  );
  const dimensions = dimNames.map((dim, axis): FileDimension => {
    const d = attributes?.dimensions[axis];
    const values = d?.values
      ? Array.from({ length: shape[axis] }, (_, i) => d.values![sourceIndex(field, axis, i)])
      : null;
    return {
      name: dim,
      size: shape[axis],
      values,
      type: d?.type ?? "float",
      attributes: d?.attributes ?? {},
      axis: true,
    };
  });
  const scalars = (attributes?.selected ?? []).filter((s) => s.values !== null);
  const taken = new Set([
    ...fieldNames,
    ...dimensions.filter((d) => d.values !== null).map((d) => d.name),
    ...scalars.map((s) => s.name),
  ]);
  const auxiliary = carriedVariables(field, dimNames, taken);
  const extra = new Map<string, number>();
  for (const a of auxiliary) {
    a.dims.forEach((d, k) => {
      if (!dimNames.includes(d)) extra.set(d, a.shape[k]);
    });
  }
  const extraDimensions = [...extra].map(([dim, size]): FileDimension => ({
    name: dim,
    size,
    values: null,
    type: "float",
    attributes: {},
    axis: false,
  }));
  return {
    field,
    name,
    dimNames,
    perm,
    dimensions,
    extraDimensions,
    scalars,
    auxiliary,
    unlimited,
    stored,
    deflate: field.deflate ?? stored.deflate ?? DEFAULT_DEFLATE,
  };
}

/** What the file holds besides the fields' variables, each once, in the order first brought. */
interface FileContents {
  dimensions: FileDimension[];
  scalars: MrcSelectedDimension[];
  auxiliary: CarriedVariable[];
  /** Every variable name of the file (coordinate variables included), for the references. */
  names: Set<string>;
}

/** A name of the file: what it is, and the field that brought it. */
type Held =
  | { kind: "variable"; owner: string }
  | { kind: "dimension"; owner: string; dimension: FileDimension }
  | { kind: "scalar coordinate"; owner: string; scalar: MrcSelectedDimension }
  | { kind: "auxiliary variable"; owner: string; variable: CarriedVariable };

/**
 * The names the fields bring, each once, with a name two fields bring written once where they
 * agree on it.
 *
 * @throws {Error} Naming the file, both fields and the name, when two fields are named alike or
 *   disagree on a name.
 */
function fileContents(path: string, plans: readonly FieldPlan[]): FileContents {
  const held = new Map<string, Held>();
  const hold = (name: string, entry: Held) => {
    const had = held.get(name);
    if (had === undefined) {
      held.set(name, entry);
      return;
    }
    if (had.kind === "variable" && entry.kind === "variable") {
      throw new Error(
        `${path}: cannot write two variables named ${
          JSON.stringify(name)
        }: write them to separate files`,
      );
    }
    const detail = had.kind !== entry.kind
      ? `${heldAs(had)}, ${heldAs(entry)}`
      : difference(had, entry);
    if (detail !== null) {
      const what = had.kind === entry.kind ? `${had.kind} ` : "";
      throw new Error(
        `${path}: variables ${JSON.stringify(had.owner)} and ${
          JSON.stringify(entry.owner)
        } disagree on ${what}${JSON.stringify(name)} (${detail}): write them to separate files`,
      );
    }
    // The same dimension: one that is a field's axis says more than an auxiliary one's.
    if (had.kind === "dimension" && entry.kind === "dimension" && !had.dimension.axis) {
      held.set(name, entry);
    }
  };
  for (const p of plans) {
    const owner = p.name;
    hold(p.name, { kind: "variable", owner });
    for (const d of [...p.dimensions, ...p.extraDimensions]) {
      hold(d.name, { kind: "dimension", owner, dimension: d });
    }
    for (const s of p.scalars) hold(s.name, { kind: "scalar coordinate", owner, scalar: s });
    for (const a of p.auxiliary) hold(a.name, { kind: "auxiliary variable", owner, variable: a });
  }
  const entries = [...held.values()];
  const contents: FileContents = {
    dimensions: entries.flatMap((e) => e.kind === "dimension" ? [e.dimension] : []),
    scalars: entries.flatMap((e) => e.kind === "scalar coordinate" ? [e.scalar] : []),
    auxiliary: entries.flatMap((e) => e.kind === "auxiliary variable" ? [e.variable] : []),
    names: new Set(),
  };
  for (const [name, e] of held) {
    if (e.kind !== "dimension" || e.dimension.values !== null) contents.names.add(name);
  }
  return contents;
}

/** What a name is to the field that brought it, for an error. */
function heldAs(e: Held): string {
  return e.kind === "variable"
    ? `the variable ${JSON.stringify(e.owner)}`
    : `${e.kind === "auxiliary variable" ? "an" : "a"} ${e.kind} of ${JSON.stringify(e.owner)}`;
}

/** How two entries of one kind and name differ, or null when the file can hold them as one. */
function difference(a: Held, b: Held): string | null {
  const [u, v] = [JSON.stringify(a.owner), JSON.stringify(b.owner)];
  if (a.kind === "dimension" && b.kind === "dimension") {
    const [x, y] = [a.dimension, b.dimension];
    if (x.size !== y.size) return `${x.size} vs ${y.size} values`;
    // A dimension only an auxiliary variable has is known by its length alone.
    if (!x.axis || !y.axis) return null;
    if ((x.values === null) !== (y.values === null)) {
      return x.values === null
        ? `no coordinates in ${u}, coordinates in ${v}`
        : `coordinates in ${u}, none in ${v}`;
    }
    if (x.values === null || y.values === null) return null;
    const i = x.values.findIndex((value, k) => !Object.is(value, y.values![k]));
    if (i >= 0) return `coordinate ${i} is ${x.values[i]} in ${u}, ${y.values[i]} in ${v}`;
    if (x.type !== y.type || !sameAttributes(x.attributes, y.attributes)) {
      return "the coordinate variables' types or attributes differ";
    }
    return null;
  }
  if (a.kind === "scalar coordinate" && b.kind === "scalar coordinate") {
    const [x, y] = [a.scalar, b.scalar];
    const [p, q] = [x.values![x.index], y.values![y.index]];
    if (!Object.is(p, q)) return `${p} in ${u}, ${q} in ${v}`;
    if (x.type !== y.type || !sameAttributes(x.attributes, y.attributes)) {
      return "their types or attributes differ";
    }
    return null;
  }
  if (a.kind === "auxiliary variable" && b.kind === "auxiliary variable") {
    const [x, y] = [a.variable, b.variable];
    const dims = (z: CarriedVariable) => z.dims.map((d, k) => `${d}=${z.shape[k]}`).join(", ");
    if (dims(x) !== dims(y)) return `(${dims(x)}) in ${u}, (${dims(y)}) in ${v}`;
    if (!sameNumbers(x.values, y.values)) return "their values differ";
    if (x.type !== y.type || !sameAttributes(x.attributes, y.attributes)) {
      return "their types or attributes differ";
    }
    return null;
  }
  return null;
}

/** Whether two lists of numbers are the same, NaN equal to NaN. */
function sameNumbers(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Whether two sets of attributes are the same, whatever their order. */
function sameAttributes(a: Record<string, MrcAttribute>, b: Record<string, MrcAttribute>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => {
    const [x, y] = [a[k], b[k]];
    if (y === undefined || x.type !== y.type) return false;
    return typeof x.value === "string" || typeof y.value === "string"
      ? x.value === y.value
      : sameNumbers(x.value, y.value);
  });
}

/** A field's variable as written: values, shape and chunks in the written order. */
interface WrittenVariable {
  name: string;
  data: Float32Array | Float64Array;
  shape: number[];
  dimensions: string[];
  chunks: number[] | null;
  deflate: number;
  attributes: Record<string, MrcAttribute>;
  /** Values moved onto the valid range. */
  clamped: number;
}

/**
 * A field's variable laid out in a file whose dimensions `unlimited` are: its chunks, its
 * attributes (cleaned by `clean`), its values on the valid range with the fill in missing
 * cells, transposed to the written order.
 */
function layoutVariable(
  p: FieldPlan,
  unlimited: ReadonlySet<string>,
  clean: (owner: string, r: Record<string, MrcAttribute>) => Record<string, MrcAttribute>,
): WrittenVariable {
  const { field, perm } = p;
  const { data, shape } = field;
  const bytes = data.BYTES_PER_ELEMENT;
  const type = data instanceof Float64Array ? "double" : "float";
  // HDF5 chunks every variable with a filter or an unlimited dimension.
  const needsChunks = p.deflate > 0 || p.dimNames.some((d) => unlimited.has(d));
  // The caller's, else the source's, else (a contiguous source too) chunks only where needed.
  const sourceChunks = p.stored.chunks && chunksProblem(p.stored.chunks, shape, bytes) === null
    ? p.stored.chunks
    : undefined;
  const chunks = field.chunks ?? sourceChunks ?? (needsChunks ? defaultChunks(shape, bytes) : null);

  const out = outputAttributes(field.attributes?.variable.attributes ?? {}, type);
  const attributes = clean(p.name, out.attributes);
  if (p.scalars.length > 0) {
    const existing = textOf(attributes.coordinates);
    const names = [...(existing ? [existing] : []), ...p.scalars.map((s) => s.name)];
    attributes.coordinates = { type: "char", value: names.join(" ") };
  }

  // Values: onto the valid range where the source was in it, the fill in missing cells.
  const valid = validInterval(out.attributes, type);
  const bound = field.bound ?? Infinity;
  let values = data;
  let clamped = 0;
  const copy = () => values === data ? (values = data.slice()) : values;
  if (valid !== null) {
    const [lo, hi] = valid;
    // Within the bound plus a rounding step of the type: the decode's own arithmetic.
    const slack = bound * (1 + 1e-6) + (type === "float" ? 2 ** -23 : 2 ** -52) *
        Math.max(Math.abs(lo), Math.abs(hi));
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      if (x < lo && lo - x <= slack) {
        copy()[i] = lo;
        clamped++;
      } else if (x > hi && x - hi <= slack) {
        copy()[i] = hi;
        clamped++;
      }
    }
  }
  if (!Number.isNaN(out.fill)) {
    for (let i = 0; i < data.length; i++) if (Number.isNaN(data[i])) copy()[i] = out.fill;
  }
  return {
    name: p.name,
    data: transposed(values, shape, perm),
    shape: perm.map((a) => shape[a]),
    dimensions: perm.map((a) => p.dimNames[a]),
    chunks: chunks && perm.map((a) => chunks[a]),
    deflate: p.deflate,
    attributes,
    clamped,
  };
}

/** @throws {TypeError} When `deflate` is not a zlib level, 0 to 9. */
function checkDeflate(path: string, deflate: number): void {
  if (!Number.isInteger(deflate) || deflate < 0 || deflate > 9) {
    throw new TypeError(`Cannot write ${path}: deflate level must be 0 to 9, found ${deflate}`);
  }
}

/**
 * The axes of `dimNames` in the order `order` names them (identity without one).
 *
 * @throws {TypeError} When `order` is not a permutation of `dimNames`.
 */
function writtenOrder(path: string, dimNames: string[], order?: readonly string[]): number[] {
  if (order === undefined) return dimNames.map((_, a) => a);
  const perm = permutationOf(dimNames, order);
  if (perm === null) {
    throw new TypeError(
      `Cannot write ${path}: the order (${order.join(", ")}) is not one of the dimensions (${
        dimNames.join(", ")
      })`,
    );
  }
  return perm;
}

/**
 * `values` of `shape` (row-major) with its axes in the order `perm`: axis k of the result is
 * axis `perm[k]` of `values`, of any rank (`values` itself for the identity).
 */
export function transposed<A extends Float32Array | Float64Array>(
  values: A,
  shape: readonly number[],
  perm: readonly number[],
): A {
  if (perm.every((a, k) => a === k)) return values;
  const out = new (values.constructor as { new (n: number): A })(values.length);
  if (values.length === 0) return out;
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((p, n) => p * n, 1));
  // Lengths and source strides of the written axes; the last written axis is the inner loop.
  const lengths = perm.map((a) => shape[a]);
  const steps = perm.map((a) => strides[a]);
  const last = perm.length - 1;
  const [inner, step] = [lengths[last], steps[last]];
  const at = new Array<number>(last).fill(0);
  let base = 0; // the source offset of `at` (the outer axes' indices)
  let o = 0;
  for (;;) {
    for (let k = 0; k < inner; k++) out[o++] = values[base + k * step];
    let axis = last - 1;
    for (; axis >= 0; axis--) {
      base += steps[axis];
      if (++at[axis] < lengths[axis]) break;
      base -= steps[axis] * lengths[axis];
      at[axis] = 0;
    }
    if (axis < 0) return out;
  }
}

/**
 * The auxiliary variables the `.mrc` file carries (`source.variables` of its `ATTR`) that the
 * output can hold, sampled like the field: along each of the field's dimensions at the decoded
 * level's rows, columns, layers and snapshots, whole along a dimension of their own (`nv`). Left
 * out: one whose name is taken, whose extent disagrees with the field's, whose own dimension
 * clashes with another's, and cell bounds along a dimension the level coarsens (a sampled row's
 * bounds are not those of the coarse cell); the attributes naming them are then removed like any
 * dangling one.
 */
function carriedVariables(
  field: NetcdfOutput,
  dimNames: string[],
  taken: ReadonlySet<string>,
): CarriedVariable[] {
  const attributes = field.attributes;
  const source = attributes?.source as Record<string, unknown> | undefined;
  const stored = readAuxiliaryVariables(source?.variables);
  if (stored.size === 0 || attributes === null) return [];
  const rank = field.shape.length;
  const bounds = new Set<string>();
  for (const d of attributes.dimensions) {
    for (const key of ["bounds", "climatology"]) {
      const t = textOf(d.attributes[key]);
      if (t) bounds.add(t.trim());
    }
  }
  const out: CarriedVariable[] = [];
  const extra = new Map<string, number>();
  for (const [name, x] of stored) {
    if (taken.has(name) || dimNames.includes(name) || netcdfNameProblem(name) !== null) continue;
    const axes = x.dims.map((d) => dimNames.indexOf(d));
    const fits = axes.every((axis, k) =>
      axis < 0
        ? netcdfNameProblem(x.dims[k]) === null && !taken.has(x.dims[k]) &&
          (extra.get(x.dims[k]) ?? x.shape[k]) === x.shape[k]
        : attributes.dimensions[axis]?.size === x.shape[k]
    );
    if (!fits) continue;
    // Rows and columns are sampled at a coarse level; snapshots and layers are selected, exact.
    const coarse = axes.some((axis, k) => axis >= rank - 2 && field.shape[axis] < x.shape[k]);
    if (coarse && bounds.has(name)) continue;
    x.dims.forEach((d, k) => {
      if (axes[k] < 0) extra.set(d, x.shape[k]);
    });
    // Gather: each output element from its element of the stored box.
    const shape = axes.map((axis, k) => axis < 0 ? x.shape[k] : field.shape[axis]);
    const strides = x.shape.map((_, k) => x.shape.slice(k + 1).reduce((a, b) => a * b, 1));
    const count = shape.reduce((a, b) => a * b, 1);
    const values = new Array<number>(count);
    const at = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < count; i++) {
      let offset = 0;
      for (let k = 0; k < shape.length; k++) {
        offset += (axes[k] < 0 ? at[k] : sourceIndex(field, axes[k], at[k])) * strides[k];
      }
      values[i] = x.values[offset];
      for (let k = shape.length - 1; k >= 0; k--) {
        if (++at[k] < shape[k]) break;
        at[k] = 0;
      }
    }
    out.push({ ...x, name, shape, values });
  }
  return out;
}

/** Bytes of a value of a numeric netCDF type. */
function sizeOf(type: string): number {
  return ARRAYS[type]([0]).byteLength;
}
