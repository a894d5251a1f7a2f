/**
 * `deno task bench`: mrcae against lossless deflate, quantization + deflate,
 * truncated SVD and ZFP on the same data, written as a markdown table, JSON and a
 * rate-distortion plot (SVG + PNG).
 *
 * ```sh
 * deno task bench                      # toy1, toy2, swirl; full size
 * deno task bench --quick              # small T, few training steps (~1 minute)
 * deno task bench --data a.npy,b.npy   # your own [T, H, W] (or [H, W]) float .npy files
 * deno task bench --no-mrcae           # peers only
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { encodePng } from "../src/io/png.ts";
import { applyColormap, composeImage } from "../src/io/colormap.ts";
import { builtinDataset, type Dataset, defaultSize, npyDataset } from "./datasets.ts";
import { bitsPerValue, errorStats, throughput, valueRange } from "./metrics.ts";
import { allPeers } from "./peers.ts";
import { loadMrcae, MRCAE_SETTINGS, type MrcaeApi, runMrcae } from "./mrcae.ts";
import { type RdPanel, rdScene, sceneToRgba, sceneToSvg } from "./plot.ts";

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

const USAGE = `Usage: deno task bench [options]
  --data a.npy[,b.npy]   benchmark your own float32/float64 .npy files ([T,H,W] or [H,W])
  --datasets LIST        built-in datasets (default toy1,toy2,swirl; none with --data)
  --quick                small T, one mrcae setting, 15 steps per stage: a ~1 minute smoke run
  --out DIR              output folder (default bench/results)
  --targets LIST         PSNR targets (dB) for the peers (default 40,60)
  --no-mrcae             skip mrcae (peers only)
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
  const knobs = {
    levels: number("levels", flags.levels, 3),
    steps: number("steps", flags.steps, quick ? 15 : 300),
    batch: number("batch", flags.batch, quick ? 16 : 32),
    seed: number("seed", flags.seed, 0),
    backend: flags.backend,
  };
  const settingNames = flags.settings?.split(",") ??
    (quick ? ["tol-paper"] : MRCAE_SETTINGS.map((s) => s.name));
  const settings = settingNames.map((name) =>
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
  for (const n of notes) log(`note: ${n}`);

  const rows: ResultRow[] = [];
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
    let missing = 0;
    for (const v of ds.data) if (!Number.isFinite(v)) missing++;
    // Lossy peers cannot take NaN: give them the data with missing values set to the mean.
    let peerData = ds.data;
    if (missing > 0) {
      let sum = 0;
      for (const v of ds.data) if (Number.isFinite(v)) sum += v;
      const mean = sum / (ds.data.length - missing);
      peerData = ds.data.map((v) => (Number.isFinite(v) ? v : mean));
      notes.push(
        `${ds.name}: ${missing} non-finite values; peers see them replaced by the mean, errors skip them`,
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
    JSON.stringify({ environment, datasets: datasetInfo, notes, rows }, null, 2) + "\n",
  );
  await Deno.writeTextFile(
    `${outDir}/results.md`,
    resultsMarkdown(rows, datasetInfo, notes, environment),
  );
  const scene = rdScene(panels);
  await Deno.writeTextFile(`${outDir}/rd.svg`, sceneToSvg(scene));
  const raster = sceneToRgba(scene);
  await Deno.writeFile(`${outDir}/rd.png`, encodePng(raster.rgba, raster.width, raster.height));
  if (previews.length > 0) {
    const image = composeImage(previews, { columns: Math.min(4, previews.length), zoom: 2 });
    await Deno.writeFile(
      `${outDir}/datasets.png`,
      encodePng(image.rgba, image.width, image.height),
    );
  }
  log(`\nwrote ${outDir}/results.md, results.json, rd.svg, rd.png, datasets.png`);
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
