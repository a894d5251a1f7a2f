/**
 * The `mrcae` command line: `deno run cli.ts <command> [options]`.
 *
 * Commands load their modules lazily, so `info` and `decompress` never load
 * TensorFlow.js.
 *
 * @module
 */

import { parseArgs } from "node:util";

const USAGE =
  `mrcae: multiresolution convolutional autoencoder compression for T x H x W float arrays

Usage: deno run -A cli.ts <command> [options]

Commands:
  compress INPUT -o OUT.mrc     train a model on INPUT (.npy or raw float32) and write a .mrc file
  decompress IN.mrc -o OUT.npy  decode one level (default: finest) for a range of frames
  info IN.mrc                   summary: shape, levels, bytes, errors; verifies every checksum
  preview IN.mrc -o OUT.png     every level side by side and the mask heat maps, as one PNG
  demo                          compress the paper's toy problem, decode every level, print a table

Run 'deno run -A cli.ts <command> --help' for a command's options.`;

const HELP: Record<string, string> = {
  compress: `Usage: cli.ts compress INPUT -o OUT.mrc [options]

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
  --lr X                Adam learning rate (default 1e-3)
  --backend B           auto|webgpu|wasm|cpu (default auto)
  --seed N              random seed (default 0)
  --block N             snapshots per code block (default 64)
  --quant-budget F      share of each level's error that code quantization may add (default 0.1)
  --fill V              value that marks missing data (NaN always does)
  --shape T,H,W         shape of a raw float32 input
  --force               overwrite OUT
  --quiet               no progress output`,
  decompress: `Usage: cli.ts decompress IN.mrc -o OUT.npy [options]

Options:
  -o, --output FILE     output .npy file (required)
  --level K             level to decode, 0 = coarsest (default: finest)
  --frames A:B          snapshot range [A, B) (default: all)
  --force               overwrite OUT`,
  info: `Usage: cli.ts info IN.mrc [--json]

Prints shape, levels (grid, bytes, errors), bytes per chunk kind and mask coverage, after
verifying every chunk's checksum. Exits 1 if the file is corrupt.

Options:
  --json                print JSON instead of text`,
  preview: `Usage: cli.ts preview IN.mrc -o OUT.png [--frame T] [--force]

Writes one PNG: the frame at every level side by side (top row) and the mask heat maps of
each level (bottom row: how many widening groups cover each latent position).`,
  demo: `Usage: cli.ts demo [--out DIR] [--steps N] [--frames T] [--backend B]

Generates the paper's first toy problem (two oscillatory modes, 127 x 127, 500 snapshots),
compresses it, decodes every level and prints a table; writes demo.mrc and preview PNGs to DIR
(default ./out).`,
};

/** Prints `error: ...` and exits 1. The one place the CLI exits on failure. */
function fail(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`error: ${message.split("\n")[0]}`);
  Deno.exit(1);
}

function parseList(value: string | undefined, what: string): number[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(",").map((v) => Number(v.trim()));
  if (list.some((v) => !Number.isFinite(v))) {
    throw new Error(`--${what} must be a comma-separated list of numbers, found "${value}"`);
  }
  return list;
}

function parseNumber(value: string | undefined, what: string, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new Error(`--${what} must be ${integer ? "an integer" : "a number"}, found "${value}"`);
  }
  return v;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function checkOutput(path: string | undefined, force: boolean | undefined): Promise<string> {
  if (!path) throw new Error("missing output file: pass -o FILE");
  if (!force && await exists(path)) throw new Error(`${path} exists: pass --force to overwrite it`);
  return path;
}

