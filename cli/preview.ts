/**
 * `cli.ts preview IN.mrc -o OUT.png`: every level of one snapshot side by side (and, for model
 * coding, the masks).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { OUTPUT_OPTIONS, parseNumber } from "./_args.ts";
import { checkOutput, openFile, writeBytesAtomic } from "./_files.ts";

/** Help text of the command. */
export const HELP = `Usage: cli.ts preview IN.mrc -o OUT.png [--snapshot T] [--force]

Writes one PNG: the snapshot (default 0) at every level side by side, coarse to fine. A file of
model coding adds a second row, the mask heat maps of each level (how many widening groups cover
each latent position); bounded files have no masks.`;

/** Runs the command. */
export async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...OUTPUT_OPTIONS,
      snapshot: { type: "string" },
      frame: { type: "string" },
    },
  });
  if (values.help) return void console.log(HELP);
  if (values.frame !== undefined) throw new Error("--frame is now --snapshot T");
  if (positionals.length !== 1) throw new Error("preview takes one IN.mrc file (see --help)");
  const output = await checkOutput(values.output, values.force, [positionals[0]]);
  await using file = await openFile(positionals[0]);
  const snapshot = parseNumber(values.snapshot, "snapshot", true) ?? 0;
  const { renderPreview } = await import("../src/io/preview.ts");
  let png: Uint8Array;
  try {
    png = await renderPreview(file, snapshot);
  } catch (e) {
    throw new Error(`${positionals[0]}: ${e instanceof Error ? e.message : e}`);
  }
  await writeBytesAtomic(output, png);
  console.log(`${positionals[0]} -> ${output}: snapshot ${snapshot}, ${file.levelCount} levels`);
}
