/**
 * Compression: train MrCAE on the data, encode and quantize every snapshot's
 * codes, and write the `.mrc` container.
 *
 * TensorFlow.js is loaded lazily, on the first call, so that importing this
 * module (through `mod.ts`) costs nothing for readers.
 *
 * @module
 */

import type { MrcHeader } from "../../format/header.ts";
import { MrcWriter } from "../../format/writer.ts";
import {
  allocateSteps,
  decoderParts,
  encodeCodes,
  quantize,
  type Steps,
  streamGains,
} from "./encoder.ts";
import { LevelOperator, refineCodes } from "./refine.ts";
import { decodeLevel, type LevelDecoderParts } from "../codec/level_decoder.ts";
import { finestIndex, levelCrop, type Prepared, prepareData } from "./prepare.ts";
import type { MrcaeModel } from "../codec/model.ts";
import type { TrainOptions, TrainProgress, TrainReport } from "../train/types.ts";
import type { BackendName } from "../train/backend.ts";

/** The tool version written into every file's metadata. */
export const VERSION = "0.1.0";

/** Options of {@linkcode compress}. Training options are documented in `src/train/types.ts`. */
export interface CompressOptions extends TrainOptions {
  /**
   * Snapshots per `CODE` block: the unit of random access in time. Smaller blocks make short
   * frame ranges cheaper to read and the file a little larger. Default 64.
   */
  blockSize?: number;
  /**
   * How much quantizing the codes may add to each level's mean squared error, as a fraction of
   * the model's own (unquantized) error at that level. Default 0.1 (about 0.4 dB of PSNR); larger
   * values make smaller files. The finest level may also use whatever is left up to half its
   * tolerance `tol` (normalized units, where the data's range is 1), so `tol` sets the finest
   * level's target error.
   */
  quantBudget?: number;
  /** A value that marks missing data (besides NaN, which always does). Default: none. */
  fillValue?: number;
  /**
   * Conjugate-gradient iterations per snapshot and level that fit the codes to the data by least
   * squares, starting from the trained encoder's codes (see `src/refine.ts`); 0 keeps the
   * encoder's codes. Default 30 (about as long as encoding itself on toy data).
   */
  refine?: number;
  /** Element type to record for the original (decoders return this type). Default: from the input array. */
  dtype?: "float32" | "float64";
}

/** One level's measured error after quantization, in original units over the original extent. */
export interface LevelError {
  level: number;
  /** The level's grid over the original extent, `[rows, cols]`. */
  grid: [number, number];
  rmse: number;
  /** `20 log10(range / rmse)` with the original data's range; null when the data is constant. */
  psnr: number | null;
  maxAbsError: number;
}

/** The metadata record (`META`) that `compress` writes. */
export interface CompressReport {
  tool: string;
  /** The shape as the caller gave it (`[H, W]` for a single 2-D field), so tools can write it back. */
  inputShape: number[];
  version: string;
  created: string;
  backend: BackendName;
  seed: number;
  trainSeconds: number;
  encodeSeconds: number;
  /** Per level, after quantization (what a reader gets). */
  levels: LevelError[];
  /** The training report (stages, per-level errors of the float model in normalized units). */
  training: TrainReport;
  /** Quantization budget used and steps chosen (per level, per stream). */
  quantization: { budget: number; steps: Steps };
}

/** The report as a file stores it (`MrcFile.report`): the training split as counts. */
export type StoredReport = Omit<CompressReport, "training"> & {
  training: Omit<TrainReport, "split"> & {
    split: { train: number; validation: number; test: number };
  };
};

/** A byte sink: anything with `write`, or a `WritableStream`. */
export type ByteSink =
  | { write(bytes: Uint8Array): void | Promise<void> }
  | WritableStream<Uint8Array>;

/**
 * Trains, encodes and writes a `.mrc` file into `sink`.
 *
 * @param values `T * H * W` values, snapshot-major (C order).
 * @param shape `[T, H, W]` or `[H, W]` (one snapshot).
 * @param sink Where the file's bytes go, in order.
 * @param options Training and encoding options.
 * @returns The report written into the file's metadata and the file size.
 */
