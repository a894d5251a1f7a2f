/**
 * `cli.ts compress INPUT -o OUT.mrc`: compress an array into a `.mrc` file, error-bounded by
 * default (bounded coding), or by training an MrCAE model (`--coding model`).
 *
 * @module
 */

import {
  formatBytes,
  OUTPUT_OPTIONS,
  outputFormat,
  parseCommand,
  parseGroups,
  parseList,
  parseNumber,
} from "./_args.ts";
import { type ChunkCategory, chunkCategory } from "../format/chunks.ts";
import { checkInputFile, checkOutput, openFile, readInput, writeAtomic } from "./_files.ts";
import { type ProgressReporter, progressReporter } from "./_progress.ts";
import type { CompressOptions } from "../src/encode/options.ts";
import { type Predictor, PREDICTORS } from "../src/bounded/learned.ts";
import type { CodingProgress } from "../src/encode/bounded.ts";
import type { TrainProgress } from "../src/train/types.ts";
import type { ModelReport } from "../src/encode/report.ts";
import type { MrcAttributes } from "../format/attributes.ts";
import type { NetcdfVariableReader } from "../src/io/netcdf/mod.ts";
import { countMissing, fillInPrecision, validExtent } from "../src/metrics.ts";
import { compressCollection, parseNamedBounds } from "./_collection.ts";

/** Help text of the command. */
export const HELP = `Usage: cli.ts compress INPUT -o OUT.mrc [options]

INPUT is a .npy file (float32 or float64, shape (T, H, W) or (H, W)) or raw little-endian
float32 with --shape T,H,W, or a netCDF file (classic, 64-bit offset or netCDF-4) with
--var NAME, --var A,B or --all; without them, the compressible variables are listed (as
'ls INPUT' lists them).
OUT must end in .mrc.

With bounded coding (the default), every level of every snapshot is decoded within a maximum
absolute error of the original (the bound). Without a bound option the bound is 1e-3 of the
data's range (about 65 dB).

Options:
  -o, --output FILE     output .mrc file (required)
  --coding C            bounded|model (default bounded; model: see below)
  --error-bound E       maximum absolute error, in the data's units; NAME=E,NAME=E: per
                        variable of a collection (the others: the default bound)
  --rel-error-bound R   maximum absolute error as a fraction of the data's range (default
                        1e-3); NAME=R,NAME=R: per variable of a collection
  --psnr DB             the largest bound whose finest level reaches DB dB (checked by coding)
  --levels N            number of levels (default as many as keep 3 rows on level 0, at most
                        8; model coding: default 3)
  --key-interval K      snapshots between keyframes, a power of two; 1 = no time prediction
                        (default 32)
  --threads N           threads that code blocks in parallel, or the two halves of a
                        single block (default: all cores from 8 Mi values up, 1.5 Mi for
                        one block, else 1); the file is the same whatever N
  --format-version V    the format to write, 1.2 to 1.7 (default 1.7): for readers of an
                        older release, which refuse a newer file; the values are the same,
                        the metadata and mask larger (learned prediction, shards: 1.3 or later,
                        collections 1.4); info shows a file's version
  --predictor P         spatial prediction of the finer levels: cubic or linear (fixed
                        interpolation), auto (per level and block: linear, cubic or learned
                        filters fitted on the data, kept only where smaller; codes each block
                        twice; format 1.3) or learned (filters everywhere) (default cubic)
  --interpolation I     cubic|linear: the same as --predictor cubic|linear
  --block N             snapshots per block, the unit of random access (default about 4 Mi
                        values per block; model coding: 64)
  --fill V              value that marks missing data, compared in the input's precision
                        (float32: the float32 nearest V); NaN is then a value, kept bit for
                        bit (bounded coding); without --fill NaN marks missing data
  --shape T,H,W         shape of a raw float32 input
  --var NAME            the netCDF variable to compress (a time dimension that is not first
                        is moved first); in a netCDF-4 group, its path (forecast/t2m) or its
                        name alone; its units, dimensions, coordinates and attributes are
                        stored in the file. A 4-D variable is stored whole, one part per index
                        of its layer dimension (the one that is neither time nor the grid,
                        e.g. level), unless --select fixes that dimension to one index
  --var A,B / --all     several variables (--all: every compressible one) in one file, a
                        collection (format 1.4): each with its own bound (relative bounds are
                        relative to each variable's own range), each read back on its own
  --select D=X,D=A:B    fix netCDF dimension D to X, or keep A to B (with several variables,
                        of each that has D): an index (level=0; #3 is always the index 3), a coordinate value
                        (plev=85000 where no index is 85000, plev=850.0), an ISO date on a CF
                        time axis (time=1990-01-15, time=1990-01); A:B is [A, B) for indices
                        (time=0:1000), both ends included for values and dates
                        (time=1990-01:1990-12)
  --stream              read the input a block of snapshots at a time (memory: a few blocks,
                        whatever the input's size; the same file); the default for inputs
                        above 1 GiB; not with --psnr
  --snapshots A:B       write a shard: snapshots A..B-1 only (A a multiple of the block size),
                        a file of its own that 'merge' joins with the others into the whole;
                        needs --error-bound, or --rel-error-bound with --range
  --shard I/N           write shard I (0..N-1) of N, blocks split evenly (as --snapshots)
  --range MIN,MAX       with --rel-error-bound: the range the bound is relative to (a shard
                        needs the whole's); without it a streamed input is read twice
  --force               overwrite OUT (never the input)
  --quiet               no progress on stderr and no summary on stdout (progress shows for a
                        phase longer than a second: a bar on a terminal, else plain lines)
  --reproducible        leave the date and timings out of the file's report, so that the same
                        input and options give the same bytes (default off; with model coding
                        it also makes --time-budget default to 0)

Ctrl-C (SIGINT), SIGTERM and SIGHUP stop it within a second, exit 128 + the signal's number,
nothing written.

Model coding (--coding model): the MrCAE network alone, quality set by tolerances, no bound (a
level that stops short of its tolerance is warned about on stderr); --error-bound,
--rel-error-bound, --psnr, --key-interval, --predictor, --interpolation, --threads and
--format-version do not apply.
Its options (refused without --coding model):
  --tol A,B,C           mask tolerance per level (default 1e-3,5e-4,1e-4)
  --groups "1,1;1,1;2"  channels of each widening group, levels separated by ';'
  --omega W             loss weight of the MSE term (default 0.5)
  --steps N             optimizer steps per stage (default 300)
  --time-budget S       seconds for the whole training, 0 = none (default 60)
  --batch N             snapshots per batch (default 32)
  --lr X                Adam learning rate (default 3e-3)
  --backend B           auto|webgpu|wasm|cpu (default auto)
  --seed N              random seed (default 0)
  --quant-budget F      share of each level's error that code quantization may add (default 0.1)`;

