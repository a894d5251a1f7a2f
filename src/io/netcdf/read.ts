/**
 * Reading: {@linkcode listNetcdfVariables}, {@linkcode netcdfLayers}, {@linkcode readNetcdf} (and
 * {@linkcode openNetcdfVariable}, both of the last two with one opening) over a {@linkcode Source}.
 *
 * @module
 */

import type { MrcDimension, MrcSelectedDimension } from "../../../format/attributes.ts";
import type { NetcdfField, NetcdfListing, NetcdfSelection, ReadNetcdfOptions } from "./types.ts";
import { isNumericType, openSource, type Source, type Variable } from "./source.ts";
import {
  auxiliaryVariables,
  coordinate,
  groupOf,
  isTimeDimension,
  single,
  textOf,
  variableNote,
} from "./cf.ts";
import { resolveSelection } from "./select.ts";
import { storageRecord } from "./storage.ts";

/** Values read per slab (a progress step, and a chance for a signal): 4 Mi, 32 MiB as float64. */
const SLAB_VALUES = 4 * 1024 * 1024;

/**
 * Largest number of values a variable (after selection) may have: 2^28 (1 GiB as float32). The
 * whole selection is held in memory while compressing (about twice its float32 size at the peak, read in slabs); pass
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
          group: groupOf(v.name),
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
 * The variable `name` of an open file: by its path in a netCDF-4 group (`forecast/t2m`), or, when
 * only one variable has the name, by its name alone.
 *
 * @throws {Error} When there is none (listing the compressible ones) or several.
 */
