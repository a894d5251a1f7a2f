// This module is browser compatible.
/**
 * Bounded compression (SPEC.md §4.7): every level of every snapshot within a maximum absolute
 * error of the original. No training: the predictors are fixed (cubic interpolation in space,
 * Lagrange interpolation in time), the residuals are quantized with bins of twice the bound and
 * range coded with adaptive contexts, block by block and level by level.
 *
 * @module
 */

import { MAX_BLOCK_SIZE, MAX_BOUND, type MrcHeader } from "../../format/header.ts";
import { type ByteSink, MrcWriter } from "../../format/writer.ts";
import {
  VERSION_MAJOR,
  VERSION_MINOR,
  VERSION_MINOR_BOUNDED,
  VERSION_MINOR_LEARNED,
} from "../../format/_constants.ts";
import type { MrcVersion } from "../../format/reader.ts";
import { type Predictor, PREDICTORS } from "../bounded/learned.ts";
import type { BlockParams } from "../bounded/block_coder.ts";
import { defaultBoundedLevels } from "../bounded/plan.ts";
import { float32Rounding } from "../metrics.ts";
import { asLearned, codeBlockYielding, type CodedBlock, splittable } from "./code_block.ts";
import { BlockPool, workersAvailable } from "./block_pool.ts";
import type { LevelError, StoredBoundedReport } from "../read/report.ts";
import { scanValues } from "./prepare.ts";
import type { MrcAttributes } from "../../format/attributes.ts";
import { storedNumber, VERSION } from "./report.ts";
import { keepsLearned, levelReports } from "./block_report.ts";

/** Options of bounded coding, the default (one side of {@linkcode CompressOptions}). */
export interface BoundedCompressOptions {
  /** `"bounded"` (the default): every decoded value of every level within the bound. */
  coding?: "bounded";
  /** Maximum absolute error, in the data's units. */
  errorBound?: number;
  /** Maximum absolute error as a fraction of the data's range (max - min). */
  relErrorBound?: number;
  /** Target PSNR in dB (of the finest level, against the data's range): the largest bound that meets it. */
  psnr?: number;
  /** Levels; default: as many as keep at least 3 rows and columns on level 0, at most 8. */
  levels?: number;
  /** Snapshots per block (the unit of random access in time). Default: about 4 Mi values per block. */
  blockSize?: number;
  /** Snapshots between keyframes, a power of two; 1 turns time prediction off. Default 32. */
  keyInterval?: number;
  /**
   * How levels above 0 are predicted (SPEC.md §4.7.3, §4.7.5). `"cubic"` (the default) and
   * `"linear"` are the fixed interpolations of format 1.2. `"auto"` chooses per level and block
   * among linear, cubic and learned filters (MrCAE's deepening decoder, fitted on the block's
   * first coding; format 1.3), and keeps a block's learned coding only where it is smaller than
   * its cubic one; it codes every block twice. `"learned"` fits filters wherever it can.
   */
  predictor?: Predictor;
  /** The fixed interpolation (format 1.2), the same as `predictor` `"cubic"` or `"linear"`. */
  interpolation?: "cubic" | "linear";
  /**
   * A value that marks missing data, compared in the data's precision (float32 data:
   * `Math.fround(fillValue)`, which the file records). Without one, NaN marks missing data (and
   * comes back as the canonical NaN); with one, a NaN is a value, stored exactly (an escape with
   * its bits: sign and payload come back, for float64 data those binary32 keeps).
   */
  fillValue?: number;
  /** Element type to record. Default: from the input array. */
  dtype?: "float32" | "float64";
  /**
   * Where the data came from (variable, dimensions, coordinates, attributes), stored in an
   * `ATTR` chunk (SPEC.md §4.8); its dimensions must match the input's shape. Default: none.
   */
  attributes?: MrcAttributes;
  /**
   * Leaves the date and the timing (`created`, `encodeSeconds`) out of the stored report, so that
   * the same input and options give byte-identical files. The returned report keeps them.
   * Default false.
   */
  reproducible?: boolean;
  /**
   * Aborts the coding: the call rejects with the signal's reason within about 0.1 s, also inside
   * a block (coding on the calling thread yields to the event loop every 0.1 s, so that a
   * listener, e.g. of Ctrl-C, can run; workers are ended at once).
   */
  signal?: AbortSignal;
  /**
   * Called as coding goes on (about every 0.1 s on the calling thread, every 0.2 s per worker,
   * and at the end of each block and each trial), with the share done of the current coding pass
   * (a `psnr` search codes the whole array once per trial). Default: none. It costs nothing
   * measurable: the parts it reports on are there for `signal` anyway.
   */
  onCodingProgress?: (progress: CodingProgress) => void;
  /**
   * The format version to write, `"1.2"` to the newest (`"1.7"`, the default): for readers of an
   * older release, which refuse a newer minor version's file. The coded values are the same; what
   * differs is how the metadata and the missing mask are stored (1.5 deflates the JSON, 1.6 adds
   * the preset dictionary and deflates the index, 1.7 range-codes the missing mask, SPEC.md §2). Learned prediction (`predictor` `"auto"` or
   * `"learned"`) and shards need 1.3. A `TypeError` names anything else.
   */
  formatVersion?: string;
  /**
   * Threads that code blocks in parallel (Web Workers), an integer >= 1; the file is the same
   * whatever the count. Default: the machine's cores (`navigator.hardwareConcurrency`) for inputs
   * of 8 Mi values or more, or 1.5 Mi for a single block, else 1 (a worker's start costs more than it
   * saves); at most one per block, except that a single block of up to 8 Mi values (with a fixed
   * interpolation) is coded split in two halves on this thread and one worker; 1 codes on the
   * calling thread. Each worker gets a copy of its block's values, unless they lie in a
   * `SharedArrayBuffer`: then it reads them in place.
   */
  threads?: number;
}

