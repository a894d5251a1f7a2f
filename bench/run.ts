/**
 * `deno task bench`: mrcae against lossless deflate, quantization + deflate,
 * truncated SVD and ZFP on the same data, written as a markdown table, JSON and
 * two rate-distortion plots (SVG + PNG):
 *
 * - at matched PSNR (`rd.*`): peers tuned to the PSNR of each mrcae run and to
 *   `--targets`;
 * - at a max-error bound (`rd-maxerr.*`): mrcae's error-bounded mode,
 *   quant+deflate and ZFP at the same max abs error, with SZ3 and JPEG 2000 from
 *   `bench/reference/reference-rd.json` (measured elsewhere, not rerun).
 *
 * ```sh
 * deno task bench                      # toy1, toy2, swirl; full size
 * deno task bench --quick              # small T, few training steps (~1 minute)
 * deno task bench --data a.npy,b.npy   # your own [T, H, W] (or [H, W]) float .npy files
 * deno task bench --no-mrcae           # peers only
 * deno task bench --no-model           # mrcae's bounded mode only, no training
 * deno task bench --bounds 0.0147,0.0041   # max-error bounds, relative to the range
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { encodePng } from "../src/io/png.ts";
import { applyColormap } from "../src/io/colormap.ts";
import { composeImage } from "../src/io/image.ts";
import { builtinDataset, type Dataset, defaultSize, npyDataset } from "./datasets.ts";
import { bitsPerValue, errorStats, throughput, valueRange } from "./metrics.ts";
import { countMissing, isMissing } from "../src/metrics.ts";
import { allPeers } from "./peers.ts";
import {
  loadMrcae,
  MRCAE_SETTINGS,
  type MrcaeApi,
  type MrcaeLevelRow,
  runMrcae,
  runMrcaeBounded,
} from "./mrcae.ts";
import {
  type ChartPanel,
  maxErrorScene,
  type RdPanel,
  rdScene,
  type Scene,
  sceneToRgba,
  sceneToSvg,
} from "./plot.ts";
import {
  boundsForDataset,
  DEFAULT_RELATIVE_BOUNDS,
  loadReference,
  parseBounds,
  type Reference,
  REFERENCE_PATH,
  referenceAtBound,
  sortBounds,
  SZ3_BOUND_PSNRS,
} from "./bounds.ts";

/** One row of the results table. */
export interface ResultRow {
  dataset: string;
  method: string;
  setting: string;
  /** mrcae level (0 = coarsest); null for peers. */
  level: number | null;
  /** Grid the error is measured on, `HxW`. */
  grid: string;
  /** PSNR the peer was tuned to reach; null for mrcae and lossless runs. */
  targetPsnr: number | null;
  bytes: number;
  ratio: number;
  bitsPerValue: number;
  rmse: number;
  nrmse: number;
  /** dB; `null` in JSON (Infinity) for exact reconstructions. */
  psnr: number;
  maxAbsError: number;
  compressMBs: number;
  decompressMBs: number;
  trainSeconds: number | null;
  backend: string | null;
  note?: string;
}

/** One row of the max-error tables: a method at one bound. */
export interface MaxErrorRow {
  dataset: string;
  /** The bound, relative to the range of the original. */
  bound: number;
  /** The bound in original units (`bound * range`). */
  boundAbs: number;
  method: string;
  setting: string;
  /** mrcae level (0 = coarsest); null for peers. */
  level: number | null;
  /** Grid the error is measured on, `HxW`. */
  grid: string;
  /** Compressed bytes; null for reference rows (their ratio comes from the reference file). */
  bytes: number | null;
  ratio: number;
  bitsPerValue: number;
  /** Measured max abs error, original units (reference rows: `maxabs_rel * range`). */
  maxAbsError: number;
  /** `maxAbsError / range`. */
  maxAbsErrorRel: number;
  /** Whether the measured max error is within the bound. */
  meetsBound: boolean;
  /** dB; `null` in JSON (Infinity) for exact reconstructions. */
  psnr: number;
  compressMBs: number;
  decompressMBs: number;
  /** Taken from the reference file (another machine, full-size toy data), not rerun. */
  reference: boolean;
  note?: string;
}

