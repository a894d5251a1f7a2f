import assert from "node:assert";
import { forwardLevels, trainMrcae } from "../../../src/train/mod.ts";
import { decoderParts, encodeCodes } from "../../../src/encode/encoder.ts";
import { decodeLevel } from "../../../src/model/level_decoder.ts";
import { smallField, training } from "../_fixtures.ts";

training.test("decodeLevel() (plain TypeScript) equals the TensorFlow.js network at every level", async () => {
  const [T, H, W] = [5, 23, 31];
  const data = smallField(T, H, W).map((v) => (v - 1.5) / 3.5);
  const { model } = await trainMrcae({ data, shape: [T, H, W] }, {
    levels: 3,
    steps: 15,
    batch: 5,
    tol: [1e-4, 1e-4, 1e-4], // keep every group's mask non-empty
    backend: "cpu",
    seed: 3,
  });
  assert.ok(model.levels.some((lv) => lv.groups.length > 0), "the test needs widening groups");
  const tf = await forwardLevels(model, data, [T, H, W]);
  const codes = encodeCodes(model, data, T);
  const parts = decoderParts(model);
  let prev: Float32Array | null = null;
  parts.forEach((p, k) => {
    const out = new Float32Array(T * p.grid[0] * p.grid[1]);
    decodeLevel(p, k, prev, codes[k], 0, T, out);
    let worst = 0;
    for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - tf[k][i]));
    assert.ok(worst < 1e-5, `level ${k}: max difference ${worst}`);
    prev = out;
  });
});
