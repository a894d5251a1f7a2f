/**
 * The `mrcae` command line: `deno run cli.ts <command> [options]`.
 *
 * Each command is a module of `cli/`, imported only when it runs, so `info` and `decompress`
 * never load TensorFlow.js (only `compress --coding model` does).
 *
 * @module
 */

import { closest } from "./cli/_args.ts";
import { printable } from "./cli/_text.ts";
import config from "./deno.json" with { type: "json" };

/** What a command module provides. */
interface Command {
  HELP: string;
  run(args: string[]): Promise<void>;
}

/** The commands, loaded lazily. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  compress: () => import("./cli/compress.ts"),
  decompress: () => import("./cli/decompress.ts"),
  merge: () => import("./cli/merge.ts"),
  info: () => import("./cli/info.ts"),
  ls: () => import("./cli/ls.ts"),
  preview: () => import("./cli/preview.ts"),
  demo: () => import("./cli/demo.ts"),
  view: () => import("./cli/view.ts"),
};

const USAGE = `mrcae ${config.version}: multiresolution compression of T x H x W float arrays,
every level of every snapshot within an error bound (bounded coding, the default; no training)

Usage: deno run -A cli.ts <command> [options]

Commands:
  compress INPUT -o OUT.mrc     code INPUT (.npy, netCDF or raw float32) into a .mrc file within
                                a bound (default 1e-3 of the range; --coding model trains the
                                MrCAE autoencoder instead, with no bound)
  decompress IN.mrc -o OUT.nc   decode one level (default: finest) for a range of snapshots, as
                                netCDF-4 (.nc) or .npy
  merge SHARD... -o OUT.mrc     join shards (compress --snapshots/--shard) without recoding
  info IN.mrc                   summary: shape, levels, bytes, errors; verifies every checksum
  ls FILE                       the variables of a netCDF file (and which can be compressed), or
                                the summary of a .mrc file
  preview IN.mrc -o OUT.png     every level side by side and the mask heat maps, as one PNG
  demo                          compress the paper's toy problem, decode every level, print a table
  view FILE_OR_URL              serve a browser viewer that refines the file level by level

Options: --help (also after a command), --version.
Run 'deno run -A cli.ts <command> --help' for a command's options.`;

/**
 * Prints `error: ...` (one line, control characters escaped: a message may quote the file) and
 * exits 1. The one place the CLI exits on failure.
 */
function fail(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`error: ${printable(message.split("\n")[0])}`);
  Deno.exit(1);
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(USAGE);
    return;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    console.log(`mrcae ${config.version}`);
    return;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    const near = closest(name, Object.keys(COMMANDS));
    throw new Error(
      `unknown command "${name}"${near ? `; did you mean ${near}?` : ""} (see --help)`,
    );
  }
  await (await load()).run(rest);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    fail(e);
  }
}
