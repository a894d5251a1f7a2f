/**
 * Bounded mode: option checks, random access and progressive decoding, reading only what a range
 * needs (locally and over HTTP), a seeded property test of the bound and the report, PSNR
 * targets, and corrupt files.
 */
import assert from "node:assert";
import {
  compress,
  decodeStream,
  fromBytes,
  levelMetrics,
  MrcFormatError,
  openMrc,
} from "../../mod.ts";
import { countingSource } from "../../format/mod.ts";
import {
  encodeChunk,
  encodeIndexFor,
  encodePreamble,
  encodeTrailer,
  type MrcChunkEntry,
  type ParsedChunk,
} from "../../format/_framing.ts";
import { decodeChunk } from "../../format/_framing.ts";
import {
  checkLevels,
  type Dims,
  field,
  gauss,
  prng,
  randInt,
  smooth,
  validRange,
} from "./_bounded.ts";
import { rangeServer, streamOf } from "./_fixtures.ts";
import { concat } from "../format/_helpers.ts";
import { DEFAULT_READ_AHEAD } from "../../src/read/_read_ahead.ts";

// --- Options and input checks ---

Deno.test("compress() rejects an infinite value, naming its position", async () => {
  const x = smooth([3, 4, 5]);
  x[(1 * 4 + 2) * 5 + 3] = Infinity;
  await assert.rejects(compress(x, [3, 4, 5]), /value at \[1, 2, 3\] is Infinity/);
  const y = Float64Array.from(smooth([2, 3, 3]));
  y[17] = -Infinity;
  await assert.rejects(compress(y, [2, 3, 3]), /value at \[1, 2, 2\] is -Infinity/);
});

Deno.test("compress() rejects non-positive, non-finite and combined bounds", async () => {
  const x = smooth([2, 6, 6]);
  const dims: Dims = [2, 6, 6];
  for (const errorBound of [0, -1, NaN, Infinity]) {
    await assert.rejects(
      compress(x, dims, { errorBound }),
      (e: Error) =>
        e instanceof RangeError && /errorBound must be a positive finite number/.test(e.message),
      `errorBound ${errorBound}`,
    );
  }
  for (const relErrorBound of [0, -1e-3, NaN]) {
    await assert.rejects(
      compress(x, dims, { relErrorBound }),
      /relErrorBound must be a positive finite number/,
    );
  }
  for (const psnr of [0, -5, 400, NaN]) {
    await assert.rejects(compress(x, dims, { psnr }), /psnr must be a number of dB in \(0, 400\)/);
  }
  await assert.rejects(
    compress(x, dims, { errorBound: 0.1, psnr: 40 }),
    /give one of errorBound, relErrorBound, psnr, found errorBound, psnr/,
  );
  await assert.rejects(
    compress(x, dims, { errorBound: 0.1, relErrorBound: 1e-3 }),
    /give one of errorBound, relErrorBound, psnr/,
  );
  await assert.rejects(compress(x, dims, { keyInterval: 3 }), /keyInterval must be a power of two/);
  await assert.rejects(compress(x, dims, { blockSize: 0 }), /blockSize must be an integer/);
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    compress(x, dims, { interpolation: "nearest" as any }),
    /interpolation must be "cubic" or "linear"/,
  );
  await assert.rejects(
    compress(x, dims, { levels: 0 }),
    /levels must be an integer from 1 to 3 for 6x6/,
  );
});

Deno.test("compress() of float64 input: the bound holds against the float64 originals", async () => {
  const dims: Dims = [6, 15, 17];
  const rand = prng(21);
  const x = Float64Array.from({ length: 6 * 15 * 17 }, () => rand());
  // Float32 rounding of values in [0, 1) is at most 2^-25 (3e-8).
  for (const errorBound of [1e-7, 1e-4, 0.05]) {
    const bytes = await compress(x, dims, { errorBound });
    const { file } = await checkLevels(bytes, x, dims, `float64 errorBound ${errorBound}`);
    assert.strictEqual(file.header.dtype, "float64");
  }
});

