/**
 * `deno task demo`: the paper's first toy problem, compressed, decoded at every level, with a
 * table of sizes and errors and preview PNGs.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { toyOscillatory } from "../src/io/toy.ts";
import { compressTo, type TrainProgress } from "../src/encode/compress.ts";
import { openMrc } from "../src/read/open.ts";
import { levelMetrics } from "../src/read/metrics.ts";
import { renderPreview } from "../src/io/preview.ts";

/** Help text of the command. */
export const HELP = `Usage: cli.ts demo [--out DIR] [--snapshot-count T] [--rel-error-bound R]
                   [--coding model [--steps N] [--backend B]]

Generates the paper's first toy problem (two oscillatory modes, 127 x 127, T = 500 snapshots),
compresses it (bounded coding, default bound 1e-3 of the range; --coding model trains MrCAE
instead, --steps and --backend setting its training), decodes every level, checks the bound and
prints a table; writes demo.mrc and preview PNGs to DIR (default ./out).`;

/** Runs the command. */
export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: "string" },
      steps: { type: "string" },
      "snapshot-count": { type: "string" },
      snapshots: { type: "string" },
      backend: { type: "string" },
      coding: { type: "string" },
      mode: { type: "string" },
      "rel-error-bound": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return void console.log(HELP);
  const out = values.out ?? "out";
  if (values.snapshots !== undefined) {
    throw new Error("--snapshots is now --snapshot-count (a count; --snapshots A:B is a range)");
  }
  if (values.mode !== undefined) throw new Error("--mode is now --coding (bounded or model)");
  const count = values["snapshot-count"];
  const snapshotCount = count ? Number(count) : 500;
  const steps = values.steps ? Number(values.steps) : undefined;
  if (!Number.isInteger(snapshotCount) || snapshotCount < 1) {
    throw new Error(`--snapshot-count must be a positive integer, found "${count}"`);
  }
  if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) {
    throw new Error(`--steps must be a positive integer, found "${values.steps}"`);
  }
  const coding = values.coding ?? "bounded";
  if (coding !== "bounded" && coding !== "model") {
    throw new Error(`--coding must be bounded or model, found "${values.coding}"`);
  }
  if (coding === "bounded" && (values.steps !== undefined || values.backend !== undefined)) {
    throw new Error(`--${values.steps !== undefined ? "steps" : "backend"} needs --coding model`);
  }
  if (coding === "model" && values["rel-error-bound"] !== undefined) {
    throw new Error("--rel-error-bound is a bounded-coding option (model coding has no bound)");
  }
  const rel = values["rel-error-bound"] ? Number(values["rel-error-bound"]) : undefined;
  if (rel !== undefined && !(rel > 0 && rel < 1)) {
    throw new Error(`--rel-error-bound must be in (0, 1), found "${values["rel-error-bound"]}"`);
  }
  await Deno.mkdir(out, { recursive: true });

  const { data, shape } = toyOscillatory({ snapshotCount });
  const raw = data.length * 4;
  console.log(
    `toy problem 1 (two oscillatory modes): ${shape.join(" x ")} float32, ${
      (raw / 1048576).toFixed(1)
    } MiB`,
  );
  const parts: Uint8Array[] = [];
  const t0 = performance.now();
  let lastLine = 0;
  const onProgress = (e: TrainProgress) => {
    if (e.elapsed - lastLine >= 10 || e.step === e.steps) {
      lastLine = e.elapsed;
      console.error(
        `  training: level ${e.level} stage ${e.stage} ${e.op} step ${e.step}/${e.steps} loss ${
          e.loss.toExponential(2)
        } (${e.elapsed.toFixed(0)} s)`,
      );
    }
  };
  const backend = values.backend as "auto" | "webgpu" | "wasm" | "cpu" | undefined;
  const { report, bytes } = await compressTo(
    data,
    shape,
    { write: (b) => void parts.push(b.slice()) },
    coding === "bounded" ? { relErrorBound: rel } : { coding: "model", steps, backend, onProgress },
  );
  const compressSeconds = (performance.now() - t0) / 1000;
  const file = new Uint8Array(bytes);
  let at = 0;
  for (const p of parts) file.set(p, (at += p.length) - p.length);
  await Deno.writeFile(`${out}/demo.mrc`, file);
  const bound = report.mode === "bounded" ? report.bound.abs : null;
  console.log(
    `compressed in ${compressSeconds.toFixed(1)} s (${
      report.mode === "bounded"
        ? `bounded, bound ${bound} = ${Number(report.bound.rel!.toPrecision(3))} of the range`
        : `training ${report.trainSeconds.toFixed(1)} s on ${report.backend}`
    }): ${bytes} bytes, ratio ${(raw / bytes).toFixed(1)}`,
  );

  // No coder cache: each level's time is that of decoding it from its bytes, levels 0..k.
  const mrc = await openMrc(file, { cacheBytes: 0 });
  const header = bytes -
    mrc.chunks.filter((c) => c.level !== null).reduce((a, c) => a + c.length, 0);
  const rows: string[] = [];
  rows.push("| level | grid | bytes to decode | ratio | PSNR (dB) | max abs error | decode s |");
  rows.push("|---|---|---|---|---|---|---|");
  let cumulative = header;
  let held = true;
  for (const info of mrc.levels) {
    cumulative += info.bytes.total;
    const t = performance.now();
    const decoded = await mrc.decode({ level: info.level });
    const seconds = (performance.now() - t) / 1000;
    const m = levelMetrics(decoded, data, shape);
    const levelRaw = decoded.data.length * 4;
    if (bound !== null && !(m.maxAbsError <= bound)) held = false;
    rows.push(
      `| ${info.level} | ${decoded.shape[1]}x${decoded.shape[2]} | ${cumulative} | ${
        (levelRaw / cumulative).toFixed(1)
      } | ${m.psnr === null ? "-" : m.psnr.toFixed(2)} | ${m.maxAbsError.toExponential(2)} | ${
        seconds.toFixed(3)
      } |`,
    );
  }
  console.log(rows.join("\n"));
  console.log(
    "(ratio = float32 bytes of the level's output / bytes needed to decode it; errors against the original sampled on the level's grid)",
  );
  if (bound !== null) {
    console.log(
      `bound ${bound} ${held ? "holds on every value of every level" : "VIOLATED"}`,
    );
    if (!held) throw new Error("the decoded levels exceed the bound");
  }
  for (const snapshot of [0, Math.floor(snapshotCount / 2)]) {
    const png = await renderPreview(mrc, snapshot);
    await Deno.writeFile(`${out}/demo-snapshot${snapshot}.png`, png);
  }
  console.log(`wrote ${out}/demo.mrc and ${out}/demo-snapshot*.png`);
}
