// This module is browser compatible.
/**
 * Block-wise bounded compression: the input is read one block of snapshots at a time from a
 * {@linkcode SnapshotSource}, each block is coded and its chunks wait in a {@linkcode Spool}
 * (they are written level by level, SPEC.md §7, after the report, which needs every block), so
 * that memory holds a few blocks and never the whole input. The file is byte for byte the one
 * {@linkcode compressBoundedTo} writes from the same values held in memory.
 *
 * The same code writes **shards** (SPEC.md §4.1.2): the blocks of a range of snapshots of a
 * larger whole, each a valid file of its own, which `merge.ts` joins without decoding.
 *
 * @module
 */

import type { ByteSink } from "../../format/writer.ts";
import { MrcWriter } from "../../format/writer.ts";
import { CHUNK_TYPES } from "../../format/_constants.ts";
import { codesMask, type MrcVersion } from "../../format/_framing.ts";
import { packBits } from "../../format/_bytes.ts";
import { MAX_BOUND, type ShardPlace } from "../../format/header.ts";
import { encodePackedMask } from "../../format/missing_mask.ts";
import type { BlockParams } from "../bounded/block_coder.ts";
import { fillInPrecision, float32Rounding, isMissing } from "../metrics.ts";
import { asLearned, codeBlockYielding, type CodedBlock } from "./code_block.ts";
import { BlockPool, workersAvailable } from "./block_pool.ts";
import { type BlockFigures, keepsLearned, levelFigures, levelReports } from "./block_report.ts";
import {
  type BoundedCompressOptions,
  boundedFormatVersion,
  boundedHeader,
  type BoundedReport,
  boundedReport,
  constantBound,
  DEFAULT_REL_ERROR_BOUND,
  resolveBoundedParams,
  roundReport,
} from "./bounded.ts";
import { memorySpool, type Spool } from "./spool.ts";

/** Snapshots read on demand: the input of block-wise compression. */
export interface SnapshotSource {
  /** `[T, H, W]` of the snapshots to code (a shard's own). */
  shape: [number, number, number];
  /** Element type of the values `read` returns. */
  dtype: "float32" | "float64";
  /** Snapshots `t0 .. t1 - 1`, `(t1 - t0) * H * W` values, snapshot-major. */
  read(t0: number, t1: number): Promise<Float32Array | Float64Array>;
}

/** Options of {@linkcode compressBlockwise}: those of bounded coding, and the shard's. */
export interface BlockwiseOptions extends BoundedCompressOptions {
  /**
   * With `relErrorBound`: the range `[min, max]` the bound is relative to, in place of the
   * data's own (which a first pass over the input measures). Required for a shard's relative
   * bound: the whole's range, so that every shard has the same bound.
   */
  range?: [number, number];
  /**
   * Writes a shard (SPEC.md §4.1.2): the source holds the whole's snapshots `first ..` of a whole
   * of `total`. Needs `errorBound`, or `relErrorBound` with `range`.
   */
  shard?: ShardPlace;
  /**
   * Where coded chunks wait until the report is written, closed when the compression ends (also
   * on an error). Default: memory.
   */
  spool?: Spool;
  /** The shape as the caller gave it. Default: the source's shape. */
  inputShape?: readonly number[];
}

/** What a shard's `META` member `"shard"` holds (SPEC.md §4.1.2). */
export interface ShardFigures extends ShardPlace {
  /** Smallest and largest valid value of the shard (null where none). */
  min: number | null;
  max: number | null;
  /** The value that marks missing data, in the data's precision, or null (NaN marks it). */
  fillValue: number | null;
  /** The predictor asked for. */
  predictor: BoundedReport["predictor"];
  /** The range given with a relative bound (the report's `requested.range`, unrounded), or null. */
  range: [number, number] | null;
  /** Per block in order. */
  blocks: {
    /** Whether the block's own coding is learned. */
    learned: boolean;
    /** Bytes of the block's own coding, all levels. */
    size: number;
    /** Bytes of its fixed coding (predictor `"auto"`, `learned`), else null. */
    fixedSize: number | null;
    /** Per level, the 10 figures of the stored coding ({@linkcode levelFigures}). */
    levels: number[][];
  }[];
}

