// This module is browser compatible.
/**
 * Messages between the viewer page and its decoding worker.
 *
 * @module
 */

/** Page to worker. */
export type ToWorker =
  | { type: "open"; url: string }
  /** Draws snapshot `snapshot`, levels 0 to `level` in turn; a newer `show` supersedes it. */
  | { type: "show"; snapshot: number; level: number }
  /**
   * Reads the whole file front to back (`decodeStream`) and draws snapshot `snapshot` of every
   * level as soon as that level's chunks are in; later `show`s are then served from memory.
   */
  | { type: "stream"; url: string; snapshot: number };

/** One level of the file, as the page lists it. */
export interface LevelSummary {
  level: number;
  /** Decoded extent `[rows, cols]`. */
  extent: [number, number];
  bytes: number;
  bound: number | null;
  rmse: number | null;
  psnr: number | null;
  maxAbsError: number | null;
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
    units: string | null;
    name: string | null;
    traffic: Traffic;
  }
  | {
    type: "level";
    snapshot: number;
    level: number;
    shape: [number, number];
    data: Float32Array;
    checksum: string;
    /** Model-coded files: the union of the level's widening masks, latent grid; else null. */
    mask: { grid: [number, number]; data: Uint8Array } | null;
    traffic: Traffic;
  }
  | { type: "traffic"; traffic: Traffic }
  | { type: "error"; message: string };
