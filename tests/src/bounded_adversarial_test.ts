/**
 * Bounded mode against adversarial fields: every decoded value of every level within the bound
 * of the original (float64 comparison), missing values restored, and every shape accepted.
 */
import assert from "node:assert";
import { type BoundedCompressOptions, compress, openMrc } from "../../mod.ts";
import { checkLevels, type Dims, field, gauss, prng, smooth, validRange } from "./_bounded.ts";

interface Case {
  name: string;
  dims: Dims;
  make: (dims: Dims) => Float32Array | Float64Array;
  /** Bound options to try, each on its own. */
  bounds: BoundedCompressOptions[];
  /** Extra options for every try. */
  options?: BoundedCompressOptions;
  /** Whether some try must escape (store raw values). */
  escapes?: boolean;
}

const D: Dims = [12, 20, 24];
const REL: BoundedCompressOptions[] = [
  { relErrorBound: 1e-2 },
  { relErrorBound: 1e-4 },
  { relErrorBound: 1e-7 },
];

function noise(dims: Dims, seed: number, sample: (r: () => number) => number): Float32Array {
  const rand = prng(seed);
  return field(dims, () => sample(rand));
}

const CASES: Case[] = [
  {
    name: "uniform white noise",
    dims: D,
    make: (d) => noise(d, 1, (r) => 2 * r() - 1),
    bounds: [...REL, { errorBound: 0.3 }, { errorBound: 5 }],
    escapes: true,
  },
  {
    name: "gaussian white noise",
    dims: D,
    make: (d) => noise(d, 2, (r) => 40 * gauss(r) + 7),
    bounds: [...REL, { errorBound: 1e-3 }],
    escapes: true,
  },
  {
    name: "steps and discontinuities",
    dims: D,
    make: (d) =>
      field(d, (t, i, j) => (Math.floor(j / 3) % 2) * 1000 + (i > d[1] / 2 ? -500 : 0) + (t % 3)),
    bounds: [...REL, { errorBound: 0.5 }],
  },
  {
    name: "a single spike in a zero field",
    dims: D,
    make: (d) => field(d, (t, i, j) => t === 5 && i === 9 && j === 11 ? 1e6 : 0),
    bounds: [...REL, { errorBound: 1e-3 }],
  },
  {
    name: "a negative spike on the last row, column and snapshot",
    dims: [9, 11, 13],
    make: (d) => field(d, (t, i, j) => t === 8 && i === 10 && j === 12 ? -3.5 : 0.25),
    bounds: [{ relErrorBound: 1e-3 }, { errorBound: 1e-6 }],
  },
  {
    name: "checkerboard in space and time",
    dims: D,
    make: (d) => field(d, (t, i, j) => ((i + j + t) % 2) * 2 - 1),
    bounds: [...REL, { errorBound: 0.9 }],
  },
  {
    name: "magnitudes near 1e30, mixed signs",
    dims: D,
    make: (d) => noise(d, 3, (r) => (r() < 0.5 ? -1 : 1) * 1e30 * (1 + r())),
    bounds: [...REL, { errorBound: 1e24 }],
    escapes: true,
  },
  {
    name: "magnitudes near float32 max (3e38), mixed signs",
    dims: D,
    make: (d) => noise(d, 4, (r) => (r() < 0.5 ? -1 : 1) * 3e38 * (0.9 + 0.1 * r())),
    bounds: [...REL, { errorBound: 1e33 }],
    escapes: true,
  },
  {
    name: "checkerboard of +-3.4e38",
    dims: [6, 9, 10],
    make: (d) => field(d, (t, i, j) => ((i + j + t) % 2 ? 3.4e38 : -3.4e38)),
    bounds: [{ relErrorBound: 1e-3 }, { relErrorBound: 1e-7 }],
  },
  {
    name: "smooth field scaled to 3e38",
    dims: D,
    make: (d) => smooth(d).map((v) => v * 6e37),
    bounds: [{ relErrorBound: 1e-3 }, { relErrorBound: 1e-6 }],
  },
  {
    name: "magnitudes near 1e-30",
    dims: D,
    make: (d) => noise(d, 5, (r) => 1e-30 * gauss(r)),
    bounds: [...REL, { errorBound: 1e-33 }],
    escapes: true,
  },
  {
    name: "subnormal float32 magnitudes",
    dims: D,
    make: (d) => noise(d, 6, (r) => 1e-40 * (2 * r() - 1)),
    bounds: [{ relErrorBound: 1e-2 }, { relErrorBound: 1e-4 }, { errorBound: 1e-45 }],
  },
  {
    name: "smooth field with a NaN land mask shared by every snapshot",
    dims: D,
    make: (d) => {
      const x = smooth(d);
      const [, H, W] = d;
      for (let g = 0; g < x.length; g++) {
        const i = Math.floor((g % (H * W)) / W), j = g % W;
        if ((i - 8) ** 2 + (j - 14) ** 2 < 20 || j === 0 || (i === H - 1 && j > 10)) x[g] = NaN;
      }
      return x;
    },
    bounds: [...REL, { errorBound: 1e-2 }],
  },
  {
    name: "smooth field with NaN holes moving per snapshot",
    dims: D,
    make: (d) => {
      const x = smooth(d, 0.3);
      const rand = prng(7);
      const [, H, W] = d;
      for (let g = 0; g < x.length; g++) {
        const t = Math.floor(g / (H * W)), i = Math.floor((g % (H * W)) / W), j = g % W;
        if (rand() < 0.15 || (i - t) ** 2 + (j - 2 * t) ** 2 < 9) x[g] = NaN;
      }
      return x;
    },
    bounds: [...REL, { errorBound: 1e-2 }],
  },
  {
    name: "every value but one missing",
    dims: [3, 5, 7],
    make: (d) => field(d, (t, i, j) => t === 1 && i === 2 && j === 3 ? 42 : NaN),
    bounds: [{}, { errorBound: 1e-3 }],
  },
  {
    name: "fill value -9999 on a land strip and scattered points",
    dims: D,
    make: (d) => {
      const x = smooth(d);
      for (let g = 0; g < x.length; g += 13) x[g] = -9999;
      for (let g = 0; g < x.length; g++) if (g % d[2] < 3) x[g] = -9999;
      return x;
    },
    bounds: [...REL, { errorBound: 1e-3 }],
    options: { fillValue: -9999 },
  },
  {
    name: "ramps in space and time",
    dims: D,
    make: (d) => field(d, (t, i, j) => 0.5 * i - 1.25 * j + 3 * t + 100),
    bounds: [...REL, { errorBound: 1e-3 }],
  },
  {
    name: "sawtooth ramps that wrap",
    dims: D,
    make: (d) => field(d, (t, i, j) => (7 * i + 3 * j + 5 * t) % 17),
    bounds: [...REL, { errorBound: 0.25 }],
  },
  {
    name: "one snapshot (T = 1)",
    dims: [1, 31, 29],
    make: (d) => noise(d, 8, (r) => Math.sin(r() * 3) + r()),
    bounds: [...REL],
  },
  {
    name: "T = 37 not a multiple of blockSize 8, key interval 4",
    dims: [37, 13, 11],
    make: (d) => smooth(d).map((v, g) => v + 0.01 * Math.sin(g)),
    bounds: [{ relErrorBound: 1e-3 }, { relErrorBound: 1e-6 }],
    options: { blockSize: 8, keyInterval: 4 },
  },
  {
    name: "T = 11 with blockSize 3 and key interval 2, linear interpolation",
    dims: [11, 17, 19],
    make: (d) => noise(d, 9, (r) => gauss(r)).map((v, g) => v + Math.floor(g / 323)),
    bounds: [{ relErrorBound: 1e-3 }, { relErrorBound: 1e-7 }],
    options: { blockSize: 3, keyInterval: 2, interpolation: "linear" },
  },
  {
    name: "float64 input: smooth field with fine detail",
    dims: D,
    make: (d) => Float64Array.from(smooth(d), (v, g) => v + 1e-9 * Math.sin(g)),
    bounds: [{ relErrorBound: 1e-3 }, { errorBound: 1e-6 }],
  },
];