const BACKENDS = ["auto", "webgpu", "wasm", "cpu"] as const;
/** Flags of one coding only, refused with the other. */
const BOUNDED_FLAGS = [
  "error-bound",
  "rel-error-bound",
  "psnr",
  "key-interval",
  "interpolation",
  "predictor",
  "threads",
  "format-version",
];
const MODEL_FLAGS = [
  "tol",
  "groups",
  "omega",
  "steps",
  "time-budget",
  "batch",
  "lr",
  "backend",
  "seed",
  "quant-budget",
];

/**
 * Warns (one line on stderr) when `--fill` matches no value of the input, compared as the
 * compressor compares it (in the data's precision): then nothing is missing, and a NaN, if any, is
 * kept as a value.
 */
function warnUnmatchedFill(path: string, data: Float32Array | Float64Array, fill: number): void {
  const held = fillInPrecision(fill, data);
  if (countMissing(data, held) > 0) return;
  const as = held === fill
    ? ""
    : ` (as ${data instanceof Float32Array ? "float32" : "float64"}: ${held})`;
  console.error(`warning: --fill ${fill}${as} matches no value of ${path}: no value is missing`);
}

/** Signals that stop the command cleanly (where the platform has them), with their numbers. */
const SIGNAL_NUMBERS: Partial<Record<Deno.Signal, number>> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
const INTERRUPTS: Deno.Signal[] = Deno.build.os === "windows"
  ? ["SIGINT"]
  : ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Reads INPUT: a netCDF variable (`variable`, opened by {@linkcode openInputVariable}; a netCDF
 * file without `--var` has its variables listed on stdout and an error asks for one), or a
 * `.npy`/raw float32 file (with `shared`, into a `SharedArrayBuffer`). Says on stderr when a
 * variable was transposed to put time first.
 */
