// This module is browser compatible.
/**
 * Read and write NumPy `.npy` files holding float32 or float64 arrays.
 *
 * The format is specified in NumPy's `numpy/lib/format.py` (NEP 1):
 * a 6-byte magic `\x93NUMPY`, a major and a minor version byte, the header
 * length (u16 LE for v1.0, u32 LE for v2.0 and v3.0), then an ASCII (v3: UTF-8)
 * Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`
 * padded with spaces and a newline so that the data starts at a multiple of 64
 * bytes (16 in files written by old NumPy versions), then the raw array data.
 *
 * @example Round trip
 * ```ts
 * import { encodeNpy, parseNpy } from "./npy.ts";
 * import assert from "node:assert";
 *
 * const bytes = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * const { data, shape, dtype } = parseNpy(bytes);
 * assert.deepStrictEqual(shape, [2, 3]);
 * assert.strictEqual(dtype, "float32");
 * assert.strictEqual(data[5], 6);
 * ```
 *
 * @module
 */

/** The dtypes this module reads and writes. */
export type NpyDtype = "float32" | "float64";

/** A parsed `.npy` array: data always in C order and native (little-endian) byte order. */
export interface NpyArray {
  /** The values, row-major (C order), whatever the file's order. */
  data: Float32Array | Float64Array;
  /** The array shape; `[]` for a 0-d array. */
  shape: number[];
  /** The element type. */
  dtype: NpyDtype;
  /** Whether the file stored the data in Fortran (column-major) order. */
  fortranOrder: boolean;
}

/** `\x93NUMPY`: the first 6 bytes of every `.npy` file. */
const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] as const;
/** Header alignment used by NumPy >= 1.9 (older versions used 16; both are read). */
const NPY_ALIGN = 64;

/** Whether this host stores typed arrays little-endian (every mainstream JS engine does). */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Check whether bytes start with the `.npy` magic.
 *
 * @param bytes The file contents (at least the first 6 bytes).
 * @returns `true` when the magic matches.
 *
 * @example Checking a signature
 * ```ts
 * import { encodeNpy, hasNpySignature } from "./npy.ts";
 * import assert from "node:assert";
 *
 * assert.ok(hasNpySignature(encodeNpy(new Float64Array(1), [1])));
 * assert.ok(!hasNpySignature(new Uint8Array([1, 2, 3])));
 * ```
 */
export function hasNpySignature(bytes: Uint8Array): boolean {
  if (bytes.length < NPY_MAGIC.length) return false;
  return NPY_MAGIC.every((b, i) => bytes[i] === b);
}

/** What a `.npy` header says: enough to read any part of the data from the file. */
export interface NpyFileHeader {
  /** Element type. */
  dtype: NpyDtype;
  /** The array's shape. */
  shape: number[];
  /** Column-major data. */
  fortranOrder: boolean;
  /** Byte order of the data. */
  littleEndian: boolean;
  /** Where the data starts. */
  dataOffset: number;
  /** Elements. */
  count: number;
  /** The header's `descr`. */
  descr: string;
}

/**
 * Parses the header of a `.npy` file from its first bytes, and checks the data size against the
 * file's size: for reading the data in parts (a slab of snapshots at a time).
 *
 * @param bytes The file's first bytes (at least the header: 4096 bytes hold any NumPy writes
 *   for arrays of up to 3 dimensions).
 * @param fileSize The file's size. Default: `bytes.length` (the whole file).
 * @returns The header.
 * @throws {RangeError} On a bad magic, an unknown version, or a size mismatch.
 * @throws {TypeError} On a malformed header or an unsupported dtype.
 */
