// Learned prediction (format 1.3, SPEC.md §4.7.5): the predictor's record, the filter's row loop
// against the SPEC's sum, refusals of bad records, determinism, and what auto chooses.
import assert from "node:assert";
import {
  decodePredictor,
  encodePredictor,
  FILTER_SIZES,
  FILTER_TAPS,
  filterRow,
  filterWeights,
  fitFilter,
  fixedFilter,
  interiorColumns,
  type LevelPredictor,
  tapOffsets,
} from "../../../src/bounded/learned.ts";
import { compress, MrcFormatError, openMrc } from "../../../mod.ts";
import { fromBytes, openContainer } from "../../../format/mod.ts";
import { prng } from "../_bounded.ts";

const predictor: LevelPredictor = {
  cubic: false,
  filters: [
    Int16Array.from({ length: 12 }, (_, i) => 2048 * i - 12288),
    null,
    new Int16Array(12).fill(-32768),
  ],
};

Deno.test("a level predictor's record: layout and round trip", () => {
  const bytes = encodePredictor(predictor);
  assert.strictEqual(bytes.length, 2 + 2 * 12 + 2 * 12);
  assert.deepStrictEqual([bytes[0], bytes[1]], [0, 0b101]);
  assert.strictEqual(new DataView(bytes.buffer).getInt16(2 + 2, true), 2048 - 12288);
  assert.deepStrictEqual(Array.from(bytes.subarray(26, 28)), [0x00, 0x80], "int16 little-endian");
  const back = decodePredictor(bytes);
  assert.strictEqual(back.length, bytes.length);
  assert.deepStrictEqual(back.predictor, predictor);
  assert.deepStrictEqual(Array.from(filterWeights(Int16Array.of(16384, -8192, 1))), [
    1,
    -0.5,
    2 ** -14,
  ]);
  // A cubic record without filters: 2 bytes.
  assert.deepStrictEqual(
    Array.from(encodePredictor({ cubic: true, filters: [null, null, null] })),
    [1, 0],
  );
  assert.deepStrictEqual(FILTER_SIZES, [12, 16, 12]);
});

Deno.test("a bad level predictor's record is refused, naming what is wrong", () => {
  const good = encodePredictor(predictor);
  assert.throws(() => decodePredictor(good.subarray(0, 1)), /needs 2 bytes, found 1/);
  assert.throws(() => decodePredictor(Uint8Array.of(2, 0)), /interpolation 2 is neither/);
  assert.throws(() => decodePredictor(Uint8Array.of(1, 8)), /filter flags 8 set reserved bits/);
  assert.throws(() => decodePredictor(good.subarray(0, 20)), /pass 1's filter is cut short/);
  assert.throws(() => decodePredictor(good.subarray(0, 40)), /pass 3's filter is cut short/);
});

Deno.test("fitFilter: weights summing to exactly 2^14; the fit recovers a known filter", () => {
  // Targets made by a known filter summing to 1 (plus noise of a tenth of a step).
  const m = 12, count = 4000, rand = prng(3);
  const truth = Float64Array.from({ length: m }, (_, i) => (i === 5 || i === 6 ? 0.4 : 0.02));
  const a = new Float64Array(count * m), t = new Float64Array(count);
  for (let n = 0; n < count; n++) {
    let v = 0;
    for (let i = 0; i < m; i++) {
      a[n * m + i] = 1000 + 50 * rand();
      v += truth[i] * a[n * m + i];
    }
    t[n] = v + 0.1 * (rand() - 0.5);
  }
  const f = fitFilter({ a, t, count }, m, fixedFilter(1, true));
  assert.ok(f !== null);
  assert.strictEqual(f.reduce((x, y) => x + y, 0), 16384);
  f.forEach((v, i) =>
    assert.ok(Math.abs(v / 16384 - truth[i]) < 0.01, `weight ${i}: ${v / 16384}`)
  );
  assert.strictEqual(
    fitFilter({ a, t, count: 10 }, m, fixedFilter(1, true)),
    null,
    "too few samples",
  );
});

Deno.test("filterRow gives the SPEC's sum at interior points and leaves the others", () => {
  const H = 23, W = 29, s = 2, rand = prng(5);
  const rec = Float32Array.from({ length: 2 * H * W }, () => rand() * 10 - 5);
  const bs = Float64Array.from({ length: H * W }, () => rand());
  const o0 = H * W;
  for (let pass = 1; pass <= 3; pass++) {
    const w = filterWeights(
      Int16Array.from({ length: FILTER_SIZES[pass - 1] }, () => Math.round((rand() - 0.3) * 16384)),
    );
    const offsets = tapOffsets(s, W)[pass - 1];
    const s2 = 2 * s, x0 = pass === 2 ? s2 - 1 : s - 1, y0 = pass === 1 ? s2 - 1 : s - 1;
    const [a, b] = [[2, 3], [3, 2], [3, 3]][pass - 1];
    for (let y = y0; y < H; y += s2) {
      const out = new Float64Array(W).fill(-1), spaceOut = new Float64Array(W).fill(-1);
      const span = interiorColumns(pass, y, x0, s2, s, H, W);
      if (span !== null) {
        const j = (span[0] - x0) / s2;
        filterRow(rec, o0, bs, y, span[0], span[1], s2, W, w, offsets, out, j);
        // Mode space: bs = 0, not read.
        filterRow(
          rec,
          o0,
          new Float64Array(H * W),
          y,
          span[0],
          span[1],
          s2,
          W,
          w,
          offsets,
          spaceOut,
          j,
        );
        const alone = out.slice();
        filterRow(rec, o0, bs, y, span[0], span[1], s2, W, w, offsets, alone, j, false);
        assert.deepStrictEqual(alone, out);
        const fast = new Float64Array(W).fill(-1);
        filterRow(rec, o0, bs, y, span[0], span[1], s2, W, w, offsets, fast, j, true);
        assert.deepStrictEqual(fast, spaceOut, "the space loop gives the sums with bs = 0");
      }
      for (let j = 0, x = x0; x < W; x += s2, j++) {
        const interior = y - a * s >= 0 && y + a * s < H && x - b * s >= 0 && x + b * s < W;
        if (!interior) {
          assert.strictEqual(out[j], -1, `pass ${pass} (${y}, ${x}) is not interior`);
          continue;
        }
        let sum = 0;
        FILTER_TAPS[pass - 1].forEach(([dy, dx], i) => {
          const p = (y + dy * s) * W + x + dx * s;
          sum += w[i] * (rec[o0 + p] - bs[p]);
        });
        assert.strictEqual(out[j], bs[y * W + x] + sum, `pass ${pass} (${y}, ${x})`);
      }
    }
  }
});

Deno.test("the fixed interpolation as a filter: cubic and linear interior weights", () => {
  assert.deepStrictEqual(Array.from(fixedFilter(1, true)), [
    0,
    0,
    0,
    0,
    -1 / 16,
    9 / 16,
    9 / 16,
    -1 / 16,
    0,
    0,
    0,
    0,
  ]);
  const p3 = Array.from(fixedFilter(3, false));
  assert.deepStrictEqual(p3, [0, 0.25, 0.25, 0, 0, 0.25, 0.25, 0, 0, 0, 0, 0]);
  const p2 = Array.from(fixedFilter(2, true));
  assert.strictEqual(p2.reduce((x, y) => x + y, 0), 1);
});

/** A smooth field with a front: filters fitted on it differ from the fixed interpolation. */
function winds(T: number, H: number, W: number): Float32Array {
  const rand = prng(11), out = new Float32Array(T * H * W);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        out[(t * H + i) * W + j] =
          10 * Math.sin(0.21 * i + 0.13 * j + 0.5 * t) * Math.cos(0.17 * j - 0.3 * t) +
          (j > W / 2 + 3 * Math.sin(0.2 * i) ? 4 : 0) + 0.2 * rand();
      }
    }
  }
  return out;
}

