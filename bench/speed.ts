/**
 * Whole-command speed of bounded coding against SZ3, HPEZ and SPERR (issue 17):
 *
 *   deno task bench:speed [--reps N] [--only NAME,...] [--data DIR] [--peers DIR]
 *
 * For toy1 (the CLI's toy, 500 x 127 x 127), toy1's equation at T = 2,000 (129 MB, the one input
 * large enough for the default thread count to use every core) and every field of
 * `../shared/DATA.md` (DIR holds the unpacked Debian data packages, default
 * /tmp/devdata/root/usr/share; 4-D variables with the CLI's `--select`: ocean_atlas TEMP at
 * depth index 0, nc4uvt at time 0 with its levels as T), at absolute bounds of 1e-3
 * and 1e-2 of the field's value range (max - min of its non-missing values), it times each
 * command as a user runs it, from process start to exit (`Deno.Command`, wall clock):
 *
 * - mrcae: `deno run -A cli.ts compress in.npy -o out.mrc --error-bound EB` (with `--threads 1`,
 *   and with the default thread count) and `deno run -A cli.ts decompress out.mrc -o out.npy`.
 *   `.npy` in and out, so that netCDF parsing is not what is measured; Deno's start-up and the
 *   module load are included, as for a user.
 * - SZ3 (`sz3 -f -M ABS`), HPEZ (QoZ 2.0, `qoz -f -q 4 -M ABS`) and SPERR (`sperr3d --pwe`) on
 *   raw little-endian float32 files of the same values, built by
 *   `../shared/peers/build_peers.sh` under DIR (default /tmp/sa-peers). A peer that is not built
 *   gets a note in its column.
 *
 * Missing values (land, fill values) are replaced by the mean of the field's other values, for
 * every tool alike, so that all of them code the same array. Every decoded output is read back
 * and its largest absolute error against that array checked against the bound. Repetitions are
 * interleaved (per field and bound, each repetition runs every tool once, in an order rotated per
 * repetition), and the table gives the minimum and the median. Writes bench/results/speed.json
 * and speed.md (only for a full run: not with `--only`).
 *
 * @module
 */
import { encodeNpy } from "../src/io/npy.ts";
import {
  type Field,
  fieldSources,
  fillMissing,
  flag,
  maxError,
  peerTools,
  timed,
  type Tool,
} from "./_peers.ts";

const REPS = Number(flag("--reps") ?? 3);
const ONLY = flag("--only")?.split(",");
const ROOT = flag("--data") ?? "/tmp/devdata/root/usr/share";
const PEERS = flag("--peers") ?? Deno.env.get("PEERS") ?? "/tmp/sa-peers";
const RELS = [1e-3, 1e-2];
if (!(Number.isInteger(REPS) && REPS >= 1)) throw new Error("--reps must be an integer >= 1");

const deno = Deno.execPath();
const mrcae = (name: string, threads: string[]): Tool => ({
  name,
  absent: undefined,
  input: "npy",
  output: "npy",
  compress: (i, o, _s, eb) => [deno, [
    "run",
    "-A",
    "cli.ts",
    "compress",
    i,
    "-o",
    o,
    "--error-bound",
    eb,
    ...threads,
    "--force",
    "--quiet",
  ]],
  decompress: (o, d) => [deno, ["run", "-A", "cli.ts", "decompress", o, "-o", d, "--force"]],
});
const TOOLS: Tool[] = [
  mrcae("mrcae --threads 1", ["--threads", "1"]),
  mrcae("mrcae (default threads)", []),
  ...await peerTools(PEERS),
];

/** One tool's measurement on one field at one bound. */
interface Row {
  field: string;
  shape: [number, number, number];
  missing: number;
  rel: number;
  bound: number;
  tool: string;
  note?: string;
  bytes?: number;
  ratio?: number;
  maxError?: number;
  withinBound?: boolean;
  compressSeconds?: number[];
  decompressSeconds?: number[];
}

