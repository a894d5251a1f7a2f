// This module is browser compatible.
/**
 * Encoding with a trained model: the latent codes of every snapshot, and the
 * choice of quantization steps for them.
 *
 * @module
 */

import { conv3s2, maskPositions } from "../codec/ops.ts";
import type { MrcaeModel } from "../codec/model.ts";
import { decodeLevel, type LevelDecoderParts, streamSizes } from "../codec/level_decoder.ts";

/**
 * Runs the encoder over `T` snapshots on the finest grid and returns the real
 * valued codes of every level, one array per stream (see `streamSizes()`),
 * each snapshot-major.
 */
export function encodeCodes(
  model: MrcaeModel,
  data: Float32Array,
  count: number,
): Float32Array[][] {
  const levels = model.levels;
  const n = levels.length;
  const positions = levels.map((lv) => lv.groups.map((g) => maskPositions(g.mask)));
  const streams: Float32Array[][] = levels.map((lv, k) => {
    const list: Float32Array[] = [];
    if (k === 0) list.push(new Float32Array(count * lv.latent[0] * lv.latent[1]));
    lv.groups.forEach((g, gi) => {
      for (let c = 0; c < g.channels; c++) {
        list.push(new Float32Array(count * positions[k][gi].length));
      }
    });
    return list;
  });
  const [fh, fw] = levels[n - 1].grid;
  const hs = levels.map((lv) => new Float32Array(lv.grid[0] * lv.grid[1]));
  const latent = levels.map((lv) => new Float32Array(lv.latent[0] * lv.latent[1]));
  for (let t = 0; t < count; t++) {
    hs[n - 1].set(data.subarray(t * fh * fw, (t + 1) * fh * fw));
    for (let k = n - 1; k >= 0; k--) {
      const lv = levels[k];
      const [h, w] = lv.grid;
      const [lh, lw] = lv.latent;
      let s = 0;
      if (k > 0) conv3s2(hs[k], h, w, lv.conv.kernel, lv.conv.bias, hs[k - 1]);
      else {
        conv3s2(hs[0], h, w, lv.conv.kernel, lv.conv.bias, latent[0]);
        streams[0][s++].set(latent[0], t * lh * lw);
      }
      lv.groups.forEach((g, gi) => {
        const pos = positions[k][gi];
        for (let c = 0; c < g.channels; c++) {
          conv3s2(hs[k], h, w, g.convKernels.subarray(9 * c, 9 * c + 9), g.convBias[c], latent[k]);
          const dst = streams[k][s++];
          const off = t * pos.length;
          for (let i = 0; i < pos.length; i++) dst[off + i] = latent[k][pos[i]];
        }
      });
    }
  }
  return streams;
}

/** Decoder parts of a model (float codes: steps of 1). */
export function decoderParts(model: MrcaeModel): LevelDecoderParts[] {
  return model.levels.map((lv, k) => ({
    grid: lv.grid,
    latent: lv.latent,
    deconv: lv.deconv,
    groups: lv.groups.map((g) => ({
      channels: g.channels,
      deconvKernels: g.deconvKernels,
      deconvBias: g.deconvBias,
      positions: maskPositions(g.mask),
    })),
    baseStep: k === 0 ? 1 : null,
    groupSteps: lv.groups.map(() => 1),
  }));
}

/**
 * Energy gain of every stream onto every level at or above its own: the sum of
 * squares of the decoded response (biases off) to a unit impulse at one central
 * kept position. `gains[j][s][K - j]` for stream `s` of level `j`, level `K >= j`.
 */
