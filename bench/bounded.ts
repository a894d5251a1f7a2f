/**
 * `deno task bench:bounded`: the bounded mode's ablation and speed, written as markdown and JSON.
 *
 * - **Ablation** at each dataset's bounds: the full coder (cubic interpolation in space, time
 *   hierarchy, context range coder), then one part changed at a time: no time prediction, linear
 *   interpolation, both (the fixed spatial interpolation only), deflate instead of the range coder
 *   (same codes), and the trained MrCAE model's reconstruction instead of the time prediction
 *   (its bytes counted).
 * - **Speed** on toy1 with T = 100, 500, 2000: seconds per stage and MB/s of compression, decode
 *   MB/s of the finest level and of level 0.
 *
 * ```sh
 * deno task bench:bounded                 # toy1, toy2, swirl; MrCAE trained with the default 60 s budget
 * deno task bench:bounded --quick         # small T, short training (~1 minute)
 * deno task bench:bounded --no-model      # skip the MrCAE predictor (no training)
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { deflateSync } from "npm:fflate@0.8.2";
import { compress, compressTo, openMrc } from "../mod.ts";
import { BlockCoder, type CodeLog } from "../src/bounded/block_coder.ts";
import { defaultBoundedLevels } from "../src/bounded/plan.ts";
import { builtinDataset, type Dataset, defaultSize } from "./datasets.ts";
import { boundsForDataset, loadReference } from "./bounds.ts";
import { valueRange } from "./metrics.ts";
import { errorStats } from "../src/metrics.ts";

const USAGE = `Usage: deno task bench:bounded [--quick] [--no-model] [--datasets toy1,toy2,swirl]
  [--out DIR] [--speed-sizes 100,500,2000]`;

interface AblationRow {
  dataset: string;
  bound: number;
  relBound: number;
  variant: string;
  bytes: number;
  ratio: number;
  /** Bytes relative to the full coder. */
  vsFull: number;
  maxAbsError: number | null;
  note?: string;
}

interface SpeedRow {
  T: number;
  relBound: number;
  megabytes: number;
  ratio: number;
  /** Prediction, quantization and range coding (one fused pass). */
  codeSeconds: number;
  /** The whole `compressTo()`: input scan, coding, report and container. */
  totalSeconds: number;
  compressMBs: number;
  decodeFinestMBs: number;
  decodeLevel0Ms: number;
  level0Speedup: number;
}

const now = () => performance.now() / 1000;

/** Largest absolute error of the finest level against the data (`errorStats()`'s NaN rule). */
const maxError = (decoded: Float32Array, data: Float32Array) =>
  errorStats(data, decoded.subarray(0, data.length)).maxAbsError;

/** Bytes of a `.mrc` file that are not `BCOD` bodies: header, report, index, framing. */
async function containerOverhead(bytes: Uint8Array): Promise<number> {
  const file = await openMrc(bytes);
  const bodies = file.chunks.filter((c) => c.type === "BCOD").reduce(
    (a, c) => a + c.length - 24,
    0,
  );
  return bytes.length - bodies;
}

/** Zigzag LEB128 varints. */
function varints(values: number[]): Uint8Array {
  const out: number[] = [];
  for (const v of values) {
    let z = v >= 0 ? 2 * v : -2 * v - 1;
    while (z >= 128) {
      out.push((z % 128) | 128);
      z = Math.floor(z / 128);
    }
    out.push(z);
  }
  return Uint8Array.from(out);
}

/**
 * Codes every block at `bound` with the given options and returns the summed chunk bytes, or the
 * summed deflate bytes of the same codes when `deflate` is set.
 */
function coderBytes(
  d: Dataset,
  bound: number,
  options: {
    keyInterval: number;
    cubic: boolean;
    blockSize: number;
    deflate?: boolean;
    external?: Float32Array;
  },
): { bytes: number; maxAbsError: number } {
  const [T, H, W] = d.shape;
  const levels = defaultBoundedLevels(H, W);
  const plane = H * W;
  let bytes = 0, maxAbsError = 0;
  for (let first = 0; first < T; first += options.blockSize) {
    const n = Math.min(options.blockSize, T - first);
    const x = d.data.subarray(first * plane, (first + n) * plane);
    const coder = new BlockCoder({
      n,
      H,
      W,
      levels,
      keyInterval: options.keyInterval,
      bound,
      cubic: options.cubic,
      externalBase: options.external?.subarray(first * plane, (first + n) * plane),
    });
    for (let k = 0; k < levels; k++) {
      const log: CodeLog = { codes: [], side: [] };
      coder.log = options.deflate ? log : null;
      const coded = coder.encodeLevel(x);
      // Deflate per (level, block) chunk, as the file would store it (4 bytes: the chunk's count).
      bytes += options.deflate
        ? deflateSync(varints(log.codes), { level: 9 }).length +
          deflateSync(Uint8Array.from(log.side), { level: 9 }).length + 4
        : coded.bytes.length;
    }
    maxAbsError = Math.max(maxAbsError, maxError(coder.rec, x));
  }
  return { bytes, maxAbsError };
}

