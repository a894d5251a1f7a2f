/**
 * Writing netCDF-4 with `npm:h5wasm` (loaded on use): {@linkcode writeNetcdf}.
 *
 * @module
 */

import type { MrcAttribute } from "../../../format/attributes.ts";
import type { NetcdfOutput } from "./types.ts";
import { DIM_WITHOUT_VARIABLE, type H5, hdf5Problem, loadH5wasm } from "./hdf5.ts";
import { outputAttributes, textOf } from "./cf.ts";

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
 * import { readNetcdf, writeNetcdf } from "./mod.ts";
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
  const dimNames = Array.from(
    { length: rank },
    (_, axis) => attributes?.dimensions[axis]?.name ?? generic[axis],
  );
  checkNames(path, field, dimNames, attributes?.variable.name ?? "data");
  let file: H5;
  try {
    file = new h5wasm.File(path, "w");
  } catch (e) {
    throw new Error(`${path}: cannot write: ${hdf5Problem(e)}`, { cause: e });
  }
  try {
    for (let axis = 0; axis < rank; axis++) {
      const d = attributes?.dimensions[axis];
      const name = dimNames[axis];
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
}