for (const c of CASES) {
  Deno.test(`compress() bound holds on every level: ${c.name} ${c.dims.join("x")}`, async () => {
    const x = c.make(c.dims);
    const fill = c.options?.fillValue;
    const { range } = validRange(x, fill);
    let escapes = 0;
    for (const b of c.bounds) {
      const label = `${c.name} ${JSON.stringify(b)}`;
      const bytes = await compress(x, c.dims, { ...c.options, ...b });
      const { file } = await checkLevels(bytes, x, c.dims, label, fill);
      // Learned prediction (1.3) holds the same bound; auto is never larger than the fixed
      // interpolation (codes of every level, in bytes).
      const codes = (f: typeof file) =>
        (f.report as { levels: { bytes: number }[] }).levels.reduce((a, l) => a + l.bytes, 0);
      const cubic = c.options?.interpolation === "linear"
        ? await openMrc(
          await compress(x, c.dims, { ...c.options, interpolation: undefined, ...b }),
        )
        : file;
      for (const predictor of ["learned", "auto"] as const) {
        const options = { ...c.options, interpolation: undefined, ...b, predictor };
        const other = await compress(x, c.dims, options);
        const what = `${label} predictor ${predictor}`;
        const { file: f } = await checkLevels(other, x, c.dims, what, fill);
        if (predictor === "auto") {
          assert.ok(codes(f) <= codes(cubic), `${what}: ${codes(f)} > cubic's ${codes(cubic)}`);
        }
      }
      const abs = file.header.bound!.abs;
      if (b.errorBound !== undefined) assert.strictEqual(abs, b.errorBound, label);
      if (b.relErrorBound !== undefined) {
        assert.ok(Math.abs(abs - b.relErrorBound * range) <= 1e-12 * abs, `${label}: ${abs}`);
      }
      const report = file.report;
      assert.ok(report && "mode" in report && report.mode === "bounded", label);
      escapes += report.levels.reduce(
        (a, l) => a + ((l as unknown as { escapes: number }).escapes ?? 0),
        0,
      );
    }
    if (c.escapes) assert.ok(escapes > 0, `${c.name}: no bound forced an escape`);
  });
}

