/**
 * Writing netCDF-4 with `npm:h5wasm` (loaded on use): {@linkcode writeNetcdf}.
 *
 * @module
 */

import type { MrcAttribute } from "../../../format/attributes.ts";
import { permutationOf } from "./order.ts";
import { storageOfSource } from "./storage.ts";
import type { NetcdfOutput, NetcdfWriteReport } from "./types.ts";
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
 * The default chunks of a variable of `shape`: one snapshot (the whole of the last two axes),
 * its rows split (then its columns) so that a chunk holds at most 4 MiB.
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

/** The names the file would hold, checked before anything is written. */
function checkNames(path: string, field: NetcdfOutput, dimNames: string[], name: string): void {
  const a = field.attributes;
  const check = (what: string, n: string) => {
    const problem = netcdfNameProblem(n);
    if (problem !== null) {
      throw new Error(
        `${path}: cannot write ${what} ${JSON.stringify(n)} as netCDF: the name ${problem}`,
      );
    }
  };
  const attributes = (owner: string, r: Record<string, MrcAttribute>) => {
    for (const key of Object.keys(r)) check(`attribute of ${owner}`, key);
  };
  dimNames.forEach((d) => check("dimension", d));
  check("variable", name);
  for (const s of a?.selected ?? []) check("selected dimension", s.name);
  for (const d of a?.dimensions ?? []) attributes(`dimension "${d.name}"`, d.attributes);
  for (const s of a?.selected ?? []) attributes(`dimension "${s.name}"`, s.attributes);
  attributes(`variable "${name}"`, a?.variable.attributes ?? {});
  attributes("the file", { ...(a?.global ?? {}), ...(field.extraGlobal ?? {}) });
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

/**
 * Writes a field as a netCDF-4 file that netCDF-C, NCO, CDO and xarray read and can edit: link
 * and attribute creation order tracked (as netCDF-C writes them, so `ncatted` and append mode
 * work), the source's unlimited dimensions (else a leading time dimension: the record dimension
 * `ncrcat` concatenates along), the variable chunked and deflated as its source was (`deflate`,
 * `chunks`, else the file's `source` record, else the defaults), with its attributes (unpacked: no
 * `scale_factor`/`add_offset`; the source's fill convention, see `outputAttributes` in `cf.ts`),
 * its values moved onto its valid range where they were within `bound` of it, its dimensions
 * with their coordinate variables (sampled at `rows`/`cols` for a coarse level), the selected
 * dimensions as scalar coordinates named in `coordinates`, and the global attributes. Attributes
 * naming variables the file does not hold (`coordinates`, `bounds`, ...) are removed and listed
 * in the report.
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
  const { data, shape } = field;
  if (shape.length !== 2 && shape.length !== 3) {
    throw new TypeError(
      `Cannot write ${path}: shape must be [T, H, W] or [H, W], found [${shape}]`,
    );
  }
  if (data.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new TypeError(`Cannot write ${path}: ${data.length} values do not fill shape [${shape}]`);
  }
  if (field.deflate !== undefined) checkDeflate(path, field.deflate);
  const bytes = data.BYTES_PER_ELEMENT;
  if (field.chunks !== undefined) {
    const problem = chunksProblem(field.chunks, shape, bytes);
    if (problem !== null) throw new TypeError(`Cannot write ${path}: chunks: ${problem}`);
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
  const dimNames = Array.from(
    { length: rank },
    (_, axis) => attributes?.dimensions[axis]?.name ?? generic[axis],
  );
  const name = attributes?.variable.name ?? "data";
  checkNames(path, field, dimNames, name);
  // The written order: axis k of the variable is axis perm[k] of `data`.
  const perm = writtenOrder(path, dimNames, field.order);
  // How the source stored it (recorded by compress), where the file says and the caller does not.
  const stored = storageOfSource(attributes?.source, dimNames, shape);
  // The unlimited dimensions: the source's, else a leading time dimension, the record dimension
  // netCDF-C, NCO and CDO append along (a fixed time in the source stays fixed).
  const unlimited = stored.unlimited ?? new Set(
    rank === 3 && perm[0] === 0 &&
      isTimeCoordinate(dimNames[0], attributes?.dimensions[0]?.attributes ?? {})
      ? [dimNames[0]]
      : [],
  );
  const deflate = field.deflate ?? stored.deflate ?? DEFAULT_DEFLATE;
  // HDF5 chunks every variable with a filter or an unlimited dimension.
  const needsChunks = deflate > 0 || unlimited.size > 0;
  // The caller's, else the source's, else (a contiguous source too) chunks only where needed.
  const sourceChunks = stored.chunks && chunksProblem(stored.chunks, shape, bytes) === null
    ? stored.chunks
    : undefined;
  const chunks = field.chunks ?? sourceChunks ?? (needsChunks ? defaultChunks(shape, bytes) : null);

  // What the file holds, then the references to anything else removed.
  const scalars = (attributes?.selected ?? []).filter((s) => s.values !== null);
  const written = new Set([
    name,
    ...dimNames.filter((_, axis) => attributes?.dimensions[axis]?.values),
    ...scalars.map((s) => s.name),
  ]);
  const auxiliary = carriedVariables(field, dimNames, written);
  for (const a of auxiliary) written.add(a.name);
  const extraDims = new Map<string, number>();
  for (const a of auxiliary) {
    a.dims.forEach((d, k) => {
      if (!dimNames.includes(d)) extraDims.set(d, a.shape[k]);
    });
  }
  const removed: string[] = [];
  const clean = (owner: string, r: Record<string, MrcAttribute>) => {
    const result = withoutDanglingReferences(r, written);
    removed.push(...result.removed.map((line) => `${owner}:${line}`));
    return result.attributes;
  };
  const out = outputAttributes(attributes?.variable.attributes ?? {}, type);
  const variableAttributes = clean(name, out.attributes);
  if (scalars.length > 0) {
    const existing = textOf(variableAttributes.coordinates);
    const names = [...(existing ? [existing] : []), ...scalars.map((s) => s.name)];
    variableAttributes.coordinates = { type: "char", value: names.join(" ") };
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

  let file: H5;
  try {
    file = new h5wasm.File(path, "w", { track_order: true });
  } catch (e) {
    throw new Error(`${path}: cannot write: ${hdf5Problem(e)}`, { cause: e });
  }
  try {
    for (let axis = 0; axis < rank; axis++) {
      const d = attributes?.dimensions[axis];
      const dim = dimNames[axis];
      const n = shape[axis];
      const record = unlimited.has(dim)
        ? {
          maxshape: [null],
          chunks: [Math.max(1, RECORD_1D_CHUNK_BYTES / (d?.values ? sizeOf(d.type) : 4))],
        }
        : {};
      if (d?.values) {
        const coords = Array.from({ length: n }, (_, i) => d.values![indexOf(axis, i)]);
        const ds = file.create_dataset({
          name: dim,
          data: ARRAYS[d.type](coords),
          shape: [n],
          ...record,
          track_order: true,
        });
        ds.make_scale(dim);
        putAttributes(ds, clean(dim, d.attributes));
      } else {
        const ds = file.create_dataset({
          name: dim,
          data: new Float32Array(n),
          shape: [n],
          ...record,
          track_order: true,
        });
        ds.make_scale(`${DIM_WITHOUT_VARIABLE}${String(n).padStart(10)}`);
      }
    }
    for (const [dim, n] of extraDims) {
      const ds = file.create_dataset({
        name: dim,
        data: new Float32Array(n),
        shape: [n],
        track_order: true,
      });
      ds.make_scale(`${DIM_WITHOUT_VARIABLE}${String(n).padStart(10)}`);
    }
    for (const s of scalars) {
      const ds = file.create_dataset({
        name: s.name,
        data: ARRAYS[s.type]([s.values![s.index]]),
        shape: [],
        track_order: true,
      });
      putAttributes(ds, clean(s.name, s.attributes));
    }
    const written = perm.map((a) => shape[a]);
    const ds = file.create_dataset({
      name,
      data: transposed(values, shape, perm),
      shape: written,
      ...(unlimited.size > 0
        ? { maxshape: perm.map((a, k) => unlimited.has(dimNames[a]) ? null : written[k]) }
        : {}),
      ...(chunks ? { chunks: perm.map((a) => chunks[a]) } : {}),
      ...(deflate > 0 ? { compression: "gzip", compression_opts: deflate } : {}),
      track_order: true,
    });
    perm.forEach((a, k) => ds.attach_scale(k, `/${dimNames[a]}`));
    putAttributes(ds, variableAttributes);
    for (const a of auxiliary) {
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
      putAttributes(aux, clean(a.name, a.attributes));
    }
    putAttributes(file, { ...(attributes?.global ?? {}), ...(field.extraGlobal ?? {}) });
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
    chunks: chunks && perm.map((a) => chunks[a]),
    deflate,
    unlimited: perm.map((a) => dimNames[a]).filter((d) => unlimited.has(d)),
    clamped,
    removed,
    dimensions: perm.map((a) => dimNames[a]),
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

/** `values` of `shape` (row-major) with its axes in the order `perm` (`values` itself for none). */
function transposed<A extends Float32Array | Float64Array>(
  values: A,
  shape: number[],
  perm: number[],
): A {
  if (perm.every((a, k) => a === k)) return values;
  if (shape.length === 2) return transposed(values, [1, ...shape], [0, ...perm.map((a) => a + 1)]);
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((p, n) => p * n, 1));
  const [n0, n1, n2] = perm.map((a) => shape[a]);
  const [s0, s1, s2] = perm.map((a) => strides[a]);
  const out = new (values.constructor as { new (n: number): A })(values.length);
  let o = 0;
  for (let i = 0; i < n0; i++) {
    for (let j = 0; j < n1; j++) {
      const base = i * s0 + j * s1;
      for (let k = 0; k < n2; k++) out[o++] = values[base + k * s2];
    }
  }
  return out;
}

/**
 * The auxiliary variables the `.mrc` file carries (`source.variables` of its `ATTR`) that the
 * output can hold, sampled like the field: along each of the field's dimensions at the decoded
 * level's rows, columns and snapshots, whole along a dimension of their own (`nv`). Left out: one
 * whose name is taken, whose extent disagrees with the field's, whose own dimension clashes with
 * another's, and cell bounds along a dimension the level coarsens (a sampled row's bounds are not
 * those of the coarse cell); the attributes naming them are then removed like any dangling one.
 */
function carriedVariables(
  field: NetcdfOutput,
  dimNames: string[],
  taken: ReadonlySet<string>,
): (AuxiliaryVariable & { name: string })[] {
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
  const index = (axis: number, i: number) => {
    const map = axis === rank - 1 ? field.cols : axis === rank - 2 ? field.rows : undefined;
    return map ? map[i] : axis === 0 && rank === 3 ? (field.firstSnapshot ?? 0) + i : i;
  };
  const out: (AuxiliaryVariable & { name: string })[] = [];
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
    // Rows and columns are sampled at a coarse level; snapshots are a range, exact either way.
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
        offset += (axes[k] < 0 ? at[k] : index(axes[k], at[k])) * strides[k];
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
