import assert from "node:assert";
import {
  conv3s2,
  deconvPadded,
  deconvPaddedAdjoint,
  maskPositions,
  scatterCodes,
  stampOrigins,
} from "../../../src/model/ops.ts";
import { decodeLevel, type LevelDecoderParts } from "../../../src/model/level_decoder.ts";
import { mulberry32 } from "../../../src/random.ts";

/** Uniform in [-0.5, 0.5). */
function rng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() - 0.5;
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

// Differential tests of the fast paths against the original, naive gather and scatter (the
// definitions, with their clamping per pixel). The fast paths keep the order of every sum and
// every float32 rounding, so the results must be bit-identical, not merely close.

function clampTo(p: number, n: number): number {
  return p < 0 ? 0 : p >= n ? n - 1 : p;
}

/** deconvPadded as first written: a clamped gather per output pixel. */
function naiveDeconvPadded(
  y: Float32Array,
  h: number,
  w: number,
  k: Float32Array,
  bias: number,
): Float32Array {
  const oh = 2 * h + 1, ow = 2 * w + 1;
  const out = new Float32Array(oh * ow);
  const row = (p: number) => clampTo(p - 1, h) * w;
  const col = (p: number) => clampTo(p - 1, w);
  for (let r = 0; r < oh; r++) {
    for (let c = 0; c < ow; c++) {
      let v: number;
      if (r % 2 === 0) {
        const ra = row(r / 2 + 1), rb = row(r / 2);
        if (c % 2 === 0) {
          const ja = col(c / 2 + 1), jb = col(c / 2);
          v = bias + k[0] * y[ra + ja] + k[2] * y[ra + jb] + k[6] * y[rb + ja] + k[8] * y[rb + jb];
        } else {
          const j = col((c + 1) / 2);
          v = bias + k[1] * y[ra + j] + k[7] * y[rb + j];
        }
      } else {
        const ra = row((r + 1) / 2);
        if (c % 2 === 0) {
          v = bias + k[3] * y[ra + col(c / 2 + 1)] + k[5] * y[ra + col(c / 2)];
        } else {
          v = bias + k[4] * y[ra + col((c + 1) / 2)];
        }
      }
      out[r * ow + c] = v;
    }
  }
  return out;
}

/**
 * A sparse latent scattered with float values (step 1): channel-major `values[c * count + n]`
 * from `offset`, through scatterCodes.
 */
function scatterSparse(
  out: Float32Array,
  w: number,
  pos: Int32Array,
  lw: number,
  kernels: Float32Array,
  channels: number,
  values: Float32Array,
  offset: number,
): void {
  const count = pos.length;
  const streams = Array.from(
    { length: channels },
    (_, c) => values.subarray(offset + c * count, offset + (c + 1) * count),
  );
  scatterCodes(out, w, stampOrigins(pos, lw, w), kernels, streams, 0, 1);
}

/** scatterSparse as first written: dequantize, combine channels into a float32 stamp, add. */
function naiveScatter(
  out: Float32Array,
  w: number,
  pos: Int32Array,
  lw: number,
  kernels: Float32Array,
  streams: ArrayLike<number>[],
  offset: number,
  step: number,
): void {
  const eff = new Float32Array(9);
  for (let n = 0; n < pos.length; n++) {
    eff.fill(0);
    for (let c = 0; c < streams.length; c++) {
      const v = Math.fround(streams[c][offset + n] * step);
      if (v === 0) continue;
      for (let t = 0; t < 9; t++) eff[t] += kernels[9 * c + t] * v;
    }
    const i = Math.floor(pos[n] / lw), j = pos[n] % lw;
    for (let dy = 0; dy < 3; dy++) {
      for (let dx = 0; dx < 3; dx++) out[(2 * i + dy) * w + 2 * j + dx] += eff[3 * dy + dx];
    }
  }
}

