/**
 * Progressive MrCAE training (Algorithm 3.1 of Liu, Ponce, Brunton and Kutz)
 * with TensorFlow.js.
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
import { levelGrids, type MrcaeModel } from "../codec/model.ts";
import { selectBackend } from "./backend.ts";
import { Random } from "./_random.ts";
import { centreSample, dilate, latentAverage } from "./_grid.ts";
import { centre, levelsLoss } from "./_loss.ts";
import {
  BILINEAR,
  deconvPadded,
  disposeLevel,
  forward,
  levelParams,
  levelVariables,
  makeGroup,
  makeLevel,
  modelFromNet,
  type NetLevel,
  refreshMasks,
} from "./_net.ts";
import type {
  LevelReport,
  ResolvedTrainOptions,
  StageReport,
  TrainInput,
  TrainOptions,
  TrainReport,
} from "./types.ts";

/** Relative decrease of the validation loss between checks below which a stage stops (Appendix B). */
const SLOW_CONVERGENCE = 1e-3;
/** Snapshots per forward pass when evaluating. */
const EVAL_CHUNK = 64;

function defaultTol(n: number): number[] {
  if (n === 3) return [1e-3, 5e-4, 1e-4];
  if (n === 1) return [1e-4];
  return Array.from({ length: n }, (_, k) => 1e-3 * Math.pow(0.1, k / (n - 1)));
}

function defaultGroups(n: number): number[][] {
  return Array.from({ length: n }, (_, k) => (k === n - 1 && n > 1 ? [2, 2, 2] : [1, 1, 1]));
}

function resolveOptions(o: TrainOptions): ResolvedTrainOptions {
  const levels = o.levels ?? (o.groups?.length ?? o.tol?.length ?? 3);
  const r: ResolvedTrainOptions = {
    levels,
    groups: o.groups ?? defaultGroups(levels),
    tol: o.tol ?? defaultTol(levels),
    omega: o.omega ?? 0.5,
    steps: o.steps ?? 300,
    batch: o.batch ?? 32,
    learningRate: o.learningRate ?? 3e-3,
    initNoise: o.initNoise ?? 0.01,
    split: o.split ?? [0.7, 0.2, 0.1],
    seed: o.seed ?? 0,
    backend: o.backend ?? "auto",
  };
  if (!Number.isInteger(levels) || levels < 1) {
    throw new TypeError(`Cannot train: levels must be a positive integer, got ${levels}`);
  }
  if (r.groups.length !== levels || r.tol.length !== levels) {
    throw new TypeError(
      `Cannot train ${levels} levels: groups has ${r.groups.length} entries and tol ${r.tol.length}`,
    );
  }
  for (const g of r.groups.flat()) {
    if (!Number.isInteger(g) || g < 1) {
      throw new TypeError(`Cannot train: group channels must be positive integers, got ${g}`);
    }
  }
  if (!(r.omega >= 0 && r.omega <= 1)) {
    throw new RangeError(`Cannot train: omega must be in [0, 1], got ${r.omega}`);
  }
  if (!Number.isInteger(r.steps) || r.steps < 0) {
    throw new TypeError(`Cannot train: steps must be a non-negative integer, got ${r.steps}`);
  }
  if (!Number.isInteger(r.batch) || r.batch < 1) {
    throw new TypeError(`Cannot train: batch must be a positive integer, got ${r.batch}`);
  }
  return r;
}

/** Train/validation/test indices; with one snapshot all three are `[0]`. */
function splitIndices(t: number, fr: [number, number, number], rng: Random) {
  if (t === 1) return { train: [0], validation: [0], test: [0] };
  const p = rng.permutation(t);
  const sum = fr[0] + fr[1] + fr[2];
  const nTrain = Math.min(t - 1, Math.max(1, Math.round((fr[0] / sum) * t)));
  const nVal = Math.min(t - nTrain, Math.max(1, Math.round((fr[1] / sum) * t)));
  const train = p.slice(0, nTrain).sort((a, b) => a - b);
  const validation = p.slice(nTrain, nTrain + nVal).sort((a, b) => a - b);
  let test = p.slice(nTrain + nVal).sort((a, b) => a - b);
  if (test.length === 0) test = validation;
  return { train, validation, test };
}

