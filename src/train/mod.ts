/**
 * Training engine of mrcae: progressive training of a multiresolution
 * convolutional autoencoder (MrCAE) with TensorFlow.js, returning the plain
 * typed-array {@link MrcaeModel} of `src/model/model.ts`.
 *
 * @example Train and run a model
 * ```ts
 * import { forwardLevels, trainMrcae } from "./mod.ts";
 * const t = 3, h = 7, w = 7;
 * const data = new Float32Array(t * h * w).map((_, i) => 0.5 + 0.2 * Math.cos(i / 5));
 * const { model, report } = await trainMrcae({ data, shape: [t, h, w] }, {
 *   levels: 2, steps: 5, backend: "cpu", seed: 1,
 * });
 * const ys = await forwardLevels(model, data, [t, h, w]);
 * if (ys.length !== 2 || report.levels.length !== 2) throw new Error("bad levels");
 * ```
 *
 * @module
 */
export * from "./backend.ts";
export * from "./types.ts";
export * from "./train_mrcae.ts";
export * from "./forward_levels.ts";
export * from "./conv_backprop_filter.ts";
