/**
 * The predictors' ablation (issue 20): bytes of every bounded file with `--predictor cubic`,
 * `linear`, `learned` and `auto`, relative to cubic, and the seconds each took (one thread, the
 * whole `compress()`: for learned and auto the first coding, the fit and the second coding), on
 * the real fields of `../shared/DATA.md` and the toys, at 1e-2, 1e-3 and 1e-4 of the range.
 * Every file is decoded and checked against the bound on its finest level.
 *
 * `deno run -A bench/learned.ts [DATA_DIR] [--out bench/results/learned]`, DATA_DIR holding the
 * unpacked Debian data packages (default /tmp/devdata/root/usr/share). Writes `.md` and `.json`.
 */
import { compress, openMrc } from "../mod.ts";
import type { Predictor } from "../src/encode/compress.ts";
import { readNetcdf } from "../src/io/netcdf/mod.ts";
import { toyDrifting, toyOscillatory } from "../src/io/toy.ts";

const args = Deno.args.filter((a) => !a.startsWith("--"));
const outAt = Deno.args.indexOf("--out");
const out = outAt >= 0 ? Deno.args[outAt + 1] : "bench/results/learned";
const root = args[0] && args[0] !== out ? args[0] : "/tmp/devdata/root/usr/share";
const F = `${root}/ferret-vis/data`, N = `${root}/ncarg/data/cdf`;

type Field = { data: Float32Array; shape: number[] };
const netcdf =
  (path: string, variable: string, select?: Record<string, number>) => async (): Promise<Field> => {
    const f = await readNetcdf(path, { variable, select });
    return { data: Float32Array.from(f.data), shape: f.shape };
  };
const SETS: [string, () => Promise<Field>][] = [
  ["toy1 (oscillatory) 200x127x127", () => {
    const t = toyOscillatory({ snapshotCount: 200 });
    return Promise.resolve({ data: t.data, shape: [...t.shape] });
  }],
  ["toy2 (drifting) 200x127x127", () => {
    const t = toyDrifting({ snapshotCount: 200 });
    return Promise.resolve({ data: t.data, shape: [...t.shape] });
  }],
  ["levitus TEMP", netcdf(`${F}/levitus_climatology.cdf`, "TEMP")],
  ["levitus SALT", netcdf(`${F}/levitus_climatology.cdf`, "SALT")],
  ["esku SST", netcdf(`${F}/esku_heat_budget.cdf`, "SST")],
  ["esku SAT", netcdf(`${F}/esku_heat_budget.cdf`, "SAT")],
  ["esku SPD", netcdf(`${F}/esku_heat_budget.cdf`, "SPD")],
  ["esku AT", netcdf(`${F}/esku_heat_budget.cdf`, "AT")],
  ["ocean atlas TEMP (level 0)", netcdf(`${F}/ocean_atlas_subset.nc`, "TEMP", { ZAXLEVIT19: 0 })],
  ["Ustorm u", netcdf(`${N}/Ustorm.cdf`, "u")],
  ["Vstorm v", netcdf(`${N}/Vstorm.cdf`, "v")],
  ["Tstorm t", netcdf(`${N}/Tstorm.cdf`, "t")],
  ["Pstorm p", netcdf(`${N}/Pstorm.cdf`, "p")],
  ["sstdata sst", netcdf(`${N}/sstdata_netcdf.nc`, "sst")],
  ["mecca t", netcdf(`${N}/meccatemp.cdf`, "t")],
  ["nc4uvt T (time 0)", netcdf(`${N}/nc4uvt.nc`, "T", { time: 0 })],
  ["nc4uvt U (time 0)", netcdf(`${N}/nc4uvt.nc`, "U", { time: 0 })],
  ["nc4uvt V (time 0)", netcdf(`${N}/nc4uvt.nc`, "V", { time: 0 })],
];
const PREDICTORS: Predictor[] = ["cubic", "linear", "learned", "auto"];
const RELS = [1e-2, 1e-3, 1e-4];

