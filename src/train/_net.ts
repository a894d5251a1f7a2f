/**
 * The MrCAE network as TensorFlow.js variables, its forward pass and the
 * conversion to and from the plain-array {@link MrcaeModel} contract.
 *
 * Layout: tensors are NHWC with one channel; a filter is `[3, 3, 1, m]`. The
 * contract stores kernels channel-major `[c][dy][dx]`, so export transposes.
 * Groups of one level run as one conv and one transposed conv over all their
 * channels (kernels concatenated along the channel axis, masks as one
 * `[1, h, w, M]` tensor): fewer, larger kernels.
 */
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
import type { GroupModel, LevelModel, MrcaeModel } from "../model/model.ts";

/** Bilinear interpolation kernel of Appendix A. */
export const BILINEAR: readonly number[] = [0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25];

/** One widening group. */
export interface NetGroup {
  channels: number;
  convK: tf.Variable; // [3,3,1,m]
  convB: tf.Variable; // [m]
  deconvK: tf.Variable; // [3,3,1,m]
  deconvB: tf.Variable; // [1]
  mask: Uint8Array; // latent h*w
}

/** One level. */
export interface NetLevel {
  grid: [number, number];
  latent: [number, number];
  convK: tf.Variable; // [3,3,1,1]
  convB: tf.Variable; // [1]
  deconvK: tf.Variable; // [3,3,1,1]
  deconvB: tf.Variable; // [1]
  groups: NetGroup[];
  /** `[1, h, w, M]` masks of all groups, channel order as the concatenated kernels. */
  maskTensor: tf.Tensor4D | null;
}

/** Variables of one level, in a fixed order (for optimizers and best-parameter copies). */
export function levelVariables(level: NetLevel): tf.Variable[] {
  const vars = [level.convK, level.convB, level.deconvK, level.deconvB];
  for (const g of level.groups) vars.push(g.convK, g.convB, g.deconvK, g.deconvB);
  return vars;
}

/** Number of parameters of a level. */
export function levelParams(level: NetLevel): number {
  return levelVariables(level).reduce((s, v) => s + v.size, 0);
}

/** Rebuilds the concatenated mask tensor after a group was added. */
export function refreshMasks(level: NetLevel): void {
  level.maskTensor?.dispose();
  level.maskTensor = null;
  if (level.groups.length === 0) return;
  const [h, w] = level.latent;
  const m = level.groups.reduce((s, g) => s + g.channels, 0);
  const buf = new Float32Array(h * w * m);
  let c0 = 0;
  for (const g of level.groups) {
    for (let p = 0; p < h * w; p++) {
      if (!g.mask[p]) continue;
      for (let c = 0; c < g.channels; c++) buf[p * m + c0 + c] = 1;
    }
    c0 += g.channels;
  }
  level.maskTensor = tf.tensor4d(buf, [1, h, w, m]);
}

/** Disposes every tensor of a level. */
export function disposeLevel(level: NetLevel): void {
  for (const v of levelVariables(level)) v.dispose();
  level.maskTensor?.dispose();
  level.maskTensor = null;
}

/** Replicate-pads by one pixel, stride-2 transposed conv, crops two pixels: `n -> 2n + 1`. */
export function deconvPadded(y: tf.Tensor4D, k: tf.Tensor4D, b: tf.Tensor | null): tf.Tensor4D {
  const [n, h, w] = y.shape;
  const rows = tf.concat([
    tf.slice(y, [0, 0, 0, 0], [-1, 1, -1, -1]),
    y,
    tf.slice(y, [0, h - 1, 0, 0], [-1, 1, -1, -1]),
  ], 1);
  const padded = tf.concat([
    tf.slice(rows, [0, 0, 0, 0], [-1, -1, 1, -1]),
    rows,
    tf.slice(rows, [0, 0, w - 1, 0], [-1, -1, 1, -1]),
  ], 2) as tf.Tensor4D;
  const up = tf.conv2dTranspose(padded, k, [n, 2 * h + 5, 2 * w + 5, 1], 2, "valid");
  const out = tf.slice(up, [0, 2, 2, 0], [-1, 2 * h + 1, 2 * w + 1, -1]);
  return (b ? tf.add(out, b) : out) as tf.Tensor4D;
}

/** The widening pathways of a level on its input `x` (`[B, H, W, 1]`), or null when it has none. */
function groupsOutput(level: NetLevel, x: tf.Tensor4D): tf.Tensor4D | null {
  const gs = level.groups;
  if (gs.length === 0) return null;
  const one = gs.length === 1;
  const convK = one ? gs[0].convK : tf.concat(gs.map((g) => g.convK), 3);
  const convB = one ? gs[0].convB : tf.concat(gs.map((g) => g.convB), 0);
  const deconvK = one ? gs[0].deconvK : tf.concat(gs.map((g) => g.deconvK), 3);
  const deconvB = one ? gs[0].deconvB : tf.addN(gs.map((g) => g.deconvB));
  const z = tf.mul(
    tf.add(tf.conv2d(x, convK as tf.Tensor4D, 2, "valid"), convB),
    level.maskTensor!,
  );
  const [n, h, w] = x.shape;
  const y = tf.conv2dTranspose(z as tf.Tensor4D, deconvK as tf.Tensor4D, [n, h, w, 1], 2, "valid");
  return tf.add(y, deconvB) as tf.Tensor4D;
}