export async function compressTo(
  values: Float32Array | Float64Array,
  shape: readonly number[],
  sink: ByteSink,
  options: CompressOptions = {},
): Promise<{ report: CompressReport; bytes: number }> {
  const dims = checkShape(values, shape);
  const levels = options.levels ?? 3;
  if (!Number.isInteger(levels) || levels < 1 || levels > 8) {
    throw new RangeError(`Cannot compress: levels must be an integer from 1 to 8, found ${levels}`);
  }
  const blockSize = options.blockSize ?? 64;
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 65536) {
    throw new RangeError(
      `Cannot compress: blockSize must be an integer from 1 to 65536, found ${blockSize}`,
    );
  }
  const quantBudget = options.quantBudget ?? 0.1;
  if (!(quantBudget > 0 && quantBudget <= 10)) {
    throw new RangeError(`Cannot compress: quantBudget must be in (0, 10], found ${quantBudget}`);
  }
  const prepared = prepareData(values, dims, levels, options.fillValue);
  const [T] = dims;
  const [hg, wg] = prepared.geometry.grid;
  const tol = resolveTolerances(options.tol, levels);

  const { trainMrcae } = await import("../train/mod.ts");
  const trainStart = performance.now();
  const { model, report: training } = await trainMrcae(
    { data: prepared.data, shape: [T, hg, wg], valid: prepared.valid },
    { ...options, levels, tol },
  );
  const trainSeconds = (performance.now() - trainStart) / 1000;
  options.signal?.throwIfAborted();

  const encodeStart = performance.now();
  const codes = encodeCodes(model, prepared.data, T);
  const parts = decoderParts(model);
  const iterations = options.refine ?? 30;
  const n = parts.length;
  const targets = parts.map((p, k) => levelTarget(prepared, n, k, p.grid));
  // Pass 1, open loop: fit the codes level by level and measure each level's error unquantized.
  const floatMse: number[] = [];
  let prev: Float32Array | null = null;
  for (let k = 0; k < n; k++) {
    options.signal?.throwIfAborted();
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
  // to half its tolerance if that is more. Coarse levels are a small part of the file, and their
  // noise reaches every finer level, so they keep nearly the model's quality. The floor keeps
  // steps finite where the model is exact.
  const budget = floatMse.map((m, k) =>
    Math.max(quantBudget * m, k === n - 1 ? tol[k] / 2 - m : 0, 1e-12)
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
    options.signal?.throwIfAborted();
    const { target, valid } = targets[k];
    if (iterations > 0 && k > 0) {
      refineCodes(new LevelOperator(parts[k], k), codes[k], target, valid, prev, iterations);
    }
    const goal = floatMse[k] + budget[k];
    const out = new Float32Array(target.length);
    const trial = (scale: number): { q: Int32Array[]; error: number } => {
      const levelSteps = steps[k].map((v) => v * scale);
      const q = codes[k].map((stream, s) => quantize(stream, levelSteps[s]));
      decodeLevel(withLevelSteps(parts[k], k, levelSteps), k, prev, q, 0, T, out);
      return { q, error: weightedMse(out, target, valid) };
    };
    let best: { scale: number; q: Int32Array[] };
    const zero = k > 0 ? codes[k].map((c) => new Int32Array(c.length)) : null;
    if (zero && trialZero(parts[k], k, prev, zero, T, out, target, valid) <= goal) {
      best = { scale: 1, q: zero };
    } else {
      // Geometric search on the scale: grow while the target holds, shrink until it does.
      let scale = 1;
      let t = trial(scale);
      if (t.error <= goal) {
        best = { scale, q: t.q };
        for (let i = 0; i < 12; i++) {
          const next = trial(scale * 1.25);
          if (next.error > goal) break;
          scale *= 1.25;
          best = { scale, q: next.q };
        }
      } else {
        for (let i = 0; i < 20 && t.error > goal; i++) t = trial(scale *= 0.8);
        best = { scale, q: t.q };
      }
    }
    steps[k] = steps[k].map((v) => v * best.scale);
    quantized.push(best.q);
    const decoded = new Float32Array(target.length);
    decodeLevel(withLevelSteps(parts[k], k, steps[k]), k, prev, best.q, 0, T, decoded);
    outputs.push(decoded);
    prev = decoded;
  }
  const errors = levelErrors(outputs, targets, prepared);
  const encodeSeconds = (performance.now() - encodeStart) / 1000;

  const header = makeHeader(model, prepared, steps, blockSize, options, values);
  const report: CompressReport = {
    tool: "mrcae",
    inputShape: [...shape],
    version: VERSION,
    created: new Date().toISOString(),
    backend: training.backend,
    seed: training.seed,
    trainSeconds,
    encodeSeconds,
    levels: errors.map((e) => ({
      level: e.level,
      grid: e.grid,
      rmse: e.rmse,
      psnr: prepared.range > 0
        ? (e.rmse > 0 ? 20 * Math.log10(prepared.range / e.rmse) : Infinity)
        : null,
      maxAbsError: e.maxAbsError,
    })),
    training,
    quantization: { budget: quantBudget, steps },
  };
  const bytes = await writeFile(sink, header, report, model, prepared, quantized, blockSize);
  return { report, bytes };
}

