// This module is browser compatible.
/**
 * Model coding's preparation, from a user's array to what the network trains on, and back: the
 * grid, the edge padding, value normalization and missing values; and {@linkcode scanValues},
 * which both codings use (missing values, the range, Inf refused).
 *
 * @module
 */

import { finestIndex } from "../../format/geometry.ts";
import { fillInPrecision, isMissing } from "../metrics.ts";

/** How the original array sits in the stored finest grid. */
export interface Geometry {
  /** Original `[T, H, W]`. */
  shape: [number, number, number];
  /** Finest stored grid `[Hg, Wg]`, odd, with `Hg + 1 = 2^(N-1) * (n0 + 1)`. */
  grid: [number, number];
  /** Offset of the original in the grid: `[top, left]`. */
  crop: [number, number];
  padMode: "reflect" | "replicate";
}

/**
 * The smallest valid finest size `>= n` for `levels` levels: `n_f + 1` must be a
 * multiple of `2^levels` (then `n_0 = (n_f + 1) / 2^(levels-1) - 1` is odd) and
 * `n_0 >= 3`.
 */
export function validSize(n: number, levels: number): number {
  const m = 2 ** levels;
  return Math.max(2 * m - 1, Math.ceil((n + 1) / m) * m - 1);
}

/** Chooses the grid and centres the original in it. */
export function chooseGeometry(shape: [number, number, number], levels: number): Geometry {
  const [, h, w] = shape;
  const hg = validSize(h, levels), wg = validSize(w, levels);
  const top = (hg - h) >> 1, left = (wg - w) >> 1;
  const padMode = h >= 2 && w >= 2 ? "reflect" : "replicate";
  return { shape, grid: [hg, wg], crop: [top, left], padMode };
}

/** Index into an axis of length `n` for a padded coordinate `p` (may be outside `[0, n)`). */
function sourceIndex(p: number, n: number, mode: "reflect" | "replicate"): number {
  if (p >= 0 && p < n) return p;
  if (mode === "replicate" || n === 1) return p < 0 ? 0 : n - 1;
  // Reflect without repeating the edge (numpy "reflect"), periodic with period 2(n-1).
  const period = 2 * (n - 1);
  let q = ((p % period) + period) % period;
  if (q >= n) q = period - q;
  return q;
}

/** Row/column lookup tables from grid coordinates to original coordinates. */
export function padTables(g: Geometry): { rows: Int32Array; cols: Int32Array } {
  const [, h, w] = g.shape;
  const rows = Int32Array.from(
    { length: g.grid[0] },
    (_, i) => sourceIndex(i - g.crop[0], h, g.padMode),
  );
  const cols = Int32Array.from(
    { length: g.grid[1] },
    (_, j) => sourceIndex(j - g.crop[1], w, g.padMode),
  );
  return { rows, cols };
}

/** Value normalization: `original = stored * scale + offset`. */
export interface Normalization {
  offset: number;
  scale: number;
}

/** What `prepareData()` returns. */
export interface Prepared {
  geometry: Geometry;
  normalization: Normalization;
  /** `T * Hg * Wg`, normalized to about [0, 1], all finite. */
  data: Float32Array;
  /** `T * Hg * Wg`, 1 where a real (non-missing, non-padding) value sits. */
  valid: Uint8Array;
  /** `T * H * W` over the original grid, 1 where a value is missing; null when none is. */
  missing: Uint8Array | null;
  /** Number of missing values. */
  missingCount: number;
  /** The fill value in the data's precision, when it marks missing values; else undefined (NaN). */
  fillValue?: number;
  /** Range `max - min` of the finite original values (0 for a constant field). */
  range: number;
}

/** What {@linkcode scanValues} finds. */
export interface ScannedValues {
  /** `T * H * W`, 1 where a value is missing ({@linkcode isMissing}: the fill value, else NaN). */
  missing: Uint8Array;
  missingCount: number;
  /** NaNs that are values, not missing (a fill value was given): bounded coding keeps them exactly. */
  nanCount: number;
  /** The fill value in the data's precision (`fillInPrecision()`), the one a file records. */
  fillValue?: number;
  /** Smallest and largest valid value (NaNs left out). */
  min: number;
  max: number;
}

/**
 * The one rule for input values: the fill value (compared in the data's precision) is missing
 * when one is given, else NaN; with a fill value a NaN is a value (bounded coding stores its bits,
 * model coding refuses it); other non-finite values are refused, and at least one value must be
 * finite and not missing.
 *
 * @throws {RangeError} Naming the first infinite value, or when no value is finite and valid.
 */
export function scanValues(
  values: Float32Array | Float64Array,
  shape: [number, number, number],
  fillValue?: number,
): ScannedValues {
  const [, H, W] = shape;
  const plane = H * W;
  const fill = fillValue === undefined ? undefined : fillInPrecision(fillValue, values);
  const missing = new Uint8Array(values.length);
  let missingCount = 0, nanCount = 0;
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isMissing(v, fill)) {
      missing[i] = 1;
      missingCount++;
    } else if (Number.isNaN(v)) {
      nanCount++;
    } else if (!Number.isFinite(v)) {
      const t = Math.floor(i / plane), r = Math.floor((i % plane) / W), c = i % W;
      throw new RangeError(
        `Cannot compress: value at [${t}, ${r}, ${c}] is ${v} (only finite values or NaN are allowed)`,
      );
    } else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (missingCount === values.length) {
    throw new RangeError("Cannot compress: every value is missing");
  }
  if (missingCount + nanCount === values.length) {
    throw new RangeError("Cannot compress: every value is missing or NaN");
  }
  return { missing, missingCount, nanCount, fillValue: fill, min, max };
}

