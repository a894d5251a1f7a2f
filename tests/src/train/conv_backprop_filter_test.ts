import assert from "node:assert";
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
import { conv2dBackpropFilter, selectBackend } from "../../../src/train/mod.ts";
import { ensureRuntimeDir, lcg, maxAbsDiff } from "./_helpers.ts";

Deno.test("conv2dBackpropFilter() matches the cpu kernel (stride 2 valid, stride 1 same, multi-channel)", async () => {
  await selectBackend("cpu");
  const rand = lcg(7);
  const cases: { x: number[]; f: number[]; s: number; pad: "valid" | "same" }[] = [
    { x: [5, 31, 23, 1], f: [3, 3, 1, 1], s: 2, pad: "valid" },
    { x: [3, 15, 15, 1], f: [3, 3, 1, 4], s: 2, pad: "valid" },
    { x: [2, 9, 11, 2], f: [3, 3, 2, 3], s: 1, pad: "same" },
  ];
  for (const c of cases) {
    const x = tf.tensor4d(
      Float32Array.from({ length: c.x.reduce((a, b) => a * b) }, () => rand() - 0.5),
      c.x as [number, number, number, number],
    );
    const y = tf.conv2d(
      x,
      tf.zeros(c.f as [number, number, number, number]) as tf.Tensor4D,
      c.s,
      c.pad,
    );
    const dy = tf.tensor4d(Float32Array.from({ length: y.size }, () => rand() - 0.5), y.shape);
    const attrs = {
      strides: [c.s, c.s],
      pad: c.pad,
      dataFormat: "NHWC",
      filterShape: c.f,
    } as const;
    const ref = tf.engine().runKernel(
      "Conv2DBackpropFilter",
      { x, dy },
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor;
    const ours = conv2dBackpropFilter(x, dy, {
      ...attrs,
      strides: [c.s, c.s],
      filterShape: c.f as [number, number, number, number],
    });
    assert.deepStrictEqual(ours.shape, ref.shape);
    const d = maxAbsDiff(await ours.data(), await ref.data());
    assert.ok(d < 1e-4, `max abs diff ${d}`);
    tf.dispose([x, y, dy, ref, ours]);
  }
});

Deno.test("selectBackend() registers Conv2DBackpropFilter on wasm and honours explicit choices", async () => {
  const b = await selectBackend("wasm");
  assert.strictEqual(b.name, "wasm");
  assert.strictEqual(tf.getBackend(), "wasm");
  assert.ok(tf.getKernel("Conv2DBackpropFilter", "wasm"));
  // The wasm kernel (ours) agrees with cpu's on the trainer's shape.
  const rand = lcg(3);
  const xs = Float32Array.from({ length: 4 * 63 * 63 }, () => rand());
  const dys = Float32Array.from({ length: 4 * 31 * 31 }, () => rand() - 0.5);
  const run = () => {
    const x = tf.tensor4d(xs, [4, 63, 63, 1]);
    const dy = tf.tensor4d(dys, [4, 31, 31, 1]);
    const g = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
      strides: [2, 2],
      pad: "valid",
      dataFormat: "NHWC",
      filterShape: [3, 3, 1, 1],
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const out = g.dataSync().slice();
    tf.dispose([x, dy, g]);
    return out;
  };
  const wasm = run();
  await selectBackend("cpu");
  const cpu = run();
  const d = maxAbsDiff(wasm, cpu);
  assert.ok(d < 1e-3, `wasm vs cpu filter gradient: max abs diff ${d}`);
  ensureRuntimeDir();
  const auto = await selectBackend("auto");
  assert.ok(auto.name === "wasm" || (auto.name === "webgpu" && auto.fallbackAdapter === false));
});