/** What {@linkcode BoundedCompressOptions.onCodingProgress} is called with. */
export interface CodingProgress {
  /** Share of this trial's coding done, 0 to 1 (by points coded). */
  done: number;
  /** The trial: 1 without `psnr`; a `psnr` search codes the whole array once per trial. */
  trial: number;
  /** The bound this trial codes at. */
  bound: number;
  /** Seconds since coding began (all trials). */
  elapsed: number;
}

/** What `codeAll` needs besides the plan and the bound: where, and who listens. */
interface CodingContext {
  pool: BlockPool | null;
  /** Whether the pool codes the (single) block split in two halves (`BlockPool.codeSplit`). */
  split: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: CodingProgress) => void;
  /** `performance.now()` when coding began. */
  start: number;
  trial: number;
}

/**
 * The version a bounded file is written in: `formatVersion` checked (a bounded file is 1.2 or
 * later; learned prediction and shards 1.3 or later), or the newest. The one rule of every
 * bounded writer (in memory, streamed, a collection's parts).
 *
 * @throws {TypeError} Naming the version and what it cannot hold.
 */
export function boundedFormatVersion(
  formatVersion: string | undefined,
  needs: { predictor: Predictor; shard: boolean },
): MrcVersion {
  if (formatVersion === undefined) return { major: VERSION_MAJOR, minor: VERSION_MINOR };
  const match = typeof formatVersion === "string" ? /^1\.(\d)$/.exec(formatVersion) : null;
  const minor = match ? Number(match[1]) : NaN;
  if (!(minor >= VERSION_MINOR_BOUNDED && minor <= VERSION_MINOR)) {
    throw new TypeError(
      `Cannot compress: formatVersion must be "1.${VERSION_MINOR_BOUNDED}" to "1.${VERSION_MINOR}" (bounded files are 1.${VERSION_MINOR_BOUNDED} or later), found ${
        JSON.stringify(formatVersion)
      }`,
    );
  }
  const learned = needs.predictor === "auto" || needs.predictor === "learned";
  if ((learned || needs.shard) && minor < VERSION_MINOR_LEARNED) {
    throw new TypeError(
      `Cannot compress: ${
        learned ? `predictor "${needs.predictor}"` : "a shard"
      } needs format 1.${VERSION_MINOR_LEARNED} or later, found formatVersion "${formatVersion}"`,
    );
  }
  return { major: VERSION_MAJOR, minor };
}

/** The relative bound used when no bound is given: 1e-3 of the data's range (about 65 dB). */
export const DEFAULT_REL_ERROR_BOUND = 1e-3;
/** Default snapshots between keyframes. */
export const DEFAULT_KEY_INTERVAL = 32;