const USAGE = `Usage: deno task bench [options]
  --data a.npy[,b.npy]   benchmark your own float32/float64 .npy files ([T,H,W] or [H,W])
  --datasets LIST        built-in datasets (default toy1,toy2,swirl; none with --data)
  --quick                small T, one mrcae setting, 15 steps per stage: a ~1 minute smoke run
  --out DIR              output folder (default bench/results)
  --targets LIST         PSNR targets (dB) for the peers (default 40,60)
  --bounds LIST          max-error bounds relative to the range, e.g. 0.0147,0.0041 (default:
                         toy1/toy2 the max errors of SZ3's ${
  SZ3_BOUND_PSNRS.join(" and ")
} dB reference points, others
                         ${
  DEFAULT_RELATIVE_BOUNDS.join(" and ")
} plus ZFP's max error at the PSNR targets)
  --reference FILE       reference points of SZ3 / JPEG 2000 (default bench/reference/reference-rd.json)
  --no-mrcae             skip mrcae (peers only)
  --no-model             skip mrcae's trained-model runs (its bounded mode still runs)
  --settings LIST        mrcae settings (default: all of ${
  MRCAE_SETTINGS.map((s) => s.name).join(",")
})
  --levels N --steps N --batch N --seed N --backend NAME   mrcae training knobs
  --help`;

function fail(message: string): never {
  console.error(`error: ${message}`);
  Deno.exit(1);
}

function log(message: string): void {
  console.error(message);
}

