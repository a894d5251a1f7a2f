// This module is browser compatible.
/**
 * From a level's stored grid in normalized units to what a reader returns: the level cropped to
 * the original extent (SPEC.md §4.1.1), de-normalized, with missing values restored.
 *
 * @module
 */

import type { MrcHeader } from "../../format/header.ts";
import { finestIndex, levelCrop } from "../../format/geometry.ts";
import type { MissingMask } from "../../format/missing_mask.ts";
import { fillHoles } from "./_gather.ts";

/**
 * One decoded level for a range of snapshots, in original units: `data` is a `Float32Array`, or a
 * `Float64Array` from `decode({ dtype: "float64" })`.
 */
export interface DecodedLevel<D extends Float32Array | Float64Array = Float32Array> {
  /** The level, 0 = coarsest. */
  level: number;
  /** `[first, end)` snapshot range. */
  snapshots: [number, number];
  /** `[snapshotCount, rows, cols]`: the original extent sampled at this level's resolution. */
  shape: [number, number, number];
  /**
   * Values, C order. Missing values come back as NaN (the canonical quiet NaN, `0x7FC00000` as
   * binary32), or as the fill value the file records (in a `Float32Array` rounded to binary32,
   * in a `Float64Array` exactly).
   */
  data: D;
  /** The original-grid row that each output row samples (every `2^(N-1-k)`-th row). */
  rows: Int32Array;
  /** The original-grid column that each output column samples. */
  cols: Int32Array;
}

/** Where a level's stored grid meets the original extent. */
export interface LevelExtent {
  /** Stored grid `[gh, gw]`. */
  grid: [number, number];
  /** First stored row and column inside the extent, and how many. */
  r0: number;
  nr: number;
  c0: number;
  nc: number;
  /** Original-grid row (column) that each output row (column) samples. */
  rows: Int32Array;
  cols: Int32Array;
  /** True when the stored grid is exactly the extent (no crop). */
  whole: boolean;
}

/** The extent of `level` in a file with header `h`. */
export function levelExtent(h: MrcHeader, level: number): LevelExtent {
  const s = 2 ** (h.levels.length - 1 - level);
  const [, H, W] = h.shape;
  const [top, left] = h.crop;
  const [gh, gw] = h.levels[level].grid;
  const crop = levelCrop(h, level);
  const [r0, nr, c0, nc] = [crop.top, crop.height, crop.left, crop.width];
  const rows = new Int32Array(nr);
  for (let i = 0; i < nr; i++) rows[i] = clamp(finestIndex(r0 + i, s) - top, H);
  const cols = new Int32Array(nc);
  for (let j = 0; j < nc; j++) cols[j] = clamp(finestIndex(c0 + j, s) - left, W);
  const whole = r0 === 0 && c0 === 0 && nr === gh && nc === gw;
  return { grid: [gh, gw], r0, nr, c0, nc, rows, cols, whole };
}

/**
 * Crops `count` stored planes of `normalized` to the extent and de-normalizes them into `data`
 * (which may be `normalized` itself when the level is whole).
 */
export function denormalize(
  h: MrcHeader,
  e: LevelExtent,
  normalized: Float32Array,
  data: Float32Array,
  count: number,
): void {
  const { offset, scale } = h.normalization;
  if (e.whole) {
    // No crop: one pass over contiguous planes.
    const n = count * e.nr * e.nc;
    for (let i = 0; i < n; i++) data[i] = normalized[i] * scale + offset;
    return;
  }
  const { r0, nr, c0, nc } = e;
  const [gh, gw] = e.grid;
  for (let t = 0; t < count; t++) {
    for (let i = 0; i < nr; i++) {
      const src = t * gh * gw + (r0 + i) * gw + c0;
      const dst = (t * nr + i) * nc;
      for (let j = 0; j < nc; j++) data[dst + j] = normalized[src + j] * scale + offset;
    }
  }
}

/** The missing mask as `T * H * W` (a shared `H * W` mask repeated for every snapshot). */
export function expandMissing(h: MrcHeader, m: MissingMask): Uint8Array {
  if (!m.shared) return m.mask;
  const [T, H, W] = h.shape;
  const out = new Uint8Array(T * H * W);
  for (let t = 0; t < T; t++) out.set(m.mask, t * H * W);
  return out;
}

/** Puts the hole value (NaN or the file's fill value) wherever the original data was missing. */
export function restoreMissing(
  h: MrcHeader,
  e: Pick<LevelExtent, "nr" | "nc" | "rows" | "cols">,
  data: Float32Array | Float64Array,
  start: number,
  count: number,
  missing: Uint8Array,
): void {
  const [, H, W] = h.shape;
  fillHoles(missing, H, W, e.rows, e.cols, start, count, data, missingHole(h));
}

/** What a missing value decodes to: the file's fill value (fill mode), else NaN. */
export function missingHole(h: MrcHeader): number {
  return h.missing.mode === "fill" ? h.missing.fillValue! : NaN;
}

/** Crops the level to the original extent, de-normalizes and restores missing values. */
export function finishLevel(
  h: MrcHeader,
  level: number,
  normalized: Float32Array,
  start: number,
  end: number,
  missing: Uint8Array | null,
): DecodedLevel {
  const e = levelExtent(h, level);
  const count = end - start;
  const data = new Float32Array(count * e.nr * e.nc);
  denormalize(h, e, normalized, data, count);
  if (missing) restoreMissing(h, e, data, start, count, missing);
  return decodedLevel(level, start, end, e, data);
}

/**
 * A decoded level as float64 (`decode({ dtype: "float64" })`): the values widened, and the fill
 * value of a file in fill mode put back exactly where the mask says missing (a `Float32Array`
 * holds it rounded to binary32).
 *
 * @param missing The file's expanded `T * H * W` mask, or null.
 */
export function widenLevel(
  h: MrcHeader,
  d: DecodedLevel,
  missing: Uint8Array | null,
): DecodedLevel<Float64Array> {
  const data = Float64Array.from(d.data);
  if (missing && h.missing.mode === "fill") {
    const [count, nr, nc] = d.shape;
    restoreMissing(h, { nr, nc, rows: d.rows, cols: d.cols }, data, d.snapshots[0], count, missing);
  }
  return { ...d, data };
}

/** The returned record of a decoded level. */
export function decodedLevel(
  level: number,
  start: number,
  end: number,
  e: LevelExtent,
  data: Float32Array,
): DecodedLevel {
  return {
    level,
    snapshots: [start, end],
    shape: [end - start, e.nr, e.nc],
    data,
    rows: e.rows,
    cols: e.cols,
  };
}

function clamp(v: number, n: number): number {
  return v < 0 ? 0 : v >= n ? n - 1 : v;
}
