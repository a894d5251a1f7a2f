// This module is browser compatible.
/**
 * The compression report a file may carry in its `META` chunk, read defensively: `META` is
 * free-form (SPEC.md §4.2), so a file from another writer, or with a damaged or foreign report,
 * still opens and decodes; only a report that has the shape below is exposed as one.
 *
 * The writer side (`src/encode/report.ts`) builds this record; this module is its one
 * definition for readers.
 *
 * @module
 */

/** One level's measured error after quantization, in original units over the original extent. */
export interface LevelError {
  /** The level, 0 = coarsest. */
  level: number;
  /** The level's extent, `[rows, cols]` (named `grid` in the JSON of files already written). */
  grid: [number, number];
  /** Root mean squared error against the original, original units. */
  rmse: number;
  /** `psnr()` of `src/metrics.ts` with the original data's range; null when it is constant. */
  psnr: number | null;
  /** Largest absolute error against the original, original units. */
  maxAbsError: number;
}

/** The report `compress` stores in `META` with model coding, as a reader sees it. */
export interface StoredModelReport {
  /** `"mrcae"`. */
  tool: string;
  /** `"model"`, or absent (files written before bounded coding). The coding, under the JSON name of the file format. */
  mode?: "model";
  /** The shape as the caller gave it (files of version 1.1 also store it in the header). */
  inputShape: number[];
  /** Version of the tool that wrote the file. */
  version: string;
  /** ISO 8601 time of writing; absent in reproducible files. */
  created?: string;
  /** TensorFlow.js backend that trained the model. */
  backend: string;
  /** Random seed of training. */
  seed: number;
  /** Seconds spent training; absent in reproducible files. */
  trainSeconds?: number;
  /** Seconds spent encoding and quantizing after training; absent in reproducible files. */
  encodeSeconds?: number;
  /** Per level, after quantization (what a reader gets). */
  levels: LevelError[];
  /** The training report: stages and per-level errors of the float model (normalized units). */
  training: Record<string, unknown>;
  /** Quantization budget and the steps chosen per level and stream. */
  quantization: { budget: number; steps: number[][] };
}

/** A level of a bounded file's report: errors measured at writing, and bytes. */
export interface BoundedLevelError extends LevelError {
  /** Bytes of the level's `BCOD` bodies. */
  bytes: number;
}

/** The report `compress` stores in `META` with bounded coding (the default), as a reader sees it. */
export interface StoredBoundedReport {
  /** `"mrcae"`. */
  tool: string;
  /** `"bounded"`: the coding, under the JSON name of the file format. */
  mode: "bounded";
  /** The shape as the caller gave it. */
  inputShape: number[];
  /** Version of the tool that wrote the file. */
  version: string;
  /** ISO 8601 time of writing; absent in reproducible files. */
  created?: string;
  /** The bound every decoded value of every level meets (also in the header), and how it was asked for. */
  bound: {
    /** The bound, in the data's units. */
    abs: number;
    /** `abs` over the data's range; null for a constant field. */
    rel: number | null;
    /** The option the caller gave, if any (none: the default relative bound). */
    requested: { errorBound?: number; relErrorBound?: number; psnr?: number };
    /** Coding passes of the PSNR search (1 without `psnr`). */
    trials: number;
  };
  /** Snapshots between keyframes. */
  keyInterval: number;
  /** Spatial interpolation. */
  interpolation: string;
  /** Snapshots per block. */
  blockSize: number;
  /** Data range (max - min of the valid values). */
  range: number;
  /** Seconds spent coding (all trials); absent in reproducible files. */
  encodeSeconds?: number;
  /** Per level: errors measured on what the decoder returns, and bytes. */
  levels: BoundedLevelError[];
}

/**
 * The report of a `META` chunk, as a reader sees it: bounded or model coding, told apart by
 * `mode` (the JSON field's name in the file; `"bounded"`, else model).
 */
export type StoredReport = StoredBoundedReport | StoredModelReport;

const isNumber = (v: unknown): v is number => typeof v === "number";
/** Absent (reproducible files leave the date and timings out), or of the type given. */
const optional = (v: unknown, type: "string" | "number") => v === undefined || typeof v === type;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function isLevelError(v: unknown): v is LevelError {
  return isObject(v) && Number.isInteger(v.level) && Array.isArray(v.grid) &&
    v.grid.length === 2 && v.grid.every(Number.isInteger) && isNumber(v.rmse) &&
    (v.psnr === null || isNumber(v.psnr)) && isNumber(v.maxAbsError);
}

/**
 * The compression report of a `META` record, or `null` when the record is not one (absent,
 * written by another tool, or with a field of the wrong type).
 *
 * @param meta The decoded `META` object, or null.
 * @returns The report, or null.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { readReport } from "./report.ts";
 *
 * assert.strictEqual(readReport({ tool: "example" }), null);
 * assert.strictEqual(readReport(null), null);
 * ```
 */
export function readReport(meta: unknown): StoredReport | null {
  if (!isObject(meta) || meta.tool !== "mrcae") return null;
  if (meta.mode === "bounded") {
    const b = meta.bound;
    const ok = Array.isArray(meta.inputShape) && meta.inputShape.every(Number.isInteger) &&
      typeof meta.version === "string" && optional(meta.created, "string") && isObject(b) &&
      isNumber(b.abs) && (b.rel === null || isNumber(b.rel)) && isObject(b.requested) &&
      isNumber(meta.keyInterval) && isNumber(meta.blockSize) && isNumber(meta.range) &&
      optional(meta.encodeSeconds, "number") && Array.isArray(meta.levels) &&
      meta.levels.every((l) => isLevelError(l) && isNumber((l as { bytes?: unknown }).bytes));
    return ok ? meta as unknown as StoredBoundedReport : null;
  }
  const ok = Array.isArray(meta.inputShape) && meta.inputShape.every(Number.isInteger) &&
    typeof meta.version === "string" && optional(meta.created, "string") &&
    typeof meta.backend === "string" && isNumber(meta.seed) &&
    optional(meta.trainSeconds, "number") && optional(meta.encodeSeconds, "number") &&
    Array.isArray(meta.levels) &&
    meta.levels.every(isLevelError) && isObject(meta.training) && isObject(meta.quantization);
  return ok ? meta as unknown as StoredModelReport : null;
}
