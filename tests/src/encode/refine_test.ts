import assert from "node:assert";
import { LevelOperator, refineCodes } from "../../../src/encode/refine.ts";
import { decodeLevel, type LevelDecoderParts } from "../../../src/model/level_decoder.ts";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

function level0(r: () => number): LevelDecoderParts {
  const k = (n: number) => Float32Array.from({ length: n }, r);
  return {
    grid: [15, 11],
    latent: [7, 5],
    deconv: { kernel: k(9), bias: 0.1 },
    groups: [
      {
        channels: 2,
        deconvKernels: k(18),
        deconvBias: -0.05,
        positions: Int32Array.of(0, 3, 7, 34),
      },
      {
        channels: 1,
        deconvKernels: k(9).map((v) => v * 0.01),
        deconvBias: 0,
        positions: Int32Array.of(12, 13),
      },
    ],
    baseStep: 1,
    groupSteps: [1, 1],
  };
}

Deno.test("LevelOperator.adjoint() is the adjoint of apply(): <A x, r> = <x, A^T r>", () => {
  const r = rng(7);
  const op = new LevelOperator(level0(r), 0);
  const x = Float64Array.from({ length: op.size }, r);
  const res = Float64Array.from({ length: 165 }, r);
  const ax = new Float64Array(165), atr = new Float64Array(op.size);
  op.apply(x, ax);
  op.adjoint(res, atr);
  let a = 0, b = 0;
  for (let i = 0; i < 165; i++) a += ax[i] * res[i];
  for (let i = 0; i < op.size; i++) b += x[i] * atr[i];
  assert.ok(Math.abs(a - b) < 1e-6 * Math.abs(a), `${a} vs ${b}`);
});

Deno.test("refineCodes() lowers the error on valid pixels and ignores invalid ones", () => {
  const r = rng(9);
  const parts = level0(r);
  const T = 3, plane = 165;
  const target = Float32Array.from({ length: T * plane }, r);
  const valid = Uint8Array.from({ length: plane }, (_, i) => (i % 7 === 0 ? 0 : 1));
  const streams = [
    new Float32Array(T * 35),
    new Float32Array(T * 4),
    new Float32Array(T * 4),
    new Float32Array(T * 2),
  ];
  const err = () => {
    const out = new Float32Array(T * plane);
    decodeLevel(parts, 0, null, streams, 0, T, out);
    let s = 0;
    for (let i = 0; i < out.length; i++) if (valid[i % plane]) s += (out[i] - target[i]) ** 2;
    return s;
  };
  const before = err();
  refineCodes(new LevelOperator(parts, 0), streams, target, valid, null, 5);
  const mid = err();
  refineCodes(new LevelOperator(parts, 0), streams, target, valid, null, 200);
  const after = err();
  assert.ok(mid < before && after <= mid * (1 + 1e-6), `${before} -> ${mid} -> ${after}`);
  // Fewer unknowns (44) than valid pixels (141): the least-squares normal equations hold at the end.
  const op = new LevelOperator(parts, 0);
  const x = new Float64Array(op.size);
  streams.forEach((s, i) =>
    x.set(Array.from(s.subarray(0, op.offsets[i + 1] - op.offsets[i])), op.offsets[i])
  );
  const out = new Float32Array(plane);
  decodeLevel(parts, 0, null, streams, 0, 1, out);
  const res = Float64Array.from(out, (v, i) => (valid[i] ? target[i] - v : 0));
  const g = new Float64Array(op.size);
  op.adjoint(res, g);
  assert.ok(Math.max(...g.map(Math.abs)) < 1e-3, `gradient ${Math.max(...g.map(Math.abs))}`);
});
