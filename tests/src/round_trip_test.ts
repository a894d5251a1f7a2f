import assert from "node:assert";
import {
  compress,
  type CompressOptions,
  decodeStream,
  fromBytes,
  levelMetrics,
  MrcFormatError,
  openMrc,
} from "../../mod.ts";
import { countingSource } from "../../format/mod.ts";
import {
  rangeServer,
  SHAPE,
  sharedFile,
  smallField,
  streamOf,
  TOL,
  training,
} from "./_fixtures.ts";

training.test("compress() round trip: every level meets its tolerance and the report matches the decode", async () => {
  const { data, bytes } = await sharedFile();
  const file = await openMrc(bytes);
  assert.deepStrictEqual(file.header.shape, SHAPE);
  const range = Math.max(...data) - Math.min(...data);
  for (let k = 0; k < 3; k++) {
    const decoded = await file.decode({ level: k });
    const m = levelMetrics(decoded, data, SHAPE);
    const mse = (m.rmse / range) ** 2;
    assert.ok(mse <= TOL[k], `level ${k}: normalized MSE ${mse} above tolerance ${TOL[k]}`);
    const reported = file.levels[k];
    assert.ok(
      Math.abs(reported.rmse! - m.rmse) <= 1e-6 * range,
      `level ${k}: report ${reported.rmse} vs ${m.rmse}`,
    );
    assert.ok(Math.abs(reported.maxAbsError! - m.maxAbsError) <= 1e-5 * range);
  }
  assert.ok(
    bytes.length < data.length * 4,
    `file ${bytes.length} bytes is not smaller than the input`,
  );
});

training.test("MrcFile.decode() level shapes sample the original extent", async () => {
  const { bytes } = await sharedFile();
  const file = await openMrc(bytes);
  // Grid 31 x 39 (27 x 37 padded), crop [2, 1]: stride 4 samples rows 3, 7, ..., inside rows 2..28.
  const shapes = [];
  for (let k = 0; k < 3; k++) shapes.push((await file.decode({ level: k })).shape);
  assert.deepStrictEqual(shapes[2], SHAPE);
  assert.deepStrictEqual(shapes[1], [10, 13, 19]);
  const l0 = await file.decode({ level: 0 });
  assert.deepStrictEqual(Array.from(l0.rows), [1, 5, 9, 13, 17, 21, 25]);
});

training.test("MrcFile.decode() of a snapshot range equals the same snapshots of a full decode", async () => {
  const { bytes } = await sharedFile();
  const file = await openMrc(bytes);
  for (const level of [0, 2]) {
    const full = await file.decode({ level });
    const part = await file.decode({ level, snapshots: [3, 9] });
    const plane = full.shape[1] * full.shape[2];
    assert.deepStrictEqual(part.data, full.data.slice(3 * plane, 9 * plane));
  }
});

training.test("MrcFile.decode() of one snapshot reads only the blocks that hold it", async () => {
  const { bytes } = await sharedFile();
  const source = countingSource(fromBytes(bytes));
  const file = await openMrc(source);
  const opened = source.bytesRead;
  await file.decode({ level: 0, snapshots: [5, 6] });
  const code = file.chunks.find((c) => c.type === "CODE" && c.level === 0 && c.block === 1)!;
  const decw = file.chunks.find((c) => c.type === "DECW" && c.level === 0)!;
  const mask = file.chunks.find((c) => c.type === "MASK" && c.level === 0)!;
  assert.strictEqual(source.bytesRead - opened, code.length + decw.length + mask.length);
});

training.test("MrcFile.progressive() yields levels in order, equal to decode()", async () => {
  const { bytes } = await sharedFile();
  const file = await openMrc(bytes);
  let k = 0;
  for await (const level of file.progressive()) {
    assert.strictEqual(level.level, k);
    assert.deepStrictEqual(level.data, (await file.decode({ level: k })).data);
    k++;
  }
  assert.strictEqual(k, 3);
});

