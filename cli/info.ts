/**
 * `cli.ts info IN.mrc`: shape, levels, bytes and errors, after verifying every chunk.
 *
 * @module
 */

import { formatBytes, parseBytes, parseCommand } from "./_args.ts";
import { checkInputFile, cliMessage, isUrl, openCollectionFile } from "./_files.ts";
import type { MrcFile } from "../src/read/mrc_file.ts";
import { printable, printableJson } from "./_text.ts";
import { isBounded } from "../format/header.ts";

/** Help text of the command. */
export const HELP = `Usage: cli.ts info IN.mrc|URL [--json] [--max-bytes N]

Prints shape, levels (extent, bytes, errors) and bytes per chunk kind after verifying every
chunk's checksum and, for bounded files, decoding every level. Exits 1 if the file is corrupt.
Bounded files show their bound; model-coded files their mask coverage. Measured errors come from
the file's report when it has one (files of other writers show "-"). IN may be an http(s) URL
(run with --allow-net), read with range requests. Text from the file (names, units, attributes)
is printed with control characters escaped (\x1b, \u202e). For a netCDF file, lists its
variables as 'ls' does.

Options:
  --json                print JSON instead of text
  --max-bytes N         most memory a decode may hold (default 1G), e.g. 4G, 512M, 64MiB`;