/** Writes through a temporary file in the same directory and renames it, so no half-written output is left. */
async function writeAtomic(
  path: string,
  write: (file: Deno.FsFile) => Promise<void>,
): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(tmp, { write: true, createNew: true });
  } catch (e) {
    throw new Error(`cannot write ${path}: ${e instanceof Error ? e.message : e}`);
  }
  try {
    await write(file);
    try {
      file.close();
    } catch { /* closed by a stream */ }
    await Deno.rename(tmp, path);
  } catch (e) {
    try {
      file.close();
    } catch { /* already closed */ }
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

async function readInput(
  path: string,
  shapeArg?: string,
): Promise<{ data: Float32Array | Float64Array; shape: number[] }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`${path}: no such file`);
    throw new Error(`cannot read ${path}: ${e instanceof Error ? e.message : e}`);
  }
  const { hasNpySignature, parseNpy } = await import("./src/io/npy.ts");
  if (hasNpySignature(bytes)) {
    const npy = parseNpy(bytes);
    if (npy.shape.length !== 2 && npy.shape.length !== 3) {
      throw new Error(
        `${path}: expected shape (T, H, W) or (H, W), found (${npy.shape.join(", ")})`,
      );
    }
    return { data: npy.data, shape: npy.shape };
  }
  if (!shapeArg) {
    throw new Error(
      `${path} is not a .npy file: pass --shape T,H,W to read raw little-endian float32`,
    );
  }
  const shape = parseList(shapeArg, "shape")!;
  if (shape.length < 2 || shape.length > 3 || !shape.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`--shape must be T,H,W or H,W with positive integers, found "${shapeArg}"`);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== n * 4) {
    throw new Error(
      `${path} has ${bytes.length} bytes, but shape ${shape.join("x")} of float32 needs ${n * 4}`,
    );
  }
  const data = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) data[i] = view.getFloat32(4 * i, true);
  return { data, shape };
}

/** A progress line on stderr: a bar when stderr is a terminal, plain lines (every few seconds) otherwise. */
function progressReporter(
  quiet: boolean,
): {
  update(
    e: {
      level: number;
      stage: number;
      op: string;
      step: number;
      steps: number;
      loss: number;
      elapsed: number;
    },
  ): void;
  done(): void;
} {
  if (quiet) return { update() {}, done() {} };
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  let lastPlain = -Infinity;
  let lastStage = -1;
  return {
    update(e) {
      const frac = e.steps > 0 ? e.step / e.steps : 1;
      const label = `level ${e.level} stage ${e.stage} ${e.op.padEnd(6)} step ${
        String(e.step).padStart(5)
      }/${e.steps} loss ${e.loss.toExponential(3)} ${e.elapsed.toFixed(1)}s`;
      if (tty) {
        const width = 24, fill = Math.round(frac * width);
        Deno.stderr.writeSync(
          enc.encode(`\r[${"#".repeat(fill)}${"-".repeat(width - fill)}] ${label}\x1b[K`),
        );
      } else if (e.stage !== lastStage || e.elapsed - lastPlain >= 5 || e.step === e.steps) {
        lastPlain = e.elapsed;
        lastStage = e.stage;
        console.error(label);
      }
    },
    done() {
      if (tty) Deno.stderr.writeSync(enc.encode("\n"));
    },
  };
}

function parseGroups(value: string | undefined): number[][] | undefined {
  if (value === undefined) return undefined;
  return value.split(";").map((level) =>
    level.trim() === "" ? [] : level.split(",").map((v) => {
      const n = Number(v.trim());
      if (!Number.isInteger(n) || n < 1) {
        throw new Error(`--groups must be like "1,1;1,1;2,2", found "${value}"`);
      }
      return n;
    })
  );
}

