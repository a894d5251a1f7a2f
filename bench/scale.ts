/**
 * Scaling of large inputs (issue 21): compress time and peak resident memory for T = 1,000,
 * 10,000 (and 50,000) snapshots of the paper's 127 x 127 toy (`src/io/toy.ts`, toy 1's equation,
 * t uniform on [0, 8 pi]), at an absolute bound of 1e-3:
 *
 *   deno run -A bench/scale.ts [--t 1000,10000,50000] [--dir DIR] [--merge-t N]
 *
 * - one process: `cli.ts compress x.npy --stream` (the default thread count: every core);
 * - in memory (today's path, `--threads` default), for the T where the input fits comfortably;
 * - Dask: `examples/dask_shards.py` with 2 workers (a LocalCluster), 2 shards, `--threads 1` each,
 *   then `merge` (skipped with a note where Dask is not installed).
 *
 * Each command runs as a user runs it (process start to exit); peak RSS is the process's
 * `ru_maxrss` (GNU time's `%M`; for Dask, the largest compress process, and the merge). The
 * merged file is compared with the one-process file byte for byte. A last part times `merge`
 * alone on shards of a noise field (coded bytes near 1.5 per value), where the copying is what
 * is measured (`--merge-t 0` skips it). Writes bench/results/scale.json and scale.md, keeping the
 * rows (and the merge) of earlier runs that this one does not redo.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { encodeNpy, encodeNpyHeader } from "../src/io/npy.ts";

const root = new URL("../", import.meta.url).pathname;
const cli = `${root}cli.ts`;
const { values } = parseArgs({
  args: Deno.args,
  options: {
    t: { type: "string", default: "1000,10000,50000" },
    dir: { type: "string", default: "/tmp/mrcae-scale" },
    "merge-t": { type: "string", default: "3000" },
    "in-memory-max": { type: "string", default: "10000" },
  },
});
const sizes = values.t === "" ? [] : values.t.split(",").map(Number);
const dir = values.dir;
await Deno.mkdir(dir, { recursive: true });
const N = 127;
const BOUND = "1e-3";

/** Writes toy 1 (eq. 4.1-4.2 of the paper) with T snapshots as .npy, a slab at a time. */
async function writeToy(path: string, T: number): Promise<void> {
  if (await Deno.stat(path).then((s) => s.size > 0, () => false)) return;
  const bytes = encodeNpyHeader([T, N, N], "float32");
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    await file.write(bytes);
    const s0 = 10, s1 = 0.25, w0 = 0.5, w1 = 4;
    const u = new Float64Array(N * N), v = new Float64Array(N * N);
    for (let i = 0; i < N; i++) {
      const y = -5 + (10 * i) / (N - 1);
      for (let j = 0; j < N; j++) {
        const x = -5 + (10 * j) / (N - 1);
        u[i * N + j] = Math.cosh((x + 1) / s0) * Math.cosh((y - 1) / s0);
        v[i * N + j] = Math.exp(-((x - 1) ** 2 + (y + 1) ** 2) / (2 * s1 * s1)) /
          Math.sqrt(2 * Math.PI * s1);
      }
    }
    const slab = 256;
    for (let t0 = 0; t0 < T; t0 += slab) {
      const n = Math.min(slab, T - t0);
      const data = new Float32Array(n * N * N);
      for (let t = 0; t < n; t++) {
        const time = (8 * Math.PI * (t0 + t)) / (T - 1);
        const a = Math.cos(w0 * time), b = Math.cos(w1 * time + Math.PI / 4);
        for (let p = 0; p < N * N; p++) data[t * N * N + p] = u[p] * a + v[p] * b;
      }
      const out = new Uint8Array(data.buffer);
      for (let off = 0; off < out.length;) off += await file.write(out.subarray(off));
    }
  } finally {
    file.close();
  }
}

/** Runs a command under GNU time: wall seconds, peak RSS (MiB), output. */
async function timed(cmd: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "TIME %e %M", ...cmd],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  const stdout = new TextDecoder().decode(out.stdout);
  const m = /TIME ([\d.]+) (\d+)\s*$/.exec(stderr);
  if (!out.success || !m) throw new Error(`${cmd.join(" ")} failed: ${stderr}`);
  return { seconds: Number(m[1]), rssMiB: Number(m[2]) / 1024, stdout, stderr };
}

const python = await (async () => {
  for (const p of ["python3", "/usr/bin/python3"]) {
    const ok = await new Deno.Command(p, {
      args: ["-c", "import dask.distributed"],
      stderr: "null",
    })
      .output().then((o) => o.success, () => false);
    if (ok) return p;
  }
  return null;
})();
if (python === null) console.log("note: Dask (python3-distributed) not found: no Dask column");