async function ablation(
  d: Dataset,
  relBounds: number[],
  model: { steps?: number } | null,
): Promise<AblationRow[]> {
  const { min, max } = valueRange(d.data);
  const range = max - min;
  const raw = d.data.length * 4;
  const rows: AblationRow[] = [];
  // The MrCAE reconstruction, trained once per dataset: its file's model chunks are its cost.
  let mrcae: { recon: Float32Array; bytes: number; psnr: number | null; seconds: number } | null =
    null;
  if (model) {
    const t0 = now();
    const file = await openMrc(await compress(d.data, d.shape, { coding: "model", ...model }));
    const decoded = await file.decode();
    const modelBytes = file.chunks.filter((c) => ["DECW", "MASK", "CODE"].includes(c.type))
      .reduce((a, c) => a + c.length, 0);
    const report = file.report;
    mrcae = {
      recon: decoded.data,
      bytes: modelBytes,
      psnr: report?.levels.at(-1)?.psnr ?? null,
      seconds: now() - t0,
    };
  }
  for (const rel of relBounds) {
    const bound = rel * range;
    const full = await compress(d.data, d.shape, { errorBound: bound });
    const file = await openMrc(full);
    const blockSize = file.header.blockSize;
    const overhead = await containerOverhead(full);
    const fullErr = maxError((await file.decode()).data, d.data);
    const add = (variant: string, bytes: number, err: number | null, note?: string) =>
      rows.push({
        dataset: d.name,
        bound,
        relBound: rel,
        variant,
        bytes,
        ratio: raw / bytes,
        vsFull: bytes / full.length,
        maxAbsError: err,
        note,
      });
    add("full: cubic + time + range coder", full.length, fullErr);
    for (
      const [variant, opts] of [
        ["no time prediction", { keyInterval: 1, interpolation: "cubic" }],
        ["linear interpolation", { keyInterval: 32, interpolation: "linear" }],
        ["fixed spatial interpolation only (linear, no time)", {
          keyInterval: 1,
          interpolation: "linear",
        }],
      ] as const
    ) {
      const bytes = await compress(d.data, d.shape, { errorBound: bound, ...opts });
      const err = maxError((await (await openMrc(bytes)).decode()).data, d.data);
      add(variant, bytes.length, err);
    }
    const deflated = coderBytes(d, bound, {
      keyInterval: 32,
      cubic: true,
      blockSize,
      deflate: true,
    });
    add(
      "deflate (level 9) instead of the range coder",
      overhead + deflated.bytes,
      deflated.maxAbsError,
      "same codes; modes and flags deflated separately, per chunk",
    );
    if (mrcae) {
      const coded = coderBytes(d, bound, {
        keyInterval: 32,
        cubic: true,
        blockSize,
        external: mrcae.recon,
      });
      add(
        "MrCAE predictor instead of time prediction",
        overhead + coded.bytes + mrcae.bytes,
        coded.maxAbsError,
        `model ${mrcae.bytes} B (finest ${mrcae.psnr?.toFixed(1) ?? "-"} dB, ${
          mrcae.seconds.toFixed(0)
        } s) + residual codes ${coded.bytes} B`,
      );
    }
  }
  return rows;
}

async function speed(sizes: number[], relBounds: number[], cacheDir: string): Promise<SpeedRow[]> {
  const rows: SpeedRow[] = [];
  for (const T of sizes) {
    const d = await builtinDataset("toy1", { T, n: 127 }, cacheDir);
    const { min, max } = valueRange(d.data);
    const raw = d.data.length * 4;
    for (const rel of relBounds) {
      const parts: Uint8Array[] = [];
      const t0 = now();
      const { report, bytes } = await compressTo(d.data, d.shape, {
        write: (b) => void parts.push(b.slice()),
      }, { errorBound: rel * (max - min) });
      const total = now() - t0;
      const codeSeconds = report.mode === "bounded" ? report.encodeSeconds : NaN;
      const file = new Uint8Array(bytes);
      let at = 0;
      for (const p of parts) file.set(p, (at += p.length) - p.length);
      const mrc = await openMrc(file);
      const N = mrc.levelCount;
      let finest = Infinity, level0 = Infinity;
      for (let r = 0; r < 5; r++) {
        const a = now();
        await mrc.decode({ level: N - 1 });
        const b = now();
        await mrc.decode({ level: 0 });
        const c = now();
        finest = Math.min(finest, b - a);
        level0 = Math.min(level0, c - b);
      }
      rows.push({
        T,
        relBound: rel,
        megabytes: raw / 1e6,
        ratio: raw / bytes,
        codeSeconds,
        totalSeconds: total,
        compressMBs: raw / 1e6 / total,
        decodeFinestMBs: raw / 1e6 / finest,
        decodeLevel0Ms: level0 * 1000,
        level0Speedup: finest / level0,
      });
      console.error(`  speed T=${T} rel ${rel}: ${(raw / 1e6 / total).toFixed(1)} MB/s compress`);
    }
  }
  return rows;
}