/**
 * Forward pass of levels `0..top` on the level-`top` input `x` (`[B, H_top, W_top, 1]`).
 * Returns every level's output `y_k`, coarse to fine. Call inside `tf.tidy`.
 */
export function forward(levels: NetLevel[], top: number, x: tf.Tensor4D): tf.Tensor4D[] {
  // Encoder chain: h_{k-1} = c(k)(h_k).
  const h: tf.Tensor4D[] = new Array(top + 1);
  h[top] = x;
  for (let k = top; k >= 1; k--) {
    h[k - 1] = tf.add(
      tf.conv2d(h[k], levels[k].convK as tf.Tensor4D, 2, "valid"),
      levels[k].convB,
    ) as tf.Tensor4D;
  }
  const ys: tf.Tensor4D[] = [];
  const l0 = levels[0];
  const z0 = tf.add(tf.conv2d(h[0], l0.convK as tf.Tensor4D, 2, "valid"), l0.convB) as tf.Tensor4D;
  // Level 0 pads like every level (as the authors' code does): a plain transposed conv gives the
  // border pixels only the outer taps, which no kernel can repair, and training stalls (~24 dB).
  let y = deconvPadded(z0, l0.deconvK as tf.Tensor4D, l0.deconvB);
  const g0 = groupsOutput(l0, h[0]);
  if (g0) y = tf.add(y, g0);
  ys.push(y);
  for (let k = 1; k <= top; k++) {
    const lk = levels[k];
    y = deconvPadded(y, lk.deconvK as tf.Tensor4D, lk.deconvB);
    const gk = groupsOutput(lk, h[k]);
    if (gk) y = tf.add(y, gk);
    ys.push(y);
  }
  return ys;
}

/** A `[3,3,1,m]` filter from `m` channel-major 3x3 kernels. */
function filterFromKernels(kernels: ArrayLike<number>, m: number): Float32Array {
  const out = new Float32Array(9 * m);
  for (let c = 0; c < m; c++) for (let t = 0; t < 9; t++) out[t * m + c] = kernels[c * 9 + t];
  return out;
}

/** Channel-major 3x3 kernels from a `[3,3,1,m]` filter. */
function kernelsFromFilter(filter: Float32Array, m: number): Float32Array {
  const out = new Float32Array(9 * m);
  for (let c = 0; c < m; c++) for (let t = 0; t < 9; t++) out[c * 9 + t] = filter[t * m + c];
  return out;
}

/** A level from plain arrays (used at init and to rebuild a trained model). */
export function makeLevel(
  grid: [number, number],
  conv: { kernel: ArrayLike<number>; bias: number },
  deconv: { kernel: ArrayLike<number>; bias: number },
  trainable: boolean,
): NetLevel {
  const v = (vals: ArrayLike<number>, shape: number[]) =>
    tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(vals), shape), trainable));
  return {
    grid,
    latent: [(grid[0] - 1) / 2, (grid[1] - 1) / 2],
    convK: v(conv.kernel, [3, 3, 1, 1]),
    convB: v([conv.bias], [1]),
    deconvK: v(deconv.kernel, [3, 3, 1, 1]),
    deconvB: v([deconv.bias], [1]),
    groups: [],
    maskTensor: null,
  };
}

/** A group from plain arrays; call {@link refreshMasks} after adding it. */
export function makeGroup(
  g: Omit<GroupModel, "convKernels" | "deconvKernels"> & {
    convKernels: ArrayLike<number>;
    deconvKernels: ArrayLike<number>;
  },
  trainable: boolean,
): NetGroup {
  const m = g.channels;
  const v = (vals: ArrayLike<number>, shape: number[]) =>
    tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(vals), shape), trainable));
  return {
    channels: m,
    convK: v(filterFromKernels(g.convKernels, m), [3, 3, 1, m]),
    convB: v(g.convBias, [m]),
    deconvK: v(filterFromKernels(g.deconvKernels, m), [3, 3, 1, m]),
    deconvB: v([g.deconvBias], [1]),
    mask: g.mask,
  };
}

/** Builds network levels from a trained model (not trainable). */
export function netFromModel(model: MrcaeModel): NetLevel[] {
  return model.levels.map((lm) => {
    const level = makeLevel(lm.grid, lm.conv, lm.deconv, false);
    for (const g of lm.groups) level.groups.push(makeGroup(g, false));
    refreshMasks(level);
    return level;
  });
}

/** Reads the network into the plain-array contract. */
export async function modelFromNet(levels: NetLevel[]): Promise<MrcaeModel> {
  const out: LevelModel[] = [];
  for (const l of levels) {
    const read = async (v: tf.Variable) => (await v.data()) as Float32Array;
    const groups: GroupModel[] = [];
    for (const g of l.groups) {
      groups.push({
        channels: g.channels,
        convKernels: kernelsFromFilter(await read(g.convK), g.channels),
        convBias: Float32Array.from(await read(g.convB)),
        deconvKernels: kernelsFromFilter(await read(g.deconvK), g.channels),
        deconvBias: (await read(g.deconvB))[0],
        mask: Uint8Array.from(g.mask),
      });
    }
    out.push({
      grid: [l.grid[0], l.grid[1]],
      latent: [l.latent[0], l.latent[1]],
      conv: { kernel: Float32Array.from(await read(l.convK)), bias: (await read(l.convB))[0] },
      deconv: {
        kernel: Float32Array.from(await read(l.deconvK)),
        bias: (await read(l.deconvB))[0],
      },
      groups,
    });
  }
  return { levels: out };
}
