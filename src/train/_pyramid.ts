/**
 * Host-side training data of `trainMrcae`: the train/validation/test split,
 * the data pyramid of every level, and batches of it as tensors.
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
import { levelGrids } from "../model/model.ts";
import type { Random } from "./_random.ts";
import { centreSample } from "./_grid.ts";
import type { TrainInput } from "./types.ts";

/** Train/validation/test indices; with one snapshot all three are `[0]`. */
export function splitIndices(
  t: number,
  fr: [number, number, number],
  rng: Random,
): { train: number[]; validation: number[]; test: number[] } {
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
export interface Pyramid {
  grids: [number, number][];
  t: number;
  data: Float32Array[];
  /** null: all valid; per-pixel (`H_k*W_k`) or per-value (`T*H_k*W_k`) weights. */
  valid: Float32Array[] | null;
  perSnapshot: boolean;
  /** `max - min` of the valid finest-grid data; 1 when constant, so always > 0. */
  range: number;
}

/** The data and validity of levels `0..n-1`, coarse to fine; throws when a level has no valid position. */
export function buildPyramid(input: TrainInput, n: number): Pyramid {
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
export function hostBatch(
  p: Pyramid,
  k: number,
  idx: number[],
): [tf.Tensor4D, tf.Tensor4D | null] {
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