function assertBitIdentical(a: Float32Array, b: Float32Array, what: string): void {
  assert.strictEqual(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${what}, index ${i}: ${a[i]} != ${b[i]}`);
  }
}

const GRIDS: [number, number][] = [
  [1, 1],
  [1, 2],
  [2, 1],
  [1, 7],
  [7, 1],
  [2, 2],
  [3, 3],
  [
    4,
    9,
  ],
  [15, 15],
  [31, 6],
];

Deno.test("deconvPadded() is bit-identical to the naive clamped gather on every grid shape", () => {
  const r = rng(11);
  for (const [h, w] of GRIDS) {
    const y = rand(h * w, r), k = rand(9, r), bias = r();
    const out = new Float32Array((2 * h + 1) * (2 * w + 1)).fill(NaN);
    deconvPadded(y, h, w, k, bias, out);
    assertBitIdentical(out, naiveDeconvPadded(y, h, w, k, bias), `grid ${h}x${w}`);
  }
});

Deno.test("deconvPadded() replicates a constant plane to bias + sum of taps, borders included", () => {
  for (const [h, w] of GRIDS) {
    const k = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    const out = deconvPadded(new Float32Array(h * w).fill(1), h, w, k, 0.5);
    const ow = 2 * w + 1;
    // Even/even pixels get taps 0, 2, 6, 8; even/odd 1, 7; odd/even 3, 5; odd/odd 4.
    for (let i = 0; i < out.length; i++) {
      const re = Math.floor(i / ow) % 2 === 0, ce = (i % ow) % 2 === 0;
      const want = re ? (ce ? 20.5 : 10.5) : (ce ? 10.5 : 5.5);
      assert.strictEqual(out[i], want, `grid ${h}x${w}, index ${i}`);
    }
  }
});

Deno.test("scatterCodes() is bit-identical to dequantize + naive scatter for 1, 2 and 3 channels", () => {
  const r = rng(12);
  for (const [lh, lw] of GRIDS) {
    for (const channels of [1, 2, 3]) {
      const w = 2 * lw + 1;
      // Every other position kept, and some zero codes, in one channel or all.
      const mask = Uint8Array.from(
        { length: lh * lw },
        (_, i) => (i % 2 === 0 || lh * lw < 3 ? 1 : 0),
      );
      const pos = maskPositions(mask);
      const kernels = rand(9 * channels, r);
      const snapshotCount = 3, offset = pos.length; // decode snapshot 1 of 3
      const streams = Array.from(
        { length: channels },
        () => Int32Array.from({ length: snapshotCount * pos.length }, () => Math.round(r() * 6)),
      );
      const step = 0.37;
      const start = rand((2 * lh + 1) * w, r);
      const fast = start.slice(), slow = start.slice();
      scatterCodes(fast, w, stampOrigins(pos, lw, w), kernels, streams, offset, step);
      naiveScatter(slow, w, pos, lw, kernels, streams, offset, step);
      assertBitIdentical(fast, slow, `latent ${lh}x${lw}, ${channels} channels`);
    }
  }
});

Deno.test("scatterSparse() is bit-identical to the naive scatter with float values", () => {
  const r = rng(13);
  const lh = 5, lw = 7, w = 2 * lw + 1;
  const pos = maskPositions(Uint8Array.from({ length: lh * lw }, (_, i) => i % 4 === 1 ? 0 : 1));
  for (const channels of [1, 2, 4]) {
    const kernels = rand(9 * channels, r);
    const values = rand(2 + channels * pos.length, r);
    values[5] = 0;
    const fast = new Float32Array((2 * lh + 1) * w), slow = fast.slice();
    scatterSparse(fast, w, pos, lw, kernels, channels, values, 2);
    const streams = Array.from(
      { length: channels },
      (_, c) => values.subarray(2 + c * pos.length, 2 + (c + 1) * pos.length),
    );
    naiveScatter(slow, w, pos, lw, kernels, streams, 0, 1);
    assertBitIdentical(fast, slow, `${channels} channels`);
  }
});

// decodeLevel() is the composition of the two above; checked here against the same composition
// of the naive operators, level 0 (base code) and a level above, with empty and full masks.
Deno.test("decodeLevel() is bit-identical to naive deconvPadded + dequantized scatter", () => {
  const r = rng(14);
  for (const [lh, lw] of [[1, 1], [3, 3], [4, 7], [7, 4]]) {
    const h = 2 * lh + 1, w = 2 * lw + 1, T = 3, first = 1, count = 2;
    const masks = [
      Uint8Array.from({ length: lh * lw }, (_, i) => (i % 3 === 0 ? 1 : 0)),
      new Uint8Array(lh * lw),
      new Uint8Array(lh * lw).fill(1),
    ];
    const channels = [2, 1, 3];
    const parts: LevelDecoderParts = {
      grid: [h, w],
      latent: [lh, lw],
      deconv: { kernel: rand(9, r), bias: r() },
      groups: masks.map((m, g) => ({
        channels: channels[g],
        deconvKernels: rand(9 * channels[g], r),
        deconvBias: r(),
        positions: maskPositions(m),
      })),
      baseStep: 0.21,
      groupSteps: [0.5, 0.25, 0.125],
    };
    const code = (n: number) => Int32Array.from({ length: T * n }, () => Math.round(r() * 9));
    const groupStreams = parts.groups.flatMap((g) =>
      Array.from({ length: g.channels }, () => code(g.positions.length))
    );
    for (const level of [0, 1]) {
      const streams = level === 0 ? [code(lh * lw), ...groupStreams] : groupStreams;
      const prev = level === 0 ? null : rand(count * lh * lw, r);
      const out = new Float32Array(count * h * w);
      decodeLevel(parts, level, prev, streams, first, count, out);
      const ref = new Float32Array(count * h * w);
      let groupBias = 0;
      for (const g of parts.groups) groupBias += g.deconvBias;
      for (let t = 0; t < count; t++) {
        let src: Float32Array;
        if (prev === null) {
          src = new Float32Array(lh * lw);
          for (let i = 0; i < lh * lw; i++) src[i] = streams[0][(first + t) * lh * lw + i] * 0.21;
        } else src = prev.subarray(t * lh * lw, (t + 1) * lh * lw);
        const plane = naiveDeconvPadded(
          src,
          lh,
          lw,
          parts.deconv.kernel,
          parts.deconv.bias + groupBias,
        );
        let s = level === 0 ? 1 : 0;
        parts.groups.forEach((g, gi) => {
          const n = g.positions.length;
          const mine = streams.slice(s, s + g.channels);
          s += g.channels;
          naiveScatter(
            plane,
            w,
            g.positions,
            lw,
            g.deconvKernels,
            mine,
            (first + t) * n,
            parts.groupSteps[gi],
          );
        });
        ref.set(plane, t * h * w);
      }
      assertBitIdentical(out, ref, `latent ${lh}x${lw}, level ${level}`);
    }
  }
});
