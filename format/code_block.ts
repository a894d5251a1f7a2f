// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * The `CODE` chunk: the quantized integer codes of one snapshot block of one level
 * (SPEC.md §4.6).
 *
 * Body: `u32 n, u32 streams, u32 valuesPerSnapshot[streams], u8 predictor,
 * u32 uncompressedLength` (`n` snapshots), then a zlib stream of zigzag LEB128 varints of the
 * temporal prediction residuals, stream-major, then position-major, then time.
 *
 * @module
 */

import { CHUNK_TYPES } from "./_constants.ts";
import { ByteWriter, viewOf, zlibCompress, zlibDecompressExact } from "./_bytes.ts";
import { chunkError } from "./_chunk_error.ts";

/**
 * Temporal predictor of a `CODE` body: 0 none, 1 previous snapshot (delta), 2 linear
 * extrapolation `2 x[t-1] - x[t-2]`.
 */
export type CodePredictor = 0 | 1 | 2;

/** The codes of one block: `streams[s]` has `snapshotCount * valuesPerSnapshot[s]` values, `[t][position]`. */
export interface CodeBlock {
  /** Number of snapshots in the block (SPEC.md's `n`). */
  snapshotCount: number;
  /**
   * Streams in order: base (level 0 only), then group g channel c. Group streams hold only the
   * positions the group's mask keeps, row-major.
   */
  streams: Int32Array[];
}

/** A decoded `CODE` body. */
export interface DecodedCodeBlock extends CodeBlock {
  /** Values per snapshot of each stream. */
  valuesPerSnapshot: number[];
  /** The predictor the encoder chose. */
  predictor: CodePredictor;
}

/** The fixed part of a `CODE` body, read before anything is inflated or allocated. */
export interface CodeBlockHead {
  /** Number of snapshots in the block (SPEC.md's `n`). */
  snapshotCount: number;
  /** Values per snapshot of each stream. */
  valuesPerSnapshot: number[];
  /** The predictor the encoder chose. */
  predictor: CodePredictor;
}

/** Options of {@linkcode decodeCodeBlock}. */
export interface DecodeCodeBlockOptions {
  /**
   * Called with the block's counts before the zlib data is inflated or any array is made; throw
   * to refuse the block (the readers check the counts against the header here, SPEC.md §4.6).
   * Default: none.
   */
  check?: (head: CodeBlockHead) => void;
}

/** Options of {@linkcode encodeCodeBlock}. */
export interface EncodeCodeBlockOptions {
  /**
   * Force one predictor. Default: try all three and keep the smallest body, which costs three
   * zlib compressions (about 3x the time of one).
   */
  predictor?: CodePredictor;
}

const FIXED_HEAD = 13; // u32 n + u32 streams + u8 predictor + u32 uncompressed length
/** A residual is below 2^34 in magnitude, so its zigzag form fits 35 bits = 5 varint bytes. */
const MAX_VARINT_BYTES = 5;

/** 2^28: the fifth byte of a varint adds bits 28..34, beyond int32 arithmetic. */
const TWO_POW_28 = 0x10000000;

/**
 * Reads `count` zigzag LEB128 varints from `raw` at `pos` into `out` as signed residuals and
 * returns the position after the last one. One- and two-byte varints (the common case for
 * smooth series) take a branch-light path in int32 arithmetic; longer ones a loop, which turns
 * to float64 arithmetic for the fifth byte.
 */