/** Per-level result of bounded compression. */
export interface BoundedLevelReport extends LevelError {
  /** Bytes of the level's `BCOD` bodies (all blocks). */
  bytes: number;
  /** Points with a non-zero code. */
  nonzero: number;
  /** Points stored exactly (escapes). */
  escapes: number;
  /** (snapshot, level) pairs per prediction mode `[space, time, time+space]`. */
  modes: [number, number, number];
  /** (snapshot, level) pairs whose codes are all zero. */
  zeroLevels: number;
}

/** What bounded compression returns and stores in `META` (rounded to 6 digits, the maxima and bound exact). */
export interface BoundedReport extends StoredBoundedReport {
  /** `"mrcae"`. */
  tool: "mrcae";
  /** Spatial prediction: the file's `bound.interpolation` (`"learned"`: format 1.3). */
  interpolation: "cubic" | "linear" | "learned";
  /** The predictor asked for. */
  predictor: Predictor;
  /** ISO 8601 time of writing (not stored in reproducible files). */
  created: string;
  /** Seconds spent coding, all trials (not stored in reproducible files). */
  encodeSeconds: number;
  /** Per level: errors measured on the reconstruction the decoder produces, bytes and counts. */
  levels: BoundedLevelReport[];
}

/** The file's parts from one coding pass at one bound. */
interface Coded {
  /** `chunks[level][block]`. */
  chunks: Uint8Array<ArrayBuffer>[][];
  levels: BoundedLevelReport[];
  finestPsnr: number | null;
  /** Whether the chunks use learned prediction (format 1.3, `bound.interpolation` `"learned"`). */
  learned: boolean;
}

/** Resolved parameters shared by all trials. */
interface Plan {
  shape: [number, number, number];
  levels: number;
  blockSize: number;
  keyInterval: number;
  cubic: boolean;
  predictor: Predictor;
  missing: Uint8Array | null;
  /**
   * The fill value in the data's precision when one is given (no coded value may decode to it),
   * else undefined.
   */
  fill?: number;
  /** Smallest valid value, and the range. */
  min: number;
  range: number;
}

