/**
 * A soak test of remote reads (a bench, not CI): `deno run -A bench/soak.ts [--requests 10000]
 * [--seed 1] [--out bench/results/soak.json]`.
 *
 * Compresses `toyOscillatory` (127 x 127, 256 snapshots, 1% noise, relative bound 1e-4, blocks of
 * 16) and
 * serves it from 127.0.0.1 with Range support. One `MrcFile` opened by URL (the cached URL
 * source of `openMrc(url)`, its coder cache on) then answers `--requests` random requests: a
 * level, and a snapshot range of 1 to 64 snapshots at a random start. Every 500 requests it
 * records the resident set, the JavaScript heap, the open file descriptors (`/proc/self/fd`, on
 * Linux) and the cache's bytes; at the end it closes the file and the server and measures how long
 * the event loop takes to drain (a leaked timer of a request would hold it for its timeout, 30 s).
 *
 * Memory is flat when the last samples are within the cache's bound of the first ones after
 * warm-up: the coder cache holds at most `cacheBytes` (here 4 MiB, a quarter of a block set, so
 * that blocks are evicted and fetched again), and nothing else may grow.
 */
import { parseArgs } from "node:util";
import { compress, openMrc } from "../mod.ts";
import { toyOscillatory } from "../src/io/toy.ts";
import { mulberry32 } from "../src/random.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    requests: { type: "string", default: "10000" },
    seed: { type: "string", default: "1" },
    out: { type: "string", default: "bench/results/soak.json" },
  },
});
const requests = Number(args.requests);
const rand = mulberry32(Number(args.seed));

const { data, shape } = toyOscillatory({ snapshotCount: 256 });
// Noise of 1% of the range, so that the file is megabytes and each block a few range requests.
const noise = mulberry32(5);
for (let i = 0; i < data.length; i++) data[i] += 0.02 * (noise() - 0.5);
const bytes = await compress(data, shape, { relErrorBound: 1e-4, blockSize: 16 });

let served = 0;
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
  served++;
  const m = /^bytes=(\d+)-(\d+)$/.exec(request.headers.get("Range") ?? "");
  if (!m) return new Response(bytes);
  const first = Number(m[1]), last = Math.min(Number(m[2]), bytes.length - 1);
  return new Response(bytes.slice(first, last + 1), {
    status: 206,
    headers: { "Content-Range": `bytes ${first}-${last}/${bytes.length}` },
  });
});
const url = `http://127.0.0.1:${server.addr.port}/soak.mrc`;

const fds = () => {
  try {
    return [...Deno.readDirSync("/proc/self/fd")].length;
  } catch {
    return null;
  }
};
const MiB = 2 ** 20;
// A small coder cache, so that blocks are evicted and read again all along.
const cacheBytes = 4 * MiB;
const file = await openMrc(url, { cacheBytes });
const [T] = file.header.shape;
const samples: {
  requests: number;
  rssMiB: number;
  heapMiB: number;
  fds: number | null;
  cacheMiB: number;
  served: number;
}[] = [];
const sample = (n: number) =>
  samples.push({
    requests: n,
    rssMiB: Math.round(Deno.memoryUsage().rss / MiB),
    heapMiB: Math.round(Deno.memoryUsage().heapUsed / MiB),
    fds: fds(),
    cacheMiB: Math.round(file.coderCache.bytes / MiB),
    served,
  });
const started = performance.now();
let values = 0;
sample(0);
for (let i = 1; i <= requests; i++) {
  const level = Math.floor(rand() * file.levelCount);
  const count = 1 + Math.floor(rand() * 64);
  const start = Math.floor(rand() * (T - count + 1));
  const d = await file.decode({ level, snapshots: [start, start + count] });
  values += d.data.length;
  if (i % 500 === 0) sample(i);
}
const seconds = (performance.now() - started) / 1000;
await file.close();
await server.shutdown();
const warm = samples[Math.min(2, samples.length - 1)], last = samples[samples.length - 1];
const result = {
  bench: "soak",
  command: `deno run -A bench/soak.ts --requests ${requests} --seed ${args.seed}`,
  date: new Date().toISOString(),
  deno: Deno.version.deno,
  file: { shape, blockSize: 16, bytes: bytes.length },
  requests,
  seconds: Number(seconds.toFixed(1)),
  requestsPerSecond: Math.round(requests / seconds),
  valuesDecoded: values,
  httpRequests: served,
  rssGrowthAfterWarmupMiB: last.rssMiB - warm.rssMiB,
  heapGrowthAfterWarmupMiB: last.heapMiB - warm.heapMiB,
  fdGrowth: last.fds !== null && samples[0].fds !== null ? last.fds - samples[0].fds : null,
  drainMs: 0,
  samples,
};
// The event loop must drain at once once the file and the server are closed: a leaked request
// timer would hold it for its timeout. `unload` fires when nothing is left.
const done = performance.now();
globalThis.addEventListener("unload", () => {
  result.drainMs = Math.round(performance.now() - done);
  console.log(JSON.stringify({ ...result, samples: undefined }, null, 1));
  Deno.writeTextFileSync(args.out, JSON.stringify(result, null, 1) + "\n");
});
