/**
 * The netCDF-4/HDF5 side: `npm:h5wasm` (HDF5 compiled to WebAssembly, its Node build with real
 * file access), loaded once on first use, the reader ({@linkcode openHdf5}, which slices datasets
 * so only the selected hyperslab is read) and what the writer shares with it.
 *
 * @module
 */

import type { MrcAttribute, MrcAttributeType } from "../../../format/attributes.ts";
import type { Source, Variable } from "./source.ts";

// deno-lint-ignore no-explicit-any
export type H5 = any;

let h5Ready: Promise<H5> | null = null;

/**
 * Loads h5wasm's Node build (real file system access) once. HDF5's errors are turned into
 * JavaScript errors (h5wasm's throwing error handler) instead of the `HDF5-DIAG` dumps its
 * default handler prints on stderr, also where the call then carries on or succeeds; read them
 * with {@linkcode hdf5Problem}.
 */
export function loadH5wasm(): Promise<H5> {
  h5Ready ??= (async () => {
    const mod = await import("npm:h5wasm@0.10.3/node");
    const h5wasm = mod.default;
    const module = await h5wasm.ready;
    module.activate_throwing_error_handler();
    return h5wasm;
  })();
  return h5Ready;
}

/**
 * What went wrong, in one line, from an error of h5wasm: for an HDF5 error stack (the text of an
 * `HDF5-DIAG` dump) the operating system's message where there is one (`No space left on
 * device`), else the innermost entry's description (`truncated file: ...`); otherwise the
 * message's first line.
 */
export function hdf5Problem(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const os = /error message = '([^']*)'/.exec(message);
  if (os) return os[1];
  const truncated = /truncated file: eof = (\d+).*stored_eof = (\d+)/.exec(message);
  if (truncated) return `the file is truncated (${truncated[1]} of ${truncated[2]} bytes)`;
  const entries = [...message.matchAll(/^\s*#\d+: .* in [\w.]+\(\): (.*)$/gm)];
  if (entries.length > 0) return entries[entries.length - 1][1].trim();
  return message.split("\n")[0];
}

/** netCDF's name of a dimension that has no coordinate variable (netCDF-C's `DIM_WITHOUT_VARIABLE`). */
export const DIM_WITHOUT_VARIABLE = "This is a netCDF dimension but not a netCDF variable.";
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

/**
 * How a dataset is stored, as far as its output can restore it: which axes are unlimited
 * (`maxshape` H5S_UNLIMITED, 2^64 - 1, which h5wasm gives as a number above 2^53), and its
 * deflate level and shuffle filter (HDF5 filters 1 and 2).
 */
function storageOf(ds: H5): { unlimited: boolean[]; deflate: number; shuffle: boolean } {
  const max: unknown[] = Array.isArray(ds.metadata.maxshape) ? ds.metadata.maxshape : [];
  const shape: number[] = ds.shape ?? [];
  let filters: { id: number; cd_values?: number[] }[] = [];
  try {
    filters = ds.filters ?? [];
  } catch { /* a dataset whose filter pipeline cannot be read: none recorded */ }
  const deflate = filters.find((f) => f.id === 1)?.cd_values?.[0];
  return {
    unlimited: shape.map((_, i) => Number(max[i]) > Number.MAX_SAFE_INTEGER),
    deflate: Number.isInteger(deflate) && deflate! >= 0 && deflate! <= 9 ? deflate! : 0,
    shuffle: filters.some((f) => f.id === 2),
  };
}

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

export async function openHdf5(path: string): Promise<Source> {
  const h5wasm = await loadH5wasm();
  let file: H5;
  try {
    file = new h5wasm.File(path, "r");
  } catch (e) {
    throw new Error(`${path}: cannot open netCDF-4/HDF5 file: ${hdf5Problem(e)}`, { cause: e });
  }
  try {
    return hdf5Source(h5wasm, file, path);
  } catch (e) {
    try {
      file.close();
    } catch { /* the error above is the one to report */ }
    throw new Error(`${path}: cannot read netCDF-4/HDF5 file: ${hdf5Problem(e)}`, { cause: e });
  }
}

function hdf5Source(h5wasm: H5, file: H5, path: string): Source {
  const dims = new Map<string, number>();
  const variables: Variable[] = [];
  const datasets = new Map<string, H5>();
  // Every group, depth first: a variable of a group is named by its path from the root group
  // (`forecast/t2m`), as netCDF-C's tools name it (without the leading slash); its dimensions by
  // their own names (netCDF-4 lets a group see the dimensions of the groups above it).
  const walk = (group: H5, prefix: string, depth: number) => {
    for (const key of group.keys() as string[]) {
      const name = prefix + key;
      let entry: H5;
      try {
        entry = group.get(key);
      } catch {
        continue; // a dangling or external link: nothing netCDF-4 writes, nothing to read
      }
      if (entry instanceof h5wasm.Group) {
        // A cycle of links cannot be followed for ever; netCDF-4 nests far less deep.
        if (depth < 32) walk(entry, `${name}/`, depth + 1);
        continue;
      }
      if (!(entry instanceof h5wasm.Dataset)) continue;
      addDataset(entry, name, key);
    }
  };
  const addDataset = (ds: H5, name: string, key: string) => {
    const shape: number[] = ds.shape ?? [];
    const nameAttr = ds.attrs.NAME ? String(ds.attrs.NAME.value) : "";
    const isScale = ds.attrs.CLASS && String(ds.attrs.CLASS.value) === "DIMENSION_SCALE";
    if (isScale && shape.length === 1) dims.set(key, shape[0]);
    if (isScale && nameAttr.startsWith(DIM_WITHOUT_VARIABLE)) return;
    const dimNames = shape.map((_, i) => {
      if (isScale && shape.length === 1) return key; // a coordinate variable is its own scale
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
      chunks: ds.metadata.chunks ?? null,
      ...storageOf(ds),
    });
    datasets.set(name, ds);
  };
  walk(file, "", 0);
  return {
    format: "netCDF-4/HDF5",
    dims,
    variables,
    global: h5Attributes(file),
    read(variable, ranges) {
      const ds = datasets.get(variable.name)!;
      const whole = ranges.every(([a, b], i) => a === 0 && b === variable.shape[i]);
      let value;
      try {
        value = whole ? ds.value : ds.slice(ranges);
      } catch (e) {
        throw new Error(
          `${path}: cannot read variable "${variable.name}": ${hdf5Problem(e)}`,
          { cause: e },
        );
      }
      // Numbers as they came (a float32 slab stays 4 bytes a value); 64-bit integers (BigInt
      // arrays) and plain values converted.
      if (
        ArrayBuffer.isView(value) && !(value instanceof BigInt64Array) &&
        !(value instanceof BigUint64Array) && !(value instanceof DataView)
      ) {
        return value as unknown as ArrayLike<number>;
      }
      const list =
        (ArrayBuffer.isView(value) || Array.isArray(value) ? value : [value]) as ArrayLike<
          number | bigint
        >;
      const out = new Float64Array(list.length);
      for (let i = 0; i < out.length; i++) out[i] = Number(list[i]);
      return out;
    },
    close() {
      file.close();
    },
  };
}
