// This module is browser compatible.
/**
 * Bounded coding of one block of snapshots, level by level (SPEC.md §4.7): the walk over a level's
 * points, the modes and the flags. The parts it walks with are apart: the predictions in
 * `predict.ts`, the context layout in `contexts.ts`, the binarization in `symbols.ts`, the range
 * coder in `range_coder.ts`, the schedule and the bounds in `plan.ts`.
 *
 * One walk serves both directions. The encoder first quantizes a (snapshot, level) whole, which
 * fixes its `rec` and `q` (the decoder's values) and its codes; the walk then computes every
 * context from `rec` and `q` exactly as the decoder does while it decodes, and codes the codes
 * the encoder has, or decodes them.
 *
 * @module
 */

import { blockSchedule, levelBound, type PlannedSnapshot } from "./plan.ts";
import { RangeDecoder, RangeEncoder } from "../../format/_range_coder.ts";
import {
  ChunkModels,
  levelFlagContext,
  modeBase,
  prefixBase,
  rowFlagContext,
  signContext,
  zeroBase,
  zeroContext,
} from "./contexts.ts";
import { axisTable, predictRow, timeBase } from "./predict.ts";
import {
  decodePredictor,
  encodePredictor,
  filterRow,
  filterWeights,
  fixedPredictor,
  interiorColumns,
  type LevelPredictor,
  type Predictor,
  tapOffsets,
} from "./learned.ts";
import { codeCost, decodeCode, decodeEscaped, encodeCode, ESCAPE } from "./symbols.ts";

export { ESCAPE } from "./symbols.ts";

/** Prediction modes of a (snapshot, level). */
export const MODE_SPACE = 0, MODE_TIME = 1, MODE_TIME_SPACE = 2;

/** What a block coder needs to know; the same on both sides. */
export interface BlockParams {
  /** Snapshots in the block. */
  n: number;
  H: number;
  W: number;
  /** Levels, >= 1. */
  levels: number;
  /** Key interval, a power of two. */
  keyInterval: number;
  /** The bound, > 0, in the data's units. */
  bound: number;
  /**
   * Cubic (true) or linear (false) spatial interpolation; with `learned`, the encoder's default
   * where `predictors` gives none.
   */
  cubic: boolean;
  /**
   * Learned prediction (format 1.3, `bound.interpolation` `"learned"`): the coded bytes of each
   * level above 0 start with the level's predictor (SPEC.md §4.7.5), read by the decoder.
   */
  learned?: boolean;
  /**
   * Encoder only: the predictor of each level (index = level; level 0's is not used), where
   * absent the fixed interpolation `cubic`. Without `learned`, only fixed predictors equal to
   * `cubic` are allowed (a 1.2 file has no place for anything else).
   */
  predictors?: LevelPredictor[];
  /**
   * Encoder only, for `codeBlock` (src/encode/code_block.ts): how it chooses the predictors.
   * Default: the fixed interpolation `cubic`.
   */
  predictor?: Predictor;
  /**
   * Experimental, not in the format (the bench's ablation): a prediction of the whole block,
   * `[n][H][W]`, used instead of the time interpolation as the base of modes time and time+space,
   * for every snapshot (keyframes included). The bench feeds it the MrCAE model's reconstruction.
   */
  externalBase?: Float32Array;
  /**
   * Encoder only, not in the format: a binary32 value no coded point may reconstruct to (the fill
   * value of a file in fill mode, so that no valid value reads as missing). A point whose
   * reconstruction would be it is escaped, and an escape that would be it is moved to the nearest
   * other binary32 value within the bound.
   */
  avoid?: number;
}

/** What the encoder coded, for the bench's entropy-coder ablation. */
export interface CodeLog {
  /** Every coded code, in coding order (escapes as 2^20). */
  codes: number[];
  /** Every (snapshot, level): `mode * 2 + allZero`. */
  side: number[];
}

/** Bytes and counts of an encoded level, for reports. */
export interface LevelCodingStats {
  /** Points with a non-zero code. */
  nonzero: number;
  /** Points stored exactly. */
  escapes: number;
  /** (snapshot, level) pairs per mode `[space, time, time+space]`. */
  modes: [number, number, number];
  /** (snapshot, level) pairs whose codes are all zero. */
  zeroLevels: number;
}

/**
 * Bytes per snapshot of a block's schedule (`blockSchedule()`: an object and two small arrays per
 * snapshot; 225 to 440 bytes measured in Deno 2.9's V8 for key intervals 1 to 65536).
 */
const SCHEDULE_BYTES = 512;

/**
 * Bytes a decoder's block coders hold for `blocks` blocks of `n` snapshots in all, planes of
 * `H x W` and `levels` levels: per value the float32 reconstruction and int16 codes, per snapshot
 * the schedule, per block two float64 planes, the float64 axis weights of rows and columns of each
 * level above 0 (4 per coordinate) and the row buffers (two float64, one int32). The one formula of the
 * decode budget (`src/read/_budget.ts`) and of the coder cache. The missing mask is the file's.
 */
export function blockCoderBytes(
  n: number,
  H: number,
  W: number,
  levels: number,
  blocks = 1,
): number {
  return (6 * H * W + SCHEDULE_BYTES) * n +
    blocks * (16 * H * W + 32 * (H + W) * (levels - 1) + 20 * W);
}

/** What a block coder has decoded: all a coder of the same block and parameters continues from. */
export interface BlockCoderState {
  /** The reconstruction, `[n][H][W]`. */
  rec: Float32Array;
  /** The clamped codes, `[n][H][W]`. */
  q: Int16Array;
  /** Levels done. */
  levelsDone: number;
}

/** Sign class of a code: 0 zero, 1 positive, 2 negative. */
function sign(v: number): number {
  return v > 0 ? 1 : v < 0 ? 2 : 0;
}

const ALL_MODES = [MODE_SPACE, MODE_TIME, MODE_TIME_SPACE];

/** Modes a (snapshot, level) may choose from, the first being the default (SPEC.md §4.7.2). */
export function allowedModes(f: PlannedSnapshot, k: number): number[] {
  if (f.nodes.length === 0) return [MODE_SPACE];
  if (f.key) return k === 0 ? [MODE_SPACE, MODE_TIME] : [MODE_SPACE];
  return [MODE_SPACE, MODE_TIME, MODE_TIME_SPACE];
}

