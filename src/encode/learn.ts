// This module is browser compatible.
/**
 * The encoder's choice of each level's predictor (format 1.3): fixed linear or cubic
 * interpolation, and per pass a learned filter, MrCAE's deepening decoder fitted closed-loop on
 * the reconstruction a decoder has (SPEC.md §4.7.5). Not part of the format: any choice decodes.
 *
 * The fit reads a first coding of the block with the fixed interpolation: its reconstruction of
 * level k-1 and of the earlier passes of level k is what the decoder's filter will read (up to
 * the small changes the filter itself makes), so the filter is fitted to reconstructed values,
 * never to the original data, which loses (`../shared/BOUNDED_NOTES.md`).
 *
 * @module
 */

import { levelBound, type PlannedSnapshot } from "../bounded/plan.ts";
import { timeBase } from "../bounded/predict.ts";
import { type BlockParams, MODE_SPACE, MODE_TIME } from "../bounded/block_coder.ts";
import {
  FILTER_SIZES,
  FILTER_TAPS,
  filterWeights,
  fitFilter,
  fixedFilter,
  type LevelPredictor,
  type Samples,
} from "../bounded/learned.ts";
import { ESCAPE } from "../bounded/symbols.ts";

/** At most this many points per (level, pass) are fitted and measured. */
const MAX_SAMPLES = 16384;

/** What the choice reads: the block's parameters and its first coding. */
export interface FirstCoding
  extends Pick<BlockParams, "n" | "H" | "W" | "levels" | "keyInterval" | "bound"> {
  /** The first coding's reconstruction. */
  rec: Float32Array;
  /** `[levels][n]`: the mode of each (level, snapshot) of the first coding. */
  modes: Int8Array;
  schedule: readonly PlannedSnapshot[];
}

/**
 * The zeroth-order entropy, in bits, of the codes `round(e)` of residuals `e` in step units,
 * escapes at 40 bits: the estimate the predictors are compared by.
 */
export function entropyBits(e: Float64Array, count: number): number {
  // Codes within +-HALF in an array, the rare others in a map.
  const hist = new Int32Array(2 * HALF + 1), rare = new Map<number, number>();
  let escapes = 0;
  for (let i = 0; i < count; i++) {
    const v = Math.round(e[i]);
    if (v >= -HALF && v <= HALF) hist[v + HALF]++;
    else if (v < ESCAPE && v > -ESCAPE) rare.set(v, (rare.get(v) ?? 0) + 1);
    else escapes++;
  }
  const coded = count - escapes;
  let bits = 40 * escapes;
  for (const c of hist) if (c > 0) bits -= c * Math.log2(c / coded);
  for (const c of rare.values()) bits -= c * Math.log2(c / coded);
  return bits;
}

/** Half the width of {@linkcode entropyBits}'s histogram array. */
const HALF = 2048;

/** The residuals, in step units, of weights `w` on the samples. */
function residuals(s: Samples, m: number, w: ArrayLike<number>, out: Float64Array): Float64Array {
  for (let n = 0; n < s.count; n++) {
    let a = 0;
    const o = n * m;
    for (let i = 0; i < m; i++) a += w[i] * s.a[o + i];
    out[n] = s.t[n] - a;
  }
  return out;
}

/**
 * The interior points of pass `pass` of level `k` in the block's first coding, as regressors
 * and targets in step units; at most `MAX_SAMPLES`, from as few snapshots as hold them, evenly
 * spread over the block. Missing points
 * and points with a value or a tap that is not finite are left out. Also returns the count of
 * all the pass's points (the samples' share of the level's cost).
 */
