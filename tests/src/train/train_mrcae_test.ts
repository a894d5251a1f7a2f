import assert from "node:assert";
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
import { forwardLevels, selectBackend, trainMrcae } from "../../../src/train/mod.ts";
import type { MrcaeModel } from "../../../src/model/model.ts";
import {
  blobField,
  deconvPaddedTs,
  ensureRuntimeDir,
  maxAbsDiff,
  naiveLevels,
} from "./_helpers.ts";
import { training } from "../_fixtures.ts";

const BILINEAR = [0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25];

function flatWeights(m: MrcaeModel): number[] {
  const out: number[] = [];
  for (const l of m.levels) {
    out.push(...l.conv.kernel, l.conv.bias, ...l.deconv.kernel, l.deconv.bias);
    for (const g of l.groups) {
      out.push(...g.convKernels, ...g.convBias, ...g.deconvKernels, g.deconvBias, ...g.mask);
    }
  }
  return out;
}

Deno.test("trainMrcae() deepening at init reproduces bilinear upsampling of the coarser output", async () => {
  const [t, h, w] = [3, 15, 15];
  const data = blobField(t, h, w, 7, 7);
  for (const eps of [0, 0.01]) {
    const { model } = await trainMrcae({ data, shape: [t, h, w] }, {
      levels: 2,
      groups: [[], []],
      tol: [1e-3, 1e-3],
      steps: 0,
      initNoise: eps,
      backend: "cpu",
    });
    const ys = await forwardLevels(model, data, [t, h, w]);
    const [ch, cw] = model.levels[0].grid;
    for (let s = 0; s < t; s++) {
      const y0 = ys[0].subarray(s * ch * cw, (s + 1) * ch * cw);
      const up = deconvPaddedTs(BILINEAR, y0, ch, cw);
      const d = maxAbsDiff(up, ys[1].subarray(s * h * w, (s + 1) * h * w));
      // eps = 0: exact; else each of 9 taps and the bias may be off by eps (|y| <= 1).
      assert.ok(d <= (eps === 0 ? 1e-5 : 10 * eps + 1e-5), `eps ${eps}: max diff ${d}`);
    }
  }
});

Deno.test("trainMrcae() widening at init barely changes the output", async () => {
  const [t, h, w] = [4, 15, 15];
  const data = blobField(t, h, w, 5, 9);
  const base = await trainMrcae({ data, shape: [t, h, w] }, {
    levels: 2,
    groups: [[], []],
    tol: [1e-9, 1e-9],
    steps: 0,
    backend: "cpu",
    seed: 3,
  });
  const wide = await trainMrcae({ data, shape: [t, h, w] }, {
    levels: 2,
    groups: [[], [2]],
    tol: [1e-9, 1e-9],
    steps: 0,
    backend: "cpu",
    seed: 3,
  });
  assert.strictEqual(wide.model.levels[1].groups.length, 1);
  assert.strictEqual(wide.report.stages[2].op, "widen");
  const a = await forwardLevels(base.model, data, [t, h, w]);
  const b = await forwardLevels(wide.model, data, [t, h, w]);
  const d = maxAbsDiff(a[1], b[1]);
  assert.ok(d < 2e-3, `widening moved the output by ${d}`);
});

training.test("trainMrcae() masks a localized blob first and lowers the error stage by stage", async () => {
  const [t, h, w] = [24, 31, 31];
  const data = blobField(t, h, w, 8, 8, 0.02);
  const { model, report } = await trainMrcae({ data, shape: [t, h, w] }, {
    levels: 2,
    groups: [[1], [1, 1]],
    tol: [2e-3, 1e-3],
    // With w = 0.5 the max term lets the deepening trade a ~10% gain error on the 0.3 offset of
    // the background for a smaller peak error at the blob, and the first mask then covers
    // everything; the paper's advice for such a field is a larger w.
    omega: 0.9,
    steps: 150,
    batch: 16,
    learningRate: 1e-2,
    backend: "wasm",
    seed: 1,
  });
  const l1 = model.levels[1];
  assert.ok(l1.groups.length >= 1, "level 1 should widen");
  const [lh, lw] = l1.latent;
  const mask = l1.groups[0].mask;
  // The blob is at level-1 pixel (8, 8) -> latent (3..4, 3..4); the far corner is latent (14, 14).
  assert.strictEqual(mask[4 * lw + 4], 1, "mask covers the blob");
  assert.strictEqual(mask[(lh - 1) * lw + (lw - 1)], 0, "mask leaves the far side");
  assert.ok(mask.reduce((s, x) => s + x, 0) < 0.5 * mask.length, "mask is local");
  const s1 = report.stages.filter((s) => s.level === 1);
  for (let i = 1; i < s1.length; i++) {
    assert.ok(
      s1[i].valLoss < s1[i - 1].valLoss,
      `stage ${i} of level 1: ${s1[i].valLoss} >= ${s1[i - 1].valLoss}`,
    );
  }
  for (const s of report.stages) assert.ok(Number.isFinite(s.globalMetric) && s.globalMetric >= 0);
});