/**
 * Trains and encodes into an in-memory `.mrc` file.
 *
 * @param values `T * H * W` values, snapshot-major.
 * @param shape `[T, H, W]` or `[H, W]`.
 * @param options Training and encoding options.
 * @returns The file's bytes.
 */
export async function compress(
  values: Float32Array | Float64Array,
  shape: readonly number[],
  options: CompressOptions = {},
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const { bytes } = await compressTo(
    values,
    shape,
    { write: (b) => void parts.push(b.slice()) },
    options,
  );
  const out = new Uint8Array(bytes);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function checkShape(
  values: Float32Array | Float64Array,
  shape: readonly number[],
): [number, number, number] {
  if (!(values instanceof Float32Array || values instanceof Float64Array)) {
    throw new TypeError("Cannot compress: values must be a Float32Array or Float64Array");
  }
  if (!Array.isArray(shape) || (shape.length !== 2 && shape.length !== 3)) {
    throw new TypeError(
      `Cannot compress: shape must be [T, H, W] or [H, W], found ${JSON.stringify(shape)}`,
    );
  }
  const dims = (shape.length === 2 ? [1, ...shape] : [...shape]) as [number, number, number];
  if (!dims.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(
      `Cannot compress: shape must hold positive integers, found ${JSON.stringify(shape)}`,
    );
  }
  const n = dims[0] * dims[1] * dims[2];
  if (n !== values.length) {
    throw new RangeError(
      `Cannot compress: shape ${dims.join("x")} needs ${n} values, found ${values.length}`,
    );
  }
  return dims;
}

/** Error of level `k` decoded from all-zero codes (the coarser output and biases alone). */
function trialZero(
  parts: LevelDecoderParts,
  k: number,
  prev: Float32Array | null,
  zero: Int32Array[],
  count: number,
  out: Float32Array,
  target: Float32Array,
  valid: Uint8Array,
): number {
  decodeLevel(parts, k, prev, zero, 0, count, out);
  return weightedMse(out, target, valid);
}

/** The paper's tolerances for 3 levels; otherwise log-spaced from 1e-3 (coarsest) to 1e-4 (finest). */
function resolveTolerances(tol: number[] | undefined, levels: number): number[] {
  if (tol !== undefined) {
    if (tol.length !== levels || !tol.every((v) => Number.isFinite(v) && v > 0)) {
      throw new RangeError(
        `Cannot compress: tol needs ${levels} positive numbers (one per level), found ${
          JSON.stringify(tol)
        }`,
      );
    }
    return tol;
  }
  if (levels === 3) return [1e-3, 5e-4, 1e-4];
  return Array.from(
    { length: levels },
    (_, k) => levels === 1 ? 1e-4 : 1e-3 * 10 ** (-k / (levels - 1)),
  );
}

function withLevelSteps(p: LevelDecoderParts, k: number, steps: number[]): LevelDecoderParts {
  const groupSteps: number[] = [];
  let s = k === 0 ? 1 : 0;
  for (const g of p.groups) {
    groupSteps.push(steps[s]);
    s += g.channels;
  }
  return { ...p, baseStep: k === 0 ? steps[0] : null, groupSteps };
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

/** Level `k`'s data and validity: centre samples of the finest grid, `T * h * w`. */
function levelTarget(
  prepared: Prepared,
  levels: number,
  k: number,
  grid: [number, number],
): { target: Float32Array; valid: Uint8Array } {
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

/**
 * Errors of every level's decoded output against the level's data over the original extent and
 * valid positions, in original units.
 */
function levelErrors(
  outputs: Float32Array[],
  targets: { target: Float32Array; valid: Uint8Array }[],
  prepared: Prepared,
): { level: number; grid: [number, number]; rmse: number; maxAbsError: number }[] {
  const [T, H, W] = prepared.geometry.shape;
  const [top, left] = prepared.geometry.crop;
  const { scale } = prepared.normalization;
  const n = outputs.length;
  return outputs.map((out, k) => {
    const s = 2 ** (n - 1 - k);
    const [r0, nr] = levelCrop(top, H, s), [c0, nc] = levelCrop(left, W, s);
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
    const mse = count > 0 ? sum / count : 0;
    return { level: k, grid: [nr, nc], rmse: Math.sqrt(mse) * scale, maxAbsError: max * scale };
  });
}

function makeHeader(
  model: MrcaeModel,
  prepared: Prepared,
  steps: Steps,
  blockSize: number,
  options: CompressOptions,
  values: Float32Array | Float64Array,
): MrcHeader {
  const g = prepared.geometry;
  const missingMode = prepared.missingCount === 0
    ? "none"
    : options.fillValue !== undefined
    ? "fill"
    : "nan";
  return {
    shape: g.shape,
    dtype: options.dtype ?? (values instanceof Float64Array ? "float64" : "float32"),
    grid: g.grid,
    crop: g.crop,
    padMode: g.padMode,
    normalization: prepared.normalization,
    blockSize,
    levels: model.levels.map((lv, k) => {
      const groupSteps: number[] = [];
      let s = k === 0 ? 1 : 0;
      for (const gr of lv.groups) {
        groupSteps.push(steps[k][s]);
        s += gr.channels;
      }
      return {
        grid: lv.grid,
        latent: lv.latent,
        groups: lv.groups.map((gr) => gr.channels),
        quant: { base: k === 0 ? steps[0][0] : null, groups: groupSteps },
      };
    }),
    quantization: "uniform-midtread",
    missing: {
      mode: missingMode,
      fillValue: missingMode === "fill" ? options.fillValue! : null,
      count: prepared.missingCount,
    },
  };
}

/**
 * The report as stored in `META`: numbers rounded to 6 significant digits and the training split
 * as counts (the seed reproduces the indices), which keeps it near 2 KB.
 */
function compactReport(report: CompressReport): StoredReport & Record<string, unknown> {
  const { split } = report.training;
  const training = {
    ...report.training,
    split: {
      train: split.train.length,
      validation: split.validation.length,
      test: split.test.length,
    },
  };
  const text = JSON.stringify(
    { ...report, training },
    (
      _,
      v,
    ) => (typeof v === "number" && Number.isFinite(v) && !Number.isInteger(v)
      ? Number(v.toPrecision(6))
      : v),
  );
  return JSON.parse(text);
}

async function writeFile(
  sink: ByteSink,
  header: MrcHeader,
  report: CompressReport,
  model: MrcaeModel,
  prepared: Prepared,
  quantized: Int32Array[][],
  blockSize: number,
): Promise<number> {
  const writer = new MrcWriter(sink);
  await writer.writeHeader(header);
  await writer.writeMeta(compactReport(report));
  if (prepared.missing) await writer.writeMissingMask(prepared.missing);
  const T = header.shape[0];
  for (let k = 0; k < model.levels.length; k++) {
    const lv = model.levels[k];
    await writer.writeLevelWeights(k, lv);
    await writer.writeMasks(k, lv.groups.map((g) => g.mask));
    const streams = quantized[k];
    const sizes = streams.map((s) => s.length / T);
    for (let b = 0, first = 0; first < T; b++, first += blockSize) {
      const n = Math.min(blockSize, T - first);
      const block = streams.map((s, i) => s.subarray(first * sizes[i], (first + n) * sizes[i]));
      await writer.writeCodeBlock(k, b, { snapshots: n, streams: block });
    }
  }
  return await writer.finish();
}

export type { TrainProgress };
