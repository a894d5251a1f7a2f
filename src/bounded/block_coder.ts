// This module is browser compatible.
/**
 * Bounded coding of one block of snapshots, level by level (SPEC.md §4.7). The encoder and the
 * decoder walk the same points in the same order with the same predictions and contexts; only
 * what happens at a point differs (quantize and code, or decode).
 *
 * @module
 */

import { axisWeights, blockSchedule, levelBound, type PlannedSnapshot } from "./plan.ts";
import { BitModels, RangeDecoder, RangeEncoder } from "./range_coder.ts";

/** Prediction modes of a (snapshot, level). */
export const MODE_SPACE = 0, MODE_TIME = 1, MODE_TIME_SPACE = 2;
/** Magnitude that marks an escape: the value follows as raw float32 bits. */
export const ESCAPE = 1 << 20;

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
  /** Cubic (true) or linear (false) spatial interpolation. */
  cubic: boolean;
  /**
   * Experimental, not in the format (the bench's ablation): a prediction of the whole block,
   * `[n][H][W]`, used instead of the time interpolation as the base of modes time and time+space,
   * for every snapshot (keyframes included). The bench feeds it the MrCAE model's reconstruction.
   */
  externalBase?: Float32Array;
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

/** Axis weights `[n][4]` of one level (only new coordinates are set). */
function axisTable(n: number, s: number, cubic: boolean): Float64Array {
  const out = new Float64Array(4 * n);
  for (let i = 0; i < n; i++) {
    if ((i + 1) % (2 * s) === s) out.set(axisWeights(i, s, n, cubic), 4 * i);
  }
  return out;
}

/**
 * Interpolates `rec - bs` along one axis around in-plane index `p` with the weights `w[wi..wi+3]`
 * at offsets `-3st, -st, +st, +3st`, skipping zero weights, in that order (SPEC.md §4.7.3).
 */
function along(
  rec: Float32Array,
  o0: number,
  bs: Float64Array,
  p: number,
  w: Float64Array,
  wi: number,
  st: number,
): number {
  let a = 0;
  const w0 = w[wi], w1 = w[wi + 1], w2 = w[wi + 2], w3 = w[wi + 3];
  if (w0 !== 0 && w3 !== 0) {
    // Interior: all four taps.
    const g = o0 + p;
    a += w0 * (rec[g - 3 * st] - bs[p - 3 * st]);
    a += w1 * (rec[g - st] - bs[p - st]);
    a += w2 * (rec[g + st] - bs[p + st]);
    a += w3 * (rec[g + 3 * st] - bs[p + 3 * st]);
    return a;
  }
  if (w0 !== 0) a += w0 * (rec[o0 + p - 3 * st] - bs[p - 3 * st]);
  if (w1 !== 0) a += w1 * (rec[o0 + p - st] - bs[p - st]);
  if (w2 !== 0) a += w2 * (rec[o0 + p + st] - bs[p + st]);
  if (w3 !== 0) a += w3 * (rec[o0 + p + 3 * st] - bs[p + 3 * st]);
  return a;
}

/** {@linkcode along} with `bs = 0` (mode space): the same sums, without reading `bs`. */
function alongRec(rec: Float32Array, g: number, w: Float64Array, wi: number, st: number): number {
  let a = 0;
  const w0 = w[wi], w1 = w[wi + 1], w2 = w[wi + 2], w3 = w[wi + 3];
  if (w0 !== 0 && w3 !== 0) {
    // Interior: all four taps.
    a += w0 * rec[g - 3 * st];
    a += w1 * rec[g - st];
    a += w2 * rec[g + st];
    a += w3 * rec[g + 3 * st];
    return a;
  }
  if (w0 !== 0) a += w0 * rec[g - 3 * st];
  if (w1 !== 0) a += w1 * rec[g - st];
  if (w2 !== 0) a += w2 * rec[g + st];
  if (w3 !== 0) a += w3 * rec[g + 3 * st];
  return a;
}

