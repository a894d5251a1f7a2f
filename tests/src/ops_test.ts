import assert from "node:assert";
import {
  conv3s2,
  deconv3s2,
  deconvPadded,
  deconvPaddedAdjoint,
  maskPositions,
  scatterSparse,
} from "../../src/ops.ts";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}
const rand = (n: number, r: () => number) => Float32Array.from({ length: n }, r);

/** Naive scatter-form transposed conv, full output (2h+1)x(2w+1). */
function naiveDeconv(z: Float32Array, h: number, w: number, k: Float32Array): Float64Array {
  const W = 2 * w + 1;
  const out = new Float64Array((2 * h + 1) * W);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      for (let dy = 0; dy < 3; dy++) {
        for (let dx = 0; dx < 3; dx++) {
          out[(2 * i + dy) * W + 2 * j + dx] += k[3 * dy + dx] * z[i * w + j];
        }
      }
    }
  }
  return out;
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) {
  assert.strictEqual(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    if (Math.abs(a[i] - b[i]) > tol) assert.fail(`index ${i}: ${a[i]} != ${b[i]}`);
  }
}

Deno.test("conv3s2() matches a naive correlation on a non-square grid", () => {
  const r = rng(1);
  const h = 9, w = 13, x = rand(h * w, r), k = rand(9, r);
  const out = conv3s2(x, h, w, k, 0.25);
  const ref: number[] = [];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 6; j++) {
      let s = 0.25;
      for (let dy = 0; dy < 3; dy++) {
        for (let dx = 0; dx < 3; dx++) s += k[3 * dy + dx] * x[(2 * i + dy) * w + 2 * j + dx];
      }
      ref.push(s);
    }
  }
  close(out, ref);
});

Deno.test("deconv3s2() matches a naive scatter", () => {
  const r = rng(2);
  const h = 5, w = 7, z = rand(h * w, r), k = rand(9, r);
  const ref = naiveDeconv(z, h, w, k).map((v) => v - 0.5);
  close(deconv3s2(z, h, w, k, -0.5), ref);
});

Deno.test("deconvPadded() equals replicate-pad, scatter, crop 2", () => {
  const r = rng(3);
  const h = 6, w = 4, y = rand(h * w, r), k = rand(9, r);
  const ph = h + 2, pw = w + 2;
  const p = new Float32Array(ph * pw);
  const cl = (v: number, n: number) => Math.min(n - 1, Math.max(0, v));
  for (let i = 0; i < ph; i++) {
    for (let j = 0; j < pw; j++) p[i * pw + j] = y[cl(i - 1, h) * w + cl(j - 1, w)];
  }
  const full = naiveDeconv(p, ph, pw, k);
  const FW = 2 * pw + 1, oh = 2 * h + 1, ow = 2 * w + 1;
  const ref = new Float64Array(oh * ow);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) ref[i * ow + j] = full[(i + 2) * FW + j + 2] + 1;
  }
  close(deconvPadded(y, h, w, k, 1), ref);
});

Deno.test("deconvPadded() with the bilinear kernel interpolates a linear ramp exactly inside", () => {
  const h = 5, w = 5, y = new Float32Array(h * w);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) y[i * w + j] = i + 2 * j;
  const k = Float32Array.of(0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25);
  const out = deconvPadded(y, h, w, k, 0);
  const ow = 2 * w + 1;
  // Fine pixel 2i+1 sits on coarse pixel i, so interior values are the ramp at half steps.
  for (let r = 1; r < 2 * h; r++) {
    for (let c = 1; c < 2 * w; c++) {
      assert.ok(Math.abs(out[r * ow + c] - ((r - 1) / 2 + (c - 1))) < 1e-5, `at ${r},${c}`);
    }
  }
});

Deno.test("scatterSparse() equals a dense deconv of the masked latent", () => {
  const r = rng(4);
  const lh = 6, lw = 5, ch = 3;
  const mask = Uint8Array.from({ length: lh * lw }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const pos = maskPositions(mask);
  const kernels = rand(9 * ch, r);
  const values = rand(ch * pos.length, r);
  const out = new Float32Array((2 * lh + 1) * (2 * lw + 1));
  scatterSparse(out, 2 * lw + 1, pos, lw, kernels, ch, values, 0);
  const ref = new Float64Array(out.length);
  for (let c = 0; c < ch; c++) {
    const z = new Float32Array(lh * lw);
    pos.forEach((p, n) => (z[p] = values[c * pos.length + n]));
    naiveDeconv(z, lh, lw, kernels.subarray(9 * c, 9 * c + 9)).forEach((v, i) => (ref[i] += v));
  }
  close(out, ref);
});

Deno.test("deconvPaddedAdjoint() is the adjoint of deconvPadded(): <D y, r> = <y, D^T r>", () => {
  const r = rng(5);
  const h = 5, w = 8, y = rand(h * w, r), k = rand(9, r);
  const out = rand((2 * h + 1) * (2 * w + 1), r);
  const dy = deconvPadded(y, h, w, k, 0);
  const dtr = deconvPaddedAdjoint(out, h, w, k);
  let a = 0, b = 0;
  for (let i = 0; i < dy.length; i++) a += dy[i] * out[i];
  for (let i = 0; i < y.length; i++) b += y[i] * dtr[i];
  assert.ok(Math.abs(a - b) < 1e-4 * Math.abs(a), `${a} vs ${b}`);
});
