// This module is browser compatible.
/**
 * One range of values for a whole file, so that a picture of any level and any snapshot maps a
 * value to the same colour: the viewer's and `preview`'s colour range.
 *
 * @module
 */

import type { MrcHeader } from "../../format/header.ts";
import { isBounded } from "../../format/header.ts";
import type { MrcAttributes } from "../../format/attributes.ts";
import type { MrcFile } from "./mrc_file.ts";
import type { StoredReport } from "./report.ts";

/** What {@linkcode valueRange} found. */
export interface ValueRange {
  /** The value drawn with the first colour. */
  min: number;
  /** The value drawn with the last colour. */
  max: number;
  /**
   * Where it comes from: `"actual_range"` (the source variable's attribute), `"normalization"`
   * (model coding: the header's offset and scale are the data's minimum and range), `"levels"`
   * (bounded coding: level 0 of every snapshot, widened to the report's range).
   */
  source: "actual_range" | "normalization" | "levels";
}

/**
 * Whether a decoded value is missing: NaN, or the file's fill value (in the precision of the
 * output, `Math.fround` for a `Float32Array`).
 *
 * @param header The file's header.
 * @returns A test for one value.
 */
export function missingTest(header: MrcHeader): (v: number) => boolean {
  const fill = header.missing.mode === "fill" ? header.missing.fillValue : null;
  if (fill === null) return (v) => !Number.isFinite(v);
  const f32 = Math.fround(fill);
  return (v) => !Number.isFinite(v) || v === f32 || v === fill;
}

/**
 * The range of values of the whole file, the same for every level and snapshot:
 *
 * 1. the source variable's `actual_range` attribute (`ATTR`), when it has two finite numbers;
 * 2. model coding: the header's normalization, `[offset, offset + scale]`, which is the original
 *    data's minimum and maximum;
 * 3. bounded coding: the minimum `a` and maximum `b` of level 0 of every snapshot (its chunks are
 *    a small share of the file: level 0 of the viewer's test file is 3 KB of 417 KB; decoded one
 *    block at a time, of at most 32 blocks evenly spread over a longer file), widened on
 *    both sides alike to the report's range `R` (max - min of the original, `META`) when
 *    `R > b - a`: `[(a + b - R) / 2, (a + b + R) / 2]`. The original's extremes lie in
 *    `[b - R - bound, a + bound]` and `R` above it, so the range has the data's width and holds
 *    level 0; a finer level's extremes beyond it are drawn in the end colours.
 *
 * Missing values are left out; an all-missing or constant file gives `[v - 0.5, v + 0.5]`.
 *
 * @param file The opened file.
 * @param options `signal` cancels the reads.
 * @returns The range and where it came from.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { compress, openMrc } from "../../mod.ts";
 * import { valueRange } from "./value_range.ts";
 *
 * const data = new Float32Array(4 * 33 * 33).map((_, i) => Math.sin(i / 50));
 * const file = await openMrc(await compress(data, [4, 33, 33], { errorBound: 1e-3 }));
 * const { min, max, source } = await valueRange(file);
 * assert.strictEqual(source, "levels");
 * assert.ok(Math.abs(max - min - (Math.max(...data) - Math.min(...data))) < 1e-6);
 * ```
 */
export async function valueRange(
  file: MrcFile,
  options: { signal?: AbortSignal } = {},
): Promise<ValueRange> {
  const attributes = await file.readAttributes(options);
  const h = file.header;
  if (!isBounded(h) || actualRange(attributes) !== null) {
    return rangeOf(h, attributes, file.report, null);
  }
  // Level 0, one block at a time (a block's coder holds ~6 bytes per value of the block, so a
  // request for every snapshot at once would hold the whole file's), of at most MAX_BLOCKS blocks
  // evenly spread.
  const T = h.shape[0], blocks = Math.ceil(T / h.blockSize);
  const picked = new Set<number>();
  for (let k = 0; k < Math.min(blocks, MAX_BLOCKS); k++) {
    picked.add(Math.round(k * (blocks - 1) / Math.max(1, Math.min(blocks, MAX_BLOCKS) - 1)));
  }
  const parts: (Float32Array | Float64Array)[] = [];
  for (const b of [...picked].sort((x, y) => x - y)) {
    const snapshots: [number, number] = [b * h.blockSize, Math.min(T, (b + 1) * h.blockSize)];
    parts.push((await file.decode({ level: 0, snapshots, signal: options.signal })).data);
  }
  const level0 = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) level0.set(p, (at += p.length) - p.length);
  return rangeOf(h, attributes, file.report, level0);
}

/** The most blocks whose level 0 {@linkcode valueRange} reads. */
const MAX_BLOCKS = 32;

function actualRange(attributes: MrcAttributes | null): [number, number] | null {
  const actual = attributes?.variable.attributes.actual_range?.value;
  if (!Array.isArray(actual) || actual.length !== 2 || !actual.every(Number.isFinite)) return null;
  return actual[0] <= actual[1] ? [actual[0], actual[1]] : [actual[1], actual[0]];
}

/**
 * {@linkcode valueRange} from what it reads: the header, the attributes, the report and, for a
 * bounded file without `actual_range`, level 0 of every snapshot (what a stream brings first).
 *
 * @param header The file's header.
 * @param attributes Its `ATTR` chunk, or null.
 * @param report Its report (`MrcFile.report`), or null.
 * @param level0 Level 0 of every snapshot (bounded files), or null.
 * @returns The range.
 */
export function rangeOf(
  header: MrcHeader,
  attributes: MrcAttributes | null,
  report: StoredReport | null,
  level0: Float32Array | Float64Array | null,
): ValueRange {
  const actual = actualRange(attributes);
  if (actual) return widen(actual[0], actual[1], "actual_range");
  if (!isBounded(header)) {
    const { offset, scale } = header.normalization;
    return widen(offset, offset + scale, "normalization");
  }
  const missing = missingTest(header);
  let a = Infinity, b = -Infinity;
  for (const v of level0 ?? []) {
    if (missing(v)) continue;
    if (v < a) a = v;
    if (v > b) b = v;
  }
  if (a > b) return widen(0, 0, "levels");
  const range = report && "range" in report && Number.isFinite(report.range) ? report.range : 0;
  if (range > b - a) {
    const middle = (a + b) / 2;
    return widen(middle - range / 2, middle + range / 2, "levels");
  }
  return widen(a, b, "levels");
}

function widen(min: number, max: number, source: ValueRange["source"]): ValueRange {
  return max > min ? { min, max, source } : { min: min - 0.5, max: min + 0.5, source };
}
