import assert from "node:assert";
// deno-lint-ignore no-import-prefix
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
import { selectBackend } from "../../../src/train/mod.ts";
import { centre, levelsLoss } from "../../../src/train/_loss.ts";
import {
  levelVariables,
  makeGroup,
  makeLevel,
  type NetLevel,
  refreshMasks,
} from "../../../src/train/_net.ts";
import { lcg } from "./_helpers.ts";
import { training } from "../_fixtures.ts";

/** A 2-level net (7x5 under 15x11) with random weights and two masked groups per level. */
function randomNet(rand: () => number): NetLevel[] {
  const r = () => rand() - 0.5;
  const grids: [number, number][] = [[7, 5], [15, 11]];
  return grids.map((grid) => {
    const l = makeLevel(
      grid,
      { kernel: Array.from({ length: 9 }, r), bias: r() },
      { kernel: Array.from({ length: 9 }, r), bias: r() },
      true,
    );
    const [lh, lw] = l.latent;
    for (const m of [1, 2]) {
      l.groups.push(makeGroup({
        channels: m,
        convKernels: Array.from({ length: 9 * m }, r),
        convBias: Float32Array.from({ length: m }, r),
        deconvKernels: Array.from({ length: 9 * m }, r),
        deconvBias: r(),
        // A mask with holes, different per group: Multiply by a mask is on the path.
        mask: Uint8Array.from({ length: lh * lw }, (_, i) => ((i + m) % 3 !== 0 ? 1 : 0)),
      }, true));
    }
    refreshMasks(l);
    return l;
  });
}

// The loss is quadratic in each single weight (the net is linear in each), except where the
// max term switches pixel; central differences are then exact up to float32 rounding.
training.test("levelsLoss() gradients match central differences for every variable", async () => {
  await selectBackend("cpu");
  const rand = lcg(11);
  const net = randomNet(rand);
  const [b, h, w] = [3, 15, 11];
  const x = tf.tensor4d(Float32Array.from({ length: b * h * w }, rand), [b, h, w, 1]);
  const pixelValid = [
    tf.tensor4d(Float32Array.from({ length: 35 }, (_, i) => (i % 4 === 1 ? 0 : 1)), [1, 7, 5, 1]),
    tf.tensor4d(Float32Array.from({ length: 165 }, (_, i) => (i % 5 === 2 ? 0 : 1)), [
      1,
      15,
      11,
      1,
    ]),
  ];
  const nValid = await Promise.all(pixelValid.map(async (v) => (await tf.sum(v).data())[0]));
  const perValue = tf.tensor4d(
    Float32Array.from({ length: b * h * w }, (_, i) => (i % 7 === 3 ? 0 : 1)),
    [b, h, w, 1],
  );
  const cases = [
    { name: "no validity, w 0.5", v: null, pv: null, omega: 0.5 },
    { name: "MSE only", v: null, pv: null, omega: 1 },
    { name: "max only", v: null, pv: null, omega: 0 },
    { name: "per-pixel validity", v: null, pv: pixelValid, omega: 0.5 },
    { name: "per-value validity", v: perValue, pv: null, omega: 0.5 },
  ];
  const vars = net.flatMap(levelVariables);
  const hStep = 2e-3;
  for (const c of cases) {
    for (const top of [0, 1]) {
      const input = top === 1 ? x : centre(x);
      const v = c.v && top === 0 ? centre(c.v) : c.v;
      const nv = c.pv ? nValid : [35, 165];
      const loss = () => levelsLoss(net, top, input, v, c.pv, nv, c.omega);
      const used = top === 1 ? vars : levelVariables(net[0]);
      const { value, grads } = tf.variableGrads(loss, used);
      value.dispose();
      let worst = 0, where = "", checked = 0, kinks = 0;
      for (const v of used) {
        const g = await grads[v.name].data();
        const orig = Float32Array.from(await v.data());
        for (let e = 0; e < orig.length; e++) {
          const at = (d: number) => {
            const p = orig.slice();
            p[e] += d;
            tf.tidy(() => v.assign(tf.tensor(p, v.shape)));
            return tf.tidy(() => loss().dataSync()[0]);
          };
          const [lp, l0, lm] = [at(hStep), at(0), at(-hStep)];
          tf.tidy(() => v.assign(tf.tensor(orig, v.shape)));
          const [right, left] = [(lp - l0) / hStep, (l0 - lm) / hStep];
          const fd = (right + left) / 2;
          const scale = Math.max(1e-2, Math.abs(fd), Math.abs(g[e]));
          checked++;
          // The max term switched pixel inside [-h, h]: no derivative to compare with.
          if (Math.abs(right - left) > 0.05 * scale) {
            kinks++;
            continue;
          }
          const err = Math.abs(fd - g[e]) / scale;
          if (err > worst) {
            [worst, where] = [err, `${v.name} [${v.shape}] #${e}: fd ${fd}, grad ${g[e]}`];
          }
        }
      }
      tf.dispose(grads);
      assert.ok(kinks <= 0.05 * checked, `${c.name}, top ${top}: ${kinks} of ${checked} at a kink`);
      assert.ok(worst < 1e-2, `${c.name}, top ${top}: relative error ${worst} at ${where}`);
    }
  }
  tf.dispose([x, perValue, ...pixelValid]);
  for (const l of net) {
    for (const v of levelVariables(l)) v.dispose();
    l.maskTensor?.dispose();
  }
});
