/**
 * Single-thread throughput of the bounded block coder alone (no input parsing, no container):
 * `deno run -A bench/coder_speed.ts [DATA_DIR]`, where DATA_DIR holds the unpacked Debian data
 * packages of `../shared/DATA.md` (default /tmp/devdata/root/usr/share). Codes one block (at most
 * 256 snapshots) of toy1 and of each real field at 1e-3 of its range, best of 5, and prints a
 * markdown table: bits per value, encode and decode MB/s of float32 input.
 */
import { readNetcdf } from "../src/io/netcdf/mod.ts";
import { BlockCoder } from "../src/bounded/block_coder.ts";
import { toyOscillatory } from "../src/io/toy.ts";
import { benchBlock } from "./_peers.ts";

const root = Deno.args[0] ?? "/tmp/devdata/root/usr/share";
const F = `${root}/ferret-vis/data`, N = `${root}/ncarg/data/cdf`;
type Field = { data: Float32Array; shape: number[] };
const netcdf = (path: string, variable: string) => async (): Promise<Field> => {
  const f = await readNetcdf(path, { variable });
  return { data: Float32Array.from(f.data), shape: f.shape };
};
const sets: [string, () => Promise<Field>][] = [
  ["toy1", () => {
    const t = toyOscillatory({ snapshotCount: 500 });
    return Promise.resolve({ data: t.data, shape: [...t.shape] });
  }],
  ["levitus TEMP", netcdf(`${F}/levitus_climatology.cdf`, "TEMP")],
  ["esku SST", netcdf(`${F}/esku_heat_budget.cdf`, "SST")],
  ["Ustorm u", netcdf(`${N}/Ustorm.cdf`, "u")],
  ["sstdata sst", netcdf(`${N}/sstdata_netcdf.nc`, "sst")],
  ["mecca t", netcdf(`${N}/meccatemp.cdf`, "t")],
];
console.log("| data | block | MB | bits/value | encode MB/s | decode MB/s |");
console.log("|---|---|---|---|---|---|");
for (const [name, load] of sets) {
  let field: Field;
  try {
    field = await load();
  } catch (e) {
    console.log(`| ${name} | absent: ${(e as Error).message.slice(0, 60)} | | | | |`);
    continue;
  }
  const [T, H, W] = field.shape.length === 2 ? [1, ...field.shape] : field.shape;
  const n = Math.min(T, 256), x = field.data.subarray(0, n * H * W);
  const { params, missing } = benchBlock(x, [n, H, W], 1e-3);
  let enc = Infinity, dec = Infinity, bytes = 0;
  for (let r = 0; r < 5; r++) {
    const coder = new BlockCoder(params, missing);
    let t = performance.now();
    const streams = [];
    for (let k = 0; k < params.levels; k++) streams.push(coder.encodeLevel(x).bytes);
    enc = Math.min(enc, performance.now() - t);
    const decoder = new BlockCoder(params, missing);
    t = performance.now();
    for (const b of streams) decoder.decodeLevel(b);
    dec = Math.min(dec, performance.now() - t);
    bytes = streams.reduce((a, b) => a + b.length, 0);
  }
  const mb = x.length * 4 / 1e6;
  console.log(
    `| ${name} | ${n}x${H}x${W} | ${mb.toFixed(1)} | ${(bytes * 8 / x.length).toFixed(2)} | ${
      (mb / enc * 1000).toFixed(1)
    } | ${(mb / dec * 1000).toFixed(1)} |`,
  );
}
