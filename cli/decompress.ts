/**
 * `cli.ts decompress IN.mrc -o OUT.npy`: decode one level for a snapshot range.
 *
 * @module
 */

import {
  OUTPUT_OPTIONS,
  outputFormat,
  parseBytes,
  parseCommand,
  parseNumber,
  parseRange,
} from "./_args.ts";
import { checkOutput, cliMessage, openCollectionFile, writeBytesAtomic } from "./_files.ts";
import type { MrcCollection } from "../src/read/collection.ts";
import type { MrcFile } from "../src/read/mrc_file.ts";
import { type ProgressReporter, progressReporter } from "./_progress.ts";
import { MAX_THREADS } from "../src/read/parallel_decode.ts";
import { permutationOf } from "../src/io/netcdf/order.ts";

/** Help text of the command. */
export const HELP = `Usage: cli.ts decompress IN.mrc|URL -o OUT.npy|OUT.nc [options]

IN may be an http(s) URL (run with --allow-net): only the bytes of the chunks the level needs
are read, with range requests.

Options:
  -o, --output FILE     output .npy file, or .nc for netCDF-4 with the dimensions, coordinates
                        and attributes of a file compressed from netCDF (required)
  --level K             level to decode, 0 = coarsest (default: finest)
  --snapshots A:B       snapshot range [A, B) (default: all)
  --max-bytes N         most memory the decode may hold (default 1G), e.g. 4G, 512M, 64MiB:
                        a larger file is refused before anything is allocated
  --threads N           threads that decode blocks in parallel, bounded files (default: all
                        cores for an output of 8 Mi values or more, else 1); the output is the
                        same whatever N
  --deflate N           netCDF output: zlib level of the variable, 0 (none) to 9 (default:
                        the netCDF-4 source's, else 1)
  --chunks T,H,W        netCDF output: chunk sizes (H,W for a 2-D output; default: the netCDF-4
                        source's, else one snapshot per chunk, rows split to keep a chunk within
                        4 MiB), time first whatever order the variable is written in
  --time-first          netCDF output of a variable whose time was not first in its source:
                        write it time first, as stored (default: in the source's order)
  --var NAME[,NAME]     a file of several variables (a collection): the variables to write
                        (default: all of them, into one netCDF file; a .npy output takes one)
  --layer K             of a variable of layers (a 4-D variable): only layer K (from 0),
                        written as a 3-D variable (default: every layer, the layer dimension
                        second)
  --quiet               no progress and no summary line
  --force               overwrite OUT

A .npy output is always time first (T, H, W), as stored. Other output extensions (.zarr, .h5,
.tif, ...) are refused. Progress goes to stderr for a
phase that takes more than a second: a bar on a terminal, plain lines otherwise.`;

/** Output values from which the default is to decode on every core: two default blocks. */
const MIN_THREADED_VALUES = 8 * 1024 * 1024;

/**
 * The threads of a decode: `--threads` when given, else the machine's cores for an output of
 * 8 Mi values or more (workers start in tens of ms, which a smaller decode does not win back),
 * else 1.
 */
export function decodeThreads(
  file: Pick<MrcFile, "levels">,
  level: number,
  [a, b]: [number, number],
  threads: number | undefined,
): number {
  if (threads !== undefined) return threads;
  const [rows, cols] = file.levels[level].extent;
  if ((b - a) * rows * cols < MIN_THREADED_VALUES) return 1;
  const n = globalThis.navigator?.hardwareConcurrency;
  return Number.isInteger(n) && n > 0 ? Math.min(n, MAX_THREADS) : 1;
}

