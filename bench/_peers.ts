/**
 * What the peer benches share (bench/speed.ts, bench/psnr.ts): the real fields of
 * `../shared/DATA.md` and toy1, the peers SZ3, HPEZ (QoZ 2.0) and SPERR as built by
 * `../shared/peers/build_peers.sh`, and running a command to its exit.
 *
 * @module
 */
import { readNetcdf } from "../src/io/netcdf/mod.ts";
import { parseNpy } from "../src/io/npy.ts";
import { toyOscillatory } from "../src/io/toy.ts";
import { scanValues } from "../src/encode/prepare.ts";
import type { BlockParams } from "../src/bounded/block_coder.ts";
import { defaultBoundedLevels } from "../src/bounded/plan.ts";

/** The value after `--name` on the command line, or undefined. */
export function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

/** The repository's root (commands run there). */
export const repo = new URL("..", import.meta.url).pathname;

/** One field, time first. */
export interface Field {
  name: string;
  data: Float32Array;
  shape: [number, number, number];
  /** Missing values replaced by the mean. */
  missing: number;
}

type Select = Record<string, number>;
const netcdf = (name: string, path: string, variable: string, select?: Select) => async () => {
  const f = await readNetcdf(path, { variable, select });
  const shape = (f.shape.length === 2 ? [1, ...f.shape] : f.shape) as [number, number, number];
  return { name, data: Float32Array.from(f.data), shape, missing: f.missing };
};
/**
 * The fields, by key, each loaded on demand: toy1 (500 snapshots), toy1's equation at T = 2,000,
 * and every field of `../shared/DATA.md` under `root` (the unpacked Debian data packages; 4-D
 * variables with a selection: ocean_atlas TEMP at depth index 0, nc4uvt at time 0 with its levels
 * as T).
 */
export function fieldSources(root: string): (readonly [string, () => Promise<Field>])[] {
  const F = `${root}/ferret-vis/data`, N = `${root}/ncarg/data/cdf`;
  return [
    ["toy1", () => {
      const t = toyOscillatory({ snapshotCount: 500 });
      return Promise.resolve({ name: "toy1", data: t.data, shape: t.shape, missing: 0 });
    }],
    // A larger input (DATA.md: for speed, stack fields or take a toy at large T): toy1's equation
    // sampled at 2,000 snapshots, 129 MB, 8 blocks, so that the default runs on every core.
    ["toy1 T=2000", () => {
      const t = toyOscillatory({ snapshotCount: 2000 });
      return Promise.resolve({ name: "toy1 T=2000", data: t.data, shape: t.shape, missing: 0 });
    }],
    ...[["levitus TEMP", "TEMP"], ["levitus SALT", "SALT"]].map(([name, v]) =>
      [name, netcdf(name, `${F}/levitus_climatology.cdf`, v)] as const
    ),
    ...["SST", "SAT", "SPD", "AT"].map((v) =>
      [`esku ${v}`, netcdf(`esku ${v}`, `${F}/esku_heat_budget.cdf`, v)] as const
    ),
    [
      "ocean_atlas TEMP",
      netcdf("ocean_atlas TEMP (depth 0)", `${F}/ocean_atlas_subset.nc`, "TEMP", { ZAXLEVIT19: 0 }),
    ],
    ...[["U", "u"], ["V", "v"], ["T", "t"], ["P", "p"]].map(([f, v]) =>
      [`${f}storm ${v}`, netcdf(`${f}storm ${v}`, `${N}/${f}storm.cdf`, v)] as const
    ),
    ["sstdata sst", netcdf("sstdata sst", `${N}/sstdata_netcdf.nc`, "sst")],
    ["mecca t", netcdf("mecca t", `${N}/meccatemp.cdf`, "t")],
    ...["T", "U", "V"].map((v) =>
      [
        `nc4uvt ${v}`,
        netcdf(`nc4uvt ${v} (levels as T)`, `${N}/nc4uvt.nc`, v, { time: 0 }),
      ] as const
    ),
  ];
}

/**
 * The fields of the coder design studies (bench/entropy_study.ts, bench/context_study.ts): toy1
 * and four real fields of `../shared/DATA.md` from smooth to rough, each coded as one block.
 */
export function studyFields(root: string): (readonly [string, () => Promise<Field>])[] {
  const keys = ["toy1", "levitus TEMP", "Ustorm u", "sstdata sst", "mecca t"];
  return fieldSources(root).filter(([key]) => keys.includes(key));
}

/**
 * One block of `data` (`n` x `H` x `W`) as the coder benches code it: default levels, key interval
 * 32, cubic, at `rel` of the range of its non-missing values; and its missing mask (null: none).
 */
export function benchBlock(
  data: Float32Array,
  [n, H, W]: readonly [number, number, number],
  rel: number,
): { params: BlockParams; missing: Uint8Array | null } {
  const s = scanValues(data, [n, H, W]);
  return {
    params: {
      n,
      H,
      W,
      levels: defaultBoundedLevels(H, W),
      keyInterval: 32,
      bound: rel * (s.max - s.min),
      cubic: true,
    },
    missing: s.missingCount > 0 ? s.missing : null,
  };
}

