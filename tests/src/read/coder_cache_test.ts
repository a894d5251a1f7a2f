// The coder cache of bounded files (src/read/coder_cache.ts): decodes over it give the values of
// fresh, uncached decodes, read only the levels it lacks, stay within its limit and within maxBytes.
import assert from "node:assert";
import { compress, type DecodedLevel, MrcFormatError, openMrc } from "../../../mod.ts";
import { countingSource, fromBytes } from "../../../format/mod.ts";
import { levelRanges } from "../../../src/read/level_ranges.ts";
import { joinMrc, splitMrc } from "../../fuzz/_mrc_edit.ts";
import { boundedBudget } from "../../../src/read/_budget.ts";
import { type Dims, gauss, prng, randInt, smooth } from "../_bounded.ts";

const DIMS: Dims = [22, 40, 45];
const LEVELS = 5;
/**
 * Bytes one full block's coder holds (blockCoderBytes of block_coder.ts): 4 x 40 x 45, 5 levels,
 * 512 bytes of schedule per snapshot.
 */
const CODER = 6 * 4 * 40 * 45 + 512 * 4 + 16 * 40 * 45 + 32 * (40 + 45) * (LEVELS - 1) + 20 * 45;

let made: Promise<Uint8Array> | null = null;
/** 22 snapshots in 6 blocks of 4 (the last of 2), 5 levels, noise and NaN holes. */
function file(): Promise<Uint8Array> {
  made ??= (() => {
    const rand = prng(7);
    const x = smooth(DIMS).map((v) => v + 0.05 * gauss(rand));
    for (let g = 5; g < x.length; g += 53) x[g] = NaN;
    return compress(x, DIMS, { levels: LEVELS, blockSize: 4, keyInterval: 2, errorBound: 2e-3 });
  })();
  return made;
}

/** The same request on a freshly opened file without a cache. */
async function fresh(bytes: Uint8Array, level: number, snapshots: [number, number]) {
  const f = await openMrc(bytes, { cacheBytes: 0 });
  return await f.decode({ level, snapshots });
}

function same(got: DecodedLevel, want: DecodedLevel, label: string): void {
  assert.strictEqual(got.level, want.level, label);
  assert.deepStrictEqual(got.snapshots, want.snapshots, label);
  assert.deepStrictEqual(got.shape, want.shape, label);
  assert.deepStrictEqual(got.rows, want.rows, label);
  assert.deepStrictEqual(got.cols, want.cols, label);
  // Bit for bit, NaN holes included.
  assert.deepStrictEqual(
    new Uint32Array(got.data.buffer, got.data.byteOffset, got.data.length),
    new Uint32Array(want.data.buffer, want.data.byteOffset, want.data.length),
    label,
  );
}

/** Bytes of the BCOD chunks of levels `levels` of blocks `blocks`. */
function bcodBytes(f: Awaited<ReturnType<typeof openMrc>>, levels: number[], blocks: number[]) {
  return f.chunks
    .filter((c) => c.type === "BCOD" && levels.includes(c.level!) && blocks.includes(c.block!))
    .reduce((a, c) => a + c.length, 0);
}

