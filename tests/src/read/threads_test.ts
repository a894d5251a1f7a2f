// Bounded decoding on several threads (decode({ threads }), src/read/parallel_decode.ts): the bits
// of the one-thread decode (NaN and fill values included), over the coder cache too, within the
// same budget, with the same errors, and on one thread where workers cannot start.
import assert from "node:assert";
import { compress, type DecodedLevel, MrcFormatError, openMrc } from "../../../mod.ts";
import { countingSource, fromBytes } from "../../../format/mod.ts";
import { planParallel } from "../../../src/read/parallel_decode.ts";
import { CoderCache } from "../../../src/read/coder_cache.ts";
import { levelExtent } from "../../../src/read/output.ts";
import { joinMrc, splitMrc } from "../../fuzz/_mrc_edit.ts";
import { type Dims, gauss, prng, smooth } from "../_bounded.ts";

const DIMS: Dims = [22, 40, 45];
const LEVELS = 5;
const BLOCKS = 6;

const made = new Map<string, Promise<Uint8Array>>();
/**
 * 22 snapshots in 6 blocks of 4 (the last of 2), 5 levels, noise. `nan`: NaN holes, missing.
 * `fill`: a fill-valued strip is missing, and the NaNs are values (stored exactly).
 */
function file(kind: "nan" | "fill"): Promise<Uint8Array> {
  let p = made.get(kind);
  if (p === undefined) {
    const rand = prng(11);
    const x = smooth(DIMS).map((v) => v + 0.05 * gauss(rand));
    for (let g = 5; g < x.length; g += 53) x[g] = NaN;
    if (kind === "fill") { for (let g = 0; g < x.length; g += 45) x[g] = -9999; }
    p = compress(x, DIMS, {
      levels: LEVELS,
      blockSize: 4,
      keyInterval: 2,
      errorBound: 2e-3,
      ...(kind === "fill" ? { fillValue: -9999 } : {}),
    });
    made.set(kind, p);
  }
  return p;
}

/** The bits of the values (a NaN's bits too). */
function bits(d: DecodedLevel<Float32Array | Float64Array>): Uint32Array {
  return new Uint32Array(d.data.buffer, d.data.byteOffset, d.data.byteLength / 4);
}

function same(
  got: DecodedLevel<Float32Array | Float64Array>,
  want: DecodedLevel<Float32Array | Float64Array>,
  label: string,
): void {
  assert.strictEqual(got.level, want.level, label);
  assert.deepStrictEqual(got.snapshots, want.snapshots, label);
  assert.deepStrictEqual(got.shape, want.shape, label);
  assert.strictEqual(got.data.constructor, want.data.constructor, label);
  assert.deepStrictEqual(got.rows, want.rows, label);
  assert.deepStrictEqual(got.cols, want.cols, label);
  const a = bits(got), b = bits(want);
  assert.strictEqual(a.length, b.length, label);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) assert.fail(`${label}: word ${i} is ${a[i]}, not ${b[i]}`);
  }
}

/** `[level, block]` of each chunk read (`null` for a chunk of no block), in read order. */
function chunksRead(
  chunks: { offset: number; level: number | null; block: number | null }[],
  log: readonly { offset: number }[],
): [number | null, number | null][] {
  const byOffset = new Map(chunks.map((c) => [c.offset, c]));
  return log.flatMap((r) => {
    const c = byOffset.get(r.offset);
    return c === undefined || c.block === null ? [] : [[c.level, c.block]];
  });
}

/** Whether every block's level 0 was read before any level 1 (the one-thread order). */
function levelMajor(read: [number | null, number | null][]): boolean {
  const levels = read.map(([level]) => level!);
  return levels.every((k, i) => i === 0 || k >= levels[i - 1]);
}