function fail(message: string): never {
  throw new RangeError(`Cannot compress: ${message}`);
}

/** One coded block, its chunks in the spool. */
interface Spooled {
  own: { handles: number[]; figures: BlockFigures; learned: boolean };
  fixed: { handles: number[]; figures: BlockFigures } | null;
}

/** The scan of one block: what `scanValues()` finds, without refusing an all-missing block. */
interface BlockScan {
  missing: Uint8Array | null;
  missingCount: number;
  nanCount: number;
  min: number;
  max: number;
}

function scanBlock(
  x: Float32Array | Float64Array,
  first: number,
  H: number,
  W: number,
  fill: number | undefined,
): BlockScan {
  const plane = H * W;
  let missing: Uint8Array | null = null;
  let missingCount = 0, nanCount = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (isMissing(v, fill)) {
      (missing ??= new Uint8Array(x.length))[i] = 1;
      missingCount++;
    } else if (Number.isNaN(v)) {
      nanCount++;
    } else if (!Number.isFinite(v)) {
      const t = first + Math.floor(i / plane), r = Math.floor((i % plane) / W), c = i % W;
      fail(`value at [${t}, ${r}, ${c}] is ${v} (only finite values or NaN are allowed)`);
    } else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return { missing, missingCount, nanCount, min, max };
}

/** The whole input's valid range and float32 rounding: the first pass of a relative bound. */
async function firstPass(
  source: SnapshotSource,
  blockSize: number,
  fill: number | undefined,
  signal?: AbortSignal,
): Promise<{ min: number; max: number; rounding: number }> {
  const [T, H, W] = source.shape;
  let min = Infinity, max = -Infinity, rounding = 0;
  for (let first = 0; first < T; first += blockSize) {
    signal?.throwIfAborted();
    const x = await source.read(first, Math.min(T, first + blockSize));
    const s = scanBlock(x, first, H, W, fill);
    min = Math.min(min, s.min);
    max = Math.max(max, s.max);
    if (x instanceof Float64Array) {
      rounding = Math.max(rounding, float32Rounding(x, s.missing).rounding);
    }
  }
  return { min, max, rounding };
}

/**
 * The missing-value mask of a file, built block by block as packed bits (1/8 byte per value,
 * allocated at the first missing value) with the test for the shared layout (SPEC.md §4.3).
 */
export class MaskBuilder {
  #packed: Uint8Array | null = null;
  #plane0: Uint8Array | null = null;
  #shared = true;
  #empty0 = true;
  count = 0;
  readonly plane: number;
  constructor(readonly T: number, readonly H: number, readonly W: number) {
    this.plane = H * W;
  }

  add(first: number, n: number, missing: Uint8Array | null): void {
    const plane = this.plane;
    if (first === 0) {
      this.#plane0 = (missing ?? new Uint8Array(plane)).slice(0, plane);
      this.#empty0 = missing === null || !this.#plane0.some((v) => v !== 0);
    }
    // A block without missing values keeps the layout shared iff snapshot 0 has none either.
    if (missing === null) this.#shared &&= this.#empty0;
    for (let t = 0; t < n && this.#shared && missing !== null; t++) {
      const p0 = this.#plane0!;
      for (let j = 0; j < plane; j++) {
        if ((missing ? missing[t * plane + j] : 0) !== p0[j]) {
          this.#shared = false;
          break;
        }
      }
    }
    if (missing === null) return;
    const packed = this.#packed ??= new Uint8Array(Math.ceil(this.T * plane / 8));
    const base = first * plane;
    for (let i = 0; i < missing.length; i++) {
      if (missing[i]) {
        const g = base + i;
        packed[g >>> 3] |= 1 << (g & 7);
        this.count++;
      }
    }
  }