/** Extra estimated bits of a mode other than the (snapshot kind's) last one. */
const MODE_SWITCH_COST = 3;

/**
 * The reconstruction of one block and the coder that extends it by one level at a time. Level `k`
 * must be coded (or decoded) after levels `0 .. k-1` of the same block.
 */
export class BlockCoder {
  readonly params: BlockParams;
  /** Reconstructed values, `[n][H][W]`; valid at the points of the levels done so far. */
  readonly rec: Float32Array;
  /** Clamped codes (escapes as 1), for contexts. */
  readonly q: Int16Array;
  /** 1 = missing, `[n][H][W]`, or null. */
  readonly missing: Uint8Array | null;
  /** Levels done. */
  levelsDone = 0;
  /**
   * When set, `[levels][n]`: the mode of every (level, snapshot) coded so far (the encoder's
   * choice of learned filters reads it).
   */
  modes: Int8Array | null = null;
  /** When set, the encoder records what it codes here (the bench's entropy-coder ablation). */
  log: CodeLog | null = null;
  readonly schedule: PlannedSnapshot[];
  readonly #rowW: Float64Array[];
  readonly #colW: Float64Array[];
  /** The time base of the current snapshot, `[H][W]`. */
  readonly #base: Float64Array;
  /** Zeros: the base of mode space. */
  readonly #zero: Float64Array;
  /** Encoder: codes of the current (snapshot, level) in coding order (missing points 0). */
  #codesBuffer: Int32Array | null = null;
  /** Encoder: their predictions. */
  #predsBuffer: Float64Array | null = null;
  /**
   * Encoder, per mode: the predictions of passes 1 and 2 that the mode estimate made for the
   * current (snapshot, level), in coding order, which quantization reuses (`#estimated[m]`: they
   * are this unit's; pass 2's are not reused where a learned filter changes them).
   */
  #modePreds: Float64Array[] = [];
  #estimated = [false, false, false];
  /** Predictions of a row. */
  readonly #rowPred: Float64Array;
  /** Predictions of a row's right edge, beyond a filter's interior. */
  readonly #edgePred: Float64Array;
  /** The predictor of the level being coded, and its filters' tap offsets per pass. */
  #predictor: LevelPredictor;
  #offsets: Int32Array[] = [];
  /** Its filters' weights as binary64 numbers, per pass (null: none). */
  #weights: (Float64Array | null)[] = [null, null, null];
  /** Per level: whether its axis weights are cubic. */
  readonly #tableCubic: boolean[];

  /**
   * A coder of a block with no level decoded, or, with `state`, one that continues from the
   * reconstruction and codes of another coder of the same block and parameters (its `rec`, `q`
   * and `levelsDone`, e.g. sent from another thread), which it keeps (no copy).
   */
  constructor(
    params: BlockParams,
    missing: Uint8Array | null = null,
    state: BlockCoderState | null = null,
  ) {
    const { n, H, W, levels, keyInterval } = params;
    this.params = params;
    if (state !== null) {
      const { rec, q, levelsDone } = state;
      if (rec.length !== n * H * W || q.length !== n * H * W) {
        throw new RangeError(`a block coder's state must hold ${n * H * W} values`);
      }
      if (!Number.isInteger(levelsDone) || levelsDone < 0 || levelsDone > levels) {
        throw new RangeError(`a block coder's levels done must be 0 to ${levels}`);
      }
      this.rec = rec;
      this.q = q;
      this.levelsDone = levelsDone;
    } else {
      this.rec = new Float32Array(n * H * W);
      this.q = new Int16Array(n * H * W);
    }
    this.missing = missing;
    this.schedule = blockSchedule(n, keyInterval);
    this.#rowW = [];
    this.#colW = [];
    for (let k = 0; k < levels; k++) {
      const s = 2 ** (levels - 1 - k);
      this.#rowW.push(k === 0 ? new Float64Array(0) : axisTable(H, s, params.cubic));
      this.#colW.push(k === 0 ? new Float64Array(0) : axisTable(W, s, params.cubic));
    }
    this.#base = new Float64Array(H * W);
    this.#zero = new Float64Array(H * W);
    this.#rowPred = new Float64Array(W);
    this.#edgePred = new Float64Array(W);
    this.#predictor = fixedPredictor(params.cubic);
    this.#tableCubic = Array.from({ length: levels }, () => params.cubic);
  }

  /**
   * Encodes the next level from the block's values.
   *
   * @param x The block's `n * H * W` values (missing positions are not read).
   * @returns The range-coded bytes and counts.
   */
  encodeLevel(x: ArrayLike<number>): { bytes: Uint8Array<ArrayBuffer>; stats: LevelCodingStats } {
    const snapshots = this.encodeLevelBySnapshot(x);
    for (let r = snapshots.next();; r = snapshots.next()) if (r.done) return r.value;
  }

  /**
   * {@linkcode encodeLevel} one snapshot at a time: the generator yields the number of the
   * block's snapshots coded so far after each one, and returns what `encodeLevel` returns. A
   * caller that codes on the thread it must keep responsive (a signal, a progress bar) yields to
   * its event loop between snapshots; a snapshot is `H * W` values at most.
   *
   * @param x The block's `n * H * W` values (missing positions are not read).
   * @returns The range-coded bytes and counts, when done.
   */
  *encodeLevelBySnapshot(
    x: ArrayLike<number>,
  ): Generator<number, { bytes: Uint8Array<ArrayBuffer>; stats: LevelCodingStats }, void> {
    const record = this.#encoderPredictor();
    const enc = new RangeEncoder();
    const stats = yield* this.#runLevel(enc, null, x);
    return { bytes: withRecord(record, enc.finish()), stats };
  }

