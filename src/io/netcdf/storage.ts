// This module is browser compatible.
/**
 * How the source stored the variable, recorded in the `.mrc` so that `decompress -o x.nc` stores
 * it the same way: the members `unlimited`, `chunks`, `deflate` and `shuffle` of the free-form
 * `source` of `ATTR` (SPEC.md §4.8). One module writes them ({@linkcode storageRecord}) and reads
 * them back ({@linkcode storageOfSource}), which takes a stranger's file as it comes: a member in
 * another form counts as absent.
 *
 * @module
 */

import type { Variable } from "./source.ts";

/** The `source` members of a variable's storage, for the dimensions it keeps. */
export interface StorageRecord {
  /** The kept dimensions that were unlimited, in the source's order. */
  unlimited: string[];
  /** netCDF-4: the chunk size per kept dimension, or null for a contiguous variable. */
  chunks?: Record<string, number> | null;
  /** netCDF-4: the deflate (zlib) level, 0 without deflate. */
  deflate?: number;
  /** netCDF-4: whether the shuffle filter came before deflate. */
  shuffle?: boolean;
}

/**
 * The record of how `v` is stored, over the axes `kept` (those not fixed by a selection). A
 * classic file has an unlimited dimension at most, and neither chunks nor filters: only
 * `unlimited` is recorded.
 */
export function storageRecord(v: Variable, kept: readonly number[]): StorageRecord {
  const record: StorageRecord = {
    unlimited: kept.filter((i) => v.unlimited?.[i] === true).map((i) => v.dims[i]),
  };
  if (v.deflate === undefined) return record;
  record.chunks = v.chunks ? Object.fromEntries(kept.map((i) => [v.dims[i], v.chunks![i]])) : null;
  record.deflate = v.deflate;
  record.shuffle = v.shuffle ?? false;
  return record;
}

/** The source's storage of the written variable, each part undefined where the file has none. */
export interface SourceStorage {
  /** The written dimensions to make unlimited. */
  unlimited?: Set<string>;
  /** Chunk sizes per axis of `dimNames`, or null for contiguous. */
  chunks?: number[] | null;
  /** Deflate level, 0 to 9. */
  deflate?: number;
  /** Whether the source had the shuffle filter (the output cannot write it: see the README). */
  shuffle?: boolean;
}

/**
 * The storage a file's `source` records for a variable written with dimensions `dimNames` of
 * sizes `shape`: chunk sizes are the source's, cut to the axis (a coarse level or a snapshot
 * range is smaller than the source); a dimension the source did not chunk (none, in a file this
 * tool wrote) makes the chunks absent.
 */
export function storageOfSource(
  source: Record<string, unknown> | undefined,
  dimNames: readonly string[],
  shape: readonly number[],
): SourceStorage {
  const out: SourceStorage = {};
  if (source === undefined) return out;
  const { unlimited, chunks, deflate, shuffle } = source;
  if (Array.isArray(unlimited) && unlimited.every((d) => typeof d === "string")) {
    out.unlimited = new Set(dimNames.filter((d) => unlimited.includes(d)));
  }
  if (chunks === null) out.chunks = null;
  else if (typeof chunks === "object" && chunks !== undefined && !Array.isArray(chunks)) {
    const sizes = dimNames.map((d, axis) => {
      const c = (chunks as Record<string, unknown>)[d];
      return Number.isSafeInteger(c) && (c as number) >= 1 ? Math.min(c as number, shape[axis]) : 0;
    });
    if (sizes.every((c) => c >= 1)) out.chunks = sizes;
  }
  if (Number.isInteger(deflate) && (deflate as number) >= 0 && (deflate as number) <= 9) {
    out.deflate = deflate as number;
  }
  if (typeof shuffle === "boolean") out.shuffle = shuffle;
  return out;
}
