// Shards merged without recoding: the whole one compression writes, and each mismatch refused
// with its own message.
import assert from "node:assert";
import { fromBytes, openContainer } from "../../../format/mod.ts";
import { concat } from "../../../format/_bytes.ts";
import { openMrc } from "../../../mod.ts";
import { type BoundedCompressOptions, compressBoundedTo } from "../../../src/encode/bounded.ts";
import { type BlockwiseOptions, compressBlockwise } from "../../../src/encode/blockwise.ts";
import { mergeShards } from "../../../src/encode/merge.ts";
import { encodePredictor, fixedPredictor } from "../../../src/bounded/learned.ts";
import { type Dims, gauss, prng, smooth } from "../_bounded.ts";
import type { MrcAttributes } from "../../../format/attributes.ts";

const dims: Dims = [45, 19, 22];
const plane = dims[1] * dims[2];

function noisy(seed: number, T = dims[0]): Float32Array {
  const rand = prng(seed);
  const x = smooth([T, dims[1], dims[2]]);
  for (let i = 0; i < x.length; i++) x[i] += 0.05 * gauss(rand);
  return x;
}

/** Time coordinates and a variable, as a netCDF input gives them. */
function attributesOf(T: number, first = 0, variable = "tas"): MrcAttributes {
  return {
    variable: {
      name: variable,
      type: "float",
      attributes: { units: { type: "char", value: "K" } },
    },
    dimensions: [
      {
        name: "time",
        size: T,
        values: Array.from({ length: T }, (_, i) => 6 * (first + i)),
        type: "double",
        attributes: { units: { type: "char", value: "hours since 2000-01-01" } },
      },
      { name: "lat", size: dims[1], values: null, type: "double", attributes: {} },
      { name: "lon", size: dims[2], values: null, type: "double", attributes: {} },
    ],
    selected: [],
    global: {},
    source: { format: "classic", file: "x.nc" },
  };
}

async function whole(data: Float32Array, options: BoundedCompressOptions, withAttributes = true) {
  const parts: Uint8Array[] = [];
  await compressBoundedTo(data, dims, dims, { write: (b) => void parts.push(b.slice()) }, {
    ...options,
    reproducible: true,
    ...(withAttributes ? { attributes: attributesOf(dims[0]) } : {}),
  });
  return concat(parts);
}

async function shard(
  data: Float32Array,
  first: number,
  count: number,
  options: BlockwiseOptions,
  total = dims[0],
  attributes: MrcAttributes | null = attributesOf(count, first),
) {
  const parts: Uint8Array[] = [];
  await compressBlockwise(
    {
      shape: [count, dims[1], dims[2]],
      dtype: "float32",
      read: (t0, t1) => Promise.resolve(data.slice((first + t0) * plane, (first + t1) * plane)),
    },
    { write: (b) => void parts.push(b.slice()) },
    {
      ...options,
      reproducible: true,
      shard: { first, total },
      ...(attributes ? { attributes } : {}),
    },
  );
  return concat(parts);
}

async function merge(shards: Uint8Array[], names = shards.map((_, i) => `s${i}.mrc`)) {
  const parts: Uint8Array[] = [];
  const result = await mergeShards(
    shards.map((b, i) => ({ name: names[i], source: fromBytes(b) })),
    { write: (b) => void parts.push(b.slice()) },
    { reproducible: true },
  );
  return { bytes: concat(parts), result };
}

const cases: [string, () => Float32Array, BlockwiseOptions, number[]][] = [
  ["absolute bound, 3 shards given out of order", () => noisy(1), {
    errorBound: 0.01,
    blockSize: 8,
  }, [16, 0, 40]],
  [
    "relative bound with the whole's range, NaN holes in one shard",
    () => {
      const x = noisy(2);
      for (let j = 0; j < 30; j++) x[20 * plane + j] = NaN;
      return x;
    },
    { relErrorBound: 2e-3, blockSize: 8 },
    [0, 24],
  ],
  [
    "a static hole (shared mask), linear, key interval 4",
    () => {
      const x = noisy(3);
      for (let t = 0; t < dims[0]; t++) x[t * plane + 7] = NaN;
      return x;
    },
    { errorBound: 0.02, blockSize: 4, interpolation: "linear", keyInterval: 4 },
    [0, 4, 8, 44],
  ],
  [
    "a fill value missing only in the last shard",
    () => {
      const x = noisy(4);
      x[42 * plane + 3] = -999;
      return x;
    },
    { errorBound: 0.02, blockSize: 16, fillValue: -999 },
    [0, 32],
  ],
  [
    "predictor learned",
    () => noisy(5),
    { errorBound: 0.004, blockSize: 16, predictor: "learned" },
    [
      0,
      16,
      32,
    ],
  ],
];

