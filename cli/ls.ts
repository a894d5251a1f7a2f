/**
 * `cli.ts ls FILE`: the variables of a netCDF file, those that can be compressed first (with
 * their group path in a netCDF-4 file), or the summary of a `.mrc` file (as `info`).
 *
 * @module
 */

import { parseCommand } from "./_args.ts";
import { checkInputFile, isUrl } from "./_files.ts";
import { printable } from "./_text.ts";

/** Help text of the command. */
export const HELP = `Usage: cli.ts ls FILE

Lists the variables of a netCDF file (classic, 64-bit offset or netCDF-4, groups included):
those compress --var NAME takes, with their type, dimensions, long name and units, and a note
where one needs --select or is transposed; then the others (1-D coordinates, cell bounds such
as time_bnds, text). A variable in a netCDF-4 group is named by its path (forecast/t2m). For a
.mrc file, prints what info prints. Exits 0.`;

/** Prints the variables of the netCDF file at `path` on stdout. */
export async function printVariables(path: string): Promise<void> {
  const { listNetcdfVariables } = await import("../src/io/netcdf/mod.ts");
  const { format, variables } = await listNetcdfVariables(path);
  const say = (line: string) => console.log(printable(line));
  const ok = variables.filter((v) => v.compressible);
  say(`${path} (${format}): ${ok.length} compressible variable${ok.length === 1 ? "" : "s"}`);
  const width = Math.min(24, Math.max(12, ...ok.map((v) => v.name.length)));
  for (const v of ok) {
    const dims = v.dimensions.map((d) => `${d.name}=${d.size}`).join(", ");
    const about = [v.longName, v.units && `[${v.units}]`].filter(Boolean).join(" ");
    say(
      `  ${v.name.padEnd(width)} ${v.type.padEnd(7)} (${dims})${about ? `  ${about}` : ""}${
        v.note ? `  -- ${v.note}` : ""
      }`,
    );
  }
  const others = variables.filter((v) => !v.compressible);
  if (others.length === 0) return;
  // Grouped by why: "lat, lon, time (1-D)".
  const byNote = new Map<string, string[]>();
  for (const v of others) {
    const note = v.note ?? "not compressible";
    byNote.set(note, [...byNote.get(note) ?? [], v.name]);
  }
  say(
    `  other variables: ${
      [...byNote].map(([note, names]) => `${names.join(", ")} (${note})`).join("; ")
    }`,
  );
}

/** Runs the command. */
export async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseCommand({
    args,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  if (values.help) return void console.log(HELP);
  if (positionals.length !== 1) throw new Error("ls takes one FILE (see --help)");
  const path = positionals[0];
  if (!isUrl(path)) {
    await checkInputFile(path);
    const { isNetcdf } = await import("./_netcdf.ts");
    if (await isNetcdf(path)) return await printVariables(path);
  }
  const info = await import("./info.ts");
  await info.run([path]);
}