/** Replaces NaN by the mean of the other values; returns the count and the range. */
export function fillMissing(data: Float32Array): { missing: number; min: number; max: number } {
  let sum = 0, n = 0, min = Infinity, max = -Infinity;
  for (const v of data) {
    if (Number.isNaN(v)) continue;
    sum += v;
    n++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = Math.fround(sum / n);
  let missing = 0;
  for (let i = 0; i < data.length; i++) {
    if (Number.isNaN(data[i])) {
      data[i] = mean;
      missing++;
    }
  }
  return { missing, min, max };
}

/** Runs a command to its exit; wall-clock seconds from start to exit. */
export async function timed(command: string, argv: string[]): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(command, {
    args: argv,
    cwd: repo,
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - t0) / 1000;
  if (out.code !== 0) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
    throw new Error(`${command} ${argv.join(" ")}: exit ${out.code}: ${err}`);
  }
  return seconds;
}

/** A tool: how to compress `in` to `out` and decompress `out` to `dec`, and where it is. */
export interface Tool {
  name: string;
  /** Why it cannot run, or undefined. */
  absent: string | undefined;
  /** The input it reads. */
  input: "npy" | "raw";
  output: "npy" | "raw";
  compress(
    input: string,
    out: string,
    shape: [number, number, number],
    eb: string,
  ): [string, string[]];
  decompress(
    out: string,
    dec: string,
    shape: [number, number, number],
    eb: string,
  ): [string, string[]];
}

export const exists = async (p: string) => await Deno.stat(p).then((s) => s.isFile, () => false);
/** A peer's dimensions argument, fastest first. */
export const dims = ([T, H, W]: [number, number, number]) => [`${W}`, `${H}`, `${T}`];
const notBuilt = async (path: string) =>
  await exists(path) ? undefined : `not built (${path}: run ../shared/peers/build_peers.sh)`;

/**
 * SZ3 (`sz3 -f -M ABS`), HPEZ (QoZ 2.0, `qoz -f -q 4 -M ABS`) and SPERR (`sperr3d --pwe`) at an
 * absolute bound, on raw little-endian float32 files, built under `peers`; one that is not built
 * says so in `absent`.
 */
export async function peerTools(peers: string): Promise<Tool[]> {
  const SZ3 = `${peers}/sz3-install/bin/sz3`;
  const QOZ = `${peers}/qoz-install/bin/qoz`;
  const SPERR = `${peers}/SPERR/build2/bin/sperr3d`;
  return [
    {
      name: "SZ3",
      absent: await notBuilt(SZ3),
      input: "raw",
      output: "raw",
      compress: (i, o, s, eb) => [SZ3, ["-f", "-i", i, "-z", o, "-3", ...dims(s), "-M", "ABS", eb]],
      decompress: (
        o,
        d,
        s,
        eb,
      ) => [SZ3, ["-f", "-z", o, "-o", d, "-3", ...dims(s), "-M", "ABS", eb]],
    },
    {
      name: "HPEZ (QoZ -q 4)",
      absent: await notBuilt(QOZ),
      input: "raw",
      output: "raw",
      compress: (i, o, s, eb) => [QOZ, [
        "-f",
        "-q",
        "4",
        "-i",
        i,
        "-z",
        o,
        "-3",
        ...dims(s),
        "-M",
        "ABS",
        eb,
      ]],
      decompress: (o, d, s, eb) => [QOZ, [
        "-f",
        "-q",
        "4",
        "-z",
        o,
        "-o",
        d,
        "-3",
        ...dims(s),
        "-M",
        "ABS",
        eb,
      ]],
    },
    {
      name: "SPERR",
      absent: await notBuilt(SPERR),
      input: "raw",
      output: "raw",
      compress: (i, o, s, eb) => [SPERR, [
        "-c",
        "--ftype",
        "32",
        "--dims",
        ...dims(s),
        "--pwe",
        eb,
        "--bitstream",
        o,
        i,
      ]],
      decompress: (o, d) => [SPERR, ["-d", "--decomp_f", d, o]],
    },
  ];
}

/** A tool's decoded output: a `.npy` file, or raw little-endian float32. */
export async function readDecoded(path: string, kind: "npy" | "raw"): Promise<ArrayLike<number>> {
  const bytes = await Deno.readFile(path);
  if (kind === "npy") return parseNpy(bytes).data;
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
}

/** Largest absolute error of a decoded output against the coded array. */
export async function maxError(
  path: string,
  kind: "npy" | "raw",
  data: Float32Array,
): Promise<number> {
  const decoded = await readDecoded(path, kind);
  if (decoded.length !== data.length) {
    throw new Error(`${path}: ${decoded.length} values, expected ${data.length}`);
  }
  let m = 0;
  for (let i = 0; i < data.length; i++) {
    const e = Math.abs(decoded[i] - data[i]);
    if (!(e <= m)) m = e; // NaN wins
  }
  return m;
}