function findVariable(source: Source, path: string, name: string): Variable {
  // A variable of a group by its path (`forecast/t2m`), or, when only one variable has the name,
  // by its name alone.
  const matches = source.variables.filter((x) =>
    x.name === name || x.name.endsWith(`/${name.replace(/^\//, "")}`)
  );
  const v = matches.find((x) => x.name === name.replace(/^\//, "")) ??
    (matches.length === 1 ? matches[0] : undefined);
  if (!v && matches.length > 1) {
    throw new Error(
      `${path}: "${name}" is in several groups (${
        matches.map((x) => x.name).join(", ")
      }): give its path`,
    );
  }
  if (!v) {
    const names = source.variables.filter((x) => variableNote(source, x).ok).map((x) => x.name);
    throw new Error(
      `${path}: no variable "${name}" (compressible: ${names.join(", ") || "none"})`,
    );
  }
  return v;
}

/**
 * The selection of axis `i` of `v` as an index or a range: its text form (a value, a date, `#I`)
 * resolved against the dimension's coordinate variable; undefined where none is given.
 */
function selectionOf(
  source: Source,
  v: Variable,
  i: number,
  given: NetcdfSelection | undefined,
  where: string,
): number | [number, number] | undefined {
  if (typeof given !== "string") return given;
  const d = v.dims[i], size = v.shape[i];
  return resolveSelection(
    { name: d, size, ...coordinate(source, d, size, groupOf(v.name)) },
    given,
    where,
  );
}

/**
 * The layers of a 4-D variable as a selection leaves it: the dimension that is neither time nor
 * one of the last two (the vertical level, an ensemble member), and the indices of it kept, so
 * that each layer is read as a 3-D field (`select: { [layer]: index }`) and the variable stored
 * as one with a layer axis. Null when the selection leaves 2 or 3 dimensions.
 *
 * @param path A local file.
 * @param options The variable and the selection.
 * @returns The layer dimension and its kept indices, or null.
 * @throws {Error} As {@linkcode readNetcdf}, for an unknown variable or a bad selection.
 *
 * @example The 4-D variable of the test fixture has 2 layers along `level`
 * ```ts
 * import assert from "node:assert";
 * import { netcdfLayers } from "./mod.ts";
 *
 * const path = new URL("../../../tests/testdata/netcdf/small-nc4.nc", import.meta.url).pathname;
 * assert.deepStrictEqual(await netcdfLayers(path, { variable: "air" }), {
 *   dimension: "level",
 *   indices: [0, 1],
 * });
 * assert.strictEqual(await netcdfLayers(path, { variable: "air", select: { level: 1 } }), null);
 * ```
 */
export async function netcdfLayers(
  path: string,
  options: Pick<ReadNetcdfOptions, "variable" | "select">,
): Promise<NetcdfLayers | null> {
  const source = await openSource(path);
  try {
    return layersOf(source, path, options);
  } finally {
    source.close();
  }
}

/** The layer dimension of a 4-D selection and its kept indices ({@linkcode netcdfLayers}). */
export interface NetcdfLayers {
  /** The name of the layer dimension (neither time nor the grid, e.g. `level`). */
  dimension: string;
  /** The indices of the layers the selection keeps, in order. */
  indices: number[];
}

/** {@linkcode netcdfLayers} of an open file. */
function layersOf(
  source: Source,
  path: string,
  options: Pick<ReadNetcdfOptions, "variable" | "select">,
): NetcdfLayers | null {
  const v = findVariable(source, path, options.variable);
  const where = `${path}: variable "${options.variable}"`;
  const group = groupOf(v.name);
  const select = options.select ?? {};
  const kept: { name: string; range: [number, number] }[] = [];
  v.dims.forEach((d, i) => {
    const s = selectionOf(source, v, i, select[d], where);
    if (s === undefined) kept.push({ name: d, range: [0, v.shape[i]] });
    else if (Array.isArray(s)) kept.push({ name: d, range: s });
  });
  if (kept.length !== 4) return null;
  const time = kept.findIndex((d) => isTimeDimension(source, d.name, group));
  // Time (or, without one, the first dimension) is the stack, and the last two others the
  // grid: the layer is the first of the others.
  const at = time === 0 ? 1 : time === 1 ? 0 : time > 1 ? 0 : 1;
  const [a, b] = kept[at].range;
  return { dimension: kept[at].name, indices: Array.from({ length: b - a }, (_, k) => a + k) };
}

/**
 * One variable of a netCDF file under one selection, the file opened once for both questions
 * `compress` asks before and while it reads: {@linkcode netcdfLayers} (`layers`, known on
 * opening) and {@linkcode readNetcdf} (`read()`). A classic file is read and parsed once, a
 * netCDF-4 file opened once by HDF5. The caller closes it (`using`); `read()` may be called once.
 */
export interface NetcdfVariableReader {
  /** The layers a 4-D selection keeps, as {@linkcode netcdfLayers}; null for 2 or 3 dimensions. */
  readonly layers: NetcdfLayers | null;
  /**
   * Reads the field as {@linkcode readNetcdf} does with the variable and selection given on
   * opening, then closes the file (the library's copy of a classic file is not held any longer
   * than the read).
   */
  read(options?: Pick<ReadNetcdfOptions, "maxValues" | "signal" | "onProgress">): Promise<
    NetcdfField
  >;
  /** Closes the file; a second call does nothing. */
  close(): void;
  /** The same as `close()`. */
  [Symbol.dispose](): void;
}

/**
 * Opens one variable of a netCDF file for {@linkcode NetcdfVariableReader}: its layers at once,
 * its values on `read()`.
 *
 * @param path A local file.
 * @param options The variable and the selection.
 * @returns The open variable; the caller closes it.
 * @throws {Error} As {@linkcode netcdfLayers} on opening, as {@linkcode readNetcdf} on `read()`.
 *
 * @example Ask for the layers, then read, with one opening of the file
 * ```ts
 * import assert from "node:assert";
 * import { openNetcdfVariable } from "./mod.ts";
 *
 * const path = new URL("../../../tests/testdata/netcdf/small-nc4.nc", import.meta.url).pathname;
 * using air = await openNetcdfVariable(path, { variable: "air", select: { level: 1 } });
 * assert.strictEqual(air.layers, null);
 * const field = await air.read();
 * assert.deepStrictEqual(field.shape, [8, 9, 12]);
 * ```
 */
export async function openNetcdfVariable(
  path: string,
  options: Pick<ReadNetcdfOptions, "variable" | "select">,
): Promise<NetcdfVariableReader> {
  const source = await openSource(path);
  let open = true;
  const close = () => {
    if (open) source.close();
    open = false;
  };
  try {
    const layers = layersOf(source, path, options);
    return {
      layers,
      async read(more = {}) {
        if (!open) throw new Error(`${path}: variable "${options.variable}" is closed`);
        try {
          const all = { ...options, ...more };
          return await readSlabs(path, fieldOf(source, path, all), all, all.onProgress);
        } finally {
          close();
        }
      },
      close,
      [Symbol.dispose]: close,
    };
  } catch (e) {
    close();
    throw e;
  }
}

/**
 * Reads one variable of a netCDF file as a field for `compress()`: selection applied, CF missing
 * values as NaN, packed integers unpacked, time first (a time dimension found elsewhere is moved
 * first, and `transposed` says so), and the attributes to store with it. The values are read in
 * slabs of about 4 Mi values, so that memory holds the field and one slab, `onProgress` hears
 * the share read, and `signal` aborts between slabs.
 *
 * @param path A local file (netCDF classic, 64-bit offset or netCDF-4/HDF5).
 * @param options The variable, the selection and the size limit.
 * @returns The field.
 * @throws {Error} With the file, the variable and what is wrong: no such variable, a type that
 *   is not numeric, too many dimensions without a selection, bad packing attributes, a selection
 *   out of range or matching no coordinate (with the nearest ones), or more values than
 *   `maxValues`.
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
    return await readSlabs(path, field, options, options.onProgress);
  } finally {
    field.close();
  }
}

/**
 * Reads one variable of a netCDF file under several selections, the file opened once (a classic
 * file is parsed once, not once per selection): the layers of a 4-D variable
 * ({@linkcode netcdfLayers}), each read as {@linkcode readNetcdf} reads one field.
 *
 * @param path A local file.
 * @param options The variable, the size limit (per field), `signal`; `onProgress` hears the share
 *   read of all of them.
 * @param selections One selection per field (`options.select` is not used).
 * @returns The fields, in order.
 * @throws {Error} As {@linkcode readNetcdf}.
 *
 * @example The two levels of the fixture's 4-D variable
 * ```ts
 * import assert from "node:assert";
 * import { readNetcdfEach } from "./mod.ts";
 *
 * const path = new URL("../../../tests/testdata/netcdf/small-nc4.nc", import.meta.url).pathname;
 * const [a, b] = await readNetcdfEach(path, { variable: "air" }, [{ level: 0 }, { level: 1 }]);
 * assert.deepStrictEqual([a.shape, b.attributes.selected[0].index], [[8, 9, 12], 1]);
 * ```
 */
export async function readNetcdfEach(
  path: string,
  options: ReadNetcdfOptions,
  selections: readonly Record<string, NetcdfSelection>[],
): Promise<NetcdfField[]> {
  const source = await openSource(path);
  try {
    const out: NetcdfField[] = [];
    for (const [k, select] of selections.entries()) {
      const field = fieldOf(source, path, { ...options, select });
      out.push(
        await readSlabs(
          path,
          field,
          options,
          (done) => options.onProgress?.((k + done) / selections.length),
        ),
      );
    }
    return out;
  } finally {
    source.close();
  }
}

/** The values of an opened field, read in slabs (see {@linkcode readNetcdf}). */
async function readSlabs(
  path: string,
  field: NetcdfSlabs,
  options: ReadNetcdfOptions,
  onProgress: ((done: number) => void) | undefined,
): Promise<NetcdfField> {
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
  // Slabs of the leading dimension, whole chunks of a chunked variable at a time; a turn of the
  // event loop between them, so that a signal's listener (Ctrl-C) can run.
  const T = field.shape.length === 3 ? field.shape[0] : 1;
  const plane = count / T;
  const chunk = field.chunk;
  const step = Math.max(chunk, Math.floor(SLAB_VALUES / plane / chunk) * chunk, 1);
  const data = field.dtype === "float64" ? new Float64Array(count) : new Float32Array(count);
  onProgress?.(0);
  for (let t = 0; t < T; t += step) {
    options.signal?.throwIfAborted();
    const t1 = Math.min(T, t + step);
    data.set(field.read(t, t1), t * plane);
    onProgress?.(t1 / T);
    if (t1 < T) await new Promise((r) => setTimeout(r, 0));
  }
  let missing = 0;
  for (let i = 0; i < data.length; i++) if (Number.isNaN(data[i])) missing++;
  const { transposed } = field;
  return {
    data,
    shape: field.shape,
    missing,
    ...(transposed ? { transposed } : {}),
    attributes: field.attributes,
  };
}

/** A netCDF variable opened for reading in slabs of its leading dimension. */
export interface NetcdfSlabs {
  /** `[T, H, W]` (time first) or `[H, W]`, after selection. */
  shape: number[];
  /** Element type of what `read` returns (as {@linkcode readNetcdf}'s `data`). */
  dtype: "float32" | "float64";
  /** The attributes to store: those {@linkcode readNetcdf} gives for the whole selection. */
  attributes: NetcdfField["attributes"];
  /** Where time was moved first: the source's kept dimensions and their order here. */
  transposed?: NetcdfField["transposed"];
  /** Entries of the leading dimension per chunk of the variable (1 when not chunked). */
  chunk: number;
  /**
   * Entries `t0 .. t1 - 1` of the leading dimension (of a 2-D variable, `0, 1`: the field),
   * unpacked, CF missing values as NaN, time first.
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
  const source = await openSource(path);
  try {
    return { ...fieldOf(source, path, options), close: () => source.close() };
  } catch (e) {
    source.close();
    throw e;
  }
}

/** The variable of `options` in an open file, for slab reads (its `close()` closes nothing). */
function fieldOf(source: Source, path: string, options: ReadNetcdfOptions): NetcdfSlabs {
  const name = options.variable;
  const where = `${path}: variable "${name}"`;
  const v = findVariable(source, path, name);
  if (!isNumericType(v.type)) {
    throw new Error(`${where} has type ${v.typeName}, expected a numeric type`);
  }
  const note = variableNote(source, v).note;
  if (note?.startsWith("cell bounds")) {
    throw new Error(`${where} is not a field: ${note} (the vertices of its cells)`);
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
  const group = groupOf(v.name);
  const ranges: [number, number][] = [];
  const kept: number[] = [];
  const selected: MrcSelectedDimension[] = [];
  v.dims.forEach((d, i) => {
    const size = v.shape[i];
    const s = selectionOf(source, v, i, select[d], where);
    if (s === undefined) {
      ranges.push([0, size]);
      kept.push(i);
    } else if (typeof s === "number") {
      if (!Number.isInteger(s) || s < 0 || s >= size) {
        throw new Error(`${where}: index ${s} of dimension "${d}" is outside 0..${size - 1}`);
      }
      ranges.push([s, s + 1]);
      selected.push({ name: d, size, ...coordinate(source, d, size, group), index: s });
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
      ? `: fix one dimension to an index or a value (e.g. --select ${
        keptDims.filter((d) => !isTimeDimension(source, d, group)).slice(0, -2).map((d) => `${d}=0`)
          .join(" or ")
      })`
      : "";
    throw new Error(
      `${where} has dimensions (${keptDims.join(", ")}) after selection, expected 2 or 3${hint}`,
    );
  }
  // Time first: a time dimension elsewhere is moved first (the others keep their order).
  // Without one, the leading dimension is the stack (a level, an ensemble member): it
  // compresses the same way and is recorded under its own name.
  const time = keptDims.length === 3
    ? keptDims.findIndex((d) => isTimeDimension(source, d, group))
    : -1;
  const order = time > 0 ? [time, ...[0, 1, 2].filter((a) => a !== time)] : [0, 1, 2]
    .slice(0, keptDims.length);
  const sourceShape = kept.map((i) => ranges[i][1] - ranges[i][0]);
  const shape = order.map((a) => sourceShape[a]);
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
  // The output's leading axis (time, where one was moved first) in the source's kept axes.
  const lead = shape.length === 3 ? kept[order[0]] : -1;
  const read = (t0: number, t1: number) => {
    const part = ranges.map((r) => [r[0], r[1]] as [number, number]);
    const size = sourceShape.slice();
    if (lead >= 0) {
      if (
        !(Number.isInteger(t0) && Number.isInteger(t1) && 0 <= t0 && t0 < t1 && t1 <= shape[0])
      ) {
        throw new RangeError(`${where}: cannot read entries ${t0}..${t1 - 1} of ${shape[0]}`);
      }
      part[lead] = [ranges[lead][0] + t0, ranges[lead][0] + t1];
      size[order[0]] = t1 - t0;
    }
    const raw = source.read(v, part);
    const n = raw.length;
    const out = wide ? new Float64Array(n) : new Float32Array(n);
    // Where each value of the source's order goes: the stride in `out` of each kept axis.
    const outStride = [0, 0, 0];
    for (let j = order.length - 1, st = 1; j >= 0; j--) {
      outStride[order[j]] = st;
      st *= size[order[j]];
    }
    const fast = time <= 0;
    const s1 = size[1] ?? 1, s2 = size[2] ?? 1;
    for (let i = 0; i < n; i++) {
      let at: number;
      if (fast) at = i;
      else {
        const i2 = i % s2, r = (i - i2) / s2, i1 = r % s1, i0 = (r - i1) / s1;
        at = i0 * outStride[0] + i1 * outStride[1] + i2 * outStride[2];
      }
      const x = raw[i];
      out[at] = Number.isNaN(x) || fills.includes(x) ? NaN : packed ? x * k + b : x;
    }
    return out;
  };
  const dimensions: MrcDimension[] = order.map((a) => kept[a]).map((i) => {
    const d = v.dims[i];
    const [a, e] = ranges[i];
    const c = coordinate(source, d, v.shape[i], group);
    return { name: d, size: e - a, ...c, values: c.values ? c.values.slice(a, e) : null };
  });
  // The variables its attributes name, and 1-D ones on its dimensions (lat on latitude).
  const variables = auxiliaryVariables(
    source,
    v,
    new Map(kept.map((i) => [v.dims[i], ranges[i]])),
  );
  const transposed = time > 0 ? { from: keptDims, to: order.map((a) => keptDims[a]) } : undefined;
  const local = group === "" ? v.name : v.name.slice(group.length + 1);
  return {
    shape,
    dtype: wide ? "float64" : "float32",
    chunk: lead >= 0 ? Math.max(1, v.chunks?.[lead] ?? 1) : 1,
    ...(transposed ? { transposed } : {}),
    read,
    close: () => {},
    attributes: {
      variable: { name: local, type: v.type!, attributes: attrs },
      dimensions,
      selected,
      global: source.global,
      source: {
        format: source.format,
        file: path.replace(/^.*[\\/]/, ""),
        ...(group === "" ? {} : { group: `/${group}` }),
        ...(transposed ? { dimensionOrder: transposed.from } : {}),
        ...storageRecord(v, kept),
        ...(kept.some((i) => ranges[i][0] !== 0 || ranges[i][1] !== v.shape[i])
          ? { ranges: Object.fromEntries(kept.map((i) => [v.dims[i], ranges[i]])) }
          : {}),
        ...(Object.keys(variables).length > 0 ? { variables } : {}),
      },
    },
  };
}