async function readCompressInput(
  path: string,
  values: { var?: string; shape?: string },
  variable: NetcdfVariableReader | null,
  progress: ProgressReporter,
  signal: AbortSignal,
  shared: boolean,
): Promise<{ data: Float32Array | Float64Array; shape: number[]; attributes?: MrcAttributes }> {
  if (variable === null) {
    const { isNetcdf } = await import("./_netcdf.ts");
    if (await isNetcdf(path)) {
      const { printVariables } = await import("./ls.ts");
      await printVariables(path);
      throw new Error(`${path} is a netCDF file: pass --var NAME to choose a variable`);
    }
    progress.phase(`reading ${path}`);
    const input = await readInput(path, values.shape, shared);
    progress.end();
    return input;
  }
  // The phase starts with the first slab: opening the file (and loading h5wasm) is not reading.
  let reading = false;
  const field = await variable.read({
    signal,
    onProgress: (done) => {
      if (!reading) progress.phase(`reading ${path}`);
      reading = true;
      progress.update(done);
    },
  });
  progress.end();
  if (field.transposed) noteTransposed(path, values.var!, field.transposed);
  return field;
}

/** The note (stderr) that time was moved first. */
function noteTransposed(
  path: string,
  name: string,
  { from, to }: { from: string[]; to: string[] },
) {
  console.error(
    `note: ${path}: "${name}" has dimensions (${from.join(", ")}): time ("${
      to[0]
    }") is moved first and coded as (${
      to.join(", ")
    }); decompress -o x.nc writes the source's order back`,
  );
}

/**
 * Warns (stderr) for each level of a model-coded file whose error stayed above its tolerance
 * (`tol`, a mean squared error as a fraction of the range squared), with the largest error
 * against the data's range and why training stopped: model coding has no bound.
 */
function warnShortOfTolerance(
  report: ModelReport,
  data: Float32Array | Float64Array,
  fill: number | undefined,
): void {
  const extent = validExtent(data, fill);
  const range = extent ? extent.max - extent.min : 0;
  if (!(range > 0)) return;
  const tol = report.training.options.tol;
  const stops = new Set(report.training.stages.map((s) => s.stop));
  const why = stops.has("time")
    ? "training stopped on its time budget (raise --time-budget)"
    : stops.has("budget")
    ? "training stopped on its step budget (raise --steps)"
    : "training converged";
  for (const l of report.levels) {
    const t = tol[l.level];
    if (t === undefined) continue;
    const mse = (l.rmse / range) ** 2;
    if (mse <= t) continue;
    console.error(
      `warning: level ${l.level} stopped short of its tolerance: mean squared error ${
        mse.toPrecision(3)
      } of the range squared, tolerance ${t}; max error ${l.maxAbsError} on a range of ${range}${
        l.maxAbsError > range ? " (above the range)" : ""
      }; ${why}, or use bounded coding (the default), which keeps every level within a bound`,
    );
  }
}