function readResiduals(raw: Uint8Array, pos: number, out: Float64Array, count: number): number {
  const end = raw.length;
  for (let i = 0; i < count; i++) {
    if (pos >= end) throw chunkError(CHUNK_TYPES.code, null, "varints end early");
    let b = raw[pos++];
    if (b < 0x80) {
      out[i] = (b >>> 1) ^ -(b & 1);
      continue;
    }
    let z = b & 0x7f;
    if (pos < end && raw[pos] < 0x80) {
      z |= raw[pos++] << 7;
      out[i] = (z >>> 1) ^ -(z & 1);
      continue;
    }
    for (let shift = 7;; shift += 7) {
      if (shift === 7 * MAX_VARINT_BYTES) {
        throw chunkError(
          CHUNK_TYPES.code,
          null,
          `varint longer than ${MAX_VARINT_BYTES} bytes at ${pos}`,
        );
      }
      if (pos >= end) throw chunkError(CHUNK_TYPES.code, null, "varints end early");
      b = raw[pos++];
      if (shift < 28) z |= (b & 0x7f) << shift;
      else z += (b & 0x7f) * TWO_POW_28;
      if (b < 0x80) break;
    }
    out[i] = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
  return pos;
}

function overflow(x: number, stream: number): never {
  throw chunkError(CHUNK_TYPES.code, null, `value ${x} of stream ${stream} overflows int32`);
}

// The three predictors, each one loop over `residuals` (position-major: `[p][t]`) writing
// `values` snapshot-major (`[t][p]`). The transposition goes through tiles of TILE positions: a
// plain loop over positions writes `n` values a whole row of `values` apart, which for
// thousands of positions touches a new page per value. Predictors read the previous snapshots
// back from `values` (the rows just written, still in cache). `(x | 0) !== x` is the int32 range
// check: every `x` here is an integer below 2^36 in magnitude, exact in float64. Within a stream,
// the first overflow in position-major order is reported, as a value-by-value decoder would.

const TILE = 16;

function unpredict(
  residuals: Float64Array,
  values: Int32Array,
  stride: number,
  n: number,
  predictor: number,
  stream: number,
): void {
  for (let p0 = 0; p0 < stride; p0 += TILE) {
    const p1 = Math.min(stride, p0 + TILE);
    let bad = -1;
    if (predictor === 0) bad = tileNone(residuals, values, stride, n, p0, p1);
    else if (predictor === 1) bad = tileDelta(residuals, values, stride, n, p0, p1);
    else bad = tileLinear(residuals, values, stride, n, p0, p1);
    if (bad >= 0) reportOverflow(residuals, n, predictor, stream, p0, p1);
  }
}

/** Each tile function returns -1, or a non-negative number when some value overflowed. */
function tileNone(
  residuals: Float64Array,
  values: Int32Array,
  stride: number,
  n: number,
  p0: number,
  p1: number,
): number {
  let bad = -1;
  for (let t = 0, row = 0; t < n; t++, row += stride) {
    for (let p = p0, r = p0 * n + t; p < p1; p++, r += n) {
      const x = residuals[r];
      if ((x | 0) !== x) bad = p;
      values[row + p] = x;
    }
  }
  return bad;
}

function tileDelta(
  residuals: Float64Array,
  values: Int32Array,
  stride: number,
  n: number,
  p0: number,
  p1: number,
  count = n,
): number {
  let bad = -1;
  for (let p = p0, r = p0 * n; p < p1; p++, r += n) {
    const x = residuals[r];
    if ((x | 0) !== x) bad = p;
    values[p] = x;
  }
  for (let t = 1, row = stride; t < count; t++, row += stride) {
    for (let p = p0, r = p0 * n + t; p < p1; p++, r += n) {
      const x = residuals[r] + values[row - stride + p];
      if ((x | 0) !== x) bad = p;
      values[row + p] = x;
    }
  }
  return bad;
}

function tileLinear(
  residuals: Float64Array,
  values: Int32Array,
  stride: number,
  n: number,
  p0: number,
  p1: number,
): number {
  if (n < 3) return tileDelta(residuals, values, stride, n, p0, p1);
  let bad = tileDelta(residuals, values, stride, n, p0, p1, 2);
  for (let t = 2, row = 2 * stride; t < n; t++, row += stride) {
    for (let p = p0, r = p0 * n + t; p < p1; p++, r += n) {
      const x = residuals[r] + 2 * values[row - stride + p] - values[row - 2 * stride + p];
      if ((x | 0) !== x) bad = p;
      values[row + p] = x;
    }
  }
  return bad;
}

/**
 * Slow path of a tile with an overflow: redoes it value by value, position-major, to report the
 * same value as a value-by-value decoder, in float64 from the residuals alone (the fast pass
 * may have predicted from wrapped int32s after the first overflow).
 */
function reportOverflow(
  residuals: Float64Array,
  n: number,
  predictor: number,
  stream: number,
  p0: number,
  p1: number,
): never {
  for (let p = p0; p < p1; p++) {
    let prev = 0, prev2 = 0;
    for (let t = 0; t < n; t++) {
      const r = residuals[p * n + t];
      const x = predictor === 0 || t === 0
        ? r
        : predictor === 1 || t === 1
        ? r + prev
        : r + 2 * prev - prev2;
      if ((x | 0) !== x) overflow(x, stream);
      prev2 = prev;
      prev = x;
    }
  }
  throw new RangeError("Cannot find the overflowing value"); // unreachable
}

/** Residual of value `t` of one position's series under `predictor` (exact in float64). */
function residual(
  values: Int32Array,
  base: number,
  stride: number,
  t: number,
  predictor: CodePredictor,
): number {
  const x = values[base + t * stride];
  if (predictor === 0 || t === 0) return x;
  const prev = values[base + (t - 1) * stride];
  if (predictor === 1 || t === 1) return x - prev;
  return x - (2 * prev - values[base + (t - 2) * stride]);
}

function writeResiduals(block: CodeBlock, vps: number[], predictor: CodePredictor): Uint8Array {
  const out = new ByteWriter();
  const n = block.snapshotCount;
  block.streams.forEach((values, s) => {
    const stride = vps[s];
    // Position-major: each position's time series is contiguous, so a smooth series becomes a
    // run of small residuals that deflate codes in few bits.
    for (let p = 0; p < stride; p++) {
      for (let t = 0; t < n; t++) {
        const r = residual(values, p, stride, t, predictor);
        let z = r >= 0 ? 2 * r : -2 * r - 1;
        out.ensure(MAX_VARINT_BYTES);
        while (z >= 0x80) {
          out.appendUint8((z % 0x80) | 0x80);
          z = Math.floor(z / 0x80);
        }
        out.appendUint8(z);
      }
    }
  });
  return out.toBytes();
}

/**
 * Encodes a `CODE` body.
 *
 * @param block The block's snapshot count and streams.
 * @param options Predictor choice.
 * @returns The chunk body.
 * @throws {TypeError} When a stream's length is not a multiple of `snapshotCount`.
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert";
 * import { decodeCodeBlock, encodeCodeBlock } from "./mod.ts";
 *
 * const block = { snapshotCount: 3, streams: [new Int32Array([1, 2, 2, 3, 3, 4])] };
 * const decoded = decodeCodeBlock(encodeCodeBlock(block));
 * assert.deepStrictEqual(decoded.streams, block.streams);
 * assert.deepStrictEqual(decoded.valuesPerSnapshot, [2]);
 * ```
 */
export function encodeCodeBlock(
  block: CodeBlock,
  options: EncodeCodeBlockOptions = {},
): Uint8Array {
  const { snapshotCount: n, streams } = block;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new TypeError(`Cannot encode code block: snapshots must be a u32, found ${n}`);
  }
  const vps = streams.map((stream, s) => {
    if (!(stream instanceof Int32Array)) {
      throw new TypeError(`Cannot encode code block: stream ${s} must be an Int32Array`);
    }
    if (n === 0 ? stream.length !== 0 : stream.length % n !== 0) {
      throw new TypeError(
        `Cannot encode code block: stream ${s} has ${stream.length} values, not a multiple of ${n} snapshots`,
      );
    }
    return n === 0 ? 0 : stream.length / n;
  });
  const candidates: CodePredictor[] = options.predictor === undefined
    ? [0, 1, 2]
    : [options.predictor];
  let best: { predictor: CodePredictor; raw: number; data: Uint8Array } | null = null;
  for (const predictor of candidates) {
    if (predictor !== 0 && predictor !== 1 && predictor !== 2) {
      throw new TypeError(`Cannot encode code block: unknown predictor ${predictor}`);
    }
    const raw = writeResiduals(block, vps, predictor);
    const data = zlibCompress(raw);
    if (best === null || data.length < best.data.length) {
      best = { predictor, raw: raw.length, data };
    }
  }
  const out = new ByteWriter();
  out.appendUint32(n);
  out.appendUint32(streams.length);
  for (const v of vps) out.appendUint32(v);
  out.appendUint8(best!.predictor);
  out.appendUint32(best!.raw);
  out.appendBytes(best!.data);
  return out.toBytes();
}

