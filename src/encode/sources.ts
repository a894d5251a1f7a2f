/**
 * Inputs read a slab of snapshots at a time, for block-wise compression (`blockwise.ts`): a
 * `.npy` file, raw little-endian float32, a netCDF variable, or several netCDF files joined
 * along time. Each keeps the file open and reads only what is asked for, so memory holds a slab,
 * never the input. Deno only.
 *
 * @module
 */

import type { MrcAttributes } from "../../format/attributes.ts";
import { fortranToC, type NpyFileHeader, parseNpyHeader } from "../io/npy.ts";
import type { NetcdfSelection } from "../io/netcdf/types.ts";
import type { SnapshotSource } from "./blockwise.ts";

/** A {@linkcode SnapshotSource} over a file, with what compress stores and how to close it. */
export interface FileSource extends SnapshotSource {
  /** The shape as the file gives it (`[H, W]` for a single field). */
  inputShape: number[];
  /** The source attributes to store (netCDF), or undefined. */
  attributes?: MrcAttributes;
  /** netCDF: where time was moved first (the source's kept dimensions, and their order here). */
  transposed?: { from: string[]; to: string[] };
  /** Closes the file(s). */
  close(): void;
}

async function readAt(file: Deno.FsFile, offset: number, out: Uint8Array, path: string) {
  await file.seek(offset, Deno.SeekMode.Start);
  for (let at = 0; at < out.length;) {
    const n = await file.read(out.subarray(at));
    if (n === null) throw new Error(`${path}: file truncated while reading at ${offset + at}`);
    at += n;
  }
}

/** Values from little- or big-endian bytes. */
function decode(
  bytes: Uint8Array,
  dtype: "float32" | "float64",
  littleEndian: boolean,
): Float32Array | Float64Array {
  const size = dtype === "float32" ? 4 : 8;
  const n = bytes.length / size;
  const host = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (
    littleEndian === host && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
  ) {
    // The bytes as they are: no copy.
    return dtype === "float32" ? new Float32Array(bytes.buffer) : new Float64Array(bytes.buffer);
  }
  const out = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === "float32") {
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, littleEndian);
  } else for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, littleEndian);
  return out;
}

function flatSource(
  path: string,
  file: Deno.FsFile,
  shape: number[],
  dtype: "float32" | "float64",
  littleEndian: boolean,
  dataOffset: number,
  shared = false,
): FileSource {
  const dims: [number, number, number] = shape.length === 3
    ? [shape[0], shape[1], shape[2]]
    : [1, shape[0], shape[1]];
  const plane = dims[1] * dims[2] * (dtype === "float32" ? 4 : 8);
  return {
    shape: dims,
    dtype,
    inputShape: shape,
    async read(t0, t1) {
      const length = (t1 - t0) * plane;
      const bytes = shared ? new Uint8Array(new SharedArrayBuffer(length)) : new Uint8Array(length);
      await readAt(file, dataOffset + t0 * plane, bytes, path);
      return decode(bytes, dtype, littleEndian);
    },
    close: () => file.close(),
  };
}

async function open(path: string): Promise<{ file: Deno.FsFile; size: number }> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`${path}: no such file`);
    throw new Error(`${path}: cannot read: ${(e as Error).message}`, { cause: e });
  }
  return { file, size: (await file.stat()).size };
}

/**
 * A `.npy` file (float32 or float64, `(T, H, W)` or `(H, W)`, C order), read a slab at a time.
 *
 * @param path The file.
 * @throws {Error} Naming the file: not `.npy`, another shape or type, Fortran order (its
 *   snapshots are not contiguous: read it whole).
 */
export async function npySource(path: string): Promise<FileSource> {
  const { file, size } = await open(path);
  try {
    const header = await npyHeaderOf(path, file, size);
    const { shape } = header;
    if (header.fortranOrder && shape.length === 3) {
      throw new Error(
        `${path}: a Fortran-order .npy file keeps no snapshot together and cannot be read in slabs; compress it without --stream, --snapshots or --shard`,
      );
    }
    const source = flatSource(
      path,
      file,
      shape,
      header.dtype,
      header.littleEndian,
      header.dataOffset,
    );
    if (!header.fortranOrder) return source;
    // A single (H, W) field in Fortran order: its one snapshot is the whole array, transposed.
    return { ...source, read: async (t0, t1) => fortranToC(await source.read(t0, t1), shape) };
  } catch (e) {
    file.close();
    throw e;
  }
}