async function main(): Promise<void> {
  const { values: flags } = parseArgs({
    args: Deno.args,
    options: {
      data: { type: "string" },
      datasets: { type: "string" },
      quick: { type: "boolean", default: false },
      out: { type: "string", default: "bench/results" },
      targets: { type: "string", default: "40,60" },
      "no-mrcae": { type: "boolean", default: false },
      "no-model": { type: "boolean", default: false },
      bounds: { type: "string" },
      reference: { type: "string" },
      settings: { type: "string" },
      levels: { type: "string", default: "3" },
      steps: { type: "string" },
      batch: { type: "string" },
      seed: { type: "string", default: "0" },
      backend: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const quick = flags.quick;
  const outDir = flags.out.replace(/\/+$/, "");
  const tmpDir = `${outDir}/tmp`;
  const number = (name: string, v: string | undefined, fallback: number) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n)) fail(`--${name} "${v}" is not a number`);
    return n;
  };
  const targets = flags.targets.split(",").filter(Boolean).map((v) => number("targets", v, 0));
  let boundsOverride: number[] | null = null;
  if (flags.bounds !== undefined) {
    try {
      boundsOverride = parseBounds(flags.bounds);
    } catch (err) {
      fail((err as Error).message);
    }
  }
  const knobs = {
    levels: number("levels", flags.levels, 3),
    steps: number("steps", flags.steps, quick ? 15 : 300),
    batch: number("batch", flags.batch, quick ? 16 : 32),
    seed: number("seed", flags.seed, 0),
    backend: flags.backend,
  };
  const settingNames = flags.settings?.split(",") ??
    (quick ? ["tol-paper"] : MRCAE_SETTINGS.map((s) => s.name));
  const settings = flags["no-model"]
    ? []
    : settingNames.map((name) =>
      MRCAE_SETTINGS.find((s) => s.name === name) ??
        fail(`unknown --settings "${name}" (use ${MRCAE_SETTINGS.map((s) => s.name).join(", ")})`)
    );

  // Datasets: built-ins unless only --data is given.
  const builtinNames = flags.datasets?.split(",").filter(Boolean) ??
    (flags.data ? [] : ["toy1", "toy2", "swirl"]);
  const userFiles = flags.data?.split(",").filter(Boolean) ?? [];
  await Deno.mkdir(tmpDir, { recursive: true });

  const notes: string[] = [];
  let mrcae: MrcaeApi | null = null;
  if (flags["no-mrcae"]) notes.push("mrcae skipped (--no-mrcae)");
  else {
    if (flags["no-model"]) notes.push("mrcae model coding skipped (--no-model)");
    const loaded = await loadMrcae();
    if (typeof loaded === "string") notes.push(`mrcae skipped: ${loaded}`);
    else mrcae = loaded;
  }
  const peers = allPeers(tmpDir);
  const usable = [];
  for (const peer of peers) {
    const reason = await peer.unavailable();
    if (reason) notes.push(`${peer.name} skipped: ${reason}`);
    else usable.push(peer);
  }
  const loadedReference = await loadReference(flags.reference ?? REFERENCE_PATH);
  let reference: Reference | null = null;
  if (typeof loadedReference === "string") {
    notes.push(`reference points (SZ3, JPEG 2000) left out: ${loadedReference}`);
  } else reference = loadedReference;
  for (const n of notes) log(`note: ${n}`);
  // mrcae's bounded coding: "untested" until the first call; a rejection skips it for the run.
  let boundedState: "untested" | "works" | "skipped" = mrcae ? "untested" : "skipped";

  const rows: ResultRow[] = [];
  const maxErrorRows: MaxErrorRow[] = [];
  const maxErrorPanels: ChartPanel[] = [];
  const datasetInfo: Record<string, unknown>[] = [];
  const panels: RdPanel[] = [];
  const previews = [];

  const loaders: (() => Promise<Dataset & { seconds: number; cached?: boolean }>)[] = [
    ...builtinNames.map((name) => async () => {
      const t0 = performance.now();
      const ds = await builtinDataset(name, defaultSize(name, quick), tmpDir);
      return { ...ds, seconds: (performance.now() - t0) / 1000 };
    }),
    ...userFiles.map((path) => async () => {
      const t0 = performance.now();
      const ds = await npyDataset(path);
      return { ...ds, seconds: (performance.now() - t0) / 1000 };
    }),
  ];

  for (const load of loaders) {
    const ds = await load();
    const [T, H, W] = ds.shape;
    const { min, max } = valueRange(ds.data);
    const range = max - min;
    const rawBytes = ds.data.length * 4;
    log(
      `\n== ${ds.name} ${T}x${H}x${W}, range [${min.toPrecision(4)}, ${max.toPrecision(4)}] ` +
        `(${ds.cached ? "cached" : "loaded/generated"} in ${ds.seconds.toFixed(1)} s)`,
    );
    const missing = countMissing(ds.data);
    // Lossy peers cannot take NaN: give them the data with missing values set to the mean.
    let peerData = ds.data;
    if (missing > 0) {
      let sum = 0;
      for (const v of ds.data) if (!isMissing(v)) sum += v;
      const mean = sum / (ds.data.length - missing);
      peerData = ds.data.map((v) => (isMissing(v) ? mean : v));
      notes.push(
        `${ds.name}: ${missing} missing values; peers see them replaced by the mean, errors skip them`,
      );
    }
    datasetInfo.push({
      name: ds.name,
      shape: ds.shape,
      min,
      max,
      range,
      missing,
      source: ds.source,
      generateSeconds: ds.seconds,
    });
    if (previews.length < 8) {
      const t = Math.floor(T / 2);
      previews.push({
        rgba: applyColormap(ds.data.subarray(t * H * W, (t + 1) * H * W), W, H, { min, max }),
        width: W,
        height: H,
        label: `${ds.name} t=${t}`,
      });
    }
    const panel: RdPanel = { title: ds.name, series: [] };
    const addPoint = (label: string, bpv: number, psnr: number) => {
      let series = panel.series.find((s) => s.label === label);
      if (!series) panel.series.push(series = { label, points: [] });
      series.points.push({ bitsPerValue: bpv, psnr });
    };

    // mrcae first: where its runs land become extra peer targets.
    const extraTargets: number[] = [];
    if (mrcae) {
      for (const setting of settings) {
        log(`mrcae ${setting.name} (tol ${setting.tol.join(", ")}; ${knobs.steps} steps/stage)`);
        try {
          let lastLog = 0;
          const levelRows = await runMrcae(mrcae, ds.data, ds.shape, range, setting, {
            ...knobs,
            onProgress: (e) => {
              const t = performance.now();
              if (t - lastLog > 10_000) {
                lastLog = t;
                log(`  level ${e.level} stage ${e.stage} step ${e.step}/${e.steps}`);
              }
            },
          });
          for (const r of levelRows) {
            rows.push({
              dataset: ds.name,
              method: "mrcae",
              setting: setting.name,
              level: r.level,
              grid: `${r.grid[0]}x${r.grid[1]}`,
              targetPsnr: null,
              bytes: r.bytes,
              ratio: r.ratio,
              bitsPerValue: r.bitsPerValue,
              rmse: r.rmse,
              nrmse: r.nrmse,
              psnr: r.psnr,
              maxAbsError: r.maxAbsError,
              compressMBs: r.compressMBs,
              decompressMBs: r.decompressMBs,
              trainSeconds: r.trainSeconds,
              backend: r.backend,
            });
            addPoint(`mrcae L${r.level}`, r.bitsPerValue, r.psnr);
            log(
              `  L${r.level} ${r.grid.join("x")}: ratio ${r.ratio.toFixed(1)}, ${
                r.psnr.toFixed(2)
              } dB, ${r.trainSeconds.toFixed(0)} s training`,
            );
          }
          const finest = levelRows.at(-1);
          if (finest && Number.isFinite(finest.psnr)) {
            extraTargets.push(Math.round(finest.psnr * 10) / 10);
          }
        } catch (err) {
          const message = (err as Error).message.split("\n")[0];
          notes.push(`${ds.name}: mrcae ${setting.name} failed: ${message}`);
          log(`  failed: ${message}`);
        }
      }
    }

    const allTargets = [...new Set([...targets, ...extraTargets])].sort((a, b) => a - b);
    for (const peer of usable) {
      for (const target of peer.lossless ? [null] : allTargets) {
        try {
          const run = await peer.run(
            peerData,
            ds.shape,
            target === null ? undefined : { psnr: target, range },
          );
          const stats = errorStats(ds.data, run.decoded, range);
          rows.push({
            dataset: ds.name,
            method: peer.name,
            setting: run.setting,
            level: null,
            grid: `${H}x${W}`,
            targetPsnr: target,
            bytes: run.compressedBytes,
            ratio: rawBytes / run.compressedBytes,
            bitsPerValue: bitsPerValue(run.compressedBytes, ds.data.length),
            rmse: stats.rmse,
            nrmse: stats.nrmse,
            psnr: stats.psnr,
            maxAbsError: stats.maxAbsError,
            compressMBs: throughput(rawBytes, run.compressSeconds),
            decompressMBs: throughput(rawBytes, run.decompressSeconds),
            trainSeconds: null,
            backend: null,
            note: run.note,
          });
          addPoint(peer.name, bitsPerValue(run.compressedBytes, ds.data.length), stats.psnr);
          log(
            `${peer.name}${target === null ? "" : ` @${target} dB`}: ${run.setting}, ratio ${
              (rawBytes / run.compressedBytes).toFixed(1)
            }, ${stats.psnr.toFixed(2)} dB`,
          );
        } catch (err) {
          const message = (err as Error).message.split("\n")[0];
          notes.push(`${ds.name}: ${peer.name} at ${target ?? "lossless"} failed: ${message}`);
          log(`${peer.name} failed: ${message}`);
        }
      }
    }
    // The max-error axis: every method at the same max abs error.
    const refPoints = reference?.datasets[ds.name];
    let bounds: number[];
    let boundsSource: string;
    if (boundsOverride) {
      bounds = boundsOverride;
      boundsSource = "--bounds";
    } else {
      ({ bounds, source: boundsSource } = boundsForDataset(refPoints));
      if (!refPoints?.some((p) => p.method === "sz3")) {
        // ZFP's own max error at its PSNR-targeted runs, where it ran.
        const zfpBounds = rows
          .filter((r) =>
            r.dataset === ds.name && r.method === "zfp" && r.targetPsnr !== null &&
            targets.includes(r.targetPsnr) && r.maxAbsError > 0
          )
          // A hair above the measured value, so that ZFP's own setting meets it after rounding.
          .map((r) => (r.maxAbsError / range) * (1 + 1e-9));
        if (zfpBounds.length > 0) {
          bounds = sortBounds([...bounds, ...zfpBounds]);
          boundsSource += ` plus ZFP's max error at ${targets.join(" and ")} dB`;
        }
      }
    }
    if (refPoints && refPoints.length > 0 && T !== 500) {
      notes.push(
        `${ds.name}: reference rows (SZ3, JPEG 2000) are for 500 snapshots; this run has ${T}, ` +
          "so its ratios are only a rough guide here",
      );
    }
    const info = datasetInfo.at(-1)!;
    info.bounds = bounds;
    info.boundsSource = boundsSource;
    const maxPanel: ChartPanel = { title: ds.name, series: [] };
    const addMaxPoint = (label: string, x: number, y: number, style?: "dashed" | "markers") => {
      let series = maxPanel.series.find((s) => s.label === label);
      if (!series) maxPanel.series.push(series = { label, points: [], style });
      series.points.push({ x, y });
    };
    log(`max-error bounds (relative): ${bounds.map((b) => b.toPrecision(3)).join(", ")}`);
    for (const bound of bounds) {
      const boundAbs = bound * range;
      const base = { dataset: ds.name, bound, boundAbs };
      if (mrcae && boundedState !== "skipped") {
        try {
          const levelRows: MrcaeLevelRow[] = await runMrcaeBounded(
            mrcae,
            ds.data,
            ds.shape,
            range,
            boundAbs,
          );
          boundedState = "works";
          // The plot shows the finest level (the whole data); the table has every level.
          const finest = levelRows.at(-1);
          if (finest) addMaxPoint("mrcae bounded", finest.maxAbsError / range, finest.ratio);
          for (const r of levelRows) {
            const meets = r.maxAbsError <= boundAbs;
            maxErrorRows.push({
              ...base,
              method: "mrcae bounded",
              setting: `errorBound=${boundAbs.toPrecision(3)}`,
              level: r.level,
              grid: `${r.grid[0]}x${r.grid[1]}`,
              bytes: r.bytes,
              ratio: r.ratio,
              bitsPerValue: r.bitsPerValue,
              maxAbsError: r.maxAbsError,
              maxAbsErrorRel: r.maxAbsError / range,
              meetsBound: meets,
              psnr: r.psnr,
              compressMBs: r.compressMBs,
              decompressMBs: r.decompressMBs,
              reference: false,
              note: meets ? undefined : "misses the bound",
            });
            log(
              `mrcae bounded @${bound.toPrecision(3)} L${r.level}: ratio ${
                r.ratio.toFixed(1)
              }, max err ${(r.maxAbsError / range).toExponential(3)} of range${
                meets ? "" : " (MISSES THE BOUND)"
              }`,
            );
          }
        } catch (err) {
          const message = (err as Error).message.split("\n")[0];
          if (boundedState === "untested") {
            // The first call failing means the codec has no bounded coding (yet): skip it.
            boundedState = "skipped";
            notes.push(
              `mrcae bounded coding skipped: compress(..., { coding: "bounded", errorBound }) failed: ${message}`,
            );
          } else notes.push(`${ds.name}: mrcae bounded at ${bound} failed: ${message}`);
          log(`mrcae bounded failed: ${message}`);
        }
      }
      for (const peer of usable) {
        if (!peer.runBounded) continue;
        try {
          const run = await peer.runBounded(peerData, ds.shape, { maxAbsError: boundAbs, range });
          const stats = errorStats(ds.data, run.decoded, range);
          const meets = stats.maxAbsError <= boundAbs;
          const ratio = rawBytes / run.compressedBytes;
          maxErrorRows.push({
            ...base,
            method: peer.name,
            setting: run.setting,
            level: null,
            grid: `${H}x${W}`,
            bytes: run.compressedBytes,
            ratio,
            bitsPerValue: bitsPerValue(run.compressedBytes, ds.data.length),
            maxAbsError: stats.maxAbsError,
            maxAbsErrorRel: stats.maxAbsError / range,
            meetsBound: meets,
            psnr: stats.psnr,
            compressMBs: throughput(rawBytes, run.compressSeconds),
            decompressMBs: throughput(rawBytes, run.decompressSeconds),
            reference: false,
            note: [run.note, meets ? undefined : "misses the bound"].filter(Boolean).join("; ") ||
              undefined,
          });
          addMaxPoint(peer.name, stats.maxAbsError / range, ratio);
          log(
            `${peer.name} @${bound.toPrecision(3)}: ${run.setting}, ratio ${ratio.toFixed(1)}, ` +
              `max err ${(stats.maxAbsError / range).toExponential(3)} of range, ${
                stats.psnr.toFixed(2)
              } dB`,
          );
        } catch (err) {
          const message = (err as Error).message.split("\n")[0];
          notes.push(`${ds.name}: ${peer.name} at max error ${bound} failed: ${message}`);
          log(`${peer.name} failed: ${message}`);
        }
      }
      for (const p of referenceAtBound(refPoints ?? [], bound)) {
        maxErrorRows.push({
          ...base,
          method: `${referenceName(p.method)} (reference, not rerun)`,
          setting: p.setting,
          level: null,
          grid: `${H}x${W}`,
          bytes: null,
          ratio: p.cr,
          bitsPerValue: 32 / p.cr,
          maxAbsError: p.maxabs_rel * range,
          maxAbsErrorRel: p.maxabs_rel,
          meetsBound: p.maxabs_rel <= bound * 1.001,
          psnr: p.psnr,
          compressMBs: p.comp_MBs,
          decompressMBs: p.decomp_MBs,
          reference: true,
          note: /lossless/i.test(p.setting)
            ? "every lossy reference point exceeds the bound"
            : "reference point with the highest ratio within the bound",
        });
      }
    }
    // Reference curves: every SZ3 point as a dashed line, JPEG 2000's lossy points as markers.
    for (const p of refPoints ?? []) {
      if (p.method === "sz3") addMaxPoint("SZ3 (reference)", p.maxabs_rel, p.cr, "dashed");
    }
    for (const p of refPoints ?? []) {
      if (p.method === "j2k" && !/lossless/i.test(p.setting)) {
        addMaxPoint("J2K (reference)", p.maxabs_rel, p.cr, "markers");
      }
    }
    maxErrorPanels.push(maxPanel);

    for (const peer of usable) await peer.release?.(peerData);
    panels.push(panel);
  }

  await Deno.mkdir(outDir, { recursive: true });
  const environment = {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    os: `${Deno.build.os} ${Deno.build.arch}`,
    cpus: navigator.hardwareConcurrency,
    args: Deno.args,
    quick,
    knobs: { ...knobs, settings: settings.map((s) => s.name) },
  };
  await Deno.writeTextFile(
    `${outDir}/results.json`,
    JSON.stringify(
      {
        environment,
        datasets: datasetInfo,
        notes,
        rows,
        maxErrorRows,
        reference: reference ? { about: reference.about } : null,
      },
      null,
      2,
    ) + "\n",
  );
  await Deno.writeTextFile(
    `${outDir}/results.md`,
    resultsMarkdown(rows, datasetInfo, notes, environment, maxErrorRows),
  );
  await writeScene(rdScene(panels), `${outDir}/rd`);
  await writeScene(maxErrorScene(maxErrorPanels), `${outDir}/rd-maxerr`);
  if (previews.length > 0) {
    const image = composeImage(previews, { columns: Math.min(4, previews.length), zoom: 2 });
    await Deno.writeFile(
      `${outDir}/datasets.png`,
      encodePng(image.rgba, image.width, image.height),
    );
  }
  log(
    `\nwrote ${outDir}/results.md, results.json, rd.svg, rd.png, rd-maxerr.svg, rd-maxerr.png, ` +
      "datasets.png",
  );
}

