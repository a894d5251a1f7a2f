/**
 * The `mrcae` command line: `deno run cli.ts <command> [options]`.
 *
 * Each command is a module of `cli/`, imported only when it runs, so `info` and `decompress`
 * never load TensorFlow.js (only `compress --coding model` does).
 *
 * @module
 */

import { printable } from "./cli/_text.ts";

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
  preview: () => import("./cli/preview.ts"),
  demo: () => import("./cli/demo.ts"),
  view: () => import("./cli/view.ts"),
};

const USAGE =
  `mrcae: multiresolution compression of T x H x W float arrays, every level of every snapshot
within an error bound (or, with --coding model, with the MrCAE autoencoder)

Usage: deno run -A cli.ts <command> [options]

Commands:
  compress INPUT -o OUT.mrc     compress INPUT (.npy, netCDF or raw float32) into a .mrc file
  decompress IN.mrc -o OUT.npy  decode one level (default: finest) for a range of snapshots
  merge SHARD... -o OUT.mrc     join shards (compress --snapshots/--shard) without recoding
  info IN.mrc                   summary: shape, levels, bytes, errors; verifies every checksum
  preview IN.mrc -o OUT.png     every level side by side and the mask heat maps, as one PNG
  demo                          compress the paper's toy problem, decode every level, print a table
  view FILE_OR_URL              serve a browser viewer that refines the file level by level

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
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) throw new Error(`unknown command "${name}" (see --help)`);
  await (await load()).run(rest);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    fail(e);
  }
}