function collect(
  c: FirstCoding,
  x: ArrayLike<number>,
  missing: Uint8Array | null,
  k: number,
  pass: number,
): { samples: Samples; points: number } {
  const { n, H, W, levels, rec } = c;
  const s = 2 ** (levels - 1 - k), s2 = 2 * s, plane = H * W;
  const taps = FILTER_TAPS[pass - 1], m = taps.length;
  const ry = Math.max(...taps.map(([dy]) => Math.abs(dy))) * s;
  const rx = Math.max(...taps.map(([, dx]) => Math.abs(dx))) * s;
  const offsets = taps.map(([dy, dx]) => dy * s * W + dx * s);
  const y0 = pass === 1 ? s2 - 1 : s - 1, x0 = pass === 2 ? s2 - 1 : s - 1;
  let interior = 0, points = 0;
  for (let y = y0; y < H; y += s2) {
    const inRow = y - ry >= 0 && y + ry < H;
    for (let xx = x0; xx < W; xx += s2) {
      points++;
      if (inRow && xx - rx >= 0 && xx + rx < W) interior++;
    }
  }
  // The snapshots whose prediction the filter makes (not mode time), as few as give
  // MAX_SAMPLES points, evenly spread over the block's coding order.
  const candidates = c.schedule.filter((f) => c.modes[k * n + f.t] !== MODE_TIME);
  const take = Math.min(candidates.length, Math.ceil(MAX_SAMPLES / Math.max(1, interior)));
  const chosen = Array.from(
    { length: take },
    (_, i) => candidates[Math.floor((i * candidates.length) / take)],
  );
  const stride = Math.max(1, Math.ceil((interior * take) / MAX_SAMPLES));
  const cap = Math.ceil((interior * take) / stride);
  const a = new Float64Array(cap * m), t = new Float64Array(cap);
  let count = 0, seen = 0;
  const bs = new Float64Array(plane);
  for (const f of chosen) {
    // The domain the filter works in: rec in mode space, rec - bs in mode time+space.
    if (c.modes[k * n + f.t] === MODE_SPACE) bs.fill(0);
    else timeBase(rec, bs, H, W, f, s, false);
    const inv = 1 / (2 * levelBound(c.bound, levels, k, f, c.keyInterval));
    const o0 = f.t * plane;
    for (let y = y0; y < H; y += s2) {
      if (y - ry < 0 || y + ry >= H) continue;
      for (let xx = x0; xx < W; xx += s2) {
        if (xx - rx < 0 || xx + rx >= W) continue;
        if (seen++ % stride !== 0 || count >= cap) continue;
        const g = o0 + y * W + xx;
        if (missing !== null && missing[g]) continue;
        const p = y * W + xx;
        const xv = x[g] - bs[p];
        if (!Number.isFinite(xv)) continue;
        let ok = true;
        for (let i = 0; i < m; i++) {
          const r = rec[g + offsets[i]] - bs[p + offsets[i]];
          if (!Number.isFinite(r)) {
            ok = false;
            break;
          }
          a[count * m + i] = r * inv;
        }
        if (!ok) continue;
        t[count++] = xv * inv;
      }
    }
  }
  return { samples: { a, t, count }, points: points * n };
}

/**
 * Chooses the predictor of every level above 0 from the block's first coding: per level the
 * fixed interpolation (linear or cubic, by their estimated bits) and, per pass, a learned filter
 * where it saves more than its weights' 16 bits each (`"learned"`: wherever a filter can be
 * fitted). The estimates are zeroth-order entropies of the sampled codes, scaled by what the
 * first coding's context coder actually spent on the level (`levelBytes`, its coded bytes per
 * level) against the estimate of its interpolation. Index 0 is level 0's, which has none.
 *
 * @returns The predictors, and the estimated bytes they save on the block.
 */
export function choosePredictors(
  c: FirstCoding,
  x: ArrayLike<number>,
  missing: Uint8Array | null,
  predictor: "auto" | "learned",
  levelBytes: readonly number[],
): { predictors: LevelPredictor[]; saving: number } {
  const out: LevelPredictor[] = [{ cubic: true, filters: [null, null, null] }];
  let saving = 0;
  for (let k = 1; k < c.levels; k++) {
    const passes = [1, 2, 3].map((pass) => collect(c, x, missing, k, pass));
    // Estimated bits of each pass with each fixed interpolation, scaled to all its points.
    const cost = (pass: number, w: ArrayLike<number>) => {
      const { samples, points } = passes[pass - 1];
      if (samples.count === 0) return 0;
      const e = residuals(samples, FILTER_SIZES[pass - 1], w, new Float64Array(samples.count));
      return entropyBits(e, samples.count) * points / samples.count;
    };
    const fixed = (cubic: boolean) => [1, 2, 3].map((p) => cost(p, fixedFilter(p, cubic)));
    const cubicBits = fixed(true), linearBits = fixed(false);
    const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
    // What the context coder spends per estimated bit, from the first (cubic) coding.
    const scale = sum(cubicBits) > 0 ? Math.min(1, 8 * levelBytes[k] / sum(cubicBits)) : 0;
    const cubic = sum(cubicBits) <= sum(linearBits);
    const base = cubic ? cubicBits : linearBits;
    saving += scale * (sum(cubicBits) - sum(base)) / 8;
    const filters = [1, 2, 3].map((pass) => {
      const m = FILTER_SIZES[pass - 1];
      const f = fitFilter(passes[pass - 1].samples, m, fixedFilter(pass, cubic));
      if (f === null) return null;
      const gain = scale * (base[pass - 1] - cost(pass, filterWeights(f))) - 16 * m;
      if (predictor === "learned" || gain > 0) {
        saving += gain / 8;
        return f;
      }
      return null;
    });
    out.push({ cubic, filters });
  }
  return { predictors: out, saving };
}
