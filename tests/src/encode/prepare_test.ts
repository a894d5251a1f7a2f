import assert from "node:assert";
import { chooseGeometry, prepareData, validSize } from "../../../src/encode/prepare.ts";
import { axisCrop } from "../../../format/geometry.ts";

Deno.test("validSize() gives grids that halve down to an odd level 0 of at least 3", () => {
  for (const levels of [1, 2, 3, 4]) {
    for (let n = 1; n < 300; n++) {
      let g = validSize(n, levels);
      assert.ok(g >= n);
      for (let k = 1; k < levels; k++) {
        assert.strictEqual(g % 2, 1);
        g = (g - 1) / 2;
      }
      assert.ok(g >= 3 && g % 2 === 1, `n=${n} levels=${levels} gives level 0 of ${g}`);
    }
  }
  assert.strictEqual(validSize(127, 3), 127);
  assert.strictEqual(validSize(50, 3), 55);
  assert.strictEqual(validSize(77, 3), 79);
});

Deno.test("prepareData() pads by reflection, normalizes and marks padding invalid", () => {
  const shape: [number, number, number] = [2, 3, 4];
  const values = Float32Array.from({ length: 24 }, (_, i) => i);
  const p = prepareData(values, shape, 1);
  assert.deepStrictEqual(p.geometry.grid, [3, 5]);
  assert.deepStrictEqual(p.geometry.crop, [0, 0]);
  assert.deepStrictEqual(p.normalization, { offset: 0, scale: 23 });
  // Column 4 reflects column 2.
  assert.strictEqual(p.data[4], p.data[2]);
  assert.strictEqual(p.valid[4], 0);
  assert.strictEqual(p.valid[3], 1);
  assert.strictEqual(p.missing, null);
});

Deno.test("prepareData() fills missing values and keeps their positions", () => {
  const shape: [number, number, number] = [2, 7, 7];
  const values = new Float64Array(98).fill(3);
  values[10] = NaN;
  values[49 + 10] = NaN; // pixel 10 missing in every snapshot
  values[60] = 5;
  const p = prepareData(values, shape, 2);
  assert.strictEqual(p.missingCount, 2);
  assert.ok(p.data.every(Number.isFinite));
  assert.strictEqual(p.missing![10], 1);
  assert.strictEqual(p.missing![59], 1);
  assert.strictEqual(p.missing![60], 0);
});

Deno.test("prepareData() rejects infinities and all-missing data", () => {
  assert.throws(
    () => prepareData(Float32Array.of(1, Infinity, 2, 3), [1, 2, 2], 1),
    /\[0, 0, 1\] is Infinity/,
  );
  assert.throws(
    () => prepareData(Float32Array.of(NaN, NaN, NaN, NaN), [1, 2, 2], 1),
    /every value is missing/,
  );
});

Deno.test("prepareData() handles a constant field without dividing by zero", () => {
  const p = prepareData(new Float32Array(50).fill(7), [2, 5, 5], 1);
  assert.deepStrictEqual(p.normalization, { offset: 7, scale: 1 });
  assert.ok(p.data.every((v) => v === 0));
});

Deno.test("axisCrop() keeps the level pixels that sample the original extent", () => {
  const g = chooseGeometry([1, 50, 77], 3); // grid 55 x 79, crop [2, 1]
  assert.deepStrictEqual(g.crop, [2, 1]);
  assert.deepStrictEqual(axisCrop(2, 50, 1), [2, 50]);
  // Stride 4 samples finest rows 3, 7, 11, ...: inside rows 2..51 are 3..51, level rows 0..12.
  assert.deepStrictEqual(axisCrop(2, 50, 4), [0, 13]);
  assert.deepStrictEqual(axisCrop(4, 50, 4), [1, 12]);
  assert.deepStrictEqual(axisCrop(7, 1, 4), [1, 1]);
  assert.deepStrictEqual(axisCrop(5, 1, 4), [1, 1]); // no sample inside: the nearest one
});
