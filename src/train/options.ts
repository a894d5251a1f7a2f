/**
 * Defaults and validation of the {@link TrainOptions} of `trainMrcae`.
 *
 * @module
 */
import type { ResolvedTrainOptions, TrainOptions } from "./types.ts";

/** Mask tolerance per level: the paper's `[1e-3, 5e-4, 1e-4]` for 3 levels, log-spaced 1e-3..1e-4 otherwise. */
export function defaultTol(n: number): number[] {
  if (n === 3) return [1e-3, 5e-4, 1e-4];
  if (n === 1) return [1e-4];
  return Array.from({ length: n }, (_, k) => 1e-3 * Math.pow(0.1, k / (n - 1)));
}

/** Widening groups per level: three 1-channel groups, three 2-channel groups at the finest level. */
export function defaultGroups(n: number): number[][] {
  return Array.from({ length: n }, (_, k) => (k === n - 1 && n > 1 ? [2, 2, 2] : [1, 1, 1]));
}

/** Options with their defaults filled in (see {@link TrainOptions}); throws on invalid values. */
export function resolveOptions(o: TrainOptions): ResolvedTrainOptions {
  const levels = o.levels ?? (o.groups?.length ?? o.tol?.length ?? 3);
  const r: ResolvedTrainOptions = {
    levels,
    groups: o.groups ?? defaultGroups(levels),
    tol: o.tol ?? defaultTol(levels),
    omega: o.omega ?? 0.5,
    steps: o.steps ?? 300,
    timeBudget: o.timeBudget ?? 60,
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
  if (!(r.timeBudget >= 0)) {
    throw new RangeError(`Cannot train: timeBudget must be >= 0 seconds, got ${r.timeBudget}`);
  }
  if (!Number.isInteger(r.batch) || r.batch < 1) {
    throw new TypeError(`Cannot train: batch must be a positive integer, got ${r.batch}`);
  }
  return r;
}
