// This module is browser compatible.
/**
 * The decode-only entry point of mrcae: everything needed to read `.mrc` files and decode any
 * level, with no TensorFlow.js anywhere in its module graph (a test checks this). Use it in
 * browsers or wherever only reading is needed; `mod.ts` adds compression.
 *
 * @example Decode the coarsest level of a small file
 * ```ts
 * import assert from "node:assert";
 * import { openMrc } from "./decode.ts";
 *
 * const bytes = await Deno.readFile(new URL("./tests/testdata/v1.0-small.mrc", import.meta.url));
 * const file = await openMrc(bytes);
 * const level0 = await file.decode({ level: 0 });
 * assert.strictEqual(level0.level, 0);
 * assert.strictEqual(level0.data.length, level0.shape[0] * level0.shape[1] * level0.shape[2]);
 * ```
 *
 * @module
 */

export * from "./src/read/mrc_file.ts";
export * from "./src/read/metrics.ts";
export {
  countingSource,
  fromBytes,
  fromFileHandle,
  fromUrl,
  hasMrcSignature,
  MrcFormatError,
  type RangeSource,
} from "./format/mod.ts";
export type { MrcHeader } from "./format/mod.ts";