training.test("trainMrcae() trains an odd non-square grid, T = 1, a constant field and a field with holes", async () => {
  const cases: {
    name: string;
    data: Float32Array;
    shape: [number, number, number];
    valid?: Uint8Array;
  }[] = [];
  cases.push({ name: "15x23", data: blobField(5, 15, 23, 7, 11), shape: [5, 15, 23] });
  cases.push({ name: "T=1", data: blobField(1, 15, 15, 7, 7), shape: [1, 15, 15] });
  cases.push({
    name: "constant",
    data: new Float32Array(4 * 15 * 15).fill(0.5),
    shape: [4, 15, 15],
  });
  const holes = new Uint8Array(15 * 15).fill(1);
  for (let i = 3; i < 8; i++) for (let j = 2; j < 6; j++) holes[i * 15 + j] = 0;
  const holeData = blobField(4, 15, 15, 10, 10);
  for (let s = 0; s < 4; s++) {
    for (let p = 0; p < 225; p++) if (!holes[p]) holeData[s * 225 + p] = 0.9;
  }
  cases.push({ name: "holes", data: holeData, shape: [4, 15, 15], valid: holes });
  const perValue = new Uint8Array(4 * 225).fill(1);
  for (let p = 0; p < 225; p += 7) perValue[p] = 0;
  cases.push({
    name: "per-value holes",
    data: blobField(4, 15, 15, 4, 4),
    shape: [4, 15, 15],
    valid: perValue,
  });
  for (const c of cases) {
    const { model, report } = await trainMrcae({ data: c.data, shape: c.shape, valid: c.valid }, {
      levels: 2,
      groups: [[1], [1]],
      tol: [1e-4, 1e-4],
      steps: 20,
      backend: "wasm",
    });
    assert.strictEqual(model.levels.length, 2, c.name);
    assert.deepStrictEqual(model.levels[1].grid, [c.shape[1], c.shape[2]], c.name);
    for (const l of [...report.levels, ...report.testLevels]) {
      assert.ok(
        !Number.isNaN(l.rmse) && !Number.isNaN(l.psnr) && !Number.isNaN(l.maxAbsError),
        `${c.name}: NaN in report`,
      );
    }
    for (const s of report.stages) {
      assert.ok(Number.isFinite(s.valLoss), `${c.name}: valLoss ${s.valLoss}`);
    }
    if (c.valid) {
      // The report counts valid values only: recompute it from forwardLevels().
      const ys = await forwardLevels(model, c.data, c.shape);
      const hw = c.shape[1] * c.shape[2];
      let se = 0, n = 0;
      for (let i = 0; i < c.data.length; i++) {
        if (!c.valid[c.valid.length === hw ? i % hw : i]) continue;
        se += (ys[1][i] - c.data[i]) ** 2;
        n++;
      }
      const rmse = Math.sqrt(se / n);
      assert.ok(
        Math.abs(rmse - report.levels[1].rmse) <= 1e-4 * rmse + 1e-7,
        `${c.name}: ${rmse} vs ${report.levels[1].rmse}`,
      );
    }
    if (c.name === "T=1") {
      assert.deepStrictEqual(report.split, { train: [0], validation: [0], test: [0] });
    }
  }
});

training.test("trainMrcae() is deterministic for a seed, leaks no tensors and forwardLevels() matches its report", async () => {
  const [t, h, w] = [10, 15, 15];
  const data = blobField(t, h, w, 4, 10);
  await selectBackend("wasm");
  const before = tf.memory().numTensors;
  const counts = new Map<number, number[]>();
  const opts = {
    levels: 2,
    groups: [[1], [2]],
    tol: [1e-5, 1e-5],
    steps: 25,
    batch: 4,
    backend: "wasm" as const,
    seed: 42,
  };
  const a = await trainMrcae({ data, shape: [t, h, w] }, {
    ...opts,
    onProgress: (e) =>
      counts.set(e.stage, [...(counts.get(e.stage) ?? []), tf.memory().numTensors]),
  });
  assert.strictEqual(tf.memory().numTensors, before, "tensors left after training");
  for (const [stage, c] of counts) {
    assert.ok(c.length > 1 && c.every((x) => x === c[0]), `stage ${stage}: tensor count ${c}`);
  }
  const b = await trainMrcae({ data, shape: [t, h, w] }, opts);
  assert.deepStrictEqual(flatWeights(a.model), flatWeights(b.model));
  assert.deepStrictEqual(a.report.split, b.report.split);
  // forwardLevels reproduces the errors the report computed inside the trainer.
  const ys = await forwardLevels(a.model, data, [t, h, w]);
  let se = 0;
  for (let i = 0; i < data.length; i++) se += (ys[1][i] - data[i]) ** 2;
  const rmse = Math.sqrt(se / data.length);
  assert.ok(
    Math.abs(rmse - a.report.levels[1].rmse) <= 1e-6 + 1e-4 * rmse,
    `${rmse} vs ${a.report.levels[1].rmse}`,
  );
  assert.strictEqual(tf.memory().numTensors, before, "forwardLevels leaked");
  // ... and a naive TypeScript decoder of the model contract agrees with tfjs.
  for (let s = 0; s < t; s += 3) {
    const naive = naiveLevels(a.model, data.subarray(s * h * w, (s + 1) * h * w));
    const [ch, cw] = a.model.levels[0].grid;
    assert.ok(maxAbsDiff(naive[0], ys[0].subarray(s * ch * cw, (s + 1) * ch * cw)) < 1e-5);
    assert.ok(maxAbsDiff(naive[1], ys[1].subarray(s * h * w, (s + 1) * h * w)) < 1e-5);
  }
});

