// This module is browser compatible.
/**
 * The coding of one block of a bounded file at one bound, with its per-level error tallies: the
 * unit of work of bounded compression, run on the calling thread or in a worker
 * (`block_worker.ts`), with the same result either way.
 *
 * @module
 */

import {
  BlockCoder,
  type BlockParams,
  type LevelCodingStats,
  type QuantizedBlock,
  quantizedBlock,
} from "../bounded/block_coder.ts";
import { encodePredictor, fixedPredictor, isLearned, type Predictor } from "../bounded/learned.ts";
import { ErrorTally } from "../metrics.ts";
import { choosePredictors } from "./learn.ts";

/** What coding a block gives: per level, its `BCOD` bytes, its counts and its errors. */
export interface CodedBlock {
  /** Per level, the coded bytes; with `learned`, those of levels above 0 start with the record. */
  chunks: Uint8Array<ArrayBuffer>[];
  /**
   * Whether the block is coded with learned prediction (format 1.3): its levels above 0 start
   * with their predictor's record. Otherwise it is coded with the fixed interpolation of
   * `params.cubic`, as in 1.2.
   */
  learned: boolean;
  /** With `"auto"` and `learned`: the block's coding with the fixed interpolation. */
  fixed?: CodedBlock;
  stats: LevelCodingStats[];
  /** Per level: `[count, sumSquares, maxAbsError]` of the points whose level it is. */
  tallies: [number, number, number][];
}

/** Level of each row (column) index `i` of `n`: the coarsest level whose lattice holds it, or N. */
function lattice(n: number, N: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => {
    for (let k = 0; k < N; k++) if ((i + 1) % 2 ** (N - 1 - k) === 0) return k;
    return N;
  });
}

/**
 * Codes every level of a block and tallies the errors of its reconstruction. With `params.predictor`
 * `"auto"` or `"learned"`, the block is first coded with the fixed interpolation, the predictors
 * are chosen (and fitted) on that coding's reconstruction, and the block is coded again with
 * them; `"auto"` keeps the smaller of the two codings, so it is never larger than the fixed one.
 *
 * @param x The block's `n * H * W` values.
 * @param missing Its missing mask, or null.
 */
export function codeBlock(
  params: BlockParams,
  x: Float32Array | Float64Array,
  missing: Uint8Array | null,
): CodedBlock {
  const parts = codeBlockInParts(params, x, missing);
  for (let r = parts.next();; r = parts.next()) if (r.done) return r.value;
}

/**
 * Share of a block's coding time that level `k` of `N` takes: its share of the points (level 0
 * `4^-(N-1)`, level k > 0 `3 * 4^-(N-k)`, the points it adds), which sets the work of a
 * (snapshot, level). The shares sum to 1.
 */
function levelShare(k: number, N: number): number {
  return k === 0 ? 4 ** -(N - 1) : 3 * 4 ** -(N - k);
}

/** Share of a block's time taken by the error tallies after the levels (measured about 5%). */
const TALLY_SHARE = 0.05;

/**
 * {@linkcode codeBlock} in steps: the generator yields after each (snapshot, level) and after each
 * snapshot of the error tallies, the share of the block done so far (0 to 1, by points; with
 * `"auto"` or `"learned"` the first coding counts for the first half), and returns the coded
 * block. The result is the same as `codeBlock`'s; a caller on a thread it must keep responsive
 * yields to its event loop between parts (a part is one snapshot's plane).
 *
 * @param x The block's `n * H * W` values.
 * @param missing Its missing mask, or null.
 */
export function* codeBlockInParts(
  params: BlockParams,
  x: Float32Array | Float64Array,
  missing: Uint8Array | null,
): Generator<number, CodedBlock, void> {
  const predictor = params.predictor ?? (params.cubic ? "cubic" : "linear");
  const twice = predictor === "auto" || predictor === "learned";
  const coding = (1 - TALLY_SHARE) * (twice ? 0.5 : 1);
  const first = yield* codeLevels(
    { ...params, learned: false, predictors: undefined },
    x,
    missing,
    0,
    coding,
  );
  let best = { ...first, learned: false };
  let from = coding;
  if (twice) {
    const { coder } = first;
    const size = (c: { chunks: Uint8Array[] }) => c.chunks.reduce((a, b) => a + b.length, 0);
    const { predictors, saving } = choosePredictors(
      { ...params, rec: coder.rec, schedule: coder.schedule, modes: coder.modes! },
      x,
      missing,
      predictor,
      first.chunks.map((c) => c.length),
    );
    const same = predictors.every((p, k) => k === 0 || (!isLearned(p) && p.cubic === params.cubic));
    // "auto" codes the block again only where the estimate promises at least 0.5%.
    if (predictor === "learned" || (!same && saving >= 0.005 * size(first))) {
      const second = yield* codeLevels(
        { ...params, learned: true, predictors },
        x,
        missing,
        coding,
        coding,
      );
      if (predictor === "learned" || size(second) < size(first)) {
        best = { ...second, learned: true };
      }
    }
    from = 2 * coding;
    yield from;
  }
  const out: CodedBlock = {
    ...(yield* tally(params, best.coder.rec, x, missing, from)),
    chunks: best.chunks,
    stats: best.stats,
    learned: best.learned,
  };
  // "auto": the fixed coding too, for a file whose learned blocks do not pay for the records the
  // others then need (codeAll() keeps the smaller file).
  if (best.learned && predictor === "auto") {
    const fixedTally = tally(params, first.coder.rec, x, missing, 1);
    for (let r = fixedTally.next();; r = fixedTally.next()) {
      if (r.done) {
        out.fixed = { ...r.value, chunks: first.chunks, stats: first.stats, learned: false };
        break;
      }
    }
  }
  return out;
}

