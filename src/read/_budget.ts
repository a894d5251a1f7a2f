// This module is browser compatible.
// The memory budget of decoding (SPEC.md §9): what one decode step holds in typed arrays is
// computed from the header (and the masks, when read) before any of it is allocated, and refused
// above `maxBytes`. One formula per coding (`boundedBudget`, `modelBudget`), used by the decode
// engines that both `MrcFile` and `decodeStream` drive, so both refuse the same requests.

import type { MrcHeader } from "../../format/header.ts";
import { levelCrop } from "../../format/geometry.ts";
import { MrcFormatError } from "../../format/error.ts";
import { blockCoderBytes } from "../bounded/block_coder.ts";

/**
 * Default `maxBytes`: 1 GiB, enough for every level of 256 snapshots of 1024 x 1024 and small
 * enough for a browser tab. Trusted large files pass a larger value (or `Infinity`).
 */
export const DEFAULT_MAX_BYTES = 2 ** 30;

/** Bytes per code value while a `CODE` block is decoded: int32 value, float64 residual, varints. */
const CODE_VALUE_BYTES = 4 + 8 + 5;

/** Checks a `maxBytes` option: a positive number (Infinity allowed). */
export function checkMaxBytes(maxBytes: number | undefined): number {
  if (maxBytes === undefined) return DEFAULT_MAX_BYTES;
  if (typeof maxBytes !== "number" || !(maxBytes > 0)) {
    throw new TypeError(`Cannot decode: maxBytes must be a positive number, found ${maxBytes}`);
  }
  return maxBytes;
}

/** Throws MrcFormatError when `bytes` exceeds the budget. */
function requireBudget(bytes: number, maxBytes: number, what: string): void {
  if (bytes > maxBytes) {
    throw new MrcFormatError(
      `Cannot decode ${what}: it needs ${bytes} bytes of memory, above maxBytes ${maxBytes} (pass a larger maxBytes for a file you trust)`,
      { chunkType: null },
    );
  }
}

/** Bytes of level `level`'s output for `count` snapshots (float32). */
function outputBytes(header: MrcHeader, level: number, count: number): number {
  const c = levelCrop(header, level);
  return 4 * count * c.height * c.width;
}

/**
 * `decode({ dtype: "float64" })`: the float64 copy of level `level`'s output for `count`
 * snapshots, held beside the request's own arrays; refused when it leaves nothing of `maxBytes`.
 *
 * @returns What is left of `maxBytes` for the decode itself.
 */
export function float64OutputBudget(
  header: MrcHeader,
  level: number,
  count: number,
  maxBytes: number,
): number {
  const bytes = 2 * outputBytes(header, level, count);
  requireBudget(bytes, maxBytes, `level ${level} as float64`);
  return maxBytes - bytes;
}

/**
 * Bytes of the expanded missing mask (`T * H * W` bytes, plus the stored mask), and the two planes
 * with borders that a range-coded mask (1.7) is decoded through.
 */
function missingBytes(header: MrcHeader): number {
  if (header.missing.mode === "none") return 0;
  const [t, h, w] = header.shape;
  return 2 * t * h * w + 2 * (h + 3) * (w + 3);
}

/** Bytes of a stored plane of level `level` (float32). */
function planeBytes(header: MrcHeader, level: number): number {
  const [gh, gw] = header.levels[level].grid;
  return 4 * gh * gw;
}

/**
 * Bytes of decoding the `CODE` blocks of a level: `values` code values per snapshot (the sum of
 * the stream sizes), `snapshotCount` snapshots held at once.
 */
function codeBytes(values: number, snapshotCount: number): number {
  return CODE_VALUE_BYTES * values * snapshotCount;
}

/** Bytes of the bounded coders of blocks `first .. last - 1`. */
function boundedBytes(header: MrcHeader, first: number, last: number): number {
  const [t, h, w] = header.shape;
  const n = Math.min(t, last * header.blockSize) - first * header.blockSize;
  return blockCoderBytes(n, h, w, header.levels.length, last - first);
}

/** What one decode asks for: level `level` (with `every`, each level `0..level`) of `start..end`. */
export interface DecodeRequest {
  /** The (finest) level decoded. */
  level: number;
  /** First snapshot. */
  start: number;
  /** One past the last snapshot. */
  end: number;
  /** Yield every level from 0 (progressive, streams), not only `level`. */
  every: boolean;
}

/**
 * Bytes of one entry of an engine's list of the chunks it reads (`needs`: an object of three
 * fields and its slot), counted before the list is made: a header whose block count is absurd
 * must not make millions of them.
 */
const NEED_BYTES = 64;

/**
 * Refuses a request whose list of chunks (at most `(levels + 2) x blocks` entries: every level of
 * every block it touches, and a model level's two decoder chunks) would pass `maxBytes` on its own.
 */
export function needsBudget(header: MrcHeader, request: DecodeRequest, maxBytes: number): void {
  const bs = header.blockSize;
  const blocks = Math.floor((Math.max(request.start, request.end - 1)) / bs) -
    Math.floor(request.start / bs) + 1;
  refuseAbove(NEED_BYTES * (request.level + 1) * (blocks + 2), maxBytes, request, request.level);
}

/** Throws MrcFormatError when a request's `bytes` exceed `maxBytes`. */
function refuseAbove(bytes: number, maxBytes: number, request: DecodeRequest, level: number) {
  requireBudget(bytes, maxBytes, `level ${level} of snapshots ${request.start}:${request.end}`);
}

/**
 * Bounded files, checked before anything is made: the coders of the blocks the range touches and
 * one level's output (the requested one, the largest), and the missing mask. (`MrcFile`'s coder
 * cache holds other blocks' coders besides: it evicts them down to `maxBytes` minus this.)
 *
 * @returns The bytes the request holds.
 */
export function boundedBudget(
  header: MrcHeader,
  request: DecodeRequest,
  maxBytes: number,
): number {
  const { level, start, end } = request;
  const bs = header.blockSize;
  const bytes = boundedBytes(header, Math.floor(start / bs), Math.ceil(end / bs)) +
    outputBytes(header, level, end - start) + missingBytes(header);
  refuseAbove(bytes, maxBytes, request, level);
  return bytes;
}

/**
 * Model files, checked once the masks of level `k` are read (`values[j]`: code values per
 * snapshot of level `j`, the sum of its stream sizes). Every level in turn (`every`): level `k`'s
 * planes for the range, the previous level's, its output and one block's codes. One level: one
 * plane per level (a snapshot at a time), the output and one block's codes of every level.
 */
export function modelBudget(
  header: MrcHeader,
  request: DecodeRequest,
  values: readonly number[],
  k: number,
  maxBytes: number,
): void {
  const count = request.end - request.start;
  const held = Math.min(header.blockSize, header.shape[0]);
  if (request.every) {
    refuseAbove(
      (k === 0 ? 0 : count * planeBytes(header, k - 1)) + count * planeBytes(header, k) +
        outputBytes(header, k, count) + missingBytes(header) + codeBytes(values[k], held),
      maxBytes,
      request,
      k,
    );
    return;
  }
  if (k < request.level) return;
  let planes = 0, total = 0;
  for (let j = 0; j <= k; j++) {
    planes += planeBytes(header, j);
    total += values[j];
  }
  refuseAbove(
    outputBytes(header, k, count) + planes + missingBytes(header) + codeBytes(total, held),
    maxBytes,
    request,
    k,
  );
}
