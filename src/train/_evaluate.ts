/**
 * Evaluation of the network during and after training: per-pixel squared
 * errors accumulated over snapshots, the loss and level reports derived from
 * them, and the unresolved latent positions that drive the widening masks.
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
import { psnr } from "../metrics.ts";
import { latentAverage } from "./_grid.ts";
import { centre } from "./_loss.ts";
import { BILINEAR, deconvPadded, forward, type NetLevel } from "./_net.ts";
import { hostBatch, type Pyramid } from "./_pyramid.ts";
import type { LevelReport } from "./types.ts";

/** Snapshots per forward pass when evaluating. */
const EVAL_CHUNK = 64;

/** Per-pixel squared-error sums of one level over a set of snapshots. */
export interface PixelErrors {
  /** Sum over snapshots of the squared error at each pixel. */
  sum: Float64Array;
  /** Valid snapshots counted at each pixel. */
  count: Float64Array;
  /** Largest squared error at each pixel. */
  max: Float32Array;
}

/** Empty accumulator for a level of `hw` pixels. */
export function newPixelErrors(hw: number): PixelErrors {
  return { sum: new Float64Array(hw), count: new Float64Array(hw), max: new Float32Array(hw) };
}

/** Eq. 3.1 from the accumulated errors: `omega` x MSE + `(1 - omega)` x the largest per-pixel MSE. */
export function pixelLoss(s: PixelErrors, omega: number): number {
  let sum = 0, cnt = 0, mx = 0;
  for (let p = 0; p < s.sum.length; p++) {
    sum += s.sum[p];
    cnt += s.count[p];
    if (s.count[p] > 0) mx = Math.max(mx, s.sum[p] / s.count[p]);
  }
  return omega * (cnt > 0 ? sum / cnt : 0) + (1 - omega) * mx;
}

/** RMSE, PSNR (with `range`, which must be > 0) and largest absolute error of one level. */
export function levelReport(
  s: PixelErrors,
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
  const rmse = Math.sqrt(mse);
  return {
    level,
    grid: [grid[0], grid[1]],
    rmse,
    // `Pyramid.range` is always > 0 (1 for constant data), so psnr() gives a number.
    psnr: psnr(rmse, range)!,
    maxAbsError: Math.sqrt(mx),
  };
}

/**
 * Error statistics of levels `0..top` of the network on snapshots `idx`
 * (input = level-`top` data), plus, with `global`, of the level-`top` output
 * bilinearly upsampled to the finest grid (eq. 3.4).
 */
export async function evaluate(
  net: NetLevel[],
  p: Pyramid,
  top: number,
  idx: number[],
  global: boolean,
): Promise<{ levels: PixelErrors[]; global: PixelErrors | null }> {
  const n = p.grids.length;
  const levels = p.grids.slice(0, top + 1).map(([h, w]) => newPixelErrors(h * w));
  const g = global ? newPixelErrors(p.grids[n - 1][0] * p.grids[n - 1][1]) : null;
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
export function unresolved(
  s: PixelErrors,
  p: Pyramid,
  k: number,
  omega: number,
  tol: number,
): Uint8Array {
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
