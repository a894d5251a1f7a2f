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

/** A decoded missing-value mask. */
export interface MissingMask {
  /** `true`: `mask` has `H * W` entries shared by every snapshot; `false`: `T * H * W` entries. */
  shared: boolean;
  /** 1 where the original value is missing, 0 elsewhere; row-major. */
  mask: Uint8Array;
}

/** Layout byte values. */
const SHARED = 0;
const PER_SNAPSHOT = 1;

function checkShape(shape: readonly number[], what: string): void {
  if (
    !Array.isArray(shape) || shape.length !== 3 ||
    !shape.every((v) => Number.isInteger(v) && v >= 0)
  ) {
    throw new TypeError(`Cannot ${what} missing mask: shape must be [T, H, W], found ${shape}`);
  }
}

/**
 * Encodes a `NANM` body. Picks the shared layout (one `H * W` mask, 0) when every snapshot has
 * the same mask, else the per-snapshot layout (1).
 *
 * @param mask `T * H * W` bytes (or `H * W` bytes for a mask shared by all snapshots), non-zero
 *   where the value is missing.
 * @param shape The original shape `[T, H, W]`.
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
  if (layout !== SHARED && layout !== PER_SNAPSHOT) {
    throw chunkError(type, null, `unknown layout ${layout} (expected 0 or 1)`);
  }
  const [t, h, w] = shape;
  const count = layout === SHARED ? h * w : t * h * w;
  const packed = zlibDecompressExact(body.subarray(1), Math.ceil(count / 8), type);
  return { shared: layout === SHARED, mask: unpackBits(packed, 0, count, type) };
}