/** The header of the `.npy` file open as `file`, its shape checked: `(T, H, W)` or `(H, W)`. */
async function npyHeaderOf(path: string, file: Deno.FsFile, size: number): Promise<NpyFileHeader> {
  const head = new Uint8Array(Math.min(size, 1 << 16));
  await readAt(file, 0, head, path);
  let header;
  try {
    header = parseNpyHeader(head, size);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  const { shape } = header;
  if (shape.length !== 2 && shape.length !== 3) {
    throw new Error(`${path}: expected shape (T, H, W) or (H, W), found (${shape.join(", ")})`);
  }
  return header;
}

/** How {@linkcode readNpyFile} and {@linkcode readRawFile} hold what they read. */
export interface InputReadOptions {
  /**
   * Read into a `SharedArrayBuffer`, so that compression's workers code their blocks in place
   * instead of each receiving a copy. Default: false.
   */
  shared?: boolean;
}

/**
 * Every value of a `.npy` file (float32 or float64, `(T, H, W)` or `(H, W)`, either order), read
 * straight into the array that is returned: the file's bytes are not held a second time (for
 * data in the host's byte order and in C order, they are the array).
 *
 * @param path The file.
 * @param options Where to read (`shared`).
 * @returns The values, in C order, and the shape.
 * @throws {Error} Naming the file: not `.npy`, another shape or type, truncated.
 */
export async function readNpyFile(
  path: string,
  options: InputReadOptions = {},
): Promise<{ data: Float32Array | Float64Array; shape: number[] }> {
  const { file, size } = await open(path);
  try {
    const header = await npyHeaderOf(path, file, size);
    const { dtype, littleEndian, dataOffset } = header;
    const source = flatSource(
      path,
      file,
      header.shape,
      dtype,
      littleEndian,
      dataOffset,
      options.shared,
    );
    const data = await source.read(0, source.shape[0]);
    return {
      data: header.fortranOrder ? fortranToC(data, header.shape) : data,
      shape: header.shape,
    };
  } finally {
    file.close();
  }
}

/**
 * Every value of a raw little-endian float32 file of `shape`, read straight into the array that
 * is returned.
 *
 * @param path The file.
 * @param shape Its shape (`[T, H, W]` or `[H, W]`); the file must hold exactly its values.
 * @param options Where to read (`shared`).
 * @throws {Error} Naming the file: another size, truncated.
 */
export async function readRawFile(
  path: string,
  shape: number[],
  options: InputReadOptions = {},
): Promise<Float32Array> {
  const source = await rawSource(path, shape, options);
  try {
    const T = shape.length === 3 ? shape[0] : 1;
    return await source.read(0, T) as Float32Array;
  } finally {
    source.close();
  }
}

/**
 * Raw little-endian float32 of shape `[T, H, W]` or `[H, W]`, read a slab at a time.
 *
 * @param path The file.
 * @param shape Its shape; the file must hold exactly its values.
 */
export async function rawSource(
  path: string,
  shape: number[],
  options: InputReadOptions = {},
): Promise<FileSource> {
  const { file, size } = await open(path);
  const n = shape.reduce((a, b) => a * b, 1);
  if (size !== n * 4) {
    file.close();
    throw new Error(
      `${path} has ${size} bytes, but shape ${shape.join("x")} of float32 needs ${n * 4}`,
    );
  }
  return flatSource(path, file, shape, "float32", true, 0, options.shared);
}

/**
 * One variable of a netCDF file, read a slab of its leading (time) dimension at a time.
 *
 * @param path The file.
 * @param variable The variable.
 * @param select Selection per dimension, as `readNetcdf()` takes it.
 */
export async function netcdfSource(
  path: string,
  variable: string,
  select: Record<string, NetcdfSelection> = {},
): Promise<FileSource> {
  const { openNetcdfField } = await import("../io/netcdf/read.ts");
  const field = await openNetcdfField(path, { variable, select });
  const shape = field.shape;
  if (shape.length !== 2 && shape.length !== 3) {
    field.close();
    throw new Error(`${path}: variable "${variable}" must have 2 or 3 dimensions`);
  }
  const dims: [number, number, number] = shape.length === 3
    ? [shape[0], shape[1], shape[2]]
    : [1, shape[0], shape[1]];
  return {
    shape: dims,
    dtype: field.dtype,
    inputShape: shape,
    attributes: field.attributes,
    ...(field.transposed ? { transposed: field.transposed } : {}),
    read: (t0, t1) => Promise.resolve(field.read(t0, t1)),
    close: () => field.close(),
  };
}

/**
 * Snapshots `first .. first + count - 1` of a source, with its attributes cut to them (the
 * leading dimension's size and coordinate values): a shard's input.
 *
 * @param source The whole.
 * @param first The first snapshot.
 * @param count How many.
 */
export function sliceSource(source: FileSource, first: number, count: number): FileSource {
  const [, H, W] = source.shape;
  const a = source.attributes;
  const attributes: MrcAttributes | undefined = a && {
    ...a,
    dimensions: a.dimensions.map((d, i) =>
      i === 0
        ? { ...d, size: count, values: d.values ? d.values.slice(first, first + count) : null }
        : d
    ),
  };
  return {
    shape: [count, H, W],
    dtype: source.dtype,
    inputShape: source.inputShape.length === 3 ? [count, H, W] : source.inputShape,
    ...(attributes ? { attributes } : {}),
    read: (t0, t1) => source.read(first + t0, first + t1),
    close: () => source.close(),
  };
}

/** The `units` text of a set of netCDF attributes, or null. */
function unitsOf(attributes: Record<string, { value: string | number[] }>): string | null {
  const u = attributes.units?.value;
  return typeof u === "string" ? u : null;
}

/**
 * One variable of several netCDF files joined along time, in the order given: the same grid
 * (sizes and coordinate values), the same units of the variable and of time, time increasing
 * with no gap (a step between two files at most 1.5 times the largest step inside them). The
 * attributes are the first file's, the time coordinate whole.
 *
 * @param paths The files, in time order.
 * @param variable The variable.
 * @param select Selection per dimension (the same for every file).
 * @throws {Error} Naming the first file that does not fit and why.
 */
export async function concatNetcdf(
  paths: readonly string[],
  variable: string,
  select: Record<string, NetcdfSelection> = {},
): Promise<FileSource> {
  const parts: FileSource[] = [];
  try {
    for (const path of paths) parts.push(await netcdfSource(path, variable, select));
    const first = parts[0], a0 = first.attributes!;
    const lead = a0.dimensions[0];
    if (first.inputShape.length !== 3) {
      throw new Error(
        `${paths[0]}: variable "${variable}" has no time dimension to join files along`,
      );
    }
    const times: number[] = [];
    let timesKnown = true;
    let maxStep = 0;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i], a = p.attributes!, path = paths[i];
      const fits = `${path} does not fit ${paths[0]}`;
      if (
        p.inputShape.length !== 3 || p.shape[1] !== first.shape[1] || p.shape[2] !== first.shape[2]
      ) {
        throw new Error(
          `${fits}: its grid is ${p.shape[1]}x${p.shape[2]}, not ${first.shape[1]}x${
            first.shape[2]
          }`,
        );
      }
      for (let d = 1; d < a0.dimensions.length; d++) {
        const x = a.dimensions[d], y = a0.dimensions[d];
        if (x.name !== y.name || JSON.stringify(x.values) !== JSON.stringify(y.values)) {
          throw new Error(`${fits}: its "${x.name}" coordinates differ from "${y.name}" there`);
        }
      }
      if (a.dimensions[0].name !== lead.name) {
        throw new Error(
          `${fits}: its leading dimension is "${a.dimensions[0].name}", not "${lead.name}"`,
        );
      }
      if (p.dtype !== first.dtype) {
        throw new Error(`${fits}: its values are ${p.dtype}, not ${first.dtype}`);
      }
      const u = unitsOf(a.variable.attributes), u0 = unitsOf(a0.variable.attributes);
      if (u !== u0) {
        throw new Error(
          `${fits}: "${variable}" is in ${JSON.stringify(u)}, not ${JSON.stringify(u0)}`,
        );
      }
      const tu = unitsOf(a.dimensions[0].attributes), tu0 = unitsOf(lead.attributes);
      if (tu !== tu0) {
        throw new Error(
          `${fits}: its time is in ${JSON.stringify(tu)}, not ${JSON.stringify(tu0)}`,
        );
      }
      const v = a.dimensions[0].values;
      if (v === null) {
        timesKnown = false;
        continue;
      }
      for (let j = 1; j < v.length; j++) {
        if (!(v[j] > v[j - 1])) {
          throw new Error(`${path}: its time does not increase at entry ${j}`);
        }
        maxStep = Math.max(maxStep, v[j] - v[j - 1]);
      }
      if (times.length > 0) {
        const last = times[times.length - 1];
        if (!(v[0] > last)) {
          throw new Error(
            `${path}: its time starts at ${v[0]}, not after the ${last} where ${paths[i - 1]} ends`,
          );
        }
        const inside = Math.max(maxStep, ...[v, times].map((w) => w.length > 1 ? w[1] - w[0] : 0));
        if (inside > 0 && v[0] - last > 1.5 * inside) {
          throw new Error(
            `${path}: a time gap: it starts at ${v[0]}, ${v[0] - last} after the ${last} where ${
              paths[i - 1]
            } ends (steps inside the files are at most ${inside})`,
          );
        }
      }
      for (const x of v) times.push(x);
    }
    const counts = parts.map((p) => p.shape[0]);
    const starts = counts.map((_, i) => counts.slice(0, i).reduce((x, y) => x + y, 0));
    const T = counts.reduce((x, y) => x + y, 0);
    const [, H, W] = first.shape;
    const attributes: MrcAttributes = {
      ...a0,
      dimensions: a0.dimensions.map((d, i) =>
        i === 0 ? { ...d, size: T, values: timesKnown ? times : null } : d
      ),
      source: { ...a0.source, files: paths.map((p) => p.replace(/^.*[\\/]/, "")) },
    };
    const plane = H * W;
    return {
      shape: [T, H, W],
      dtype: first.dtype,
      inputShape: [T, H, W],
      attributes,
      async read(t0, t1) {
        const out = first.dtype === "float32"
          ? new Float32Array((t1 - t0) * plane)
          : new Float64Array((t1 - t0) * plane);
        for (let i = 0; i < parts.length; i++) {
          const a = Math.max(t0, starts[i]), b = Math.min(t1, starts[i] + counts[i]);
          if (a >= b) continue;
          out.set(await parts[i].read(a - starts[i], b - starts[i]), (a - t0) * plane);
        }
        return out;
      },
      close: () => parts.forEach((p) => p.close()),
    };
  } catch (e) {
    for (const p of parts) p.close();
    throw e;
  }
}