async function commandCompress(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      output: { type: "string", short: "o" },
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
      force: { type: "boolean" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return void console.log(HELP.compress);
  if (positionals.length !== 1) throw new Error("compress takes one INPUT file (see --help)");
  const backend = values.backend;
  if (backend !== undefined && !["auto", "webgpu", "wasm", "cpu"].includes(backend)) {
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
    backend: backend as "auto" | "webgpu" | "wasm" | "cpu" | undefined,
    seed: parseNumber(values.seed, "seed", true),
    blockSize: parseNumber(values.block, "block", true),
    quantBudget: parseNumber(values["quant-budget"], "quant-budget"),
    fillValue: parseNumber(values.fill, "fill"),
  };
  const output = await checkOutput(values.output, values.force);
  const input = await readInput(positionals[0], values.shape);
  const { compressTo } = await import("./src/encode/compress.ts");
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
  if (!values.quiet) {
    const raw = input.data.length * 4;
    const r = result!;
    console.log(
      `${positionals[0]} -> ${output}: ${fmtBytes(r.bytes)} (ratio ${
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
    for (const c of (await openFile(output)).chunks) {
      const kind =
        { DECW: "weights", MASK: "masks", CODE: "codes", NANM: "missing mask" }[c.type] ??
          "header+report";
      kinds[kind] = (kinds[kind] ?? 0) + c.length;
    }
    const index = r.bytes - Object.values(kinds).reduce((a, b) => a + b, 0);
    kinds["signature+index+trailer"] = index;
    console.log(
      `  bytes: ${Object.entries(kinds).map(([k, v]) => `${k} ${fmtBytes(v)}`).join(", ")}`,
    );
  }
}

function fmtBytes(n: number): string {
  return n < 1024
    ? `${n} B`
    : n < 1048576
    ? `${(n / 1024).toFixed(1)} KiB`
    : `${(n / 1048576).toFixed(2)} MiB`;
}

function parseFrames(value: string | undefined): [number, number] | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d*):(\d*)$/.exec(value);
  if (!m) throw new Error(`--frames must be A:B, found "${value}"`);
  return [m[1] === "" ? 0 : Number(m[1]), m[2] === "" ? Infinity : Number(m[2])];
}

async function openFile(path: string) {
  const { openMrc } = await import("./src/read/mrc_file.ts");
  try {
    await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`${path}: no such file`);
    throw e;
  }
  try {
    return await openMrc(path);
  } catch (e) {
    throw new Error(`${path}: ${e instanceof Error ? e.message : e}`);
  }
}

async function commandDecompress(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      output: { type: "string", short: "o" },
      level: { type: "string" },
      frames: { type: "string" },
      force: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return void console.log(HELP.decompress);
  if (positionals.length !== 1) throw new Error("decompress takes one IN.mrc file (see --help)");
  const output = await checkOutput(values.output, values.force);
  const file = await openFile(positionals[0]);
  const frames = parseFrames(values.frames);
  if (frames && frames[1] === Infinity) frames[1] = file.header.shape[0];
  const level = parseNumber(values.level, "level", true);
  let decoded;
  try {
    decoded = await file.decode({ level, frames });
  } catch (e) {
    throw new Error(`${positionals[0]}: ${e instanceof Error ? e.message : e}`);
  }
  const { encodeNpy } = await import("./src/io/npy.ts");
  const data = file.header.dtype === "float64" ? Float64Array.from(decoded.data) : decoded.data;
  // A 2-D input comes back 2-D (its report records the shape it was given).
  const flat = file.report?.inputShape?.length === 2 && decoded.shape[0] === 1;
  const shape = flat ? decoded.shape.slice(1) : decoded.shape;
  await writeAtomic(output, async (f) => {
    const bytes = encodeNpy(data, shape);
    let off = 0;
    while (off < bytes.length) off += await f.write(bytes.subarray(off));
  });
  console.log(
    `${positionals[0]} -> ${output}: level ${decoded.level}, shape (${
      shape.join(", ")
    }), ${file.header.dtype}`,
  );
}

async function commandInfo(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) return void console.log(HELP.info);
  if (positionals.length !== 1) throw new Error("info takes one IN.mrc file (see --help)");
  const file = await openFile(positionals[0]);
  try {
    await file.verify();
  } catch (e) {
    throw new Error(`${positionals[0]}: ${e instanceof Error ? e.message : e}`);
  }
  const h = file.header;
  const levels = file.levels;
  const coverage: number[][] = [];
  for (let k = 0; k < levels.length; k++) {
    const masks = await file.masks(k);
    coverage.push(masks.map((m) => m.reduce((a, b) => a + (b ? 1 : 0), 0) / Math.max(1, m.length)));
  }
  const kinds: Record<string, number> = {};
  for (const c of file.chunks) kinds[c.type] = (kinds[c.type] ?? 0) + c.length;
  const raw = h.shape[0] * h.shape[1] * h.shape[2] * 4;
  const summary = {
    file: positionals[0],
    shape: h.shape,
    dtype: h.dtype,
    grid: h.grid,
    crop: h.crop,
    totalBytes: file.totalBytes,
    ratio: raw / file.totalBytes,
    missing: h.missing,
    backend: file.report?.backend ?? null,
    trainSeconds: file.report?.trainSeconds ?? null,
    levels: levels.map((l, k) => ({
      level: l.level,
      grid: l.grid,
      storedGrid: l.storedGrid,
      groups: l.groups,
      bytes: l.bytes.total,
      bytesByKind: { weights: l.bytes.weights, masks: l.bytes.masks, codes: l.bytes.codes },
      rmse: l.rmse,
      psnr: l.psnr,
      maxAbsError: l.maxAbsError,
      maskCoverage: coverage[k],
    })),
    bytesByKind: kinds,
    chunks: file.chunks.map((c) => ({
      type: c.type,
      level: c.level,
      block: c.block,
      offset: c.offset,
      length: c.length,
    })),
  };
  if (values.json) return void console.log(JSON.stringify(summary, null, 2));
  console.log(
    `${positionals[0]}: ${fmtBytes(file.totalBytes)}, all ${file.chunks.length} chunks verified`,
  );
  console.log(
    `  shape ${h.shape.join(" x ")} (${h.dtype}), stored grid ${h.grid.join("x")}, ratio ${
      summary.ratio.toFixed(1)
    } vs float32`,
  );
  if (h.missing.mode !== "none") {
    console.log(`  missing values: ${h.missing.count} (${h.missing.mode})`);
  }
  if (file.report) {
    console.log(
      `  trained on ${file.report.backend} in ${
        file.report.trainSeconds.toFixed(1)
      } s, seed ${file.report.seed}`,
    );
  }
  console.log(
    "  level  grid      bytes      rmse        psnr      max abs     mask coverage per group",
  );
  for (const l of summary.levels) {
    console.log(
      `  ${String(l.level).padEnd(5)}  ${`${l.grid[0]}x${l.grid[1]}`.padEnd(8)}  ${
        fmtBytes(l.bytes).padEnd(9)
      }  ${l.rmse === null ? "-".padEnd(10) : l.rmse.toExponential(3)}  ${
        l.psnr === null ? "-".padEnd(8) : (l.psnr.toFixed(2) + " dB").padEnd(8)
      }  ${l.maxAbsError === null ? "-".padEnd(10) : l.maxAbsError.toExponential(3)}  ${
        l.maskCoverage.map((c, i) => `g${i} ${(100 * c).toFixed(1)}% (${l.groups[i]}ch)`).join(", ")
      }`,
    );
  }
  console.log(
    `  bytes by kind: ${Object.entries(kinds).map(([k, v]) => `${k} ${fmtBytes(v)}`).join(", ")}`,
  );
}

async function commandPreview(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      output: { type: "string", short: "o" },
      frame: { type: "string" },
      force: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return void console.log(HELP.preview);
  if (positionals.length !== 1) throw new Error("preview takes one IN.mrc file (see --help)");
  const output = await checkOutput(values.output, values.force);
  const file = await openFile(positionals[0]);
  const frame = parseNumber(values.frame, "frame", true) ?? 0;
  const { renderPreview } = await import("./src/io/preview.ts");
  let png: Uint8Array;
  try {
    png = await renderPreview(file, frame);
  } catch (e) {
    throw new Error(`${positionals[0]}: ${e instanceof Error ? e.message : e}`);
  }
  await writeAtomic(output, async (f) => {
    let off = 0;
    while (off < png.length) off += await f.write(png.subarray(off));
  });
  console.log(`${positionals[0]} -> ${output}: frame ${frame}, ${file.levelCount} levels`);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return;
  }
  switch (command) {
    case "compress":
      return await commandCompress(rest);
    case "decompress":
      return await commandDecompress(rest);
    case "info":
      return await commandInfo(rest);
    case "preview":
      return await commandPreview(rest);
    case "demo": {
      const { runDemo } = await import("./cli/demo.ts");
      return await runDemo(rest, HELP.demo);
    }
    default:
      throw new Error(`unknown command "${command}" (see --help)`);
  }
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    fail(e);
  }
}
