// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * Where a file's bytes come from: a file handle, HTTP(S) range requests, and a cache that merges
 * nearby reads. Each is a {@linkcode RangeSource} of `format/`.
 *
 * @module
 */

export * from "./cache.ts";
export * from "./file.ts";
export * from "./http.ts";
