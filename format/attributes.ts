// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * The optional `ATTR` chunk (version 1.2): where the data came from, as a netCDF reader would
 * describe it: the variable's name, type and attributes (units, long name, ...), its dimensions
 * with their coordinate values, the dimensions fixed by a selection, and the global attributes.
 * UTF-8 JSON, SPEC.md §4.8. Decoding does not depend on it; `decompress -o x.nc` restores it.
 *
 * @module
 */

import { ATTRIBUTE_TYPES, CHUNK_TYPES } from "./_constants.ts";
import { decodeJson, encodeJson } from "./_bytes.ts";
import { chunkError } from "./_chunk_error.ts";
import type { MrcHeader } from "./header.ts";

/** The netCDF type names an attribute or coordinate variable may have (SPEC.md §4.8). */
export type MrcAttributeType =
  | "char"
  | "string"
  | "byte"
  | "ubyte"
  | "short"
  | "ushort"
  | "int"
  | "uint"
  | "int64"
  | "uint64"
  | "float"
  | "double";

/** One attribute: text for `"char"` and `"string"`, otherwise numbers (NaN and ±Infinity allowed). */
export interface MrcAttribute {
  /** The netCDF type it had in the source file. */
  type: MrcAttributeType;
  /** Text, or the numbers (one or more). */
  value: string | number[];
}

/** A dimension of the source variable, with its coordinate variable when the file had one. */
export interface MrcDimension {
  /** Dimension name, e.g. `"time"`. */
  name: string;
  /** Length along this axis of what was compressed (for a selected dimension: its full length). */
  size: number;
  /** Coordinate values (one per index), or null when the file has no coordinate variable. */
  values: number[] | null;
  /** Type of the coordinate variable (`"double"` when it has none). */
  type: MrcAttributeType;
  /** Attributes of the coordinate variable (`units`, `calendar`, `axis`, ...). */
  attributes: Record<string, MrcAttribute>;
}

/** A dimension fixed to one index by a selection (`--select level=0`). */
export interface MrcSelectedDimension extends MrcDimension {
  /** The index kept. */
  index: number;
}

/** The body of an `ATTR` chunk: the source of the data (SPEC.md §4.8). */
export interface MrcAttributes {
  /** The compressed variable. */
  variable: {
    /** Its name in the source file. */
    name: string;
    /** Its type in the source file (packed integers were unpacked before compression). */
    type: MrcAttributeType;
    /** Its attributes as stored in the source, `_FillValue` and `scale_factor` included. */
    attributes: Record<string, MrcAttribute>;
  };
  /** One per axis of the header's `inputShape`, in order (time first for 3-D data). */
  dimensions: MrcDimension[];
  /** Dimensions of the source variable fixed to one index, in their source order. */
  selected: MrcSelectedDimension[];
  /** Global attributes of the source file. */
  global: Record<string, MrcAttribute>;
  /** Free-form description of the source, e.g. `{ format: "netCDF-4" }`. */
  source: Record<string, unknown>;
}

/** Numbers to JSON: NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity". */
const numberToJson = (v: number): number | string => Number.isFinite(v) ? v : String(v);

function attributeToJson(a: MrcAttribute): unknown {
  return { type: a.type, value: typeof a.value === "string" ? a.value : a.value.map(numberToJson) };
}

function recordToJson(r: Record<string, MrcAttribute>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, attributeToJson(v)]));
}

function dimensionToJson(d: MrcDimension | MrcSelectedDimension): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: d.name,
    size: d.size,
    values: d.values === null ? null : d.values.map(numberToJson),
    type: d.type,
    attributes: recordToJson(d.attributes),
  };
  if ("index" in d) out.index = d.index;
  return out;
}

/**
 * Encodes an `ATTR` body.
 *
 * @param attributes The description of the source.
 * @returns The chunk body (UTF-8 JSON).
 * @throws {TypeError} When `attributes` is not valid (the same checks as decoding).
 *
 * @example Round trip, NaN included
 * ```ts
 * import assert from "node:assert";
 * import { decodeAttributes, encodeAttributes, type MrcAttributes } from "./mod.ts";
 *
 * const attributes: MrcAttributes = {
 *   variable: { name: "sst", type: "short", attributes: { _FillValue: { type: "float", value: [NaN] } } },
 *   dimensions: [
 *     { name: "lat", size: 2, values: [-1, 1], type: "float", attributes: {} },
 *     { name: "lon", size: 3, values: null, type: "double", attributes: {} },
 *   ],
 *   selected: [],
 *   global: { title: { type: "char", value: "test" } },
 *   source: {},
 * };
 * assert.deepStrictEqual(decodeAttributes(encodeAttributes(attributes)), attributes);
 * ```
 */