  /**
   * The first half of {@linkcode encodeLevel} for a split coding (on this thread, while another
   * runs {@linkcode codeQuantizedLevel} on a coder of the same block sharing `rec` and `q`):
   * chooses the mode of each (snapshot, level) and quantizes it, setting `rec` and `q` and
   * writing its mode and codes into `into`. After each unit it counts it in `into.progress` (an
   * atomic add, with a notify, when its buffer is shared), and after each snapshot the generator
   * yields the snapshots done so far.
   *
   * @param x The block's `n * H * W` values (missing positions are not read).
   * @param into The block's quantization, from {@linkcode quantizedBlock}.
   * @returns The level's counts, when done: those `encodeLevel` gives.
   */
  *quantizeLevel(
    x: ArrayLike<number>,
    into: QuantizedBlock,
  ): Generator<number, LevelCodingStats, void> {
    const k = this.#startLevel();
    this.#encoderPredictor();
    const { n, H, W, levels } = this.params;
    this.#encoderCodes(H * W); // the mode estimate's buffers
    const lastMode = Int8Array.of(3, 3);
    const stats = emptyStats();
    const start = unitStart(H, W, levels, n, k), size = unitPoints(H, W, levels, k);
    const shared = into.progress.buffer instanceof SharedArrayBuffer;
    let j = 0;
    for (const f of this.schedule) {
      if (j > 0) yield j;
      const w = this.#walk(k, f, null);
      const modes = this.#modesOf(f, k);
      const off = start + j * size;
      const codes = into.codes.subarray(off, off + size);
      const preds = into.preds.subarray(off, off + size);
      const { nonzero, escapes } = this.#quantizeUnit(k, f, w, modes, lastMode, x, codes, preds);
      const allZero = nonzero === 0;
      countUnit(stats, w.mode, allZero, nonzero, escapes);
      if (this.modes !== null) this.modes[k * n + f.t] = w.mode;
      into.units[k * n + j] = w.mode + (allZero ? 4 : 0);
      if (shared) {
        Atomics.add(into.progress, 0, 1);
        Atomics.notify(into.progress, 0);
      } else into.progress[0]++;
      j++;
    }
    this.levelsDone++;
    return stats;
  }

