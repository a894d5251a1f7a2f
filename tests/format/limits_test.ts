// Sizes from the header checked before anything is allocated, the same in both readers: a few
// hostile header bytes must not make a reader allocate gigabytes.
import assert from "node:assert";
import { decodeCodeBlock, MrcFormatError, validateHeader } from "../../format/mod.ts";
import { decodeStream, openMrc } from "../../decode.ts";
import { build } from "../testdata/conformance/generate.ts";
import { headerOf, joinMrc, setHeaderText, splitMrc } from "../fuzz/_mrc_edit.ts";
import { streamOf } from "./_helpers.ts";

const testdata = new URL("../testdata/", import.meta.url);

async function bothRefuse(bytes: Uint8Array, pattern: RegExp, maxBytes?: number): Promise<void> {
  await assert.rejects(async () => {
    const file = await openMrc(bytes, { maxBytes });
    for await (const _ of file.progressive());
  }, (e) => e instanceof MrcFormatError && pattern.test(e.message));
  await assert.rejects(async () => {
    for await (const _ of decodeStream(streamOf(bytes, 512), { maxBytes }));
  }, (e) => e instanceof MrcFormatError && pattern.test(e.message));
}

Deno.test("validateHeader() refuses a grid larger than the writers make", () => {
  const header = (grid: number[], levels: number[][]) => ({
    shape: [1, 3, 3],
    dtype: "float32",
    grid,
    crop: [0, 0],
    padMode: "replicate",
    normalization: { offset: 0, scale: 1 },
    blockSize: 1,
    levels: levels.map((g, k) => ({
      grid: g,
      latent: [(g[0] - 1) / 2, (g[1] - 1) / 2],
      groups: [],
      quant: { base: k === 0 ? 1 : null, groups: [] },
    })),
    quantization: "uniform-midtread",
    missing: { mode: "none", fillValue: null, count: 0 },
  });
  // 1 level: at most max(2^2, 3 + 2) - 1 = 4; 2 levels: max(8, 3 + 4) - 1 = 7.
  validateHeader(header([3, 3], [[3, 3]]));
  validateHeader(header([7, 7], [[3, 3], [7, 7]]));
  assert.throws(() => validateHeader(header([5, 3], [[5, 3]])), /too large/);
  assert.throws(() => validateHeader(header([15, 15], [[7, 7], [15, 15]])), /too large/);
});

Deno.test("openMrc() and decodeStream() refuse 13 levels of a 1 x 1 field before allocating", async () => {
  // A valid 5 KB file: its finest plane alone is 16383 x 16383 float32 = 1 GiB.
  const bytes = await build({
    shape: [1, 1, 1],
    grid: [16383, 16383],
    crop: [8191, 8191],
    levels: 13,
    blockSize: 1,
    seed: 1,
  });
  assert.ok(bytes.length < 8192);
  await bothRefuse(bytes, /above maxBytes/);
  // Level 0 is small: a caller may still decode it.
  const file = await openMrc(bytes);
  assert.deepStrictEqual((await file.decode({ level: 0 })).shape, [1, 1, 1]);
});

Deno.test("openMrc() and decodeStream() refuse T = blockSize = 2^31 - 1 before allocating", async () => {
  for (const name of ["v1.0-small", "v1.2-bounded"]) {
    const file = splitMrc(await Deno.readFile(new URL(`${name}.mrc`, testdata)));
    const h = headerOf(file) as { shape: number[]; blockSize: number };
    h.shape[0] = h.blockSize = 2 ** 31 - 1;
    setHeaderText(file, JSON.stringify(h));
    await bothRefuse(joinMrc(file), /./); // as MrcFormatError, never a RangeError
  }
});

Deno.test("decodeCodeBlock() runs the caller's check before inflating", () => {
  // Counts of a block, then zlib data that is garbage: the check must see the counts first.
  const body = new Uint8Array(13 + 4 + 20);
  const view = new DataView(body.buffer);
  view.setUint32(0, 7, true);
  view.setUint32(4, 1, true);
  view.setUint32(8, 3, true);
  view.setUint32(13, 21, true);
  body.fill(0xff, 17);
  assert.throws(
    () =>
      decodeCodeBlock(body, {
        check: (head) => {
          assert.deepStrictEqual(head.valuesPerSnapshot, [3]);
          throw new MrcFormatError(`block has ${head.snapshotCount} snapshots`);
        },
      }),
    /block has 7 snapshots/,
  );
});

Deno.test("openMrc() and decodeStream() check CODE counts against the header before inflating", async () => {
  const file = splitMrc(await Deno.readFile(new URL("v1.0-small.mrc", testdata)));
  const code = file.chunks.find((c) => c.type === "CODE")!;
  new DataView(code.body.buffer, code.body.byteOffset).setUint32(0, 1000, true);
  code.body.fill(0xff, 30); // and garbage zlib data, never reached
  await bothRefuse(joinMrc(file), /block has 1000 snapshots|does not fit 12000 values/);
});

Deno.test("a CODE body with bytes after its zlib stream is refused as such", async () => {
  const bytes = await Deno.readFile(
    new URL("conformance/invalid-zlib-trailing-bytes.mrc", testdata),
  );
  await bothRefuse(bytes, /2 bytes follow the end of the zlib stream/);
});

Deno.test("openMrc() refuses a maxBytes that is not a positive number", async () => {
  const bytes = await Deno.readFile(new URL("v1.0-small.mrc", testdata));
  await assert.rejects(openMrc(bytes, { maxBytes: -1 }), TypeError);
  const file = await openMrc(bytes);
  await assert.rejects(file.decode({ maxBytes: 10 }), /above maxBytes 10/);
});