Deno.test("cached decodes (level 2, then 4, then 1, ranges in and across blocks) equal fresh ones and read only the levels the cache lacks", async () => {
  const bytes = await file();
  const source = countingSource(fromBytes(bytes));
  const f = await openMrc(source);
  assert.strictEqual(f.levelCount, LEVELS);
  assert.strictEqual(f.header.blockSize, 4);
  const T = DIMS[0];
  // [level, snapshots, the BCOD levels read, of which blocks]
  const steps: [number, [number, number], number[], number[]][] = [
    [2, [0, T], [0, 1, 2], [0, 1, 2, 3, 4, 5]],
    [4, [0, T], [3, 4], [0, 1, 2, 3, 4, 5]],
    [1, [0, T], [], []],
    [4, [5, 6], [], []],
    [2, [3, 9], [], []],
  ];
  for (const [level, snapshots, levels, blocks] of steps) {
    source.reset();
    const got = await f.decode({ level, snapshots });
    const label = `level ${level} snapshots ${snapshots}`;
    same(got, await fresh(bytes, level, snapshots), label);
    // NANM is read once, by the first decode.
    const nanm = level === 2 && snapshots[1] === T
      ? f.chunks.find((c) => c.type === "NANM")!.length
      : 0;
    assert.strictEqual(source.bytesRead, bcodBytes(f, levels, blocks) + nanm, label);
  }
  assert.strictEqual(f.coderCache.blocks, 6);
  for (let b = 0; b < 6; b++) assert.strictEqual(f.cachedLevels(b), LEVELS);

  // A second file: partial blocks, ranges within and across blocks, levels up and down.
  const g = await openMrc(bytes);
  const requests: [number, [number, number]][] = [
    [2, [5, 6]],
    [4, [6, 7]],
    [1, [4, 8]],
    [3, [2, 10]],
    [4, [0, 12]],
    [0, [21, 22]],
    [4, [19, 22]],
    [2, [0, T]],
    [3, [9, 17]],
  ];
  for (const [level, snapshots] of requests) {
    same(
      await g.decode({ level, snapshots }),
      await fresh(bytes, level, snapshots),
      `file 2: level ${level} snapshots ${snapshots}`,
    );
  }
});

Deno.test("progressive() over a partly cached file equals a fresh one; levelRanges() lists what the cache lacks", async () => {
  const bytes = await file();
  const source = countingSource(fromBytes(bytes));
  const f = await openMrc(source);
  await f.decode({ level: 1, snapshots: [0, 4] });
  await f.decode({ level: 3, snapshots: [9, 10] });
  assert.deepStrictEqual([0, 1, 2, 3, 4, 5].map((b) => f.cachedLevels(b)), [2, 0, 4, 0, 0, 0]);
  // The planner lists the levels a decode will read: block 0 from level 2, block 2 from level 4.
  // (NANM too, which the file has read already.)
  const nanm = f.chunks.find((c) => c.type === "NANM")!.offset;
  const planned = levelRanges(f, { level: 4, snapshots: [0, 12] }).map((r) => r.offset)
    .filter((o) => o !== nanm);
  source.reset();
  same(await f.decode({ level: 4, snapshots: [0, 12] }), await fresh(bytes, 4, [0, 12]), "0:12");
  assert.deepStrictEqual(source.log.map((r) => r.offset).sort((a, b) => a - b), planned);
  assert.strictEqual(
    source.bytesRead,
    bcodBytes(f, [2, 3, 4], [0]) + bcodBytes(f, [0, 1, 2, 3, 4], [1]) + bcodBytes(f, [4], [2]),
  );
  const reference = await openMrc(bytes, { cacheBytes: 0 });
  const want: DecodedLevel[] = [];
  for await (const d of reference.progressive({ snapshots: [2, 17] })) want.push(d);
  let k = 0;
  for await (const d of f.progressive({ snapshots: [2, 17] })) same(d, want[k], `level ${k++}`);
  assert.strictEqual(k, LEVELS);
  // Every level of blocks 0 to 4 is held: a progressive() of them reads nothing.
  source.reset();
  k = 0;
  for await (const d of f.progressive({ snapshots: [0, 20] })) {
    same(d, await fresh(bytes, k, [0, 20]), `all ${k++}`);
  }
  assert.strictEqual(source.bytesRead, 0);
  // verify() decodes every block from its bytes, not from the cache.
  source.reset();
  await f.verify();
  assert.ok(source.bytesRead >= bcodBytes(f, [0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5]));
});

