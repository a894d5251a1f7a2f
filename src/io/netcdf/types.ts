/**
 * The public shapes of the netCDF module: what {@linkcode listNetcdfVariables} lists, what
 * {@linkcode readNetcdf} takes and returns, and what {@linkcode writeNetcdf} and
 * {@linkcode writeNetcdfFile} write.
 *
 * @module
 */

import type { MrcAttribute, MrcAttributes } from "../../../format/attributes.ts";

/** A dimension of a netCDF variable. */
export interface NetcdfDimension {
  /** Its name. */
  name: string;
  /** Its length. */
  size: number;
}

/** A variable of a netCDF file, as listed by {@linkcode listNetcdfVariables}. */
export interface NetcdfVariableInfo {
  /** Its name: in a netCDF-4 group, its path from the root group (`forecast/t2m`). */
  name: string;
  /** Its group's path (`forecast`), `""` in the root group. */
  group: string;
  /** Its netCDF type, or the HDF5 class when it has no netCDF type. */
  type: string;
  /** Its dimensions in order. */
  dimensions: NetcdfDimension[];
  /** `long_name` or `standard_name`, or null. */
  longName: string | null;
  /** `units`, or null. */
  units: string | null;
  /**
   * Whether it can be compressed: numeric with 2 or 3 dimensions, or 4 with a selection, and not
   * the cell bounds of a coordinate (`time_bnds`, named by `time:bounds`).
   */
  compressible: boolean;
  /** Why not, or what it needs (`"4-D: select one index of level"`); null when it can as is. */
  note: string | null;
}

/** What {@linkcode listNetcdfVariables} returns. */
export interface NetcdfListing {
  /** `"classic"`, `"64-bit offset"` or `"netCDF-4/HDF5"`. */
  format: string;
  /** Every variable with at least one dimension, in file order. */
  variables: NetcdfVariableInfo[];
}

/**
 * A selection along one dimension: an index (the dimension is dropped), a range `[a, b)` of
 * indices, or a text resolved against the dimension's coordinate variable: an index (`"0"`,
 * `"#3"`), a coordinate value (`"85000"` where no index is 85000, `"850.0"`), an ISO 8601 date on
 * a CF time axis (`"1990-01-15"`, `"1990-01"`), or a range of them (`"1990-01:1990-12"`, both
 * ends included), as `src/io/netcdf/select.ts` describes.
 */
export type NetcdfSelection = number | [number, number] | string;

/** Options of {@linkcode readNetcdf}. */
export interface ReadNetcdfOptions {
  /** The variable to read. */
  variable: string;
  /**
   * Per dimension name, an index (dropping the dimension) or a range `[start, end)` (keeping it).
   * A 4-D variable needs one index, e.g. `{ level: 0 }`. Default: none.
   */
  select?: Record<string, NetcdfSelection>;
  /** Largest number of values after selection. Default {@linkcode DEFAULT_MAX_VALUES}. */
  maxValues?: number;
  /** Aborts the read between slabs (about 4 Mi values each). Default: none. */
  signal?: AbortSignal;
  /** Called before the first slab (0) and after each, with the share read (0 to 1). Default: none. */
  onProgress?: (done: number) => void;
}

/** A field read by {@linkcode readNetcdf}, ready for `compress()`. */
export interface NetcdfField {
  /**
   * The values, unpacked, missing values as NaN: float64 when the variable or its scale factor
   * is double (or a 32/64-bit integer), else float32.
   */
  data: Float32Array | Float64Array;
  /** `[T, H, W]` (time first) or `[H, W]`. */
  shape: number[];
  /** Number of missing values (NaN in `data`). */
  missing: number;
  /**
   * Present when the time dimension was not the first: the dimensions in the source's order
   * (`from`) and as read, time first (`to`). The stored attributes list them as read, and record
   * the source's order as `source.dimensionOrder`.
   */
  transposed?: { from: string[]; to: string[] };
  /** Variable, dimensions, coordinates and attributes, for `compress(..., { attributes })`. */
  attributes: MrcAttributes;
}