const fmt = (v: number, digits = 3) => {
  if (!Number.isFinite(v)) return "-";
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return a >= 100 ? v.toFixed(0) : Number(v.toPrecision(digits)).toString();
};

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean" },
      "no-model": { type: "boolean" },
      datasets: { type: "string" },
      out: { type: "string" },
      "speed-sizes": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const quick = !!values.quick;
  const out = values.out ?? "bench/results";
  const cacheDir = `${out}/tmp`;
  await Deno.mkdir(cacheDir, { recursive: true });
  const names = (values.datasets ?? "toy1,toy2,swirl").split(",").filter(Boolean);
  const reference = await loadReference();
  const ablationRows: AblationRow[] = [];
  for (const name of names) {
    const d = await builtinDataset(name, defaultSize(name, quick), cacheDir);
    const { bounds } = boundsForDataset(
      typeof reference === "string" ? undefined : reference.datasets[name],
    );
    console.error(`ablation ${name} ${d.shape.join("x")} at ${bounds.join(", ")} of the range`);
    const model = values["no-model"] ? null : quick ? { steps: 15, levels: 3 } : { levels: 3 };
    ablationRows.push(...await ablation(d, bounds, model));
  }
  const sizes = (values["speed-sizes"] ?? (quick ? "50,100" : "100,500,2000")).split(",").map(
    Number,
  );
  const speedRows = await speed(sizes, [0.01466, 0.004107], cacheDir);

  const lines: string[] = [];
  lines.push("# mrcae bounded mode: ablation and speed", "");
  lines.push(
    `${
      new Date().toISOString()
    }, Deno ${Deno.version.deno}, ${Deno.build.os} ${Deno.build.arch}, ${navigator.hardwareConcurrency} CPUs, args: \`${
      Deno.args.join(" ") || "(none)"
    }\``,
    "",
    "ratio = raw float32 bytes / file bytes. Every row meets its bound (max abs error <= bound).",
    "",
    "## Ablation",
    "",
    "| dataset | bound (rel.) | variant | bytes | ratio | bytes vs full | max abs err / bound | note |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const r of ablationRows) {
    lines.push(
      `| ${r.dataset} | ${fmt(r.relBound)} | ${r.variant} | ${r.bytes} | ${fmt(r.ratio)} | ${
        fmt(r.vsFull)
      } | ${r.maxAbsError === null ? "-" : fmt(r.maxAbsError / r.bound, 4)} | ${r.note ?? ""} |`,
    );
  }
  lines.push(
    "",
    "## Speed (toy1, 127 x 127, one process, 2 cores)",
    "",
    "Bounded mode trains nothing. code = prediction, quantization and range coding (one fused pass",
    "over all blocks: the entropy coder runs inside it); total = the whole compressTo() (input scan,",
    "coding, report, container) in memory. Decode: the whole snapshot range, best of 5, warm.",
    "",
    "| T | MB | bound (rel.) | ratio | code s | total s | compress MB/s | decode finest MB/s | decode level 0 ms | level 0 speed-up |",
    "|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const r of speedRows) {
    lines.push(
      `| ${r.T} | ${fmt(r.megabytes)} | ${fmt(r.relBound)} | ${fmt(r.ratio)} | ${
        fmt(r.codeSeconds)
      } | ${fmt(r.totalSeconds)} | ${fmt(r.compressMBs)} | ${fmt(r.decodeFinestMBs)} | ${
        fmt(r.decodeLevel0Ms)
      } | ${fmt(r.level0Speedup)}x |`,
    );
  }
  const md = lines.join("\n") + "\n";
  await Deno.writeTextFile(`${out}/bounded.md`, md);
  await Deno.writeTextFile(
    `${out}/bounded.json`,
    JSON.stringify({ ablation: ablationRows, speed: speedRows }, null, 1) + "\n",
  );
  console.log(md);
}