Deno.test("learned prediction: a file of 1.3 or later, deterministic, decoded within the bound", async () => {
  const shape = [6, 40, 48], x = winds(6, 40, 48);
  const a = await compress(x, shape, {
    relErrorBound: 1e-3,
    predictor: "learned",
    reproducible: true,
  });
  const b = await compress(x, shape, {
    relErrorBound: 1e-3,
    predictor: "learned",
    reproducible: true,
  });
  assert.deepStrictEqual(a, b, "the fit is deterministic");
  const file = await openMrc(a);
  assert.strictEqual(file.header.bound!.interpolation, "learned");
  // Every file this version writes is 1.6 (JSON deflated with the dictionary), learned or not.
  assert.deepStrictEqual((await openContainer(fromBytes(a))).version, { major: 1, minor: 7 });
  const cubic = await compress(x, shape, { relErrorBound: 1e-3, reproducible: true });
  assert.deepStrictEqual((await openContainer(fromBytes(cubic))).version, { major: 1, minor: 7 });
  const d = await file.decode();
  const eb = file.header.bound!.abs;
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(d.data[i] - x[i]) <= eb, `value ${i}`);
});

Deno.test("a learned file whose predictor record is bad is refused with the chunk named", async () => {
  const { joinMrc, splitMrc } = await import("../../fuzz/_mrc_edit.ts");
  const shape = [2, 40, 48], x = winds(2, 40, 48);
  const bytes = await compress(x, shape, {
    relErrorBound: 1e-3,
    predictor: "learned",
    reproducible: true,
  });
  const parts = splitMrc(bytes);
  const i = parts.chunks.findIndex((c) => c.type === "BCOD" && c.level === 1);
  assert.ok(i >= 0);
  parts.chunks[i].body[4 + 1] = 0x10; // reserved filter flag bit
  const bad = await openMrc(joinMrc(parts));
  await assert.rejects(bad.decode(), (e) => {
    assert.ok(e instanceof MrcFormatError, String(e));
    assert.match(
      e.message,
      /BCOD.*level 1 block 0: learned prediction: filter flags 16 set reserved bits/,
    );
    return true;
  });
});