Deno.test("compress() refuses a bound below the float32 rounding of float64 data", async () => {
  const dims: Dims = [2, 7, 9];
  const x = Float64Array.from({ length: 2 * 7 * 9 }, (_, i) => 1 / (i + 3));
  await assert.rejects(
    compress(x, dims, { errorBound: 1e-10 }),
    /the bound 1e-10 is below the float32 rounding of the float64 data \(.+\); decoders return float32/,
  );
  await assert.rejects(
    compress(x, dims, { relErrorBound: 1e-12 }),
    /below the float32 rounding of the float64 data/,
  );
  await assert.rejects(compress(x, dims, { psnr: 250 }), /below the float32 rounding/);
  // Values beyond float32's range round to infinity: no bound can hold.
  const big = Float64Array.from(x, (v, i) => (i === 5 ? 1e39 : v));
  await assert.rejects(compress(big, dims), /float32 rounding/);
});

// --- Random access and progressive decoding ---

const RA_DIMS: Dims = [20, 24, 28];
const RA_OPTIONS = { blockSize: 4, keyInterval: 4, levels: 3, relErrorBound: 1e-4 } as const;
let raFile: Promise<{ x: Float32Array; bytes: Uint8Array }> | null = null;

/** A 20 x 24 x 28 file of 5 blocks and 3 levels, made once. */
function randomAccessFile(): Promise<{ x: Float32Array; bytes: Uint8Array }> {
  raFile ??= (async () => {
    const rand = prng(31);
    const x = smooth(RA_DIMS).map((v) => v + 0.05 * gauss(rand));
    return { x, bytes: await compress(x, RA_DIMS, RA_OPTIONS) };
  })();
  return raFile;
}

const RANGES: [number, number][] = [[0, 1], [3, 9], [7, 8], [19, 20], [4, 8], [0, 20], [11, 17]];

Deno.test("MrcFile.decode() of a snapshot range equals the same slice of the full decode", async () => {
  const { x, bytes } = await randomAccessFile();
  const { file } = await checkLevels(bytes, x, RA_DIMS, "random access file");
  assert.strictEqual(file.levelCount, 3);
  for (let k = 0; k < 3; k++) {
    const full = await file.decode({ level: k });
    const plane = full.shape[1] * full.shape[2];
    for (const [a, b] of RANGES) {
      // A fresh file each time: no state carried over from earlier decodes.
      const part = await (await openMrc(bytes)).decode({ level: k, snapshots: [a, b] });
      assert.deepStrictEqual(part.shape, [b - a, full.shape[1], full.shape[2]]);
      assert.deepStrictEqual(part.snapshots, [a, b]);
      assert.deepStrictEqual(part.rows, full.rows);
      assert.deepStrictEqual(part.cols, full.cols);
      assert.deepStrictEqual(
        part.data,
        full.data.slice(a * plane, b * plane),
        `level ${k} ${a}:${b}`,
      );
    }
  }
});

Deno.test("MrcFile.progressive() yields every level, equal to decode(), for all and for a range", async () => {
  const { bytes } = await randomAccessFile();
  const file = await openMrc(bytes);
  for (const snapshots of [undefined, [5, 13] as [number, number]]) {
    const got: number[] = [];
    for await (const level of file.progressive({ snapshots })) {
      got.push(level.level);
      const want = await file.decode({ level: level.level, snapshots });
      assert.deepStrictEqual(level.shape, want.shape);
      assert.deepStrictEqual(level.data, want.data, `level ${level.level} ${snapshots}`);
    }
    assert.deepStrictEqual(got, [0, 1, 2]);
  }
});