function fail(message: string): never {
  throw new RangeError(`Cannot compress: ${message}`);
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

/** Values from which the default is to code on every core: two default blocks. */
const MIN_THREADED_VALUES = 8 * 1024 * 1024;
/**
 * Values of a single block from which the default is to code it split on two threads (its
 * worker's start, about 40 ms, is then less than the time saved).
 */
const MIN_SPLIT_VALUES = 1.5 * 1024 * 1024;
/**
 * Values of a single block up to which it may be coded split: its shared codes and predictions
 * cost 12 bytes per value more than one thread's coding (96 MiB at most).
 */
const MAX_SPLIT_VALUES = 8 * 1024 * 1024;

/** The machine's cores, or 1 where the platform does not say. */
function defaultThreads(): number {
  const n = globalThis.navigator?.hardwareConcurrency;
  return Number.isInteger(n) && n > 0 ? n : 1;
}

/** Default block size: a power of two near 4 Mi values, at least the key interval, at most 4096. */
function defaultBlockSize(H: number, W: number, K: number): number {
  const n = 2 ** Math.round(Math.log2(Math.max(1, 4 * 1024 * 1024 / (H * W))));
  return Math.min(4096, Math.max(K, n));
}

/**
 * Codes every block at bound `eb` and measures every level. Blocks are coded one by one, or in
 * parallel on `pool`; their results are combined in block order either way.
 */
async function codeAll(
  values: Float32Array | Float64Array,
  plan: Plan,
  eb: number,
  context: CodingContext,
): Promise<Coded> {
  const [T, H, W] = plan.shape;
  const N = plan.levels;
  const plane = H * W;
  const { pool, signal, onProgress } = context;
  const jobs: Promise<CodedBlock>[] = [];
  // Progress: the share done of each block, weighted by its snapshots.
  const shares = new Float64Array(Math.ceil(T / plan.blockSize));
  const report = onProgress
    ? () => {
      let done = 0;
      for (let b = 0; b < shares.length; b++) {
        done += shares[b] * Math.min(plan.blockSize, T - b * plan.blockSize);
      }
      onProgress({
        done: done / T,
        trial: context.trial,
        bound: eb,
        elapsed: (performance.now() - context.start) / 1000,
      });
    }
    : null;
  report?.();
  for (let first = 0, b = 0; first < T; first += plan.blockSize, b++) {
    signal?.throwIfAborted();
    const n = Math.min(plan.blockSize, T - first);
    const x = values.subarray(first * plane, (first + n) * plane);
    const missing = plan.missing ? plan.missing.subarray(first * plane, (first + n) * plane) : null;
    const params: BlockParams = {
      n,
      H,
      W,
      levels: N,
      keyInterval: plan.keyInterval,
      bound: eb,
      cubic: plan.cubic,
      predictor: plan.predictor,
    };
    if (plan.fill !== undefined) params.avoid = Math.fround(plan.fill);
    if (pool) {
      const block = b;
      const onShare = (share: number) => {
        shares[block] = share;
        report?.();
      };
      const code = context.split ? pool.codeSplit : pool.code;
      const job = code.call(pool, params, x, missing, signal, onShare).then((coded) => {
        onShare(1);
        return coded;
      });
      // Awaited below, unless an abort ends the loop first: then its rejection is not unhandled.
      job.catch(() => {});
      jobs.push(job);
    } else {
      // On this thread, in parts of one (snapshot, level), yielding to the event loop (Ctrl-C,
      // progress) every YIELD_MS.
      const block = b;
      const coded = await codeBlockYielding(params, x, missing, signal, (share) => {
        shares[block] = share;
        report?.();
      });
      jobs.push(Promise.resolve(coded));
    }
  }
  const blocks = await Promise.all(jobs);
  // One learned block makes the file learned: the others get the records of their fixed
  // interpolation (SPEC.md §4.7.5).
  let learned = blocks.some((b) => b.learned);
  if (learned) {
    const size = (b: CodedBlock) => b.chunks.reduce((a, c) => a + c.length, 0);
    const sizes = blocks.map((b) => ({
      learned: b.learned,
      size: size(b),
      fixedSize: b.fixed ? size(b.fixed) : null,
    }));
    // "auto" is never larger than the fixed interpolation, records included.
    if (!keepsLearned(sizes, N)) {
      for (let i = 0; i < blocks.length; i++) blocks[i] = blocks[i].fixed ?? blocks[i];
      learned = false;
    } else {
      for (const b of blocks) if (!b.learned) b.chunks = asLearned(b.chunks, plan.cubic);
    }
  }
  const chunks: Uint8Array<ArrayBuffer>[][] = Array.from({ length: N }, () => []);
  for (const b of blocks) for (let k = 0; k < N; k++) chunks[k].push(b.chunks[k]);
  const levels = levelReports(
    blocks.map((b) => ({
      bytes: b.chunks.map((c) => c.length),
      stats: b.stats,
      tallies: b.tallies,
    })),
    plan.shape,
    N,
    plan.range,
  );
  return { chunks, levels, finestPsnr: levels[N - 1].psnr, learned };
}

/**
 * Compresses with a guaranteed maximum error on every level and writes the file into `sink`.
 *
 * @param values `T * H * W` values, snapshot-major.
 * @param dims `[T, H, W]`.
 * @param inputShape The shape as the caller gave it.
 * @param sink Where the bytes go.
 * @param options Bound and coding options.
 * @returns The report and the file size.
 */
export async function compressBoundedTo(
  values: Float32Array | Float64Array,
  dims: [number, number, number],
  inputShape: readonly number[],
  sink: ByteSink | WritableStream<Uint8Array>,
  options: BoundedCompressOptions,
): Promise<{ report: BoundedReport; bytes: number }> {
  const [T] = dims;
  const given = (["errorBound", "relErrorBound", "psnr"] as const).filter((k) =>
    options[k] !== undefined
  );
  if (given.length > 1) {
    fail(`give one of errorBound, relErrorBound, psnr, found ${given.join(", ")}`);
  }
  const { errorBound, relErrorBound, psnr: targetPsnr } = options;
  if (errorBound !== undefined && !(Number.isFinite(errorBound) && errorBound > 0)) {
    fail(`errorBound must be a positive finite number, found ${errorBound}`);
  }
  if (relErrorBound !== undefined && !(Number.isFinite(relErrorBound) && relErrorBound > 0)) {
    fail(`relErrorBound must be a positive finite number, found ${relErrorBound}`);
  }
  if (
    targetPsnr !== undefined && !(Number.isFinite(targetPsnr) && targetPsnr > 0 && targetPsnr < 400)
  ) {
    fail(`psnr must be a number of dB in (0, 400), found ${targetPsnr}`);
  }
  const { levels, keyInterval, blockSize, predictor } = resolveBoundedParams(dims, options);
  const version = boundedFormatVersion(options.formatVersion, { predictor, shard: false });
  const { missing, missingCount, min, max, fillValue } = scanValues(
    values,
    dims,
    options.fillValue,
  );
  const range = max - min;
  const plan: Plan = {
    shape: dims,
    levels,
    blockSize,
    keyInterval,
    cubic: predictor !== "linear",
    predictor,
    missing: missingCount > 0 ? missing : null,
    // Whenever a fill value is given, no coded value may decode to it: a shard or a block of a
    // streamed input codes the same whether or not the rest of the array has missing values.
    fill: fillValue,
    min,
    range,
  };
  // Float64 input: the reconstruction is float32, so the bound cannot go below float32 rounding.
  const rounding = values instanceof Float64Array ? float32Rounding(values, missing).rounding : 0;
  const checkBound = (eb: number) => {
    if (!(eb > 0 && eb <= MAX_BOUND)) {
      fail(
        `the bound ${eb} is not a positive number at most ${MAX_BOUND} (its step 2 x bound finite)`,
      );
    }
    if (rounding > eb) {
      fail(
        `the bound ${eb} is below the float32 rounding of the float64 data (${rounding}); decoders return float32`,
      );
    }
  };

  const blocks = Math.ceil(T / blockSize);
  // A single block on two threads: split in its quantizing and coding halves.
  const canSplit = blocks === 1 && values.length <= MAX_SPLIT_VALUES && splittable(predictor);
  // By default, workers only where they pay for their start (tens of ms each).
  const threads = options.threads ??
    (values.length >= (canSplit ? MIN_SPLIT_VALUES : MIN_THREADED_VALUES) ? defaultThreads() : 1);
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    fail(`threads must be an integer from 1 to 1024, found ${threads}`);
  }
  // One thread per block at most, or two for a single block that splits; everything else, and
  // everything where workers cannot start, is coded here (the file is the same either way).
  const split = canSplit && threads > 1;
  const workers = split ? 1 : Math.min(threads, blocks);
  const pool = (workers > 1 || split) && workersAvailable() ? new BlockPool(workers) : null;
  const start = performance.now();
  let coded: Coded;
  let eb: number;
  let trials = 1;
  const context: CodingContext = {
    pool,
    split: split && pool !== null,
    signal: options.signal,
    onProgress: options.onCodingProgress,
    start,
    trial: 1,
  };
  try {
    if (targetPsnr !== undefined) {
      ({ coded, eb, trials } = await searchPsnr(values, plan, targetPsnr, rounding, context));
    } else {
      eb = errorBound ??
        (range > 0
          ? (relErrorBound ?? DEFAULT_REL_ERROR_BOUND) * range
          : constantBound(min, rounding));
      checkBound(eb);
      coded = await codeAll(values, plan, eb, context);
    }
  } finally {
    pool?.close();
  }
  const encodeSeconds = (performance.now() - start) / 1000;

  const interpolation = coded.learned ? "learned" : plan.cubic ? "cubic" : "linear";
  const header = boundedHeader(dims, inputShape, plan, eb, interpolation, {
    dtype: options.dtype ?? (values instanceof Float64Array ? "float64" : "float32"),
    missingCount,
    fillValue: plan.fill,
  });
  const requested: BoundedReport["bound"]["requested"] = {};
  if (errorBound !== undefined) requested.errorBound = errorBound;
  if (relErrorBound !== undefined) requested.relErrorBound = relErrorBound;
  if (targetPsnr !== undefined) requested.psnr = targetPsnr;
  const report = boundedReport({
    inputShape,
    eb,
    range,
    requested,
    trials,
    keyInterval,
    interpolation,
    predictor,
    blockSize,
    encodeSeconds,
    levels: coded.levels,
  });
  // Every file is 1.6 (its JSON bodies deflated with the preset dictionary, SPEC.md §3.1.1),
  // whether or not it has learned prediction (1.3), unless an older version is asked for.
  const writer = new MrcWriter(sink, { signal: options.signal, version });
  await writer.writeHeader(header);
  await writer.writeMeta(roundReport(report, options.reproducible ?? false));
  if (options.attributes) await writer.writeAttributes(options.attributes);
  if (plan.missing) await writer.writeMissingMask(plan.missing);
  for (let k = 0; k < levels; k++) {
    for (let b = 0; b < coded.chunks[k].length; b++) {
      const n = Math.min(blockSize, T - b * blockSize);
      await writer.writeBoundedBlock(k, b, { snapshotCount: n, bytes: coded.chunks[k][b] });
    }
  }
  const bytes = await writer.finish();
  return { report, bytes };
}

