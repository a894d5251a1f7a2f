// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * The `.mrc` container of mrcae: a chunked, checksummed, indexed file holding T snapshots level by
 * level, coarse to fine: in the default bounded coding, range-coded prediction residuals within a
 * maximum absolute error; in model coding, a trained MrCAE decoder and its quantized codes. It is
 * read with random access through any range source or front to back from a stream.
 * `format/SPEC.md` describes the bytes.
 *
 * - Write with {@linkcode MrcWriter}.
 * - Read with {@linkcode openContainer} over a {@linkcode RangeSource} ({@linkcode fromBytes};
 *   files and URLs are `src/transport/`), or with {@linkcode readMrcStream}.
 * - Every bad input throws {@linkcode MrcFormatError}.
 *
 * This module never uses `Deno.*` and runs in browsers.
 *
 * @example Write a file, then read one code block with three reads to open and one to read
 * ```ts
 * import assert from "node:assert";
 * import { countingSource, fromBytes, type MrcHeader, MrcWriter, openContainer } from "./mod.ts";
 *
 * const header: MrcHeader = {
 *   shape: [3, 3, 3], dtype: "float32", grid: [3, 3], crop: [0, 0], padMode: "replicate",
 *   normalization: { offset: 10, scale: 2 }, blockSize: 2,
 *   levels: [{ grid: [3, 3], latent: [1, 1], groups: [1], quant: { base: 0.5, groups: [0.25] } }],
 *   quantization: "uniform-midtread", missing: { mode: "none", fillValue: null, count: 0 },
 * };
 * const parts: Uint8Array[] = [];
 * const writer = new MrcWriter({ write: (bytes) => void parts.push(bytes) });
 * await writer.writeHeader(header);
 * await writer.writeMeta({ tool: "example" });
 * await writer.writeLevelWeights(0, {
 *   deconv: { kernel: new Float32Array(9).fill(1), bias: 0 },
 *   groups: [{ deconvKernels: new Float32Array(9), deconvBias: 0 }],
 * });
 * await writer.writeMasks(0, [new Uint8Array([1])]);
 * await writer.writeCodeBlock(0, 0, { snapshotCount: 2, streams: [new Int32Array([1, 2]), new Int32Array([0, -1])] });
 * await writer.writeCodeBlock(0, 1, { snapshotCount: 1, streams: [new Int32Array([3]), new Int32Array([5])] });
 * const size = await writer.finish();
 * const file = new Uint8Array(size);
 * let at = 0;
 * for (const part of parts) {
 *   file.set(part, at);
 *   at += part.length;
 * }
 * assert.strictEqual(at, size);
 *
 * const source = countingSource(fromBytes(file));
 * const mrc = await openContainer(source);
 * assert.deepStrictEqual(mrc.meta, { tool: "example" });
 * const code = await mrc.readCodeBlock(0, 1);
 * assert.deepStrictEqual(code.streams, [new Int32Array([3]), new Int32Array([5])]);
 * assert.strictEqual(source.reads, 4);
 * ```
 *
 * @module
 */

export * from "./attributes.ts";
export * from "./bounded_block.ts";
export * from "./code_block.ts";
export * from "./collection.ts";
export * from "./error.ts";
export * from "./geometry.ts";
export * from "./header.ts";
export * from "./level_weights.ts";
export * from "./masks.ts";
export * from "./meta.ts";
export * from "./missing_mask.ts";
export * from "./reader.ts";
export * from "./signature.ts";
export * from "./source.ts";
export * from "./stream_reader.ts";
export * from "./writer.ts";
