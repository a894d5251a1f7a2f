import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
import { selectBackend } from "../src/backend.ts";
import { levelsLoss } from "../src/train/_loss.ts";
import {
  levelVariables,
  makeGroup,
  makeLevel,
  type NetLevel,
  refreshMasks,
} from "../src/train/_net.ts";
const be = Deno.args[0] ?? "cpu";
await selectBackend(be as "cpu");
let s = 12345;
const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) - 0.5;
const grids: [number, number][] = [[7, 5], [15, 11]];
const net: NetLevel[] = [];
for (let k = 0; k < 2; k++) {
  const l = makeLevel(grids[k], { kernel: Array.from({ length: 9 }, r), bias: r() }, {
    kernel: Array.from({ length: 9 }, r),
    bias: r(),
  }, true);
  const [lh, lw] = l.latent;
  for (const m of [1, 2]) {
    l.groups.push(
      makeGroup({
        channels: m,
        convKernels: Array.from({ length: 9 * m }, r),
        convBias: Float32Array.from({ length: m }, r),
        deconvKernels: Array.from({ length: 9 * m }, r),
        deconvBias: r(),
        mask: Uint8Array.from({ length: lh * lw }, (_, i) => (i % 3 !== 0 ? 1 : 0)),
      }, true),
    );
  }
  refreshMasks(l);
  net.push(l);
}
const B = 3;
const x = tf.tensor4d(Float32Array.from({ length: B * 15 * 11 }, r), [B, 15, 11, 1]);
for (const omega of [0.5, 1, 0]) {
  const loss = () => levelsLoss(net, 1, x, null, null, [35, 165], omega);
  const vars = net.flatMap(levelVariables);
  const { grads } = tf.variableGrads(loss, vars);
  let worst = 0;
  for (let vi = 0; vi < vars.length; vi++) {
    const v = vars[vi];
    const g = grads[v.name].dataSync();
    const orig = v.dataSync().slice();
    for (let e = 0; e < orig.length; e++) {
      const h = 1e-2;
      const p = orig.slice();
      p[e] += h;
      v.assign(tf.tensor(p, v.shape));
      const lp = tf.tidy(() => loss().dataSync()[0]);
      const m = orig.slice();
      m[e] -= h;
      v.assign(tf.tensor(m, v.shape));
      const lm = tf.tidy(() => loss().dataSync()[0]);
      v.assign(tf.tensor(orig, v.shape));
      const fd = (lp - lm) / (2 * h);
      const err = Math.abs(fd - g[e]) / Math.max(1e-3, Math.abs(fd), Math.abs(g[e]));
      if (err > 1e-2) {
        console.log(`omega ${omega} var ${vi} ${v.shape} el ${e}: fd ${fd} ad ${g[e]}`);
      }
      worst = Math.max(worst, err);
    }
  }
  console.log("omega", omega, "worst rel err", worst);
}