Deno.test("a progressive() left early puts its coders back; later decodes equal fresh ones", async () => {
  const bytes = await file();
  const f = await openMrc(bytes);
  for await (const d of f.progressive({ snapshots: [3, 13] })) {
    if (d.level === 1) break;
  }
  assert.deepStrictEqual([0, 1, 2, 3].map((b) => f.cachedLevels(b)), [2, 2, 2, 2]);
  same(await f.decode({ snapshots: [3, 13] }), await fresh(bytes, 4, [3, 13]), "finest 3:13");
  same(await f.decode({ level: 0 }), await fresh(bytes, 0, [0, 22]), "level 0");
  // Concurrent requests on the same blocks: each its own coders, the same values.
  const g = await openMrc(bytes);
  const [a, b, c] = await Promise.all([
    g.decode({ level: 4, snapshots: [0, 9] }),
    g.decode({ level: 2, snapshots: [4, 8] }),
    (async () => {
      const out: DecodedLevel[] = [];
      for await (const d of g.progressive({ snapshots: [1, 6] })) out.push(d);
      return out;
    })(),
  ]);
  same(a, await fresh(bytes, 4, [0, 9]), "concurrent finest");
  same(b, await fresh(bytes, 2, [4, 8]), "concurrent level 2");
  for (const d of c) same(d, await fresh(bytes, d.level, [1, 6]), `concurrent ${d.level}`);
  same(await g.decode({ level: 3 }), await fresh(bytes, 3, [0, 22]), "after");
});

Deno.test("a small cache evicts least recently used blocks and stays within its limit, with the same values", async () => {
  const bytes = await file();
  const f = await openMrc(bytes, { cacheBytes: 2.5 * CODER });
  assert.strictEqual(f.coderCache.limit, 2.5 * CODER);
  await f.decode({ level: 4, snapshots: [0, 4] });
  assert.strictEqual(f.coderCache.bytes, CODER);
  await f.decode({ level: 1, snapshots: [4, 8] });
  await f.decode({ level: 1, snapshots: [8, 12] });
  // Block 0, least recently used, went.
  assert.deepStrictEqual([0, 1, 2].map((b) => f.cachedLevels(b)), [0, 2, 2]);
  await f.decode({ level: 3, snapshots: [5, 6] });
  await f.decode({ level: 0, snapshots: [0, 1] });
  // Block 1 was used last but one: block 2 went.
  assert.deepStrictEqual([0, 1, 2].map((b) => f.cachedLevels(b)), [1, 4, 0]);
  const rand = prng(3);
  const T = DIMS[0];
  for (let i = 0; i < 30; i++) {
    const level = randInt(rand, 0, LEVELS - 1);
    const a = randInt(rand, 0, T - 1), b = Math.min(T, a + randInt(rand, 1, 9));
    same(await f.decode({ level, snapshots: [a, b] }), await fresh(bytes, level, [a, b]), `${i}`);
    assert.ok(f.coderCache.bytes <= f.coderCache.limit, `${i}: ${f.coderCache.bytes}`);
    assert.ok(f.coderCache.blocks <= 2);
  }
  // cacheBytes 0: nothing is kept.
  const none = await openMrc(bytes, { cacheBytes: 0 });
  await none.decode();
  assert.deepStrictEqual(none.coderCache, { bytes: 0, limit: 0, blocks: 0 });
  await assert.rejects(openMrc(bytes, { cacheBytes: -1 }), TypeError);
});

