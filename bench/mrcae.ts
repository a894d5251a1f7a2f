/**
 * The mrcae side of the benchmark: compress a dataset at one quality setting,
 * then decode every level and compare it with the original sampled at that
 * level's rows and columns (the codec's centre sampling).
 *
 * The codec is loaded through a dynamic import of `../mod.ts` so that the rest
 * of the harness runs (and type-checks) even when the codec is missing or broken.
 *
 * @module
 */
import { bitsPerValue, errorStats, sampleGrid, throughput } from "./metrics.ts";

/** The part of the mrcae API the benchmark uses. */
export interface MrcaeApi {
  compress(
    values: Float32Array,
    shape: number[],
    options: Record<string, unknown>,
  ): Promise<Uint8Array>;
  openMrc(bytes: Uint8Array): Promise<MrcaeFile>;
}

interface MrcaeFile {
  header: { levels?: unknown[] } | unknown;
  /** Per-level summary (model coding); bounded files may only have `header.levels`. */
  levels?: { level: number; grid: [number, number]; bytes: number | { total: number } }[];
  /** The file's chunks as its index lists them; `level` is null for file-level chunks. */
  chunks?: { level: number | null; offset: number; length: number }[];
  report: { backend?: string; trainSeconds?: number; training?: { seconds?: number } } | null;
  decode(options: { level: number }): Promise<{
    data: Float32Array;
    shape: [number, number, number];
    rows: Int32Array;
    cols: Int32Array;
  }>;
}

/** One quality setting: tolerances per level, coarse to fine. */
export interface MrcaeSetting {
  name: string;
  tol: number[];
}

/** Quality settings from coarse to fine (the paper's tolerances are `tol-paper`). */
export const MRCAE_SETTINGS: MrcaeSetting[] = [
  { name: "tol-coarse", tol: [1e-3, 5e-4, 2e-4] },
  { name: "tol-paper", tol: [1e-3, 5e-4, 1e-4] },
  { name: "tol-fine", tol: [1e-4, 5e-5, 1e-5] },
];

/** Training knobs shared by every setting. */
export interface MrcaeKnobs {
  levels: number;
  steps: number;
  batch: number;
  seed: number;
  backend?: string;
  onProgress?: (e: { level: number; stage: number; step: number; steps: number }) => void;
}

/** One decoded level of one mrcae run, measured. */
export interface MrcaeLevelRow {
  level: number;
  grid: [number, number];
  /** Bytes needed to decode this level (the file minus the chunks of finer levels). */
  bytes: number;
  values: number;
  ratio: number;
  bitsPerValue: number;
  rmse: number;
  nrmse: number;
  psnr: number;
  maxAbsError: number;
  compressMBs: number;
  decompressMBs: number;
  trainSeconds: number;
  backend: string | null;
}

/** Load `../mod.ts`; returns the API, or a one-line reason to skip. */
export async function loadMrcae(): Promise<MrcaeApi | string> {
  // A computed specifier keeps `deno check bench/` independent of the codec's state.
  const specifier = new URL("../mod.ts", import.meta.url).href;
  try {
    const mod = await import(specifier);
    if (typeof mod.compress !== "function" || typeof mod.openMrc !== "function") {
      return "mod.ts does not export compress() and openMrc()";
    }
    return mod as MrcaeApi;
  } catch (err) {
    return `cannot import mod.ts (${(err as Error).message.split("\n")[0]})`;
  }
}

/** Compress at one setting, then decode and measure every level. */
export async function runMrcae(
  api: MrcaeApi,
  data: Float32Array,
  shape: [number, number, number],
  range: number,
  setting: MrcaeSetting,
  knobs: MrcaeKnobs,
): Promise<MrcaeLevelRow[]> {
  const options: Record<string, unknown> = {
    // Explicit: the codec's default coding is "bounded".
    coding: "model",
    tol: setting.tol,
    levels: knobs.levels,
    steps: knobs.steps,
    batch: knobs.batch,
    seed: knobs.seed,
  };
  if (knobs.backend) options.backend = knobs.backend;
  if (knobs.onProgress) options.onProgress = knobs.onProgress;
  const t0 = performance.now();
  const bytes = await api.compress(data, [...shape], options);
  const compressSeconds = (performance.now() - t0) / 1000;
  const file = await api.openMrc(bytes);
  const trainSeconds = file.report?.trainSeconds ?? file.report?.training?.seconds ??
    compressSeconds;
  const backend = file.report?.backend ?? knobs.backend ?? null;
  return await measureLevels(file, bytes.length, data, shape, range, compressSeconds, {
    trainSeconds,
    backend,
  });
}

