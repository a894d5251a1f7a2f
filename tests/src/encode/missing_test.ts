/**
 * Missing values in compression (issue 18): NaN and the fill value kept apart, the fill value
 * compared in the input's precision, no valid value decoded as the fill value, and what becomes
 * of a NaN's bits.
 */
import assert from "node:assert";
import { compress, openMrc } from "../../../mod.ts";
import { checkLevels, type Dims, smooth } from "../_bounded.ts";

/** The binary32 bit pattern of each value. */
function bits32(values: ArrayLike<number>): number[] {
  const f = Float32Array.from(values);
  return Array.from(new Uint32Array(f.buffer));
}

/** A float32 array with the given bit pattern at `g`. */
function setBits(x: Float32Array, g: number, pattern: number): void {
  new Uint32Array(x.buffer, x.byteOffset, x.length)[g] = pattern;
}

/** NaN patterns: canonical, negative (x86's default NaN), with payloads. */
const NANS = [0x7fc00000, 0xffc00000, 0x7fc00001, 0x7fd2345f, 0xffe00abc];

Deno.test("compress() with a fill value keeps NaN and the fill value apart, NaN bit for bit", async () => {
  const dims: Dims = [5, 17, 19];
  const x = smooth(dims);
  const nans: number[] = [], fills: number[] = [];
  for (let g = 3; g < x.length; g += 11) {
    if (fills.length <= nans.length) {
      x[g] = -9999;
      fills.push(g);
    } else {
      setBits(x, g, NANS[nans.length % NANS.length]);
      nans.push(g);
    }
  }
  // A NaN next to a fill value, and a run of NaNs inside a fill region.
  x[100] = -9999;
  setBits(x, 101, 0xffc00000);
  for (let g = 200; g < 210; g++) g % 2 ? (x[g] = -9999) : setBits(x, g, 0x7fc00007);
  for (const threads of [1, 2]) {
    const bytes = await compress(x, dims, {
      fillValue: -9999,
      errorBound: 0.01,
      blockSize: 2,
      threads,
    });
    const { file } = await checkLevels(bytes, x, dims, `fill and NaN, threads ${threads}`, -9999);
    assert.strictEqual(file.header.missing.mode, "fill");
    let expected = 0;
    for (const v of x) if (v === -9999) expected++;
    assert.strictEqual(file.header.missing.count, expected, "only fill values are missing");
    // The encoder's own tally checks each NaN bit for bit: a lost one would be an infinite error.
    const report = file.report!;
    assert.ok(report.mode === "bounded");
    for (const l of report.levels) {
      assert.ok(l.maxAbsError <= 0.01, `level ${l.level}: ${l.maxAbsError}`);
    }
    const d = await file.decode();
    const want = bits32(x), got = bits32(d.data);
    for (let g = 0; g < x.length; g++) {
      if (Number.isNaN(x[g])) {
        assert.strictEqual(
          got[g].toString(16),
          want[g].toString(16),
          `NaN at ${g}: its bits come back`,
        );
      } else if (x[g] === -9999) assert.strictEqual(d.data[g], -9999, `fill at ${g}`);
    }
  }
});

Deno.test("compress() with model coding refuses data with both NaN and the fill value", async () => {
  const dims: Dims = [2, 16, 16];
  const x = smooth(dims);
  x[3] = -9999;
  x[5] = NaN;
  await assert.rejects(
    () => compress(x, dims, { coding: "model", fillValue: -9999, steps: 1, timeBudget: 0 }),
    /NaN and the fill value.*bounded coding/,
  );
});

Deno.test("compress() in NaN mode returns every missing value as the canonical NaN 0x7fc00000", async () => {
  const dims: Dims = [3, 13, 14];
  const x = smooth(dims);
  for (let g = 2, i = 0; g < x.length; g += 9, i++) setBits(x, g, NANS[i % NANS.length]);
  const bytes = await compress(x, dims, { errorBound: 0.01 });
  const file = await openMrc(bytes);
  assert.strictEqual(file.header.missing.mode, "nan");
  const got = bits32((await file.decode()).data);
  for (let g = 0; g < x.length; g++) {
    if (Number.isNaN(x[g])) assert.strictEqual(got[g], 0x7fc00000, `NaN at ${g}`);
  }
});

Deno.test("compress() compares the fill value in float32 for float32 data", async () => {
  const dims: Dims = [3, 15, 16];
  const x = smooth(dims);
  let count = 0;
  for (let g = 0; g < x.length; g += 6, count++) x[g] = -9999.9; // stored as float32
  const bytes = await compress(x, dims, { fillValue: -9999.9 });
  const { file } = await checkLevels(bytes, x, dims, "fill -9999.9", Math.fround(-9999.9));
  assert.strictEqual(file.header.missing.mode, "fill");
  assert.strictEqual(file.header.missing.count, count);
  // The file records the fill value the data holds, and the bound is relative to the valid range.
  assert.strictEqual(file.header.missing.fillValue, Math.fround(-9999.9));
  assert.ok(file.header.bound!.abs < 0.01, `bound ${file.header.bound!.abs}`);
  const d = await file.decode();
  for (let g = 0; g < x.length; g += 6) assert.strictEqual(d.data[g], Math.fround(-9999.9));
});

Deno.test("compress() never decodes a valid value as the fill value", async () => {
  // Float32 data: many values within the bound of the fill value, on every level.
  const dims: Dims = [6, 33, 35];
  const base = smooth(dims);
  const x = new Float32Array(base.length);
  for (let g = 0; g < x.length; g++) {
    x[g] = g % 3 === 0 ? -9999 : -9999 + 0.4 * Math.sin(base[g] * 7 + g);
  }
  for (const errorBound of [0.5, 1, 3]) {
    const bytes = await compress(x, dims, { fillValue: -9999, errorBound });
    await checkLevels(bytes, x, dims, `near fill, bound ${errorBound}`, -9999);
  }
  // Float64 data whose float32 rounding is the fill value itself.
  const y = Float64Array.from(x, (v, g) => v === -9999 && g % 2 ? -9999 + 1e-5 : v);
  const bytes = await compress(y, dims, { fillValue: -9999, errorBound: 0.5 });
  const { file } = await checkLevels(bytes, y, dims, "float64 near fill", -9999);
  const wide = await file.decode({ dtype: "float64" });
  for (let g = 0; g < y.length; g++) {
    if (y[g] !== -9999) assert.notStrictEqual(wide.data[g], -9999, `float64 output at ${g}`);
  }
});