  /** The `NANM` body of a file of `version` (the same bytes as `encodeMissingMask()` of the whole mask). */
  body(version: MrcVersion): Uint8Array {
    let bits: Uint8Array;
    if (this.#shared) {
      bits = new Uint8Array(Math.ceil(this.plane / 8));
      packBits(this.#plane0!, bits, 0);
    } else bits = this.#packed!;
    return encodePackedMask(bits, [this.T, this.H, this.W], this.#shared, codesMask(version));
  }
}

/**
 * Compresses snapshots read block by block and writes the file into `sink`: the same bytes as
 * {@linkcode compressBoundedTo} of the same values, with memory for a few blocks (one per
 * thread, plus one) and the coded bytes in `options.spool`. `psnr` is refused: its search codes
 * the whole input about ten times (use the in-memory compressor). Without a bound, or with
 * `relErrorBound` and no `range`, a first pass reads the input once more for its range.
 *
 * @param source The snapshots.
 * @param sink Where the file goes.
 * @param options Bound, coding and shard options.
 * @returns The report, the file size and the number of missing values.
 */
export async function compressBlockwise(
  source: SnapshotSource,
  sink: ByteSink | WritableStream<Uint8Array>,
  options: BlockwiseOptions,
): Promise<{ report: BoundedReport; bytes: number; missing: number }> {
  const dims = source.shape;
  const [T, H, W] = dims;
  const { errorBound, relErrorBound, range: givenRange, shard } = options;
  const given = (["errorBound", "relErrorBound", "psnr"] as const).filter((k) =>
    options[k] !== undefined
  );
  if (given.length > 1) {
    fail(`give one of errorBound, relErrorBound, psnr, found ${given.join(", ")}`);
  }
  if (options.psnr !== undefined) {
    fail(
      shard
        ? "a shard cannot take a PSNR target (each shard would find its own bound): give errorBound"
        : "a PSNR target is not streamed (its search codes the whole input about ten times): give errorBound or relErrorBound",
    );
  }
  if (errorBound !== undefined && !(Number.isFinite(errorBound) && errorBound > 0)) {
    fail(`errorBound must be a positive finite number, found ${errorBound}`);
  }
  if (relErrorBound !== undefined && !(Number.isFinite(relErrorBound) && relErrorBound > 0)) {
    fail(`relErrorBound must be a positive finite number, found ${relErrorBound}`);
  }
  if (givenRange !== undefined) {
    if (relErrorBound === undefined) fail("range is only used with relErrorBound");
    const [a, b] = givenRange;
    if (!(Number.isFinite(a) && Number.isFinite(b) && b > a)) {
      fail(`range must be two finite numbers MIN < MAX, found ${givenRange.join(", ")}`);
    }
  }
  if (shard && errorBound === undefined && givenRange === undefined) {
    fail(
      "a shard needs the whole's bound: give errorBound, or relErrorBound with the whole's range (each shard's own range would give each its own bound)",
    );
  }
  const { levels, keyInterval, blockSize, predictor } = resolveBoundedParams(dims, options);
  const version = boundedFormatVersion(options.formatVersion, { predictor, shard: !!shard });
  if (shard) {
    const { first, total } = shard;
    if (!Number.isInteger(total) || total < 1) {
      fail(`the whole's snapshot count must be >= 1, found ${total}`);
    }
    if (!Number.isInteger(first) || first < 0 || first % blockSize !== 0) {
      fail(
        `a shard starts on a block: its first snapshot ${first} is not a multiple of the block size ${blockSize}`,
      );
    }
    if (first + T > total) {
      fail(`a shard of snapshots ${first}..${first + T - 1} runs past the whole's ${total}`);
    }
    if (first + T < total && T % blockSize !== 0) {
      fail(
        `a shard that ends before the whole holds whole blocks: ${T} snapshots is not a multiple of the block size ${blockSize}`,
      );
    }
  }
  const isFloat64 = source.dtype === "float64";
  const fill = options.fillValue === undefined
    ? undefined
    : isFloat64
    ? options.fillValue
    : fillInPrecision(options.fillValue, new Float32Array(0));
  const cubic = predictor !== "linear";
  const signal = options.signal;

  // The bound: given, or relative to a given range, or to the range a first pass measures.
  let eb: number;
  if (errorBound !== undefined) eb = errorBound;
  else if (givenRange !== undefined) eb = relErrorBound! * (givenRange[1] - givenRange[0]);
  else {
    const pass = await firstPass(source, blockSize, fill, signal);
    if (!(pass.max >= pass.min)) fail("every value is missing or NaN");
    const range = pass.max - pass.min;
    eb = range > 0
      ? (relErrorBound ?? DEFAULT_REL_ERROR_BOUND) * range
      : constantBound(pass.min, pass.rounding);
  }
  if (!(eb > 0 && eb <= MAX_BOUND)) {
    fail(
      `the bound ${eb} is not a positive number at most ${MAX_BOUND} (its step 2 x bound finite)`,
    );
  }

  const blocks = Math.ceil(T / blockSize);
  const cores = globalThis.navigator?.hardwareConcurrency;
  const threads = options.threads ??
    (T * H * W >= 8 * 1024 * 1024 && Number.isInteger(cores) && cores > 0 ? cores : 1);
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    fail(`threads must be an integer from 1 to 1024, found ${threads}`);
  }
  const workers = Math.min(threads, blocks);
  const pool = workers > 1 && workersAvailable() ? new BlockPool(workers) : null;
  const spool = options.spool ?? memorySpool();
  const mask = new MaskBuilder(T, H, W);
  const spooled: Spooled[] = new Array(blocks);
  let min = Infinity, max = -Infinity, nanCount = 0;
  const start = performance.now();
  const keep = async (b: number, coded: CodedBlock) => {
    const put = async (c: CodedBlock) => {
      const handles: number[] = [];
      for (const chunk of c.chunks) handles.push(await spool.put(chunk));
      return {
        handles,
        figures: { bytes: c.chunks.map((x) => x.length), stats: c.stats, tallies: c.tallies },
      };
    };
    spooled[b] = {
      own: { ...await put(coded), learned: coded.learned },
      fixed: coded.fixed ? await put(coded.fixed) : null,
    };
  };
  // Progress: the snapshots whose block is coded and spooled, per block (`onCodingProgress`).
  let coded = 0;
  const told = (n: number) => () => {
    coded += n;
    options.onCodingProgress?.({
      done: coded / T,
      trial: 1,
      bound: eb,
      elapsed: (performance.now() - start) / 1000,
    });
  };
  options.onCodingProgress?.({ done: 0, trial: 1, bound: eb, elapsed: 0 });
  try {
    const inFlight: Promise<void>[] = [];
    for (let b = 0; b < blocks; b++) {
      signal?.throwIfAborted();
      const first = b * blockSize;
      const n = Math.min(blockSize, T - first);
      const x = await source.read(first, first + n);
      if (x.length !== n * H * W) {
        fail(
          `the input gave ${x.length} values for snapshots ${first}..${first + n - 1}, expected ${
            n * H * W
          }`,
        );
      }
      const scan = scanBlock(x, (shard?.first ?? 0) + first, H, W, fill);
      min = Math.min(min, scan.min);
      max = Math.max(max, scan.max);
      nanCount += scan.nanCount;
      if (isFloat64) {
        const rounding = float32Rounding(x, scan.missing).rounding;
        if (rounding > eb) {
          fail(
            `the bound ${eb} is below the float32 rounding of the float64 data (${rounding}); decoders return float32`,
          );
        }
      }
      mask.add(first, n, scan.missing);
      const params: BlockParams = {
        n,
        H,
        W,
        levels,
        keyInterval,
        bound: eb,
        cubic,
        predictor,
      };
      if (fill !== undefined) params.avoid = Math.fround(fill);
      const job = pool
        ? pool.code(params, x, scan.missing, signal)
        : codeBlockYielding(params, x, scan.missing, signal);
      inFlight.push(job.then((c) => keep(b, c)).then(told(n)));
      if (!pool) await new Promise((r) => setTimeout(r, 0)); // lets a signal through
      if (inFlight.length >= workers) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } catch (e) {
    await spool.close();
    throw e;
  } finally {
    pool?.close();
  }
  const encodeSeconds = (performance.now() - start) / 1000;
  if (mask.count === T * H * W) fail("every value is missing");
  if (mask.count + nanCount === T * H * W) fail("every value is missing or NaN");

  // The learned-prediction choice of the whole file, as codeAll() makes it.
  const sizeOf = (f: BlockFigures) => f.bytes.reduce((a, c) => a + c, 0);
  const learned = keepsLearned(
    spooled.map((s) => ({
      learned: s.own.learned,
      size: sizeOf(s.own.figures),
      fixedSize: s.fixed ? sizeOf(s.fixed.figures) : null,
    })),
    levels,
  );
  const stored = spooled.map((s) => {
    const use = !learned && s.fixed ? s.fixed : s.own;
    const convert = learned && !s.own.learned;
    const figures = convert
      ? { ...use.figures, bytes: use.figures.bytes.map((v, k) => v + (k > 0 ? 2 : 0)) }
      : use.figures;
    return { handles: use.handles, figures, convert };
  });
  const range = max - min;
  const levelReport = levelReports(stored.map((s) => s.figures), dims, levels, range);
  const interpolation = learned ? "learned" : cubic ? "cubic" : "linear";
  const plan = { levels, blockSize, keyInterval };
  const inputShape = options.inputShape ?? dims;
  const header = boundedHeader(dims, inputShape, plan, eb, interpolation, {
    dtype: options.dtype ?? source.dtype,
    missingCount: mask.count,
    fillValue: fill,
  });
  if (shard) header.shard = { first: shard.first, total: shard.total };
  const requested: BoundedReport["bound"]["requested"] = {};
  if (errorBound !== undefined) requested.errorBound = errorBound;
  if (relErrorBound !== undefined) requested.relErrorBound = relErrorBound;
  if (givenRange !== undefined) (requested as Record<string, unknown>).range = [...givenRange];
  const report = boundedReport({
    inputShape,
    eb,
    range,
    requested,
    trials: 1,
    keyInterval,
    interpolation,
    predictor,
    blockSize,
    encodeSeconds,
    levels: levelReport,
  });
  const meta = roundReport(report, options.reproducible ?? false);
  if (shard) {
    const figures: ShardFigures = {
      first: shard.first,
      total: shard.total,
      min: Number.isFinite(min) ? min : null,
      max: Number.isFinite(max) ? max : null,
      fillValue: fill ?? null,
      predictor,
      range: givenRange ? [givenRange[0], givenRange[1]] : null,
      blocks: spooled.map((s, b) => ({
        learned: s.own.learned,
        size: sizeOf(s.own.figures),
        fixedSize: s.fixed ? sizeOf(s.fixed.figures) : null,
        levels: Array.from({ length: levels }, (_, k) => levelFigures(stored[b].figures, k)),
      })),
    };
    meta.shard = figures;
  }
  try {
    const writer = new MrcWriter(sink, { signal, version });
    await writer.writeHeader(header);
    await writer.writeMeta(meta);
    if (options.attributes) await writer.writeAttributes(options.attributes);
    if (mask.count > 0) {
      await writer.writeChunk(
        CHUNK_TYPES.missingMask,
        mask.body(version),
      );
    }
    for (let k = 0; k < levels; k++) {
      for (let b = 0; b < blocks; b++) {
        const s = stored[b];
        let bytes = await spool.get(s.handles[k]);
        if (s.convert && k > 0) bytes = asLearned([new Uint8Array(0), bytes.slice()], cubic)[1];
        const n = Math.min(blockSize, T - b * blockSize);
        await writer.writeBoundedBlock(k, b, { snapshotCount: n, bytes });
      }
    }
    const bytes = await writer.finish();
    return { report, bytes, missing: mask.count };
  } finally {
    await spool.close();
  }
}
