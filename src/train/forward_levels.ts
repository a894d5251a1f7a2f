/**
 * TensorFlow.js forward pass of a trained {@link MrcaeModel}.
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
import type { MrcaeModel } from "../model/model.ts";
import { disposeLevel, forward, netFromModel } from "./_net.ts";

/**
 * Runs a trained model on finest-grid snapshots with the active TensorFlow.js
 * backend and returns every level's intermediate output `y_k` (codes go
 * through the masks as in `src/model/model.ts`). Differential reference for the
 * pure-TypeScript decoder.
 *
 * @param model A trained model.
 * @param data `T * H * W` finest-grid values.
 * @param shape `[T, H, W]`, `[H, W]` = the model's finest grid.
 * @returns One `Float32Array` of `T * H_k * W_k` per level, coarse to fine.
 *
 * @example Run a model
 * ```ts
 * import { forwardLevels, trainMrcae } from "./mod.ts";
 * const data = new Float32Array(2 * 7 * 7).fill(0.5);
 * const { model } = await trainMrcae({ data, shape: [2, 7, 7] }, { levels: 2, steps: 2, backend: "cpu" });
 * const ys = await forwardLevels(model, data, [2, 7, 7]);
 * if (ys[1].length !== 2 * 7 * 7 || ys[0].length !== 2 * 3 * 3) throw new Error("bad shape");
 * ```
 */
export async function forwardLevels(
  model: MrcaeModel,
  data: Float32Array,
  shape: [number, number, number],
): Promise<Float32Array[]> {
  const [t, h, w] = shape;
  const n = model.levels.length;
  const [fh, fw] = model.levels[n - 1].grid;
  if (h !== fh || w !== fw || data.length !== t * h * w) {
    throw new RangeError(
      `Cannot run model on ${t}x${h}x${w} (${data.length} values): its finest grid is ${fh}x${fw}`,
    );
  }
  const net = netFromModel(model);
  try {
    const outs = tf.tidy(() => forward(net, n - 1, tf.tensor4d(data, [t, h, w, 1])));
    try {
      return await Promise.all(outs.map(async (y) => Float32Array.from(await y.data())));
    } finally {
      tf.dispose(outs);
    }
  } finally {
    for (const l of net) disposeLevel(l);
  }
}
