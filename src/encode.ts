// This module is browser compatible.
/**
 * Encoding with a trained model: the latent codes of every snapshot, and the
 * choice of quantization steps for them.
 *
 * @module
 */

import { conv3s2, maskPositions } from "./ops.ts";
import type { MrcaeModel } from "./model.ts";
import { decodeLevel, type LevelDecoderParts, streamSizes } from "./decode.ts";

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
 * Chooses a uniform quantization step for every code stream of level `k` so that quantization
 * adds about `budget` to the level's mean squared error (normalized units).
 *
 * Model: rounding adds independent errors of variance `step^2 / 12` to every code, and a code of
 * stream `s` adds `gain(s)` of energy to the level. Every code gets the same share of the budget
 * (steps `~ 1 / sqrt(gain)`), which minimises the rate for the distortion at high rate. Groups
 * share one step (the file stores one per group): their channels use the mean gain. Errors
 * passed on to finer levels are not budgeted here: each finer level's codes are fitted to the
 * quantized coarser output (see `src/refine.ts`) and absorb part of them.
 *
 * @param parts The level's decoder.
 * @param k The level.
 * @param gains `streamGains(parts)[k]`.
 * @param budget Allowed added MSE.
 * @returns One step per stream.
 */
export function levelSteps(
  parts: LevelDecoderParts,
  k: number,
  gains: number[][],
  budget: number,
): number[] {
  const [h, w] = parts.grid;
  const sizes = streamSizes(parts, k);
  let codes = 0;
  for (const size of sizes) codes += size;
  // Each code's share of the added MSE: budget * pixels / codes = step^2/12 * gain.
  const share = codes > 0 ? (budget * h * w) / codes : 0;
  const own = gains.map((g) => g[0]);
  let s = k === 0 ? 1 : 0;
  for (const g of parts.groups) {
    let mean = 0;
    for (let c = 0; c < g.channels; c++) mean += own[s + c] / g.channels;
    for (let c = 0; c < g.channels; c++) own[s + c] = mean;
    s += g.channels;
  }
  return own.map((g) => (g > 0 && share > 0 ? Math.sqrt((12 * share) / g) : 1));
}