const same = async (a: string, b: string) => {
  const [x, y] = [await Deno.readFile(a), await Deno.readFile(b)];
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

interface Row {
  T: number;
  inputMB: number;
  fileMB: number;
  stream: { seconds: number; rssMiB: number };
  inMemory: { seconds: number; rssMiB: number } | null;
  dask:
    | { seconds: number; shardRssMiB: number; mergeRssMiB: number; mergeSeconds: number }
    | null;
  identical: boolean | null;
}
const rows: Row[] = [];
for (const T of sizes) {
  const input = `${dir}/toy-${T}.npy`;
  console.log(`T = ${T}: writing ${input}`);
  await writeToy(input, T);
  const common = ["--error-bound", BOUND, "--reproducible", "--quiet", "--force"];
  const stream = await timed([
    Deno.execPath(),
    "run",
    "-A",
    cli,
    "compress",
    input,
    "-o",
    `${dir}/one-${T}.mrc`,
    "--stream",
    ...common,
  ]);
  console.log(`  one process, streamed: ${stream.seconds} s, ${stream.rssMiB.toFixed(0)} MiB`);
  let inMemory = null;
  if (T <= Number(values["in-memory-max"])) {
    inMemory = await timed([
      Deno.execPath(),
      "run",
      "-A",
      cli,
      "compress",
      input,
      "-o",
      `${dir}/mem-${T}.mrc`,
      ...common,
    ]);
    console.log(`  in memory: ${inMemory.seconds} s, ${inMemory.rssMiB.toFixed(0)} MiB`);
  }
  let dask = null, identical = null;
  if (python !== null) {
    const start = performance.now();
    const r = await new Deno.Command(python, {
      args: [
        `${root}examples/dask_shards.py`,
        input,
        "-o",
        `${dir}/dask-${T}.mrc`,
        "--shards",
        "2",
        "--workers",
        "2",
        "--",
        "--error-bound",
        BOUND,
        "--reproducible",
        "--threads",
        "1",
      ],
      stdout: "piped",
      stderr: "piped",
      env: { DENO: Deno.execPath() },
    }).output();
    const seconds = (performance.now() - start) / 1000;
    const text = new TextDecoder().decode(r.stdout);
    if (!r.success) throw new Error(`dask: ${new TextDecoder().decode(r.stderr)}`);
    const m =
      /in ([\d.]+) s, merged in ([\d.]+) s: .* \(peak RSS: shards (\d+) MiB, merge (\d+) MiB\)/
        .exec(text);
    dask = {
      seconds,
      mergeSeconds: Number(m![2]),
      shardRssMiB: Number(m![3]),
      mergeRssMiB: Number(m![4]),
    };
    identical = await same(`${dir}/dask-${T}.mrc`, `${dir}/one-${T}.mrc`);
    console.log(`  dask: ${seconds.toFixed(1)} s, identical ${identical}; ${text.trim()}`);
  }
  rows.push({
    T,
    inputMB: T * N * N * 4 / 1e6,
    fileMB: (await Deno.stat(`${dir}/one-${T}.mrc`)).size / 1e6,
    stream: { seconds: stream.seconds, rssMiB: stream.rssMiB },
    inMemory: inMemory && { seconds: inMemory.seconds, rssMiB: inMemory.rssMiB },
    dask,
    identical,
  });
}

// Merge alone: shards of a noise field, so that there are bytes to copy.
const MT = Number(values["merge-t"]);
const resultsPath = `${root}bench/results/scale.json`;
const previous = await Deno.readTextFile(resultsPath).then(JSON.parse, () => null);
let merge = previous?.merge ?? null;
if (MT > 0) {
  const noise = `${dir}/noise-${MT}.npy`;
  if (!(await Deno.stat(noise).then(() => true, () => false))) {
    let s = 12345;
    const x = new Float32Array(MT * N * N);
    for (let i = 0; i < x.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      x[i] = s / 2 ** 32;
    }
    await Deno.writeFile(noise, encodeNpy(x, [MT, N, N]));
  }
  const shards: string[] = [];
  for (let i = 0; i < 4; i++) {
    const out = `${dir}/noise-${MT}-shard-${i}.mrc`;
    if (!(await Deno.stat(out).then(() => true, () => false))) {
      await timed([
        Deno.execPath(),
        "run",
        "-A",
        cli,
        "compress",
        noise,
        "-o",
        out,
        "--shard",
        `${i}/4`,
        "--error-bound",
        "1e-3",
        "--quiet",
        "--force",
      ]);
    }
    shards.push(out);
  }
  const shardBytes = (await Promise.all(shards.map((p) => Deno.stat(p)))).reduce(
    (a, s) => a + s.size,
    0,
  );
  // In memory (tmpfs) where there is one, so that the disk is not what is measured; a plain
  // `cat` of the same files is the baseline.
  const shm = await Deno.stat("/dev/shm").then((s) => s.isDirectory, () => false);
  const where = shm ? "/dev/shm/mrcae-scale-merge" : dir;
  await Deno.mkdir(where, { recursive: true });
  const copies: string[] = [];
  for (const [i, p] of shards.entries()) {
    copies.push(`${where}/shard-${i}.mrc`);
    await Deno.copyFile(p, copies[i]);
  }
  const runs = [], cats = [];
  for (let rep = 0; rep < 5; rep++) {
    const m = await timed([
      Deno.execPath(),
      "run",
      "-A",
      cli,
      "merge",
      ...copies,
      "-o",
      `${where}/merged.mrc`,
      "--force",
    ]);
    const inside = Number(/\((\d+) MB\/s\)/.exec(m.stdout)![1]);
    runs.push({ seconds: m.seconds, rssMiB: m.rssMiB, mbPerSecond: inside });
    const c = await timed(["sh", "-c", `cat ${copies.join(" ")} > ${where}/cat.bin`]);
    cats.push(shardBytes / 1e6 / Math.max(c.seconds, 0.01));
    console.log(
      `merge of ${
        (shardBytes / 1e6).toFixed(0)
      } MB: ${m.seconds} s (process), ${inside} MB/s (merge itself), ${
        m.rssMiB.toFixed(0)
      } MiB; cat ${cats[rep].toFixed(0)} MB/s`,
    );
  }
  await Deno.remove(where, { recursive: true }).catch(() => {});
  merge = { T: MT, shards: 4, shardBytes, tmpfs: shm, runs, catMBps: cats };
}
for (const r of previous?.rows ?? []) if (!rows.some((x) => x.T === r.T)) rows.push(r);
rows.sort((a, b) => a.T - b.T);

const cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1] ?? "?";
const result = {
  machine: { cpu, cores: navigator.hardwareConcurrency, note: "shared with other jobs" },
  bound: Number(BOUND),
  rows,
  merge,
};
await Deno.writeTextFile(resultsPath, JSON.stringify(result, null, 1) + "\n");
const f = (v: number, d = 1) => v.toFixed(d);
const lines = [
  "# Scaling: streamed compress, shards on 2 Dask workers, merge",
  "",
  `\`deno run -A bench/scale.ts\` on ${cpu}, ${navigator.hardwareConcurrency} cores (shared with other jobs: times are indicative). Toy 1 of the paper (127 x 127, t uniform on [0, 8 pi]), float32 .npy input, absolute bound ${BOUND}. Time: process start to exit; RSS: peak resident memory of the process (GNU time).`,
  "",
  "One process: `compress --stream` (2 threads). In memory: `compress` without it, today's path for inputs below 1 GiB; not run above T = 10,000, where it holds about twice the input (1287 MiB for 645 MB). Dask: `examples/dask_shards.py`, 2 shards on a LocalCluster of 2 workers, `--threads 1` each, then `merge`; the RSS is the largest shard's compress process and the merge process.",
  "",
  "| T | input | file | one process (streamed) | in memory (today) | 2 Dask workers + merge | of which the merge | merged = one process |",
  "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ...rows.map((r) =>
    `| ${r.T.toLocaleString("en")} | ${f(r.inputMB, 0)} MB | ${f(r.fileMB, 2)} MB | ${
      f(r.stream.seconds)
    } s, ${f(r.stream.rssMiB, 0)} MiB | ${
      r.inMemory ? `${f(r.inMemory.seconds)} s, ${f(r.inMemory.rssMiB, 0)} MiB` : "-"
    } | ${
      r.dask
        ? `${f(r.dask.seconds)} s, ${f(r.dask.shardRssMiB, 0)} MiB per worker's compress`
        : "no Dask"
    } | ${r.dask ? `${f(r.dask.mergeSeconds, 2)} s, ${f(r.dask.mergeRssMiB, 0)} MiB` : "-"} | ${
      r.identical === null ? "-" : r.identical ? "yes, byte for byte" : "NO"
    } |`
  ),
  "",
  ...(merge
    ? (() => {
      const best = merge.runs.reduce((
        a: { mbPerSecond: number },
        b: { mbPerSecond: number },
      ) => a.mbPerSecond > b.mbPerSecond ? a : b);
      const sorted = merge.runs.map((r: { mbPerSecond: number }) => r.mbPerSecond).sort((
        a: number,
        b: number,
      ) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)];
      const cat = Math.max(...(merge.catMBps ?? [0]));
      return [
        `Merge alone, on 4 shards of a uniform-noise field (T = ${merge.T.toLocaleString("en")}, ${
          f(merge.shardBytes / 1e6, 0)
        } MB of shard files, bound 1e-3)${
          merge.tmpfs ? ", in /dev/shm" : ""
        }: ${merge.runs.length} runs, best ${best.mbPerSecond} MB/s, median ${median} MB/s of file bytes for the merge itself (opening, checks, copy, the CRC-32 of every chunk checked and remade); ${
          f(best.seconds, 2)
        } s for the whole process with Deno's start, ${
          f(best.rssMiB, 0)
        } MiB peak RSS. \`cat\` of the same files: best ${f(cat, 0)} MB/s.`,
        "",
      ];
    })()
    : []),
];
await Deno.writeTextFile(`${root}bench/results/scale.md`, lines.join("\n"));
console.log(lines.join("\n"));
