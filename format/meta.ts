// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * The optional `META` chunk: free-form UTF-8 JSON (training report, tool version, timings),
 * SPEC.md §4.2.
 *
 * @module
 */

import { CHUNK_TYPES } from "./_constants.ts";
import { decodeJson, encodeJson } from "./_bytes.ts";
import { chunkError } from "./_chunk_error.ts";

/**
 * Encodes a `META` body.
 *
 * @param meta A JSON-serializable object.
 * @returns The chunk body.
 * @throws {TypeError} When `meta` is not a plain object.
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert";
 * import { decodeMeta, encodeMeta } from "./mod.ts";
 *
 * assert.deepStrictEqual(decodeMeta(encodeMeta({ tool: "mrcae 0.1.0" })), { tool: "mrcae 0.1.0" });
 * ```
 */
export function encodeMeta(meta: Record<string, unknown>): Uint8Array {
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) {
    throw new TypeError(`Cannot encode metadata: expected an object, found ${typeof meta}`);
  }
  return encodeJson(meta);
}

/**
 * Decodes a `META` body.
 *
 * @param body The chunk body.
 * @param flags The chunk's flags: bit 0, deflated JSON (SPEC.md §3.1). Default: 0.
 * @returns The parsed object.
 * @throws {MrcFormatError} On bad UTF-8, bad JSON or a non-object.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { decodeMeta, MrcFormatError } from "./mod.ts";
 *
 * assert.throws(() => decodeMeta(new TextEncoder().encode("[1]")), MrcFormatError);
 * ```
 */
export function decodeMeta(body: Uint8Array, flags = 0): Record<string, unknown> {
  const value = decodeJson(body, CHUNK_TYPES.meta, flags);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw chunkError(CHUNK_TYPES.meta, null, "metadata must be a JSON object");
  }
  return value as Record<string, unknown>;
}
