import assert from "node:assert";
import {
  bitsPerValue,
  errorStats,
  rmseForPsnr,
  sampleGrid,
  valueRange,
} from "../../bench/metrics.ts";
import {
  podDecompose,
  podFactors,
  podReconstruct,
  podTailEnergy,
  symmetricEigen,
} from "../../bench/svd.ts";

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a * 1664525 + 1013904223) >>> 0;
    return a / 4294967296 - 0.5;
  };
}

Deno.test("errorStats() gives the PSNR of a known error", () => {
  // Range 10, every value off by exactly 0.1: RMSE 0.1, PSNR 20 log10(100) = 40 dB.
  const original = new Float32Array(1000).map((_, i) => (i % 11));
  const noisy = original.map((v, i) => v + (i % 2 ? 0.1 : -0.1));
  const s = errorStats(original, noisy);
  assert.ok(Math.abs(s.rmse - 0.1) < 1e-6);
  assert.ok(Math.abs(s.psnr - 40) < 1e-4);
  assert.ok(Math.abs(s.nrmse - 0.01) < 1e-7);
  assert.ok(Math.abs(s.maxAbsError - 0.1) < 1e-6);
  assert.strictEqual(errorStats(original, original).psnr, Infinity);
  assert.ok(Math.abs(rmseForPsnr(40, 10) - 0.1) < 1e-12);
  assert.deepStrictEqual(valueRange([3, -1, 2]), { min: -1, max: 3 });
  assert.strictEqual(bitsPerValue(100, 200), 4);
});

Deno.test("errorStats() skips NaN in the original and counts NaN output as infinite error", () => {
  const s = errorStats([0, NaN, 1], [0, 5, 1], 1);
  assert.strictEqual(s.count, 2);
  assert.strictEqual(s.rmse, 0);
  assert.strictEqual(errorStats([0, 1], [NaN, 1], 1).maxAbsError, Infinity);
});

Deno.test("sampleGrid() picks the given rows and columns of every snapshot, clamped", () => {
  const [T, H, W] = [2, 7, 7];
  const data = new Float32Array(T * H * W).map((_, n) => n);
  const out = sampleGrid(data, [T, H, W], [1, 3, 5], [1, 3, 9]);
  assert.strictEqual(out[0], 8);
  assert.strictEqual(out[1], 10);
  assert.strictEqual(out[2], 13); // column 9 clamps to 6
  assert.strictEqual(out[3], 22);
  assert.strictEqual(out[9], 49 + 8);
});

Deno.test("symmetricEigen() decomposes random symmetric matrices", () => {
  const rand = random(5);
  for (const n of [1, 2, 3, 10, 60]) {
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rand();
    }
    const { values, vectors } = symmetricEigen(a, n);
    for (let k = 1; k < n; k++) assert.ok(values[k] <= values[k - 1]);
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += a[i * n + j] * vectors[j * n + k];
        assert.ok(Math.abs(av - values[k] * vectors[i * n + k]) < 1e-10, `A v = lambda v, n=${n}`);
      }
      for (let l = 0; l < n; l++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += vectors[i * n + k] * vectors[i * n + l];
        assert.ok(Math.abs(dot - (k === l ? 1 : 0)) < 1e-10, "orthonormal");
      }
    }
  }
});

Deno.test("podDecompose() reconstructs a random low-rank matrix exactly", () => {
  const rand = random(9);
  const [T, P, rank] = [40, 300, 4];
  const u = new Float64Array(rank * P).map(() => rand());
  const v = new Float64Array(rank * T).map(() => rand());
  const data = new Float64Array(T * P);
  for (let t = 0; t < T; t++) {
    for (let p = 0; p < P; p++) {
      let s = 3;
      for (let k = 0; k < rank; k++) s += v[k * T + t] * u[k * P + p];
      data[t * P + p] = s;
    }
  }
  const pod = podDecompose(data, T, P);
  // Rank 4 plus the mean; eigenvalue 5 on are zero up to rounding.
  assert.ok(pod.eigenvalues[rank - 1] > 1e-3);
  assert.ok(pod.eigenvalues[rank] < 1e-9 * pod.eigenvalues[0]);
  assert.ok(podTailEnergy(pod, rank) < 1e-9 * pod.eigenvalues[0]);
  const f = podFactors(pod, rank);
  const rebuilt = podReconstruct(pod.mean, f.modes, f.coefficients, f.rank, T, P);
  for (let i = 0; i < T * P; i++) assert.ok(Math.abs(rebuilt[i] - data[i]) < 1e-5);
  // Truncating further leaves exactly the discarded energy.
  const f2 = podFactors(pod, 2);
  const r2 = podReconstruct(pod.mean, f2.modes, f2.coefficients, f2.rank, T, P);
  let err = 0;
  for (let i = 0; i < T * P; i++) err += (r2[i] - data[i]) ** 2;
  assert.ok(Math.abs(err - podTailEnergy(pod, 2)) < 1e-3 * err);
});
