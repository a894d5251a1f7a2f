/**
 * Progressive MrCAE training (Algorithm 3.1 of Liu, Ponce, Brunton and Kutz)
 * with TensorFlow.js.
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
import type { MrcaeModel } from "../model/model.ts";
import { selectBackend } from "./backend.ts";
import { Random } from "./_random.ts";
import { dilate } from "./_grid.ts";
import { levelsLoss } from "./_loss.ts";
import {
  BILINEAR,
  disposeLevel,
  levelParams,
  levelVariables,
  makeGroup,
  makeLevel,
  modelFromNet,
  type NetLevel,
  refreshMasks,
} from "./_net.ts";
import { resolveOptions } from "./options.ts";
import { buildPyramid, hostBatch, splitIndices } from "./_pyramid.ts";
import { evaluate, levelReport, pixelLoss, unresolved } from "./_evaluate.ts";
import type { StageReport, TrainInput, TrainOptions, TrainReport } from "./types.ts";

/** Relative decrease of the validation loss between checks below which a stage stops (Appendix B). */
const SLOW_CONVERGENCE = 1e-3;

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
 * @returns The trained model (plain arrays, see `src/model/model.ts`) and a report.
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
  const outOfTime = () => opts.timeBudget > 0 && elapsed() >= opts.timeBudget;
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
  ): Promise<
    { steps: number; stop: "budget" | "converged" | "time"; loss: number; valLoss: number }
  > {
    const vars = levelVariables(net[k]);
    const optimizer = tf.train.adam(opts.learningRate);
    const valLossNow = async () => {
      const r = await evaluate(net, pyr, k, split.validation, false);
      return r.levels.reduce((s, st) => s + pixelLoss(st, omega), 0);
    };
    let best = vars.map((v) => tf.clone(v));
    let bestLoss = await valLossNow();
    let prevCheck = bestLoss;
    const checkEvery = Math.max(10, Math.ceil(opts.steps / 10));
    const nTrain = split.train.length;
    const batch = Math.min(opts.batch, nTrain);
    const pool = Array.from({ length: nTrain }, (_, i) => i);
    let loss = NaN, step = 0;
    let stop: "budget" | "converged" | "time" = "budget";
    try {
      while (step < opts.steps && bestLoss > 0) {
        if (outOfTime()) {
          stop = "time";
          break;
        }
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
          // Out of time: no more groups (the level keeps what it has).
          if (outOfTime()) break;
          // Widening: mask from the errors of the previous stage; a resolved level stops.
          const errors = await evaluate(net, pyr, k, split.train, false);
          const open = unresolved(errors.levels[k], pyr, k, omega, opts.tol[k]);
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
        const trainErrors = await evaluate(net, pyr, k, split.train, false);
        const open = unresolved(trainErrors.levels[k], pyr, k, omega, opts.tol[k]);
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
          globalMetric: pixelLoss(val.global!, omega),
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
      levels: finalAll.levels.map((s, k) => levelReport(s, k, pyr.grids[k], pyr.range)),
      testLevels: finalTest.levels.map((s, k) => levelReport(s, k, pyr.grids[k], pyr.range)),
    };
    return { model, report };
  } finally {
    tf.dispose([trainX, trainV].filter((x) => x !== null));
    if (pixelValid) tf.dispose(pixelValid);
    for (const l of net) disposeLevel(l);
  }
}