for (const kind of ["nan", "fill"] as const) {
  Deno.test(`threads 2 and 3 decode the bits of threads 1 (${kind}, ${BLOCKS} blocks, every level, ranges)`, async () => {
    const bytes = await file(kind);
    const one = await openMrc(bytes, { cacheBytes: 0 });
    const many = await openMrc(bytes, { cacheBytes: 0 });
    const ranges: [number, number][] = [[0, 22], [3, 17], [5, 7], [20, 22], [0, 8]];
    for (let level = 0; level < LEVELS; level++) {
      for (const snapshots of level === 2 || level === LEVELS - 1 ? ranges : ranges.slice(0, 2)) {
        const want = await one.decode({ level, snapshots, threads: 1 });
        for (const threads of [2, 3]) {
          const label = `${kind} level ${level} ${snapshots} threads ${threads}`;
          same(await many.decode({ level, snapshots, threads }), want, label);
        }
      }
    }
    const wide = await one.decode({ dtype: "float64" });
    same(await many.decode({ dtype: "float64", threads: 2 }), wide, `${kind} float64`);
    let holes = 0;
    for (const v of wide.data) if (kind === "nan" ? Number.isNaN(v) : v === -9999) holes++;
    assert.ok(holes > 100, `${holes} missing values`);
    if (kind === "fill") assert.ok(wide.data.some(Number.isNaN), "NaN values came back");
  });
}

Deno.test("a parallel decode reads each chunk once, block by block (workers ran), and fills the coder cache", async () => {
  const bytes = await file("nan");
  const source = countingSource(fromBytes(bytes));
  const f = await openMrc(source);
  const want = await (await openMrc(bytes, { cacheBytes: 0 })).decode();
  source.reset();
  same(await f.decode({ threads: 2 }), want, "finest, threads 2");
  const read = chunksRead(f.chunks, source.log);
  assert.strictEqual(read.length, LEVELS * BLOCKS);
  assert.strictEqual(new Set(read.map(String)).size, LEVELS * BLOCKS, "a chunk read twice");
  // Block by block, not level by level: the workers decoded the blocks.
  assert.ok(!levelMajor(read), `read order ${JSON.stringify(read)}`);
  for (let b = 0; b < BLOCKS; b++) assert.strictEqual(f.cachedLevels(b), LEVELS, `block ${b}`);
  // Everything is cached now: no read, no worker.
  source.reset();
  same(
    await f.decode({ level: 2, threads: 2 }),
    await (await openMrc(bytes, { cacheBytes: 0 })).decode({ level: 2 }),
    "level 2 from the cache",
  );
  assert.strictEqual(source.reads, 0);
});

for (const threads of [2, 3]) {
  // Threads 2: one worker takes blocks 0 and 1, this thread block 2; threads 3: two workers take
  // blocks 0, 1, 2 and 4, this thread block 5. Cached blocks are continued on both sides.
  Deno.test(`over a partly cached file, threads ${threads} continue the cached blocks and read only the levels they lack`, async () => {
    const bytes = await file("nan");
    const source = countingSource(fromBytes(bytes));
    const f = await openMrc(source);
    const fresh = await openMrc(bytes, { cacheBytes: 0 });
    // Blocks 1 and 2 to level 2, block 3 to level 4, one thread.
    await f.decode({ level: 2, snapshots: [4, 12] });
    await f.decode({ level: 4, snapshots: [12, 13] });
    assert.deepStrictEqual([0, 1, 2, 3, 4, 5].map((b) => f.cachedLevels(b)), [0, 3, 3, 5, 0, 0]);
    source.reset();
    same(await f.decode({ level: 3, threads }), await fresh.decode({ level: 3 }), "level 3");
    const read = chunksRead(f.chunks, source.log);
    const want = [
      ...[0, 1, 2, 3].map((k) => [k, 0]),
      [3, 1],
      [3, 2],
      ...[0, 1, 2, 3].flatMap((k) => [[k, 4], [k, 5]]),
    ];
    assert.deepStrictEqual(read.map(String).sort(), want.map(String).sort());
    assert.deepStrictEqual([0, 1, 2, 3, 4, 5].map((b) => f.cachedLevels(b)), [4, 4, 4, 5, 4, 4]);
    same(await f.decode({ threads }), await fresh.decode(), "finest");
    same(
      await f.decode({ level: 1, snapshots: [2, 19], threads }),
      await fresh.decode({ level: 1, snapshots: [2, 19] }),
      "level 1 from the cache",
    );
  });
}