/** Runs the command. */
export async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseCommand({
    args,
    allowPositionals: true,
    options: {
      ...OUTPUT_OPTIONS,
      reproducible: { type: "boolean" },
      coding: { type: "string" },
      mode: { type: "string" },
      "error-bound": { type: "string" },
      "rel-error-bound": { type: "string" },
      psnr: { type: "string" },
      "key-interval": { type: "string" },
      threads: { type: "string" },
      "format-version": { type: "string" },
      interpolation: { type: "string" },
      predictor: { type: "string" },
      levels: { type: "string" },
      tol: { type: "string" },
      groups: { type: "string" },
      omega: { type: "string" },
      steps: { type: "string" },
      "time-budget": { type: "string" },
      batch: { type: "string" },
      lr: { type: "string" },
      backend: { type: "string" },
      seed: { type: "string" },
      block: { type: "string" },
      "quant-budget": { type: "string" },
      fill: { type: "string" },
      shape: { type: "string" },
      var: { type: "string" },
      all: { type: "boolean" },
      select: { type: "string" },
      quiet: { type: "boolean" },
      stream: { type: "boolean" },
      snapshots: { type: "string" },
      shard: { type: "string" },
      range: { type: "string" },
    },
  });
  if (values.help) return void console.log(HELP);
  const blockwise = values.stream || values.snapshots !== undefined ||
    values.shard !== undefined || values.range !== undefined || positionals.length > 1;
  if (positionals.length !== 1 && !(blockwise && positionals.length > 1)) {
    throw new Error("compress takes one INPUT file (see --help)");
  }
  const backend = values.backend as typeof BACKENDS[number] | undefined;
  if (backend !== undefined && !BACKENDS.includes(backend)) {
    throw new Error(`--backend must be auto, webgpu, wasm or cpu, found "${backend}"`);
  }
  if (values.mode !== undefined) throw new Error("--mode is now --coding (bounded or model)");
  const coding = values.coding ?? "bounded";
  if (coding !== "bounded" && coding !== "model") {
    throw new Error(`--coding must be bounded or model, found "${coding}"`);
  }
  const interpolation = values.interpolation;
  if (interpolation !== undefined && interpolation !== "cubic" && interpolation !== "linear") {
    throw new Error(`--interpolation must be cubic or linear, found "${interpolation}"`);
  }
  const predictor = values.predictor;
  if (predictor !== undefined && !PREDICTORS.includes(predictor as Predictor)) {
    throw new Error(`--predictor must be ${PREDICTORS.join(", ")}, found "${predictor}"`);
  }
  if (interpolation !== undefined && predictor !== undefined && interpolation !== predictor) {
    throw new Error(`--interpolation ${interpolation} contradicts --predictor ${predictor}`);
  }
  const bounds = ["error-bound", "rel-error-bound", "psnr"].filter((k) =>
    values[k as keyof typeof values] !== undefined
  );
  if (bounds.length > 1) throw new Error(`give one of --${bounds.join(", --")}`);
  const given = (flags: readonly string[]) =>
    flags.filter((k) => values[k as keyof typeof values] !== undefined);
  const misplaced = coding === "model" ? given(BOUNDED_FLAGS) : given(MODEL_FLAGS);
  if (misplaced.length > 0) {
    throw new Error(
      coding === "model"
        ? `--${misplaced[0]} is a bounded-coding option (model coding has no bound)`
        : `--${misplaced[0]} is a model-coding option (add --coding model)`,
    );
  }
  // `--error-bound u=0.5,t=0.1`: a bound per variable of a collection.
  const named = parseNamedBounds(values["error-bound"], "error-bound");
  const namedRel = parseNamedBounds(values["rel-error-bound"], "rel-error-bound");
  const namedBounds = named
    ? { flag: "errorBound" as const, named }
    : namedRel
    ? { flag: "relErrorBound" as const, named: namedRel }
    : null;
  const shared = {
    levels: parseNumber(values.levels, "levels", true),
    blockSize: parseNumber(values.block, "block", true),
    fillValue: parseNumber(values.fill, "fill"),
    reproducible: values.reproducible,
  };
  const options: CompressOptions = coding === "bounded"
    ? {
      ...shared,
      errorBound: named ? undefined : parseNumber(values["error-bound"], "error-bound"),
      relErrorBound: namedRel
        ? undefined
        : parseNumber(values["rel-error-bound"], "rel-error-bound"),
      psnr: parseNumber(values.psnr, "psnr"),
      keyInterval: parseNumber(values["key-interval"], "key-interval", true),
      threads: parseNumber(values.threads, "threads", true),
      formatVersion: values["format-version"],
      interpolation,
      predictor: predictor as Predictor | undefined,
    }
    : {
      ...shared,
      coding: "model",
      tol: parseList(values.tol, "tol"),
      groups: parseGroups(values.groups),
      omega: parseNumber(values.omega, "omega"),
      steps: parseNumber(values.steps, "steps", true),
      timeBudget: parseNumber(values["time-budget"], "time-budget"),
      batch: parseNumber(values.batch, "batch", true),
      learningRate: parseNumber(values.lr, "lr"),
      backend,
      seed: parseNumber(values.seed, "seed", true),
      quantBudget: parseNumber(values["quant-budget"], "quant-budget"),
    };
  const output = await checkOutput(values.output, values.force, positionals);
  outputFormat(output, { mrc: [".mrc"] }, "compress");
  // Before anything opens it: a named pipe would block the read forever.
  for (const input of positionals) await checkInputFile(input);
  // One netCDF variable: the file opened once, to tell whether it is a collection and to read it
  // (closed once read, or when the command ends).
  using variable = await openInputVariable(positionals[0], values);
  // Several variables, or a 4-D variable kept whole: one collection (SPEC.md §12).
  const collection = await isCollection(positionals[0], values, variable);
  // A collection and a streamed input open the file again, on their own.
  if (collection) variable?.close();
  if (collection && blockwise) {
    throw new Error(
      "--stream, --snapshots, --shard, --range and several inputs take one variable of three dimensions (compress each variable on its own)",
    );
  }
  if (namedBounds && !collection) {
    throw new Error(
      `--${
        namedBounds.flag === "errorBound" ? "error-bound" : "rel-error-bound"
      } NAME=X names variables: it takes several (--var a,b or --all)`,
    );
  }
  if (
    !collection && options.coding !== "model" &&
    (blockwise || await isLarge(positionals[0], values.psnr))
  ) {
    variable?.close();
    return await compressStreamed(positionals, output, values, options);
  }
  const progress = progressReporter(!!values.quiet);
  // Ctrl-C (and SIGTERM, SIGHUP) while reading, training or coding: the listener aborts, and the
  // work stops soon after (reading and bounded coding yield to the event loop every 0.1 s,
  // training between steps). A listener is set even where the signal's default would end the
  // process: started in the background by a shell (`cmd &`, `timeout -s INT`), a process
  // inherits SIGINT ignored, and without a listener of its own it ran to the end and wrote the
  // file. Nothing is on disk until the coding is done: the file is built in memory.
  const controller = new AbortController();
  let caught: Deno.Signal | null = null;
  const listeners = INTERRUPTS.map((signal) => {
    const listener = () => {
      caught ??= signal;
      controller.abort(new Error("interrupted"));
    };
    Deno.addSignalListener(signal, listener);
    return () => Deno.removeSignalListener(signal, listener);
  });
  let input: { data: Float32Array | Float64Array; shape: number[]; attributes?: MrcAttributes };
  let result: Awaited<ReturnType<typeof import("../src/encode/compress.ts").compressTo>>;
  // The file is built in memory (it is smaller than the input, already there): the temporary
  // file exists only while the output is written, never during training or coding.
  const parts: Uint8Array[] = [];
  let many: Awaited<ReturnType<typeof compressCollection>> | undefined;
  try {
    if (collection) {
      const { parseSelect } = await import("./_select.ts");
      many = await compressCollection(
        positionals[0],
        values,
        parseSelect(values.select),
        namedBounds,
        options,
        progress,
        controller.signal,
      );
      parts.push(...many.chunks);
    } else {
      input = await readCompressInput(
        positionals[0],
        values,
        variable,
        progress,
        controller.signal,
        // Bounded coding on workers reads the blocks in place (a .npy or raw input).
        coding === "bounded" && options.threads !== 1,
      );
      if (shared.fillValue !== undefined) {
        warnUnmatchedFill(positionals[0], input.data, shared.fillValue);
      }
      const { compressTo } = await import("../src/encode/compress.ts");
      const size = formatBytes(input.data.length * input.data.BYTES_PER_ELEMENT);
      progress.phase(
        options.psnr === undefined ? `coding ${size}` : `coding ${size}, --psnr search`,
      );
      result = await compressTo(
        input.data,
        input.shape,
        { write: (b) => void parts.push(b.slice()) },
        options.coding === "model"
          ? {
            ...options,
            attributes: input.attributes,
            signal: controller.signal,
            onProgress: (e: TrainProgress) => progress.train(e),
          }
          : {
            ...options,
            attributes: input.attributes,
            signal: controller.signal,
            // A --psnr search codes the whole array once per trial, their number not known
            // ahead: its phase shows the trial and the trial's share, without a time left.
            onCodingProgress: (e: CodingProgress) =>
              options.psnr === undefined
                ? progress.update(e.done)
                : progress.update(e.done, `trial ${e.trial} at bound ${e.bound}`, false),
          },
      );
      progress.end();
    }
  } catch (e) {
    if (!controller.signal.aborted) throw e;
  } finally {
    for (const remove of listeners) remove();
    if (controller.signal.aborted) {
      progress.interrupt();
      // Stopped by a signal: nothing written, and the exit status the signal would have given.
      const signal = caught ?? "SIGINT";
      console.error(`error: ${output}: interrupted (${signal}), not written`);
      Deno.exit(128 + (SIGNAL_NUMBERS[signal] ?? 2));
    }
  }
  if (options.coding === "model" && !many) {
    warnShortOfTolerance(result!.report as ModelReport, input!.data, options.fillValue);
  }
  await checkOutput(output, values.force, [positionals[0]]);
  progress.phase(`writing ${output}`);
  await writeAtomic(output, async (file) => {
    for (const part of parts) {
      for (let off = 0; off < part.length;) off += await file.write(part.subarray(off));
    }
  });
  progress.end();
  if (values.quiet) return;
  if (many) return printCollection(positionals[0], output, many);
  const raw = input!.data.length * 4;
  const r = result!;
  const ratio = `${formatBytes(r.bytes)} (ratio ${(raw / r.bytes).toFixed(1)} vs float32)`;
  if (r.report.mode === "bounded") {
    const b = r.report.bound;
    console.log(
      `${positionals[0]} -> ${output}: ${ratio}, ${boundText(b)}, coded in ${
        r.report.encodeSeconds.toFixed(2)
      } s`,
    );
  } else {
    console.log(
      `${positionals[0]} -> ${output}: ${ratio}, backend ${r.report.backend}, trained in ${
        r.report.trainSeconds.toFixed(1)
      } s`,
    );
  }
  printLevels(r.report.levels);
  // Where the bytes went, from the file's own index.
  const kinds: Record<string, number> = {};
  const names: Record<ChunkCategory, string> = {
    header: "header+report",
    attributes: "netCDF attributes",
    missing: "missing mask",
    weights: "weights",
    masks: "masks",
    codes: "codes",
    index: "signature+index+trailer",
  };
  await using written = await openFile(output);
  for (const c of written.chunks) {
    const kind = names[chunkCategory(c.type)];
    kinds[kind] = (kinds[kind] ?? 0) + c.length;
  }
  kinds["signature+index+trailer"] = r.bytes - Object.values(kinds).reduce((a, b) => a + b, 0);
  console.log(
    `  bytes: ${Object.entries(kinds).map(([k, v]) => `${k} ${formatBytes(v)}`).join(", ")}`,
  );
}