export function parseNpyHeader(bytes: Uint8Array, fileSize: number = bytes.length): NpyFileHeader {
  if (!hasNpySignature(bytes)) {
    const found = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, "0"))
      .join(" ");
    throw new RangeError(
      `Cannot read .npy: bad magic (expected 93 4e 55 4d 50 59, found ${found || "nothing"})`,
    );
  }
  if (bytes.length < 10) {
    throw new RangeError(`Cannot read .npy: file is truncated (${bytes.length} bytes)`);
  }
  const major = bytes[6];
  const minor = bytes[7];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLength: number;
  if (major === 1) {
    headerStart = 10;
    headerLength = view.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) {
      throw new RangeError(`Cannot read .npy: file is truncated (${bytes.length} bytes)`);
    }
    headerStart = 12;
    headerLength = view.getUint32(8, true);
  } else {
    throw new RangeError(
      `Cannot read .npy: format version "${major}.${minor}" is not supported (use 1.0, 2.0 or 3.0)`,
    );
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) {
    if (bytes.length < fileSize) {
      throw new RangeError(
        `Cannot read .npy: header of ${headerLength} bytes is not all in the ${bytes.length} bytes read`,
      );
    }
    throw new RangeError(
      `Cannot read .npy: header declares ${headerLength} bytes but only ${
        bytes.length - headerStart
      } follow`,
    );
  }
  // v1 and v2 headers are latin-1 (in practice ASCII); v3 allows UTF-8.
  const headerText = major === 3
    ? new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(headerStart, dataStart))
    : latin1(bytes.subarray(headerStart, dataStart));
  const header = parseHeader(headerText);

  const { dtype, littleEndian, itemSize } = parseDescr(header.descr);
  let count = 1;
  for (const n of header.shape) count *= n;
  if (!Number.isSafeInteger(count)) {
    throw new RangeError(
      `Cannot read .npy: shape (${header.shape.join(", ")}) is too large`,
    );
  }
  const expected = count * itemSize;
  const present = fileSize - dataStart;
  if (present !== expected) {
    throw new RangeError(
      `Cannot read .npy: shape (${
        header.shape.join(", ")
      }) of "${header.descr}" needs ${expected} data bytes, found ${present}`,
    );
  }

  return {
    dtype,
    shape: header.shape,
    fortranOrder: header.fortranOrder,
    littleEndian,
    dataOffset: dataStart,
    count,
    descr: header.descr,
  };
}

/**
 * Parse a `.npy` file holding a float32 or float64 array.
 *
 * Reads format versions 1.0, 2.0 and 3.0, either byte order (`<`, `>`; `=` is
 * read as little-endian, as NumPy itself never writes it), C or Fortran order.
 * Fortran-order data is transposed to C order; big-endian data is byte-swapped.
 * The declared size is checked against the bytes present before anything is
 * allocated.
 *
 * @param bytes The whole file.
 * @returns The array in C order and native byte order.
 * @throws {RangeError} On a bad magic, an unknown version, or a size mismatch.
 * @throws {TypeError} On a malformed header or an unsupported dtype.
 *
 * @example Reading a file written by `encodeNpy`
 * ```ts
 * import { encodeNpy, parseNpy } from "./npy.ts";
 * import assert from "node:assert";
 *
 * const parsed = parseNpy(encodeNpy(new Float64Array([0.5, 1.5]), [2]));
 * assert.strictEqual(parsed.dtype, "float64");
 * assert.deepStrictEqual(Array.from(parsed.data), [0.5, 1.5]);
 * ```
 */
export function parseNpy(bytes: Uint8Array): NpyArray {
  const { dtype, shape, fortranOrder, littleEndian, dataOffset: dataStart, count } = parseNpyHeader(
    bytes,
  );
  const header = { shape, fortranOrder };
  const raw = bytes.subarray(dataStart);
  let data: Float32Array | Float64Array = dtype === "float32"
    ? new Float32Array(count)
    : new Float64Array(count);
  if (littleEndian === HOST_LITTLE_ENDIAN) {
    // Copy bytes: the data offset need not be aligned to the element size.
    new Uint8Array(data.buffer).set(raw);
  } else {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (data instanceof Float32Array) {
      for (let i = 0; i < count; i++) data[i] = dv.getFloat32(4 * i, littleEndian);
    } else {
      for (let i = 0; i < count; i++) data[i] = dv.getFloat64(8 * i, littleEndian);
    }
  }
  if (header.fortranOrder && header.shape.length > 1) {
    data = fortranToC(data, header.shape);
  }
  return { data, shape: header.shape, dtype, fortranOrder: header.fortranOrder };
}

/**
 * The header of a `.npy` file (as {@linkcode encodeNpy} writes it) for an array of `shape`, so
 * that the data can follow in parts: for arrays written a slab at a time.
 *
 * @param shape The array shape.
 * @param dtype Element type.
 * @returns The header bytes (a multiple of 64); the little-endian data follows.
 */
