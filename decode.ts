// This module is browser compatible.
/**
 * The decode-only entry point of mrcae: everything needed to read `.mrc` files and decode any
 * level, with no TensorFlow.js anywhere in its module graph, type-only imports included (a test
 * checks this). Use it in browsers or wherever only reading is needed; `mod.ts` adds compression.
 *
 * - {@linkcode openMrc} opens bytes, a path, a URL (HTTP range requests) or any range source;
 *   {@linkcode openCollection} lists the variables of a file of several (SPEC.md §12);
 *   {@linkcode MrcFile.decode} decodes one level for a snapshot range, reading only what it needs;
 *   {@linkcode MrcFile.progressive} yields every level coarse to fine.
 * - {@linkcode decodeStream} decodes a file arriving as a stream, yielding each level as soon as
 *   its bytes are in.
 * - {@linkcode levelMetrics} compares a decoded level with the original array.
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

export * from "./src/read/open.ts";
export * from "./src/read/mrc_file.ts";
export {
  type CollectionVariable,
  MrcCollection,
  type PartOptions,
  VariableChoiceError,
} from "./src/read/collection.ts";
export * from "./src/read/decode_stream.ts";
export * from "./src/read/metrics.ts";
export * from "./src/read/level_ranges.ts";
export * from "./src/read/coordinates.ts";
export type { DecodedLevel } from "./src/read/output.ts";
export type {
  BoundedLevelError,
  LevelError,
  StoredBoundedReport,
  StoredModelReport,
  StoredReport,
} from "./src/read/report.ts";
export { psnr } from "./src/metrics.ts";
export {
  fromBytes,
  hasMrcSignature,
  MrcFormatError,
  type MrcFormatErrorOptions,
  type RangeSource,
  type ReadOptions,
} from "./format/mod.ts";
export {
  type FileHandleLike,
  fromFileHandle,
  fromUrl,
  type FromUrlOptions,
  HttpError,
  type HttpErrorOptions,
  type UrlSource,
} from "./src/transport/mod.ts";
export {
  type ByteRange,
  type CachedSource,
  cachedSource,
  type CachedSourceOptions,
} from "./src/transport/mod.ts";
export type {
  BoundParams,
  MissingMask,
  MrcAttribute,
  MrcAttributes,
  MrcAttributeType,
  MrcContainer,
  MrcDimension,
  MrcHeader,
  MrcLevelHeader,
  MrcSelectedDimension,
} from "./format/mod.ts";
