// This module is browser compatible.
/**
 * The options of `compress()`: a union discriminated on `coding` (bounded, the default, or
 * model), and its run-time check, so that an option of the other coding, or an unknown one, is
 * refused both by the type checker and when the call runs.
 *
 * @module
 */

import type { MrcAttributes } from "../../format/attributes.ts";
import type { TrainOptions } from "../train/types.ts";
import type { BoundedCompressOptions } from "./bounded.ts";

/**
 * Options of model coding (`coding: "model"`): the training options documented in
 * `src/train/types.ts`, and the encoding options below. Quality is set by the tolerances `tol`;
 * there is no bound.
 */
export interface ModelCompressOptions extends TrainOptions {
  /** `"model"`: the trained MrCAE model alone (decoder weights, masks and codes), no bound. */
  coding: "model";
  /** Snapshots per block: the unit of random access in time. Default 64. */
  blockSize?: number;
  /**
   * How much quantizing the codes may add to each level's mean squared error, as a fraction of
   * the model's own (unquantized) error at that level. Default 0.1 (about 0.4 dB of PSNR); larger
   * values make smaller files. The finest level may also use whatever is left up to half its
   * tolerance `tol` (normalized units, where the data's range is 1), so `tol` sets the finest
   * level's target error.
   */
  quantBudget?: number;
  /**
   * A value that marks missing data, compared in the data's precision (float32 data:
   * `Math.fround(fillValue)`, which the file records). Without one, NaN marks missing data; data
   * with both NaN and the fill value is refused (model coding has no exact values: bounded coding
   * keeps the NaNs). Default: none.
   */
  fillValue?: number;
  /**
   * Conjugate-gradient iterations per snapshot and level that fit the codes to the data by least
   * squares, starting from the trained encoder's codes (see `src/encode/refine.ts`); 0 keeps the
   * encoder's codes. Default 30 (about as long as encoding itself on toy data).
   */
  refine?: number;
  /** Element type to record for the original (decoders return this type). Default: from the input array. */
  dtype?: "float32" | "float64";
  /**
   * Where the data came from (variable, dimensions, coordinates, attributes), stored in an
   * `ATTR` chunk (SPEC.md §4.8); its dimensions must match the input's shape. Default: none.
   */
  attributes?: MrcAttributes;
  /**
   * Leaves the date and the timings (`created`, `trainSeconds`, `encodeSeconds`, training
   * `seconds`) out of the stored report, so that the same input, options, seed and backend give
   * byte-identical files; also makes `timeBudget` default to 0 (training ends on `steps`, not on
   * the clock). The returned report keeps them. Default false.
   */
  reproducible?: boolean;
}

/** The keys of `U` that `T` lacks, each forbidden (`?: never`): an option of the other coding. */
export type OtherCodingKeys<T, U> = { [K in Exclude<keyof U, keyof T>]?: never };

/**
 * Options of {@linkcode compress}: bounded coding (the default, `coding` absent or
 * `"bounded"`) or model coding (`coding: "model"`). An option of the other coding is a type
 * error, and a `TypeError` when the call runs, as is an unknown option.
 */
export type CompressOptions =
  | (BoundedCompressOptions & OtherCodingKeys<BoundedCompressOptions, ModelCompressOptions>)
  | (ModelCompressOptions & OtherCodingKeys<ModelCompressOptions, BoundedCompressOptions>);

/** The coding of a `.mrc` file: the header's `coding` field and the compress option. */
export type Coding = "bounded" | "model";

// Every key of each side, checked complete and exact by the type checker.
const BOUNDED_KEYS: Record<keyof BoundedCompressOptions, true> = {
  coding: true,
  errorBound: true,
  relErrorBound: true,
  psnr: true,
  levels: true,
  blockSize: true,
  keyInterval: true,
  interpolation: true,
  predictor: true,
  fillValue: true,
  dtype: true,
  attributes: true,
  reproducible: true,
  signal: true,
  onCodingProgress: true,
  threads: true,
  formatVersion: true,
};
const MODEL_KEYS: Record<keyof ModelCompressOptions, true> = {
  coding: true,
  levels: true,
  groups: true,
  tol: true,
  omega: true,
  steps: true,
  timeBudget: true,
  batch: true,
  learningRate: true,
  initNoise: true,
  split: true,
  seed: true,
  backend: true,
  signal: true,
  onProgress: true,
  blockSize: true,
  quantBudget: true,
  fillValue: true,
  refine: true,
  dtype: true,
  attributes: true,
  reproducible: true,
};
const KEYS: Record<Coding, Record<string, true>> = { bounded: BOUNDED_KEYS, model: MODEL_KEYS };

/**
 * Checks the options of `compress()` at run time: the coding, and that every key is an option of
 * that coding (a key of the other coding set to `undefined` passes, as the types allow).
 *
 * @param options The options as given.
 * @returns The coding.
 * @throws {TypeError} For an option of the other coding, an unknown option, or `mode` (now
 *   `coding`).
 * @throws {RangeError} For a coding other than `"bounded"` or `"model"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { checkCompressOptions } from "./options.ts";
 *
 * assert.strictEqual(checkCompressOptions({ errorBound: 0.1 }), "bounded");
 * assert.strictEqual(checkCompressOptions({ coding: "model", tol: [1e-3] }), "model");
 * assert.throws(() => checkCompressOptions({ tol: [1e-3] }), /"tol" is a model-coding option/);
 * ```
 */
export function checkCompressOptions(options: unknown): Coding {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError("Cannot compress: options must be an object");
  }
  const given = options as Record<string, unknown>;
  const coding = given.coding ?? "bounded";
  if (coding !== "bounded" && coding !== "model") {
    throw new RangeError(
      `Cannot compress: coding must be "bounded" or "model", found ${JSON.stringify(coding)}`,
    );
  }
  const other: Coding = coding === "bounded" ? "model" : "bounded";
  const takes = () =>
    `${coding} coding takes ${Object.keys(KEYS[coding]).filter((k) => k !== "coding").join(", ")}`;
  for (const key of Object.keys(given)) {
    if (Object.hasOwn(KEYS[coding], key)) continue;
    if (key === "mode") {
      throw new TypeError(
        `Cannot compress: option "mode" is now "coding" ("bounded", the default, or "model")`,
      );
    }
    if (Object.hasOwn(KEYS[other], key)) {
      if (given[key] === undefined) continue;
      throw new TypeError(
        `Cannot compress: option "${key}" is a ${other}-coding option; ${takes()}`,
      );
    }
    throw new TypeError(`Cannot compress: unknown option "${key}"; ${takes()}`);
  }
  return coding;
}
