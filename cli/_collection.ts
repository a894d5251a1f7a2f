/**
 * `compress f.nc --var a,b` or `--all`, and a 4-D variable: several variables (or layers) of a
 * netCDF file coded into one collection (SPEC.md §12), each with its own bound.
 *
 * @module
 */

import type {
  CollectionInput,
  CollectionOptions,
  CollectionResult,
  PartEvent,
} from "../src/encode/collection.ts";
import type { CompressOptions } from "../src/encode/options.ts";
import type { NetcdfSelection, NetcdfVariableInfo } from "../src/io/netcdf/mod.ts";
import type { ProgressReporter } from "./_progress.ts";
import { formatBytes } from "./_args.ts";
import { nativeCrc32 } from "./_files.ts";
import type { MrcAttributes } from "../format/attributes.ts";
import type { CollectionVariable, MrcCollection } from "../src/read/collection.ts";
import type { MrcFile } from "../src/read/mrc_file.ts";

/** A bound option given per variable: `--error-bound u=0.5,t=0.1`. */
export type NamedBounds = Map<string, number>;

/**
 * Parses a bound option that names variables (`u=0.5,t=0.1`), or returns null for a plain number.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { parseNamedBounds } from "./_collection.ts";
 *
 * assert.deepStrictEqual(parseNamedBounds("u=0.5, t=1e-2", "error-bound"), new Map([["u", 0.5], ["t", 0.01]]));
 * assert.strictEqual(parseNamedBounds("0.5", "error-bound"), null);
 * assert.throws(() => parseNamedBounds("u=x", "error-bound"), /--error-bound/);
 * ```
 */
export function parseNamedBounds(value: string | undefined, flag: string): NamedBounds | null {
  if (value === undefined || !value.includes("=")) return null;
  const out: NamedBounds = new Map();
  for (const item of value.split(",")) {
    const m = /^\s*([^=]+?)\s*=\s*(\S+)\s*$/.exec(item);
    const x = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(x) || !(x > 0)) {
      throw new Error(
        `--${flag} must be a number or NAME=X,NAME=X (X a positive number per variable), found "${item}"`,
      );
    }
    if (out.has(m[1])) throw new Error(`--${flag} gives variable "${m[1]}" twice`);
    out.set(m[1], x);
  }
  return out;
}

/** The variables `--var a,b` or `--all` names, checked against the file. */
function selectedVariables(
  path: string,
  values: { var?: string; all?: boolean },
  variables: readonly NetcdfVariableInfo[],
): string[] {
  if (values.all) {
    if (values.var !== undefined) throw new Error("give one of --var, --all");
    const names = variables.filter((v) => v.compressible).map((v) => v.name);
    if (names.length === 0) throw new Error(`${path}: no compressible variable`);
    return names;
  }
  const names = (values.var ?? "").split(",").map((n) => n.trim());
  if (names.some((n) => n === "")) {
    throw new Error(`--var must be NAME or NAME,NAME, found "${values.var}"`);
  }
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new Error(`--var names "${n}" twice`);
    seen.add(n);
  }
  return names;
}

/**
 * Reads the variables (each layer of a 4-D one as a 3-D field) and codes them into one
 * collection, in memory: the chunks of the file and what was coded. `--select` applies to every
 * variable that has the dimension, and must match a dimension of one of them. A layered variable
 * keeps every layer its selection leaves (a range of the layer dimension, or all of it).
 */
