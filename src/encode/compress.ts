// This module is browser compatible (training loads TensorFlow.js on first use).
/**
 * Compression, top to bottom: prepare the array, train MrCAE on it, encode every snapshot's
 * codes, choose the quantization (rate control), write the `.mrc` container.
 *
 * TensorFlow.js is loaded lazily, through a computed specifier, on the first call: importing this
 * module (through `mod.ts`) neither loads nor downloads it, so readers pay nothing for it.
 *
 * @module
 */

import type { ByteSink } from "../../format/writer.ts";
import type {
  BackendName,
  LevelReport,
  ResolvedTrainOptions,
  StageReport,
  TrainerModule,
  TrainOptions,
  TrainProgress,
  TrainReport,
} from "../train/types.ts";
import { defaultTol, resolveOptions } from "../train/options.ts";
import { decoderParts, encodeCodes } from "./encoder.ts";
import { levelTarget, prepareData } from "./prepare.ts";
import { checkFloat32, checkMeasured, float32Rounding, measureDecoded } from "./verify.ts";
import { rateControl } from "./rate_control.ts";
import { compactReport, type CompressReport, levelErrors, VERSION } from "./report.ts";
import { makeHeader, writeContainer } from "./container.ts";
import {
  type BoundedLevelReport,
  type BoundedOptions,
  type BoundedReport,
  compressBoundedTo,
  DEFAULT_KEY_INTERVAL,
  DEFAULT_REL_ERROR_BOUND,
} from "./bounded.ts";

import type { Steps } from "./rate_control.ts";

export type {
  BackendName,
  BoundedLevelReport,
  BoundedOptions,
  BoundedReport,
  ByteSink,
  CompressReport,
  LevelReport,
  ResolvedTrainOptions,
  StageReport,
  Steps,
  TrainOptions,
  TrainProgress,
  TrainReport,
};
export { DEFAULT_KEY_INTERVAL, DEFAULT_REL_ERROR_BOUND, VERSION };

// A computed specifier: Deno prefetches the literal `import("...")` of a module graph, which would
// download TensorFlow.js (about 85 MB) for every reader of `mod.ts`.
const TRAINER = ["..", "train", "mod.ts"].join("/");

/** Loads the trainer (and TensorFlow.js) on first use. */
async function loadTrainer(): Promise<TrainerModule> {
  return await import(new URL(TRAINER, import.meta.url).href) as TrainerModule;
}

/**
 * Options of {@linkcode compress}. Bounded mode (the default) uses the bound options; model mode
 * uses the training options documented in `src/train/types.ts`.
 */
export interface CompressOptions extends TrainOptions, Omit<BoundedOptions, "levels" | "signal"> {
  /**
   * `"bounded"` (default): every decoded value of every level within a maximum absolute error of
   * the original (SPEC.md §4.7), no training. `"model"`: the trained MrCAE model alone
   * (decoder weights, masks and codes), quality set by the tolerances `tol`, no bound.
   */
  mode?: "bounded" | "model";
  /**
   * Snapshots per block: the unit of random access in time. Smaller blocks make short snapshot
   * ranges cheaper to read and the file larger. Default: 64 in model mode; in bounded mode a
   * power of two near 4 Mi values per block (at least the key interval).
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
   * squares, starting from the trained encoder's codes (see `src/encode/refine.ts`); 0 keeps the
   * encoder's codes. Default 30 (about as long as encoding itself on toy data).
   */
  refine?: number;
  /** Element type to record for the original (decoders return this type). Default: from the input array. */
  dtype?: "float32" | "float64";
}

/** What {@linkcode compressTo} returns: the report stored in `META` (bounded or model) and the size. */
export type CompressResult =
  | { report: BoundedReport; bytes: number }
  | { report: CompressReport; bytes: number };

/**
 * Compresses into a `.mrc` file written into `sink`: bounded coding by default, or training and
 * encoding the MrCAE model with `mode: "model"`.
 *
 * @param values `T * H * W` values, snapshot-major (C order).
 * @param shape `[T, H, W]` or `[H, W]` (one snapshot).
 * @param sink Where the file's bytes go, in order: anything with `write(bytes)`, or a
 *   `WritableStream` (closed at the end).
 * @param options Bound, coding and (model mode) training options.
 * @returns The report written into the file's metadata and the file size.
 *
 * @example Compress into a sink and read the file back
 * ```ts
 * import assert from "node:assert";
 * import { compressTo } from "./compress.ts";
 * import { openMrc } from "../read/open.ts";
 *
 * const data = new Float32Array(4 * 9 * 9).map((_, i) => Math.sin(i / 7));
 * const parts: Uint8Array<ArrayBuffer>[] = [];
 * const { report, bytes } = await compressTo(data, [4, 9, 9], { write: (b) => void parts.push(b.slice()) }, {
 *   levels: 1, steps: 5, backend: "cpu",
 * });
 * assert.strictEqual(report.levels.length, 1);
 * const file = await openMrc(new Uint8Array(await new Blob(parts).arrayBuffer()));
 * assert.strictEqual(file.totalBytes, bytes);
 * ```
 */