/** What {@linkcode writeNetcdf} writes, and each variable {@linkcode writeNetcdfFile} writes. */
export interface NetcdfOutput {
  /** The values, row-major; NaN marks missing values. */
  data: Float32Array | Float64Array;
  /**
   * `[T, Z, H, W]`, `[T, H, W]` or `[H, W]`: `Z` a vertical (layer) axis, whose dimension is the
   * second of `attributes.dimensions`.
   */
  shape: number[];
  /** The stored attributes (`file.readAttributes()`), or null for generic names. */
  attributes: MrcAttributes | null;
  /** For each output row, the original row it samples (a decoded level's `rows`). Default: identity. */
  rows?: ArrayLike<number>;
  /** For each output column, the original column it samples. Default: identity. */
  cols?: ArrayLike<number>;
  /**
   * For each output layer (axis 1 of a `[T, Z, H, W]` shape), the index into the layer
   * dimension's coordinate values (`attributes.dimensions[1].values`) and its auxiliary variables
   * that it is. Only for a 4-D shape. Default: identity.
   */
  layers?: ArrayLike<number>;
  /** First original snapshot of the output (its time coordinate offset). Default 0. */
  firstSnapshot?: number;
  /**
   * Global attributes to add, e.g. a `history` line: {@linkcode writeNetcdf}'s only
   * ({@linkcode writeNetcdfFile} takes them as its `options.extraGlobal` and refuses them here).
   * Default: none.
   */
  extraGlobal?: Record<string, MrcAttribute>;
  /**
   * The largest absolute error of `data` (the file's bound), or null when it has none (model
   * coding). Values outside the variable's `valid_range`/`valid_min`/`valid_max` by at most this
   * much are moved onto the range (the source was in range there); values further out are left
   * as they are (the source was out of range there too). Default null: every value is moved.
   */
  bound?: number | null;
  /**
   * Deflate (zlib) level of the variable, 0 (none) to 9. Default: the source's, where
   * `attributes.source` records it (SPEC.md §4.8: `deflate`), else {@linkcode DEFAULT_DEFLATE}.
   */
  deflate?: number;
  /**
   * Chunk sizes of the variable, one per axis of `shape`, each from 1 to the axis length. Default:
   * the source's, where `attributes.source` records them (`chunks`, each cut to its axis; `null`:
   * contiguous, unless deflate or an unlimited dimension needs chunks), else one snapshot (and
   * one layer) per chunk, its rows split so that a chunk holds at most 4 MiB. The unlimited dimensions are the
   * source's (`unlimited`), else a leading time dimension.
   */
  chunks?: number[];
  /**
   * The order to write the dimensions in, by name: a permutation of the field's dimension names
   * (e.g. the source's `source.dimensionOrder`, whose time was not first). `data`, `shape` and
   * `chunks` stay time first; the variable is written transposed. A time dimension that does not
   * lead is not made unlimited (a record dimension leads in netCDF-3 and NCO). Default: as stored.
   */
  order?: readonly string[];
}

/** What {@linkcode writeNetcdf} did to a variable that a reader of the file may want to know. */
export interface NetcdfWriteReport {
  /** The variable's name. */
  name: string;
  /** The variable's chunk sizes (in the order written), or null when it is stored contiguously. */
  chunks: number[] | null;
  /** The variable's dimensions, in the order written. */
  dimensions: string[];
  /** Its deflate level (0: none). */
  deflate: number;
  /** The unlimited (record) dimensions, in the order written; empty when every one is fixed. */
  unlimited: string[];
  /** Values moved onto the variable's valid range. */
  clamped: number;
  /**
   * Attributes naming variables the file does not hold, removed from the variable and from the
   * dimensions, scalar coordinates and auxiliary variables it uses: `"sst:coordinates: lat2d"`.
   */
  removed: string[];
}

/** What {@linkcode writeNetcdfFile} wrote. */
export interface NetcdfFileReport {
  /** One per field, in the order given. */
  variables: NetcdfWriteReport[];
  /** Every dimension of the file, in the order written (first use). */
  dimensions: string[];
  /** The unlimited dimensions of the file, in the order written. */
  unlimited: string[];
  /** Every attribute removed (see {@linkcode NetcdfWriteReport.removed}), each once. */
  removed: string[];
}