/** How often coding on the calling thread yields to the event loop, in ms (a yield costs ~1 ms). */
export const YIELD_MS = 100;

/**
 * The pauses of coding on the calling thread: `due()` once `YIELD_MS` have passed since the last
 * pause; `pause(share)` tells `onShare`, lets the event loop run (a signal's listener) and throws
 * if `signal` aborted.
 */
function yielder(signal?: AbortSignal, onShare?: (share: number) => void) {
  let next = performance.now() + YIELD_MS;
  return {
    due: () => performance.now() >= next,
    async pause(share: number): Promise<void> {
      onShare?.(share);
      await new Promise((resolve) => setTimeout(resolve, 0));
      signal?.throwIfAborted();
      next = performance.now() + YIELD_MS;
    },
  };
}

/**
 * {@linkcode codeBlock} on the calling thread, in parts of one (snapshot, level): every
 * `YIELD_MS` the event loop runs, so that a signal's listener (Ctrl-C) can abort through
 * `signal`, and `onShare` is told the share of the block done. The result is `codeBlock`'s.
 */
export async function codeBlockYielding(
  params: BlockParams,
  x: Float32Array | Float64Array,
  missing: Uint8Array | null,
  signal?: AbortSignal,
  onShare?: (share: number) => void,
): Promise<CodedBlock> {
  const pauses = yielder(signal, onShare);
  const parts = codeBlockInParts(params, x, missing);
  let r = parts.next();
  for (; !r.done; r = parts.next()) if (pauses.due()) await pauses.pause(r.value);
  onShare?.(1);
  return r.value;
}

/**
 * Whether a block can be coded split in two halves on two threads ({@linkcode codeBlockSplit}):
 * with a fixed interpolation (`auto` and `learned` code a block twice, choosing between codings),
 * where memory can be shared.
 */
export function splittable(predictor: Predictor): boolean {
  return (predictor === "cubic" || predictor === "linear") &&
    typeof SharedArrayBuffer !== "undefined" && typeof Atomics !== "undefined";
}

/** The buffers of a split coding that both threads hold: the block's reconstruction and codes. */
export interface SplitBuffers {
  /** The reconstruction, `[n][H][W]`, shared. */
  rec: Float32Array;
  /** The clamped codes, shared. */
  q: Int16Array;
  /** The quantization, shared. */
  quantized: QuantizedBlock;
}

/**
 * The coding half of a split coding (on a worker): codes every level of the block from what the
 * quantizing half writes into the shared `buffers`, waiting on `quantized.progress` with
 * `Atomics.wait` (so not on a thread that must stay responsive). Returns each level's bytes, those
 * {@linkcode codeBlock} gives.
 */
export function codeQuantizedBlock(
  params: BlockParams,
  missing: Uint8Array | null,
  buffers: SplitBuffers,
): Uint8Array<ArrayBuffer>[] {
  const { rec, q, quantized } = buffers, progress = quantized.progress;
  const coder = new BlockCoder(params, missing, { rec, q, levelsDone: 0 });
  const wait = (units: number) => {
    for (let v = Atomics.load(progress, 0); v < units; v = Atomics.load(progress, 0)) {
      Atomics.wait(progress, 0, v);
    }
  };
  return Array.from({ length: params.levels }, () => coder.codeQuantizedLevel(quantized, wait));
}

/**
 * {@linkcode codeBlock} split in two halves that run at once: this thread chooses the modes and
 * quantizes (the predictions, about 55-65% of the time), while `coderHalf` (a worker running
 * {@linkcode codeQuantizedBlock} on the same shared buffers) codes the units already quantized;
 * then this thread tallies the errors. Every `YIELD_MS` the event loop runs (a signal, `onShare`).
 * The result is `codeBlock`'s, byte for byte; its shared buffers hold 18 bytes per value (`rec`,
 * `q`, the codes and their predictions), 12 more than one thread's coding.
 *
 * @param coderHalf Starts the coding half on the buffers and gives its bytes per level.
 */