/**
 * The report of a bounded file, as every writer of one makes it (in memory, streamed, merged):
 * one definition, so that their files are the same byte for byte. The key order is the stored
 * JSON's.
 */
export function boundedReport(r: {
  inputShape: readonly number[];
  eb: number;
  range: number;
  requested: BoundedReport["bound"]["requested"];
  trials: number;
  keyInterval: number;
  interpolation: BoundedReport["interpolation"];
  predictor: Predictor;
  blockSize: number;
  encodeSeconds: number;
  levels: BoundedLevelReport[];
}): BoundedReport {
  return {
    tool: "mrcae",
    mode: "bounded",
    inputShape: [...r.inputShape],
    version: VERSION,
    created: new Date().toISOString(),
    bound: {
      abs: r.eb,
      rel: r.range > 0 ? r.eb / r.range : null,
      requested: r.requested,
      trials: r.trials,
    },
    keyInterval: r.keyInterval,
    interpolation: r.interpolation,
    predictor: r.predictor,
    blockSize: r.blockSize,
    range: r.range,
    encodeSeconds: r.encodeSeconds,
    levels: r.levels,
  };
}

/** The coding parameters of `options` for an array of shape `dims`, checked, defaults filled in. */
export function resolveBoundedParams(
  dims: readonly [number, number, number],
  options: BoundedCompressOptions,
): { levels: number; keyInterval: number; blockSize: number; predictor: Predictor } {
  const [, H, W] = dims;
  const maxLevels = defaultBoundedLevels(H, W);
  const levels = options.levels ?? maxLevels;
  const limit = Math.floor(Math.log2(Math.min(H, W))) + 1;
  if (!Number.isInteger(levels) || levels < 1 || levels > Math.min(8, limit)) {
    fail(
      `levels must be an integer from 1 to ${
        Math.min(8, limit)
      } for ${H}x${W} (level 0 needs a row and a column), found ${levels}`,
    );
  }
  const keyInterval = options.keyInterval ?? DEFAULT_KEY_INTERVAL;
  if (!isPowerOfTwo(keyInterval) || keyInterval > 65536) {
    fail(`keyInterval must be a power of two from 1 to 65536, found ${keyInterval}`);
  }
  const blockSize = options.blockSize ?? defaultBlockSize(H, W, keyInterval);
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > MAX_BLOCK_SIZE) {
    fail(`blockSize must be an integer from 1 to ${MAX_BLOCK_SIZE}, found ${blockSize}`);
  }
  if (
    options.interpolation !== undefined && options.interpolation !== "cubic" &&
    options.interpolation !== "linear"
  ) {
    fail(
      `interpolation must be "cubic" or "linear", found ${JSON.stringify(options.interpolation)}`,
    );
  }
  const predictor = options.predictor ?? options.interpolation ?? "cubic";
  if (!PREDICTORS.includes(predictor)) {
    fail(`predictor must be ${PREDICTORS.join(", ")}, found ${JSON.stringify(predictor)}`);
  }
  if (
    options.interpolation !== undefined && options.predictor !== undefined &&
    options.predictor !== options.interpolation
  ) {
    fail(`interpolation ${options.interpolation} contradicts predictor ${options.predictor}`);
  }
  return { levels, keyInterval, blockSize, predictor };
}

