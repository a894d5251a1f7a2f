// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * The `MHDR` chunk: the file header, a UTF-8 JSON object (SPEC.md §4.1): its schema, validation
 * and encoding. What the header implies (blocks, streams, crops) is `geometry.ts`.
 *
 * @module
 */

import { CHUNK_TYPES } from "./_constants.ts";
import { decodeJson, encodeJson } from "./_bytes.ts";
import { chunkError } from "./_chunk_error.ts";

/** Header entry of one level, coarse (index 0) to fine. */
export interface MrcLevelHeader {
  /** Level grid `[h, w]`, odd; level k+1 has `2 * grid_k + 1`. */
  grid: [number, number];
  /** Latent grid `[(h - 1) / 2, (w - 1) / 2]`. */
  latent: [number, number];
  /** Channels per widening group, in training order (may be empty). */
  groups: number[];
  /** Uniform quantization steps: `base` (level 0 only, else `null`) and one per group. */
  quant: { base: number | null; groups: number[] };
}

/** The validated `MHDR` header of a version 1.x file (SPEC.md §4.1). */
export interface MrcHeader {
  /** Original array shape `[T, H, W]`. */
  shape: [number, number, number];
  /** Original element type. */
  dtype: "float32" | "float64";
  /** Stored finest grid `[Hg, Wg]`, odd, at least `[H, W]`. */
  grid: [number, number];
  /** The original occupies rows `top .. top+H-1` and columns `left .. left+W-1` of the finest grid. */
  crop: [number, number];
  /** How the original was padded to the finest grid. */
  padMode: "reflect" | "replicate";
  /** `original = stored * scale + offset`. */
  normalization: { offset: number; scale: number };
  /** Snapshots per `CODE` block. */
  blockSize: number;
  /** Levels, coarse to fine; the last one's grid equals `grid`. */
  levels: MrcLevelHeader[];
  /** How integer codes map to values: `value = q * step`. */
  quantization: "uniform-midtread";
  /** Missing values of the original. `count` is the number of missing elements. */
  missing: { mode: "none" | "nan" | "fill"; fillValue: number | null; count: number };
  /**
   * Version 1.1: the shape the data was given in, `shape` or, for a single 2-D field (`T = 1`),
   * `[H, W]`, so that readers can hand it back in the same rank. Absent: `shape`.
   */
  inputShape?: number[];
  /**
   * Version 1.2: how the values are coded. `"model"` (or absent): the MrCAE decoder weights,
   * masks and codes (`DECW`, `MASK`, `CODE`). `"bounded"`: error-bounded codes (`BCOD`, SPEC.md
   * §4.7), every level within `bound.abs` of the original.
   */
  coding?: "model" | "bounded";
  /** Version 1.2, present iff `coding` is `"bounded"`: the bound and how it is coded. */
  bound?: BoundParams;
  /**
   * Version 1.3, optional, bounded coding only: the file is a shard, snapshots
   * `first .. first + shape[0] - 1` of a whole of `total` snapshots (SPEC.md §4.1). It decodes
   * on its own as a file of its own snapshots; `merge` joins shards into the whole.
   */
  shard?: ShardPlace;
}

/** The `MHDR` property `shard` (1.3): where a shard's snapshots sit in the whole. */
export interface ShardPlace {
  /** The whole's index of the shard's first snapshot: a multiple of `blockSize`. */
  first: number;
  /** The whole's snapshot count `T`: `first + shape[0] <= total`. */
  total: number;
}

/** The `MHDR` property `bound` of a bounded file (SPEC.md §4.1, §4.7). */
export interface BoundParams {
  /** Maximum absolute error of every decoded value of every level, in the data's units (> 0). */
  abs: number;
  /** Snapshots between keyframes inside a block: a power of two, 1 = no time prediction. */
  keyInterval: number;
  /**
   * Spatial prediction of the finer levels: a fixed interpolation, or (1.3) `"learned"`, each
   * level's own predictor at the start of its `BCOD` coded bytes (SPEC.md §4.7.5).
   */
  interpolation: "cubic" | "linear" | "learned";
}