/**
 * The first `n` bytes of a file (fewer when it is shorter).
 *
 * @throws {Error} Naming the file: no such file, cannot read.
 */
export async function head(path: string, n: number): Promise<Uint8Array> {
  const { file } = await open(path);
  try {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const k = await file.read(out.subarray(at));
      if (k === null) break;
      at += k;
    }
    return out.subarray(0, at);
  } finally {
    file.close();
  }
}

/** Whether bytes start with a netCDF signature (`CDF\x01`, `CDF\x02`, `CDF\x05` or HDF5's). */
function isNetcdfHead(bytes: Uint8Array): boolean {
  const text = String.fromCharCode(...bytes);
  return ["CDF\x01", "CDF\x02", "CDF\x05"].some((m) => text.startsWith(m)) ||
    text === "\x89HDF\r\n\x1a\n";
}

/**
 * The input files of `compress`, opened for block-wise reading: one `.npy`, raw float32 (with
 * `shape`) or netCDF file (with `var`), or several netCDF files joined along time.
 *
 * @param paths The inputs.
 * @param values The command's `--var`, `--select` (parsed), `--shape`.
 */
export async function openInputs(
  paths: readonly string[],
  values: { var?: string; select?: Record<string, NetcdfSelection>; shape?: string },
): Promise<FileSource> {
  const netcdf: boolean[] = [];
  for (const p of paths) netcdf.push(isNetcdfHead(await head(p, 8)));
  if (paths.length > 1 && !netcdf.every(Boolean)) {
    throw new Error(
      `${
        paths[netcdf.indexOf(false)]
      } is not a netCDF file: several inputs are netCDF files joined along time`,
    );
  }
  if (netcdf[0]) {
    if (values.var === undefined) {
      throw new Error(`${paths[0]} is a netCDF file: pass --var NAME to choose a variable`);
    }
    const select = values.select ?? {};
    return paths.length > 1
      ? await concatNetcdf(paths, values.var, select)
      : await netcdfSource(paths[0], values.var, select);
  }
  const { hasNpySignature } = await import("../io/npy.ts");
  if (hasNpySignature(await head(paths[0], 6))) return await npySource(paths[0]);
  if (!values.shape) {
    throw new Error(
      `${paths[0]} is not a .npy file: pass --shape T,H,W to read raw little-endian float32`,
    );
  }
  const shape = values.shape.split(",").map((v) => Number(v.trim()));
  if (shape.length < 2 || shape.length > 3 || !shape.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`--shape must be T,H,W or H,W with positive integers, found "${values.shape}"`);
  }
  return await rawSource(paths[0], shape);
}
