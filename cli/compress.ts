/**
 * `cli.ts compress INPUT -o OUT.mrc`: train a model on an array and write a `.mrc` file.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { formatBytes, OUTPUT_OPTIONS, parseGroups, parseList, parseNumber } from "./_args.ts";
import { checkOutput, openFile, readInput, writeAtomic } from "./_files.ts";
import { progressReporter } from "./_progress.ts";

/** Help text of the command. */
export const HELP = `Usage: cli.ts compress INPUT -o OUT.mrc [options]

INPUT is a .npy file (float32 or float64, shape (T, H, W) or (H, W)) or raw little-endian
float32 with --shape T,H,W.

Options:
  -o, --output FILE     output .mrc file (required)
  --levels N            number of levels (default 3)
  --tol A,B,C           mask tolerance per level (default 1e-3,5e-4,1e-4)
  --groups "1,1;1,1;2"  channels of each widening group, levels separated by ';'
  --omega W             loss weight of the MSE term (default 0.5)
  --steps N             optimizer steps per stage (default 300)
  --batch N             snapshots per batch (default 32)
  --lr X                Adam learning rate (default 3e-3)
  --backend B           auto|webgpu|wasm|cpu (default auto)
  --seed N              random seed (default 0)
  --block N             snapshots per code block (default 64)
  --quant-budget F      share of each level's error that code quantization may add (default 0.1)
  --fill V              value that marks missing data (NaN always does)
  --shape T,H,W         shape of a raw float32 input
  --force               overwrite OUT
  --quiet               no progress output`;

const BACKENDS = ["auto", "webgpu", "wasm", "cpu"] as const;

/** Runs the command. */
export async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...OUTPUT_OPTIONS,
      levels: { type: "string" },
      tol: { type: "string" },
      groups: { type: "string" },
      omega: { type: "string" },
      steps: { type: "string" },
      batch: { type: "string" },
      lr: { type: "string" },
      backend: { type: "string" },
      seed: { type: "string" },
      block: { type: "string" },
      "quant-budget": { type: "string" },
      fill: { type: "string" },
      shape: { type: "string" },
      quiet: { type: "boolean" },
    },
  });
  if (values.help) return void console.log(HELP);
  if (positionals.length !== 1) throw new Error("compress takes one INPUT file (see --help)");
  const backend = values.backend as typeof BACKENDS[number] | undefined;
  if (backend !== undefined && !BACKENDS.includes(backend)) {
    throw new Error(`--backend must be auto, webgpu, wasm or cpu, found "${backend}"`);
  }
  const options = {
    levels: parseNumber(values.levels, "levels", true),
    tol: parseList(values.tol, "tol"),
    groups: parseGroups(values.groups),
    omega: parseNumber(values.omega, "omega"),
    steps: parseNumber(values.steps, "steps", true),
    batch: parseNumber(values.batch, "batch", true),
    learningRate: parseNumber(values.lr, "lr"),
    backend,
    seed: parseNumber(values.seed, "seed", true),
    blockSize: parseNumber(values.block, "block", true),
    quantBudget: parseNumber(values["quant-budget"], "quant-budget"),
    fillValue: parseNumber(values.fill, "fill"),
  };
  const output = await checkOutput(values.output, values.force);
  const input = await readInput(positionals[0], values.shape);
  const { compressTo } = await import("../src/encode/compress.ts");
  const progress = progressReporter(!!values.quiet);
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error("interrupted"));
  Deno.addSignalListener("SIGINT", onSignal);
  let result: Awaited<ReturnType<typeof compressTo>> | undefined;
  try {
    await writeAtomic(output, async (file) => {
      result = await compressTo(input.data, input.shape, file.writable, {
        ...options,
        signal: controller.signal,
        onProgress: (e) => progress.update(e),
      });
    });
  } finally {
    progress.done();
    Deno.removeSignalListener("SIGINT", onSignal);
  }
  if (values.quiet) return;
  const raw = input.data.length * 4;
  const r = result!;
  console.log(
    `${positionals[0]} -> ${output}: ${formatBytes(r.bytes)} (ratio ${
      (raw / r.bytes).toFixed(1)
    } vs float32), backend ${r.report.backend}, trained in ${r.report.trainSeconds.toFixed(1)} s`,
  );
  for (const e of r.report.levels) {
    console.log(
      `  level ${e.level} ${e.grid[0]}x${e.grid[1]}: rmse ${e.rmse.toExponential(3)}  psnr ${
        e.psnr === null ? "-" : e.psnr.toFixed(2) + " dB"
      }  max ${e.maxAbsError.toExponential(3)}`,
    );
  }
  // Where the bytes went, from the file's own index.
  const kinds: Record<string, number> = {};
  const names: Record<string, string> = {
    DECW: "weights",
    MASK: "masks",
    CODE: "codes",
    NANM: "missing mask",
  };
  for (const c of (await openFile(output)).chunks) {
    const kind = names[c.type] ?? "header+report";
    kinds[kind] = (kinds[kind] ?? 0) + c.length;
  }
  kinds["signature+index+trailer"] = r.bytes - Object.values(kinds).reduce((a, b) => a + b, 0);
  console.log(
    `  bytes: ${Object.entries(kinds).map(([k, v]) => `${k} ${formatBytes(v)}`).join(", ")}`,
  );
}