/**
 * Whether a header describes a bounded file (SPEC.md §4.7).
 *
 * @param header A valid header.
 * @returns True when `coding` is `"bounded"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { isBounded, type MrcHeader } from "./mod.ts";
 *
 * assert.strictEqual(isBounded({ coding: "bounded" } as MrcHeader), true);
 * assert.strictEqual(isBounded({} as MrcHeader), false);
 * ```
 */
export function isBounded(header: MrcHeader): boolean {
  return header.coding === "bounded";
}

const MAX_DIMENSION = 0x7fffffff;

/**
 * Largest `bound.abs` (SPEC.md §4.1): half the largest binary64, so that the quantization step
 * `2 * eb_l` of §4.7.3 is finite (an infinite step times a code of 0 is NaN).
 */
export const MAX_BOUND: number = Number.MAX_VALUE / 2;

/**
 * Most snapshots per block (SPEC.md §4.1): what every writer has allowed since 1.0, enforced by
 * readers since 1.2 so that a few bytes of header cannot ask for one block of millions of
 * snapshots (a block is decoded whole).
 */
export const MAX_BLOCK_SIZE = 65536;
const MAX_LEVELS = 30;
const MAX_GROUPS = 0xffff;

const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const show = (v: unknown): string => {
  const text = JSON.stringify(v);
  return text === undefined ? String(v) : text.length > 60 ? text.slice(0, 57) + "..." : text;
};

function intPair(v: unknown, min: number): v is [number, number] {
  return Array.isArray(v) && v.length === 2 && isInt(v[0], min, MAX_DIMENSION) &&
    isInt(v[1], min, MAX_DIMENSION);
}

/**
 * Largest finest-grid size an axis of `n` values may have with `levels` levels (SPEC.md §4.1):
 * `max(2^(N+1) - 1, n + 2^N - 1)`. Both reference writers stay within it: model files pad to the
 * next size that halves `N - 1` times with a level 0 of at least 3 (`Hg + 1` a multiple of
 * `2^N`, at least `2^(N+1)`), bounded files take the smallest odd level-0 grid `>= 3` that holds
 * `floor(n / 2^(N-1))` points.
 */
function maxGridSize(n: number, levels: number): number {
  return Math.max(2 ** (levels + 1) - 1, n + 2 ** levels - 1);
}