  /**
   * The second half of {@linkcode encodeLevel} for a split coding: codes the next level from the
   * modes and codes that {@linkcode quantizeLevel} (on another coder of the block, whose `rec`
   * and `q` this one shares) writes into `from`. Before each (snapshot, level) not yet in
   * `from.progress`, it calls `wait` with the number of units it needs (in a worker:
   * `Atomics.wait` on `from.progress`). The bytes are those `encodeLevel` gives.
   *
   * @param from The block's quantization.
   * @param wait Returns once `from.progress[0]` has reached its argument.
   * @returns The level's range-coded bytes.
   */
  codeQuantizedLevel(
    from: QuantizedBlock,
    wait: (units: number) => void,
  ): Uint8Array<ArrayBuffer> {
    const k = this.#startLevel();
    const record = this.#encoderPredictor();
    const { n, H, W, levels } = this.params;
    const enc = new RangeEncoder();
    const models = new ChunkModels();
    const coding = { lastMode: Int8Array.of(3, 3), lastFlag: Int8Array.of(2, 2) };
    const start = unitStart(H, W, levels, n, k), size = unitPoints(H, W, levels, k);
    let j = 0;
    for (const f of this.schedule) {
      const u = k * n + j;
      if (Atomics.load(from.progress, 0) <= u) wait(u + 1);
      const w = this.#walk(k, f, models);
      const unit = from.units[u];
      w.mode = unit & 3;
      const off = start + j * size;
      const codes = from.codes.subarray(off, off + size);
      const preds = from.preds.subarray(off, off + size);
      this.#codeUnit(
        k,
        f,
        w,
        this.#modesOf(f, k),
        enc,
        null,
        unit >= 4,
        codes,
        preds,
        coding,
        null,
      );
      j++;
    }
    this.levelsDone++;
    return withRecord(record, enc.finish());
  }

  /**
   * Encoder: sets the predictor of the next level (the fixed interpolation, or `predictors`'
   * with `learned`) and gives its record, or null where the level has none.
   */
  #encoderPredictor(): Uint8Array | null {
    const k = this.levelsDone;
    const { learned, predictors, cubic } = this.params;
    if (k === 0 || k >= this.params.levels) return null;
    const p = predictors?.[k] ?? fixedPredictor(cubic);
    if (!learned && (p.cubic !== cubic || p.filters.some((f) => f !== null))) {
      throw new RangeError("a level predictor other than the fixed interpolation needs learned");
    }
    this.#usePredictor(k, p);
    return learned ? encodePredictor(p) : null;
  }

  /** The level to code next, checked. */
  #startLevel(): number {
    const k = this.levelsDone, levels = this.params.levels;
    if (k >= levels) throw new RangeError(`block already has all ${levels} levels`);
    return k;
  }

  /**
   * Decodes the next level.
   *
   * @param bytes The level's range-coded bytes.
   * @returns Bytes the decoder read (more than `bytes.length` means the bytes were cut short).
   * @throws {RangeError} When the level's predictor (learned prediction) is invalid or the first
   *   range-coded byte is not 0.
   */
  decodeLevel(bytes: Uint8Array): number {
    const k = this.levelsDone;
    let start = 0;
    if (this.params.learned && k > 0 && k < this.params.levels) {
      const { predictor, length } = decodePredictor(bytes);
      this.#usePredictor(k, predictor);
      start = length;
    }
    // SPEC.md §4.7.4: the first range-coded byte is 0.
    if (bytes.length > start && bytes[start] !== 0) {
      throw new RangeError(`the first range-coded byte is ${bytes[start]}, must be 0`);
    }
    const dec = new RangeDecoder(start === 0 ? bytes : bytes.subarray(start));
    const snapshots = this.#runLevel(null, dec, null);
    while (!snapshots.next().done);
    return start + dec.position;
  }

  /** Sets the predictor of level `k`: its axis weights (linear or cubic) and filters. */
  #usePredictor(k: number, p: LevelPredictor): void {
    const { H, W, levels } = this.params;
    const s = 2 ** (levels - 1 - k);
    if (p.cubic !== this.#tableCubic[k]) {
      this.#rowW[k] = axisTable(H, s, p.cubic);
      this.#colW[k] = axisTable(W, s, p.cubic);
      this.#tableCubic[k] = p.cubic;
    }
    this.#predictor = p;
    this.#offsets = p.filters.some((f) => f !== null) ? tapOffsets(s, W) : [];
    this.#weights = p.filters.map((f) => f === null ? null : filterWeights(f));
  }

  /**
   * The predictions of row `y`'s new points of pass `pass` (predict.ts `predictRow`), then, where
   * the level's predictor has a filter for the pass and the mode is not time, the filter's at the
   * interior points (learned.ts `filterRow`), unless `filtered` is false (the mode estimate's
   * pass 2, where the pass-1 points a filter reads are not quantized yet).
   */
  #predict(
    filtered: boolean,
    k: number,
    o0: number,
    bs: Float64Array,
    space: boolean,
    timeOnly: boolean,
    pass: number,
    y: number,
    x0: number,
  ): number {
    const { H, W, levels } = this.params;
    const s = 2 ** (levels - 1 - k), s2 = 2 * s, sw = s * W;
    const rec = this.rec, out = this.#rowPred, colW = this.#colW[k], rowW = this.#rowW[k];
    const f = this.#weights[pass - 1];
    const span = filtered && f !== null && !timeOnly
      ? interiorColumns(pass, y, x0, s2, s, H, W)
      : null;
    if (span === null) {
      return predictRow(rec, o0, bs, space, timeOnly, pass, y, x0, s2, s, sw, W, colW, rowW, out);
    }
    // predict.ts's fixed predictions of the points from..to-1 into `into`.
    const fixed = (from: number, to: number, into: Float64Array) =>
      predictRow(rec, o0, bs, space, timeOnly, pass, y, from, s2, s, sw, W, colW, rowW, into, to);
    // The fixed predictions left and right of the interior, the filter's inside it.
    const [xL, xR] = span;
    const left = fixed(x0, xL, out);
    const inside = (xR - xL) / s2;
    filterRow(rec, o0, bs, y, xL, xR, s2, W, f!, this.#offsets[pass - 1], out, left, space);
    const edge = this.#edgePred, right = fixed(xR, W, edge);
    for (let i = 0; i < right; i++) out[left + inside + i] = edge[i];
    return left + inside + right;
  }

  /** One level, yielding the snapshots done after each snapshot. */
  *#runLevel(
    enc: RangeEncoder | null,
    dec: RangeDecoder | null,
    x: ArrayLike<number> | null,
  ): Generator<number, LevelCodingStats, void> {
    const k = this.#startLevel();
    const models = new ChunkModels();
    const coding = { lastMode: Int8Array.of(3, 3), lastFlag: Int8Array.of(2, 2) };
    // The quantizing half's own last modes: they run one unit ahead of the coding half's.
    const quantizing = Int8Array.of(3, 3);
    const stats = emptyStats();
    const codes = enc ? this.#encoderCodes(this.params.H * this.params.W) : null;
    const preds = enc ? this.#predsBuffer : null;
    let done = 0;
    for (const f of this.schedule) {
      if (done > 0) yield done;
      done++;
      const w = this.#walk(k, f, models);
      const modes = this.#modesOf(f, k);
      let allZero = false;
      if (enc) {
        const { nonzero, escapes } = this.#quantizeUnit(
          k,
          f,
          w,
          modes,
          quantizing,
          x!,
          codes!,
          preds!,
        );
        allZero = nonzero === 0;
        stats.nonzero += nonzero;
        stats.escapes += escapes;
      }
      this.#codeUnit(k, f, w, modes, enc, dec, allZero, codes, preds, coding, stats);
    }
    this.levelsDone++;
    return stats;
  }

  /** The state of (snapshot, level) `f`, `k` at the start of its coding (mode space). */
  #walk(k: number, f: PlannedSnapshot, models: ChunkModels | null): Walk {
    const { levels, H, W, bound, keyInterval } = this.params;
    const plane = H * W;
    return {
      o0: f.t * plane,
      oref: f.ref >= 0 ? f.ref * plane : -1,
      fc: f.key ? 0 : 1,
      eb: levelBound(bound, levels, k, f, keyInterval),
      mode: MODE_SPACE,
      models: models!,
    };
  }

  /** The modes (snapshot, level) `f`, `k` may choose from. */
  #modesOf(f: PlannedSnapshot, k: number): number[] {
    return this.params.externalBase ? ALL_MODES : allowedModes(f, k);
  }

  /**
   * Encoder, the first half of a (snapshot, level): chooses its mode (into `w.mode`, from an
   * estimate of each allowed mode's bits) and quantizes it, its codes and predictions into `codes`
   * and `preds` in coding order. `lastMode` is the snapshot kinds' last modes, updated.
   */
  #quantizeUnit(
    k: number,
    f: PlannedSnapshot,
    w: Walk,
    modes: number[],
    lastMode: Int8Array,
    x: ArrayLike<number>,
    codes: Int32Array,
    preds: Float64Array,
  ): { nonzero: number; escapes: number } {
    this.#estimated.fill(false);
    if (modes.length > 1) {
      this.#timeBase(f, 2 ** (this.params.levels - 1 - k), false);
      let best = Infinity;
      for (const m of modes) {
        const cost = this.#estimate(k, m, w, x) + (m !== lastMode[w.fc] ? MODE_SWITCH_COST : 0);
        if (cost < best) {
          best = cost;
          w.mode = m;
        }
      }
    }
    lastMode[w.fc] = w.mode;
    return this.#quantize(k, w, x, codes, preds);
  }

  /**
   * The second half of a (snapshot, level), or all of it when decoding: the index of its mode, its
   * level flag and its codes, with their contexts. The encoder gives the mode (in `w.mode`),
   * `allZero` and the unit's codes and predictions in coding order; the decoder decodes them and
   * sets `rec` and `q`. The unit's mode and flag are counted in `stats` where given (the split
   * coding's quantizing half counts them).
   */
  #codeUnit(
    k: number,
    f: PlannedSnapshot,
    w: Walk,
    modes: number[],
    enc: RangeEncoder | null,
    dec: RangeDecoder | null,
    allZero: boolean,
    codes: Int32Array | null,
    preds: Float64Array | null,
    coding: { lastMode: Int8Array; lastFlag: Int8Array },
    stats: LevelCodingStats | null,
  ): void {
    const { lastMode, lastFlag } = coding, models = w.models;
    if (modes.length > 1) {
      // Truncated unary index into the allowed modes.
      const ctx = modeBase(w.fc, lastMode[w.fc]);
      const idx = modes.indexOf(w.mode);
      let j = 0;
      for (; j < modes.length - 1; j++) {
        const more = idx > j ? 1 : 0;
        if (
          !(enc
            ? (enc.encodeBit(models.O.counts, ctx + j, more), more)
            : dec!.decodeBit(models.O.counts, ctx + j))
        ) break;
      }
      w.mode = modes[j];
    }
    lastMode[w.fc] = w.mode;
    if (this.modes !== null) this.modes[k * this.params.n + f.t] = w.mode;
    const fctx = levelFlagContext(w.fc, w.mode, lastFlag[w.fc]);
    if (enc) enc.encodeBit(models.F.counts, fctx, allZero ? 1 : 0);
    else allZero = dec!.decodeBit(models.F.counts, fctx) === 1;
    lastFlag[w.fc] = allZero ? 1 : 0;
    if (stats !== null) countUnit(stats, w.mode, allZero, 0, 0);
    if (this.log && enc) this.log.side.push(w.mode * 2 + (allZero ? 1 : 0));
    if (dec) {
      // The decoder needs the time base only now; an all-zero level of mode time on k > 0 writes
      // the time prediction straight into rec (#fillTime).
      const s = 2 ** (this.params.levels - 1 - k);
      const fused = w.mode === MODE_TIME && k > 0 && allZero && !this.params.externalBase;
      if (fused) return this.#fillTime(f, s, w.o0);
      if (w.mode !== MODE_SPACE) this.#timeBase(f, s, w.mode === MODE_TIME && k > 0);
      if (allZero) return this.#fillZero(k, w);
    } else if (allZero) return;
    if (k === 0) this.#walkCoarsest(w, enc, dec, codes);
    else this.#walkRefine(k, w, enc, dec, codes, preds);
    if (this.log && enc) this.#logCodes(k, w, codes!);
  }

  /** The encoder's buffers, made on first use (a decoder never needs them). */
  #encoderCodes(plane: number): Int32Array {
    if (this.#codesBuffer === null) {
      this.#codesBuffer = new Int32Array(plane);
      this.#predsBuffer = new Float64Array(plane);
      this.#modePreds = ALL_MODES.map(() => new Float64Array(plane));
    }
    return this.#codesBuffer;
  }

  /** The time base of snapshot `f` at spacing `s` into `#base` (see predict.ts `timeBase`). */
  #timeBase(f: PlannedSnapshot, s: number, newOnly: boolean): void {
    const { H, W, externalBase } = this.params;
    if (externalBase) {
      const o = f.t * H * W;
      for (let y = s - 1; y < H; y += s) {
        for (let x = s - 1; x < W; x += s) this.#base[y * W + x] = externalBase[o + y * W + x];
      }
      return;
    }
    timeBase(this.rec, this.#base, H, W, f, s, newOnly);
  }

  /** Level 0's prediction at `p` (row-major order): Lorenzo on `rec - bs`, or `bs` alone. */
  #coarsestPrediction(
    p: number,
    x: number,
    y: number,
    o0: number,
    bs: Float64Array,
    lorenzo: boolean,
    S: number,
  ): number {
    const rec = this.rec, SW = S * this.params.W;
    let pred = bs[p];
    if (lorenzo) {
      const hl = x - S >= 0, hu = y - S >= 0;
      if (hl && hu) {
        pred += (rec[o0 + p - S] - bs[p - S]) + (rec[o0 + p - SW] - bs[p - SW]) -
          (rec[o0 + p - S - SW] - bs[p - S - SW]);
      } else if (hl) pred += rec[o0 + p - S] - bs[p - S];
      else if (hu) pred += rec[o0 + p - SW] - bs[p - SW];
    }
    return pred;
  }

  /**
   * Encoder: the estimated bits of mode `m` for this (snapshot, level). Level 0 (small) is
   * quantized whole in that mode; on finer levels only the points of passes 1 and 2, which read
   * coarser levels only, are quantized (times 1.5, the passes' share), and nothing is written.
   */
  #estimate(k: number, m: number, w: Walk, x: ArrayLike<number>): number {
    const { H, W, levels } = this.params;
    const missing = this.missing, o0 = w.o0;
    const inv = 1 / (2 * w.eb);
    const bs = m === MODE_SPACE ? this.#zero : this.#base;
    let cost = 0;
    if (k === 0) {
      const save = w.mode;
      w.mode = m;
      const codes = this.#codesBuffer!;
      this.#quantize(0, w, x, codes, this.#predsBuffer!);
      w.mode = save;
      const S = 2 ** (levels - 1);
      let i = 0;
      for (let y = S - 1; y < H; y += S) {
        for (let xx = S - 1; xx < W; xx += S) cost += codeCost(codes[i++]);
      }
      return cost;
    }
    const s = 2 ** (levels - 1 - k), s2 = 2 * s;
    const rowPred = this.#rowPred, store = this.#modePreds[m];
    let si = 0;
    for (let pass = 1; pass <= 2; pass++) {
      const y0 = pass === 1 ? s2 - 1 : s - 1, x0 = pass === 2 ? s2 - 1 : s - 1;
      for (let y = y0; y < H; y += s2) {
        const count = this.#predict(
          pass === 1,
          k,
          o0,
          bs,
          m === MODE_SPACE,
          m === MODE_TIME,
          pass,
          y,
          x0,
        );
        for (let i = 0, g = o0 + y * W + x0; i < count; i++, g += s2) {
          store[si++] = rowPred[i];
          if (missing !== null && missing[g]) continue;
          const d = (x[g] - rowPred[i]) * inv;
          const a = d < 0 ? -d : d;
          // NaN (a NaN value, or a prediction from one) is an escape. Else symbols.ts
          // `codeCost()` of the code round(a) = floor(a + 0.5), inline.
          if (!(a < 0.5)) cost += !(a < ESCAPE) ? 40 : 6 + 2 * (31 - Math.clz32(a + 0.5));
        }
      }
    }
    this.#estimated[m] = true;
    return 1.5 * cost;
  }

  /**
   * Encoder: quantizes every new point of level `k` of the snapshot in mode `w.mode`, setting
   * `rec` and `q` as the decoder will, and the codes and predictions in coding order.
   */
  #quantize(
    k: number,
    w: Walk,
    x: ArrayLike<number>,
    codes: Int32Array,
    preds: Float64Array,
  ): { nonzero: number; escapes: number } {
    const { H, W, levels, bound, avoid } = this.params;
    const rec = this.rec, q = this.q, missing = this.missing;
    const o0 = w.o0, eb = w.eb, step = 2 * eb, inv = 1 / step;
    const mode = w.mode;
    const bs = mode === MODE_SPACE ? this.#zero : this.#base;
    let nonzero = 0, escapes = 0, i = 0;
    const point = (g: number, pred: number): void => {
      preds[i] = pred;
      if (missing !== null && missing[g]) {
        rec[g] = pred + 0;
        q[g] = 0;
        codes[i++] = 0;
        return;
      }
      const xv = x[g];
      const v = Math.round((xv - pred) * inv);
      // A NaN value (with a fill value NaN is not missing) or a NaN prediction: v is NaN and the
      // check below fails, so the value is escaped with its bits.
      let escape = v >= ESCAPE || v <= -ESCAPE, r = 0;
      if (!escape) {
        r = Math.fround(pred + step * v);
        if (!(Math.abs(r - xv) <= eb) || r === avoid) escape = true;
      }
      if (escape) {
        const e = Math.fround(xv);
        rec[g] = e === avoid ? besides(avoid, xv, bound) : e;
        q[g] = 1;
        codes[i++] = ESCAPE;
        nonzero++;
        escapes++;
        return;
      }
      rec[g] = r;
      q[g] = v > 32767 ? 32767 : v < -32767 ? -32767 : v;
      codes[i++] = v;
      if (v !== 0) nonzero++;
    };
    if (k === 0) {
      const S = 2 ** (levels - 1), lorenzo = mode !== MODE_TIME;
      for (let y = S - 1; y < H; y += S) {
        for (let xx = S - 1; xx < W; xx += S) {
          const p = y * W + xx;
          point(o0 + p, this.#coarsestPrediction(p, xx, y, o0, bs, lorenzo, S));
        }
      }
      return { nonzero, escapes };
    }
    const s = 2 ** (levels - 1 - k), s2 = 2 * s;
    const rowPred = this.#rowPred;
    // The estimate's predictions of passes 1 and 2 in this mode, where they are the same.
    const stored = this.#estimated[mode] ? this.#modePreds[mode] : null;
    const reuse2 = mode === MODE_TIME || this.#weights[1] === null;
    let si = 0;
    for (let pass = 1; pass <= 3; pass++) {
      const y0 = pass === 1 ? s2 - 1 : s - 1, x0 = pass === 2 ? s2 - 1 : s - 1;
      const reuse = stored !== null && (pass === 1 || (pass === 2 && reuse2));
      const perRow = x0 < W ? Math.floor((W - 1 - x0) / s2) + 1 : 0;
      for (let y = y0; y < H; y += s2) {
        if (reuse) {
          for (let j = 0, g = o0 + y * W + x0; j < perRow; j++, g += s2) point(g, stored[si++]);
          continue;
        }
        const count = this.#predict(
          true,
          k,
          o0,
          bs,
          mode === MODE_SPACE,
          mode === MODE_TIME,
          pass,
          y,
          x0,
        );
        si += count;
        for (let j = 0, g = o0 + y * W + x0; j < count; j++, g += s2) point(g, rowPred[j]);
      }
    }
    return { nonzero, escapes };
  }

  /** Decoder, an all-zero (snapshot, level): every new point gets `rec = f32(pred + 0)`. */
  #fillZero(k: number, w: Walk): void {
    const { H, W, levels } = this.params;
    const rec = this.rec, q = this.q, o0 = w.o0, mode = w.mode;
    const bs = mode === MODE_SPACE ? this.#zero : this.#base;
    if (k === 0) {
      const S = 2 ** (levels - 1), lorenzo = mode !== MODE_TIME;
      for (let y = S - 1; y < H; y += S) {
        for (let x = S - 1; x < W; x += S) {
          const p = y * W + x;
          rec[o0 + p] = this.#coarsestPrediction(p, x, y, o0, bs, lorenzo, S) + 0;
          q[o0 + p] = 0;
        }
      }
      return;
    }
    const s = 2 ** (levels - 1 - k), s2 = 2 * s;
    const rowPred = this.#rowPred;
    for (let pass = 1; pass <= 3; pass++) {
      const y0 = pass === 1 ? s2 - 1 : s - 1, x0 = pass === 2 ? s2 - 1 : s - 1;
      for (let y = y0; y < H; y += s2) {
        const count = this.#predict(
          true,
          k,
          o0,
          bs,
          mode === MODE_SPACE,
          mode === MODE_TIME,
          pass,
          y,
          x0,
        );
        for (let j = 0, g = o0 + y * W + x0; j < count; j++, g += s2) {
          rec[g] = rowPred[j] + 0;
          q[g] = 0;
        }
      }
    }
  }

  /**
   * Decoder, an all-zero level of mode time on `k > 0`: `rec = f32(base + 0)` at the new points,
   * the base computed only there.
   */
  #fillTime(f: PlannedSnapshot, s: number, o: number): void {
    const { H, W } = this.params;
    this.#timeBase(f, s, true);
    const rec = this.rec, q = this.q, base = this.#base, coarse = 2 * s;
    for (let y = s - 1; y < H; y += s) {
      const dx = (y + 1) % coarse === 0 ? coarse : s;
      for (let x = s - 1; x < W; x += dx) {
        rec[o + y * W + x] = base[y * W + x] + 0;
        q[o + y * W + x] = 0;
      }
    }
  }

  /** Level 0's codes, row-major: coded from `codes` (encoder) or decoded into `rec` and `q`. */
  #walkCoarsest(
    w: Walk,
    enc: RangeEncoder | null,
    dec: RangeDecoder | null,
    codes: Int32Array | null,
  ): void {
    const { H, W, levels } = this.params;
    const S = 2 ** (levels - 1), SW = S * W;
    const rec = this.rec, q = this.q, missing = this.missing, m = w.models;
    const o0 = w.o0, oref = w.oref, fc = w.fc, mode = w.mode, step = 2 * w.eb;
    const bs = mode === MODE_SPACE ? this.#zero : this.#base, lorenzo = mode !== MODE_TIME;
    const zb = zeroBase(0, fc, mode), u = prefixBase(fc, 0);
    let i = 0;
    for (let y = S - 1; y < H; y += S) {
      for (let x = S - 1; x < W; x += S, i++) {
        const p = y * W + x, g = o0 + p;
        const pred = enc ? 0 : this.#coarsestPrediction(p, x, y, o0, bs, lorenzo, S);
        if (missing !== null && missing[g]) {
          if (dec) {
            rec[g] = pred + 0;
            q[g] = 0;
          }
          continue;
        }
        const nS = (x - S >= 0 && q[g - S] !== 0 ? 1 : 0) + (y - S >= 0 && q[g - SW] !== 0 ? 1 : 0);
        const sc = x - S >= 0 ? sign(q[g - S]) : 0;
        const nT = oref >= 0 && q[oref + p] !== 0 ? 1 : 0;
        const z = zeroContext(zb, nS, 0, nT, 0), gc = signContext(fc, sc, 0);
        if (enc) encodeCode(enc, m, codes![i], rec[g], z, gc, u);
        else setDecoded(rec, q, g, pred, step, decodeCode(dec!, m, z, gc, u), dec!);
      }
    }
  }

  /**
   * Level `k > 0`'s codes in three passes (rows, columns, centres) with their row flags: coded
   * from `codes` (encoder) or decoded into `rec` and `q`.
   */
  #walkRefine(
    k: number,
    w: Walk,
    enc: RangeEncoder | null,
    dec: RangeDecoder | null,
    codes: Int32Array | null,
    preds: Float64Array | null,
  ): void {
    const { H, W, levels } = this.params;
    const s = 2 ** (levels - 1 - k), s2 = 2 * s, sw = s * W, s2w = s2 * W;
    const rec = this.rec, q = this.q, missing = this.missing, m = w.models;
    const o0 = w.o0, oref = w.oref, fc = w.fc, mode = w.mode, eb = w.eb, step = 2 * eb;
    const bs = mode === MODE_SPACE ? this.#zero : this.#base;
    const space = mode === MODE_SPACE, timeOnly = mode === MODE_TIME;
    const rowPred = this.#rowPred;
    const R = m.R.counts;
    let i = 0; // index into codes/preds, in coding order
    for (let pass = 1; pass <= 3; pass++) {
      const y0 = pass === 1 ? s2 - 1 : s - 1, x0 = pass === 2 ? s2 - 1 : s - 1;
      const horizontal = pass !== 2, vertical = pass !== 1;
      const zb = zeroBase(pass, fc, mode);
      let prevRow = 0;
      for (let y = y0; y < H; y += s2) {
        const row = y * W;
        // 1. Predictions of the row: they read coarser points and earlier passes only.
        let count: number, pr: Float64Array, pi: number;
        if (enc) {
          count = 0;
          for (let x = x0; x < W; x += s2) count++;
          pr = preds!;
          pi = i;
        } else {
          count = this.#predict(true, k, o0, bs, space, timeOnly, pass, y, x0);
          pr = rowPred;
          pi = 0;
        }
        // 2. The row flag: its context counts non-zero neighbours of the row's points.
        let parents = 0;
        const up = y - s >= 0, down = y + s < H;
        for (let x = x0, g = o0 + row + x0; x < W && parents < 2; x += s2, g += s2) {
          if (horizontal) {
            if (x - s >= 0 && q[g - s] !== 0) parents++;
            if (x + s < W && q[g + s] !== 0) parents++;
          }
          if (vertical) {
            if (up && q[g - sw] !== 0) parents++;
            if (down && q[g + sw] !== 0) parents++;
          }
        }
        const rctx = rowFlagContext(pass, fc, mode, prevRow, parents);
        let zero: number;
        if (enc) {
          zero = 1;
          for (let j = i; j < i + count; j++) {
            if (codes![j] !== 0) {
              zero = 0;
              break;
            }
          }
          enc.encodeBit(R, rctx, zero);
        } else zero = dec!.decodeBit(R, rctx);
        prevRow = zero ? 1 : 2;
        if (zero) {
          if (dec) {
            for (let j = 0, g = o0 + row + x0; j < count; j++, g += s2) {
              rec[g] = rowPred[j] + 0;
              q[g] = 0;
            }
          }
          i += count;
          continue;
        }
        // 3. The codes, with their contexts.
        for (let j = 0, x = x0; j < count; j++, x += s2, i++) {
          const p = row + x, g = o0 + p;
          const pred = pr[pi + j];
          if (missing !== null && missing[g]) {
            if (dec) {
              rec[g] = pred + 0;
              q[g] = 0;
            }
            continue;
          }
          const nS = (x - s2 >= 0 && q[g - s2] !== 0 ? 1 : 0) +
            (y - s2 >= 0 && q[g - s2w] !== 0 ? 1 : 0);
          let nP = 0, sc = 0, alt = 0, na = 0;
          if (horizontal) {
            if (x - s >= 0) {
              const v = q[g - s];
              if (v !== 0) nP++;
              sc = v > 0 ? 1 : v < 0 ? 2 : 0;
              alt += rec[g - s];
              na++;
            }
            if (x + s < W) {
              if (q[g + s] !== 0) nP++;
              alt += rec[g + s];
              na++;
            }
          }
          if (vertical) {
            if (up) {
              const v = q[g - sw];
              if (v !== 0) nP++;
              if (sc === 0) sc = v > 0 ? 1 : v < 0 ? 2 : 0;
              alt += rec[g - sw];
              na++;
            }
            if (down) {
              if (q[g + sw] !== 0) nP++;
              alt += rec[g + sw];
              na++;
            }
          }
          // Activity: how far the prediction is from the plain mean of the nearest neighbours.
          const mean = alt / na;
          const dm = mean - pred;
          const d = (dm < 0 ? -dm : dm) / eb;
          const act = d < 0.125 ? 0 : d < 0.5 ? 1 : d < 1.5 ? 2 : 3;
          const sa = d >= 0.125 ? (mean > pred ? 1 : 2) : 0;
          const nT = oref >= 0 && q[oref + p] !== 0 ? 1 : 0;
          const z = zeroContext(zb, nS, nP, nT, act);
          const gc = signContext(fc, sc, sa), u = prefixBase(fc, nP);
          if (enc) encodeCode(enc, m, codes![i], rec[g], z, gc, u);
          else setDecoded(rec, q, g, pred, step, decodeCode(dec!, m, z, gc, u), dec!);
        }
      }
    }
  }

  /** The bench's log: the codes the walk coded (rows flagged all-zero and missing points are not). */
  #logCodes(k: number, w: Walk, codes: Int32Array): void {
    const { H, W, levels } = this.params;
    const missing = this.missing, log = this.log!;
    const push = (g: number, i: number) => {
      if (missing === null || !missing[g]) log.codes.push(codes[i]);
    };
    if (k === 0) {
      const S = 2 ** (levels - 1);
      let i = 0;
      for (let y = S - 1; y < H; y += S) {
        for (let x = S - 1; x < W; x += S) push(w.o0 + y * W + x, i++);
      }
      return;
    }
    const s = 2 ** (levels - 1 - k), s2 = 2 * s;
    let i = 0;
    for (let pass = 1; pass <= 3; pass++) {
      const y0 = pass === 1 ? s2 - 1 : s - 1, x0 = pass === 2 ? s2 - 1 : s - 1;
      for (let y = y0; y < H; y += s2) {
        const start = i;
        let count = 0, any = false;
        for (let x = x0; x < W; x += s2, count++) if (codes[start + count] !== 0) any = true;
        if (any) { for (let x = x0, j = 0; x < W; x += s2, j++) push(w.o0 + y * W + x, start + j); }
        i += count;
      }
    }
  }
}

