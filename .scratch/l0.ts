import { trainMrcae } from "../src/train/mod.ts";
function toy1(t: number, n = 127): Float32Array {
  const w0 = 0.5, w1 = 4, s0 = 10, s1 = 0.25;
  const u = new Float64Array(n * n), v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const x = -5 + (10 * j) / (n - 1), y = -5 + (10 * i) / (n - 1);
      u[i * n + j] = Math.cosh((x + 1) / s0) * Math.cosh((y - 1) / s0);
      v[i * n + j] = Math.exp(-((x - 1) ** 2 + (y + 1) ** 2) / (2 * s1 * s1)) /
        Math.sqrt(2 * Math.PI * s1);
    }
  }
  const out = new Float32Array(t * n * n);
  let lo = Infinity, hi = -Infinity;
  for (let s = 0; s < t; s++) {
    const tt = (8 * Math.PI * s) / (t - 1);
    const a = Math.cos(w0 * tt), b = Math.cos(w1 * tt + Math.PI / 4);
    for (let p = 0; p < n * n; p++) {
      const val = u[p] * a + v[p] * b;
      out[s * n * n + p] = val;
      lo = Math.min(lo, val);
      hi = Math.max(hi, val);
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] - lo) / (hi - lo);
  return out;
}
const t = 500;
const full = toy1(t);
function cs(src: Float32Array, h: number) {
  const o = (h - 1) / 2;
  const out = new Float32Array(t * o * o);
  for (let s = 0; s < t; s++) {
    for (let i = 0; i < o; i++) {
      for (let j = 0; j < o; j++) {
        out[s * o * o + i * o + j] = src[s * h * h + (2 * i + 1) * h + 2 * j + 1];
      }
    }
  }
  return out;
}
const d31 = cs(cs(full, 127), 63);
const steps = Number(Deno.args[0] ?? 200),
  batch = Number(Deno.args[1] ?? 350),
  lr = Number(Deno.args[2] ?? 1e-3);
let last = -1;
const { report } = await trainMrcae({ data: d31, shape: [t, 31, 31] }, {
  levels: 1,
  groups: [[1, 1, 1]],
  tol: [1e-3],
  steps,
  batch,
  learningRate: lr,
  backend: (Deno.args[3] ?? "wasm") as "wasm",
  onProgress: (e) => {
    if (e.step % 20 === 0) console.log(e.stage, e.step, e.loss.toExponential(3));
  },
});
for (const s of report.stages) console.log(JSON.stringify(s));
console.log(JSON.stringify(report.testLevels), report.seconds);