/** Returns the first problem of a header candidate, or `null` when it is valid. */
function findProblem(h: unknown): string | null {
  if (!isObject(h)) return `must be a JSON object, found ${show(h)}`;
  const {
    shape,
    dtype,
    grid,
    crop,
    padMode,
    normalization,
    blockSize,
    levels,
    quantization,
    missing,
    inputShape,
    coding,
    bound,
    shard,
  } = h;
  if (coding !== undefined && coding !== "model" && coding !== "bounded") {
    return `"coding" must be "model" or "bounded", found ${show(coding)}`;
  }
  const bounded = coding === "bounded";
  if (
    !Array.isArray(shape) || shape.length !== 3 || !shape.every((v) => isInt(v, 1, MAX_DIMENSION))
  ) {
    return `"shape" must be 3 positive integers, found ${show(shape)}`;
  }
  const [t, height, width] = shape as number[];
  if (t * height * width > Number.MAX_SAFE_INTEGER) return `"shape" ${show(shape)} is too large`;
  if (dtype !== "float32" && dtype !== "float64") {
    return `"dtype" must be "float32" or "float64", found ${show(dtype)}`;
  }
  if (!intPair(grid, 1) || grid[0] % 2 === 0 || grid[1] % 2 === 0) {
    return `"grid" must be 2 odd positive integers, found ${show(grid)}`;
  }
  if (grid[0] < height || grid[1] < width) {
    return `"grid" ${show(grid)} is smaller than the original ${height}x${width}`;
  }
  if (!intPair(crop, 0) || crop[0] + height > grid[0] || crop[1] + width > grid[1]) {
    return `"crop" must place ${height}x${width} inside grid ${show(grid)}, found ${show(crop)}`;
  }
  if (padMode !== "reflect" && padMode !== "replicate") {
    return `"padMode" must be "reflect" or "replicate", found ${show(padMode)}`;
  }
  if (
    !isObject(normalization) || !isFiniteNumber(normalization.offset) ||
    !isFiniteNumber(normalization.scale) || normalization.scale === 0
  ) {
    return `"normalization" must be {offset, scale} with finite numbers and scale != 0, found ${
      show(normalization)
    }`;
  }
  if (!isInt(blockSize, 1, MAX_BLOCK_SIZE)) {
    return `"blockSize" must be an integer from 1 to ${MAX_BLOCK_SIZE}, found ${show(blockSize)}`;
  }
  if (!Array.isArray(levels) || levels.length < 1 || levels.length > MAX_LEVELS) {
    return `"levels" must be an array of 1 to ${MAX_LEVELS} levels, found ${show(levels)}`;
  }
  // SPEC.md §4.1: no grid larger than the writers make (padding below 2^N per axis, or the
  // smallest grid with N levels), so that a tiny header cannot ask for huge planes.
  for (const [axis, n] of [[0, height], [1, width]]) {
    const most = maxGridSize(n, levels.length);
    if (grid[axis] > most) {
      return `"grid" ${
        show(grid)
      } is too large for ${height}x${width} with ${levels.length} levels (at most ${most} ${
        axis === 0 ? "rows" : "columns"
      })`;
    }
  }
  // Expected grids, finest to coarsest: grid_(k-1) = (grid_k - 1) / 2, all odd and >= 3.
  const expectedGrids: [number, number][] = [grid];
  for (let k = levels.length - 2; k >= 0; k--) {
    const [h, w] = expectedGrids[0];
    expectedGrids.unshift([(h - 1) / 2, (w - 1) / 2]);
  }
  for (let k = 0; k < levels.length; k++) {
    const level = levels[k];
    const at = `levels[${k}]`;
    if (!isObject(level)) return `"${at}" must be an object, found ${show(level)}`;
    const expected = expectedGrids[k];
    if (!intPair(expected, 3) || expected[0] % 2 === 0 || expected[1] % 2 === 0) {
      return `"grid" ${show(grid)} cannot have ${levels.length} levels (level ${k} would be ${
        show(expected)
      }, needs odd sizes >= 3)`;
    }
    const g = level.grid;
    if (!intPair(g, 3) || g[0] !== expected[0] || g[1] !== expected[1]) {
      return `"${at}.grid" must be ${
        show(expected)
      } (grid_k = 2 * grid_(k-1) + 1, last = "grid"), found ${show(g)}`;
    }
    const latent = level.latent;
    if (
      !Array.isArray(latent) || latent.length !== 2 || latent[0] !== (g[0] - 1) / 2 ||
      latent[1] !== (g[1] - 1) / 2
    ) {
      return `"${at}.latent" must be ${show([(g[0] - 1) / 2, (g[1] - 1) / 2])}, found ${
        show(latent)
      }`;
    }
    const groups = level.groups;
    if (
      !Array.isArray(groups) || groups.length > MAX_GROUPS ||
      !groups.every((m) => isInt(m, 1, MAX_GROUPS))
    ) {
      return `"${at}.groups" must be an array of positive channel counts, found ${show(groups)}`;
    }
    const quant = level.quant;
    if (!isObject(quant)) return `"${at}.quant" must be an object, found ${show(quant)}`;
    const base = quant.base;
    if (bounded) {
      if (
        groups.length !== 0 || base !== null || !Array.isArray(quant.groups) || quant.groups.length
      ) {
        return `"${at}" of a bounded file must have "groups": [] and "quant": {"base": null, "groups": []}, found ${
          show(level)
        }`;
      }
      continue;
    }
    if (k === 0 ? !(isFiniteNumber(base) && base > 0) : base !== null) {
      return `"${at}.quant.base" must be ${k === 0 ? "a positive number" : "null"}, found ${
        show(base)
      }`;
    }
    const steps = quant.groups;
    if (
      !Array.isArray(steps) || steps.length !== groups.length ||
      !steps.every((s) => isFiniteNumber(s) && s > 0)
    ) {
      return `"${at}.quant.groups" must be ${groups.length} positive numbers, found ${show(steps)}`;
    }
  }
  if (quantization !== "uniform-midtread") {
    return `"quantization" must be "uniform-midtread", found ${show(quantization)}`;
  }
  if (!isObject(missing)) return `"missing" must be an object, found ${show(missing)}`;
  const { mode, fillValue, count } = missing;
  if (mode !== "none" && mode !== "nan" && mode !== "fill") {
    return `"missing.mode" must be "none", "nan" or "fill", found ${show(mode)}`;
  }
  if (mode === "fill" ? !isFiniteNumber(fillValue) : fillValue !== null) {
    return `"missing.fillValue" must be ${mode === "fill" ? "a finite number" : "null"} for mode ${
      show(mode)
    }, found ${show(fillValue)}`;
  }
  if (!isInt(count, 0, t * height * width) || (mode === "none" && count !== 0)) {
    return `"missing.count" must be an integer in 0..${
      mode === "none" ? 0 : t * height * width
    }, found ${show(count)}`;
  }
  if (inputShape !== undefined) {
    const same = (a: readonly number[]) =>
      Array.isArray(inputShape) && inputShape.length === a.length &&
      a.every((v, i) => inputShape[i] === v);
    if (!same(shape as number[]) && !(t === 1 && same([height, width]))) {
      return `"inputShape" must be ${show(shape)}${
        t === 1 ? ` or ${show([height, width])}` : ""
      }, found ${show(inputShape)}`;
    }
  }
  if (bounded) {
    if (!isObject(bound)) {
      return `"bound" must be an object in a bounded file, found ${show(bound)}`;
    }
    const { abs, keyInterval, interpolation } = bound;
    if (!(isFiniteNumber(abs) && abs > 0 && abs <= MAX_BOUND)) {
      return `"bound.abs" must be a positive number at most ${MAX_BOUND} (its step 2 x abs finite), found ${
        show(abs)
      }`;
    }
    if (!isInt(keyInterval, 1, 65536) || (keyInterval & (keyInterval - 1)) !== 0) {
      return `"bound.keyInterval" must be a power of two from 1 to 65536, found ${
        show(keyInterval)
      }`;
    }
    if (interpolation !== "cubic" && interpolation !== "linear" && interpolation !== "learned") {
      return `"bound.interpolation" must be "cubic", "linear" or "learned", found ${
        show(interpolation)
      }`;
    }
    if (crop[0] !== 0 || crop[1] !== 0) {
      return `"crop" of a bounded file must be [0, 0], found ${show(crop)}`;
    }
    if (normalization.offset !== 0 || normalization.scale !== 1) {
      return `"normalization" of a bounded file must be {"offset": 0, "scale": 1}, found ${
        show(normalization)
      }`;
    }
    const s0 = 2 ** (levels.length - 1);
    if (height < s0 || width < s0) {
      return `a bounded file of ${height}x${width} cannot have ${levels.length} levels (level 0 would sample every ${s0}th row and column)`;
    }
  } else if (bound !== undefined) {
    return `"bound" is only allowed with "coding": "bounded", found ${show(bound)}`;
  }
  if (shard !== undefined) return shardProblem(shard, t, blockSize, bounded);
  return null;
}

