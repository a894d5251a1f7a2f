// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * The `MASK` chunk: every group's latent-grid mask of one level (SPEC.md §4.5).
 *
 * @module
 */

import { CHUNK_TYPES } from "./_constants.ts";
import { packBits, unpackBits, zlibCompress, zlibDecompressExact } from "./_bytes.ts";

function checkLatent(latent: readonly number[], what: string): number {
  if (
    !Array.isArray(latent) || latent.length !== 2 ||
    !latent.every((v) => Number.isInteger(v) && v >= 0)
  ) {
    throw new TypeError(`Cannot ${what} masks: latent must be [h, w], found ${latent}`);
  }
  return latent[0] * latent[1];
}

/**
 * Encodes a `MASK` body: each group's mask bit-packed (row-major, least significant bit first,
 * each group starting on a byte boundary), then zlib.
 *
 * @param masks One `h * w` mask per group, non-zero where the group is applied.
 * @param latent The level's latent grid `[h, w]`.
 * @returns The chunk body.
 * @throws {TypeError} When a mask has the wrong length.
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert";
 * import { decodeMasks, encodeMasks } from "./mod.ts";
 *
 * const masks = [new Uint8Array([1, 0, 1, 1, 0, 0]), new Uint8Array(6)];
 * assert.deepStrictEqual(decodeMasks(encodeMasks(masks, [2, 3]), [2, 3], 2), masks);
 * ```
 */
export function encodeMasks(
  masks: readonly Uint8Array[],
  latent: readonly [number, number],
): Uint8Array {
  const size = checkLatent(latent, "encode");
  const stride = Math.ceil(size / 8);
  const packed = new Uint8Array(stride * masks.length);
  masks.forEach((mask, g) => {
    if (!(mask instanceof Uint8Array) || mask.length !== size) {
      throw new TypeError(
        `Cannot encode masks: group ${g} mask must have ${size} bytes, found ${mask?.length}`,
      );
    }
    packBits(mask, packed, g * stride);
  });
  return zlibCompress(packed);
}

/**
 * Decodes a `MASK` body.
 *
 * @param body The chunk body.
 * @param latent The level's latent grid `[h, w]` (from the header).
 * @param groupCount Number of groups of the level (from the header).
 * @returns One 0/1 mask per group.
 * @throws {MrcFormatError} On bad zlib data or a size mismatch.
 *
 * @example A level without groups
 * ```ts
 * import assert from "node:assert";
 * import { decodeMasks, encodeMasks } from "./mod.ts";
 *
 * assert.deepStrictEqual(decodeMasks(encodeMasks([], [3, 3]), [3, 3], 0), []);
 * ```
 */
export function decodeMasks(
  body: Uint8Array,
  latent: readonly [number, number],
  groupCount: number,
): Uint8Array[] {
  const size = checkLatent(latent, "decode");
  if (!Number.isInteger(groupCount) || groupCount < 0) {
    throw new TypeError(`Cannot decode masks: group count must be >= 0, found ${groupCount}`);
  }
  const stride = Math.ceil(size / 8);
  const packed = zlibDecompressExact(body, stride * groupCount, CHUNK_TYPES.masks);
  const masks: Uint8Array[] = [];
  for (let g = 0; g < groupCount; g++) {
    masks.push(unpackBits(packed, g * stride, size, CHUNK_TYPES.masks));
  }
  return masks;
}

/**
 * Number of latent positions a mask keeps (its nonzero elements).
 *
 * @param mask A mask, one element per latent position.
 * @returns The count.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { maskCount } from "./mod.ts";
 *
 * assert.strictEqual(maskCount(new Uint8Array([1, 0, 1, 1])), 3);
 * ```
 */
export function maskCount(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i] ? 1 : 0;
  return n;
}
