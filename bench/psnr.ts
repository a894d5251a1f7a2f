/**
 * Ratio at a matched PSNR against SZ3, HPEZ and SPERR (issue 20, item 7):
 *
 *   deno task bench:psnr [--only NAME,...] [--targets 40,50,60] [--data DIR] [--peers DIR]
 *
 * For toy1 and every field of `../shared/DATA.md` (bench/_peers.ts `fieldSources`, without the
 * T = 2,000 toy), at PSNR targets of 40, 50 and 60 dB (PSNR = 20 log10(range / RMSE), range =
 * max - min of the coded array, missing values replaced by the mean for every tool):
 *
 * - mrcae: `cli.ts compress in.npy --psnr P` (its own search for the largest bound that meets
 *   the target), then `decompress`; the PSNR is measured on the decoded output.
 * - each peer at an absolute bound, bracketed (factors of 4 from the bound a uniform quantizer
 *   would need) then bisected (14 steps, on a log scale) to the smallest file whose decoded PSNR
 *   meets the target, the way bench/run.ts tunes its peers.
 *
 * Ratios are of float32 input bytes to file bytes. Writes bench/results/psnr.json and psnr.md
 * (only for a full run: not with `--only`).
 *
 * @module
 */
import { encodeNpy } from "../src/io/npy.ts";
import {
  type Field,
  fieldSources,
  fillMissing,
  flag,
  peerTools,
  readDecoded,
  timed,
  type Tool,
} from "./_peers.ts";

const ONLY = flag("--only")?.split(",");
const ROOT = flag("--data") ?? "/tmp/devdata/root/usr/share";
const PEERS = flag("--peers") ?? Deno.env.get("PEERS") ?? "/tmp/sa-peers";
const TARGETS = (flag("--targets") ?? "40,50,60").split(",").map(Number);
if (TARGETS.some((t) => !(t > 0))) throw new Error("--targets must be positive numbers of dB");
const STEPS = 14;

/** PSNR of decoded values against `data`, with `range` the data's max - min. */
function psnr(decoded: ArrayLike<number>, data: Float32Array, range: number): number {
  if (decoded.length !== data.length) {
    throw new Error(`${decoded.length} values decoded, expected ${data.length}`);
  }
  let se = 0;
  for (let i = 0; i < data.length; i++) {
    const e = decoded[i] - data[i];
    se += e * e;
  }
  const rmse = Math.sqrt(se / data.length);
  return rmse === 0 ? Infinity : 20 * Math.log10(range / rmse);
}

/** One tool's result on one field at one target. */
interface Row {
  field: string;
  shape: [number, number, number];
  target: number;
  tool: string;
  note?: string;
  bytes?: number;
  ratio?: number;
  psnr?: number;
  /** The absolute bound that gave the file (the peers' bisection, mrcae's chosen one). */
  bound?: number;
  /** Compress-decompress runs it took. */
  runs?: number;
}

const deno = Deno.execPath();
const dir = await Deno.makeTempDir({ prefix: "mrcae-psnr-" });
const rows: Row[] = [];
const startedAt = new Date().toISOString();
const peers = await peerTools(PEERS);

/** Codes `field` with `tool` at bound `eb`: bytes and decoded PSNR. */
async function trial(
  tool: Tool,
  field: Field,
  input: string,
  range: number,
  eb: number,
): Promise<{ bytes: number; psnr: number }> {
  const out = `${dir}/out.bin`, dec = `${dir}/dec.${tool.output}`;
  const [c, ca] = tool.compress(input, out, field.shape, String(eb));
  await timed(c, ca);
  const [d, da] = tool.decompress(out, dec, field.shape, String(eb));
  await timed(d, da);
  const bytes = (await Deno.stat(out)).size;
  const p = psnr(await readDecoded(dec, tool.output), field.data, range);
  await Deno.remove(dec);
  return { bytes, psnr: p };
}