/**
 * A block's quantization, written by {@linkcode BlockCoder.quantizeLevel} and read by
 * {@linkcode BlockCoder.codeQuantizedLevel} (a split coding, on two threads when its buffers are
 * shared). Unit `k * n + j` is the `j`th snapshot of the schedule at level `k`; its codes and
 * predictions, in coding order, start at `unitStart(k) + j * unitPoints(k)`.
 */
export interface QuantizedBlock {
  /** Every unit's codes (escapes as `ESCAPE`, missing points 0), `n * H * W` in all. */
  codes: Int32Array;
  /** Their predictions. */
  preds: Float64Array;
  /** Per unit: its mode, plus 4 where its codes are all zero. */
  units: Int8Array;
  /** `[0]`: the units quantized so far. */
  progress: Int32Array;
}

/**
 * An empty quantization of a block of `n` snapshots of `H x W`, in SharedArrayBuffers where
 * `shared` (then the coder's own `rec` and `q` must be shared too, for the other thread to read).
 */
export function quantizedBlock(n: number, H: number, W: number, levels: number, shared: boolean) {
  const buffer = (bytes: number) => shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  const size = n * H * W;
  return {
    codes: new Int32Array(buffer(4 * size)),
    preds: new Float64Array(buffer(8 * size)),
    units: new Int8Array(buffer(levels * n)),
    progress: new Int32Array(buffer(4)),
  } satisfies QuantizedBlock;
}