for (const [name, make, options, starts] of cases) {
  Deno.test(`merged shards equal one compression of the whole, byte for byte: ${name}`, async () => {
    const data = make();
    let wholeOptions: BoundedCompressOptions = options;
    const shardOptions: BlockwiseOptions = { ...options };
    if (options.relErrorBound !== undefined) {
      let min = Infinity, max = -Infinity;
      for (const v of data) if (!Number.isNaN(v)) (min = Math.min(min, v), max = Math.max(max, v));
      shardOptions.range = [min, max];
      wholeOptions = options;
    }
    const want = await whole(data, wholeOptions);
    const sorted = [...starts].sort((a, b) => a - b);
    const shards = await Promise.all(starts.map((first) => {
      const next = sorted.find((s) => s > first) ?? dims[0];
      return shard(data, first, next - first, shardOptions);
    }));
    const { bytes, result } = await merge(shards);
    assert.strictEqual(result.notIdentical, null);
    const [m1, m2] = [await openMrc(bytes), await openMrc(want)];
    assert.deepStrictEqual(m1.header, m2.header);
    assert.deepStrictEqual(m1.meta, m2.meta);
    assert.deepStrictEqual(bytes, want);
    // Each shard is a valid file of its own snapshots, decoding within the bound.
    const one = await openMrc(shards[0]);
    const first = one.header.shard!.first;
    const decoded = await one.decode();
    for (let i = 0; i < decoded.data.length; i++) {
      const x = data[first * plane + i];
      if (Number.isNaN(x)) continue;
      assert.ok(Math.abs(decoded.data[i] - x) <= one.header.bound!.abs, `value ${i}`);
    }
  });
}

Deno.test("a shard (1.3): the header says where it sits, and readers check it", async () => {
  const data = noisy(6);
  const bytes = await shard(data, 8, 16, { errorBound: 0.01, blockSize: 8 });
  const file = await openContainer(fromBytes(bytes));
  assert.deepStrictEqual(file.version, { major: 1, minor: 7 });
  assert.deepStrictEqual(file.header.shard, { first: 8, total: 45 });
  assert.deepStrictEqual(file.header.shape, [16, 19, 22]);
  const attributes = await file.readAttributes();
  assert.deepStrictEqual(attributes!.dimensions[0].values!.slice(0, 2), [48, 54]);
});

Deno.test("merge refuses each mismatch with its own message", async () => {
  const data = noisy(7, 48);
  const o = { errorBound: 0.01, blockSize: 8 };
  const a = await shard(data, 0, 24, o);
  const b = await shard(data, 24, 21, o);
  const refuse = async (shards: Uint8Array[], pattern: RegExp) =>
    await assert.rejects(() => merge(shards, shards.map((_, i) => `s${i}.mrc`)), pattern);
  // A different bound.
  await refuse(
    [a, await shard(data, 24, 21, { ...o, errorBound: 0.02 })],
    /different bounds: 0.01 and 0.02/,
  );
  // A gap and an overlap.
  await refuse(
    [a, await shard(data, 32, 13, o)],
    /snapshots 24\.\.31 are in no shard \(a gap between s0\.mrc and s1\.mrc\)/,
  );
  await refuse(
    [a, await shard(data, 16, 29, o)],
    /s0\.mrc and s1\.mrc overlap: both hold snapshots 16\.\.23/,
  );
  await refuse([a], /snapshots 24\.\.44 are in no shard \(a gap after s0\.mrc\)/);
  await refuse([b], /snapshots 0\.\.23 are in no shard \(a gap before s0\.mrc\)/);
  // A shard of another file: another total, another variable.
  await refuse(
    [a, await shard(data, 24, 24, o, 48)],
    /shards of different files: the whole has 45 snapshots in s0\.mrc, 48 in s1\.mrc/,
  );
  await refuse(
    [a, await shard(data, 24, 21, o, 45, attributesOf(21, 24, "pr"))],
    /shards of different files: variables "tas" and "pr"/,
  );
  // Other parameters.
  await refuse(
    [a, await shard(data, 24, 21, { ...o, keyInterval: 4 })],
    /different key intervals: 32 and 4/,
  );
  await refuse([a, await shard(data, 24, 21, { ...o, levels: 2 })], /different level counts/);
  await refuse(
    [a, await shard(data, 24, 21, { ...o, fillValue: -1 })],
    /mark missing values differently: NaN and fill value -1/,
  );
  // A truncated shard, and one with a damaged chunk.
  await refuse([a, b.slice(0, b.length - 10)], /s1\.mrc: .*truncated|s1\.mrc: .*trailer/);
  const damaged = b.slice();
  damaged[damaged.length - 400] ^= 1;
  await refuse([a, damaged], /s1\.mrc: .*(CRC|damaged)/);
  // Not a shard.
  await refuse([a, await whole(data, o)], /s1\.mrc is not a shard/);
});