/**
 * Decodes a `CODE` body. Every declared count is checked against the bytes present (and against
 * 5 bytes per value) before anything is allocated.
 *
 * @param body The chunk body.
 * @param options `check`: refuses counts before anything is inflated.
 * @returns The block with its layout and predictor.
 * @throws {MrcFormatError} On inconsistent lengths, bad zlib data, or a malformed varint.
 *
 * @example Garbage is an error
 * ```ts
 * import assert from "node:assert";
 * import { decodeCodeBlock, MrcFormatError } from "./mod.ts";
 *
 * assert.throws(() => decodeCodeBlock(new Uint8Array([1, 0, 0, 0, 255, 255, 255, 255])), MrcFormatError);
 * ```
 */
export function decodeCodeBlock(
  body: Uint8Array,
  options: DecodeCodeBlockOptions = {},
): DecodedCodeBlock {
  const type = CHUNK_TYPES.code;
  if (body.length < FIXED_HEAD) {
    throw chunkError(type, null, `body has ${body.length} bytes, expected at least ${FIXED_HEAD}`);
  }
  const view = viewOf(body);
  const n = view.getUint32(0, true);
  const streamCount = view.getUint32(4, true);
  const headLength = FIXED_HEAD + 4 * streamCount;
  if (headLength > body.length) {
    throw chunkError(
      type,
      null,
      `${streamCount} streams need ${headLength} header bytes, body has ${body.length}`,
    );
  }
  const valuesPerSnapshot: number[] = [];
  let total = 0;
  for (let s = 0; s < streamCount; s++) {
    const v = view.getUint32(8 + 4 * s, true);
    valuesPerSnapshot.push(v);
    total += v * n;
  }
  const predictor = body[8 + 4 * streamCount];
  if (predictor > 2) throw chunkError(type, null, `unknown predictor ${predictor} (expected 0..2)`);
  const rawLength = view.getUint32(9 + 4 * streamCount, true);
  if (rawLength < total || rawLength > total * MAX_VARINT_BYTES) {
    throw chunkError(
      type,
      null,
      `uncompressed length ${rawLength} does not fit ${total} values (${total}..${
        total * MAX_VARINT_BYTES
      } bytes)`,
    );
  }
  options.check?.({ snapshotCount: n, valuesPerSnapshot, predictor: predictor as CodePredictor });
  const raw = zlibDecompressExact(body.subarray(headLength), rawLength, type);
  // Every value takes at least one byte of `raw`, so `total <= rawLength` bounds the allocations.
  let longest = 0;
  for (const v of valuesPerSnapshot) longest = Math.max(longest, v * n);
  // Two passes per stream: all varints into `residuals` (in file order, position-major), then
  // the predictor, which also transposes to snapshot-major. Each pass is a tight loop with no
  // per-value branching on the predictor. Float64: residuals of predictors 1 and 2 may exceed
  // int32 (a difference of two int32s).
  const residuals = new Float64Array(longest);
  let pos = 0;
  const streams = valuesPerSnapshot.map((stride, s) => {
    const values = new Int32Array(stride * n);
    if (values.length === 0) return values;
    pos = readResiduals(raw, pos, residuals, values.length);
    unpredict(residuals, values, stride, n, predictor, s);
    return values;
  });
  if (pos !== raw.length) {
    throw chunkError(type, null, `${raw.length - pos} bytes left after ${total} varints`);
  }
  return { snapshotCount: n, streams, valuesPerSnapshot, predictor: predictor as CodePredictor };
}