/** Runs the command. */
export async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseCommand({
    args,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      "max-bytes": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return void console.log(HELP);
  if (positionals.length !== 1) throw new Error("info takes one IN.mrc file (see --help)");
  const name = positionals[0];
  const maxBytes = parseBytes(values["max-bytes"], "max-bytes");
  // A netCDF file: its variables, as `ls` lists them (`--json` is for .mrc files).
  if (!isUrl(name) && !values.json) {
    // Checked before it is opened: a named pipe would block the open.
    await checkInputFile(name);
    const { isNetcdf } = await import("./_netcdf.ts");
    if (await isNetcdf(name)) {
      const { printVariables } = await import("./ls.ts");
      return await printVariables(name);
    }
  }
  await using collection = await openCollectionFile(name, { maxBytes });
  // Every line goes through `printable`: the strings in it come from the file.
  const say = (line: string) => console.log(printable(line));
  if (!collection.isCollection) {
    const v = collection.variables[0];
    const { summary, lines } = await describeFile(name, name, await collection.open(v.name));
    if (values.json) return void console.log(printableJson(JSON.stringify(summary, null, 2)));
    for (const line of lines) say(line);
    return;
  }
  // A collection: each part verified and described as a file of its own.
  const variables = [];
  const blocks: string[][] = [];
  for (const v of collection.variables) {
    const layers = [];
    for (let k = 0; k < v.parts.length; k++) {
      try {
        await collection.checkPart(v.parts[k]);
      } catch (e) {
        throw new Error(`${name}: ${cliMessage(e)}`, { cause: e });
      }
      const label = v.layer === null
        ? `variable "${v.name}"`
        : `variable "${v.name}", layer ${k} of ${v.parts.length} along ${v.layer}`;
      const { summary, lines } = await describeFile(name, label, await collection.open(v.name, k));
      layers.push(summary);
      blocks.push(lines);
    }
    variables.push({ name: v.name, layer: v.layer, parts: v.parts, layers });
  }
  if (values.json) {
    const summary = {
      file: name,
      collection: true,
      version: `${collection.version.major}.${collection.version.minor}`,
      totalBytes: collection.byteLength,
      variables,
    };
    return void console.log(printableJson(JSON.stringify(summary, null, 2)));
  }
  const parts = collection.variables.reduce((n, v) => n + v.parts.length, 0);
  const { describeVariables } = await import("../src/read/collection.ts");
  say(
    `${name}: ${
      formatBytes(collection.byteLength)
    }, a collection (format ${collection.version.major}.${collection.version.minor}) of ${collection.variables.length} variable${
      collection.variables.length === 1 ? "" : "s"
    } in ${parts} part${parts === 1 ? "" : "s"}: ${describeVariables(collection.variables)}`,
  );
  for (const lines of blocks) for (const line of lines) say(`  ${line}`);
}

/**
 * Verifies one file (or part of a collection) and describes it: the JSON summary and the lines
 * of text (not yet made printable).
 */
async function describeFile(
  name: string,
  label: string,
  file: MrcFile,
): Promise<{ summary: Record<string, unknown>; lines: string[] }> {
  try {
    await file.verify();
  } catch (e) {
    throw new Error(`${name}: ${cliMessage(e)}`, { cause: e });
  }
  const h = file.header;
  const report = file.report;
  const attributes = await file.readAttributes();
  const coverage: number[][] = [];
  for (let k = 0; k < file.levelCount; k++) coverage.push(await file.maskCoverage(k));
  const kinds: Record<string, number> = {};
  for (const c of file.chunks) kinds[c.type] = (kinds[c.type] ?? 0) + c.length;
  const raw = h.shape[0] * h.shape[1] * h.shape[2] * 4;
  const summary = {
    file: name,
    version: `${file.version.major}.${file.version.minor}`,
    shape: h.shape,
    inputShape: file.inputShape,
    dtype: h.dtype,
    grid: h.grid,
    crop: h.crop,
    totalBytes: file.totalBytes,
    ratio: raw / file.totalBytes,
    missing: h.missing,
    coding: h.coding ?? "model",
    bound: h.bound
      ? {
        ...h.bound,
        rel: report?.mode === "bounded" ? report.bound.rel : null,
        requested: report?.mode === "bounded" ? report.bound.requested : null,
      }
      : null,
    backend: report && report.mode !== "bounded" ? report.backend : null,
    trainSeconds: report && report.mode !== "bounded" ? report.trainSeconds ?? null : null,
    levels: file.levels.map((l, k) => ({
      level: l.level,
      bound: l.bound,
      extent: l.extent,
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
    chunks: file.chunks,
    attributes,
  };
  const lines: string[] = [];
  const say = (line: string) => void lines.push(line);
  say(
    `${label}: ${
      formatBytes(file.totalBytes)
    }, format ${summary.version}, all ${file.chunks.length} chunks verified`,
  );
  say(
    `  shape ${h.shape.join(" x ")} (${h.dtype}), stored grid ${h.grid.join("x")}, ratio ${
      summary.ratio.toFixed(1)
    } vs float32`,
  );
  if (attributes) {
    const { describeAttributes } = await import("./_netcdf.ts");
    for (const line of describeAttributes(attributes)) say(line);
  }
  if (h.missing.mode !== "none") {
    say(`  missing values: ${h.missing.count} (${h.missing.mode})`);
  }
  if (isBounded(h)) {
    const bound = h.bound!;
    const rel = report?.mode === "bounded" && report.bound.rel !== null
      ? ` (${Number(report.bound.rel.toPrecision(3))} of the range)`
      : "";
    say(
      // The bound and the maxima at full precision (shortest round trip): rounded, a maximum
      // could read as above the bound.
      `  bounded: every level within ${bound.abs}${rel}, key interval ${bound.keyInterval}, ${bound.interpolation} interpolation, blocks of ${h.blockSize}`,
    );
    if (!report) say("  no compression report (measured errors unknown)");
  } else if (report && report.mode !== "bounded") {
    say(
      `  trained on ${report.backend}${
        report.trainSeconds === undefined ? "" : ` in ${report.trainSeconds.toFixed(1)} s`
      }, seed ${report.seed}`,
    );
  } else {
    say("  no compression report (errors unknown)");
  }
  say(
    `  level  extent    bytes      rmse        psnr      max abs${
      isBounded(h) ? "" : "     mask coverage per group"
    }`,
  );
  const dash = (width: number) => "-".padEnd(width);
  for (const l of summary.levels) {
    const row = `  ${String(l.level).padEnd(5)}  ${`${l.extent[0]}x${l.extent[1]}`.padEnd(8)}  ${
      formatBytes(l.bytes).padEnd(9)
    }  ${l.rmse === null ? dash(10) : l.rmse.toExponential(3)}  ${
      l.psnr === null ? dash(8) : (l.psnr.toFixed(2) + " dB").padEnd(8)
    }  ${l.maxAbsError === null ? dash(10) : String(l.maxAbsError).padEnd(10)}  ${
      l.maskCoverage.map((c, i) => `g${i} ${(100 * c).toFixed(1)}% (${l.groups[i]}ch)`).join(", ")
    }`;
    say(row.trimEnd());
  }
  say(
    `  bytes by kind: ${
      Object.entries(kinds).map(([k, v]) => `${k} ${formatBytes(v)}`).join(", ")
    }`,
  );
  return { summary, lines };
}