const SHAPES: Dims[] = [
  [1, 1, 1],
  [3, 1, 1],
  [4, 1, 9],
  [2, 9, 1],
  [5, 2, 2],
  [6, 3, 5],
  [7, 5, 3],
  [7, 7, 11],
  [1, 13, 31],
  [10, 17, 3],
  [3, 2, 37],
];

Deno.test("compress() bound holds for tiny, thin and prime shapes at every level count", async () => {
  for (const dims of SHAPES) {
    const [T, H, W] = dims;
    const rand = prng(T * 1000 + H * 37 + W);
    const x = field(dims, (t, i, j) => Math.sin(i + 2 * j + 0.5 * t) + 0.3 * rand());
    const maxLevels = Math.min(8, Math.floor(Math.log2(Math.min(H, W))) + 1);
    for (let levels = 1; levels <= maxLevels; levels++) {
      for (const b of [{ relErrorBound: 1e-3 }, { relErrorBound: 1e-7 }, { errorBound: 0.2 }]) {
        const label = `${dims.join("x")} levels ${levels} ${JSON.stringify(b)}`;
        const bytes = await compress(x, dims, { ...b, levels, blockSize: 2, keyInterval: 2 });
        const { file } = await checkLevels(bytes, x, dims, label);
        assert.strictEqual(file.levelCount, levels, label);
        const learned = await compress(x, dims, {
          ...b,
          levels,
          blockSize: 2,
          keyInterval: 2,
          predictor: "learned",
        });
        await checkLevels(learned, x, dims, `${label} learned`);
      }
    }
    await assert.rejects(
      compress(x, dims, { levels: maxLevels + 1 }),
      /levels must be an integer from 1 to/,
      dims.join("x"),
    );
  }
});

