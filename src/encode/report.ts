// This module is browser compatible.
/**
 * The report of model coding: what `compress` measured, returned to the caller and stored
 * (compact) in the file's `META` chunk (bounded coding's is in `bounded.ts`). Readers see it through `src/read/report.ts`, its one definition.
 *
 * @module
 */

import { axisCrop } from "../../format/geometry.ts";
import { psnr } from "../metrics.ts";
import type { LevelError, StoredModelReport } from "../read/report.ts";
import type { BackendName, TrainReport } from "../train/types.ts";
import type { LevelTarget, Prepared } from "./prepare.ts";
import type { Steps } from "./rate_control.ts";

/** The tool version written into every file's report. */
export const VERSION = "0.1.0";

/** What model coding's {@linkcode compressTo} returns and (compacted) stores in `META`. */
export interface ModelReport extends Omit<StoredModelReport, "training" | "backend"> {
  /** ISO 8601 time of writing (not stored in reproducible files). */
  created: string;
  /** Seconds spent training (not stored in reproducible files). */
  trainSeconds: number;
  /** Seconds spent encoding and quantizing after training (not stored in reproducible files). */
  encodeSeconds: number;
  /** TensorFlow.js backend that trained the model. */
  backend: BackendName;
  /** The training report (stages, per-level errors of the float model in normalized units). */
  training: TrainReport;
  /** Quantization budget used and steps chosen (per level, per stream). */
  quantization: { budget: number; steps: Steps };
}

/**
 * Errors of every level's decoded output against the level's data over the original extent and
 * valid positions, in original units.
 *
 * @param outputs Every level's decoded output (normalized units, level grids).
 * @param targets Every level's data and validity.
 * @param prepared The prepared data (geometry, normalization, range).
 * @returns One entry per level.
 */
export function levelErrors(
  outputs: Float32Array[],
  targets: LevelTarget[],
  prepared: Prepared,
): LevelError[] {
  const [T, H, W] = prepared.geometry.shape;
  const [top, left] = prepared.geometry.crop;
  const { scale } = prepared.normalization;
  const n = outputs.length;
  return outputs.map((out, k) => {
    const s = 2 ** (n - 1 - k);
    const [r0, nr] = axisCrop(top, H, s), [c0, nc] = axisCrop(left, W, s);
    const { target, valid } = targets[k];
    const plane = out.length / T;
    const lw = (prepared.geometry.grid[1] + 1) / s - 1; // level grid width
    let sum = 0, count = 0, max = 0;
    for (let t = 0; t < T; t++) {
      for (let i = r0; i < r0 + nr; i++) {
        const row = t * plane + i * lw;
        for (let j = c0; j < c0 + nc; j++) {
          if (!valid[row + j]) continue;
          const e = Math.abs(out[row + j] - target[row + j]);
          sum += e * e;
          count++;
          if (e > max) max = e;
        }
      }
    }
    const rmse = Math.sqrt(count > 0 ? sum / count : 0) * scale;
    return {
      level: k,
      grid: [nr, nc],
      rmse,
      psnr: psnr(rmse, prepared.range),
      maxAbsError: max * scale,
    };
  });
}

/**
 * Keys of the stored reports whose numbers are stored exactly: each level's `maxAbsError` and
 * the bound's `abs` it is held to. Rounded to 6 significant digits, a maximum just below the bound
 * could round up above it (and a bound down below the maximum).
 */
const EXACT_KEYS = new Set(["maxAbsError", "abs"]);

/**
 * A number of a report as `META` stores it (a `JSON.stringify` replacer): a fraction rounded to 6
 * significant digits, except the keys of {@linkcode EXACT_KEYS}; anything else as it is.
 *
 * @param key The property's name.
 * @param value Its value.
 * @returns The value to store.
 */
export function storedNumber(key: string, value: unknown): unknown {
  return typeof value === "number" && Number.isFinite(value) && !Number.isInteger(value) &&
      !EXACT_KEYS.has(key)
    ? Number(value.toPrecision(6))
    : value;
}

/**
 * The report as stored in `META`: numbers rounded to 6 significant digits (each level's
 * `maxAbsError` exact, see {@linkcode storedNumber}) and the training split
 * as counts (the seed reproduces the indices), which keeps it near 2 KB. With `reproducible`, the
 * date and every timing (`created`, `trainSeconds`, `encodeSeconds`, training and stage
 * `seconds`) are left out, so that the same input, options, seed and backend give the same bytes.
 */
export function compactReport(
  report: ModelReport,
  options: { reproducible?: boolean } = {},
): StoredModelReport & Record<string, unknown> {
  const { split } = report.training;
  const training = {
    ...report.training,
    split: {
      train: split.train.length,
      validation: split.validation.length,
      test: split.test.length,
    },
  };
  const stored: Record<string, unknown> = { ...report, training };
  const timings = options.reproducible ? ["created", "trainSeconds", "encodeSeconds"] : [];
  for (const key of timings) delete stored[key];
  const text = JSON.stringify(
    stored,
    // The training report and each stage hold their `seconds`.
    (key, v) => options.reproducible && key === "seconds" ? undefined : storedNumber(key, v),
  );
  return JSON.parse(text);
}