export function streamGains(parts: LevelDecoderParts[]): number[][][] {
  const n = parts.length;
  const zero = parts.map((p) => ({
    ...p,
    deconv: { kernel: p.deconv.kernel, bias: 0 },
    groups: p.groups.map((g) => ({ ...g, deconvBias: 0 })),
    baseStep: p.baseStep === null ? null : 1,
    groupSteps: p.groups.map(() => 1),
  }));
  return parts.map((p, j) => {
    const sizes = streamSizes(p, j);
    return sizes.map((size, s) => {
      const gains: number[] = [];
      if (size === 0) {
        for (let k = j; k < n; k++) gains.push(0);
        return gains;
      }
      const streams = sizes.map((sz) => new Float32Array(sz));
      streams[s][size >> 1] = 1;
      let prev: Float32Array | null = null;
      for (let k = j; k < n; k++) {
        const [h, w] = zero[k].grid;
        const out = new Float32Array(h * w);
        if (k === j) {
          decodeLevel(
            zero[k],
            k,
            k === 0 ? null : new Float32Array(zero[k].latent[0] * zero[k].latent[1]),
            streams,
            0,
            1,
            out,
          );
        } else {
          const empty = streamSizes(zero[k], k).map((sz) => new Float32Array(sz));
          decodeLevel(zero[k], k, prev, empty, 0, 1, out);
        }
        let e = 0;
        for (let i = 0; i < out.length; i++) e += out[i] * out[i];
        gains.push(e);
        prev = out;
      }
      return gains;
    });
  });
}

/** Quantizes `values` with `step` (mid-tread): `round(v / step)`. */
export function quantize(values: Float32Array, step: number): Int32Array {
  const q = new Int32Array(values.length);
  const inv = 1 / step;
  for (let i = 0; i < values.length; i++) q[i] = Math.round(values[i] * inv);
  return q;
}

/** Per-level quantization steps: `[level][stream]`. */
export type Steps = number[][];

/**
 * Chooses a uniform quantization step for every code stream so that quantization adds at most
 * `budget[K]` to the mean squared error of every level `K` (normalized units).
 *
 * Model: rounding adds independent errors of variance `step^2 / 12` to every code, and a code of
 * stream `s` (level `j`) adds `gain(s, K)` of energy to level `K >= j`: coarse codes reach every
 * finer level through the deepening decoders. Within a level every code gets the same noise
 * energy `e_j` (steps `~ 1 / sqrt(gain)`), which minimises the rate for the distortion at high
 * rate; groups share one step (the file stores one per group), using their channels' mean gain.
 * Levels are allotted coarse to fine: level `j` takes, of every level `K >= j`, an equal share of
 * what the coarser levels left of `budget[K]` (`1 / (K - j + 1)`), and its `e_j` is the largest
 * that fits all of them. This is conservative: finer codes are fitted to the quantized coarser
 * output (`src/refine.ts`) and cancel part of the inherited error.
 *
 * @param parts Every level's decoder.
 * @param gains `streamGains(parts)`.
 * @param budget Allowed added MSE per level.
 * @returns Steps per level, per stream.
 */
export function allocateSteps(
  parts: LevelDecoderParts[],
  gains: number[][][],
  budget: number[],
): Steps {
  const n = parts.length;
  const used = budget.map(() => 0);
  const steps: Steps = [];
  for (let j = 0; j < n; j++) {
    const sizes = streamSizes(parts[j], j);
    const own = groupMeanGains(parts[j], j, gains[j].map((g) => g[0]));
    // reach[K - j]: added MSE at level K per unit of e_j.
    const reach: number[] = [];
    for (let K = j; K < n; K++) {
      let r = 0;
      sizes.forEach((size, s) => {
        if (own[s] > 0) r += (size * gains[j][s][K - j]) / own[s];
      });
      reach.push(r / (parts[K].grid[0] * parts[K].grid[1]));
    }
    let e = Infinity;
    for (let K = j; K < n; K++) {
      if (reach[K - j] <= 0) continue;
      const left = Math.max(budget[K] - used[K], budget[K] / 20);
      e = Math.min(e, left / (K - j + 1) / reach[K - j]);
    }
    if (!Number.isFinite(e)) e = budget[j];
    for (let K = j; K < n; K++) used[K] += e * reach[K - j];
    steps.push(own.map((g) => (g > 0 ? Math.sqrt((12 * e) / g) : 1)));
  }
  return steps;
}

/** Per-stream gains with each group's channels replaced by their mean. */
function groupMeanGains(parts: LevelDecoderParts, k: number, gains: number[]): number[] {
  const out = gains.slice();
  let s = k === 0 ? 1 : 0;
  for (const g of parts.groups) {
    let mean = 0;
    for (let c = 0; c < g.channels; c++) mean += out[s + c] / g.channels;
    for (let c = 0; c < g.channels; c++) out[s + c] = mean;
    s += g.channels;
  }
  return out;
}