/**
 * The variable of INPUT when INPUT is a netCDF file and `--var` names one (not `--all`, not
 * `--var a,b`), opened once for both questions: whether it goes into a collection (its selection
 * keeps a layer dimension: `layers`) and its values. Null for any other input.
 */
async function openInputVariable(
  path: string,
  values: { var?: string; all?: boolean; select?: string },
): Promise<NetcdfVariableReader | null> {
  if (values.all || values.var === undefined || values.var.includes(",")) return null;
  const { isNetcdf } = await import("./_netcdf.ts");
  if (!await isNetcdf(path)) return null;
  const { openNetcdfVariable } = await import("../src/io/netcdf/mod.ts");
  const { parseSelect } = await import("./_select.ts");
  return await openNetcdfVariable(path, {
    variable: values.var,
    select: parseSelect(values.select),
  });
}

/**
 * Whether the input goes into a collection: `--all`, `--var a,b`, or (`variable`, from
 * {@linkcode openInputVariable}) a 4-D variable whose selection keeps its layer dimension.
 */
async function isCollection(
  path: string,
  values: { var?: string; all?: boolean },
  variable: NetcdfVariableReader | null,
): Promise<boolean> {
  if (!values.all && !values.var?.includes(",")) return variable?.layers != null;
  const { isNetcdf } = await import("./_netcdf.ts");
  if (!await isNetcdf(path)) {
    throw new Error(`${path}: --all and --var a,b read several variables of a netCDF file`);
  }
  return true;
}

