/**
 * The training loss of the trainer: eq. 3.1 of the paper per level, summed over
 * every intermediate output. Kept apart from the training loop so tests can
 * check its gradients by finite differences.
 */
// deno-lint-ignore no-import-prefix
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
import { forward, type NetLevel } from "./_net.ts";

/** Every-other-pixel sample starting at 1: level-k data/validity -> level k-1. */
export function centre(t: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w] = t.shape;
  return tf.stridedSlice(t, [0, 1, 1, 0], [n, h, w, 1], [1, 2, 2, 1]) as tf.Tensor4D;
}

/**
 * Eq. 3.1 on one batch with validity weights: `w * MSE + (1 - w) * max_p mean_b err^2`.
 * `v` is null (all valid), `[1,H,W,1]` (per pixel, `nValid` ones) or `[B,H,W,1]`.
 */
export function paperLoss(
  y: tf.Tensor4D,
  d: tf.Tensor4D,
  v: tf.Tensor4D | null,
  nValid: number,
  omega: number,
): tf.Scalar {
  const e2 = tf.squaredDifference(y, d);
  const b = y.shape[0];
  if (!v) return tf.add(tf.mul(omega, tf.mean(e2)), tf.mul(1 - omega, tf.max(tf.mean(e2, 0))));
  const e2v = tf.mul(e2, v);
  if (v.shape[0] === 1) {
    return tf.add(
      tf.mul(omega / (b * nValid), tf.sum(e2v)),
      tf.mul(1 - omega, tf.max(tf.mean(e2v, 0))),
    );
  }
  const mse = tf.div(tf.sum(e2v), tf.maximum(tf.sum(v), 1));
  const perPixel = tf.div(tf.sum(e2v, 0), tf.maximum(tf.sum(v, 0), 1));
  return tf.add(tf.mul(omega, mse), tf.mul(1 - omega, tf.max(perPixel)));
}

/**
 * Sum over levels `j <= k` of eq. 3.1 on one batch: `x` is level-`k` data
 * (`[B, H_k, W_k, 1]`), the level-`j` target its centre samples; `v` per-value
 * validity of `x` or null; `pixelValid[j]` per-pixel validity (`[1, H_j, W_j, 1]`)
 * or null; `nValid[j]` the count of valid pixels of level `j`.
 */
export function levelsLoss(
  net: NetLevel[],
  k: number,
  x: tf.Tensor4D,
  v: tf.Tensor4D | null,
  pixelValid: tf.Tensor4D[] | null,
  nValid: number[],
  omega: number,
): tf.Scalar {
  const ys = forward(net, k, x);
  let total: tf.Scalar | null = null;
  let d = x, vv = v;
  for (let j = k; j >= 0; j--) {
    const term = paperLoss(ys[j], d, vv ?? pixelValid?.[j] ?? null, nValid[j], omega);
    total = total ? tf.add(total, term) : term;
    if (j > 0) {
      d = centre(d);
      vv = vv ? centre(vv) : null;
    }
  }
  return total!;
}