/** The first problem of a `shard` property (SPEC.md §4.1, 1.3), or null. */
function shardProblem(shard: unknown, t: number, blockSize: number, bounded: boolean) {
  if (!bounded) return `"shard" is only allowed with "coding": "bounded", found ${show(shard)}`;
  if (!isObject(shard)) return `"shard" must be an object, found ${show(shard)}`;
  const { first, total } = shard;
  if (!isInt(total, 1, MAX_DIMENSION)) {
    return `"shard.total" must be an integer from 1 to ${MAX_DIMENSION}, found ${show(total)}`;
  }
  if (!isInt(first, 0, total - 1) || first % blockSize !== 0) {
    return `"shard.first" must be a multiple of "blockSize" ${blockSize} in 0..${
      total - 1
    }, found ${show(first)}`;
  }
  if (first + t > total) {
    return `"shard" snapshots ${first}..${first + t - 1} run past the whole's ${total}`;
  }
  if (first + t < total && t % blockSize !== 0) {
    return `"shard" ends before the whole's last snapshot but holds ${t} snapshots, not a multiple of "blockSize" ${blockSize}`;
  }
  return null;
}

/**
 * Checks a parsed header object against the version 1.x schema (SPEC.md §4.1). Unknown extra
 * properties are kept: a newer minor version may add them.
 *
 * @param value The parsed JSON.
 * @returns `value`, typed.
 * @throws {MrcFormatError} On the first violation, with `chunkType` `"MHDR"`.
 *
 * @example Rejecting an even grid
 * ```ts
 * import assert from "node:assert";
 * import { MrcFormatError, validateHeader } from "./mod.ts";
 *
 * assert.throws(() => validateHeader({ shape: [1, 2, 2] }), MrcFormatError);
 * ```
 */
