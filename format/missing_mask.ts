// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * The `NANM` chunk: positions of missing values over the original `[T, H, W]` array
 * (SPEC.md §4.3).
 *
 * @module
 */

import { CHUNK_TYPES } from "./_constants.ts";
import { packBits, unpackBits, zlibCompress, zlibDecompressExact } from "./_bytes.ts";
import { chunkError } from "./_chunk_error.ts";
import { RangeDecoder, RangeEncoder } from "./_range_coder.ts";

/** A decoded missing-value mask. */
export interface MissingMask {
  /** `true`: `mask` has `H * W` entries shared by every snapshot; `false`: `T * H * W` entries. */
  shared: boolean;
  /** 1 where the original value is missing, 0 elsewhere; row-major. */
  mask: Uint8Array;
}

/**
 * Layout byte values: bit 0 per snapshot (else one `H * W` mask shared by all), bit 1 range-coded
 * (1.7, SPEC.md §4.3.1; else zlib of the bit-packed mask).
 */
const SHARED = 0;
const PER_SNAPSHOT = 1;
const CODED = 2;

/** Pixel models of the range-coded mask: 6 bits of the plane, 4 of the plane before. */
const PIXEL_CONTEXTS = 1024;

/**
 * The range-coded planes of a mask (SPEC.md §4.3.1), both directions: the encoder reads `mask`,
 * `planes` planes of `h * w` bits packed as in layouts 0 and 1; the decoder writes them into
 * `mask` as bytes (0 or 1). Each plane after the first codes per row a flag (the row is the
 * previous plane's row), then the pixels of every row it does not copy, each with a context of its
 * neighbours coded before it (0 outside the plane). The current and the previous plane are worked
 * on with a border of zeros (2 rows above, 1 below, 2 columns left, 1 right), so that no neighbour
 * needs a bounds check: `2 (h + 3) (w + 3)` bytes, which the readers' budget counts.
 */
function codePlanes(
  mask: Uint8Array,
  planes: number,
  h: number,
  w: number,
  enc: RangeEncoder | null,
  dec: RangeDecoder | null,
): void {
  const counts = new Uint16Array(2 * (PIXEL_CONTEXTS + 2));
  const R = PIXEL_CONTEXTS; // the row flags' two models, after the pixels'
  const pw = w + 3, padded = (h + 3) * pw;
  let cur = new Uint8Array(padded), prev = new Uint8Array(padded);
  for (let t = 0; t < planes; t++) {
    if (t > 0) [cur, prev] = [prev, cur];
    const o = t * h * w;
    if (enc) {
      for (let y = 0; y < h; y++) {
        for (let x = 0, g = o + y * w, i = (y + 2) * pw + 2; x < w; x++, g++, i++) {
          cur[i] = (mask[g >>> 3] >>> (g & 7)) & 1;
        }
      }
    }
    let copied = 0;
    for (let y = 0; y < h; y++) {
      const start = (y + 2) * pw + 2, end = start + w;
      if (t > 0) {
        let same: number;
        if (enc) {
          same = 1;
          for (let i = start; i < end; i++) {
            if (cur[i] !== prev[i]) {
              same = 0;
              break;
            }
          }
          enc.encodeBit(counts, R + copied, same);
        } else same = dec!.decodeBit(counts, R + copied);
        copied = same;
        if (same) {
          if (dec) cur.set(prev.subarray(start, end), start);
          continue;
        }
      }
      for (let i = start; i < end; i++) {
        // West, north, north-west, north-east, two west, two north; then the previous plane's
        // same pixel (0: none, 1 + its bit), east and south.
        let ctx = cur[i - 1] | cur[i - pw] << 1 | cur[i - pw - 1] << 2 | cur[i - pw + 1] << 3 |
          cur[i - 2] << 4 | cur[i - 2 * pw] << 5;
        if (t > 0) ctx |= (1 + prev[i]) << 6 | prev[i + 1] << 8 | prev[i + pw] << 9;
        if (enc) enc.encodeBit(counts, ctx, cur[i]);
        else cur[i] = dec!.decodeBit(counts, ctx);
      }
    }
    if (dec) {
      for (let y = 0; y < h; y++) {
        mask.set(cur.subarray((y + 2) * pw + 2, (y + 2) * pw + 2 + w), o + y * w);
      }
    }
  }
}

/** Bytes of a zlib stream of `n` bytes at most: the largest `NANM` body is `1 + zlibBound(n)`. */
const zlibBound = (n: number) => n + Math.ceil(n / 8) + 1024;

function checkShape(shape: readonly number[], what: string): void {
  if (
    !Array.isArray(shape) || shape.length !== 3 ||
    !shape.every((v) => Number.isInteger(v) && v >= 0)
  ) {
    throw new TypeError(`Cannot ${what} missing mask: shape must be [T, H, W], found ${shape}`);
  }
}