Deno.test("compress() of a [H, W] field: decodes as one snapshot within the bound", async () => {
  const dims: Dims = [1, 23, 19];
  const x = noise(dims, 11, (r) => r() * 10);
  const bytes = await compress(x, [23, 19], { errorBound: 0.05 });
  const { file } = await checkLevels(bytes, x, dims, "2-D");
  assert.deepStrictEqual(file.inputShape, [23, 19]);
});

Deno.test("compress() decodes constant fields exactly (===) at every level", async () => {
  const dims: Dims = [5, 9, 14];
  for (const c of [0, 0.1, 1 / 3, 1, 4.25, -7, 12345.678, -1e30, 3.3e38, -3.4e38]) {
    const x = new Float32Array(5 * 9 * 14).fill(c);
    // Without an absolute bound a constant field gets a bound of float32 rounding: exact.
    for (const options of [{}, { relErrorBound: 1e-3 }, { psnr: 60 }]) {
      const file = await openMrc(await compress(x, dims, options));
      for await (const level of file.progressive()) {
        for (const v of level.data) {
          if (v !== Math.fround(c)) {
            assert.fail(`constant ${c} ${JSON.stringify(options)}: level ${level.level} gave ${v}`);
          }
        }
      }
    }
  }
  // An explicit bound only promises the bound.
  const x1 = new Float32Array(5 * 9 * 14).fill(4.25);
  await checkLevels(await compress(x1, dims, { errorBound: 1 }), x1, dims, "constant, bound 1");
  // With holes: the valid values exact, the holes NaN.
  const x = new Float32Array(5 * 9 * 14).fill(2.5);
  for (let g = 0; g < x.length; g += 7) x[g] = NaN;
  const { levels } = await checkLevels(await compress(x, dims), x, dims, "constant with NaN");
  for (const l of levels) assert.strictEqual(l.max, 0);
});

// Without a bound, a constant field gets one far below its float32 spacing (src/encode/bounded.ts
// constantBound): constants of any magnitude come back exactly.
Deno.test({
  name: "compress() decodes constant fields of small magnitude exactly (===)",
  async fn() {
    const dims: Dims = [5, 9, 14];
    for (const c of [1e-40, 1e-20, 1e-9, 0.001]) {
      const x = new Float32Array(5 * 9 * 14).fill(c);
      const d = await (await openMrc(await compress(x, dims))).decode();
      for (const v of d.data) {
        if (v !== Math.fround(c)) assert.fail(`constant ${c}: decoded ${v}`);
      }
    }
  },
});

Deno.test("compress() decodes constant fields of small magnitude within the bound", async () => {
  const dims: Dims = [5, 9, 14];
  for (const c of [1e-40, 1e-20, 1e-9, 0.001]) {
    const x = new Float32Array(5 * 9 * 14).fill(c);
    await checkLevels(await compress(x, dims), x, dims, `constant ${c}`);
  }
});

Deno.test("compress() restores NaN positions exactly, keeps finite values finite (every level)", async () => {
  const dims: Dims = [8, 16, 21];
  const x = smooth(dims);
  const rand = prng(12);
  let holes = 0;
  for (let g = 0; g < x.length; g++) {
    if (rand() < 0.3) {
      x[g] = NaN;
      holes++;
    }
  }
  const bytes = await compress(x, dims, { relErrorBound: 1e-4 });
  const { file } = await checkLevels(bytes, x, dims, "30% NaN");
  assert.strictEqual(file.header.missing.count, holes);
  assert.strictEqual(file.header.missing.mode, "nan");
});

Deno.test("compress() with fillValue returns the fill value exactly where it was", async () => {
  const dims: Dims = [4, 12, 15];
  const x = smooth(dims);
  for (let g = 0; g < x.length; g += 5) x[g] = -9999;
  const bytes = await compress(x, dims, { fillValue: -9999, relErrorBound: 1e-5 });
  const { file } = await checkLevels(bytes, x, dims, "fill", -9999);
  assert.strictEqual(file.header.missing.mode, "fill");
  assert.strictEqual(file.header.missing.fillValue, -9999);
  // The fill value does not count in the range: the bound is relative to the valid values.
  const { range } = validRange(x, -9999);
  assert.ok(Math.abs(file.header.bound!.abs - 1e-5 * range) <= 1e-12 * range);
});