/**
 * Pads, normalizes and fills a `[T, H, W]` array.
 *
 * Missing values (`fillValue` when given, else NaN) are excluded through `valid`
 * and filled, for the encoder's sake, with the pixel's mean over time, or where
 * a pixel is missing in every snapshot with its nearest filled neighbour's value.
 * Throws a RangeError when the data holds an infinity or no finite value, or both NaN and the
 * fill value (a file records one kind of missing value, and model coding has no exact values).
 */
export function prepareData(
  values: Float32Array | Float64Array,
  shape: [number, number, number],
  levels: number,
  fillValue?: number,
): Prepared {
  const [T, H, W] = shape;
  const plane = H * W;
  const { missing, missingCount, nanCount, min, max, fillValue: fill } = scanValues(
    values,
    shape,
    fillValue,
  );
  if (nanCount > 0) {
    throw new RangeError(
      `Cannot compress with model coding: the data holds both NaN and the fill value ${fill}; a file records one kind of missing value, and only bounded coding keeps a NaN apart from the fill value (as an exact value): use bounded coding, or replace the NaNs`,
    );
  }
  const range = max - min;
  const normalization = { offset: min, scale: range > 0 ? range : 1 };
  const inv = 1 / normalization.scale;

  // Fill values: temporal mean per pixel, then nearest filled pixel.
  const filled = new Float32Array(T * plane);
  if (missingCount > 0) {
    const sum = new Float64Array(plane), cnt = new Uint32Array(plane);
    for (let i = 0; i < values.length; i++) {
      if (!missing[i]) {
        sum[i % plane] += (values[i] - min) * inv;
        cnt[i % plane]++;
      }
    }
    const mean = new Float32Array(plane);
    const has = new Uint8Array(plane);
    const queue = new Int32Array(plane);
    let qEnd = 0;
    for (let p = 0; p < plane; p++) {
      if (cnt[p] > 0) {
        mean[p] = sum[p] / cnt[p];
        has[p] = 1;
        queue[qEnd++] = p;
      }
    }
    // Multi-source breadth-first search: each never-seen pixel takes a nearest seen one's mean.
    for (let q = 0; q < qEnd; q++) {
      const p = queue[q], r = (p / W) | 0, c = p - r * W;
      const next = [
        r > 0 ? p - W : -1,
        r < H - 1 ? p + W : -1,
        c > 0 ? p - 1 : -1,
        c < W - 1 ? p + 1 : -1,
      ];
      for (const n of next) {
        if (n >= 0 && !has[n]) {
          has[n] = 1;
          mean[n] = mean[p];
          queue[qEnd++] = n;
        }
      }
    }
    for (let i = 0; i < values.length; i++) {
      filled[i] = missing[i] ? mean[i % plane] : (values[i] - min) * inv;
    }
  } else {
    for (let i = 0; i < values.length; i++) filled[i] = (values[i] - min) * inv;
  }

  const geometry = chooseGeometry(shape, levels);
  const [hg, wg] = geometry.grid;
  const { rows, cols } = padTables(geometry);
  const data = new Float32Array(T * hg * wg);
  const valid = new Uint8Array(T * hg * wg);
  const [top, left] = geometry.crop;
  for (let t = 0; t < T; t++) {
    const src = t * plane, dst = t * hg * wg;
    for (let i = 0; i < hg; i++) {
      const inside = i >= top && i < top + H;
      const sr = src + rows[i] * W, dr = dst + i * wg;
      for (let j = 0; j < wg; j++) {
        const s = sr + cols[j];
        data[dr + j] = filled[s];
        valid[dr + j] = inside && j >= left && j < left + W && !missing[s] ? 1 : 0;
      }
    }
  }
  return {
    geometry,
    normalization,
    data,
    valid,
    missing: missingCount > 0 ? missing : null,
    missingCount,
    fillValue: missingCount > 0 ? fill : undefined,
    range,
  };
}

/** One level's data: centre samples of the prepared finest grid (SPEC.md §4.1.1). */
export interface LevelTarget {
  /** `T * h * w` normalized values on the level grid. */
  target: Float32Array;
  /** Same layout, 1 where a real (non-missing, non-padding) value sits. */
  valid: Uint8Array;
}

/**
 * Level `k`'s data and validity: the finest-grid samples the level's pixels stand for.
 *
 * @param prepared The prepared data.
 * @param levels Number of levels `N`.
 * @param k The level.
 * @param grid The level's grid `[h, w]`.
 */
export function levelTarget(
  prepared: Prepared,
  levels: number,
  k: number,
  grid: [number, number],
): LevelTarget {
  const [hg, wg] = prepared.geometry.grid;
  const T = prepared.geometry.shape[0];
  const [h, w] = grid;
  const s = 2 ** (levels - 1 - k);
  const target = new Float32Array(T * h * w), valid = new Uint8Array(T * h * w);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < h; i++) {
      const src = t * hg * wg + finestIndex(i, s) * wg;
      const dst = (t * h + i) * w;
      for (let j = 0; j < w; j++) {
        target[dst + j] = prepared.data[src + finestIndex(j, s)];
        valid[dst + j] = prepared.valid[src + finestIndex(j, s)];
      }
    }
  }
  return { target, valid };
}
