// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
// Builds MrcFormatError messages in one style (STYLE.md 26).

import { MrcFormatError } from "./error.ts";

/**
 * Builds the standard message `Cannot read chunk "CODE" at offset 1024: <problem>`.
 *
 * @param chunkType Chunk type or null.
 * @param offset Offset or null.
 * @param problem What is wrong.
 * @param cause Underlying error, if any.
 * @returns The error, to be thrown.
 */
export function chunkError(
  chunkType: string | null,
  offset: number | null,
  problem: string,
  cause?: unknown,
): MrcFormatError {
  const what = chunkType === null ? "file" : `chunk "${chunkType}"`;
  const where = offset === null ? "" : ` at offset ${offset}`;
  return new MrcFormatError(`Cannot read ${what}${where}: ${problem}`, {
    chunkType,
    offset,
    cause,
  });
}