training.test("decodeStream() yields every level in order, equal to random access", async () => {
  const { bytes } = await sharedFile();
  const file = await openMrc(bytes);
  const levels = [];
  for await (const level of decodeStream(streamOf(bytes))) levels.push(level);
  assert.deepStrictEqual(levels.map((l) => l.level), [0, 1, 2]);
  for (const l of levels) {
    assert.deepStrictEqual(l.data, (await file.decode({ level: l.level })).data);
  }
});

training.test("decodeStream() of a stream cut after level 0 yields level 0, then MrcFormatError", async () => {
  const { bytes } = await sharedFile();
  const file = await openMrc(bytes);
  const firstLevel1 = file.chunks.find((c) => c.level === 1)!;
  const cut = bytes.slice(0, firstLevel1.offset + 5);
  const got: number[] = [];
  await assert.rejects(async () => {
    for await (const level of decodeStream(streamOf(cut))) got.push(level.level);
  }, MrcFormatError);
  assert.deepStrictEqual(got, [0]);
});

const CODINGS = ["model", "bounded"] as const;
/** Options for `coding`: a short cpu training run for model coding, `levels` either way. */
const optionsFor = (
  coding: typeof CODINGS[number],
  levels: number,
  steps: number,
): CompressOptions => coding === "model" ? { coding, levels, steps, backend: "cpu" } : { levels };

Deno.test("compress() keeps odd grid sizes, T = 1 and a (H, W) shape", async () => {
  const data = smallField(1, 21, 13);
  for (const coding of CODINGS) {
    const bytes = await compress(data, [21, 13], optionsFor(coding, 2, 10));
    const file = await openMrc(bytes);
    assert.deepStrictEqual(file.header.shape, [1, 21, 13]);
    assert.deepStrictEqual((await file.decode()).shape, [1, 21, 13]);
  }
});

Deno.test("compress() restores NaN positions exactly and keeps finite values finite", async () => {
  const [T, H, W] = [4, 15, 19];
  const data = smallField(T, H, W);
  const holes = new Set<number>();
  for (let i = 0; i < data.length; i += 37) holes.add(i);
  for (let p = 0; p < 20; p++) for (let t = 0; t < T; t++) holes.add(t * H * W + 3 * W + p % W); // a land strip
  for (const i of holes) data[i] = NaN;
  for (const coding of CODINGS) {
    const bytes = await compress(data, [T, H, W], optionsFor(coding, 2, 10));
    const file = await openMrc(bytes);
    assert.strictEqual(file.header.missing.count, holes.size);
    const out = await file.decode();
    for (let i = 0; i < data.length; i++) {
      assert.strictEqual(Number.isNaN(out.data[i]), holes.has(i), `index ${i}`);
    }
    const coarse = await file.decode({ level: 0 });
    for (let t = 0; t < T; t++) {
      coarse.rows.forEach((r, i) =>
        coarse.cols.forEach((c, j) => {
          const v = coarse.data[(t * coarse.shape[1] + i) * coarse.shape[2] + j];
          assert.strictEqual(Number.isNaN(v), holes.has(t * H * W + r * W + c));
        })
      );
    }
  }
});

Deno.test("compress() handles a constant field exactly", async () => {
  const data = new Float32Array(2 * 9 * 9).fill(4.25);
  for (const coding of CODINGS) {
    const file = await openMrc(
      await compress(data, [2, 9, 9], optionsFor(coding, 1, 5)),
    );
    const out = await file.decode();
    if (coding === "bounded") { for (const v of out.data) assert.strictEqual(v, 4.25); }
    else for (const v of out.data) assert.ok(Math.abs(v - 4.25) < 1e-6, `${v}`);
  }
});

Deno.test("compress() rejects bad input with a clear error", async () => {
  await assert.rejects(
    compress(new Float32Array(10), [2, 2, 2]),
    /shape 2x2x2 needs 8 values, found 10/,
  );
  await assert.rejects(
    compress(new Float32Array(4), [1, 2, 2, 1]),
    /shape must be \[T, H, W\] or \[H, W\]/,
  );
  await assert.rejects(
    compress(Float32Array.of(1, 2, -Infinity, 4), [1, 2, 2]),
    /value at \[0, 1, 0\] is -Infinity/,
  );
  // deno-lint-ignore no-explicit-any
  await assert.rejects(compress([1, 2, 3, 4] as any, [2, 2]), TypeError);
  await assert.rejects(
    compress(new Float32Array(4), [2, 2], { coding: "model", tol: [1, 2] }),
    /tol needs 3 positive numbers/,
  );
});

