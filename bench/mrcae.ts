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
  header: unknown;
  levels: { level: number; grid: [number, number]; bytes: number | { total: number } }[];
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
  const rawBytes = data.length * 4;
  const options: Record<string, unknown> = {
    tol: setting.tol,
    levels: knobs.levels,
    steps: knobs.steps,
    batch: knobs.batch,
    seed: knobs.seed,
  };
  if (knobs.backend) options.backend = knobs.backend;
  if (knobs.onProgress) options.onProgress = knobs.onProgress;
  let t0 = performance.now();
  const bytes = await api.compress(data, [...shape], options);
  const compressSeconds = (performance.now() - t0) / 1000;
  const file = await api.openMrc(bytes);
  const levelBytes = file.levels.map((l) => typeof l.bytes === "number" ? l.bytes : l.bytes.total);
  const n = file.levels.length;
  const trainSeconds = file.report?.trainSeconds ?? file.report?.training?.seconds ??
    compressSeconds;
  const rows: MrcaeLevelRow[] = [];
  for (let k = 0; k < n; k++) {
    t0 = performance.now();
    const out = await file.decode({ level: k });
    const decodeSeconds = (performance.now() - t0) / 1000;
    const reference = sampleGrid(data, shape, out.rows, out.cols);
    const stats = errorStats(reference, out.data, range);
    let needed = bytes.length;
    for (let j = k + 1; j < n; j++) needed -= levelBytes[j];
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
      backend: file.report?.backend ?? knobs.backend ?? null,
    });
  }
  return rows;
}