Deno.test("decodeStream() yields every level identical to random access", async () => {
  const { bytes } = await randomAccessFile();
  const file = await openMrc(bytes);
  const want = [];
  for (let k = 0; k < 3; k++) want.push(await file.decode({ level: k }));
  for (const stream of [new Blob([bytes.slice()]).stream(), streamOf(bytes, 7)]) {
    const got = [];
    for await (const level of decodeStream(stream)) got.push(level);
    assert.deepStrictEqual(got.map((l) => l.level), [0, 1, 2]);
    for (let k = 0; k < 3; k++) {
      assert.deepStrictEqual(got[k].shape, want[k].shape);
      assert.deepStrictEqual(got[k].rows, want[k].rows);
      assert.deepStrictEqual(got[k].data, want[k].data, `level ${k}`);
    }
  }
});

Deno.test("decodeStream() of a bounded file with missing values equals random access", async () => {
  const dims: Dims = [9, 14, 15];
  const x = smooth(dims);
  for (let g = 0; g < x.length; g += 11) x[g] = NaN;
  const bytes = await compress(x, dims, { blockSize: 2, keyInterval: 2, errorBound: 1e-3 });
  const file = await openMrc(bytes);
  let k = 0;
  for await (const level of decodeStream(new Blob([bytes.slice()]).stream())) {
    assert.deepStrictEqual(level.data, (await file.decode({ level: k })).data, `level ${k}`);
    k++;
  }
  assert.strictEqual(k, file.levelCount);
});

Deno.test("MrcFile.decode() of one snapshot reads only the BCOD chunks of its block, levels <= k", async () => {
  const { bytes } = await randomAccessFile();
  const source = countingSource(fromBytes(bytes));
  // Without the coder cache: every decode reads levels 0..k (tests/src/read/coder_cache_test.ts).
  const file = await openMrc(source, { cacheBytes: 0 });
  const bs = file.header.blockSize;
  assert.strictEqual(bs, 4);
  const bcod = file.chunks.filter((c) => c.type === "BCOD");
  assert.strictEqual(bcod.length, 3 * 5);
  const cost = (k: number, blocks: number[]) =>
    bcod.filter((c) => c.level! <= k && blocks.includes(c.block!)).reduce(
      (a, c) => a + c.length,
      0,
    );
  for (const [a, b] of [[0, 1], [5, 6], [19, 20], [3, 6], [8, 12]]) {
    for (let k = 0; k < 3; k++) {
      source.reset();
      await file.decode({ level: k, snapshots: [a, b] });
      const blocks = [];
      for (let blk = Math.floor(a / bs); blk * bs < b; blk++) blocks.push(blk);
      assert.strictEqual(source.bytesRead, cost(k, blocks), `level ${k} snapshots ${a}:${b}`);
      for (const read of source.log) {
        const c = bcod.find((c) => c.offset === read.offset && c.length === read.length);
        assert.ok(c && blocks.includes(c.block!) && c.level! <= k, `read ${JSON.stringify(read)}`);
      }
    }
  }
});

Deno.test("MrcFile.decode() of a file with missing values also reads the NANM chunk, once", async () => {
  const dims: Dims = [12, 10, 11];
  const x = smooth(dims);
  for (let g = 3; g < x.length; g += 17) x[g] = NaN;
  const bytes = await compress(x, dims, { blockSize: 4, keyInterval: 2, errorBound: 1e-3 });
  const source = countingSource(fromBytes(bytes));
  const file = await openMrc(source);
  const nanm = file.chunks.find((c) => c.type === "NANM")!;
  const bcod = (k: number, b: number) =>
    file.chunks.find((c) => c.type === "BCOD" && c.level === k && c.block === b)!.length;
  source.reset();
  await file.decode({ level: 0, snapshots: [5, 6] });
  assert.strictEqual(source.bytesRead, nanm.length + bcod(0, 1));
  source.reset();
  await file.decode({ level: 1, snapshots: [9, 10] });
  assert.strictEqual(source.bytesRead, bcod(0, 2) + bcod(1, 2));
});