/**
 * Encodes a `NANM` body. Picks the shared layout (one `H * W` mask) when every snapshot has the
 * same mask, else the per-snapshot layout; range-coded (layouts 2 and 3, format 1.7) unless
 * `coded` is false or the coded body would be longer than a zlib body may be, else zlib of the
 * bit-packed mask (layouts 0 and 1, every version).
 *
 * @param mask `T * H * W` bytes (or `H * W` bytes for a mask shared by all snapshots), non-zero
 *   where the value is missing.
 * @param shape The original shape `[T, H, W]`.
 * @param coded Whether the range-coded layouts may be used (files of 1.7 and later).
 * @returns The chunk body.
 * @throws {TypeError} When the mask length matches neither `T * H * W` nor `H * W`.
 *
 * @example A static mask is stored once
 * ```ts
 * import assert from "node:assert";
 * import { decodeMissingMask, encodeMissingMask } from "./mod.ts";
 *
 * const mask = new Uint8Array([1, 0, 0, 1, 0, 0]); // T = 2 snapshots of 1 x 3
 * const decoded = decodeMissingMask(encodeMissingMask(mask, [2, 1, 3]), [2, 1, 3]);
 * assert.deepStrictEqual(decoded, { shared: true, mask: new Uint8Array([1, 0, 0]) });
 * ```
 */
export function encodeMissingMask(
  mask: Uint8Array,
  shape: readonly [number, number, number],
  coded = true,
): Uint8Array {
  checkShape(shape, "encode");
  const [t, h, w] = shape;
  const plane = h * w;
  if (!(mask instanceof Uint8Array) || (mask.length !== t * plane && mask.length !== plane)) {
    throw new TypeError(
      `Cannot encode missing mask: expected ${t * plane} or ${plane} bytes, found ${mask?.length}`,
    );
  }
  let shared = mask.length === plane;
  if (!shared) {
    shared = true;
    for (let i = plane; i < mask.length && shared; i++) {
      if (!mask[i] !== !mask[i - plane]) shared = false;
    }
  }
  const bits = shared ? mask.subarray(0, plane) : mask;
  const packed = new Uint8Array(Math.ceil(bits.length / 8));
  packBits(bits, packed, 0);
  return encodePackedMask(packed, shape, shared, coded);
}

/**
 * The `NANM` body of a mask already bit-packed as layouts 0 and 1 hold it (one plane when
 * `shared`, else `T`): {@linkcode encodeMissingMask}'s rule, for a writer that builds the mask
 * block by block and never holds a byte per value.
 *
 * @param packed `ceil(n / 8)` bytes, `n` = `H * W` when shared, else `T * H * W`.
 * @param shape The original shape `[T, H, W]`.
 * @param shared Whether every snapshot has the mask of `packed`'s one plane.
 * @param coded Whether the range-coded layouts may be used (files of 1.7 and later).
 * @returns The chunk body.
 */
export function encodePackedMask(
  packed: Uint8Array,
  shape: readonly [number, number, number],
  shared: boolean,
  coded = true,
): Uint8Array {
  const [t, h, w] = shape;
  if (coded) {
    const enc = new RangeEncoder();
    codePlanes(packed, shared ? 1 : t, h, w, enc, null);
    const stream = enc.finish();
    if (stream.length <= zlibBound(packed.length)) {
      const body = new Uint8Array(1 + stream.length);
      body[0] = CODED | (shared ? SHARED : PER_SNAPSHOT);
      body.set(stream, 1);
      return body;
    }
  }
  const compressed = zlibCompress(packed);
  const body = new Uint8Array(1 + compressed.length);
  body[0] = shared ? SHARED : PER_SNAPSHOT;
  body.set(compressed, 1);
  return body;
}

/**
 * Decodes a `NANM` body.
 *
 * @param body The chunk body.
 * @param shape The original shape `[T, H, W]` (from the header).
 * @returns The mask and its layout.
 * @throws {MrcFormatError} On an unknown layout, bad zlib data or a size mismatch.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { decodeMissingMask, encodeMissingMask } from "./mod.ts";
 *
 * const mask = new Uint8Array([1, 0, 0, 0]); // T = 2 snapshots of 1 x 2, different masks
 * assert.deepStrictEqual(decodeMissingMask(encodeMissingMask(mask, [2, 1, 2]), [2, 1, 2]).mask, mask);
 * ```
 */
export function decodeMissingMask(
  body: Uint8Array,
  shape: readonly [number, number, number],
): MissingMask {
  checkShape(shape, "decode");
  const type = CHUNK_TYPES.missingMask;
  if (body.length < 1) throw chunkError(type, null, "body is empty, expected a layout byte");
  const layout = body[0];
  if (layout > (CODED | PER_SNAPSHOT)) {
    throw chunkError(type, null, `unknown layout ${layout} (expected 0 to 3)`);
  }
  const [t, h, w] = shape;
  const shared = (layout & PER_SNAPSHOT) === 0;
  const count = shared ? h * w : t * h * w;
  if (layout & CODED) {
    const stream = body.subarray(1);
    if (stream.length < 5 || stream[0] !== 0) {
      throw chunkError(
        type,
        null,
        stream.length < 5
          ? `the range-coded mask has ${stream.length} bytes, at least 5 expected`
          : `the range-coded mask's first byte is ${stream[0]}, not 0`,
      );
    }
    const mask = new Uint8Array(count);
    const dec = new RangeDecoder(stream);
    codePlanes(mask, shared ? 1 : t, h, w, null, dec);
    if (dec.position !== stream.length) {
      throw chunkError(
        type,
        null,
        `the range-coded mask ends after ${dec.position} of its ${stream.length} bytes`,
      );
    }
    return { shared, mask };
  }
  const packed = zlibDecompressExact(body.subarray(1), Math.ceil(count / 8), type);
  return { shared, mask: unpackBits(packed, 0, count, type) };
}