/** Runs the command. */
export async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseCommand({
    args,
    allowPositionals: true,
    options: {
      ...OUTPUT_OPTIONS,
      level: { type: "string" },
      snapshots: { type: "string" },
      frames: { type: "string" },
      "max-bytes": { type: "string" },
      threads: { type: "string" },
      deflate: { type: "string" },
      chunks: { type: "string" },
      "time-first": { type: "boolean" },
      quiet: { type: "boolean" },
      var: { type: "string" },
      layer: { type: "string" },
    },
  });
  if (values.help) return void console.log(HELP);
  if (values.frames !== undefined) throw new Error("--frames is now --snapshots A:B");
  if (positionals.length !== 1) throw new Error("decompress takes one IN.mrc file (see --help)");
  const level = parseNumber(values.level, "level", true);
  const snapshots = parseRange(values.snapshots, "snapshots");
  const maxBytes = parseBytes(values["max-bytes"], "max-bytes");
  const threads = parseNumber(values.threads, "threads", true);
  if (threads !== undefined && (threads < 1 || threads > MAX_THREADS)) {
    throw new Error(`--threads must be an integer from 1 to ${MAX_THREADS}, found ${threads}`);
  }
  // Known by its extension before any work: another (.zarr, .h5, .tif) is refused, not written
  // as .npy.
  const output = await checkOutput(values.output, values.force, [positionals[0]]);
  const format = outputFormat(output, {
    npy: [".npy"],
    netcdf: [".nc", ".nc4", ".cdf", ".netcdf"],
  }, "decompress");
  const { checkChunks, parseChunks, parseDeflate } = await import("./_netcdf.ts");
  const deflate = parseDeflate(values.deflate);
  const chunks = parseChunks(values.chunks);
  if (format !== "netcdf" && (deflate !== undefined || chunks !== undefined)) {
    throw new Error(
      `--${
        deflate !== undefined ? "deflate" : "chunks"
      } applies to a netCDF output (-o OUT.nc) only`,
    );
  }
  const names = values.var === undefined ? null : values.var.split(",").map((n) => n.trim());
  if (names?.some((n) => n === "")) {
    throw new Error(`--var must be NAME or NAME,NAME, found "${values.var}"`);
  }
  const layer = parseNumber(values.layer, "layer", true);
  if (layer !== undefined && layer < 0) {
    throw new Error(`--layer must be 0 or more, found ${layer}`);
  }
  await using collection = await openCollectionFile(positionals[0], { maxBytes });
  if (collection.isCollection) {
    return await decompressCollection(collection, positionals[0], output, format, {
      names,
      layer,
      level,
      snapshots,
      threads,
      deflate,
      chunks,
      timeFirst: !!values["time-first"],
      quiet: !!values.quiet,
    });
  }
  if (names && (names.length > 1 || names[0] !== collection.variables[0].name)) {
    throw new Error(
      `--var ${values.var}: ${positionals[0]} holds one variable, "${
        collection.variables[0].name
      }"`,
    );
  }
  if (layer !== undefined && layer !== 0) {
    throw new Error(`--layer ${layer}: ${positionals[0]} holds one variable of one layer`);
  }
  await using file = await collection.open(collection.variables[0].name);
  const levels = file.levelCount;
  if (level !== undefined && (level < 0 || level >= levels)) {
    throw new Error(
      `--level must be 0..${levels - 1} (${positionals[0]} has ${levels} levels), found ${level}`,
    );
  }
  const T = file.header.shape[0];
  if (snapshots && snapshots[1] === Infinity) snapshots[1] = T;
  if (snapshots && (snapshots[0] >= T || snapshots[1] > T)) {
    throw new Error(
      `--snapshots must be within 0:${T} (${
        positionals[0]
      } has ${T} snapshots), found ${values.snapshots}`,
    );
  }
  // A float64 file comes back as float64, its fill value exact (float32 may not hold it).
  const dtype = file.header.dtype;
  const progress = progressReporter(!!values.quiet);
  const k = level ?? levels - 1;
  const range = snapshots ?? [0, T];
  const [rows, cols] = file.levels[k].extent;
  const outValues = (range[1] - range[0]) * rows * cols;
  const big = outValues >= 8 * 1024 * 1024;
  const oneSnapshot = file.inputShape.length === 2 && range[1] - range[0] === 1;
  await checkChunks(
    chunks,
    oneSnapshot ? [rows, cols] : [range[1] - range[0], rows, cols],
    dtype === "float64" ? 8 : 4,
  );
  // The share decoded is not told by the decoder: the phase shows its time.
  const decoded = await interruptible(
    progress,
    `decoding level ${k}, snapshots ${range[0]}:${range[1]}`,
    positionals[0],
    output,
    (signal) =>
      file.decode({
        level,
        snapshots,
        dtype,
        threads: decodeThreads(file, k, range, threads),
        signal,
      }),
  );
  const attributes = await file.readAttributes();
  const flat2d = file.inputShape.length === 2 && decoded.shape[0] === 1;
  const ncShape = flat2d ? decoded.shape.slice(1) : decoded.shape;
  // Compressed time first from a variable whose time was elsewhere: a netCDF output goes back
  // to the source's order (unless --time-first); say what was written, and how to undo it.
  // (A file from a stranger may hold anything there: only a permutation of the stored
  // dimensions counts.)
  const stored = attributes?.dimensions.map((d) => d.name) ?? [];
  const source = attributes?.source.dimensionOrder;
  const perm = Array.isArray(source) && stored.length === ncShape.length
    ? permutationOf(stored, source)
    : null;
  const order = perm?.map((a) => stored[a]);
  const transpose = format === "netcdf" && order !== undefined && !values["time-first"];
  if (order !== undefined && !values.quiet) {
    const written = transpose
      ? "written in the source's order (--time-first writes it as stored)"
      : `written so${
        format === "netcdf" ? ` (ncpdq -a ${order.join(",")} restores the source's order)` : ""
      }`;
    console.error(
      `note: ${positionals[0]}: "${attributes!.variable.name}" had dimensions (${
        order.join(", ")
      }) in its source, stored time first as (${stored.join(", ")}); ${written}`,
    );
  }
  progress.phase(`writing ${output}`, big);
  if (format === "netcdf") {
    const { writeNetcdfOutput } = await import("./_netcdf.ts");
    const bound = file.header.bound ? `, max abs error ${file.header.bound.abs}` : "";
    const report = await writeNetcdfOutput(output, {
      data: decoded.data,
      shape: ncShape,
      attributes,
      rows: decoded.rows,
      cols: decoded.cols,
      firstSnapshot: snapshots?.[0] ?? 0,
      history: `${new Date().toISOString()}: mrcae decompress ${
        positionals[0]
      } level ${decoded.level} of ${file.levels.length}${bound}`,
      bound: file.levels[decoded.level].bound,
      deflate,
      chunks,
      ...(transpose ? { order } : {}),
    });
    progress.end();
    if (values.quiet) return;
    console.log(
      `${positionals[0]} -> ${output}: level ${decoded.level}, shape (${
        (transpose ? perm!.map((a) => ncShape[a]) : ncShape).join(", ")
      }), ${file.header.dtype}, netCDF-4${
        attributes ? ` variable "${attributes.variable.name}"` : ""
      }${encodingNote(report)}`,
    );
    return;
  }
  const { npyParts } = await import("../src/io/npy.ts");
  const data = decoded.data;
  // A 2-D input comes back 2-D (the header of a version 1.1 file records the shape it was given).
  const flat = file.inputShape.length === 2 && decoded.shape[0] === 1;
  const shape = flat ? decoded.shape.slice(1) : decoded.shape;
  await writeBytesAtomic(output, npyParts(data, shape));
  progress.end();
  if (values.quiet) return;
  console.log(
    `${positionals[0]} -> ${output}: level ${decoded.level}, shape (${
      shape.join(", ")
    }), ${file.header.dtype}`,
  );
}

/** `, deflate 1, chunks 1x91x181, time unlimited`: how the netCDF variable is stored. */
function encodingNote(r: { chunks: number[] | null; deflate: number; unlimited: string[] }) {
  return `, ${r.deflate > 0 ? `deflate ${r.deflate}` : "no deflate"}, ${
    r.chunks ? `chunks ${r.chunks.join("x")}` : "contiguous"
  }${r.unlimited.length > 0 ? `, ${r.unlimited.join(" and ")} unlimited` : ""}`;
}

/**
 * `decompress` of a collection: every variable (or `--var a,b`) into one netCDF file, each at the
 * level asked for, a variable of layers with its layer dimension second; or one variable
 * (`--var NAME`) into a `.npy` file, its layers stacked second (`--layer K`: one).
 */
async function decompressCollection(
  collection: MrcCollection,
  input: string,
  output: string,
  format: string,
  o: {
    names: string[] | null;
    layer?: number;
    level?: number;
    snapshots?: [number, number];
    threads?: number;
    deflate?: number;
    chunks?: number[];
    timeFirst: boolean;
    quiet: boolean;
  },
): Promise<void> {
  const { describeVariables } = await import("../src/read/collection.ts");
  for (const name of o.names ?? []) collection.variable(name);
  if (format === "npy" && o.names?.length !== 1) {
    throw new Error(
      `${input} holds ${
        describeVariables(collection.variables)
      }: a .npy file holds one, give --var NAME (-o OUT.nc writes them all)`,
    );
  }
  if (o.chunks !== undefined && (o.names?.length ?? collection.variables.length) > 1) {
    throw new Error("--chunks applies to one variable: give --var NAME with it");
  }
  const { decodeVariables } = await import("./_collection.ts");
  const progress = progressReporter(o.quiet);
  const decoded = await interruptible(
    progress,
    `decoding ${o.names?.join(", ") ?? "every variable"}`,
    input,
    output,
    (signal) =>
      decodeVariables(collection, input, {
        names: o.names,
        layer: o.layer,
        level: o.level,
        snapshots: o.snapshots,
        threads: (file, k, range) => decodeThreads(file, k, range, o.threads),
        signal,
      }),
  );
  progress.phase(`writing ${output}`);
  if (format === "npy") {
    const d = decoded[0];
    const { npyParts } = await import("../src/io/npy.ts");
    await writeBytesAtomic(output, npyParts(d.data, d.shape));
    progress.end();
    if (o.quiet) return;
    console.log(
      `${input} -> ${output}: variable "${d.variable.name}", level ${d.level}, shape (${
        d.shape.join(", ")
      }), ${d.file.header.dtype}${d.layers ? `, layers along ${d.variable.layer} second` : ""}`,
    );
    return;
  }
  const { writeNetcdfOutputs } = await import("./_netcdf.ts");
  const fields = decoded.map((d) => {
    // A variable whose time was not first in its source: written in the source's order.
    const stored = d.attributes?.dimensions.map((x) => x.name) ?? [];
    const source = d.attributes?.source.dimensionOrder;
    const perm = !o.timeFirst && Array.isArray(source) && stored.length === d.shape.length
      ? permutationOf(stored, source)
      : null;
    return {
      data: d.data,
      shape: d.shape,
      attributes: d.attributes,
      rows: d.rows,
      cols: d.cols,
      firstSnapshot: d.firstSnapshot,
      bound: d.bound,
      ...(d.layers ? { layers: d.layers } : {}),
      ...(o.deflate !== undefined ? { deflate: o.deflate } : {}),
      ...(o.chunks !== undefined ? { chunks: o.chunks } : {}),
      ...(perm ? { order: perm.map((a) => stored[a]) } : {}),
    };
  });
  const report = await writeNetcdfOutputs(output, fields, {
    history: `${new Date().toISOString()}: mrcae decompress ${input} ${
      decoded.map((d) =>
        `${d.variable.name} level ${d.level} of ${d.file.levelCount}${
          d.bound === null ? "" : ` max abs error ${d.bound}`
        }`
      ).join(", ")
    }`,
  });
  progress.end();
  if (o.quiet) return;
  console.log(
    `${input} -> ${output}: netCDF-4, ${decoded.length} variable${decoded.length === 1 ? "" : "s"}`,
  );
  decoded.forEach((d, i) => {
    const r = report.variables[i];
    console.log(
      `  ${d.variable.name}(${r.dimensions.join(", ")}): level ${d.level}, ${d.file.header.dtype}${
        encodingNote(r)
      }`,
    );
  });
}

/**
 * Runs a decode as one phase of `progress`, its time shown every 0.5 s: Ctrl-C (SIGINT, also when
 * it came ignored from a shell) aborts it and exits 130 with nothing on disk (the decode's
 * workers end at once; one thread stops between blocks); another error names the input.
 */
async function interruptible<T>(
  progress: ProgressReporter,
  phase: string,
  input: string,
  output: string,
  decode: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error("interrupted"));
  Deno.addSignalListener("SIGINT", onSignal);
  progress.phase(phase);
  // No timer when nothing shows: the first one of a process loads Deno's Node timers (see
  // withTemporary of _files.ts).
  const ticker = progress.quiet ? undefined : setInterval(() => progress.update(null), 500);
  try {
    const result = await decode(controller.signal);
    progress.end();
    return result;
  } catch (e) {
    progress.interrupt();
    if (controller.signal.aborted) {
      console.error(`error: ${output}: interrupted (SIGINT), not written`);
      Deno.exit(130);
    }
    throw new Error(`${input}: ${cliMessage(e)}`, { cause: e });
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}