interface Row {
  data: string;
  shape: number[];
  rel: number;
  bytes: Record<string, number>;
  seconds: Record<string, number>;
  learnedLevels: number;
}
const rows: Row[] = [];
for (const [name, load] of SETS) {
  let field: Field;
  try {
    field = await load();
  } catch (e) {
    console.error(`${name}: absent (${(e as Error).message.slice(0, 80)})`);
    continue;
  }
  for (const rel of RELS) {
    const row: Row = {
      data: name,
      shape: field.shape,
      rel,
      bytes: {},
      seconds: {},
      learnedLevels: 0,
    };
    for (const predictor of PREDICTORS) {
      const t0 = performance.now();
      const bytes = await compress(field.data, field.shape, {
        relErrorBound: rel,
        predictor,
        threads: 1,
        reproducible: true,
      });
      row.seconds[predictor] = (performance.now() - t0) / 1000;
      row.bytes[predictor] = bytes.length;
      const file = await openMrc(bytes);
      const eb = file.header.bound!.abs;
      const d = await file.decode();
      for (let i = 0; i < field.data.length; i++) {
        const x = field.data[i];
        if (!Number.isNaN(x) && !(Math.abs(d.data[i] - x) <= eb)) {
          throw new Error(
            `${name} ${rel} ${predictor}: value ${i} off by ${d.data[i] - x} > ${eb}`,
          );
        }
      }
      if (predictor === "auto" && file.header.bound!.interpolation === "learned") {
        row.learnedLevels = 1;
      }
    }
    rows.push(row);
    const pc = (p: string) => `${p} ${(100 * (row.bytes[p] / row.bytes.cubic - 1)).toFixed(1)}%`;
    console.error(
      `${name} ${rel}: cubic ${row.bytes.cubic} B, ${PREDICTORS.slice(1).map(pc).join(", ")}`,
    );
  }
}

const pct = (a: number, b: number) => `${a < b ? "" : "+"}${(100 * (a / b - 1)).toFixed(1)}%`;
const lines = [
  "# Predictors: cubic, linear, learned, auto (issue 20)",
  "",
  "`deno run -A bench/learned.ts` on this machine (2 cores, shared; one thread per compress, so the",
  "seconds are indicative), bounded coding, default levels, key interval 32, `--reproducible`. Bytes",
  "of the whole file; the percentages are against cubic (the default). Every file's finest level was",
  "decoded and checked against the bound. `auto` codes each block with cubic, fits filters on that",
  "coding's reconstruction, codes it again, and keeps the smaller.",
  "",
  "| data | rel. bound | cubic B | linear | learned | auto | s cubic | s auto | auto learned |",
  "|---|---|---|---|---|---|---|---|---|",
  ...rows.map((r) =>
    `| ${r.data} | ${r.rel} | ${r.bytes.cubic} | ${pct(r.bytes.linear, r.bytes.cubic)} | ${
      pct(r.bytes.learned, r.bytes.cubic)
    } | ${pct(r.bytes.auto, r.bytes.cubic)} | ${r.seconds.cubic.toFixed(2)} | ${
      r.seconds.auto.toFixed(2)
    } | ${r.learnedLevels ? "yes" : "no"} |`
  ),
];
const autoGain = rows.map((r) => r.bytes.auto / r.bytes.cubic);
const timeRatio = rows.map((r) => r.seconds.auto / r.seconds.cubic);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
lines.push(
  "",
  `auto against cubic: median ${pct(median(autoGain), 1)}, best ${
    pct(Math.min(...autoGain), 1)
  }, ` +
    `worst ${pct(Math.max(...autoGain), 1)}; auto's time: median ${
      median(timeRatio).toFixed(1)
    }x cubic's.`,
);
await Deno.mkdir(out.split("/").slice(0, -1).join("/") || ".", { recursive: true });
await Deno.writeTextFile(`${out}.md`, lines.join("\n") + "\n");
await Deno.writeTextFile(`${out}.json`, JSON.stringify(rows, null, 1) + "\n");
console.log(lines.join("\n"));