/** Points of a unit of level `k` in coding order (missing ones included): the level's new points. */
export function unitPoints(H: number, W: number, levels: number, k: number): number {
  if (k === 0) {
    const S = 2 ** (levels - 1);
    return Math.floor(H / S) * Math.floor(W / S);
  }
  const s = 2 ** (levels - 1 - k), s2 = 2 * s;
  // Passes 1 (rows at multiples of s2, new columns), 2 (new rows, old columns), 3 (new, new).
  const oldRows = Math.floor(H / s2), newRows = Math.floor(H / s) - oldRows;
  const oldCols = Math.floor(W / s2), newCols = Math.floor(W / s) - oldCols;
  return oldRows * newCols + newRows * oldCols + newRows * newCols;
}

/** Where level `k`'s units start in a {@linkcode QuantizedBlock} of `n` snapshots. */
function unitStart(H: number, W: number, levels: number, n: number, k: number): number {
  let start = 0;
  for (let l = 0; l < k; l++) start += n * unitPoints(H, W, levels, l);
  return start;
}

function emptyStats(): LevelCodingStats {
  return { nonzero: 0, escapes: 0, modes: [0, 0, 0], zeroLevels: 0 };
}

/** Counts a (snapshot, level) in `stats`. */
function countUnit(
  stats: LevelCodingStats,
  mode: number,
  allZero: boolean,
  nonzero: number,
  escapes: number,
): void {
  stats.modes[mode]++;
  if (allZero) stats.zeroLevels++;
  stats.nonzero += nonzero;
  stats.escapes += escapes;
}