/** Write a figure as `<base>.svg` and `<base>.png`. */
async function writeScene(scene: Scene, base: string): Promise<void> {
  await Deno.writeTextFile(`${base}.svg`, sceneToSvg(scene));
  const raster = sceneToRgba(scene);
  await Deno.writeFile(`${base}.png`, encodePng(raster.rgba, raster.width, raster.height));
}

/** Display name of a reference method. */
function referenceName(method: string): string {
  return ({ sz3: "SZ3", j2k: "JPEG 2000", zfp: "ZFP" } as Record<string, string>)[method] ?? method;
}

const fmt = {
  sig: (v: number, digits = 3): string =>
    v === 0
      ? "0"
      : Number.isFinite(v)
      ? (Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3)
        ? v.toExponential(digits - 1)
        : v.toPrecision(digits))
      : v > 0
      ? "inf"
      : "-",
  fixed: (v: number, digits: number) => Number.isFinite(v) ? v.toFixed(digits) : "inf",
};

/** The markdown report: one table per dataset. */
export function resultsMarkdown(
  rows: ResultRow[],
  datasets: Record<string, unknown>[],
  notes: string[],
  environment: Record<string, unknown>,
  maxErrorRows: MaxErrorRow[] = [],
): string {
  const lines = [
    "# mrcae benchmark",
    "",
    `${environment.date}, Deno ${environment.deno}, ${environment.os}, ${environment.cpus} CPUs, ` +
    `args: \`${(environment.args as string[]).join(" ") || "(none)"}\``,
    "",
    "- ratio = raw float32 bytes / compressed bytes; bits/value = 8 * compressed bytes / values.",
    "- PSNR = 20 log10(range / RMSE) and NRMSE = RMSE / range, range = max - min of the original.",
    "- mrcae rows: level k is decoded alone and compared with the original sampled at that",
    "  level's rows and columns (centre sampling, every 2^(N-1-k)-th point); its bytes are the",
    "  file minus the chunks of finer levels, and its ratio is against float32 of that grid.",
    "- Peers are tuned (bisection) to the smallest output whose PSNR meets the target; tuning",
    "  time is not in the throughput. Throughput = raw float32 MB (1e6 B) per second.",
    "- At a max-error bound (bound relative to the range): mrcae runs its error-bounded mode",
    "  (`errorBound` = bound x range), every level measured as above; quant+deflate quantizes with",
    "  step 2 x bound (shrunk where float32 rounding would miss); ZFP fixed accuracy uses the",
    "  largest `-a 2^e` whose measured max error meets the bound (ZFP only uses floor(log2 tol)).",
    "  SZ3 and JPEG 2000 rows are the reference points (`bench/reference/reference-rd.json`, full",
    "  500 x 127 x 127 toy data, another machine) with the highest ratio whose max error meets the",
    "  bound: their ratios and speeds are not measured here.",
    "",
  ];
  if (notes.length > 0) {
    lines.push("Notes:", "", ...notes.map((n) => `- ${n}`), "");
  }
  for (const ds of datasets) {
    const shape = ds.shape as number[];
    lines.push(
      `## ${ds.name} (${shape.join(" x ")})`,
      "",
      `${ds.source}. Range [${fmt.sig(ds.min as number, 4)}, ${fmt.sig(ds.max as number, 4)}].`,
      "",
      "| method | setting | level | grid | target dB | ratio | bits/value | RMSE | NRMSE | PSNR dB | max abs err | comp MB/s | decomp MB/s | train s | backend |",
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    );
    for (const r of rows.filter((r) => r.dataset === ds.name)) {
      lines.push(
        "| " + [
          r.method,
          r.setting,
          r.level ?? "-",
          r.grid,
          r.targetPsnr ?? "-",
          fmt.sig(r.ratio),
          fmt.sig(r.bitsPerValue),
          fmt.sig(r.rmse),
          fmt.sig(r.nrmse),
          fmt.fixed(r.psnr, 2),
          fmt.sig(r.maxAbsError),
          fmt.sig(r.compressMBs),
          fmt.sig(r.decompressMBs),
          r.trainSeconds === null ? "-" : r.trainSeconds.toFixed(1),
          r.backend ?? "-",
        ].join(" | ") + " |",
      );
    }
    lines.push("");
    const bounded = maxErrorRows.filter((r) => r.dataset === ds.name);
    if (bounded.length > 0) {
      lines.push(
        `### ${ds.name} at a max-error bound`,
        "",
        `Bounds: ${ds.boundsSource ?? "given"}.`,
        "",
        "| bound (rel.) | bound | method | setting | level | grid | ratio | bits/value | max abs err | max err / range | PSNR dB | comp MB/s | decomp MB/s | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
      );
      for (const r of bounded) {
        lines.push(
          "| " + [
            fmt.sig(r.bound),
            fmt.sig(r.boundAbs),
            r.method,
            r.setting,
            r.level ?? "-",
            r.grid,
            fmt.sig(r.ratio),
            fmt.sig(r.bitsPerValue),
            fmt.sig(r.maxAbsError),
            fmt.sig(r.maxAbsErrorRel),
            fmt.fixed(r.psnr, 2),
            fmt.sig(r.compressMBs),
            fmt.sig(r.decompressMBs),
            r.note ?? (r.meetsBound ? "" : "misses the bound"),
          ].join(" | ") + " |",
        );
      }
      lines.push("");
    }
  }
  return lines.join("\n");
}

if (import.meta.main) {
  try {
    await main();
  } catch (err) {
    fail((err as Error).message);
  }
}