Deno.test("a 1.5 KB bounded file of one block of 3e7 snapshots is refused at open: blockSize is at most 65536", async () => {
  // The audit's file: T = blockSize = 3e7 of 1 x 1 planes, one block. Decoding it held 4.2 GB
  // (a schedule object per snapshot) before the reader capped blockSize at the writers' 65536.
  const { compress } = await import("../../mod.ts");
  const file = splitMrc(await compress(new Float32Array(2), [2, 1, 1], { errorBound: 0.1 }));
  const h = headerOf(file) as { shape: number[]; blockSize: number };
  h.shape[0] = h.blockSize = 3e7;
  setHeaderText(file, JSON.stringify(h));
  const bytes = joinMrc(file);
  assert.ok(bytes.length < 1536, `${bytes.length} bytes`);
  await bothRefuse(bytes, /"blockSize" must be an integer from 1 to 65536, found 30000000/);
  h.blockSize = 65536;
  setHeaderText(file, JSON.stringify(h));
  validateHeader(h as unknown as Parameters<typeof validateHeader>[0]); // the largest allowed
});

Deno.test("the bounded budget counts each snapshot's schedule: 65536 snapshots of 1 x 1 need 32 MiB", async () => {
  const { compress } = await import("../../mod.ts");
  const { blockCoderBytes } = await import("../../src/bounded/block_coder.ts");
  const T = 65536;
  const values = Float32Array.from({ length: T }, (_, t) => Math.sin(t / 50));
  const bytes = await compress(values, [T, 1, 1], { errorBound: 0.01, blockSize: T });
  // A one-snapshot request decodes the whole block: its coder holds about 512 bytes per snapshot
  // of schedule besides 6 bytes of values, and the budget says so before anything is made.
  const need = blockCoderBytes(T, 1, 1, 1) + 4;
  assert.ok(need > 32 * 2 ** 20 && need < 34 * 2 ** 20, String(need));
  await bothRefuse(bytes, /above maxBytes/, need - 1);
  const tight = await openMrc(bytes, { maxBytes: need - 1 });
  await assert.rejects(tight.decode({ snapshots: [T - 1, T] }), /above maxBytes/);
  const file = await openMrc(bytes, { maxBytes: need });
  const one = await file.decode({ snapshots: [T - 1, T] });
  assert.ok(Math.abs(one.data[0] - Math.sin((T - 1) / 50)) <= 0.01);
});

Deno.test("a bound whose step 2 x abs overflows is refused by both readers and by compress()", async () => {
  const { compress } = await import("../../mod.ts");
  const good = await compress(new Float32Array(16).map((_, i) => i), [1, 4, 4], {
    errorBound: 0.1,
  });
  const file = splitMrc(good);
  const h = headerOf(file) as { bound: { abs: number } };
  h.bound.abs = 1e308; // 2e308 is Infinity: every zero code would decode to Infinity x 0 = NaN
  setHeaderText(file, JSON.stringify(h));
  await bothRefuse(
    joinMrc(file),
    /"bound\.abs" must be a positive number at most 8\.988465674311579e\+307/,
  );
  h.bound.abs = Number.MAX_VALUE / 2; // the largest allowed
  validateHeader(h as unknown as Parameters<typeof validateHeader>[0]);
  await assert.rejects(
    compress(new Float64Array(16), [1, 4, 4], { errorBound: 1e308 }),
    /the bound 1e\+308 is not a positive number at most/,
  );
});

Deno.test("decodeStream() refuses 1.5e7 blocks of a model header before listing their chunks", async () => {
  // T = 3e7 in blocks of 2 (a CRC-consistent lie on v1.0-small): the engine's list of chunks
  // alone would be 3e7 objects (2.8 s and gigabytes before), so it is counted first: 64 bytes
  // per entry, (levels) x (blocks + 2) entries.
  const file = splitMrc(await Deno.readFile(new URL("v1.0-small.mrc", testdata)));
  const h = headerOf(file) as { shape: number[]; blockSize: number };
  h.shape[0] = 3e7;
  setHeaderText(file, JSON.stringify(h));
  const bytes = joinMrc(file);
  await assert.rejects(async () => {
    for await (const _ of decodeStream(streamOf(bytes, 997), { maxBytes: 2 ** 24 }));
  }, /Cannot decode level 1 of snapshots 0:30000000: it needs 1920000256 bytes of memory/);
  await assert.rejects(openMrc(bytes), MrcFormatError); // its index lists 2 blocks, not 1.5e7
});

Deno.test("a deflated index (1.6) inflates only within maxBytes: openMrc() refuses it before inflating", async () => {
  const bytes = await Deno.readFile(new URL("v1.6-bounded.mrc", testdata));
  // 13 entries: 4 + 13 * 24 = 316 bytes inflated, from a body of about 100.
  await assert.rejects(
    openMrc(bytes, { maxBytes: 315 }),
    (e) =>
      e instanceof MrcFormatError &&
      /"INDX".*deflated body of 316 bytes above maxBytes 315 \(pass a larger maxBytes/.test(
        e.message,
      ),
  );
  const { openCollection } = await import("../../decode.ts");
  await assert.rejects(
    openCollection(bytes, { maxBytes: 315 }),
    /deflated body of 316 bytes above maxBytes 315/,
  );
  // Within the budget it opens (the decode's own budget is then checked as before).
  assert.strictEqual((await openMrc(bytes, { maxBytes: 316 })).header.shape[0], 9);
});