/** The summary of a collection: a line per variable, then where the bytes went. */
function printCollection(
  input: string,
  output: string,
  { result, raw }: Awaited<ReturnType<typeof compressCollection>>,
): void {
  const parts = result.variables.reduce((n, v) => n + v.layers.length, 0);
  console.log(
    `${input} -> ${output}: ${formatBytes(result.bytes)} (ratio ${
      (raw / result.bytes).toFixed(1)
    } vs float32), ${result.variables.length} variable${
      result.variables.length === 1 ? "" : "s"
    } in ${parts} part${parts === 1 ? "" : "s"} (a collection, format 1.4)`,
  );
  for (const v of result.variables) {
    const bytes = v.layers.reduce((n, r) => n + r.bytes, 0);
    const first = v.layers[0].report;
    // Relative to the variable's range over all its layers (each layer's report has its own).
    const bound = first.mode === "bounded"
      ? `, ${
        boundText({
          abs: first.bound.abs,
          rel: v.range !== null && v.range > 0 ? first.bound.abs / v.range : null,
        })
      }`
      : "";
    const max = v.layers.reduce(
      (m, r) => Math.max(m, ...r.report.levels.map((l) => l.maxAbsError)),
      0,
    );
    console.log(
      `  ${v.name}: ${formatBytes(bytes)}${
        v.layers.length > 1 ? ` in ${v.layers.length} layers` : ""
      }${bound}, max error ${max}`,
    );
  }
}