Deno.test("openMrc(url) of a bounded file: level 0 fetches only level-0 bytes beyond the open cost", async () => {
  const { x, bytes } = await randomAccessFile();
  const server = rangeServer(bytes);
  const ranges = server.ranges;
  try {
    // Exact reads: what each step costs without the read-ahead of both ends.
    const file = await openMrc(server.url("bounded.mrc"), { readAhead: 0 });
    const opened = server.served();
    const openRanges = ranges.length;
    const level0 = await file.decode({ level: 0 });
    const level0Bytes = file.chunks.filter((c) => c.type === "BCOD" && c.level === 0)
      .reduce((a, c) => a + c.length, 0);
    assert.ok(
      server.served() - opened <= level0Bytes,
      `served ${server.served() - opened} > ${level0Bytes}`,
    );
    for (const [a, b] of ranges.slice(openRanges)) {
      for (const c of file.chunks.filter((c) => c.level !== null && c.level > 0)) {
        assert.ok(
          !(a < c.offset + c.length && b >= c.offset),
          `read ${a}-${b} touched level ${c.level}`,
        );
      }
    }
    assert.ok(server.served() < bytes.length, `served ${server.served()} of ${bytes.length} bytes`);
    // The bound holds on what came back.
    const { maxAbsError } = levelMetrics(level0, x, RA_DIMS);
    assert.ok(maxAbsError <= file.header.bound!.abs, `error ${maxAbsError}`);
    assert.deepStrictEqual(level0.data, (await (await openMrc(bytes)).decode({ level: 0 })).data);
  } finally {
    await server.shutdown();
  }
});

Deno.test("openMrc(url) by default opens in 2 requests (both ends) and level 0 reads nothing finer", async () => {
  // Noise makes a file well over twice the read-ahead (DEFAULT_READ_AHEAD from each end).
  const rand = prng(7);
  const dims: Dims = [40, 64, 64];
  const x = field(dims, () => rand());
  const bytes = await compress(x, dims, { errorBound: 1e-3, blockSize: 8 });
  assert.ok(bytes.length > 4 * DEFAULT_READ_AHEAD, `${bytes.length} bytes`);
  const server = rangeServer(bytes);
  try {
    const file = await openMrc(server.url("noise.mrc"));
    assert.strictEqual(server.ranges.length, 2, JSON.stringify(server.ranges));
    assert.ok(server.served() <= 2 * DEFAULT_READ_AHEAD);
    const opened = server.ranges.length;
    const remote = await file.decode({ level: 0, snapshots: [8, 16] });
    // Later reads: level-0 chunks only (the read-ahead may already hold some of them).
    for (const [a, b] of server.ranges.slice(opened)) {
      const touched = file.chunks.filter((c) => a < c.offset + c.length && b >= c.offset);
      assert.ok(touched.every((c) => c.level === 0), `read ${a}-${b} touched a finer level`);
    }
    const local = await (await openMrc(bytes)).decode({ level: 0, snapshots: [8, 16] });
    assert.deepStrictEqual(remote.data, local.data);
  } finally {
    await server.shutdown();
  }
});

// --- Property test ---