/** Host-side data of every level (centre samples of the finest grid) and validity. */
interface Pyramid {
  grids: [number, number][];
  t: number;
  data: Float32Array[];
  /** null: all valid; per-pixel (`H_k*W_k`) or per-value (`T*H_k*W_k`) weights. */
  valid: Float32Array[] | null;
  perSnapshot: boolean;
  range: number;
}

function buildPyramid(input: TrainInput, n: number): Pyramid {
  const [t, h, w] = input.shape;
  const grids = levelGrids([h, w], n);
  const data: Float32Array[] = new Array(n);
  data[n - 1] = input.data;
  for (let k = n - 1; k >= 1; k--) data[k - 1] = centreSample(data[k], t, ...grids[k]);
  let valid: Float32Array[] | null = null;
  let perSnapshot = false;
  if (input.valid) {
    perSnapshot = input.valid.length === t * h * w && t > 1;
    if (!perSnapshot && input.valid.length !== h * w) {
      throw new RangeError(
        `Cannot train: valid has ${input.valid.length} values, expected ${h * w} or ${t * h * w}`,
      );
    }
    const vt = perSnapshot ? t : 1;
    const v8: Uint8Array[] = new Array(n);
    v8[n - 1] = input.valid.subarray(0, vt * h * w);
    for (let k = n - 1; k >= 1; k--) v8[k - 1] = centreSample(v8[k], vt, ...grids[k]);
    valid = v8.map((v) => Float32Array.from(v, (x) => (x ? 1 : 0)));
    for (let k = 0; k < n; k++) {
      if (!valid[k].some((x) => x > 0)) {
        throw new RangeError(`Cannot train: level ${k} has no valid position`);
      }
    }
  }
  let lo = Infinity, hi = -Infinity;
  const vf = valid?.[n - 1];
  for (let i = 0; i < input.data.length; i++) {
    if (vf && !vf[perSnapshot ? i : i % (h * w)]) continue;
    const x = input.data[i];
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return { grids, t, data, valid, perSnapshot, range: hi > lo ? hi - lo : 1 };
}

/** Snapshots `idx` of level `k` as a `[B, H, W, 1]` tensor (and their validity when per-value). */
function hostBatch(p: Pyramid, k: number, idx: number[]): [tf.Tensor4D, tf.Tensor4D | null] {
  const [h, w] = p.grids[k];
  const hw = h * w;
  const x = new Float32Array(idx.length * hw);
  idx.forEach((s, i) => x.set(p.data[k].subarray(s * hw, (s + 1) * hw), i * hw));
  let v: tf.Tensor4D | null = null;
  if (p.valid && p.perSnapshot) {
    const vb = new Float32Array(idx.length * hw);
    idx.forEach((s, i) => vb.set(p.valid![k].subarray(s * hw, (s + 1) * hw), i * hw));
    v = tf.tensor4d(vb, [idx.length, h, w, 1]);
  }
  return [tf.tensor4d(x, [idx.length, h, w, 1]), v];
}

/** Per-pixel error sums of one level over a set of snapshots. */
interface ErrorStats {
  sum: Float64Array;
  count: Float64Array;
  max: Float32Array;
}

function newStats(hw: number): ErrorStats {
  return { sum: new Float64Array(hw), count: new Float64Array(hw), max: new Float32Array(hw) };
}

function statsLoss(s: ErrorStats, omega: number): number {
  let sum = 0, cnt = 0, mx = 0;
  for (let p = 0; p < s.sum.length; p++) {
    sum += s.sum[p];
    cnt += s.count[p];
    if (s.count[p] > 0) mx = Math.max(mx, s.sum[p] / s.count[p]);
  }
  return omega * (cnt > 0 ? sum / cnt : 0) + (1 - omega) * mx;
}

function statsReport(
  s: ErrorStats,
  level: number,
  grid: [number, number],
  range: number,
): LevelReport {
  let sum = 0, cnt = 0, mx = 0;
  for (let p = 0; p < s.sum.length; p++) {
    sum += s.sum[p];
    cnt += s.count[p];
    mx = Math.max(mx, s.max[p]);
  }
  const mse = cnt > 0 ? sum / cnt : 0;
  return {
    level,
    grid: [grid[0], grid[1]],
    rmse: Math.sqrt(mse),
    psnr: mse > 0 ? 10 * Math.log10((range * range) / mse) : Infinity,
    maxAbsError: Math.sqrt(mx),
  };
}

/**
 * Error statistics of levels `0..top` of the network on snapshots `idx`
 * (input = level-`top` data), plus, with `global`, of the level-`top` output
 * bilinearly upsampled to the finest grid (eq. 3.4).
 */
async function evaluate(
  net: NetLevel[],
  p: Pyramid,
  top: number,
  idx: number[],
  global: boolean,
): Promise<{ levels: ErrorStats[]; global: ErrorStats | null }> {
  const n = p.grids.length;
  const levels = p.grids.slice(0, top + 1).map(([h, w]) => newStats(h * w));
  const g = global ? newStats(p.grids[n - 1][0] * p.grids[n - 1][1]) : null;
  const bilinear = global && top < n - 1 ? tf.tensor4d(BILINEAR as number[], [3, 3, 1, 1]) : null;
  const pixelValid = p.valid && !p.perSnapshot
    ? p.valid.map((v, k) => tf.tensor4d(v, [1, ...p.grids[k], 1]))
    : null;
  try {
    for (let c = 0; c < idx.length; c += EVAL_CHUNK) {
      const chunk = idx.slice(c, c + EVAL_CHUNK);
      const outs = tf.tidy(() => {
        const [x, v] = hostBatch(p, top, chunk);
        const ys = forward(net, top, x);
        const res: tf.Tensor[] = [];
        const push = (y: tf.Tensor4D, d: tf.Tensor4D, vv: tf.Tensor4D | null) => {
          let e2: tf.Tensor = tf.squaredDifference(y, d);
          if (vv) e2 = tf.mul(e2, vv);
          res.push(
            tf.sum(e2, 0),
            tf.max(e2, 0),
            vv && vv.shape[0] > 1 ? tf.sum(vv, 0) : tf.zeros([1]),
          );
        };
        let d = x, vv = v;
        for (let j = top; j >= 0; j--) {
          push(ys[j], d, vv ?? pixelValid?.[j] ?? null);
          if (j > 0) {
            d = centre(d);
            vv = vv ? centre(vv) : null;
          }
        }
        if (global) {
          let up = ys[top];
          for (let j = top + 1; j < n; j++) up = deconvPadded(up, bilinear!, null);
          const [xf, vf] = top < n - 1 ? hostBatch(p, n - 1, chunk) : [x, v];
          push(up, xf, vf ?? pixelValid?.[n - 1] ?? null);
        }
        return res;
      });
      const arrays = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
      tf.dispose(outs);
      const targets = [...levels.slice().reverse(), ...(g ? [g] : [])];
      const levelOf = (i: number) => (i < top + 1 ? top - i : n - 1);
      targets.forEach((s, i) => {
        const [sum, mx, cnt] = arrays.slice(3 * i, 3 * i + 3);
        const k = levelOf(i);
        for (let q = 0; q < s.sum.length; q++) {
          s.sum[q] += sum[q];
          if (mx[q] > s.max[q]) s.max[q] = mx[q];
          s.count[q] += p.valid
            ? (p.perSnapshot ? cnt[q] : chunk.length * p.valid[k][q])
            : chunk.length;
        }
      });
    }
  } finally {
    bilinear?.dispose();
    if (pixelValid) tf.dispose(pixelValid);
  }
  return { levels, global: g };
}

/** Latent positions still unresolved: local average of the per-pixel error `>= tol`. */
function unresolved(s: ErrorStats, p: Pyramid, k: number, omega: number, tol: number): Uint8Array {
  const [h, w] = p.grids[k];
  const e = new Float32Array(h * w);
  for (let q = 0; q < h * w; q++) {
    e[q] = s.count[q] > 0 ? omega * (s.sum[q] / s.count[q]) + (1 - omega) * s.max[q] : 0;
  }
  // Per-value validity: a pixel counts in the window average when any snapshot is valid there.
  let pv: Float32Array | null = null;
  if (p.valid) pv = Float32Array.from(s.count, (c) => (c > 0 ? 1 : 0));
  const avg = latentAverage(e, pv, h, w);
  return Uint8Array.from(avg, (x) => (x >= tol ? 1 : 0));
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("Training was aborted", "AbortError");
}

/**
 * Trains a multiresolution convolutional autoencoder on a stack of snapshots.
 *
 * Levels are trained coarse to fine (Algorithm 3.1): at each level a deepening
 * stage (new `c(k)`, `d(k)` with Appendix-A init), then widening stages (one
 * masked group each) while unresolved latent positions and groups remain.
 *
 * How every level stays within its tolerance: the authors train the whole
 * network jointly, which lets lower levels drift. Here the parameters of levels
 * below `k` are frozen while level `k` trains, and the loss is the sum of the
 * paper's loss (eq. 3.1) over every intermediate output `y_j`, `j <= k`, against
 * its own data `D_j`. Only `c(k)` can still move the lower outputs (it feeds
 * them), and the lower terms hold it to the data they were trained on.
 *
 * A stage ends at its step budget, or when the validation loss (checked every
 * `max(10, steps / 10)` steps) decreased by less than 1e-3 relative since the
 * previous check (Appendix B; only from the second check on). The parameters
 * with the best validation loss are restored (real copies). After each stage,
 * masks follow the authors: per pixel `e = w mean_t err^2 + (1 - w) max_t err^2`
 * over training snapshots, 3x3 stride-2 average, `>= tol_k`, dilated by one
 * latent pixel; a level with no unresolved position skips its remaining groups.
 *
 * @param input Finest-grid data, normalized to about [0, 1].
 * @param options Training options; see {@link TrainOptions} for defaults.
 * @returns The trained model (plain arrays, see `model.ts`) and a report.
 *
 * @example Train a tiny field
 * ```ts
 * import { trainMrcae } from "./train_mrcae.ts";
 * const t = 4, h = 7, w = 7;
 * const data = new Float32Array(t * h * w).map((_, i) => 0.5 + 0.1 * Math.sin(i));
 * const { model, report } = await trainMrcae({ data, shape: [t, h, w] }, {
 *   levels: 2, steps: 5, backend: "cpu",
 * });
 * if (model.levels.length !== 2 || report.levels.length !== 2) throw new Error("bad model");
 * ```
 */
export async function trainMrcae(
  input: TrainInput,
  options: TrainOptions = {},
): Promise<{ model: MrcaeModel; report: TrainReport }> {
  const start = performance.now();
  const opts = resolveOptions(options);
  const [t, h, w] = input.shape;
  if (!(t >= 1) || input.data.length !== t * h * w) {
    throw new RangeError(
      `Cannot train: data has ${input.data.length} values, shape ${t}x${h}x${w} needs ${t * h * w}`,
    );
  }
  for (let i = 0; i < input.data.length; i++) {
    if (!Number.isFinite(input.data[i])) {
      throw new RangeError(`Cannot train: data[${i}] is ${input.data[i]} (values must be finite)`);
    }
  }
  const signal = options.signal;
  signal?.throwIfAborted();
  const n = opts.levels;
  const pyr = buildPyramid(input, n);
  const backend = await selectBackend(opts.backend);
  const rng = new Random(opts.seed);
  const split = splitIndices(t, opts.split, rng);
  const eps = opts.initNoise;
  const omega = opts.omega;
  const noisy = (base: readonly number[]) => base.map((b) => b + rng.noise(eps));
  const centreTap = [0, 0, 0, 0, 1, 0, 0, 0, 0];

  const net: NetLevel[] = [];
  const stages: StageReport[] = [];
  const elapsed = () => (performance.now() - start) / 1000;
  let lastYield = performance.now();
  // Per-pixel validity as tensors, one per level (null when none or per-value).
  const pixelValid = pyr.valid && !pyr.perSnapshot
    ? pyr.valid.map((v, k) => tf.tensor4d(v, [1, ...pyr.grids[k], 1]))
    : null;
  const nValid = pyr.grids.map(([gh, gw], k) =>
    pixelValid ? pyr.valid![k].reduce((s, x) => s + x, 0) : gh * gw
  );
  let trainX: tf.Tensor4D | null = null;
  let trainV: tf.Tensor4D | null = null;

  const totalParams = () => net.reduce((s, l) => s + levelParams(l), 0);

  /** Sum over levels j <= k of eq. 3.1 on one batch. */
  const batchLoss = (k: number, x: tf.Tensor4D, v: tf.Tensor4D | null): tf.Scalar =>
    levelsLoss(net, k, x, v, pixelValid, nValid, omega);

  async function trainStage(
    k: number,
    op: "deepen" | "widen",
  ): Promise<{ steps: number; stop: "budget" | "converged"; loss: number; valLoss: number }> {
    const vars = levelVariables(net[k]);
    const optimizer = tf.train.adam(opts.learningRate);
    const valLossNow = async () => {
      const r = await evaluate(net, pyr, k, split.validation, false);
      return r.levels.reduce((s, st) => s + statsLoss(st, omega), 0);
    };
    let best = vars.map((v) => tf.clone(v));
    let bestLoss = await valLossNow();
    let prevCheck = bestLoss;
    const checkEvery = Math.max(10, Math.ceil(opts.steps / 10));
    const nTrain = split.train.length;
    const batch = Math.min(opts.batch, nTrain);
    const pool = Array.from({ length: nTrain }, (_, i) => i);
    let loss = NaN, step = 0;
    let stop: "budget" | "converged" = "budget";
    try {
      while (step < opts.steps && bestLoss > 0) {
        if (signal?.aborted) throw abortError(signal);
        if (performance.now() - lastYield > 50) {
          // Let timers (and so abort signals) fire between steps.
          await new Promise((r) => setTimeout(r, 0));
          lastYield = performance.now();
          if (signal?.aborted) throw abortError(signal);
        }
        const sel = batch < nTrain ? rng.sample(pool, batch).sort((a, b) => a - b) : null;
        const cost = tf.tidy(() => {
          let x = trainX!, v = trainV;
          if (sel) {
            const ind = tf.tensor1d(sel, "int32");
            x = tf.gather(x, ind);
            v = v ? tf.gather(v, ind) : null;
          }
          return optimizer.minimize(() => batchLoss(k, x, v), true, vars)!;
        });
        loss = (await cost.data())[0];
        cost.dispose();
        step++;
        options.onProgress?.({
          level: k,
          stage: stages.length,
          op,
          step,
          steps: opts.steps,
          loss,
          elapsed: elapsed(),
        });
        if (step % checkEvery === 0 || step === opts.steps) {
          const val = await valLossNow();
          if (val < bestLoss) {
            tf.dispose(best);
            best = vars.map((v) => tf.clone(v));
            bestLoss = val;
          }
          const slow = prevCheck > 0 ? (prevCheck - val) / prevCheck < SLOW_CONVERGENCE : true;
          if (
            slow && step >= Math.max(2 * checkEvery, Math.ceil(opts.steps / 4)) && step < opts.steps
          ) {
            stop = "converged";
            break;
          }
          prevCheck = val;
        }
      }
      vars.forEach((v, i) => v.assign(best[i]));
    } finally {
      tf.dispose(best);
      optimizer.dispose();
    }
    return { steps: step, stop, loss, valLoss: bestLoss };
  }

  try {
    for (let k = 0; k < n; k++) {
      const grid = pyr.grids[k];
      // Training snapshots of this level stay on the device for the whole level.
      tf.dispose([trainX, trainV].filter((x) => x !== null));
      [trainX, trainV] = hostBatch(pyr, k, split.train);
      // Deepening (Appendix A): centre-tap conv and bilinear transposed conv plus
      // uniform noise; encoder bias noise, decoder bias 0.
      net.push(makeLevel(
        grid,
        { kernel: noisy(centreTap), bias: rng.noise(eps) },
        { kernel: noisy(BILINEAR), bias: 0 },
        true,
      ));
      const groupPlan = opts.groups[k];
      let op: "deepen" | "widen" = "deepen";
      let maskFraction: number | null = null;
      for (let gi = 0; gi <= groupPlan.length; gi++) {
        const t0 = performance.now();
        if (gi > 0) {
          // Widening: mask from the errors of the previous stage; a resolved level stops.
          const stats = await evaluate(net, pyr, k, split.train, false);
          const open = unresolved(stats.levels[k], pyr, k, omega, opts.tol[k]);
          if (!open.some((x) => x)) break;
          const [lh, lw] = net[k].latent;
          const mask = dilate(open, lh, lw);
          const m = groupPlan[gi - 1];
          net[k].groups.push(makeGroup({
            channels: m,
            convKernels: Array.from({ length: 9 * m }, () => rng.noise(eps)),
            convBias: Float32Array.from({ length: m }, () => rng.noise(eps)),
            deconvKernels: Array.from({ length: 9 * m }, () => rng.noise(eps)),
            deconvBias: 0,
            mask,
          }, true));
          refreshMasks(net[k]);
          op = "widen";
          maskFraction = mask.reduce((s, x) => s + x, 0) / mask.length;
        }
        const r = await trainStage(k, op);
        const seconds = (performance.now() - t0) / 1000;
        const val = await evaluate(net, pyr, k, split.validation, true);
        const trainStats = await evaluate(net, pyr, k, split.train, false);
        const open = unresolved(trainStats.levels[k], pyr, k, omega, opts.tol[k]);
        stages.push({
          level: k,
          op,
          groups: net[k].groups.map((g) => g.channels),
          params: totalParams(),
          steps: r.steps,
          stop: r.stop,
          seconds,
          loss: r.loss,
          valLoss: r.valLoss,
          globalMetric: statsLoss(val.global!, omega),
          maskFraction,
          unresolvedFraction: open.reduce((s, x) => s + x, 0) / open.length,
        });
      }
    }
    tf.dispose([trainX, trainV].filter((x) => x !== null));
    trainX = trainV = null;
    const all = Array.from({ length: t }, (_, i) => i);
    const finalAll = await evaluate(net, pyr, n - 1, all, false);
    const finalTest = await evaluate(net, pyr, n - 1, split.test, false);
    const model = await modelFromNet(net);
    const report: TrainReport = {
      backend: backend.name,
      ...(backend.adapter ? { adapter: backend.adapter } : {}),
      seed: opts.seed,
      seconds: elapsed(),
      options: opts,
      split,
      stages,
      levels: finalAll.levels.map((s, k) => statsReport(s, k, pyr.grids[k], pyr.range)),
      testLevels: finalTest.levels.map((s, k) => statsReport(s, k, pyr.grids[k], pyr.range)),
    };
    return { model, report };
  } finally {
    tf.dispose([trainX, trainV].filter((x) => x !== null));
    if (pixelValid) tf.dispose(pixelValid);
    for (const l of net) disposeLevel(l);
  }
}
