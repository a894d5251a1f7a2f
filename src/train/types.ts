/**
 * Input, options, progress and report types of {@link trainMrcae}, and the
 * {@link TrainerModule} shape of `src/train/mod.ts`. Imports no TensorFlow.js.
 *
 * @module
 */
import type { MrcaeModel } from "../model/model.ts";

/** A TensorFlow.js backend the trainer can run on. */
export type BackendName = "webgpu" | "wasm" | "cpu";

/** Training data: the finest padded grid, normalized to about [0, 1]. */
export interface TrainInput {
  /** `T * H * W` values, snapshot-major, all finite. */
  data: Float32Array;
  /** `[T, H, W]`; `H` and `W` must allow the requested levels (see `levelGrids`). */
  shape: [number, number, number];
  /**
   * Optional validity, length `H * W` (same for every snapshot) or `T * H * W`;
   * 0 excludes a value from the loss, the masks and the report (missing values, padding).
   */
  valid?: Uint8Array;
}

/** Training options. Defaults follow the paper where it gives a value. */
export interface TrainOptions {
  /** Number of levels `N`. Default 3. `compress` takes 1 to 8 (the format allows up to 30). */
  levels?: number;
  /**
   * Channels of each widening group, per level (NOT cumulative). Default
   * `[[1, 1, 1], [1, 1, 1], [2, 2, 2]]` for 3 levels: the authors' cumulative
   * `[[1,2,3,4],[1,2,3,4],[1,3,5,7]]` (first entry = the deepening channel).
   * Other level counts: three 1-channel groups per level, three 2-channel groups at the finest.
   */
  groups?: number[][];
  /** Tolerance per level for the masks. Default `[1e-3, 5e-4, 1e-4]` (3 levels; log-spaced 1e-3..1e-4 otherwise). */
  tol?: number[];
  /** Loss weight `w` of the MSE term (the rest goes to the max term). Default 0.5. */
  omega?: number;
  /**
   * Step budget per stage (one step = one Adam update on one batch). Default 300.
   * On toy1 (500 x 127 x 127, 2 cores, wasm) steps 300, batch 32, lr 3e-3 train in
   * ~150 s to 48.4 / 48.3 / 49.1 dB test PSNR (authors: 44.2 / 46.8 / 47.0 dB in
   * ~2,350 s).
   */
  steps?: number;
  /**
   * Wall-clock budget of the whole training, in seconds (0 = none). Default 60. Once spent, the
   * current stage stops, no more widening groups are added, and the remaining levels keep their
   * initial (bilinear) upsamplers. On toy1 (2 cores, wasm) a full run takes about 150 s.
   */
  timeBudget?: number;
  /** Snapshots per batch (capped at the training count). Default 32. */
  batch?: number;
  /**
   * Adam learning rate. Default 3e-3: the paper's 1e-3 with batch 32 stops
   * stages early at a worse loss (toy1: 48.3 / 43.9 / 40.3 dB at 200 steps).
   */
  learningRate?: number;
  /** Init noise `eps` (Appendix A). Default 0.01. */
  initNoise?: number;
  /** Train/validation/test fractions, shuffled by `seed`. Default `[0.7, 0.2, 0.1]`. */
  split?: [number, number, number];
  /** Seed of init noise, split and batches. Default 0. */
  seed?: number;
  /** Backend, default `"auto"` (hardware WebGPU, else wasm, else cpu). */
  backend?: "auto" | BackendName;
  /** Cancels training between steps; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after every optimizer step. */
  onProgress?: (e: TrainProgress) => void;
}

/** One progress event (after every optimizer step). */
export interface TrainProgress {
  /** Level being trained, 0 = coarsest. */
  level: number;
  /** Stage index over the whole run, from 0. */
  stage: number;
  /** A deepening stage (new level) or a widening stage (new group). */
  op: "deepen" | "widen";
  /** Steps done in this stage. */
  step: number;
  /** Step budget of this stage. */
  steps: number;
  /** Training loss of this step's batch. */
  loss: number;
  /** Seconds since training started. */
  elapsed: number;
}

