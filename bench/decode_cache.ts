/**
 * The decoded coder state kept by `MrcFile` (bounded files), timed on a multi-block input:
 * `deno run -A bench/decode_cache.ts [--snapshots 300] [--block-size 32] [--repeat 3]`
 * (or `--file x.mrc`, a bounded file, instead of the toy).
 *
 * Compresses `toyOscillatory` (127 x 127, `--snapshots` snapshots, relative bound 1e-3, blocks of
 * `--block-size`), then times, each on a freshly opened file (best of `--repeat`):
 * - `decode()` of every level one by one, coarse to fine, all snapshots;
 * - `progressive()`, all snapshots;
 * - 20 single-snapshot `decode()`s of the finest level (a viewer's slider steps, 20 consecutive
 *   snapshots from the middle of the file);
 * - the same 20 snapshots as the viewer draws them: levels 0 to the finest of each, one
 *   `decode()` per level;
 * - `decode()` of the finest level, all snapshots (one call: the cache does not help; the
 *   control).
 */
import { parseArgs } from "node:util";
import { compress, openMrc } from "../mod.ts";
import { toyOscillatory } from "../src/io/toy.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    snapshots: { type: "string", default: "300" },
    "block-size": { type: "string", default: "32" },
    repeat: { type: "string", default: "3" },
    file: { type: "string" },
  },
});
const blockSize = Number(args["block-size"]);
const repeat = Number(args.repeat);

let bytes: Uint8Array;
if (args.file === undefined) {
  const { data, shape } = toyOscillatory({ snapshotCount: Number(args.snapshots) });
  bytes = await compress(data, shape, { relErrorBound: 1e-3, blockSize });
} else bytes = await Deno.readFile(args.file);
const { header, levelCount: N } = await openMrc(bytes);
const [T, H, W] = header.shape;
console.log(
  `${args.file ?? "toyOscillatory"} ${T} x ${H} x ${W}, blocks of ${header.blockSize} (${
    Math.ceil(T / header.blockSize)
  } blocks), ${N} levels, ${bytes.length} bytes`,
);

const open = () => openMrc(bytes);

async function best(name: string, fn: () => Promise<unknown>): Promise<void> {
  const times: number[] = [];
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  console.log(`${name.padEnd(50)} ${(Math.min(...times) / 1000).toFixed(3)} s (best of ${repeat})`);
}

await best("decode() of every level one by one", async () => {
  const f = await open();
  for (let k = 0; k < N; k++) await f.decode({ level: k });
  await f.close();
});
await best("progressive()", async () => {
  const f = await open();
  for await (const _ of f.progressive());
  await f.close();
});
const mid = Math.floor(T / 2) - 10;
await best(`20 single-snapshot decodes, finest (${mid}..${mid + 19})`, async () => {
  const f = await open();
  for (let t = mid; t < mid + 20; t++) await f.decode({ snapshots: [t, t + 1] });
  await f.close();
});
await best(`the same, as the viewer: levels 0..${N - 1} of each`, async () => {
  const f = await open();
  for (let t = mid; t < mid + 20; t++) {
    for (let k = 0; k < N; k++) await f.decode({ level: k, snapshots: [t, t + 1] });
  }
  await f.close();
});
await best("decode() of the finest level, all snapshots", async () => {
  const f = await open();
  await f.decode();
  await f.close();
});