Deno.test("the cache and a request together stay within maxBytes; over-budget requests are still refused", async () => {
  const bytes = await file();
  const probe = await openMrc(bytes);
  const header = probe.header;
  const T = DIMS[0];
  const all = { level: 4, start: 0, end: T, every: true };
  const need = boundedBudget(header, all, Infinity);
  // maxBytes: exactly what every level of every snapshot needs; the cache may hold as much.
  const f = await openMrc(bytes, { maxBytes: need, cacheBytes: need });
  assert.strictEqual(f.coderCache.limit, need);
  await f.decode({ level: 2, snapshots: [0, 8] });
  await f.decode({ level: 4, snapshots: [12, 22] });
  const held = f.coderCache.bytes;
  assert.ok(held > 0);
  // A request of all snapshots needs every byte: the cache gives up what the request does not
  // take from it (here, nothing is left), so the request is not refused.
  let k = 0;
  for await (const d of f.progressive()) {
    const want = await fresh(bytes, k, [0, T]);
    same(d, want, `progressive ${k++}`);
    // The request's own coders are out of the cache while it runs (back after the last level).
    if (d.level < LEVELS - 1) assert.strictEqual(f.coderCache.bytes, 0, `level ${d.level}`);
  }
  assert.strictEqual(f.cachedLevels(0), LEVELS);
  // A request of one block, under a call's maxBytes: the others are evicted, least recently used
  // first, down to maxBytes minus the request's budget.
  const one = { level: 4, start: 0, end: 1, every: true };
  const oneBytes = boundedBudget(header, one, Infinity);
  const g = await openMrc(bytes, { maxBytes: need, cacheBytes: need });
  for await (const _ of g.progressive());
  assert.strictEqual(g.coderCache.bytes, 6 * CODER - (6 * 40 * 45 + 512) * 2); // block 5: 2 snapshots
  const maxBytes = oneBytes + 2 * CODER;
  k = 0;
  for await (const d of g.progressive({ snapshots: [0, 1], maxBytes })) {
    same(d, await fresh(bytes, k, [0, 1]), `one block ${k++}`);
    if (d.level === LEVELS - 1) break;
    assert.ok(g.coderCache.bytes + oneBytes <= maxBytes, `${g.coderCache.bytes} + ${oneBytes}`);
    // Blocks 1 to 3 went; 4 and 5 (the smaller) stay.
    assert.deepStrictEqual([1, 2, 3, 4, 5].map((b) => g.cachedLevels(b)), [0, 0, 0, 5, 5]);
  }
  // Refused as before, with the cache full: above the file's maxBytes, and above a call's.
  const small = await openMrc(bytes, { maxBytes: need - 1 });
  await assert.rejects(async () => {
    for await (const _ of small.progressive());
  }, MrcFormatError);
  await f.decode({ level: 0, snapshots: [0, 4] });
  await assert.rejects(
    f.decode({ level: 4, snapshots: [0, 4], maxBytes: 1000 }),
    MrcFormatError,
  );
  // The refusal took nothing out of the cache.
  assert.strictEqual(f.cachedLevels(0), LEVELS);
  same(await f.decode({ level: 4, snapshots: [0, 4] }), await fresh(bytes, 4, [0, 4]), "after");
});

Deno.test("model files keep no coder cache", async () => {
  const f = await openMrc(new URL("../../testdata/v1.0-small.mrc", import.meta.url));
  await f.decode();
  assert.deepStrictEqual(f.coderCache.blocks, 0);
  assert.strictEqual(f.cachedLevels(0), 0);
});

Deno.test("a block whose level fails to decode leaves no coder in the cache", async () => {
  const edited = splitMrc(await file());
  // Block 1's level 2 cut short (a valid CRC): its decoder reads past the end.
  const cut = edited.chunks.find((c) => c.type === "BCOD" && c.level === 2 && c.block === 1)!;
  cut.body = cut.body.slice(0, 10);
  const bytes = joinMrc(edited);
  const f = await openMrc(bytes);
  const want = await fresh(bytes, 1, [4, 8]);
  same(await f.decode({ level: 1, snapshots: [4, 8] }), want, "level 1");
  assert.strictEqual(f.cachedLevels(1), 2);
  await assert.rejects(f.decode({ level: 2, snapshots: [2, 6] }), MrcFormatError);
  // Block 0 decoded its level 2 before block 1 failed; block 1's coder went.
  assert.deepStrictEqual([f.cachedLevels(0), f.cachedLevels(1)], [3, 0]);
  same(await f.decode({ level: 1, snapshots: [4, 8] }), want, "level 1 again");
  await assert.rejects(f.decode({ level: 3, snapshots: [4, 5] }), MrcFormatError);
  same(await f.decode({ level: 1, snapshots: [5, 6] }), await fresh(bytes, 1, [5, 6]), "5:6");
});