export function encodeAttributes(attributes: MrcAttributes): Uint8Array {
  const json = {
    variable: {
      name: attributes.variable?.name,
      type: attributes.variable?.type,
      attributes: recordToJson(attributes.variable?.attributes ?? {}),
    },
    dimensions: (attributes.dimensions ?? []).map(dimensionToJson),
    selected: (attributes.selected ?? []).map(dimensionToJson),
    global: recordToJson(attributes.global ?? {}),
    source: attributes.source ?? {},
  };
  const body = encodeJson(json);
  try {
    decodeAttributes(body);
  } catch (e) {
    throw new TypeError(`Cannot encode attributes: ${(e as Error).message}`, { cause: e });
  }
  return body;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Checks one level of the JSON; throws a plain Error with the path of the problem. */
class Parser {
  fail(path: string, problem: string): never {
    throw new Error(`${path} ${problem}`);
  }
  number(v: unknown, path: string): number {
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (v === "NaN" || v === "Infinity" || v === "-Infinity") return Number(v);
    this.fail(
      path,
      `must be a number, "NaN", "Infinity" or "-Infinity", found ${JSON.stringify(v)}`,
    );
  }
  type(v: unknown, path: string): MrcAttributeType {
    if (typeof v !== "string" || !ATTRIBUTE_TYPES.has(v)) {
      this.fail(path, `must be a netCDF type name, found ${JSON.stringify(v)}`);
    }
    return v as MrcAttributeType;
  }
  attribute(v: unknown, path: string): MrcAttribute {
    if (!isObject(v)) this.fail(path, "must be an object");
    const type = this.type(v.type, `${path}.type`);
    const text = type === "char" || type === "string";
    if (text) {
      if (typeof v.value !== "string") this.fail(`${path}.value`, `must be a string`);
      return { type, value: v.value };
    }
    if (!Array.isArray(v.value) || v.value.length === 0) {
      this.fail(`${path}.value`, "must be a non-empty array of numbers");
    }
    return { type, value: v.value.map((x, i) => this.number(x, `${path}.value[${i}]`)) };
  }
  record(v: unknown, path: string): Record<string, MrcAttribute> {
    if (!isObject(v)) this.fail(path, "must be an object");
    return Object.fromEntries(
      Object.entries(v).map(([k, a]) => [k, this.attribute(a, `${path}.${k}`)]),
    );
  }
  dimension(v: unknown, path: string, selected: boolean): MrcSelectedDimension | MrcDimension {
    if (!isObject(v)) this.fail(path, "must be an object");
    if (typeof v.name !== "string" || v.name === "") this.fail(`${path}.name`, "must be a name");
    if (!Number.isSafeInteger(v.size) || (v.size as number) < 1) {
      this.fail(`${path}.size`, `must be an integer >= 1, found ${JSON.stringify(v.size)}`);
    }
    const size = v.size as number;
    let values: number[] | null = null;
    if (v.values !== null) {
      if (!Array.isArray(v.values) || v.values.length !== size) {
        this.fail(`${path}.values`, `must be null or an array of ${size} numbers`);
      }
      values = v.values.map((x, i) => this.number(x, `${path}.values[${i}]`));
    }
    const out: MrcDimension = {
      name: v.name,
      size,
      values,
      type: this.type(v.type, `${path}.type`),
      attributes: this.record(v.attributes, `${path}.attributes`),
    };
    if (!selected) return out;
    if (!Number.isSafeInteger(v.index) || (v.index as number) < 0 || (v.index as number) >= size) {
      this.fail(`${path}.index`, `must be an integer in 0..${size - 1}`);
    }
    return { ...out, index: v.index as number };
  }
}

/**
 * Decodes an `ATTR` body, checking every property of SPEC.md §4.8; with a header, also that the
 * dimensions match its `inputShape` (or `shape`).
 *
 * @param body The chunk body.
 * @param header The file's header, to check the dimension sizes against. Default: no check.
 * @param flags The chunk's flags: bit 0, deflated JSON (SPEC.md §3.1). Default: 0.
 * @returns The parsed attributes (non-finite numbers back as numbers).
 * @throws {MrcFormatError} On bad UTF-8, bad JSON or a property that breaks §4.8.
 *
 * @example A body that is not an object is refused
 * ```ts
 * import assert from "node:assert";
 * import { decodeAttributes, MrcFormatError } from "./mod.ts";
 *
 * assert.throws(() => decodeAttributes(new TextEncoder().encode("[]")), MrcFormatError);
 * ```
 */
export function decodeAttributes(
  body: Uint8Array,
  header?: MrcHeader,
  flags = 0,
): MrcAttributes {
  const json = decodeJson(body, CHUNK_TYPES.attributes, flags);
  const p: Parser = new Parser();
  try {
    if (!isObject(json)) p.fail("the body", "must be a JSON object");
    const v = json.variable;
    if (!isObject(v)) p.fail("variable", "must be an object");
    if (typeof v.name !== "string" || v.name === "") p.fail("variable.name", "must be a name");
    const dims = json.dimensions;
    if (!Array.isArray(dims) || dims.length < 2 || dims.length > 3) {
      p.fail("dimensions", "must be an array of 2 or 3 dimensions");
    }
    if (!Array.isArray(json.selected)) p.fail("selected", "must be an array");
    if (!isObject(json.source)) p.fail("source", "must be an object");
    const out: MrcAttributes = {
      variable: {
        name: v.name,
        type: p.type(v.type, "variable.type"),
        attributes: p.record(v.attributes, "variable.attributes"),
      },
      dimensions: dims.map((d, i) => p.dimension(d, `dimensions[${i}]`, false)),
      selected: json.selected.map((d, i) =>
        p.dimension(d, `selected[${i}]`, true) as MrcSelectedDimension
      ),
      global: p.record(json.global, "global"),
      source: json.source,
    };
    if (header) {
      const shape = header.inputShape ?? header.shape;
      const sizes = out.dimensions.map((d) => d.size);
      if (sizes.length !== shape.length || sizes.some((s, i) => s !== shape[i])) {
        p.fail(
          "dimensions",
          `have sizes [${sizes.join(", ")}], the header's shape is [${shape.join(", ")}]`,
        );
      }
    }
    return out;
  } catch (e) {
    throw chunkError(CHUNK_TYPES.attributes, null, (e as Error).message, e);
  }
}