/** Inputs from which compress streams by default: larger than this many bytes. */
const STREAM_ABOVE = 2 ** 30;

/** Whether an input is large enough to stream by default (a PSNR target is never streamed). */
async function isLarge(path: string, psnr: string | undefined): Promise<boolean> {
  return psnr === undefined && (await Deno.stat(path)).size > STREAM_ABOVE;
}

/** `--snapshots A:B` or `--shard I/N`: the shard's first snapshot and count, block-aligned. */
function parseShard(
  values: { snapshots?: string; shard?: string },
  T: number,
  blockSize: number,
): [number, number] | null {
  if (values.snapshots !== undefined && values.shard !== undefined) {
    throw new Error("give one of --snapshots, --shard");
  }
  if (values.snapshots !== undefined) {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(values.snapshots);
    if (!m) {
      throw new Error(`--snapshots must be A:B (snapshots A..B-1), found "${values.snapshots}"`);
    }
    const a = Number(m[1]), b = Number(m[2]);
    if (!(a < b && b <= T)) {
      throw new Error(`--snapshots ${a}:${b} is not a non-empty range within 0:${T}`);
    }
    if (a % blockSize !== 0 || (b < T && b % blockSize !== 0)) {
      throw new Error(
        `--snapshots ${a}:${b} must start and end on a block (multiples of the block size ${blockSize}, or the end ${T})`,
      );
    }
    return [a, b - a];
  }
  if (values.shard !== undefined) {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(values.shard);
    if (!m) {
      throw new Error(`--shard must be I/N (shard I of N, I from 0), found "${values.shard}"`);
    }
    const i = Number(m[1]), n = Number(m[2]);
    const blocks = Math.ceil(T / blockSize);
    if (!(n >= 1 && i < n)) throw new Error(`--shard ${i}/${n}: I must be in 0..N-1`);
    if (n > blocks) {
      throw new Error(
        `--shard ${i}/${n}: ${T} snapshots make ${blocks} block${
          blocks === 1 ? "" : "s"
        } of ${blockSize}, fewer than ${n} shards`,
      );
    }
    const b0 = Math.floor(i * blocks / n), b1 = Math.floor((i + 1) * blocks / n);
    const first = b0 * blockSize;
    return [first, Math.min(T, b1 * blockSize) - first];
  }
  return null;
}

/**
 * The bound options a streamed input or a shard can take, said with the command's flags: a PSNR
 * search codes the whole input some ten times, and a shard needs the whole's bound.
 */
function checkStreamedBound(
  options: CompressOptions,
  range: [number, number] | undefined,
  shard: boolean,
): void {
  if (options.coding === "model") return;
  if (options.psnr !== undefined) {
    throw new Error(
      shard
        ? "a shard cannot take --psnr: each shard would find its own bound (give --error-bound)"
        : "--psnr is not streamed: its search codes the whole input about ten times (give --error-bound or --rel-error-bound, or leave out --stream)",
    );
  }
  if (range !== undefined && options.relErrorBound === undefined) {
    throw new Error("--range is only used with --rel-error-bound");
  }
  if (shard && options.errorBound === undefined && range === undefined) {
    throw new Error(
      "a shard needs the whole's bound: give --error-bound, or --rel-error-bound with --range MIN,MAX (the whole's range; each shard's own would give each its own bound)",
    );
  }
}

/** Awaits `p`; an error of the temporary-file writer is given as its cause's message. */
async function unwrapped(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (e) {
    const cause = (e as Error).cause;
    throw cause instanceof Error ? cause : e;
  }
}

/** `--range MIN,MAX`. */
function parseRange(value: string | undefined): [number, number] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(",").map((p) => Number(p.trim()));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0] < parts[1])) {
    throw new Error(`--range must be MIN,MAX with finite numbers MIN < MAX, found "${value}"`);
  }
  return [parts[0], parts[1]];
}

/**
 * Block-wise compression (`--stream`, `--snapshots`, `--shard`, several inputs, or an input
 * above 1 GiB): the input is read a block at a time and the coded blocks wait in a spool file
 * next to the output; the file is the one in-memory compression writes.
 */
