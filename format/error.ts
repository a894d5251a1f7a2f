// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * The one error class of the `.mrc` container layer.
 *
 * @module
 */

/** Options of {@linkcode MrcFormatError}. */
export interface MrcFormatErrorOptions extends ErrorOptions {
  /** Type of the chunk being read (`"CODE"`), or `null` when the problem is outside a chunk. Default `null`. */
  chunkType?: string | null;
  /** Byte offset in the file where the problem was found, or `null` when unknown. Default `null`. */
  offset?: number | null;
}

/**
 * Thrown for every malformed, truncated, corrupted or unsupported `.mrc` input: wrong signature,
 * newer major version, CRC mismatch, lengths pointing past the end, absurd sizes, missing or
 * duplicated chunks, an index that disagrees with the chunks, invalid header JSON.
 *
 * Errors from the caller (wrong argument types, out-of-range levels) are `TypeError` or
 * `RangeError` instead, so that `catch (e) { if (e instanceof MrcFormatError) ... }` only catches
 * bad files.
 *
 * @example Catching a bad file
 * ```ts
 * import assert from "node:assert";
 * import { fromBytes, MrcFormatError, openContainer } from "./mod.ts";
 *
 * await assert.rejects(
 *   openContainer(fromBytes(new Uint8Array(100))),
 *   (e) => e instanceof MrcFormatError && e.chunkType === null,
 * );
 * ```
 */
export class MrcFormatError extends Error {
  /** Type of the chunk being read, or `null` when the problem is outside a chunk. */
  readonly chunkType: string | null;
  /** Byte offset in the file where the problem was found, or `null` when unknown. */
  readonly offset: number | null;

  /**
   * Makes an error.
   *
   * @param message Sentence-case message without a trailing period, leading with the action.
   * @param options Chunk type, offset and cause.
   */
  constructor(message: string, options: MrcFormatErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "MrcFormatError";
    this.chunkType = options.chunkType ?? null;
    this.offset = options.offset ?? null;
  }
}
