// This module is browser compatible.
// The memory budget of decoding (SPEC.md §9): what one decode step holds in typed arrays is
// computed from the header (and the masks, when read) before any of it is allocated, and refused
// above `maxBytes`. Shared by `MrcFile` and `decodeStream`, so both refuse the same requests.

import type { MrcHeader } from "../../format/header.ts";
import { levelCrop } from "../../format/geometry.ts";
import { MrcFormatError } from "../../format/error.ts";

/**
 * Default `maxBytes`: 1 GiB, enough for every level of 256 snapshots of 1024 x 1024 and small
 * enough for a browser tab. Trusted large files pass a larger value (or `Infinity`).
 */
export const DEFAULT_MAX_BYTES = 2 ** 30;

/** Bytes per code value while a `CODE` block is decoded: int32 value, float64 residual, varints. */
const CODE_VALUE_BYTES = 4 + 8 + 5;
/** Bytes per value of a bounded block's state: float32 reconstruction and int16 codes. */
const BOUNDED_VALUE_BYTES = 4 + 2;

/** Checks a `maxBytes` option: a positive number (Infinity allowed). */
export function checkMaxBytes(maxBytes: number | undefined): number {
  if (maxBytes === undefined) return DEFAULT_MAX_BYTES;
  if (typeof maxBytes !== "number" || !(maxBytes > 0)) {
    throw new TypeError(`Cannot decode: maxBytes must be a positive number, found ${maxBytes}`);
  }
  return maxBytes;
}

/** Throws MrcFormatError when `bytes` exceeds the budget. */
export function requireBudget(bytes: number, maxBytes: number, what: string): void {
  if (bytes > maxBytes) {
    throw new MrcFormatError(
      `Cannot decode ${what}: it needs ${bytes} bytes of memory, above maxBytes ${maxBytes} (pass a larger maxBytes for a file you trust)`,
      { chunkType: null },
    );
  }
}

/** Bytes of level `level`'s output for `count` snapshots (float32). */
export function outputBytes(header: MrcHeader, level: number, count: number): number {
  const c = levelCrop(header, level);
  return 4 * count * c.height * c.width;
}

/** Bytes of the expanded missing mask (`T * H * W` bytes, plus the stored mask). */
export function missingBytes(header: MrcHeader): number {
  if (header.missing.mode === "none") return 0;
  const [t, h, w] = header.shape;
  return 2 * t * h * w;
}

/** Bytes of a stored plane of level `level` (float32). */
export function planeBytes(header: MrcHeader, level: number): number {
  const [gh, gw] = header.levels[level].grid;
  return 4 * gh * gw;
}

/**
 * Bytes of decoding the `CODE` blocks of a level: `values` code values per snapshot (the sum of
 * the stream sizes), `snapshots` snapshots held at once.
 */
export function codeBytes(values: number, snapshots: number): number {
  return CODE_VALUE_BYTES * values * snapshots;
}

/** Bytes of the bounded coders of blocks `first .. last - 1`. */
export function boundedBytes(header: MrcHeader, first: number, last: number): number {
  const [t, h, w] = header.shape;
  const n = Math.min(t, last * header.blockSize) - first * header.blockSize;
  return BOUNDED_VALUE_BYTES * n * h * w + 16 * (last - first) * h * w;
}