export function validateHeader(value: unknown): MrcHeader {
  const problem = findProblem(value);
  if (problem !== null) throw chunkError(CHUNK_TYPES.header, null, `invalid header (${problem})`);
  return value as MrcHeader;
}

/**
 * Encodes a header as the `MHDR` body: UTF-8 JSON with the known properties in spec order
 * followed by any extra properties.
 *
 * @param header The header.
 * @returns The chunk body.
 * @throws {TypeError} When the header is invalid.
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert";
 * import { decodeHeader, encodeHeader, type MrcHeader } from "./mod.ts";
 *
 * const header: MrcHeader = {
 *   shape: [4, 5, 6], dtype: "float32", grid: [5, 7], crop: [0, 1], padMode: "reflect",
 *   normalization: { offset: 0, scale: 1 }, blockSize: 2,
 *   levels: [{ grid: [5, 7], latent: [2, 3], groups: [2], quant: { base: 0.1, groups: [0.05] } }],
 *   quantization: "uniform-midtread", missing: { mode: "none", fillValue: null, count: 0 },
 * };
 * assert.deepStrictEqual(decodeHeader(encodeHeader(header)), header);
 * ```
 */
export function encodeHeader(header: MrcHeader): Uint8Array {
  const problem = findProblem(header);
  if (problem !== null) throw new TypeError(`Cannot encode header: ${problem}`);
  const {
    shape,
    dtype,
    grid,
    crop,
    padMode,
    normalization,
    blockSize,
    levels,
    quantization,
    missing,
    ...extra
  } = header;
  return encodeJson({
    shape,
    dtype,
    grid,
    crop,
    padMode,
    normalization: { offset: normalization.offset, scale: normalization.scale },
    blockSize,
    levels: levels.map((l) => ({
      grid: l.grid,
      latent: l.latent,
      groups: l.groups,
      quant: { base: l.quant.base, groups: l.quant.groups },
    })),
    quantization,
    missing: { mode: missing.mode, fillValue: missing.fillValue, count: missing.count },
    ...extra,
  });
}

/**
 * Decodes and validates an `MHDR` body.
 *
 * @param body The chunk body (UTF-8 JSON, or deflated JSON where `flags` has bit 0).
 * @param flags The chunk's flags (SPEC.md §3.1). Default: 0.
 * @returns The validated header.
 * @throws {MrcFormatError} On bad UTF-8, bad JSON or a schema violation.
 *
 * @example Bad JSON
 * ```ts
 * import assert from "node:assert";
 * import { decodeHeader, MrcFormatError } from "./mod.ts";
 *
 * assert.throws(() => decodeHeader(new TextEncoder().encode("{")), MrcFormatError);
 * ```
 */
export function decodeHeader(body: Uint8Array, flags = 0): MrcHeader {
  return validateHeader(decodeJson(body, CHUNK_TYPES.header, flags));
}