Deno.test("a parallel decode refuses what one thread refuses, and runs only the workers that fit in maxBytes", async () => {
  const bytes = await file("nan");
  const f = await openMrc(bytes, { cacheBytes: 0 });
  const header = f.header;
  const want = await f.decode();
  // What the one-thread decode needs, from its refusal.
  const refusal = await f.decode({ maxBytes: 1 }).then(() => null, (e) => e);
  assert.ok(refusal instanceof MrcFormatError);
  const need = Number(/needs (\d+) bytes/.exec(refusal.message)![1]);
  const oneMessage = await f.decode({ maxBytes: need - 1 }).then(() => "", (e) => e.message);
  assert.match(oneMessage, /above maxBytes/);
  for (const threads of [2, 3]) {
    await assert.rejects(
      f.decode({ maxBytes: need - 1, threads }),
      (e) => e instanceof MrcFormatError && e.message === oneMessage,
    );
    same(await f.decode({ maxBytes: need, threads }), want, `maxBytes ${need}, threads ${threads}`);
  }
  // The plan: the one-thread bytes plus each worker's share, never above maxBytes; this thread
  // decodes too (threads - 1 workers).
  const request = { level: LEVELS - 1, start: 0, end: 22, every: false };
  const reads = {
    length: (k: number, b: number) =>
      f.chunks.find((c) => c.type === "BCOD" && c.level === k && c.block === b)!.length,
  };
  const cache = new CoderCache(0);
  const plan = (maxBytes: number, threads = 3) =>
    planParallel(header, request, maxBytes, threads, cache, reads);
  const { bytes: held, each } = plan(Infinity);
  assert.strictEqual(held, need);
  // Two jobs' worth: the points of the block's level and its missing mask, each.
  const e = levelExtent(header, LEVELS - 1);
  assert.ok(each >= 2 * (4 * 4 * e.nr * e.nc + 4 * 40 * 45), `each ${each}`);
  assert.strictEqual(plan(need).workers, 0);
  assert.strictEqual(plan(need + each - 1).workers, 0);
  assert.strictEqual(plan(need + each).workers, 1);
  assert.strictEqual(plan(need + 2 * each - 1).workers, 1);
  assert.strictEqual(plan(need + 2 * each).workers, 2);
  assert.strictEqual(plan(Infinity).workers, 2);
  assert.strictEqual(plan(Infinity, 64).workers, BLOCKS - 1);
  assert.strictEqual(plan(Infinity, 1).workers, 0);
  assert.throws(
    () => plan(need - 1),
    (e) => e instanceof MrcFormatError && e.message === oneMessage,
  );
  // With workers that fit: the same values, read in the parallel order.
  const source = countingSource(fromBytes(bytes));
  const g = await openMrc(source, { cacheBytes: 0 });
  source.reset();
  same(await g.decode({ maxBytes: need + each, threads: 3 }), want, "one worker that fits");
  assert.ok(!levelMajor(chunksRead(g.chunks, source.log)), "no worker ran");
});

