// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * The `CODE` chunk: the quantized integer codes of one snapshot block of one level
 * (SPEC.md §4.6).
 *
 * Body: `u32 snapshots, u32 streams, u32 valuesPerSnapshot[streams], u8 predictor,
 * u32 uncompressedLength`, then a zlib stream of zigzag LEB128 varints of the temporal
 * prediction residuals, stream-major, then position-major, then time.
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

/** The codes of one block: `streams[s]` has `snapshots * valuesPerSnapshot[s]` values, `[t][position]`. */
export interface CodeBlock {
  /** Number of snapshots in the block. */
  snapshots: number;
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

/** Options of {@linkcode encodeCodeBlock}. */
export interface EncodeCodeBlockOptions {
  /**
   * Force one predictor. Default: try all three and keep the smallest body, which costs three
   * zlib compressions (about 3x the time of one).
   */
  predictor?: CodePredictor;
}

const FIXED_HEAD = 13; // u32 snapshots + u32 streams + u8 predictor + u32 uncompressed length
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
/** A residual is below 2^34 in magnitude, so its zigzag form fits 35 bits = 5 varint bytes. */
const MAX_VARINT_BYTES = 5;

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
  const n = block.snapshots;
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
 * @throws {TypeError} When a stream's length is not a multiple of `snapshots`.
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert";
 * import { decodeCodeBlock, encodeCodeBlock } from "./mod.ts";
 *
 * const block = { snapshots: 3, streams: [new Int32Array([1, 2, 2, 3, 3, 4])] };
 * const decoded = decodeCodeBlock(encodeCodeBlock(block));
 * assert.deepStrictEqual(decoded.streams, block.streams);
 * assert.deepStrictEqual(decoded.valuesPerSnapshot, [2]);
 * ```
 */
export function encodeCodeBlock(
  block: CodeBlock,
  options: EncodeCodeBlockOptions = {},
): Uint8Array {
  const { snapshots, streams } = block;
  if (!Number.isInteger(snapshots) || snapshots < 0 || snapshots > 0xffffffff) {
    throw new TypeError(`Cannot encode code block: snapshots must be a u32, found ${snapshots}`);
  }
  const vps = streams.map((stream, s) => {
    if (!(stream instanceof Int32Array)) {
      throw new TypeError(`Cannot encode code block: stream ${s} must be an Int32Array`);
    }
    if (snapshots === 0 ? stream.length !== 0 : stream.length % snapshots !== 0) {
      throw new TypeError(
        `Cannot encode code block: stream ${s} has ${stream.length} values, not a multiple of ${snapshots} snapshots`,
      );
    }
    return snapshots === 0 ? 0 : stream.length / snapshots;
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
  out.appendUint32(snapshots);
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
export function decodeCodeBlock(body: Uint8Array): DecodedCodeBlock {
  const type = CHUNK_TYPES.code;
  if (body.length < FIXED_HEAD) {
    throw chunkError(type, null, `body has ${body.length} bytes, expected at least ${FIXED_HEAD}`);
  }
  const view = viewOf(body);
  const snapshots = view.getUint32(0, true);
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
    total += v * snapshots;
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
  const raw = zlibDecompressExact(body.subarray(headLength), rawLength, type);
  // Every value takes at least one byte of `raw`, so `total <= rawLength` bounds the allocation.
  let pos = 0;
  const streams = valuesPerSnapshot.map((stride, s) => {
    const values = new Int32Array(stride * snapshots);
    if (snapshots === 0) return values; // and skip a loop over `stride` positions with no values
    for (let p = 0; p < stride; p++) {
      for (let t = 0; t < snapshots; t++) {
        let z = 0;
        let scale = 1;
        for (let i = 0;; i++) {
          if (i === MAX_VARINT_BYTES) {
            throw chunkError(type, null, `varint longer than ${MAX_VARINT_BYTES} bytes at ${pos}`);
          }
          if (pos >= raw.length) throw chunkError(type, null, "varints end early");
          const byte = raw[pos++];
          z += (byte & 0x7f) * scale;
          if (byte < 0x80) break;
          scale *= 0x80;
        }
        const r = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
        const base = p + t * stride;
        let x: number;
        if (predictor === 0 || t === 0) x = r;
        else if (predictor === 1 || t === 1) x = r + values[base - stride];
        else x = r + 2 * values[base - stride] - values[base - 2 * stride];
        if (x < INT32_MIN || x > INT32_MAX) {
          throw chunkError(type, null, `value ${x} of stream ${s} overflows int32`);
        }
        values[base] = x;
      }
    }
    return values;
  });
  if (pos !== raw.length) {
    throw chunkError(type, null, `${raw.length - pos} bytes left after ${total} varints`);
  }
  return { snapshots, streams, valuesPerSnapshot, predictor: predictor as CodePredictor };
}
