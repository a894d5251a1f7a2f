// This module is browser compatible.
/**
 * Messages between the viewer page and its decoding worker.
 *
 * @module
 */

/** Page to worker. */
export type ToWorker =
  /**
   * Opens the file by range requests (`stream: false`), or reads it whole front to back
   * (`decodeStream`) and draws snapshot `snapshot` of every level as its chunks arrive; later
   * `show`s are then served from memory. In a file of several variables (a collection),
   * `variable` (and `layer`, for a variable of layers) says which (range requests only).
   */
  | {
    type: "open";
    url: string;
    stream: boolean;
    snapshot: number;
    variable?: string;
    layer?: number;
  }
  /**
   * Draws snapshot `snapshot`, levels `from` to `level` in turn (`from` > 0 when the coarser ones
   * are drawn already); a newer `show` supersedes it.
   */
  | { type: "show"; snapshot: number; level: number; from: number };

/** One level of the file, as the page lists it. */
export interface LevelSummary {
  level: number;
  /** Decoded extent `[rows, cols]`. */
  extent: [number, number];
  /** Bytes of its chunks; null in stream mode until the stream has ended. */
  bytes: number | null;
  bound: number | null;
  rmse: number | null;
  psnr: number | null;
  maxAbsError: number | null;
}

/** One axis of a level (`LevelCoordinates` of `src/read/coordinates.ts`, as plain arrays). */
export interface AxisSummary {
  name: string | null;
  units: string | null;
  values: number[];
  indexed: boolean;
}

/** The coordinates of one level, and how to draw it. */
export interface LevelAxes {
  y: AxisSummary;
  x: AxisSummary;
  northUp: boolean;
  eastRight: boolean;
}

/** The snapshots' axis: values and, for a CF time, dates. */
export interface TimeSummary extends AxisSummary {
  calendar: string;
  dates: string[] | null;
}

/** Bytes and requests so far. */
export interface Traffic {
  requests: number;
  bytes: number;
  total: number;
  log: { offset: number; length: number }[];
}

/** Worker to page. */
export type FromWorker =
  | {
    type: "opened";
    shape: [number, number, number];
    bounded: boolean;
    levels: LevelSummary[];
    /** Per level. */
    axes: LevelAxes[];
    /** Null for a single 2-D field. */
    time: TimeSummary | null;
    /** The file's value range, the same for every level (`valueRange()`). */
    range: { min: number; max: number; source: string };
    units: string | null;
    name: string | null;
    traffic: Traffic;
  }
  | {
    type: "level";
    snapshot: number;
    level: number;
    shape: [number, number];
    /** The values, missing ones (NaN or the fill value) as NaN. */
    data: Float32Array;
    /** `valuesChecksum()` of the values as decoded (fill values kept). */
    checksum: string;
    /** Model-coded files: the union of the level's widening masks, latent grid; else null. */
    mask: { grid: [number, number]; data: Uint8Array } | null;
    traffic: Traffic;
  }
  /** Stream mode, at the end of the stream: each level's bytes. */
  | { type: "complete"; levels: LevelSummary[]; traffic: Traffic }
  | { type: "traffic"; traffic: Traffic }
  | { type: "error"; message: string };