/**
 * The largest bound whose finest level meets `target` dB, by bisection on log(bound) from the
 * uniform-error estimate `range * 10^(-target/20) * sqrt(3)`; every trial codes the whole array.
 */
async function searchPsnr(
  values: Float32Array | Float64Array,
  plan: Plan,
  target: number,
  rounding: number,
  context: CodingContext,
): Promise<{ coded: Coded; eb: number; trials: number }> {
  if (plan.range === 0) {
    const eb = constantBound(plan.min, rounding);
    return { coded: await codeAll(values, plan, eb, context), eb, trials: 1 };
  }
  const meets = (c: Coded) => c.finestPsnr === null || c.finestPsnr >= target;
  let eb = plan.range * 10 ** (-target / 20) * Math.sqrt(3);
  if (eb < rounding) {
    fail(
      `a PSNR of ${target} dB needs a bound near ${eb}, below the float32 rounding of the float64 data (${rounding})`,
    );
  }
  let trials = 1;
  let coded = await codeAll(values, plan, eb, context);
  let good: { coded: Coded; eb: number } | null = null, bad = NaN;
  // Walk by factors of 2 until the target is bracketed, then bisect a few times.
  for (let i = 0; i < 12; i++) {
    if (meets(coded)) {
      good = { coded, eb };
      if (!Number.isNaN(bad)) break;
      eb *= 2;
    } else {
      bad = eb;
      if (good) break;
      eb /= 2;
      if (eb < rounding) break;
    }
    context.trial = ++trials;
    coded = await codeAll(values, plan, eb, context);
  }
  if (good && !Number.isNaN(bad)) {
    for (let i = 0; i < 4; i++) {
      const mid = Math.sqrt(good.eb * bad);
      context.trial = ++trials;
      const c = await codeAll(values, plan, mid, context);
      if (meets(c)) good = { coded: c, eb: mid };
      else bad = mid;
    }
  }
  if (!good) fail(`no bound above the float32 rounding of the data reaches ${target} dB`);
  return { ...good, trials };
}

