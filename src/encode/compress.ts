// This module is browser compatible (model coding loads TensorFlow.js on first use).
/**
 * Compression's entry points: {@linkcode compress} and {@linkcode compressTo} check the shape and
 * the options, then hand over to bounded coding (the default, `bounded.ts`: every decoded value
 * of every level within a bound, no training) or to model coding (`coding: "model"`,
 * `model.ts`: trains MrCAE, TensorFlow.js loaded on first use).
 *
 * Importing this module (through `mod.ts`) neither loads nor downloads TensorFlow.js.
 *
 * @module
 */

import type { ByteSink } from "../../format/writer.ts";
import type {
  BackendName,
  LevelReport,
  ResolvedTrainOptions,
  StageReport,
  TrainOptions,
  TrainProgress,
  TrainReport,
} from "../train/types.ts";
import { type ModelReport, VERSION } from "./report.ts";
import {
  type BoundedCompressOptions,
  type BoundedLevelReport,
  type BoundedReport,
  type CodingProgress,
  compressBoundedTo,
  DEFAULT_KEY_INTERVAL,
  DEFAULT_REL_ERROR_BOUND,
} from "./bounded.ts";
import {
  checkCompressOptions,
  type Coding,
  type CompressOptions,
  type ModelCompressOptions,
  type OtherCodingKeys,
} from "./options.ts";
import { concat } from "../../format/_bytes.ts";
import type { Steps } from "./rate_control.ts";
import { type Predictor, PREDICTORS } from "../bounded/learned.ts";

export type {
  BackendName,
  BoundedCompressOptions,
  BoundedLevelReport,
  BoundedReport,
  ByteSink,
  Coding,
  CodingProgress,
  CompressOptions,
  LevelReport,
  ModelCompressOptions,
  ModelReport,
  OtherCodingKeys,
  Predictor,
  ResolvedTrainOptions,
  StageReport,
  Steps,
  TrainOptions,
  TrainProgress,
  TrainReport,
};
export { checkCompressOptions, DEFAULT_KEY_INTERVAL, DEFAULT_REL_ERROR_BOUND, PREDICTORS, VERSION };

/** The report {@linkcode compressTo} returns: bounded or model coding, told apart by `mode`. */
export type CompressReport = BoundedReport | ModelReport;

/** What {@linkcode compressTo} returns: the report stored in `META` (bounded or model) and the size. */
export type CompressResult =
  | { report: BoundedReport; bytes: number }
  | { report: ModelReport; bytes: number };

/**
 * Compresses into a `.mrc` file written into `sink`: bounded coding by default (every decoded
 * value of every level within a bound), or training and encoding the MrCAE model with
 * `coding: "model"`.
 *
 * @param values `T * H * W` values, snapshot-major (C order).
 * @param shape `[T, H, W]` or `[H, W]` (one snapshot).
 * @param sink Where the file's bytes go, in order: anything with `write(bytes)`, or a
 *   `WritableStream` (closed at the end).
 * @param options Bounded-coding options (the bound), or `coding: "model"` and training options.
 * @returns The report written into the file's metadata and the file size.
 * @throws {TypeError} For an option of the other coding or an unknown option.
 *
 * @example Compress into a sink within an absolute bound and read the file back
 * ```ts
 * import assert from "node:assert";
 * import { compressTo } from "./compress.ts";
 * import { openMrc } from "../read/open.ts";
 *
 * const data = new Float32Array(4 * 9 * 9).map((_, i) => Math.sin(i / 7));
 * const parts: Uint8Array<ArrayBuffer>[] = [];
 * const { report, bytes } = await compressTo(data, [4, 9, 9], { write: (b) => void parts.push(b.slice()) }, {
 *   errorBound: 1e-3,
 * });
 * assert.strictEqual(report.mode, "bounded");
 * const file = await openMrc(new Uint8Array(await new Blob(parts).arrayBuffer()));
 * assert.strictEqual(file.totalBytes, bytes);
 * const finest = await file.decode();
 * assert.ok(finest.data.every((v, i) => Math.abs(v - data[i]) <= 1e-3));
 * ```
 *
 * @example Model coding: train MrCAE (TensorFlow.js, loaded on this first call)
 * ```ts
 * import assert from "node:assert";
 * import { compressTo } from "./compress.ts";
 *
 * const data = new Float32Array(4 * 9 * 9).map((_, i) => Math.sin(i / 7));
 * const { report } = await compressTo(data, [4, 9, 9], { write: () => {} }, {
 *   coding: "model", levels: 1, steps: 5, backend: "cpu",
 * });
 * assert.strictEqual(report.levels.length, 1);
 * ```
 */
export async function compressTo(
  values: Float32Array | Float64Array,
  shape: readonly number[],
  sink: ByteSink | WritableStream<Uint8Array>,
  options: CompressOptions = {},
): Promise<CompressResult> {
  const dims = checkShape(values, shape);
  const coding = checkCompressOptions(options);
  if (coding === "bounded") {
    return await compressBoundedTo(values, dims, shape, sink, options as BoundedCompressOptions);
  }
  // Model coding (TF.js training, its own checks by decoding) loads only when asked for: bounded
  // coding's start does not pay for its modules.
  const { compressModelTo } = await import("./model.ts");
  return await compressModelTo(values, dims, shape, sink, options as ModelCompressOptions);
}

/**
 * Compresses into an in-memory `.mrc` file: bounded coding by default, model coding with
 * `coding: "model"` (see {@linkcode compressTo}).
 *
 * @param values `T * H * W` values, snapshot-major.
 * @param shape `[T, H, W]` or `[H, W]`.
 * @param options Bounded-coding options (the bound), or `coding: "model"` and training options.
 * @returns The file's bytes.
 * @throws {TypeError} For an option of the other coding or an unknown option.
 *
 * @example Compress one 2-D field within 1e-3 of its range; it decodes back in the rank it was given
 * ```ts
 * import assert from "node:assert";
 * import { compress } from "./compress.ts";
 * import { openMrc } from "../read/open.ts";
 *
 * const field = new Float32Array(15 * 15).map((_, i) => Math.cos(i / 9));
 * const file = await openMrc(await compress(field, [15, 15], { relErrorBound: 1e-3 }));
 * assert.deepStrictEqual(file.inputShape, [15, 15]);
 * assert.deepStrictEqual((await file.decode()).shape, [1, 15, 15]);
 * ```
 *
 * @example Model coding, and an option of the other coding refused
 * ```ts
 * import assert from "node:assert";
 * import { compress, type CompressOptions } from "./compress.ts";
 *
 * const field = new Float32Array(15 * 15).map((_, i) => Math.cos(i / 9));
 * const bytes = await compress(field, [15, 15], { coding: "model", levels: 2, steps: 5, backend: "cpu" });
 * assert.ok(bytes.length > 0);
 * // @ts-expect-error: tol is a model-coding option
 * const wrong: CompressOptions = { tol: [1e-3, 1e-4] };
 * await assert.rejects(compress(field, [15, 15], wrong), TypeError);
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