async function compressStreamed(
  inputs: string[],
  output: string,
  values: {
    var?: string;
    select?: string;
    shape?: string;
    snapshots?: string;
    shard?: string;
    range?: string;
    quiet?: boolean;
    force?: boolean;
  },
  options: CompressOptions,
): Promise<void> {
  if (options.coding === "model") throw new Error("model coding reads its input whole");
  const { compressBlockwise } = await import("../src/encode/blockwise.ts");
  const { resolveBoundedParams } = await import("../src/encode/bounded.ts");
  const { openInputs, sliceSource } = await import("../src/encode/sources.ts");
  const { fileSpool } = await import("../src/encode/spool.ts");
  const range = parseRange(values.range);
  checkStreamedBound(options, range, values.snapshots !== undefined || values.shard !== undefined);
  // The same selection as in memory: indices, coordinate values, ISO dates.
  const { parseSelect } = await import("./_select.ts");
  const whole = await openInputs(inputs, { ...values, select: parseSelect(values.select) });
  if (whole.transposed) noteTransposed(inputs[0], values.var!, whole.transposed);
  try {
    const T = whole.shape[0];
    const { blockSize } = resolveBoundedParams(whole.shape, options);
    const place = parseShard(values, T, blockSize);
    const source = place ? sliceSource(whole, place[0], place[1]) : whole;
    let result: Awaited<ReturnType<typeof compressBlockwise>> | undefined;
    await checkOutput(output, values.force, inputs);
    // Progress per block coded (a streamed input is read as it is coded: one phase for both).
    const progress = progressReporter(!!values.quiet);
    const size = formatBytes(source.shape.reduce((a, b) => a * b, 1) * 4);
    await unwrapped(writeAtomic(output, async (file) => {
      const sink = {
        write: async (b: Uint8Array) => {
          for (let off = 0; off < b.length;) off += await file.write(b.subarray(off));
        },
      };
      const spool = await fileSpool(output);
      progress.phase(`reading and coding ${size} a block at a time`);
      result = await compressBlockwise(source, sink, {
        ...options,
        attributes: source.attributes,
        inputShape: source.inputShape,
        spool,
        ...(range ? { range } : {}),
        ...(place ? { shard: { first: place[0], total: T } } : {}),
        onCodingProgress: (e: CodingProgress) => progress.update(e.done),
      });
      progress.end();
    }));
    const r = result!;
    if (options.fillValue !== undefined && r.missing === 0) {
      console.error(
        `warning: --fill ${options.fillValue} matches no value of ${
          inputs.length > 1 ? `${inputs.length} files` : inputs[0]
        }: no value is missing`,
      );
    }
    if (values.quiet) return;
    const raw = source.shape.reduce((a, b) => a * b, 1) * 4;
    const what = inputs.length > 1 ? `${inputs.length} files` : inputs[0];
    const b = r.report.bound;
    console.log(
      `${what}${
        place ? ` snapshots ${place[0]}..${place[0] + place[1] - 1} of ${T}` : ""
      } -> ${output}: ${formatBytes(r.bytes)} (ratio ${(raw / r.bytes).toFixed(1)} vs float32), ${
        boundText(b)
      }, coded in ${r.report.encodeSeconds.toFixed(2)} s, streamed${
        place ? " (a shard: merge joins the shards)" : ""
      }`,
    );
    printLevels(r.report.levels);
  } finally {
    whole.close();
  }
}

/**
 * `bound B (R of the range)`: the bound at full precision (the shortest form that reads back as
 * the same double), as the maxima are printed: rounded, a maximum of 0.0357504 next to a bound
 * shown as 3.575e-2 would look as if it broke the bound.
 */
function boundText(b: { abs: number; rel: number | null }): string {
  return `bound ${b.abs}${b.rel === null ? "" : ` (${Number(b.rel.toPrecision(3))} of the range)`}`;
}

/** The per-level lines of the summary, the maxima at full precision. */
function printLevels(
  levels: readonly {
    level: number;
    grid: readonly number[];
    rmse: number;
    psnr: number | null;
    maxAbsError: number;
  }[],
): void {
  for (const e of levels) {
    console.log(
      `  level ${e.level} ${e.grid[0]}x${e.grid[1]}: rmse ${e.rmse.toExponential(3)}  psnr ${
        e.psnr === null ? "-" : e.psnr.toFixed(2) + " dB"
      }  max ${e.maxAbsError}`,
    );
  }
}