export function encodeNpyHeader(shape: readonly number[], dtype: NpyDtype): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let dict = `{'descr': '<${
    dtype === "float32" ? "f4" : "f8"
  }', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let major = 1;
  let prefix = 10;
  if (dict.length + 1 + prefix > 0xffff) {
    major = 2;
    prefix = 12;
  }
  const total = Math.ceil((prefix + dict.length + 1) / NPY_ALIGN) * NPY_ALIGN;
  dict = dict.padEnd(total - prefix - 1, " ") + "\n";
  const out = new Uint8Array(total);
  out.set(NPY_MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, dict.length, true);
  else view.setUint32(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[prefix + i] = dict.charCodeAt(i);
  return out;
}

/**
 * Encode a float32 or float64 array as a `.npy` file (version 1.0, C order,
 * little-endian, header padded to 64 bytes; version 2.0 only if the header
 * would not fit in 65535 bytes).
 *
 * @param data The values in C (row-major) order.
 * @param shape The array shape; its product must equal `data.length`.
 * @returns The file bytes.
 * @throws {TypeError} When the shape does not match the data length.
 *
 * @example Encoding a 2-D array
 * ```ts
 * import { encodeNpy } from "./npy.ts";
 * import assert from "node:assert";
 *
 * const bytes = encodeNpy(new Float32Array(6), [2, 3]);
 * assert.strictEqual((bytes.length - 6 * 4) % 64, 0); // header padded to 64 bytes
 * ```
 */
export function encodeNpy(data: Float32Array | Float64Array, shape: number[]): Uint8Array {
  const [header, body] = npyParts(data, shape);
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}

/**
 * The bytes of {@linkcode encodeNpy} as its two parts, the header and the values, so that a writer
 * can write them one after the other: on a little-endian host (every common one) the values are a
 * view of `data`, not a copy.
 *
 * @param data The values in C (row-major) order.
 * @param shape The array shape; its product must equal `data.length`.
 * @returns `[header, values]`.
 * @throws {TypeError} When the shape does not match the data length.
 */
export function npyParts(
  data: Float32Array | Float64Array,
  shape: readonly number[],
): [Uint8Array, Uint8Array] {
  let count = 1;
  for (const n of shape) {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new TypeError(`Cannot encode .npy: shape entry "${n}" is not a non-negative integer`);
    }
    count *= n;
  }
  if (count !== data.length) {
    throw new TypeError(
      `Cannot encode .npy: shape (${
        shape.join(", ")
      }) holds ${count} values, data has ${data.length}`,
    );
  }
  const isF32 = data instanceof Float32Array;
  const itemSize = isF32 ? 4 : 8;
  const header = encodeNpyHeader(shape, isF32 ? "float32" : "float64");
  if (HOST_LITTLE_ENDIAN) {
    return [header, new Uint8Array(data.buffer, data.byteOffset, count * itemSize)];
  }
  const body = new Uint8Array(count * itemSize);
  const view = new DataView(body.buffer);
  if (isF32) { for (let i = 0; i < count; i++) view.setFloat32(4 * i, data[i], true); }
  else for (let i = 0; i < count; i++) view.setFloat64(8 * i, data[i], true);
  return [header, body];
}

// --- private helpers -------------------------------------------------------

function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]);
  return out;
}

interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/** A Python literal as it can appear in an .npy header. */
type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/**
 * Parse the header dict. It is a Python literal, not JSON (single quotes,
 * `True`/`False`, tuples, trailing commas), so a tiny recursive parser reads it.
 */
function parseHeader(text: string): NpyHeader {
  let value: PyValue;
  try {
    const parser = new PyLiteralParser(text);
    value = parser.parseValue();
    parser.skipSpace();
    if (!parser.atEnd()) throw new Error(`unexpected "${text.slice(parser.pos, parser.pos + 10)}"`);
  } catch (err) {
    throw new TypeError(
      `Cannot read .npy: malformed header ${JSON.stringify(text.trim().slice(0, 80))} (${
        (err as Error).message
      })`,
      { cause: err },
    );
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`Cannot read .npy: header is not a dict (${JSON.stringify(text.trim())})`);
  }
  const { descr, fortran_order: fortranOrder, shape } = value;
  if (Array.isArray(descr)) {
    throw new TypeError(
      `Cannot read .npy: structured dtype is not supported (use float32 or float64)`,
    );
  }
  if (typeof descr !== "string") {
    throw new TypeError(`Cannot read .npy: header key "descr" is missing or not a string`);
  }
  if (typeof fortranOrder !== "boolean") {
    throw new TypeError(`Cannot read .npy: header key "fortran_order" is missing or not a bool`);
  }
  if (
    !Array.isArray(shape) ||
    !shape.every((n) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0)
  ) {
    throw new TypeError(
      `Cannot read .npy: header key "shape" is missing or not a tuple of non-negative integers`,
    );
  }
  return { descr, fortranOrder, shape: shape as number[] };
}

function parseDescr(descr: string): { dtype: NpyDtype; littleEndian: boolean; itemSize: number } {
  const match = /^([<>=|]?)f([48])$/.exec(descr);
  // "|" means "not applicable" and NumPy only writes it for 1-byte types.
  if (!match || match[1] === "|") {
    throw new TypeError(
      `Cannot read .npy: dtype "${descr}" is not supported (use float32 or float64)`,
    );
  }
  const itemSize = Number(match[2]);
  return {
    dtype: itemSize === 4 ? "float32" : "float64",
    littleEndian: match[1] !== ">",
    itemSize,
  };
}

/** Column-major (Fortran-order) data of `shape`, transposed to row-major (C order). */
export function fortranToC<T extends Float32Array | Float64Array>(src: T, shape: number[]): T {
  const n = src.length;
  const dst = new (src.constructor as { new (n: number): T })(n);
  const rank = shape.length;
  // C strides: the last axis is contiguous.
  const strides = new Array<number>(rank);
  let s = 1;
  for (let a = rank - 1; a >= 0; a--) {
    strides[a] = s;
    s *= shape[a];
  }
  // Walk the Fortran-order source, first axis fastest, tracking the C offset.
  const index = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    dst[offset] = src[i];
    for (let a = 0; a < rank; a++) {
      index[a]++;
      offset += strides[a];
      if (index[a] < shape[a]) break;
      offset -= strides[a] * shape[a];
      index[a] = 0;
    }
  }
  return dst;
}

class PyLiteralParser {
  pos = 0;
  constructor(readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  parseValue(): PyValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === "{") return this.parseDict();
    if (c === "(") return this.parseSequence("(", ")");
    if (c === "[") return this.parseSequence("[", "]");
    if (c === "'" || c === '"') return this.parseString();
    const word = /^(True|False|None|[-+]?\d+L?)/.exec(this.text.slice(this.pos));
    if (!word) throw new Error(`unexpected ${c === undefined ? "end" : `"${c}"`} at ${this.pos}`);
    this.pos += word[0].length;
    if (word[0] === "True") return true;
    if (word[0] === "False") return false;
    if (word[0] === "None") return null;
    return Number(word[0].replace("L", ""));
  }

  parseString(): string {
    const quote = this.text[this.pos++];
    let out = "";
    while (this.pos < this.text.length && this.text[this.pos] !== quote) {
      if (this.text[this.pos] === "\\") this.pos++;
      out += this.text[this.pos++];
    }
    if (this.atEnd()) throw new Error("unterminated string");
    this.pos++;
    return out;
  }

  parseSequence(open: string, close: string): PyValue[] {
    this.expect(open);
    const items: PyValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) break;
      items.push(this.parseValue());
      this.skipSpace();
      if (this.text[this.pos] === ",") this.pos++;
      else if (this.text[this.pos] !== close) throw new Error(`expected "," or "${close}"`);
    }
    this.pos++;
    return items;
  }

  parseDict(): { [key: string]: PyValue } {
    this.expect("{");
    const out: { [key: string]: PyValue } = {};
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === "}") break;
      const key = this.parseValue();
      if (typeof key !== "string") throw new Error("dict key is not a string");
      this.skipSpace();
      this.expect(":");
      out[key] = this.parseValue();
      this.skipSpace();
      if (this.text[this.pos] === ",") this.pos++;
      else if (this.text[this.pos] !== "}") throw new Error(`expected "," or "}"`);
    }
    this.pos++;
    return out;
  }

  expect(c: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== c) {
      throw new Error(`expected "${c}" at ${this.pos}`);
    }
    this.pos++;
  }
}