Deno.test("trainMrcae() rejects with the signal's reason when aborted", async () => {
  const data = blobField(6, 15, 15, 7, 7);
  await selectBackend("wasm");
  const before = tf.memory().numTensors;
  const ac = new AbortController();
  const reason = new Error("stop now");
  let steps = 0;
  await assert.rejects(
    trainMrcae({ data, shape: [6, 15, 15] }, {
      levels: 2,
      steps: 1000,
      backend: "wasm",
      signal: ac.signal,
      onProgress: () => {
        if (++steps === 3) ac.abort(reason);
      },
    }),
    (e) => e === reason,
  );
  assert.strictEqual(steps, 3);
  assert.strictEqual(tf.memory().numTensors, before);
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(
    trainMrcae({ data, shape: [6, 15, 15] }, { signal: pre.signal, levels: 2 }),
    (e: Error) => e.name === "AbortError",
  );
});

async function oneStep(backend: "cpu" | "wasm" | "webgpu"): Promise<MrcaeModel> {
  const data = blobField(6, 15, 15, 5, 5);
  const { model } = await trainMrcae({ data, shape: [6, 15, 15] }, {
    levels: 2,
    groups: [[], []],
    steps: 1,
    batch: 6,
    backend,
    seed: 5,
  });
  return model;
}

// One Adam step moves each weight by about lr = 3e-3 (the default) in the sign of its
// gradient; backends agree to float rounding, so 1e-5 on every weight after one step per stage.
const STEP_TOL = 1e-5;

Deno.test("trainMrcae() one step on wasm matches cpu", async () => {
  const cpu = flatWeights(await oneStep("cpu"));
  const wasm = flatWeights(await oneStep("wasm"));
  const d = maxAbsDiff(cpu, wasm);
  assert.ok(d < STEP_TOL, `wasm vs cpu: ${d}`);
});

// Without a WebGPU adapter (in CI: Mesa's software Vulkan driver, lavapipe) the agreement test is
// reported as ignored, not as passed.
ensureRuntimeDir();
const gpuAdapter = await (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } })
  .gpu?.requestAdapter().catch(() => null) ?? null;

Deno.test({
  name: "trainMrcae() one step on webgpu (software adapter) matches cpu",
  ignore: gpuAdapter === null,
}, async () => {
  await selectBackend("webgpu");
  const gpu = flatWeights(await oneStep("webgpu"));
  const cpu = flatWeights(await oneStep("cpu"));
  const d = maxAbsDiff(cpu, gpu);
  assert.ok(d < STEP_TOL, `webgpu vs cpu: ${d}`);
});

/** Two smooth separable modes with cosine time coefficients, min-max normalized to [0, 1]. */
function twoModeField(t: number, n: number): Float32Array {
  const out = new Float32Array(t * n * n);
  for (let s = 0; s < t; s++) {
    const a = Math.cos(0.3 * s), b = Math.cos(1.7 * s + 0.5);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const x = -1 + (2 * j) / (n - 1), y = -1 + (2 * i) / (n - 1);
        const u = Math.cosh(0.8 * (x + 0.2)) * Math.cosh(0.8 * (y - 0.1));
        const v = Math.exp(-((x - 0.3) ** 2 + (y + 0.2) ** 2) / 0.18);
        out[s * n * n + i * n + j] = u * a + v * b;
      }
    }
  }
  let lo = Infinity, hi = -Infinity;
  for (const x of out) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
  return out.map((x) => (x - lo) / (hi - lo));
}

// Level 0 of a smooth field whose borders are far from 0: the authors' code reaches ~40 dB
// here. With a plain (unpadded) level-0 decoder the border rows/columns get half the kernel's
// weight and training stalls near 20-25 dB: this test guards the padded one.
Deno.test({
  name: "trainMrcae() reaches 35 dB at level 0 on a smooth two-mode field (31x31)",
  ignore: training.skip,
  fn: async () => {
    const [t, n] = [40, 31];
    const data = twoModeField(t, n);
    const { report } = await trainMrcae({ data, shape: [t, n, n] }, {
      levels: 1,
      groups: [[1, 1]],
      tol: [1e-9],
      steps: 200,
      batch: 64,
      backend: "wasm",
    });
    for (const l of [report.levels[0], report.testLevels[0]]) {
      assert.ok(l.psnr > 35, `level 0 PSNR ${l.psnr.toFixed(2)} dB`);
    }
  },
});