Deno.test("compress() refuses an option of the other coding, an unknown option and mode", async () => {
  const data = new Float32Array(4);
  // @ts-expect-error: tol is a model-coding option, refused by the type checker in bounded coding
  const bounded: CompressOptions = { levels: 2, tol: [1, 2, 3] };
  await assert.rejects(
    compress(data, [2, 2], bounded),
    (e) =>
      e instanceof TypeError &&
      /option "tol" is a model-coding option; bounded coding takes errorBound, relErrorBound, psnr/
        .test(e.message),
  );
  // @ts-expect-error: errorBound is a bounded-coding option
  const model: CompressOptions = { coding: "model", errorBound: 0.1 };
  await assert.rejects(
    compress(data, [2, 2], model),
    (e) =>
      e instanceof TypeError &&
      /option "errorBound" is a bounded-coding option; model coding takes levels/.test(e.message),
  );
  // @ts-expect-error: a misspelt option
  const typo: CompressOptions = { errorbound: 0.1 };
  await assert.rejects(compress(data, [2, 2], typo), /unknown option "errorbound"/);
  // @ts-expect-error: mode is now coding
  const old: CompressOptions = { mode: "model" };
  await assert.rejects(compress(data, [2, 2], old), /option "mode" is now "coding"/);
  await assert.rejects(
    // @ts-expect-error: not a coding
    compress(data, [2, 2], { coding: "lossless" }),
    (e) => e instanceof RangeError && /coding must be "bounded" or "model"/.test(e.message),
  );
  // An option of the other coding left undefined passes, as its type (`?: never`) allows.
  const file = await openMrc(await compress(data, [2, 2], { levels: 1, tol: undefined }));
  assert.strictEqual(file.header.coding, "bounded");
});

training.test("MrcFile.decode() rejects bad levels and snapshot ranges", async () => {
  const { bytes } = await sharedFile();
  const file = await openMrc(bytes);
  await assert.rejects(file.decode({ level: 3 }), /levels 0 to 2/);
  await assert.rejects(file.decode({ snapshots: [4, 11] }), /snapshots 0:10/);
});

training.test("openMrc(url) decodes level 0 of a remote file with Range requests, fetching only level-0 bytes", async () => {
  const { bytes } = await sharedFile();
  const server = rangeServer(bytes);
  const ranges = server.ranges;
  try {
    // Exact reads: what each step costs without the read-ahead of both ends.
    const file = await openMrc(server.url("a.mrc"), { readAhead: 0 });
    const remote = await file.decode({ level: 0 });
    const local = await (await openMrc(bytes)).decode({ level: 0 });
    assert.deepStrictEqual(remote.data, local.data);
    // Allowed: the trailer, the index, the header and metadata, and level 0's chunks.
    const level0 = file.chunks.filter((c) => c.level === 0).reduce((a, c) => a + c.length, 0);
    const first = file.chunks.find((c) => c.level !== null)!.offset;
    const index = bytes.length - file.chunks.at(-1)!.offset - file.chunks.at(-1)!.length;
    assert.ok(server.served() <= first + level0 + index + 64, `served ${server.served()} bytes`);
    for (const c of file.chunks.filter((c) => c.level !== null && c.level > 0)) {
      const overlap = ranges.some(([a, b]) => a < c.offset + c.length && b >= c.offset);
      assert.ok(!overlap, `a range touched ${c.type} of level ${c.level}`);
    }
  } finally {
    await server.shutdown();
  }
});

training.test("compress() size of the fixture does not regress (deterministic: cpu backend, fixed seed)", async () => {
  const { bytes } = await sharedFile();
  const file = await openMrc(bytes);
  // Level chunks only: META holds timings and a date. 4,024 bytes when this test was written.
  const levelBytes = file.levels.reduce((a, l) => a + l.bytes.total, 0);
  assert.ok(levelBytes <= 4_100, `level chunks take ${levelBytes} bytes (was 4,024)`);
});
