// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * The `DECW` chunk: decoder weights of one level as float32 (SPEC.md §4.4).
 *
 * @module
 */

import { CHUNK_TYPES } from "./_constants.ts";
import { viewOf } from "./_bytes.ts";
import { chunkError } from "./_chunk_error.ts";

/**
 * The decoder half of one level. Structurally a subset of `LevelModel` in `src/model/model.ts`, so a
 * `LevelModel` can be passed to {@linkcode encodeLevelWeights} as is.
 */
export interface LevelWeights {
  /** The level's own 3x3 transposed convolution: 9 row-major weights and a bias. */
  deconv: { kernel: Float32Array; bias: number };
  /** Per widening group: `m * 9` channel-major kernels and one bias. */
  groups: { deconvKernels: Float32Array; deconvBias: number }[];
}

/** Number of float32 values of a level with the given group channel counts. */
function valueCount(groups: readonly number[]): number {
  let n = 10;
  for (const m of groups) n += m * 9 + 1;
  return n;
}

/**
 * Encodes a `DECW` body: float32 LE deconv kernel (9), bias (1), then per group `m * 9` kernels
 * and 1 bias. Biases given as float64 numbers are rounded to float32.
 *
 * @param weights The level's decoder weights.
 * @returns The chunk body.
 * @throws {TypeError} When a kernel has the wrong length.
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert";
 * import { decodeLevelWeights, encodeLevelWeights } from "./mod.ts";
 *
 * const weights = {
 *   deconv: { kernel: new Float32Array(9).fill(0.5), bias: 0.25 },
 *   groups: [{ deconvKernels: new Float32Array(18).fill(-1), deconvBias: 2 }],
 * };
 * assert.deepStrictEqual(decodeLevelWeights(encodeLevelWeights(weights), [2]), weights);
 * ```
 */
export function encodeLevelWeights(weights: LevelWeights): Uint8Array {
  const { deconv, groups } = weights;
  if (deconv?.kernel?.length !== 9) {
    throw new TypeError(
      `Cannot encode level weights: deconv kernel must have 9 values, found ${deconv?.kernel?.length}`,
    );
  }
  const channels = groups.map((g, i) => {
    const n = g.deconvKernels.length;
    if (n === 0 || n % 9 !== 0) {
      throw new TypeError(
        `Cannot encode level weights: group ${i} kernels must be a positive multiple of 9 values, found ${n}`,
      );
    }
    return n / 9;
  });
  const body = new Uint8Array(valueCount(channels) * 4);
  const view = viewOf(body);
  let offset = 0;
  const put = (v: number) => {
    view.setFloat32(offset, v, true);
    offset += 4;
  };
  deconv.kernel.forEach(put);
  put(deconv.bias);
  for (const g of groups) {
    g.deconvKernels.forEach(put);
    put(g.deconvBias);
  }
  return body;
}

/**
 * Decodes a `DECW` body.
 *
 * @param body The chunk body.
 * @param groups Channels per group of this level (`header.levels[k].groups`).
 * @returns The decoder weights.
 * @throws {MrcFormatError} When the body size does not match the group channel counts.
 *
 * @example Size mismatch
 * ```ts
 * import assert from "node:assert";
 * import { decodeLevelWeights, MrcFormatError } from "./mod.ts";
 *
 * assert.throws(() => decodeLevelWeights(new Uint8Array(40), [1]), MrcFormatError);
 * ```
 */
export function decodeLevelWeights(body: Uint8Array, groups: readonly number[]): LevelWeights {
  const expected = valueCount(groups) * 4;
  if (body.length !== expected) {
    throw chunkError(
      CHUNK_TYPES.levelWeights,
      null,
      `body has ${body.length} bytes, expected ${expected} for groups ${JSON.stringify(groups)}`,
    );
  }
  const view = viewOf(body);
  let offset = 0;
  const take = (n: number) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++, offset += 4) out[i] = view.getFloat32(offset, true);
    return out;
  };
  const kernel = take(9);
  const bias = take(1)[0];
  return {
    deconv: { kernel, bias },
    groups: groups.map((m) => {
      const deconvKernels = take(m * 9);
      return { deconvKernels, deconvBias: take(1)[0] };
    }),
  };
}
