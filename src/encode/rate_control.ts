// This module is browser compatible.
/**
 * Model coding's rate control: how coarsely each code stream is quantized. Pass 1 fits the codes of every level
 * (open loop) and measures the model's own error; the steps' proportions come from a noise model
 * ({@linkcode allocateSteps}); pass 2 refits every finer level to the quantized coarser output
 * (closed loop) and scales each level's steps by the largest factor whose decoded error meets
 * the level's target.
 *
 * @module
 */

import {
  decodeLevel,
  type LevelDecoderParts,
  streamQuant,
  streamSizes,
} from "../model/level_decoder.ts";
import { streamLayout } from "../../format/geometry.ts";
import { LevelOperator, refineCodes } from "./refine.ts";
import type { LevelTarget } from "./prepare.ts";

/** Options of {@linkcode rateControl}. */
export interface RateControlOptions {
  /** CG iterations per snapshot and level of least-squares code refinement (0: encoder codes). */
  refine: number;
  /** Share of each level's own (unquantized) MSE that quantization may add. */
  quantBudget: number;
  /**
   * MSE (normalized units) the finest level may reach, if that allows more than `quantBudget`:
   * half the finest level's tolerance.
   */
  finestTarget: number;
  signal?: AbortSignal;
}

/** What {@linkcode rateControl} chose. */
export interface RateControlResult {
  /** Steps per level, per stream. */
  steps: Steps;
  /** Quantized codes per level, per stream (snapshot-major). */
  quantized: Int32Array[][];
  /** Every level's decoded output from the quantized codes (normalized units, level grids). */
  outputs: Float32Array[];
}

/**
 * Fits, quantizes and verifies the codes of every level, coarse to fine.
 *
 * @param parts Every level's decoder (real-valued codes: steps of 1).
 * @param codes The encoder's codes per level and stream; refined in place.
 * @param targets Every level's data and validity.
 * @param options Refinement, budget, finest target and signal.
 * @returns Steps, quantized codes and decoded outputs.
 */
export function rateControl(
  parts: LevelDecoderParts[],
  codes: Float32Array[][],
  targets: LevelTarget[],
  options: RateControlOptions,
): RateControlResult {
  const { refine: iterations, quantBudget, finestTarget, signal } = options;
  const n = parts.length;
  const T = targets[0].target.length / (parts[0].grid[0] * parts[0].grid[1]);
  // Pass 1, open loop: fit the codes level by level and measure each level's error unquantized.
  const floatMse: number[] = [];
  let prev: Float32Array | null = null;
  for (let k = 0; k < n; k++) {
    signal?.throwIfAborted();
    const { target, valid } = targets[k];
    if (iterations > 0) {
      refineCodes(new LevelOperator(parts[k], k), codes[k], target, valid, prev, iterations);
    }
    const exact = new Float32Array(target.length);
    decodeLevel(parts[k], k, prev, codes[k], 0, T, exact);
    floatMse.push(weightedMse(exact, target, valid));
    prev = exact;
  }
  // Quantization may add quantBudget of each level's error; the finest level may instead fill up
  // to its target if that is more. Coarse levels are a small part of the file, and their noise
  // reaches every finer level, so they keep nearly the model's quality. The floor keeps steps
  // finite where the model is exact.
  const budget = floatMse.map((m, k) =>
    Math.max(quantBudget * m, k === n - 1 ? finestTarget - m : 0, 1e-12)
  );
  const steps = allocateSteps(parts, streamGains(parts), budget);
  // Pass 2, closed loop: each finer level is refitted to the quantized coarser output, then
  // quantized with the allotted steps scaled by the largest factor whose decoded error meets the
  // level's target (the noise model above sets the steps' proportions; measuring sets their
  // scale, which also covers codes far below a step, where the model fails). A level whose
  // coarser output alone meets the target stores no codes at all.
  const quantized: Int32Array[][] = [];
  const outputs: Float32Array[] = [];
  prev = null;
  for (let k = 0; k < n; k++) {
    signal?.throwIfAborted();
    const { target, valid } = targets[k];
    if (iterations > 0 && k > 0) {
      refineCodes(new LevelOperator(parts[k], k), codes[k], target, valid, prev, iterations);
    }
    const goal = floatMse[k] + budget[k];
    const out = new Float32Array(target.length);
    const trial = (factor: number): { q: Int32Array[]; error: number } => {
      const levelSteps = steps[k].map((v) => v * factor);
      const q = codes[k].map((stream, s) => quantize(stream, levelSteps[s]));
      decodeLevel(withStreamSteps(parts[k], k, levelSteps), k, prev, q, 0, T, out);
      return { q, error: weightedMse(out, target, valid) };
    };
    let best: { factor: number; q: Int32Array[] };
    const zero = k > 0 ? codes[k].map((c) => new Int32Array(c.length)) : null;
    if (zero && zeroCodesError(parts[k], k, prev, zero, T, out, targets[k]) <= goal) {
      best = { factor: 1, q: zero };
    } else {
      // Geometric search on the step factor: grow while the target holds, shrink until it does.
      let factor = 1;
      let t = trial(factor);
      if (t.error <= goal) {
        best = { factor, q: t.q };
        for (let i = 0; i < 12; i++) {
          const next = trial(factor * 1.25);
          if (next.error > goal) break;
          factor *= 1.25;
          best = { factor, q: next.q };
        }
      } else {
        for (let i = 0; i < 20 && t.error > goal; i++) t = trial(factor *= 0.8);
        best = { factor, q: t.q };
      }
    }
    steps[k] = steps[k].map((v) => v * best.factor);
    quantized.push(best.q);
    const decoded = new Float32Array(target.length);
    decodeLevel(withStreamSteps(parts[k], k, steps[k]), k, prev, best.q, 0, T, decoded);
    outputs.push(decoded);
    prev = decoded;
  }
  return { steps, quantized, outputs };
}

/** Error of level `k` decoded from all-zero codes (the coarser output and biases alone). */
function zeroCodesError(
  parts: LevelDecoderParts,
  k: number,
  prev: Float32Array | null,
  zero: Int32Array[],
  count: number,
  out: Float32Array,
  { target, valid }: LevelTarget,
): number {
  decodeLevel(parts, k, prev, zero, 0, count, out);
  return weightedMse(out, target, valid);
}

/** `parts` with the per-stream `steps` (a group's channels share its first stream's step). */
function withStreamSteps(p: LevelDecoderParts, k: number, steps: number[]): LevelDecoderParts {
  const quant = streamQuant(steps, p.groups.map((g) => g.channels), k === 0);
  return { ...p, baseStep: quant.base, groupSteps: quant.groups };
}

/** Mean squared difference over positions where `valid` is set (all when null). */
function weightedMse(a: Float32Array, b: Float32Array, valid: Uint8Array | null): number {
  let sum = 0, count = 0;
  for (let i = 0; i < a.length; i++) {
    if (valid && !valid[i]) continue;
    sum += (a[i] - b[i]) ** 2;
    count++;
  }
  return count > 0 ? sum / count : 0;
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
 * output (`refine.ts`) and cancel part of the inherited error.
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
  const layout = streamLayout(parts.groups.map((g) => g.channels), k === 0);
  parts.groups.forEach((g, gi) => {
    const s = layout.groupStart[gi];
    let mean = 0;
    for (let c = 0; c < g.channels; c++) mean += out[s + c] / g.channels;
    for (let c = 0; c < g.channels; c++) out[s + c] = mean;
  });
  return out;
}