export async function codeBlockSplit(
  params: BlockParams,
  x: Float32Array | Float64Array,
  missing: Uint8Array | null,
  coderHalf: (buffers: SplitBuffers) => Promise<Uint8Array<ArrayBuffer>[]>,
  signal?: AbortSignal,
  onShare?: (share: number) => void,
): Promise<CodedBlock> {
  const { n, H, W, levels: N } = params, size = n * H * W;
  const buffers: SplitBuffers = {
    rec: new Float32Array(new SharedArrayBuffer(4 * size)),
    q: new Int16Array(new SharedArrayBuffer(2 * size)),
    quantized: quantizedBlock(n, H, W, N, true),
  };
  const coding = coderHalf(buffers);
  // Awaited below, unless this half fails first: then its rejection is not unhandled.
  coding.catch(() => {});
  const coder = new BlockCoder(params, missing, {
    rec: buffers.rec,
    q: buffers.q,
    levelsDone: 0,
  });
  const pauses = yielder(signal, onShare);
  const pause = async (share: number) => {
    if (pauses.due()) await pauses.pause(share);
  };
  const stats: LevelCodingStats[] = [];
  let before = 0;
  for (let k = 0; k < N; k++) {
    const part = (1 - TALLY_SHARE) * levelShare(k, N);
    const snapshots = coder.quantizeLevel(x, buffers.quantized);
    for (let r = snapshots.next();; r = snapshots.next()) {
      if (r.done) {
        stats.push(r.value);
        break;
      }
      await pause(before + part * r.value / n);
    }
    before += part;
  }
  const tallies = tally(params, coder.rec, x, missing, before);
  let r = tallies.next();
  for (; !r.done; r = tallies.next()) await pause(r.value);
  const chunks = await coding;
  onShare?.(1);
  return { chunks, learned: false, stats, tallies: r.value.tallies };
}

/**
 * The chunks of a block coded without learned prediction, as a block of a file with it: each
 * level above 0 prefixed with the record of the fixed interpolation `cubic` (2 bytes).
 */
export function asLearned(
  chunks: Uint8Array<ArrayBuffer>[],
  cubic: boolean,
): Uint8Array<ArrayBuffer>[] {
  const record = encodePredictor(fixedPredictor(cubic));
  return chunks.map((c, k) => {
    if (k === 0) return c;
    const out = new Uint8Array(record.length + c.length);
    out.set(record);
    out.set(c, record.length);
    return out;
  });
}

/**
 * Codes every level of a block, yielding the share done after each (snapshot, level): from
 * `before`, `share` for all the levels.
 */
function* codeLevels(
  params: BlockParams,
  x: Float32Array | Float64Array,
  missing: Uint8Array | null,
  before: number,
  share: number,
): Generator<
  number,
  { coder: BlockCoder; chunks: Uint8Array<ArrayBuffer>[]; stats: LevelCodingStats[] },
  void
> {
  const { n, levels: N } = params;
  const coder = new BlockCoder(params, missing);
  coder.modes = new Int8Array(N * n);
  const chunks: Uint8Array<ArrayBuffer>[] = [], stats: LevelCodingStats[] = [];
  for (let k = 0; k < N; k++) {
    const part = share * levelShare(k, N);
    const snapshots = coder.encodeLevelBySnapshot(x);
    for (let r = snapshots.next();; r = snapshots.next()) {
      if (r.done) {
        chunks.push(r.value.bytes);
        stats.push(r.value.stats);
        break;
      }
      yield before + part * r.value / n;
    }
    before += part;
    yield before;
  }
  return { coder, chunks, stats };
}

/**
 * The per-level error tallies of a block's reconstruction `rec`, yielding the share done after
 * each snapshot (from `before`, `TALLY_SHARE` for all).
 */
function* tally(
  params: BlockParams,
  rec: Float32Array,
  x: Float32Array | Float64Array,
  missing: Uint8Array | null,
  before: number,
): Generator<number, { tallies: [number, number, number][] }, void> {
  const { n, H, W, levels: N } = params;
  // Errors: a point belongs to level max(rowLevel, colLevel) and to every finer one. Missing
  // points are left out; a NaN at any other point is a value and must come back bit for bit.
  const rowLevel = lattice(H, N), colLevel = lattice(W, N);
  const tallies = Array.from({ length: N }, () => new ErrorTally({ nanBits: true }));
  const plane = H * W;
  for (let t = 0; t < n; t++) {
    for (let i = 0; i < H; i++) {
      const lr = rowLevel[i];
      if (lr >= N) continue;
      for (let j = 0; j < W; j++) {
        const lv = Math.max(lr, colLevel[j]);
        if (lv >= N) continue;
        const g = t * plane + i * W + j;
        if (missing && missing[g]) continue;
        tallies[lv].add(x[g], rec[g]);
      }
    }
    if (t + 1 < n) yield before + TALLY_SHARE * (t + 1) / n;
  }
  return { tallies: tallies.map((t) => [t.count, t.sumSquares, t.maxAbsError]) };
}
