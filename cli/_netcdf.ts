/**
 * netCDF for the commands: `compress data.nc --var NAME [--select DIM=I]` reads a variable (or
 * lists the variables without `--var`), `decompress x.mrc -o x.nc` writes one. The netCDF
 * libraries load only when a netCDF file is involved.
 *
 * @module
 */

import type { MrcAttributes } from "../format/attributes.ts";
import type { NetcdfFileReport, NetcdfOutput, NetcdfWriteReport } from "../src/io/netcdf/mod.ts";
import { withTemporary } from "./_files.ts";

/** Whether `path` starts with a netCDF signature (`CDF\x01`, `CDF\x02`, `CDF\x05` or HDF5's). */
export async function isNetcdf(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return false; // the usual reader reports a missing file
  }
  try {
    const head = new Uint8Array(8);
    const n = (await file.read(head)) ?? 0;
    const text = String.fromCharCode(...head.subarray(0, n));
    return ["CDF\x01", "CDF\x02", "CDF\x05"].some((m) => text.startsWith(m)) ||
      text === "\x89HDF\r\n\x1a\n";
  } finally {
    file.close();
  }
}

/** `--deflate N`: the zlib level of a netCDF output, 0 (none) to 9. */
export function parseDeflate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\s*\d\s*$/.test(value)) {
    throw new Error(`--deflate must be a level from 0 (none) to 9, found "${value}"`);
  }
  return Number(value);
}

/** `--chunks T,H,W` (or `H,W` for a 2-D output): chunk sizes of a netCDF output. */
export function parseChunks(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(",").map((p) => p.trim());
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[1-9]\d*$/.test(p))) {
    throw new Error(
      `--chunks must be T,H,W (or H,W for a 2-D output), integers >= 1, found "${value}"`,
    );
  }
  return parts.map(Number);
}

/**
 * Checks `--chunks` against the shape the output will have, before the decode: the same rules
 * as the writer's, said about the option.
 */
export async function checkChunks(chunks: number[] | undefined, shape: number[], bytes: number) {
  if (chunks === undefined) return;
  const { chunksProblem } = await import("../src/io/netcdf/write.ts");
  const problem = chunksProblem(chunks, shape, bytes);
  if (problem !== null) {
    throw new Error(`--chunks ${chunks.join(",")} does not fit the output: ${problem}`);
  }
}

/**
 * Writes a decoded level as netCDF-4 through a temporary file renamed into place, with the
 * attributes the `.mrc` file stores (generic names when it has none), and says on stderr which
 * attributes were removed because they name variables the `.mrc` file does not hold.
 */
export async function writeNetcdfOutput(
  path: string,
  output: {
    data: Float32Array | Float64Array;
    shape: number[];
    attributes: MrcAttributes | null;
    rows: ArrayLike<number>;
    cols: ArrayLike<number>;
    firstSnapshot: number;
    history: string;
    bound?: number | null;
    deflate?: number;
    chunks?: number[];
    order?: readonly string[];
  },
): Promise<NetcdfWriteReport> {
  const { history, ...field } = output;
  return (await writeNetcdfOutputs(path, [field], { history })).variables[0];
}

/**
 * Writes decoded variables (one, or the variables of a collection) as one netCDF-4 file, as
 * {@linkcode writeNetcdfOutput} writes one: a temporary file renamed into place, a `history` line
 * before the source's, and a note on stderr for each attribute removed.
 */
export async function writeNetcdfOutputs(
  path: string,
  fields: NetcdfOutput[],
  options: { history: string },
): Promise<NetcdfFileReport> {
  const previous = fields[0]?.attributes?.global.history;
  const history = typeof previous?.value === "string" && previous.value !== ""
    ? `${options.history}\n${previous.value}`
    : options.history;
  let report: NetcdfFileReport | undefined;
  // The library loads inside: from the call on, a signal finds the temporary file guarded.
  await withTemporary(path, async (tmp) => {
    const { writeNetcdfFile } = await import("../src/io/netcdf/mod.ts");
    report = await writeNetcdfFile(tmp, fields, {
      extraGlobal: { history: { type: "char", value: history } },
    });
  });
  for (const line of report!.removed) {
    console.error(
      `note: ${path}: removed ${line} (named variables that the .mrc file does not hold)`,
    );
  }
  return report!;
}

/** The lines `info` prints for a file compressed from netCDF. */
export function describeAttributes(a: MrcAttributes): string[] {
  const text = (r: Record<string, { value: string | number[] }>, key: string) =>
    typeof r[key]?.value === "string" ? r[key].value as string : null;
  const v = a.variable;
  const about = [text(v.attributes, "long_name"), text(v.attributes, "units")]
    .filter(Boolean).map((s, i) => i === 1 ? `[${s}]` : s).join(" ");
  const dim = (d: MrcAttributes["dimensions"][number]) => {
    const units = text(d.attributes, "units");
    const range = d.values && d.values.length > 0
      ? ` ${d.values[0]}..${d.values[d.values.length - 1]}${units ? ` ${units}` : ""}`
      : "";
    return `${d.name}=${d.size}${range}`;
  };
  const lines = [
    `  variable "${v.name}" (${v.type})${about ? `: ${about}` : ""}, from ${
      a.source.file ?? "?"
    } (${a.source.format ?? "?"})`,
    `  dimensions: ${a.dimensions.map(dim).join(", ")}`,
  ];
  if (a.selected.length > 0) {
    lines.push(
      `  selected: ${
        a.selected.map((s) => {
          const units = text(s.attributes, "units");
          const value = s.values ? ` (${s.values[s.index]}${units ? ` ${units}` : ""})` : "";
          return `${s.name}=${s.index}${value}`;
        }).join(", ")
      }`,
    );
  }
  const n = Object.keys(v.attributes).length + Object.keys(a.global).length;
  lines.push(`  attributes: ${n} stored (decompress -o OUT.nc restores them)`);
  return lines;
}
