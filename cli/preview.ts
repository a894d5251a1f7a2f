/**
 * `cli.ts preview IN.mrc -o OUT.png`: every level of one snapshot side by side (and, for model
 * coding, the masks).
 *
 * @module
 */

import { OUTPUT_OPTIONS, parseBytes, parseCommand, parseNumber } from "./_args.ts";
import { checkOutput, cliMessage, openFile, writeBytesAtomic } from "./_files.ts";

/** Help text of the command. */
export const HELP =
  `Usage: cli.ts preview IN.mrc|URL -o OUT.png [--snapshot T] [--vmin V] [--vmax V] [--var NAME [--layer K]] [--max-bytes N] [--force]

Writes one PNG: the snapshot (default 0) at every level side by side, coarse to fine, north up
when the file's Y coordinate increases (a file compressed from netCDF keeps its coordinates), with
axes ticked in coordinate values, the variable, its units and the snapshot's date, and one colour
range for every level: the file's (its actual_range, or level 0 of every snapshot widened to the
data's range), or --vmin and --vmax. A file of model coding adds a second row, the mask heat maps
of each level (how many widening groups cover each latent position); bounded files have no masks. IN may be an http(s) URL (run with
--allow-net). --max-bytes: most memory a decode may hold (default 1G), e.g. 4G, 512M, 64MiB.
A file of several variables (a collection) needs --var NAME, and --layer K (from 0) for a
variable of layers (a 4-D variable).`;

/** Runs the command. */
export async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseCommand({
    args,
    allowPositionals: true,
    options: {
      ...OUTPUT_OPTIONS,
      snapshot: { type: "string" },
      vmin: { type: "string" },
      vmax: { type: "string" },
      frame: { type: "string" },
      "max-bytes": { type: "string" },
      var: { type: "string" },
      layer: { type: "string" },
    },
  });
  if (values.help) return void console.log(HELP);
  if (values.frame !== undefined) throw new Error("--frame is now --snapshot T");
  if (positionals.length !== 1) throw new Error("preview takes one IN.mrc file (see --help)");
  const snapshot = parseNumber(values.snapshot, "snapshot", true) ?? 0;
  const maxBytes = parseBytes(values["max-bytes"], "max-bytes");
  const vmin = parseNumber(values.vmin, "vmin");
  const vmax = parseNumber(values.vmax, "vmax");
  if (vmin !== undefined && vmax !== undefined && !(vmin < vmax)) {
    throw new Error(`--vmin must be below --vmax, found ${vmin} and ${vmax}`);
  }
  const output = await checkOutput(values.output, values.force, [positionals[0]]);
  await using file = await openFile(positionals[0], {
    maxBytes,
    variable: values.var,
    layer: parseNumber(values.layer, "layer", true),
  });
  const T = file.header.shape[0];
  if (snapshot < 0 || snapshot >= T) {
    throw new Error(
      `--snapshot must be 0..${T - 1} (${positionals[0]} has ${T} snapshots), found ${snapshot}`,
    );
  }
  const { renderPreview } = await import("../src/io/preview.ts");
  let png: Uint8Array;
  try {
    png = await renderPreview(file, snapshot, { vmin, vmax });
  } catch (e) {
    throw new Error(`${positionals[0]}: ${cliMessage(e)}`, { cause: e });
  }
  await writeBytesAtomic(output, png);
  console.log(`${positionals[0]} -> ${output}: snapshot ${snapshot}, ${file.levelCount} levels`);
}