export async function compressCollection(
  path: string,
  given: { var?: string; all?: boolean },
  select: Record<string, NetcdfSelection>,
  bounds: { flag: "errorBound" | "relErrorBound"; named: NamedBounds } | null,
  options: CompressOptions,
  progress: ProgressReporter,
  signal: AbortSignal,
): Promise<{ chunks: Uint8Array[]; result: CollectionResult; raw: number }> {
  const { listNetcdfVariables, netcdfLayers, readNetcdfEach } = await import(
    "../src/io/netcdf/mod.ts"
  );
  const { compressCollectionTo } = await import("../src/encode/collection.ts");
  // The file listed once: the variables --all names, and the dimensions --select is checked on.
  const { variables } = await listNetcdfVariables(path);
  const names = selectedVariables(path, given, variables);
  const dimsOf = (name: string) =>
    (variables.find((v) => v.name === name) ??
      variables.find((v) => v.name.endsWith(`/${name}`)))?.dimensions.map((d) => d.name) ?? [];
  for (const d of Object.keys(select)) {
    if (!names.some((n) => dimsOf(n).includes(d))) {
      throw new Error(`${path}: --select ${d}: none of ${names.join(", ")} has a dimension "${d}"`);
    }
  }
  if (bounds) {
    for (const n of bounds.named.keys()) {
      if (!names.includes(n)) {
        throw new Error(
          `--${
            bounds.flag === "errorBound" ? "error-bound" : "rel-error-bound"
          } names "${n}", which is not compressed (${names.join(", ")})`,
        );
      }
    }
  }
  const inputs: CollectionInput[] = [];
  let raw = 0;
  for (const name of names) {
    const own = Object.fromEntries(
      Object.entries(select).filter(([d]) => dimsOf(name).includes(d)),
    );
    const layers = await netcdfLayers(path, { variable: name, select: own });
    const picks = layers ? layers.indices.map((k) => ({ ...own, [layers.dimension]: k })) : [own];
    // Every layer read from one opening of the file (a classic file is parsed once).
    signal.throwIfAborted();
    let reading = false;
    const read = await readNetcdfEach(path, {
      variable: name,
      signal,
      onProgress: (done) => {
        if (!reading) {
          progress.phase(
            `reading ${name}${layers ? ` (${picks.length} layers along ${layers.dimension})` : ""}`,
          );
        }
        reading = true;
        progress.update(done);
      },
    }, picks);
    progress.end();
    const fields = read.map((f) => {
      raw += f.data.length * 4;
      return { data: f.data, shape: f.shape, attributes: f.attributes };
    });
    // The collection names a variable by its name in its group (as its ATTR does), or by its
    // path where two variables of different groups share that name.
    const local = fields[0].attributes.variable.name;
    const shared = names.filter((n) => n.replace(/^.*\//, "") === local).length > 1;
    const bound = bounds?.named.get(name);
    inputs.push({
      name: shared ? name : local,
      layer: layers?.dimension ?? null,
      layers: fields,
      ...(bound === undefined ? {} : { options: { [bounds!.flag]: bound } as CompressOptions }),
    });
  }
  const chunks: Uint8Array[] = [];
  const parts = inputs.reduce((n, v) => n + v.layers.length, 0);
  const all = {
    ...options,
    signal,
    crc32: await nativeCrc32(),
    onPart: (e: PartEvent) => {
      const field = inputs.find((v) => v.name === e.variable)!.layers[e.layer];
      progress.end();
      progress.phase(
        `coding ${e.variable}${e.layers > 1 ? ` layer ${e.layer + 1}/${e.layers}` : ""} (part ${
          e.part + 1
        }/${parts}, ${formatBytes(field.data.length * field.data.BYTES_PER_ELEMENT)})`,
      );
    },
    ...(options.coding === "model" ? {} : {
      onCodingProgress: (e: { done: number }) => progress.update(e.done),
    }),
  } as CollectionOptions;
  const result = await compressCollectionTo(
    inputs,
    { write: (b) => void chunks.push(b.slice()) },
    all,
  );
  progress.end();
  return { chunks, result, raw };
}

/** What a decompress of a collection writes, as the command's flags say it. */
export interface CollectionDecode {
  /** `--var a,b`: the variables to write (default: all). */
  names: string[] | null;
  /** `--layer K`: one layer of each variable of layers. */
  layer?: number;
  /** `--level K` (default: each variable's finest). */
  level?: number;
  /** `--snapshots A:B` (variables of one snapshot, 2-D fields, are written whole). */
  snapshots?: [number, number];
  /** `--threads N`. */
  threads?: (file: MrcFile, level: number, range: [number, number]) => number;
  signal: AbortSignal;
}

/** One variable decoded: its layers stacked (`[T, Z, H, W]`), or one field. */
export interface DecodedVariable {
  /** The variable. */
  variable: CollectionVariable;
  /** Its (first) part, for its header and attributes. */
  file: MrcFile;
  /** The values, row-major. */
  data: Float32Array | Float64Array;
  /** `[T, H, W]`, `[T, Z, H, W]` (layers), or `[H, W]` for a 2-D input of one snapshot. */
  shape: number[];
  /** The level decoded and what it samples. */
  level: number;
  rows: Int32Array;
  cols: Int32Array;
  firstSnapshot: number;
  /** The attributes, with a layer dimension second for a variable of layers. */
  attributes: MrcAttributes | null;
  /** For a variable of layers: each output layer's index into its dimension's values. */
  layers?: number[];
  /** The largest error of the level (its bound), or null. */
  bound: number | null;
}

/**
 * Decodes the variables of a collection that a decompress writes: each at the level asked for
 * (default its finest), over the snapshot range, its layers stacked second.
 *
 * @throws {Error} Naming the variable, for a level or range it does not have.
 */
export async function decodeVariables(
  collection: MrcCollection,
  input: string,
  want: CollectionDecode,
): Promise<DecodedVariable[]> {
  const names = want.names ?? collection.variables.map((v) => v.name);
  const out: DecodedVariable[] = [];
  for (const name of names) {
    const v = collection.variable(name);
    const files = want.layer === undefined || v.parts.length === 1 && v.layer === null
      ? await collection.openLayers(name, { signal: want.signal })
      : [await collection.open(name, want.layer, { signal: want.signal })];
    const file = files[0];
    const levels = file.levelCount;
    if (want.level !== undefined && want.level >= levels) {
      throw new Error(
        `--level must be 0..${
          levels - 1
        } (variable "${name}" of ${input} has ${levels} levels), found ${want.level}`,
      );
    }
    const k = want.level ?? levels - 1;
    const T = file.header.shape[0];
    const flat = file.inputShape.length === 2;
    let range: [number, number] = [0, T];
    if (want.snapshots && !flat) {
      const [a, b0] = want.snapshots;
      const b = b0 === Infinity ? T : b0;
      if (a >= T || b > T) {
        throw new Error(
          `--snapshots must be within 0:${T} (variable "${name}" of ${input} has ${T} snapshots), found ${a}:${b0}`,
        );
      }
      range = [a, b];
    }
    const decoded = [];
    for (const f of files) {
      want.signal.throwIfAborted();
      decoded.push(
        await f.decode({
          level: k,
          snapshots: range,
          dtype: f.header.dtype,
          threads: want.threads?.(f, k, range) ?? 1,
          signal: want.signal,
        }),
      );
    }
    const attributes = await file.readAttributes();
    const [t, h, w] = decoded[0].shape;
    const bound = file.levels[k].bound;
    if (files.length === 1 && (v.layer === null || want.layer !== undefined)) {
      out.push({
        variable: v,
        file,
        data: decoded[0].data,
        shape: flat && t === 1 ? [h, w] : [t, h, w],
        level: k,
        rows: decoded[0].rows,
        cols: decoded[0].cols,
        firstSnapshot: range[0],
        attributes,
        bound,
      });
      continue;
    }
    // Layers stacked second: (t, z, y, x).
    const Z = decoded.length;
    const plane = h * w;
    const data =
      new (decoded[0].data.constructor as { new (n: number): Float32Array | Float64Array })(
        t * Z * plane,
      );
    decoded.forEach((d, z) => {
      for (let i = 0; i < t; i++) {
        data.set(d.data.subarray(i * plane, (i + 1) * plane), (i * Z + z) * plane);
      }
    });
    const layerAttributes = await Promise.all(files.map((f) => f.readAttributes()));
    const stacked = stackAttributes(v.layer!, layerAttributes);
    out.push({
      variable: v,
      file,
      data,
      shape: flat && t === 1 ? [Z, h, w] : [t, Z, h, w],
      level: k,
      rows: decoded[0].rows,
      cols: decoded[0].cols,
      firstSnapshot: range[0],
      attributes: stacked?.attributes ?? null,
      ...(stacked ? { layers: stacked.layers } : {}),
      bound: Math.max(...files.map((f) => f.levels[k].bound ?? Infinity)),
    });
  }
  return out;
}

/**
 * The attributes of a variable of layers: the first layer's, with the layer dimension (each
 * layer's `selected` entry of that name) moved from the selected dimensions to the second axis.
 * Null when a layer has no attributes or does not name the dimension (a file from `.npy`).
 */
function stackAttributes(
  layer: string,
  layers: (MrcAttributes | null)[],
): { attributes: MrcAttributes; layers: number[] } | null {
  const first = layers[0];
  if (!first || layers.some((a) => !a?.selected.some((s) => s.name === layer))) return null;
  const picked = layers.map((a) => a!.selected.find((s) => s.name === layer)!);
  const { index: _, ...dimension } = picked[0];
  return {
    attributes: {
      ...first,
      // Second after time, first for fields of one snapshot given as 2-D.
      dimensions: first.dimensions.length === 2
        ? [dimension, ...first.dimensions]
        : [first.dimensions[0], dimension, ...first.dimensions.slice(1)],
      selected: first.selected.filter((s) => s.name !== layer),
    },
    layers: picked.map((s) => s.index),
  };
}
