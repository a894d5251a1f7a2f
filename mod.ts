// This module is browser compatible (compression needs TensorFlow.js, loaded on first use).
/**
 * mrcae: compression of gridded spatio-temporal data (T snapshots of H x W values) with a
 * multiresolution convolutional autoencoder, into a chunked `.mrc` file that decodes any level
 * of resolution on demand and progressively.
 *
 * - {@linkcode compress} trains a model on the data (TensorFlow.js, loaded lazily) and returns
 *   the file's bytes; {@linkcode compressTo} writes into a sink or `WritableStream`.
 * - {@linkcode openMrc} opens bytes, a path, a URL (HTTP range requests) or any range source;
 *   {@linkcode MrcFile.decode} decodes one level for a snapshot range, reading only what it needs;
 *   {@linkcode MrcFile.progressive} yields every level coarse to fine.
 * - {@linkcode decodeStream} decodes a file arriving as a stream, yielding each level as soon as
 *   its bytes are in.
 *
 * Decoding is plain TypeScript (the trained network is linear): it never loads TensorFlow.js, and
 * importing this module downloads none of it; the first `compress` call loads it.
 *
 * @example Compress a small field and decode every level
 * ```ts
 * import assert from "node:assert";
 * import { compress, openMrc } from "./mod.ts";
 *
 * const [T, H, W] = [8, 20, 30];
 * const data = new Float32Array(T * H * W).map((_, i) => Math.sin(i % W / 5) * Math.cos(i / (H * W)));
 * const bytes = await compress(data, [T, H, W], { levels: 2, steps: 20, backend: "cpu" });
 * const file = await openMrc(bytes);
 * assert.deepStrictEqual(file.header.shape, [T, H, W]);
 * const finest = await file.decode();
 * assert.deepStrictEqual(finest.shape, [T, H, W]);
 * const coarse = await file.decode({ level: 0, snapshots: [2, 4] });
 * assert.deepStrictEqual(coarse.shape, [2, 10, 15]);
 * ```
 *
 * @module
 */

export * from "./decode.ts";
export * from "./src/encode/compress.ts";
export {
  encodeNpy,
  hasNpySignature,
  type NpyArray,
  type NpyDtype,
  parseNpy,
} from "./src/io/npy.ts";