/**
 * The predictions of the new points of row `y` in pass `pass` (SPEC.md §4.7.3) into `out`; returns
 * their count. The common interior case (all four taps) is written out; the sums are those of
 * {@linkcode along} and {@linkcode alongRec}, in the same order.
 */
function predictRow(
  rec: Float32Array,
  o0: number,
  bs: Float64Array,
  space: boolean,
  timeOnly: boolean,
  pass: number,
  y: number,
  x0: number,
  s2: number,
  s: number,
  sw: number,
  W: number,
  colW: Float64Array,
  rowW: Float64Array,
  out: Float64Array,
): number {
  let i = 0;
  const row = y * W;
  if (timeOnly) {
    for (let x = x0; x < W; x += s2) out[i++] = bs[row + x];
    return i;
  }
  // Row-constant weights along y (passes 2 and 3).
  const v0 = rowW[4 * y], v1 = rowW[4 * y + 1], v2 = rowW[4 * y + 2], v3 = rowW[4 * y + 3];
  const yInterior = v0 !== 0 && v3 !== 0;
  const s3 = 3 * s, sw3 = 3 * sw;
  if (space) {
    // Mode space (the most common): the same sums as below, with pass and mode out of the loop.
    const base = o0 + row;
    if (pass === 2) {
      if (yInterior) {
        for (let x = x0; x < W; x += s2) {
          const g = base + x;
          let ay = 0;
          ay += v0 * rec[g - sw3];
          ay += v1 * rec[g - sw];
          ay += v2 * rec[g + sw];
          ay += v3 * rec[g + sw3];
          out[i++] = 0 + ay;
        }
      } else {
        for (let x = x0; x < W; x += s2) out[i++] = 0 + alongRec(rec, base + x, rowW, 4 * y, sw);
      }
      return i;
    }
    for (let x = x0; x < W; x += s2) {
      const g = base + x, wi = 4 * x;
      const w0 = colW[wi], w3 = colW[wi + 3];
      let ax = 0;
      if (w0 !== 0 && w3 !== 0) {
        ax += w0 * rec[g - s3];
        ax += colW[wi + 1] * rec[g - s];
        ax += colW[wi + 2] * rec[g + s];
        ax += w3 * rec[g + s3];
      } else ax = alongRec(rec, g, colW, wi, s);
      if (pass === 1) {
        out[i++] = 0 + ax;
        continue;
      }
      let ay = 0;
      if (yInterior) {
        ay += v0 * rec[g - sw3];
        ay += v1 * rec[g - sw];
        ay += v2 * rec[g + sw];
        ay += v3 * rec[g + sw3];
      } else ay = alongRec(rec, g, rowW, 4 * y, sw);
      out[i++] = 0 + 0.5 * (ax + ay);
    }
    return i;
  }
  // Mode time+space: the same on rec - bs.
  if (pass === 2) {
    for (let x = x0; x < W; x += s2) {
      const p = row + x, g = o0 + p;
      let ay = 0;
      if (yInterior) {
        ay += v0 * (rec[g - sw3] - bs[p - sw3]);
        ay += v1 * (rec[g - sw] - bs[p - sw]);
        ay += v2 * (rec[g + sw] - bs[p + sw]);
        ay += v3 * (rec[g + sw3] - bs[p + sw3]);
      } else ay = along(rec, o0, bs, p, rowW, 4 * y, sw);
      out[i++] = bs[p] + ay;
    }
    return i;
  }
  for (let x = x0; x < W; x += s2) {
    const p = row + x, g = o0 + p, wi = 4 * x;
    const w0 = colW[wi], w3 = colW[wi + 3];
    let ax = 0;
    if (w0 !== 0 && w3 !== 0) {
      ax += w0 * (rec[g - s3] - bs[p - s3]);
      ax += colW[wi + 1] * (rec[g - s] - bs[p - s]);
      ax += colW[wi + 2] * (rec[g + s] - bs[p + s]);
      ax += w3 * (rec[g + s3] - bs[p + s3]);
    } else ax = along(rec, o0, bs, p, colW, wi, s);
    if (pass === 1) {
      out[i++] = bs[p] + ax;
      continue;
    }
    let ay = 0;
    if (yInterior) {
      ay += v0 * (rec[g - sw3] - bs[p - sw3]);
      ay += v1 * (rec[g - sw] - bs[p - sw]);
      ay += v2 * (rec[g + sw] - bs[p + sw]);
      ay += v3 * (rec[g + sw3] - bs[p + sw3]);
    } else ay = along(rec, o0, bs, p, rowW, 4 * y, sw);
    out[i++] = bs[p] + 0.5 * (ax + ay);
  }
  return i;
}

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
  /** When set, the encoder records what it codes here (the bench's entropy-coder ablation). */
  log: CodeLog | null = null;
  readonly schedule: PlannedSnapshot[];
  readonly #rowW: Float64Array[];
  readonly #colW: Float64Array[];
  readonly #base: Float64Array;
  readonly #zero: Float64Array;

  // State of the level being coded.
  #enc: RangeEncoder | null = null;
  #dec: RangeDecoder | null = null;
  #x: ArrayLike<number> | null = null;
  #dry = false;
  #proxy = 0;
  #nz = 0;
  #esc = 0;
  #allZero = false;
  #eb = 0;
  #o0 = 0;
  #oref = -1;
  #fc = 0;
  #pass = 0;
  #mode = 0;
  #act = 0;
  #sgnAlt = 0;
  #mZ = new BitModels(1);
  #mS = new BitModels(1);
  #mU = new BitModels(1);
  #mB = new BitModels(1);
  #mMode = new BitModels(1);
  #mFlag = new BitModels(1);
  #mR = new BitModels(1);
  #rowPred = new Float64Array(0);
  #rowCode = new Int32Array(0);
  #lastMode = new Int8Array(2);
  #lastFlag = new Int8Array(2);
  #snap: PlannedSnapshot | null = null;

  constructor(params: BlockParams, missing: Uint8Array | null = null) {
    const { n, H, W, levels, keyInterval } = params;
    this.params = params;
    this.rec = new Float32Array(n * H * W);
    this.q = new Int16Array(n * H * W);
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
    this.#rowCode = new Int32Array(W);
  }

  /**
   * Encodes the next level from the block's values.
   *
   * @param x The block's `n * H * W` values (missing positions are not read).
   * @returns The range-coded bytes and counts.
   */
  encodeLevel(x: ArrayLike<number>): { bytes: Uint8Array<ArrayBuffer>; stats: LevelCodingStats } {
    this.#x = x;
    this.#enc = new RangeEncoder();
    this.#dec = null;
    const stats = this.#runLevel();
    const bytes = this.#enc.finish();
    this.#enc = null;
    this.#x = null;
    return { bytes, stats };
  }

  /**
   * Decodes the next level.
   *
   * @param bytes The level's range-coded bytes.
   * @returns Bytes the decoder read (more than `bytes.length` means the bytes were cut short).
   */
  decodeLevel(bytes: Uint8Array): number {
    this.#dec = new RangeDecoder(bytes);
    this.#enc = null;
    this.#runLevel();
    const read = this.#dec.position;
    this.#dec = null;
    return read;
  }

  #runLevel(): LevelCodingStats {
    const k = this.levelsDone;
    const { levels, H, W, bound, keyInterval } = this.params;
    if (k >= levels) throw new RangeError(`block already has all ${levels} levels`);
    this.#mZ = new BitModels(4 * 2 * 3 * 3 * 5 * 2 * 4);
    this.#mS = new BitModels(2 * 3 * 3);
    this.#mU = new BitModels(2 * 2 * 24);
    this.#mB = new BitModels(24 * 24);
    this.#mMode = new BitModels(2 * 4 * 2);
    this.#mFlag = new BitModels(2 * 3 * 3);
    this.#mR = new BitModels(3 * 2 * 3 * 3 * 3);
    this.#lastMode.fill(3);
    this.#lastFlag.fill(2);
    const stats: LevelCodingStats = {
      nonzero: 0,
      escapes: 0,
      modes: [0, 0, 0],
      zeroLevels: 0,
    };
    const plane = H * W;
    const s = 2 ** (levels - 1 - k);
    for (const f of this.schedule) {
      this.#o0 = f.t * plane;
      this.#oref = f.ref >= 0 ? f.ref * plane : -1;
      this.#fc = f.key ? 0 : 1;
      this.#eb = levelBound(bound, levels, k, f, keyInterval);
      const modes = this.params.externalBase ? ALL_MODES : allowedModes(f, k);
      let mode = modes[0];
      if (this.#enc) {
        if (modes.length > 1) this.#timeBase(f, s, false);
        // Dry runs: keep the mode with the smallest cost estimate.
        let best = Infinity, bestNz = 0;
        for (const m of modes) {
          this.#dry = true;
          this.#proxy = 0;
          this.#nz = 0;
          this.#level(k, m);
          const cost = this.#proxy + (modes.length > 1 && m !== this.#lastMode[this.#fc] ? 3 : 0);
          if (cost < best) {
            best = cost;
            mode = m;
            bestNz = this.#nz;
          }
        }
        this.#dry = false;
        this.#allZero = bestNz === 0;
      }
      if (modes.length > 1) {
        // Truncated unary index into the allowed modes.
        const ctx = (this.#fc * 4 + this.#lastMode[this.#fc]) * 2;
        let idx = modes.indexOf(mode), j = 0;
        for (; j < modes.length - 1; j++) {
          if (!this.#bit(this.#mMode, ctx + j, idx > j ? 1 : 0)) break;
        }
        idx = j;
        mode = modes[idx];
      }
      this.#lastMode[this.#fc] = mode;
      const fctx = (this.#fc * 3 + mode) * 3 + this.#lastFlag[this.#fc];
      this.#allZero = this.#bit(this.#mFlag, fctx, this.#allZero ? 1 : 0) === 1;
      this.#lastFlag[this.#fc] = this.#allZero ? 1 : 0;
      stats.modes[mode]++;
      if (this.log && this.#enc) this.log.side.push(mode * 2 + (this.#allZero ? 1 : 0));
      if (this.#allZero) stats.zeroLevels++;
      this.#nz = 0;
      this.#esc = 0;
      this.#mode = mode;
      this.#snap = f;
      // The decoder needs the time base only now; an all-zero level of mode time on k > 0 writes
      // the time prediction straight into rec (#refine).
      const fused = mode === MODE_TIME && k > 0 && this.#allZero && !this.params.externalBase;
      if (this.#dec && mode !== MODE_SPACE && !fused) {
        this.#timeBase(f, s, mode === MODE_TIME && k > 0);
      }
      this.#level(k, mode);
      stats.nonzero += this.#nz;
      stats.escapes += this.#esc;
    }
    this.levelsDone++;
    return stats;
  }

  /** Codes a bit with the encoder (returns it) or decodes one. */
  #bit(m: BitModels, ctx: number, bit: number): number {
    if (this.#enc) {
      this.#enc.encode(m, ctx, bit);
      return bit;
    }
    return this.#dec!.decode(m, ctx);
  }

  /**
   * The time prediction of a snapshot at the points of levels `0..k` (spacing `s`), or, with
   * `newOnly` (mode time, which reads no other point), only at the points level `k` adds.
   */
  #timeBase(f: PlannedSnapshot, s: number, newOnly: boolean): void {
    const { H, W } = this.params;
    const external = this.params.externalBase;
    if (external) {
      const o = f.t * H * W;
      for (let y = s - 1; y < H; y += s) {
        for (let x = s - 1; x < W; x += s) this.#base[y * W + x] = external[o + y * W + x];
      }
      return;
    }
    const base = this.#base, rec = this.rec, plane = H * W;
    const nodes = f.nodes, w = f.weights, m = nodes.length;
    const o0 = nodes[0] * plane, o1 = m > 1 ? nodes[1] * plane : 0;
    const o2 = m > 2 ? nodes[2] * plane : 0, o3 = m > 3 ? nodes[3] * plane : 0;
    const w0 = w[0], w1 = m > 1 ? w[1] : 0, w2 = m > 2 ? w[2] : 0, w3 = m > 3 ? w[3] : 0;
    const coarse = 2 * s;
    for (let y = s - 1; y < H; y += s) {
      // With newOnly, rows of the coarser level only need their new columns.
      const oldRow = newOnly && (y + 1) % coarse === 0;
      // Both start at column s - 1; on an old row the coarser level's columns are skipped.
      const dx = oldRow ? coarse : s;
      for (let x = s - 1; x < W; x += dx) {
        const p = y * W + x;
        // Same sums as sum_i w_i * rec[n_i][p] from 0, in node order.
        let v = 0;
        v += w0 * rec[o0 + p];
        if (m > 1) v += w1 * rec[o1 + p];
        if (m > 2) v += w2 * rec[o2 + p];
        if (m > 3) v += w3 * rec[o3 + p];
        base[p] = v;
      }
    }
  }

  #level(k: number, mode: number): void {
    if (k === 0) this.#coarsest(mode);
    else this.#refine(k, mode);
  }

  /** Level 0: row-major, Lorenzo prediction (on the time residual in mode time+space). */
  #coarsest(mode: number): void {
    const { H, W, levels } = this.params;
    const S = 2 ** (levels - 1);
    const o0 = this.#o0, rec = this.rec;
    const bs = mode === MODE_SPACE ? this.#zero : this.#base;
    const lorenzo = mode !== MODE_TIME;
    this.#pass = 0;
    this.#act = 0;
    this.#sgnAlt = 0;
    for (let y = S - 1; y < H; y += S) {
      for (let x = S - 1; x < W; x += S) {
        const p = y * W + x;
        let pred = bs[p];
        if (lorenzo) {
          const hl = x - S >= 0, hu = y - S >= 0;
          if (hl && hu) {
            pred += (rec[o0 + p - S] - bs[p - S]) + (rec[o0 + p - S * W] - bs[p - S * W]) -
              (rec[o0 + p - S - S * W] - bs[p - S - S * W]);
          } else if (hl) pred += rec[o0 + p - S] - bs[p - S];
          else if (hu) pred += rec[o0 + p - S * W] - bs[p - S * W];
        }
        const g = o0 + p;
        const nS = (x - S >= 0 && this.q[g - S] !== 0 ? 1 : 0) +
          (y - S >= 0 && this.q[g - S * W] !== 0 ? 1 : 0);
        const sc = x - S >= 0 ? sign(this.q[g - S]) : 0;
        this.#point(p, pred, nS, 0, sc);
      }
    }
  }

  /** Level k > 0: the new points, in three passes (rows, columns, centres). */
  #refine(k: number, mode: number): void {
    const { H, W, levels } = this.params;
    const s = 2 ** (levels - 1 - k), s2 = 2 * s;
    const o0 = this.#o0, rec = this.rec, q = this.q;
    const rowW = this.#rowW[k], colW = this.#colW[k];
    const bs = mode === MODE_SPACE ? this.#zero : this.#base;
    const timeOnly = mode === MODE_TIME, space = mode === MODE_SPACE;
    const sw = s * W;
    // A real run of an all-zero level only writes the predictions (missing points too).
    const fill = this.#allZero && !this.#dry;
    if (fill && timeOnly && this.#dec && !this.params.externalBase) return this.#fillTime(s);
    const rowPred = this.#rowPred, rowCode = this.#rowCode;
    const missing = this.missing;
    for (let pass = 1; pass <= 3; pass++) {
      this.#pass = pass;
      const y0 = pass === 1 ? s2 - 1 : s - 1, x0 = pass === 2 ? s2 - 1 : s - 1;
      let prevRow = 0;
      for (let y = y0; y < H; y += s2) {
        // 1. Predictions of the row: they read coarser points and earlier passes only.
        predictRow(
          rec,
          o0,
          bs,
          space,
          timeOnly,
          pass,
          y,
          x0,
          s2,
          s,
          sw,
          W,
          colW,
          rowW,
          rowPred,
        );
        let parents = 0;
        if (fill) {
          // Code 0: rec = f32(pred + (2 eb) * 0); a missing point: f32(pred + 0) too.
          for (let x = x0, i = 0; x < W; x += s2, i++) {
            rec[o0 + y * W + x] = rowPred[i] + 0;
            q[o0 + y * W + x] = 0;
          }
        } else if (this.#dry) {
          for (let x = x0, i = 0; x < W; x += s2, i++) this.#point(y * W + x, rowPred[i], 0, 0, 0);
        } else {
          // Non-zero codes among the row's neighbours of earlier passes (row flag context).
          for (let x = x0; x < W && parents < 2; x += s2) {
            const g = o0 + y * W + x;
            if (pass !== 2) {
              if (x - s >= 0 && q[g - s] !== 0) parents++;
              if (x + s < W && q[g + s] !== 0) parents++;
            }
            if (pass !== 1) {
              if (y - s >= 0 && q[g - sw] !== 0) parents++;
              if (y + s < H && q[g + sw] !== 0) parents++;
            }
          }
        }
        if (fill || this.#dry) continue;
        // 2. The encoder quantizes the row, then a flag says whether all its codes are 0.
        let zero = 1;
        if (this.#enc) {
          for (let x = x0, i = 0; x < W; x += s2, i++) {
            const v = this.#quantize(o0 + y * W + x, rowPred[i]);
            rowCode[i] = v;
            if (v !== 0) zero = 0;
          }
        }
        const rctx = ((((pass - 1) * 2 + this.#fc) * 3 + mode) * 3 + prevRow) * 3 +
          (parents > 2 ? 2 : parents);
        zero = this.#bit(this.#mR, rctx, zero);
        prevRow = zero ? 1 : 2;
        if (zero) {
          if (this.#dec) {
            for (let x = x0, i = 0; x < W; x += s2, i++) {
              rec[o0 + y * W + x] = rowPred[i] + 0;
              q[o0 + y * W + x] = 0;
            }
          }
          continue;
        }
        // 3. The codes, with their contexts.
        for (let x = x0, i = 0; x < W; x += s2, i++) {
          const p = y * W + x;
          const g = o0 + p;
          const pred = rowPred[i];
          if (missing !== null && missing[g]) {
            rec[g] = pred + 0;
            q[g] = 0;
            continue;
          }
          const nS = (x - s2 >= 0 && q[g - s2] !== 0 ? 1 : 0) +
            (y - s2 >= 0 && q[g - s2 * W] !== 0 ? 1 : 0);
          let nP = 0, sc = 0, alt = 0, na = 0;
          if (pass !== 2) {
            if (x - s >= 0) {
              nP += q[g - s] !== 0 ? 1 : 0;
              sc = sign(q[g - s]);
              alt += rec[g - s];
              na++;
            }
            if (x + s < W) {
              nP += q[g + s] !== 0 ? 1 : 0;
              alt += rec[g + s];
              na++;
            }
          }
          if (pass !== 1) {
            if (y - s >= 0) {
              nP += q[g - sw] !== 0 ? 1 : 0;
              if (sc === 0) sc = sign(q[g - sw]);
              alt += rec[g - sw];
              na++;
            }
            if (y + s < H) {
              nP += q[g + sw] !== 0 ? 1 : 0;
              alt += rec[g + sw];
              na++;
            }
          }
          // Activity: how far the prediction is from the plain mean of the nearest neighbours.
          const mean = alt / na;
          const d = Math.abs(mean - pred) / this.#eb;
          this.#act = d < 0.125 ? 0 : d < 0.5 ? 1 : d < 1.5 ? 2 : 3;
          this.#sgnAlt = d >= 0.125 ? (mean > pred ? 1 : 2) : 0;
          this.#curP = p;
          if (this.#enc) {
            const v = rowCode[i];
            if (v !== 0) {
              this.#nz++;
              if (v === ESCAPE) this.#esc++;
            }
            if (this.log) this.log.codes.push(v);
            this.#encodeCode(v, rec[g], nS, nP, sc);
          } else this.#decodePoint(g, pred, nS, nP, sc);
        }
      }
    }
  }

  /**
   * Decoder, all-zero level of mode time: `rec = f32(base + 0)` at the new points, the base
   * computed only there.
   */
  #fillTime(s: number): void {
    const { H, W } = this.params;
    this.#timeBase(this.#snap!, s, true);
    const rec = this.rec, q = this.q, base = this.#base, o = this.#o0, coarse = 2 * s;
    for (let y = s - 1; y < H; y += s) {
      const dx = (y + 1) % coarse === 0 ? coarse : s;
      for (let x = s - 1; x < W; x += dx) {
        rec[o + y * W + x] = base[y * W + x] + 0;
        q[o + y * W + x] = 0;
      }
    }
  }

  /** Quantizes and codes, or decodes, the point `p` of the current snapshot (level 0, dry runs). */
  #point(p: number, pred: number, nS: number, nP: number, sc: number): void {
    const g = this.#o0 + p;
    if (this.missing !== null && this.missing[g]) {
      this.rec[g] = pred + 0;
      this.q[g] = 0;
      return;
    }
    this.#curP = p;
    if (this.#dec) {
      if (this.#allZero) {
        this.rec[g] = pred + 0;
        this.q[g] = 0;
      } else this.#decodePoint(g, pred, nS, nP, sc);
      return;
    }
    const v = this.#quantize(g, pred);
    if (this.#dry) {
      if (v !== 0) {
        this.#proxy += v === ESCAPE ? 40 : 6 + 2 * Math.log2(Math.abs(v));
        this.#nz++;
      }
      return;
    }
    if (this.#allZero) return;
    if (v !== 0) {
      this.#nz++;
      if (v === ESCAPE) this.#esc++;
    }
    if (this.log) this.log.codes.push(v);
    this.#encodeCode(v, this.rec[g], nS, nP, sc);
  }

  /**
   * Encoder: the code of point `g` (`ESCAPE` when the value is stored exactly), with `rec` and `q`
   * set as the decoder will set them. Missing points get code 0 and `rec = f32(pred + 0)`.
   */
  #quantize(g: number, pred: number): number {
    if (this.missing !== null && this.missing[g]) {
      this.rec[g] = pred + 0;
      this.q[g] = 0;
      return 0;
    }
    const eb = this.#eb, xv = this.#x![g];
    const v = Math.round((xv - pred) / (2 * eb));
    let r = 0;
    let escape = Math.abs(v) >= ESCAPE;
    if (!escape) {
      r = Math.fround(pred + 2 * eb * v);
      if (!(Math.abs(r - xv) <= eb)) escape = true;
    }
    if (escape) {
      this.rec[g] = Math.fround(xv);
      this.q[g] = 1;
      return ESCAPE;
    }
    this.rec[g] = r;
    this.q[g] = v > 32767 ? 32767 : v < -32767 ? -32767 : v;
    return v;
  }

  /** Decoder: decodes the code of point `g` (contexts given) and sets `rec` and `q`. */
  #decodePoint(g: number, pred: number, nS: number, nP: number, sc: number): void {
    const v = this.#decodeCode(nS, nP, sc);
    if (v === ESCAPE) {
      const hi = this.#dec!.decodeDirect(16), lo = this.#dec!.decodeDirect(16);
      F32_BITS[0] = ((hi << 16) | lo) >>> 0;
      this.rec[g] = F32[0];
      this.q[g] = 1;
    } else {
      this.rec[g] = pred + 2 * this.#eb * v;
      this.q[g] = v > 32767 ? 32767 : v < -32767 ? -32767 : v;
    }
  }

  #encodeCode(v: number, escaped: number, nS: number, nP: number, sc: number): void {
    const e = this.#enc!;
    const zc = this.#zeroContext(nS, nP);
    if (v === 0) {
      e.encode(this.#mZ, zc, 0);
      return;
    }
    e.encode(this.#mZ, zc, 1);
    e.encode(this.#mS, (this.#fc * 3 + sc) * 3 + this.#sgnAlt, v < 0 ? 1 : 0);
    const m = Math.abs(v);
    const nb = 31 - Math.clz32(m);
    const ub = (this.#fc * 2 + (nP > 1 ? 1 : 0)) * 24;
    for (let i = 0; i < nb; i++) e.encode(this.#mU, ub + i, 1);
    if (nb < 20) e.encode(this.#mU, ub + nb, 0);
    for (let j = nb - 1; j >= 0; j--) {
      const bit = (m >>> j) & 1;
      if (j >= nb - 2) {
        e.encode(
          this.#mB,
          nb * 24 + (nb - 1 - j) * 2 + (j === nb - 2 ? (m >>> (nb - 1)) & 1 : 0),
          bit,
        );
      } else e.encodeDirect(bit, 1);
    }
    if (v === ESCAPE) {
      F32[0] = escaped;
      e.encodeDirect(F32_BITS[0] >>> 16, 16);
      e.encodeDirect(F32_BITS[0] & 0xFFFF, 16);
    }
  }

  #decodeCode(nS: number, nP: number, sc: number): number {
    const d = this.#dec!;
    if (!d.decode(this.#mZ, this.#zeroContext(nS, nP))) return 0;
    const neg = d.decode(this.#mS, (this.#fc * 3 + sc) * 3 + this.#sgnAlt);
    const ub = (this.#fc * 2 + (nP > 1 ? 1 : 0)) * 24;
    let nb = 0;
    while (nb < 20 && d.decode(this.#mU, ub + nb)) nb++;
    let m = 1;
    for (let j = nb - 1; j >= 0; j--) {
      const bit = j >= nb - 2
        ? d.decode(this.#mB, nb * 24 + (nb - 1 - j) * 2 + (j === nb - 2 ? m & 1 : 0))
        : d.decodeDirect(1);
      m = (m << 1) | bit;
    }
    if (m === ESCAPE) return ESCAPE;
    return neg ? -m : m;
  }

  #zeroContext(nS: number, nP: number): number {
    const nT = this.#oref >= 0 && this.q[this.#oref + this.#curP] !== 0 ? 1 : 0;
    let c = this.#pass * 2 + this.#fc;
    c = ((c * 3 + this.#mode) * 3 + nS) * 5 + nP;
    return (c * 2 + nT) * 4 + this.#act;
  }

  #curP = 0;
}

const F32 = new Float32Array(1);
const F32_BITS = new Uint32Array(F32.buffer);

function sign(v: number): number {
  return v > 0 ? 1 : v < 0 ? 2 : 0;
}

const ALL_MODES = [MODE_SPACE, MODE_TIME, MODE_TIME_SPACE];

/** Modes a (snapshot, level) may choose from, the first being the default (SPEC.md §4.7.3). */
export function allowedModes(f: PlannedSnapshot, k: number): number[] {
  if (f.nodes.length === 0) return [MODE_SPACE];
  if (f.key) return k === 0 ? [MODE_SPACE, MODE_TIME] : [MODE_SPACE];
  return [MODE_SPACE, MODE_TIME, MODE_TIME_SPACE];
}
