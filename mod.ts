// This module is browser compatible (model coding loads TensorFlow.js on first use).
/**
 * mrcae: compression of gridded spatio-temporal data (T snapshots of H x W values) into a chunked
 * `.mrc` file that decodes any level of resolution on demand and progressively. Bounded coding
 * (the default) keeps every decoded value of every level within a maximum absolute error of the
 * original; model coding (`coding: "model"`) trains the paper's multiresolution convolutional
 * autoencoder (MrCAE) instead.
 *
 * - {@linkcode compress} codes the data within a bound (`errorBound`, `relErrorBound`, or the
 *   bound that reaches a `psnr`; default 1e-3 of the range) and returns the file's bytes;
 *   {@linkcode compressTo} writes into a sink or `WritableStream`. With `coding: "model"` they
 *   train a model (TensorFlow.js, loaded lazily) instead. An option of the other coding is a type
 *   error and a `TypeError`.
 * - {@linkcode openMrc} opens bytes, a path, a URL (HTTP range requests) or any range source;
 *   {@linkcode MrcFile.decode} decodes one level for a snapshot range, reading only what it needs;
 *   {@linkcode MrcFile.progressive} yields every level coarse to fine.
 * - {@linkcode decodeStream} decodes a file arriving as a stream, yielding each level as soon as
 *   its bytes are in.
 *
 * Decoding is plain TypeScript, for both codings (the trained network is linear): it never loads
 * TensorFlow.js, and importing this module downloads none of it; only model coding's first
 * `compress` call loads it.
 *
 * @example Compress a small field within a bound and decode every level
 * ```ts
 * import assert from "node:assert";
 * import { compress, openMrc } from "./mod.ts";
 *
 * const [T, H, W] = [8, 20, 30];
 * const data = new Float32Array(T * H * W).map((_, i) => Math.sin(i % W / 5) * Math.cos(i / (H * W)));
 * const bytes = await compress(data, [T, H, W], { errorBound: 1e-3, levels: 2 });
 * const file = await openMrc(bytes);
 * assert.deepStrictEqual(file.header.shape, [T, H, W]);
 * const finest = await file.decode();
 * assert.ok(finest.data.every((v, i) => Math.abs(v - data[i]) <= 1e-3));
 * const coarse = await file.decode({ level: 0, snapshots: [2, 4] });
 * assert.deepStrictEqual(coarse.shape, [2, 10, 15]);
 * ```
 *
 * @example Model coding: train MrCAE on the data (TensorFlow.js, loaded on this first call)
 * ```ts
 * import assert from "node:assert";
 * import { compress, openMrc } from "./mod.ts";
 *
 * const data = new Float32Array(4 * 15 * 15).map((_, i) => Math.sin(i / 9));
 * const bytes = await compress(data, [4, 15, 15], { coding: "model", levels: 2, steps: 5, backend: "cpu" });
 * assert.strictEqual((await openMrc(bytes)).levels.length, 2);
 * ```
 *
 * @module
 */

export * from "./decode.ts";
export * from "./src/encode/compress.ts";
export * from "./src/encode/scale.ts";
export * from "./src/encode/collection.ts";
export {
  encodeNpy,
  hasNpySignature,
  type NpyArray,
  type NpyDtype,
  parseNpy,
} from "./src/io/npy.ts";