Deno.test("compress() property: bound on every level and report maxAbsError equals the decode's", async () => {
  const rand = prng(20261129);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  for (let n = 0; n < 30; n++) {
    const dims: Dims = [randInt(rand, 1, 20), randInt(rand, 1, 33), randInt(rand, 1, 33)];
    const [, H, W] = dims;
    const kind = pick(["smooth", "noise", "mixture"] as const);
    const base = smooth(dims, rand());
    const scale = 10 ** randInt(rand, -3, 3);
    const x = kind === "smooth"
      ? base.map((v) => v * scale)
      : kind === "noise"
      ? field(dims, () => scale * gauss(rand))
      : base.map((v) => scale * (v + (rand() < 0.1 ? 5 * gauss(rand) : 0.01 * rand())));
    const { range } = validRange(x);
    const errorBound = range > 0 ? range * 10 ** (-6 * rand()) : 1e-3;
    const maxLevels = Math.min(8, Math.floor(Math.log2(Math.min(H, W))) + 1);
    const options = {
      errorBound,
      keyInterval: pick([1, 2, 4, 8, 32]),
      blockSize: pick([1, 2, 3, 5, 8, 16, 64]),
      levels: randInt(rand, 1, maxLevels),
      interpolation: pick(["cubic", "linear"] as const),
    };
    const label = `case ${n}: ${dims.join("x")} ${kind} x${scale} ${JSON.stringify(options)}`;
    const bytes = await compress(x, dims, options);
    const { file, levels } = await checkLevels(bytes, x, dims, label);
    assert.strictEqual(file.header.bound!.abs, errorBound, label);
    assert.deepStrictEqual(file.header.bound, {
      abs: errorBound,
      keyInterval: options.keyInterval,
      interpolation: options.interpolation,
    });
    const report = file.report!;
    assert.ok("mode" in report && report.mode === "bounded", label);
    assert.strictEqual(report.levels.length, options.levels, label);
    levels.forEach((l, k) => {
      // META rounds non-integers to 6 significant digits, but maxAbsError is stored exactly.
      assert.strictEqual(report.levels[k].maxAbsError, l.max, `${label}: level ${k}`);
      assert.ok(l.max <= errorBound, label);
      const rmse = Math.sqrt(l.count > 0 ? l.sse / l.count : 0);
      assert.ok(
        Math.abs(report.levels[k].rmse - rmse) <= 1e-5 * rmse + 1e-300,
        `${label}: level ${k} rmse ${report.levels[k].rmse} vs ${rmse}`,
      );
    });
  }
});

// --- PSNR targets ---

Deno.test("compress({ psnr }) meets the target PSNR on the finest level", async () => {
  const dims: Dims = [10, 32, 30];
  const rand = prng(41);
  const x = smooth(dims).map((v) => v + 0.01 * gauss(rand));
  for (let g = 0; g < x.length; g += 29) x[g] = NaN;
  const { range } = validRange(x);
  for (const target of [35, 55, 80]) {
    const bytes = await compress(x, dims, { psnr: target });
    const { file, levels } = await checkLevels(bytes, x, dims, `psnr ${target}`);
    const finest = levels.at(-1)!;
    const measured = 20 * Math.log10(range / Math.sqrt(finest.sse / finest.count));
    assert.ok(measured >= target, `target ${target} dB, measured ${measured} dB`);
    // Not far above the target: the search finds a bound near the largest one that meets it.
    assert.ok(measured <= target + 6, `target ${target} dB, measured ${measured} dB`);
    const report = file.report!;
    assert.ok("mode" in report && report.mode === "bounded");
    assert.strictEqual(report.bound.requested.psnr, target);
    assert.ok(report.bound.trials >= 1);
  }
});

// --- Corrupt files ---