try {
  for (const [key, load] of fieldSources(ROOT)) {
    if (key === "toy1 T=2000") continue;
    if (ONLY && !ONLY.some((o) => key.toLowerCase().includes(o.toLowerCase()))) continue;
    let field: Field;
    try {
      field = await load();
    } catch (e) {
      console.error(`${key}: absent (${(e as Error).message.slice(0, 120)})`);
      continue;
    }
    const { min: lo, max: hi } = fillMissing(field.data);
    const range = hi - lo;
    const npy = `${dir}/in.npy`, raw = `${dir}/in.raw`;
    await Deno.writeFile(npy, encodeNpy(field.data, [...field.shape]));
    await Deno.writeFile(
      raw,
      new Uint8Array(field.data.buffer, field.data.byteOffset, field.data.byteLength),
    );
    const inputBytes = field.data.length * 4;
    for (const target of TARGETS) {
      // mrcae: its own --psnr search.
      const row: Row = { field: field.name, shape: field.shape, target, tool: "mrcae --psnr" };
      try {
        const out = `${dir}/out.mrc`, dec = `${dir}/dec.npy`;
        await timed(deno, [
          "run",
          "-A",
          "cli.ts",
          "compress",
          npy,
          "-o",
          out,
          "--psnr",
          String(target),
          "--force",
          "--quiet",
        ]);
        await timed(deno, ["run", "-A", "cli.ts", "decompress", out, "-o", dec, "--force"]);
        row.bytes = (await Deno.stat(out)).size;
        row.ratio = inputBytes / row.bytes;
        row.psnr = psnr(await readDecoded(dec, "npy"), field.data, range);
        row.runs = 1;
      } catch (e) {
        row.note = `failed: ${(e as Error).message.slice(0, 300)}`;
      }
      rows.push(row);
      // Peers: bisection on the log of the bound for the smallest file meeting the target.
      for (const tool of peers) {
        const r: Row = { field: field.name, shape: field.shape, target, tool: tool.name };
        if (tool.absent) {
          rows.push({ ...r, note: tool.absent });
          continue;
        }
        try {
          // Bracket from the bound a uniform quantizer needs (RMSE = eb / sqrt(3)): widen by 4x
          // until one bound meets the target and one 4x above it does not (a peer's errors can
          // be far below its bound), then bisect between them.
          const guess = Math.sqrt(3) * range * 10 ** (-target / 20);
          let best: { bytes: number; psnr: number; eb: number } | null = null;
          let runs = 0;
          const tryAt = async (eb: number) => {
            const t = await trial(tool, field, raw, range, eb);
            runs++;
            if (t.psnr >= target && (best === null || t.bytes < best.bytes)) best = { ...t, eb };
            return t.psnr >= target;
          };
          let good: number, bad: number;
          if (await tryAt(guess)) {
            good = Math.log(guess);
            for (bad = good + Math.log(4); await tryAt(Math.exp(bad)); bad += Math.log(4)) {
              good = bad;
              if (bad > Math.log(range * 1e3)) throw new Error("the target is met at any bound");
            }
          } else {
            bad = Math.log(guess);
            for (good = bad - Math.log(4); !(await tryAt(Math.exp(good))); good -= Math.log(4)) {
              bad = good;
              if (good < Math.log(range * 1e-9)) throw new Error("no bound meets the target");
            }
          }
          for (let s = 0; s < STEPS; s++) {
            const mid = (good + bad) / 2;
            if (await tryAt(Math.exp(mid))) good = mid;
            else bad = mid;
          }
          const found = best as { bytes: number; psnr: number; eb: number } | null;
          if (found === null) throw new Error("no bound met the target");
          rows.push({
            ...r,
            bytes: found.bytes,
            ratio: inputBytes / found.bytes,
            psnr: found.psnr,
            bound: found.eb,
            runs,
          });
        } catch (e) {
          rows.push({ ...r, note: `failed: ${(e as Error).message.slice(0, 300)}` });
        }
      }
      const here = rows.filter((x) => x.field === field.name && x.target === target);
      console.error(
        `${field.name} ${target} dB: ` +
          here.map((x) => `${x.tool} ${x.ratio?.toFixed(1) ?? x.note?.slice(0, 40)}`).join(", "),
      );
    }
  }
  const result = {
    command: "deno task bench:psnr",
    started: startedAt,
    deno: Deno.version.deno,
    cores: navigator.hardwareConcurrency,
    targets: TARGETS,
    bisectionSteps: STEPS,
    missingValues: "replaced by the mean of the field's other values, for every tool",
    rows,
  };
  const md = table(rows);
  console.log(md);
  if (!ONLY) {
    const res = new URL("results/", import.meta.url);
    await Deno.writeTextFile(new URL("psnr.json", res), JSON.stringify(result, null, 1) + "\n");
    await Deno.writeTextFile(new URL("psnr.md", res), md);
    console.error("wrote bench/results/psnr.json and psnr.md");
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}

/** The markdown: one line per field and target, the ratio of mrcae to the best peer. */
function table(rows: Row[]): string {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = `${r.field}|${r.target}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const cell = (r?: Row) =>
    r === undefined
      ? "-"
      : r.note
      ? (r.note.startsWith("not built") ? "not built" : "failed")
      : `${r.ratio!.toFixed(1)} (${r.psnr!.toFixed(1)})`;
  const out = [
    "Ratio (float32 bytes / file bytes) at a matched PSNR, with the PSNR reached in dB in " +
    "brackets. mrcae: `compress --psnr P` (its own search); peers: an absolute bound bracketed " +
    `by factors of 4, then bisected (${STEPS} steps) to the smallest file whose decoded PSNR meets P. Missing values replaced ` +
    "by the field's mean for every tool. mrcae / best: mrcae's ratio over the best peer's " +
    "(above 1: mrcae's file is smaller).",
    "",
    "| field | T x H x W | PSNR target | mrcae | SZ3 | HPEZ | SPERR | mrcae / best |",
    "|---|---|---|---|---|---|---|---|",
  ];
  const wins: number[] = [];
  for (const g of groups.values()) {
    const by = (name: string) => g.find((r) => r.tool.startsWith(name));
    const [m, sz, hp, sp] = ["mrcae", "SZ3", "HPEZ", "SPERR"].map(by);
    const peerRatios = [sz, hp, sp].filter((r) => r?.ratio !== undefined).map((r) => r!.ratio!);
    const best = peerRatios.length ? Math.max(...peerRatios) : undefined;
    const vs = m?.ratio !== undefined && best !== undefined ? m.ratio / best : undefined;
    if (vs !== undefined) wins.push(vs);
    out.push(
      `| ${g[0].field} | ${g[0].shape.join("x")} | ${g[0].target} | ${cell(m)} | ${cell(sz)} | ${
        cell(hp)
      } | ${cell(sp)} | ${vs?.toFixed(2) ?? "-"} |`,
    );
  }
  if (wins.length) {
    const sorted = [...wins].sort((a, b) => a - b);
    out.push(
      "",
      `mrcae / best peer over ${wins.length} points: min ${sorted[0].toFixed(2)}, median ${
        sorted[sorted.length >> 1].toFixed(2)
      }, max ${sorted[sorted.length - 1].toFixed(2)}; mrcae smaller on ${
        wins.filter((w) => w > 1).length
      }.`,
    );
  }
  return out.join("\n") + "\n";
}