Deno.test("shards with predictor auto merge into a valid file within the bound, and say when it differs", async () => {
  const data = noisy(8);
  const o = { errorBound: 0.004, blockSize: 16, predictor: "auto" as const };
  const shards = await Promise.all(
    [[0, 16], [16, 16], [32, 13]].map(([f, n]) => shard(data, f, n, o)),
  );
  const { bytes, result } = await merge(shards);
  const want = await whole(data, o);
  if (result.notIdentical === null) assert.deepStrictEqual(bytes, want);
  else assert.match(result.notIdentical, /not byte-identical to one compression/);
  const file = await openMrc(bytes);
  const decoded = await file.decode();
  for (let i = 0; i < data.length; i++) {
    assert.ok(Math.abs(decoded.data[i] - data[i]) <= 0.004, `value ${i}`);
  }
  // Learned and fixed shards in one whole: the fixed ones get the records of §4.7.5.
  const fixed = await shard(data, 16, 16, { ...o, predictor: "cubic" });
  const learned = await shard(data, 0, 16, { ...o, predictor: "learned" });
  await assert.rejects(() => merge([learned, fixed, shards[2]]), /different predictors/);
});

Deno.test("a cubic shard among learned ones: the whole is learned, its blocks carry records", async () => {
  // Noise in the first shard (learned filters do not pay there), a smooth field in the others.
  const rand = prng(9);
  const data = smooth(dims);
  for (let i = 0; i < 16 * plane; i++) data[i] += 0.3 * gauss(rand);
  const o = { errorBound: 0.004, blockSize: 16, predictor: "auto" as const };
  const parts = await Promise.all(
    [[0, 16], [16, 16], [32, 13]].map(([f, n]) => shard(data, f, n, o)),
  );
  const kinds = await Promise.all(
    parts.map(async (p) => (await openMrc(p)).header.bound!.interpolation),
  );
  assert.deepStrictEqual(kinds, ["cubic", "learned", "learned"]);
  const { bytes, result } = await merge(parts);
  const file = await openContainer(fromBytes(bytes));
  assert.strictEqual(file.header.bound!.interpolation, "learned");
  assert.deepStrictEqual(file.version, { major: 1, minor: 7 });
  // Block 0 came from the cubic shard: each level above 0 starts with the cubic record.
  const record = encodePredictor(fixedPredictor(true));
  const cubicShard = await openContainer(fromBytes(parts[0]));
  for (let k = 1; k < file.header.levels.length; k++) {
    const merged = (await file.readBoundedBlock(k, 0)).bytes;
    const own = (await cubicShard.readBoundedBlock(k, 0)).bytes;
    assert.deepStrictEqual(merged.subarray(0, record.length), record);
    assert.deepStrictEqual(merged.subarray(record.length), own);
  }
  const decoded = await (await openMrc(bytes)).decode();
  for (let i = 0; i < data.length; i++) {
    assert.ok(Math.abs(decoded.data[i] - data[i]) <= 0.004, `value ${i}`);
  }
  // One compression of the whole makes its own choice; merge says whether it matches.
  const want = await whole(data, o);
  if (result.notIdentical === null) assert.deepStrictEqual(bytes, want);
  else assert.notDeepStrictEqual(bytes, want);
});

Deno.test("shards written for an older release (formatVersion 1.5) merge into a 1.5 file, one compress's bytes", async () => {
  const data = noisy(9);
  const options: BlockwiseOptions = { errorBound: 0.01, blockSize: 8, formatVersion: "1.5" };
  const { bytes } = await merge([
    await shard(data, 0, 24, options),
    await shard(data, 24, dims[0] - 24, options),
  ]);
  assert.deepStrictEqual((await openContainer(fromBytes(bytes))).version, { major: 1, minor: 5 });
  assert.deepStrictEqual(bytes, await whole(data, options));
  // Mixed: the newest of the shards' versions.
  const mixed = await merge([
    await shard(data, 0, 24, options),
    await shard(data, 24, dims[0] - 24, { ...options, formatVersion: undefined }),
  ]);
  assert.deepStrictEqual((await openContainer(fromBytes(mixed.bytes))).version, {
    major: 1,
    minor: 7,
  });
  await assert.rejects(
    shard(data, 0, 24, { ...options, formatVersion: "1.2" }),
    /a shard needs format 1\.3 or later, found formatVersion "1\.2"/,
  );
});