/** A level's bytes: its predictor's record (learned prediction), then its range-coded bytes. */
function withRecord(record: Uint8Array | null, coded: Uint8Array<ArrayBuffer>) {
  if (record === null) return coded;
  const bytes = new Uint8Array(record.length + coded.length);
  bytes.set(record);
  bytes.set(coded, record.length);
  return bytes;
}

/** The state of one (snapshot, level) during the walk. */
interface Walk {
  /** Offset of the snapshot's plane in the block. */
  o0: number;
  /** Offset of the context reference's plane, or -1. */
  oref: number;
  /** Snapshot kind: 0 keyframe, 1 time-predicted. */
  fc: number;
  /** The (snapshot, level)'s bound. */
  eb: number;
  mode: number;
  models: ChunkModels;
}

const F32 = new Float32Array(1);
const F32_BITS = new Int32Array(F32.buffer);

/** The binary32 value next to finite `v`, above (`up`) or below. */
function nextFloat32(v: number, up: boolean): number {
  if (v === 0) return up ? 2 ** -149 : -(2 ** -149);
  F32[0] = v;
  F32_BITS[0] += (v > 0) === up ? 1 : -1;
  return F32[0];
}

/**
 * Encoder: the binary32 value nearest `x` other than `avoid` (which is `f32(x)`: float64 data
 * within float32 rounding of the fill value), so that a valid value never decodes as the fill
 * value.
 *
 * @throws {RangeError} When neither neighbour of `avoid` is within `bound` of `x`.
 */
function besides(avoid: number, x: number, bound: number): number {
  const below = nextFloat32(avoid, false), above = nextFloat32(avoid, true);
  const best = Math.abs(below - x) <= Math.abs(above - x) ? below : above;
  if (!(Math.abs(best - x) <= bound)) {
    throw new RangeError(
      `Cannot compress: the value ${x} is within float32 rounding of the fill value ${avoid}, and the bound ${bound} leaves no other float32 value for it; raise the bound`,
    );
  }
  return best;
}

/** Decoder: sets `rec` and `q` of point `g` from its decoded code `v`. */
function setDecoded(
  rec: Float32Array,
  q: Int16Array,
  g: number,
  pred: number,
  step: number,
  v: number,
  dec: RangeDecoder,
): void {
  if (v === ESCAPE) {
    rec[g] = decodeEscaped(dec);
    q[g] = 1;
  } else {
    rec[g] = pred + step * v;
    q[g] = v > 32767 ? 32767 : v < -32767 ? -32767 : v;
  }
}
