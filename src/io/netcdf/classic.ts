/**
 * The classic and 64-bit offset reader (CDF-1, CDF-2): `npm:netcdfjs`, imported on the first
 * call only. It reads the whole file into memory; the hyperslab is copied out afterwards.
 *
 * @module
 */

import type { MrcAttribute, MrcAttributeType } from "../../../format/attributes.ts";
import type { Source, Variable } from "./source.ts";

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

export async function openClassic(path: string, format: string): Promise<Source> {
  const { NetCDFReader } = await import("npm:netcdfjs@4.0.0");
  let reader: InstanceType<typeof NetCDFReader>;
  try {
    reader = new NetCDFReader(await Deno.readFile(path));
  } catch (e) {
    const problem = e instanceof RangeError
      ? "the file is truncated or corrupt (its header ends early)"
      : (e as Error).message;
    throw new Error(`${path}: cannot read netCDF ${format} file: ${problem}`, { cause: e });
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
  /** The last variable read, whole, as netcdfjs decoded it. */
  const flats = new Map<string, Float64Array>();
  const variables: Variable[] = reader.variables.map((v) => ({
    name: v.name,
    type: CLASSIC_TYPES[v.type] ?? null,
    typeName: v.type,
    dims: v.dimensions.map((i) => dimList[i].name),
    shape: v.dimensions.map((i) => dimList[i].size),
    unlimited: v.dimensions.map((i) => i === record.id),
    attributes: toRecord(v.attributes as { name: string; type: string; value: unknown }[]),
  }));
  return {
    format,
    dims: new Map(dimList.map((d) => [d.name, d.size])),
    variables,
    global: toRecord(reader.globalAttributes),
    read(variable, ranges) {
      // netcdfjs returns the whole variable (nested per record for record variables): decoded
      // once per opening, so that the slabs and layers read after the first cost a copy each.
      const held = flats.get(variable.name);
      if (held) return hyperslab(held, variable.shape, ranges);
      let all;
      try {
        all = reader.getDataVariable(raw.get(variable.name)!);
      } catch (e) {
        throw new Error(
          `${path}: cannot read variable "${variable.name}": ${
            e instanceof RangeError
              ? "the file is truncated or corrupt (its data ends early)"
              : (e as Error).message
          }`,
          { cause: e },
        );
      }
      const flat = new Float64Array(variable.shape.reduce((a, b) => a * b, 1));
      let at = 0;
      for (const item of all) {
        if (Array.isArray(item)) { for (const v of item) flat[at++] = Number(v); }
        else flat[at++] = Number(item);
      }
      flats.clear();
      flats.set(variable.name, flat);
      return hyperslab(flat, variable.shape, ranges);
    },
    close() {
      flats.clear();
    },
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