export async function compressTo(
  values: Float32Array | Float64Array,
  shape: readonly number[],
  sink: ByteSink | WritableStream<Uint8Array>,
  options: CompressOptions = {},
): Promise<CompressResult> {
  const dims = checkShape(values, shape);
  const mode = options.mode ?? "bounded";
  if (mode === "bounded") return await compressBoundedTo(values, dims, shape, sink, options);
  if (mode !== "model") {
    throw new RangeError(
      `Cannot compress: mode must be "bounded" or "model", found ${JSON.stringify(mode)}`,
    );
  }
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
  const tol = resolveTolerances(options.tol, levels);
  checkModelLevels(levels, dims);
  const reproducible = options.reproducible ?? false;
  // Training that stops on the clock gives other weights on every run.
  const trainOptions = {
    ...options,
    levels,
    tol,
    timeBudget: options.timeBudget ?? (reproducible ? 0 : undefined),
  };
  // Every training option is checked now, not after TensorFlow.js has loaded.
  resolveOptions(trainOptions);

  // 1. Prepare: pad to a grid the levels halve, normalize, record missing values.
  const prepared = prepareData(values, dims, levels, options.fillValue);
  const [T] = dims;
  const [hg, wg] = prepared.geometry.grid;
  // Decoders return float32: refuse data it cannot hold at the quality asked, before training.
  checkFloat32(values, prepared.missing, prepared.range, tol);

  // 2. Train (TensorFlow.js).
  const { trainMrcae } = await loadTrainer();
  const trainStart = performance.now();
  const { model, report: training } = await trainMrcae(
    { data: prepared.data, shape: [T, hg, wg], valid: prepared.valid },
    trainOptions,
  );
  const trainSeconds = (performance.now() - trainStart) / 1000;
  options.signal?.throwIfAborted();

  // 3. Encode: every snapshot's codes with the trained encoder.
  const encodeStart = performance.now();
  const codes = encodeCodes(model, prepared.data, T);
  const parts = decoderParts(model);
  const targets = parts.map((p, k) => levelTarget(prepared, levels, k, p.grid));

  // 4. Quantize: refine the codes by least squares and choose every stream's step.
  const { steps, quantized, outputs } = rateControl(parts, codes, targets, {
    refine: options.refine ?? 30,
    quantBudget,
    finestTarget: tol[levels - 1] / 2,
    signal: options.signal,
  });
  const encodeSeconds = (performance.now() - encodeStart) / 1000;

  // 5. Write the container.
  const header = makeHeader(model, prepared, steps, {
    blockSize,
    dtype: options.dtype ?? (values instanceof Float64Array ? "float64" : "float32"),
    fillValue: options.fillValue,
    inputShape: shape,
  });
  const report: CompressReport = {
    tool: "mrcae",
    inputShape: [...shape],
    version: VERSION,
    created: new Date().toISOString(),
    backend: training.backend,
    seed: training.seed,
    trainSeconds,
    encodeSeconds,
    levels: levelErrors(outputs, targets, prepared),
    training,
    quantization: { budget: quantBudget, steps },
  };
  // 6. Verify: decode the file with the reader and report what it returns (META does not change
  // the decoded values), refusing a file that misses the encoder's own measurement.
  const write = (to: ByteSink | WritableStream<Uint8Array>) =>
    writeContainer(
      to,
      header,
      compactReport(report, { reproducible }),
      model,
      prepared.missing,
      quantized,
      options.attributes,
    );
  const draft: Uint8Array[] = [];
  await write({ write: (b) => void draft.push(b.slice()) });
  const measured = await measureDecoded(concat(draft), values, prepared.missing, prepared.range);
  const { maxAbs } = float32Rounding(values, prepared.missing);
  checkMeasured(measured, report.levels, maxAbs, prepared.range);
  report.levels = measured;
  return { report, bytes: await write(sink) };
}

/**
 * Trains and encodes into an in-memory `.mrc` file.
 *
 * @param values `T * H * W` values, snapshot-major.
 * @param shape `[T, H, W]` or `[H, W]`.
 * @param options Training and encoding options.
 * @returns The file's bytes.
 *
 * @example Compress one 2-D field; it decodes back in the rank it was given
 * ```ts
 * import assert from "node:assert";
 * import { compress } from "./compress.ts";
 * import { openMrc } from "../read/open.ts";
 *
 * const field = new Float32Array(15 * 15).map((_, i) => Math.cos(i / 9));
 * const file = await openMrc(await compress(field, [15, 15], { levels: 2, steps: 5, backend: "cpu" }));
 * assert.deepStrictEqual(file.inputShape, [15, 15]);
 * assert.deepStrictEqual((await file.decode()).shape, [1, 15, 15]);
 * ```
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
  const out = concat(parts);
  return out.length === bytes ? out : out.subarray(0, bytes);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Model mode pads each side to `2^levels * m - 1` (at least `2^(levels+1) - 1`): refuses levels
 * whose level 0 would not cover one row and one column of the data, where the padding, not the
 * data, would set the grid (`--levels 8` on 31x31 pads to 511x511).
 */
function checkModelLevels(levels: number, [, H, W]: [number, number, number]): void {
  const most = Math.max(1, Math.floor(Math.log2(Math.min(H, W) + 1)));
  if (levels > most) {
    const pad = 2 ** (levels + 1) - 1;
    throw new RangeError(
      `Cannot compress: levels must be an integer from 1 to ${
        Math.min(8, most)
      } for ${H}x${W} in model mode (${levels} levels would pad the grid to at least ${pad}x${pad}), found ${levels}`,
    );
  }
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

/** The tolerances given, checked, or the trainer's defaults. */
function resolveTolerances(tol: number[] | undefined, levels: number): number[] {
  if (tol === undefined) return defaultTol(levels);
  if (tol.length !== levels || !tol.every((v) => Number.isFinite(v) && v > 0)) {
    throw new RangeError(
      `Cannot compress: tol needs ${levels} positive numbers (one per level), found ${
        JSON.stringify(tol)
      }`,
    );
  }
  return tol;
}
