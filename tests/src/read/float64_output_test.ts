/**
 * `MrcFile.decode({ dtype: "float64" })`: binary64 output, with the file's fill value exactly
 * (issue 18: a float64 fill value that float32 cannot hold came back rounded).
 */
import assert from "node:assert";
import { compress, openMrc } from "../../../mod.ts";
import { type Dims, smooth } from "../_bounded.ts";

const DIMS: Dims = [4, 13, 17];

/** Float64 data with the fill value -9999.99 (not a binary32 value) every 7th value. */
function data(): Float64Array {
  const x = Float64Array.from(smooth(DIMS), (v, g) => v + 1e-9 * g);
  for (let g = 0; g < x.length; g += 7) x[g] = -9999.99;
  return x;
}

Deno.test("decode({ dtype: 'float64' }) restores a float64 fill value exactly", async () => {
  const x = data();
  for (const coding of ["bounded"] as const) {
    const file = await openMrc(await compress(x, DIMS, { coding, fillValue: -9999.99 }));
    assert.strictEqual(file.header.missing.fillValue, -9999.99);
    const narrow = await file.decode();
    assert.ok(narrow.data instanceof Float32Array, "the default stays float32");
    const wide = await file.decode({ dtype: "float64" });
    assert.ok(wide.data instanceof Float64Array);
    assert.deepStrictEqual(wide.shape, narrow.shape);
    for (let g = 0; g < x.length; g++) {
      if (x[g] === -9999.99) assert.strictEqual(wide.data[g], -9999.99, `fill at ${g}`);
      else {
        assert.strictEqual(wide.data[g], narrow.data[g], `value at ${g}`);
        assert.ok(Math.abs(wide.data[g] - x[g]) <= file.header.bound!.abs, `bound at ${g}`);
      }
    }
    // A coarse level and a snapshot range sample the mask where they sample the data.
    const coarse = await file.decode({ level: 0, snapshots: [1, 3], dtype: "float64" });
    const [, H, W] = DIMS;
    const [n, nr, nc] = coarse.shape;
    for (let t = 0; t < n; t++) {
      for (let i = 0; i < nr; i++) {
        for (let j = 0; j < nc; j++) {
          const g = ((t + 1) * H + coarse.rows[i]) * W + coarse.cols[j];
          const v = coarse.data[(t * nr + i) * nc + j];
          if (x[g] === -9999.99) assert.strictEqual(v, -9999.99);
          else assert.notStrictEqual(v, -9999.99);
        }
      }
    }
    await file.close();
  }
});

Deno.test("decode({ dtype }) refuses a dtype other than float32 or float64", async () => {
  const file = await openMrc(await compress(data(), DIMS, { fillValue: -9999.99 }));
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => file.decode({ dtype: "float16" as any }),
    /dtype must be "float32" or "float64"/,
  );
});