/** Options of bounded coding the benchmark passes. */
export interface MrcaeBoundedKnobs {
  /** Cancels compression. */
  signal?: AbortSignal;
}

/**
 * Compress with bounded coding (`{ coding: "bounded", errorBound }`, absolute units), then
 * decode and measure every level. Throws when `compress` rejects the options (it refuses unknown
 * options and those of model coding).
 */
export async function runMrcaeBounded(
  api: MrcaeApi,
  data: Float32Array,
  shape: [number, number, number],
  range: number,
  errorBound: number,
  knobs: MrcaeBoundedKnobs = {},
): Promise<MrcaeLevelRow[]> {
  const options: Record<string, unknown> = { coding: "bounded", errorBound };
  if (knobs.signal) options.signal = knobs.signal;
  const t0 = performance.now();
  const bytes = await api.compress(data, [...shape], options);
  const compressSeconds = (performance.now() - t0) / 1000;
  const file = await api.openMrc(bytes);
  return await measureLevels(file, bytes.length, data, shape, range, compressSeconds, {
    trainSeconds: 0,
    backend: null,
  });
}

/**
 * Bytes needed to decode level `k` and the levels below it: the file minus the chunks of
 * finer levels (`file.chunks`), or minus the finer levels' byte totals (`file.levels`).
 */
export function levelBytesNeeded(
  fileBytes: number,
  file: Pick<MrcaeFile, "chunks" | "levels">,
  k: number,
): number {
  let needed = fileBytes;
  if (file.chunks) {
    for (const c of file.chunks) if (c.level !== null && c.level > k) needed -= c.length;
    return needed;
  }
  for (const l of file.levels ?? []) {
    if (l.level > k) needed -= typeof l.bytes === "number" ? l.bytes : l.bytes.total;
  }
  return needed;
}

/** Number of levels of an opened file: `header.levels`, else `levels`. */
function levelCount(file: MrcaeFile): number {
  const header = file.header as { levels?: unknown[] } | null;
  if (Array.isArray(header?.levels)) return header.levels.length;
  if (file.levels) return file.levels.length;
  throw new TypeError("Cannot measure an mrcae file: it lists neither header.levels nor levels");
}

/** Decode every level and compare it with the original at the rows and columns it samples. */
async function measureLevels(
  file: MrcaeFile,
  fileBytes: number,
  data: Float32Array,
  shape: [number, number, number],
  range: number,
  compressSeconds: number,
  { trainSeconds, backend }: { trainSeconds: number; backend: string | null },
): Promise<MrcaeLevelRow[]> {
  const rawBytes = data.length * 4;
  const n = levelCount(file);
  const rows: MrcaeLevelRow[] = [];
  for (let k = 0; k < n; k++) {
    const t0 = performance.now();
    const out = await file.decode({ level: k });
    const decodeSeconds = (performance.now() - t0) / 1000;
    const reference = sampleGrid(data, shape, out.rows, out.cols);
    const stats = errorStats(reference, out.data, range);
    const needed = levelBytesNeeded(fileBytes, file, k);
    rows.push({
      level: k,
      grid: [out.shape[1], out.shape[2]],
      bytes: needed,
      values: out.data.length,
      ratio: (out.data.length * 4) / needed,
      bitsPerValue: bitsPerValue(needed, out.data.length),
      rmse: stats.rmse,
      nrmse: stats.nrmse,
      psnr: stats.psnr,
      maxAbsError: stats.maxAbsError,
      compressMBs: throughput(rawBytes, compressSeconds),
      decompressMBs: throughput(out.data.length * 4, decodeSeconds),
      trainSeconds,
      backend,
    });
  }
  return rows;
}