/**
 * The bound of a constant field when none is given (a relative bound means nothing there): far
 * below the value's float32 spacing, so that the field is stored exactly.
 */
export function constantBound(value: number, rounding: number): number {
  return Math.max(rounding, Math.abs(value) * 2 ** -30, 2 ** -149);
}

/** The `MHDR` of a bounded file: level geometry with crop [0, 0] (SPEC.md §4.7.1). */
export function boundedHeader(
  dims: [number, number, number],
  inputShape: readonly number[],
  plan: Pick<Plan, "levels" | "blockSize" | "keyInterval">,
  eb: number,
  interpolation: "cubic" | "linear" | "learned",
  extra: { dtype: "float32" | "float64"; missingCount: number; fillValue?: number },
): MrcHeader {
  const [, H, W] = dims;
  const N = plan.levels;
  const s0 = 2 ** (N - 1);
  // Level 0 grid: the smallest odd size >= 3 that holds the level's points.
  const odd = (n: number) => Math.max(3, n % 2 === 0 ? n + 1 : n);
  const g0: [number, number] = [odd(Math.floor(H / s0)), odd(Math.floor(W / s0))];
  const levels = [];
  for (let k = 0; k < N; k++) {
    const f = 2 ** k;
    const grid: [number, number] = [(g0[0] + 1) * f - 1, (g0[1] + 1) * f - 1];
    levels.push({
      grid,
      latent: [(grid[0] - 1) / 2, (grid[1] - 1) / 2] as [number, number],
      groups: [],
      quant: { base: null, groups: [] },
    });
  }
  const missingMode = extra.missingCount === 0
    ? "none"
    : extra.fillValue !== undefined
    ? "fill"
    : "nan";
  const header: MrcHeader = {
    shape: dims,
    dtype: extra.dtype,
    grid: levels[N - 1].grid,
    crop: [0, 0],
    padMode: "replicate",
    normalization: { offset: 0, scale: 1 },
    blockSize: plan.blockSize,
    levels,
    quantization: "uniform-midtread",
    missing: {
      mode: missingMode,
      fillValue: missingMode === "fill" ? extra.fillValue! : null,
      count: extra.missingCount,
    },
  };
  if (inputShape.length !== 3) header.inputShape = [...inputShape];
  header.coding = "bounded";
  header.bound = { abs: eb, keyInterval: plan.keyInterval, interpolation };
  return header;
}

/**
 * The report as stored in `META`: numbers rounded to 6 significant digits, but each level's
 * `maxAbsError` and the bound exact, so that the stored maximum never exceeds the bound.
 */
export function roundReport(report: BoundedReport, reproducible: boolean): Record<string, unknown> {
  const stored: Record<string, unknown> = { ...report };
  if (reproducible) {
    delete stored.created;
    delete stored.encodeSeconds;
  }
  return JSON.parse(
    JSON.stringify(
      stored,
      storedNumber,
    ),
  );
}