/** Options after defaults (see {@linkcode TrainOptions} for each one's meaning). */
export interface ResolvedTrainOptions {
  /** Number of levels. */
  levels: number;
  /** Channels of each widening group, per level. */
  groups: number[][];
  /** Mask tolerance per level (MSE, normalized units). */
  tol: number[];
  /** Weight of the MSE term of the loss (the rest is the max term). */
  omega: number;
  /** Optimizer step budget per stage. */
  steps: number;
  /** Seconds for the whole training (0 = none). */
  timeBudget: number;
  /** Snapshots per batch. */
  batch: number;
  /** Adam learning rate. */
  learningRate: number;
  /** Half-width of the uniform initialization noise. */
  initNoise: number;
  /** Train/validation/test fractions. */
  split: [number, number, number];
  /** Random seed. */
  seed: number;
  /** Requested backend. */
  backend: "auto" | BackendName;
}

/** One training stage (a deepening or widening operation and its training). */
export interface StageReport {
  /** Level trained, 0 = coarsest. */
  level: number;
  /** A deepening stage (new level) or a widening stage (new group). */
  op: "deepen" | "widen";
  /** Channels of the widening groups of this level so far. */
  groups: number[];
  /** Parameters of the whole network after this stage. */
  params: number;
  /** Optimizer steps run (at most the budget). */
  steps: number;
  /** Why the stage ended: its step budget, convergence, or the training's time budget. */
  stop: "budget" | "converged" | "time";
  /** Wall-clock seconds of the stage. */
  seconds: number;
  /** Training loss of the last step. */
  loss: number;
  /** Validation loss of the kept (best) parameters: sum over levels 0..level of eq. 3.1. */
  valLoss: number;
  /** Eq. 3.4 on the validation snapshots: this level's output bilinearly upsampled to the finest grid. */
  globalMetric: number;
  /** Fraction of latent positions the new group's mask keeps, or null for deepening. */
  maskFraction: number | null;
  /** Fraction of this level's latent positions still unresolved after the stage. */
  unresolvedFraction: number;
}

/** Errors of one level's output `y_k` against that level's data, on valid positions. */
export interface LevelReport {
  /** The level, 0 = coarsest. */
  level: number;
  /** The level's grid `[h, w]` (stored, padded). */
  grid: [number, number];
  /** Root mean squared error, normalized units. */
  rmse: number;
  /**
   * `psnr(rmse, range)` of `src/metrics.ts` (`20 log10(range / rmse)`), with `range` the
   * `max - min` of the valid normalized finest-grid data (1 when constant); `Infinity` when exact.
   */
  psnr: number;
  /** Largest absolute error, normalized units. */
  maxAbsError: number;
}

/** What {@link trainMrcae} did. */
export interface TrainReport {
  /** Backend that trained. */
  backend: BackendName;
  /** WebGPU adapter description, when WebGPU trained. */
  adapter?: string;
  /** Random seed. */
  seed: number;
  /** Wall-clock seconds of training. */
  seconds: number;
  /** The options used, after defaults. */
  options: ResolvedTrainOptions;
  /** Snapshot indices of each split (with T = 1 all three are `[0]`). */
  split: { train: number[]; validation: number[]; test: number[] };
  /** Every stage in order. */
  stages: StageReport[];
  /** Final model, all snapshots. */
  levels: LevelReport[];
  /** Final model, test snapshots only. */
  testLevels: LevelReport[];
}

/**
 * What `src/train/mod.ts` provides to compression, which imports it lazily by a
 * computed specifier (so Deno does not prefetch TensorFlow.js for readers).
 * Such an import is typed `any`; annotate its result with this interface, which
 * `tests/src/train/trainer_module_test.ts` checks against the real module.
 */
export interface TrainerModule {
  /**
   * Trains a model; see `trainMrcae` in `src/train/train_mrcae.ts`.
   *
   * @param input Finest-grid data, normalized to about [0, 1].
   * @param options Training options; see {@link TrainOptions} for defaults.
   * @returns The trained model and what training did.
   */
  trainMrcae(
    input: TrainInput,
    options?: TrainOptions,
  ): Promise<{ model: MrcaeModel; report: TrainReport }>;
}