Deno.test("a corrupt block gives the error of the one-thread decode; later decodes equal fresh ones", async () => {
  const edited = splitMrc(await file("nan"));
  // Block 1's level 2 cut short (a valid CRC): its decoder reads past the end.
  const cut = edited.chunks.find((c) => c.type === "BCOD" && c.level === 2 && c.block === 1)!;
  cut.body = cut.body.slice(0, 10);
  const bytes = joinMrc(edited);
  const one = await (await openMrc(bytes)).decode({ level: 3 }).then(() => null, (e) => e);
  assert.ok(one instanceof MrcFormatError, String(one));
  for (const threads of [2, 3]) {
    const f = await openMrc(bytes);
    await assert.rejects(
      f.decode({ level: 3, threads }),
      (e) => e instanceof MrcFormatError && e.message === one.message,
    );
    const fresh = await openMrc(bytes, { cacheBytes: 0 });
    for (const snapshots of [[8, 22], [0, 4]] as [number, number][]) {
      same(
        await f.decode({ level: 3, snapshots, threads }),
        await fresh.decode({ level: 3, snapshots }),
        `${snapshots} after the failure, threads ${threads}`,
      );
    }
    same(
      await f.decode({ level: 1, threads }),
      await fresh.decode({ level: 1 }),
      `level 1 after the failure, threads ${threads}`,
    );
  }
});

Deno.test("threads must be an integer from 1 to 1024; model files decode on one thread", async () => {
  const f = await openMrc(await file("nan"));
  for (const threads of [0, -1, 1.5, NaN, 1025, "2" as unknown as number]) {
    await assert.rejects(
      f.decode({ threads }),
      (e) => e instanceof TypeError && /threads must be an integer from 1 to 1024/.test(e.message),
      `threads ${threads}`,
    );
  }
  const model = await openMrc(new URL("../../testdata/v1.0-small.mrc", import.meta.url));
  same(await model.decode({ threads: 3 }), await model.decode(), "model file");
});

/** A script that decodes the test file with `threads` and prints its bits' sum and read order. */
const SCRIPT = `
import { openMrc } from ${JSON.stringify(new URL("../../../decode.ts", import.meta.url).href)};
import { countingSource, fromBytes } from ${
  JSON.stringify(new URL("../../../format/mod.ts", import.meta.url).href)
};
const source = countingSource(fromBytes(await Deno.readFile(Deno.args[0])));
const file = await openMrc(source, { cacheBytes: 0 });
source.reset();
const d = await file.decode({ threads: Number(Deno.args[1]) });
let sum = 0;
for (const w of new Uint32Array(d.data.buffer)) sum = (sum * 31 + w) >>> 0;
const chunks = new Map(file.chunks.map((c) => [c.offset, c]));
const levels = source.log.map((r) => chunks.get(r.offset)).filter((c) => c?.block !== null);
console.log(JSON.stringify({ sum, levels: levels.map((c) => c.level) }));
`;

Deno.test("a process that decodes on workers ends by itself; without read access to the code it decodes on one thread, with the same bits", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/f.mrc`, await file("nan"));
    await Deno.writeTextFile(`${dir}/decode.ts`, SCRIPT);
    const runs: { sum: number; levels: number[] }[] = [];
    for (
      const [read, threads] of [
        ["--allow-read", "1"],
        ["--allow-read", "2"],
        [`--allow-read=${dir}`, "2"],
      ]
    ) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-lock", read, `${dir}/decode.ts`, `${dir}/f.mrc`, threads],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      // Workers left running would keep the process alive: it must end on its own.
      const timer = setTimeout(() => child.kill(), 60_000);
      const out = await child.output();
      clearTimeout(timer);
      const dec = new TextDecoder();
      assert.ok(out.success, `${read} threads ${threads}: ${dec.decode(out.stderr)}`);
      runs.push(JSON.parse(dec.decode(out.stdout)));
    }
    const [one, parallel, narrow] = runs;
    assert.strictEqual(parallel.sum, one.sum);
    assert.strictEqual(narrow.sum, one.sum);
    const major = (l: number[]) => l.every((k, i) => i === 0 || k >= l[i - 1]);
    assert.ok(major(one.levels));
    assert.ok(!major(parallel.levels), "the workers did not run");
    assert.ok(major(narrow.levels), "workers ran without read access to their module");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