const min = (x: number[]) => Math.min(...x);
const median = (x: number[]) => {
  const s = [...x].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const dir = await Deno.makeTempDir({ prefix: "mrcae-speed-" });
const rows: Row[] = [];
const startedAt = new Date().toISOString();
/** One-minute load averages, sampled before, between fields and after. */
const loads: number[] = [Deno.loadavg()[0]];
try {
  // Warm Deno's module cache, and measure the CLI's floor: start-up alone (`--help`), and a
  // compress and a decompress of a 2 x 9 x 9 field (start-up, module load, file I/O).
  const startup: number[] = [], floorC: number[] = [], floorD: number[] = [];
  await Deno.writeFile(
    `${dir}/tiny.npy`,
    encodeNpy(new Float32Array(162).map(Math.sin), [2, 9, 9]),
  );
  for (let r = 0; r < 3; r++) {
    startup.push(await timed(deno, ["run", "-A", "cli.ts", "--help"]));
    const [c, ca] = TOOLS[0].compress(`${dir}/tiny.npy`, `${dir}/tiny.mrc`, [2, 9, 9], "0.01");
    floorC.push(await timed(c, ca));
    const [d, da] = TOOLS[0].decompress(
      `${dir}/tiny.mrc`,
      `${dir}/tiny.out.npy`,
      [2, 9, 9],
      "0.01",
    );
    floorD.push(await timed(d, da));
  }
  console.error(
    `floor: --help ${min(startup).toFixed(3)} s, compress ${min(floorC).toFixed(3)} s, ` +
      `decompress ${min(floorD).toFixed(3)} s`,
  );
  const fields: Field[] = [];
  for (const [key, load] of fieldSources(ROOT)) {
    if (ONLY && !ONLY.some((o) => key.toLowerCase().includes(o.toLowerCase()))) continue;
    let f;
    try {
      f = await load();
    } catch (e) {
      console.error(`${key}: absent (${(e as Error).message.slice(0, 120)})`);
      rows.push({
        field: key,
        shape: [0, 0, 0],
        missing: 0,
        rel: 0,
        bound: 0,
        tool: "-",
        note: "absent",
      });
      continue;
    }
    fields.push(f);
  }
  for (const field of fields) {
    loads.push(Deno.loadavg()[0]);
    const { missing, min: lo, max: hi } = fillMissing(field.data);
    field.missing = missing;
    const npy = `${dir}/in.npy`, raw = `${dir}/in.raw`;
    await Deno.writeFile(npy, encodeNpy(field.data, [...field.shape]));
    await Deno.writeFile(
      raw,
      new Uint8Array(field.data.buffer, field.data.byteOffset, field.data.byteLength),
    );
    const mb = field.data.length * 4 / 1e6;
    for (const rel of RELS) {
      const bound = rel * (hi - lo);
      const eb = String(bound);
      const here = TOOLS.map((t): Row => ({
        field: field.name,
        shape: field.shape,
        missing,
        rel,
        bound,
        tool: t.name,
        ...(t.absent ? { note: t.absent } : { compressSeconds: [], decompressSeconds: [] }),
      }));
      for (let r = 0; r < REPS; r++) {
        for (let k = 0; k < TOOLS.length; k++) {
          const ti = (k + r) % TOOLS.length, tool = TOOLS[ti], row = here[ti];
          if (tool.absent || row.note) continue;
          // Each tool's compressed file under its own name; mrcae's CLI writes .mrc only.
          const out = `${dir}/out.${ti}.${tool.input === "npy" ? "mrc" : "bin"}`;
          const dec = `${dir}/dec.${ti}.${tool.output}`;
          try {
            const [c, ca] = tool.compress(tool.input === "npy" ? npy : raw, out, field.shape, eb);
            row.compressSeconds!.push(await timed(c, ca));
            const [d, da] = tool.decompress(out, dec, field.shape, eb);
            row.decompressSeconds!.push(await timed(d, da));
            if (r === 0) {
              row.bytes = (await Deno.stat(out)).size;
              row.ratio = mb * 1e6 / row.bytes;
              row.maxError = await maxError(dec, tool.output, field.data);
              row.withinBound = row.maxError <= bound;
            }
          } catch (e) {
            row.note = `failed: ${(e as Error).message.slice(0, 300)}`;
            console.error(`${field.name} ${rel} ${tool.name}: ${row.note}`);
          }
          await Deno.remove(dec).catch(() => {});
        }
      }
      for (const row of here) {
        rows.push(row);
        const c = row.compressSeconds, d = row.decompressSeconds;
        console.error(
          `${field.name} ${rel} ${row.tool}: ${
            row.note ??
              `${row.bytes} B, max err ${row.maxError!.toExponential(3)}${
                row.withinBound ? "" : " ABOVE THE BOUND"
              }, compress ${min(c!).toFixed(3)} s, decompress ${min(d!).toFixed(3)} s`
          }`,
        );
      }
    }
  }
  loads.push(Deno.loadavg()[0]);
  const result = {
    command: "deno task bench:speed",
    started: startedAt,
    deno: Deno.version.deno,
    cores: navigator.hardwareConcurrency,
    repetitions: REPS,
    loadAverage: { min: Math.min(...loads), max: Math.max(...loads), samples: loads },
    cliFloorSeconds: {
      help: { min: min(startup), median: median(startup) },
      compressTiny: { min: min(floorC), median: median(floorC) },
      decompressTiny: { min: min(floorD), median: median(floorD) },
    },
    missingValues: "replaced by the mean of the field's other values, for every tool",
    rows,
  };
  const md = table(rows, result);
  console.log(md);
  if (!ONLY) {
    const res = new URL("results/", import.meta.url);
    await Deno.writeTextFile(new URL("speed.json", res), JSON.stringify(result, null, 1) + "\n");
    await Deno.writeTextFile(new URL("speed.md", res), md);
    console.error("wrote bench/results/speed.json and speed.md");
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}

/** The markdown of a run: a summary per field and bound, then every row. */
function table(
  rows: Row[],
  run: { repetitions: number; cores: number; loadAverage: { min: number; max: number } } & {
    cliFloorSeconds: {
      help: { min: number };
      compressTiny: { min: number };
      decompressTiny: { min: number };
    };
  },
): string {
  const s = (x: number[] | undefined) => x?.length ? `${min(x).toFixed(min(x) < 1 ? 3 : 2)}` : "-";
  const fmtRatio = (r: Row | undefined) =>
    r?.note
      ? (r.note.startsWith("not built") ? "not built" : "failed")
      : r?.ratio?.toFixed(1) ?? "-";
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = `${r.field}|${r.rel}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: string[] = [];
  out.push(
    `Whole-command wall time (process start to exit), minimum of ${run.repetitions} interleaved ` +
      `repetitions, on ${run.cores} cores shared with other work (one-minute load average ` +
      `${run.loadAverage.min.toFixed(1)} to ${run.loadAverage.max.toFixed(1)} during the run). ` +
      `mrcae: \`deno run -A cli.ts ` +
      `compress in.npy\` / \`decompress -o out.npy\`, Deno's start-up and module load ` +
      `included (its floor: \`cli.ts --help\` ${run.cliFloorSeconds.help.min.toFixed(2)} s, ` +
      `compress of a 2 x 9 x 9 field ${run.cliFloorSeconds.compressTiny.min.toFixed(2)} s, ` +
      `its decompress ${run.cliFloorSeconds.decompressTiny.min.toFixed(2)} s); peers: raw ` +
      `float32 files. Missing values ` +
      `replaced by the field's mean for every tool. Bound = rel x (max - min). mrcae t1 = ` +
      `\`--threads 1\`; c = compress, d = decompress seconds; x SZ3 = mrcae t1's time / SZ3's.`,
    "",
    "| field | T x H x W | rel | ratio mrcae | SZ3 | HPEZ | SPERR | c mrcae t1 | c default | c SZ3 | c HPEZ | c SPERR | d mrcae | d SZ3 | d HPEZ | d SPERR | c x SZ3 | d x SZ3 |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const g of groups.values()) {
    const by = (name: string) => g.find((r) => r.tool.startsWith(name));
    const [m1, md, sz, hp, sp] = ["mrcae --threads 1", "mrcae (default", "SZ3", "HPEZ", "SPERR"]
      .map(by);
    if (!m1) continue;
    const x = (a?: number[], b?: number[]) =>
      a?.length && b?.length ? `${(min(a) / min(b)).toFixed(1)}` : "-";
    out.push(
      `| ${g[0].field} | ${g[0].shape.join("x")} | ${g[0].rel} | ${fmtRatio(m1)} | ${
        fmtRatio(sz)
      } | ${fmtRatio(hp)} | ${fmtRatio(sp)} | ${s(m1.compressSeconds)} | ${
        s(md?.compressSeconds)
      } | ${s(sz?.compressSeconds)} | ${s(hp?.compressSeconds)} | ${s(sp?.compressSeconds)} | ${
        s(m1.decompressSeconds)
      } | ${s(sz?.decompressSeconds)} | ${s(hp?.decompressSeconds)} | ${
        s(sp?.decompressSeconds)
      } | ${x(m1.compressSeconds, sz?.compressSeconds)} | ${
        x(m1.decompressSeconds, sz?.decompressSeconds)
      } |`,
    );
  }
  out.push(
    "",
    "Every row (seconds: min / median; MB/s of float32 input at the minimum; max error measured on the decoded output):",
    "",
    "| field | missing | rel | bound | tool | bytes | ratio | max error | within | compress s | decompress s | compress MB/s | decompress MB/s | c / SZ3 | d / SZ3 |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const g of groups.values()) {
    const sz = g.find((r) => r.tool === "SZ3");
    for (const r of g) {
      if (r.tool === "-") {
        out.push(`| ${r.field} | | | | | absent | | | | | | | | | |`);
        continue;
      }
      const mb = r.shape[0] * r.shape[1] * r.shape[2] * 4 / 1e6;
      const mm = (x?: number[]) =>
        x?.length ? `${min(x).toFixed(3)} / ${median(x).toFixed(3)}` : "-";
      const rate = (x?: number[]) => x?.length ? (mb / min(x)).toFixed(1) : "-";
      const vs = (a?: number[], b?: number[]) =>
        a?.length && b?.length ? (min(a) / min(b)).toFixed(2) : "-";
      out.push(
        `| ${r.field} | ${r.missing} | ${r.rel} | ${r.bound.toPrecision(4)} | ${r.tool} | ${
          r.note ?? r.bytes
        } | ${r.ratio?.toFixed(1) ?? "-"} | ${r.maxError?.toExponential(3) ?? "-"} | ${
          r.withinBound === undefined ? "-" : r.withinBound ? "yes" : "**no**"
        } | ${mm(r.compressSeconds)} | ${mm(r.decompressSeconds)} | ${rate(r.compressSeconds)} | ${
          rate(r.decompressSeconds)
        } | ${vs(r.compressSeconds, sz?.compressSeconds)} | ${
          vs(r.decompressSeconds, sz?.decompressSeconds)
        } |`,
      );
    }
  }
  return out.join("\n") + "\n";
}