/** Re-frames a file's chunks after `edit`, with a fresh index and trailer (valid CRCs). */
async function rebuild(
  bytes: Uint8Array,
  edit: (chunks: ParsedChunk[]) => ParsedChunk[],
): Promise<Uint8Array<ArrayBuffer>> {
  const file = await openMrc(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = { major: view.getUint16(10, true), minor: view.getUint16(12, true) };
  const chunks = edit(
    file.chunks.map((c) => decodeChunk(bytes.subarray(c.offset, c.offset + c.length), c.offset)),
  );
  const parts: Uint8Array[] = [encodePreamble(version)];
  let offset = parts[0].length;
  const entries: MrcChunkEntry[] = [];
  for (const c of chunks) {
    const framed = encodeChunk(c.type, c, c.body);
    entries.push({
      type: c.type,
      level: c.level,
      block: c.block,
      flags: c.flags,
      offset,
      length: framed.length,
    });
    parts.push(framed);
    offset += framed.length;
  }
  const index = encodeIndexFor(version, entries);
  parts.push(index, encodeTrailer({ indexOffset: offset, indexLength: index.length, ...version }));
  return concat(parts);
}

Deno.test("rebuild() (test helper) reproduces a bounded file byte for byte", async () => {
  const { bytes } = await randomAccessFile();
  assert.deepStrictEqual(await rebuild(bytes, (c) => c), bytes);
});

Deno.test("MrcFile.decode() rejects a flipped byte in a BCOD body with a CRC MrcFormatError", async () => {
  const { bytes } = await randomAccessFile();
  const file = await openMrc(bytes);
  const target = file.chunks.find((c) => c.type === "BCOD" && c.level === 1 && c.block === 2)!;
  for (const at of [16, 20, target.length - 5]) {
    const bad = bytes.slice();
    bad[target.offset + at] ^= 0x10;
    const opened = await openMrc(bad);
    // Chunks it does not read still decode.
    await opened.decode({ level: 0 });
    await opened.decode({ level: 1, snapshots: [0, 8] });
    await assert.rejects(
      opened.decode({ level: 1, snapshots: [8, 9] }),
      (e: Error) => e instanceof MrcFormatError && /Cannot .*"BCOD".*CRC mismatch/.test(e.message),
      `byte ${at}`,
    );
    await assert.rejects(opened.decode(), MrcFormatError);
    await assert.rejects(opened.verify(), MrcFormatError);
    await assert.rejects(async () => {
      for await (const _ of decodeStream(new Blob([bad]).stream()));
    }, MrcFormatError);
  }
});

Deno.test("MrcFile.decode() rejects a BCOD whose coded bytes were cut short (CRC recomputed)", async () => {
  const { bytes } = await randomAccessFile();
  for (const keep of [0, 0.5]) {
    const bad = await rebuild(bytes, (chunks) =>
      chunks.map((c) => {
        if (c.type !== "BCOD" || c.level !== 2 || c.block !== 1) return c;
        const n = 4 + Math.floor((c.body.length - 4) * keep);
        return { ...c, body: c.body.slice(0, n) };
      }));
    const file = await openMrc(bad);
    await file.decode({ level: 1 });
    await assert.rejects(
      file.decode({ level: 2, snapshots: [4, 5] }),
      MrcFormatError,
      `keep ${keep}`,
    );
  }
});

Deno.test("MrcFile.decode() rejects a BCOD whose snapshot count disagrees with the header", async () => {
  const { bytes } = await randomAccessFile();
  const bad = await rebuild(bytes, (chunks) =>
    chunks.map((c) => {
      if (c.type !== "BCOD" || c.level !== 0 || c.block !== 0) return c;
      const body = c.body.slice();
      new DataView(body.buffer).setUint32(0, 3, true);
      return { ...c, body };
    }));
  const file = await openMrc(bad);
  await assert.rejects(file.decode({ level: 0, snapshots: [0, 1] }), MrcFormatError);
  await assert.rejects(async () => {
    for await (const _ of decodeStream(new Blob([bad]).stream()));
  }, MrcFormatError);
});

Deno.test("openMrc() rejects a bounded header followed by a DECW chunk", async () => {
  const { bytes } = await randomAccessFile();
  const bad = await rebuild(bytes, (chunks) => {
    const at = chunks.findIndex((c) => c.type === "BCOD");
    const decw: ParsedChunk = {
      type: "DECW",
      level: 0,
      block: null,
      flags: 0,
      body: new Uint8Array(40),
    };
    return [...chunks.slice(0, at), decw, ...chunks.slice(at)];
  });
  await assert.rejects(
    openMrc(bad),
    (e: Error) => e instanceof MrcFormatError && /"DECW".*bounded/.test(e.message),
  );
  await assert.rejects(async () => {
    for await (const _ of decodeStream(new Blob([bad]).stream()));
  }, MrcFormatError);
});
