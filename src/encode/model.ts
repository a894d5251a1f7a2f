// This module is browser compatible (training loads TensorFlow.js on first use).
/**
 * Model coding (`coding: "model"`), top to bottom: prepare the array, train MrCAE on it, encode
 * every snapshot's codes, choose the quantization (rate control), write the `.mrc` container,
 * and verify it by decoding it. `compress.ts` dispatches here.
 *
 * TensorFlow.js is loaded lazily, through a computed specifier, on the first call: importing this
 * module (through `mod.ts`) neither loads nor downloads it, so readers pay nothing for it.
 *
 * @module
 */

import type { ByteSink } from "../../format/writer.ts";
import { MAX_BLOCK_SIZE } from "../../format/header.ts";
import type { TrainerModule } from "../train/types.ts";
import { defaultTol, resolveOptions } from "../train/options.ts";
import { decoderParts, encodeCodes } from "./encoder.ts";
import { levelTarget, prepareData } from "./prepare.ts";
import { checkFloat32, checkMeasured, measureDecoded } from "./verify.ts";
import { concat } from "../../format/_bytes.ts";
import { float32Rounding } from "../metrics.ts";
import { rateControl } from "./rate_control.ts";
import { compactReport, levelErrors, type ModelReport, VERSION } from "./report.ts";
import { makeHeader, writeContainer } from "./container.ts";
import type { ModelCompressOptions } from "./options.ts";

// A computed specifier: Deno prefetches the literal `import("...")` of a module graph, which would
// download TensorFlow.js (about 85 MB) for every reader of `mod.ts`.
const TRAINER = ["..", "train", "mod.ts"].join("/");

/** Loads the trainer (and TensorFlow.js) on first use. */
async function loadTrainer(): Promise<TrainerModule> {
  return await import(new URL(TRAINER, import.meta.url).href) as TrainerModule;
}

/**
 * Trains MrCAE on the data, encodes and quantizes its codes, and writes the file into `sink`.
 *
 * @param values `T * H * W` values, snapshot-major.
 * @param dims `[T, H, W]`.
 * @param shape The shape as the caller gave it.
 * @param sink Where the bytes go.
 * @param options Model-coding options (checked by `checkCompressOptions()` already).
 * @returns The report and the file size.
 */
export async function compressModelTo(
  values: Float32Array | Float64Array,
  dims: [number, number, number],
  shape: readonly number[],
  sink: ByteSink | WritableStream<Uint8Array>,
  options: ModelCompressOptions,
): Promise<{ report: ModelReport; bytes: number }> {
  const levels = options.levels ?? 3;
  if (!Number.isInteger(levels) || levels < 1 || levels > 8) {
    throw new RangeError(`Cannot compress: levels must be an integer from 1 to 8, found ${levels}`);
  }
  const blockSize = options.blockSize ?? 64;
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > MAX_BLOCK_SIZE) {
    throw new RangeError(
      `Cannot compress: blockSize must be an integer from 1 to ${MAX_BLOCK_SIZE}, found ${blockSize}`,
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
    fillValue: prepared.fillValue,
    inputShape: shape,
  });
  const report: ModelReport = {
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
 * Model coding pads each side to `2^levels * m - 1` (at least `2^(levels+1) - 1`): refuses levels
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
      } for ${H}x${W} with model coding (${levels} levels would pad the grid to at least ${pad}x${pad}), found ${levels}`,
    );
  }
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
