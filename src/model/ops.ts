// This module is browser compatible.
/**
 * The few linear operators of MrCAE on single-channel float planes, as plain
 * typed-array loops. They define the numerics of `model.ts` and are used by
 * both the encoder (codes from data) and the decoder (data from codes), so
 * neither needs TensorFlow.js.
 *
 * All planes are row-major `Float32Array`s. Kernels are 9 weights `[dy][dx]`.
 *
 * @module
 */

/**
 * 3x3 stride-2 "valid" correlation: `out[i][j] = bias + sum k[3dy+dx] * x[2i+dy][2j+dx]`.
 * Output is `((h - 1) / 2) x ((w - 1) / 2)`.
 */
export function conv3s2(
  x: Float32Array,
  h: number,
  w: number,
  kernel: Float32Array,
  bias: number,
  out: Float32Array = new Float32Array(((h - 1) >> 1) * ((w - 1) >> 1)),
): Float32Array {
  const oh = (h - 1) >> 1, ow = (w - 1) >> 1;
  const [k0, k1, k2, k3, k4, k5, k6, k7, k8] = kernel;
  for (let i = 0; i < oh; i++) {
    const r0 = 2 * i * w, r1 = r0 + w, r2 = r1 + w;
    const o = i * ow;
    for (let j = 0; j < ow; j++) {
      const c = 2 * j;
      out[o + j] = bias +
        k0 * x[r0 + c] + k1 * x[r0 + c + 1] + k2 * x[r0 + c + 2] +
        k3 * x[r1 + c] + k4 * x[r1 + c + 1] + k5 * x[r1 + c + 2] +
        k6 * x[r2 + c] + k7 * x[r2 + c + 1] + k8 * x[r2 + c + 2];
    }
  }
  return out;
}

/**
 * The deepening decoder of levels k > 0, as in the authors' code: pad `y`
 * (`h x w`) by one pixel on every side by replicating edges, apply the 3x3
 * stride-2 transposed convolution, crop two pixels from every side. Output
 * `(2h + 1) x (2w + 1)` overwrites `out`: `out = bias + deconvPadded(y)`.
 *
 * Output pixel `(r, c)` is full-output pixel `(r + 2, c + 2)`, which gathers
 * padded rows `(r + 2) / 2` (tap 0) and `r / 2` (tap 2) when `r` is even, or
 * padded row `(r + 1) / 2` (tap 1) when `r` is odd; padded row `p` is input row
 * `clamp(p - 1, 0, h - 1)`.
 */
export function deconvPadded(
  y: Float32Array,
  h: number,
  w: number,
  kernel: Float32Array,
  bias: number,
  out: Float32Array = new Float32Array((2 * h + 1) * (2 * w + 1)),
): Float32Array {
  const ow = 2 * w + 1;
  const k0 = kernel[0], k1 = kernel[1], k2 = kernel[2], k3 = kernel[3], k4 = kernel[4];
  const k5 = kernel[5], k6 = kernel[6], k7 = kernel[7], k8 = kernel[8];
  // Output row 2m reads input rows m (tap row 0) and m - 1 (tap row 2); row 2m + 1 reads row m
  // (tap row 1); both clamped to the grid, which is the replicate padding. Columns likewise:
  // column 2n reads columns n (tap 0) and n - 1 (tap 2), column 2n + 1 reads column n (tap 1).
  // So each row only clamps its first and last column, and the loop in between runs over
  // n = 1 .. w - 1 without a branch. The sums keep the order of the definition (bias first,
  // then taps 0, 2, 6, 8 or 1, 7 ...), so results are bit-identical to the naive gather.
  for (let m = 0; m <= h; m++) {
    const ra = (m < h ? m : h - 1) * w;
    const rb = (m > 0 ? m - 1 : 0) * w;
    // Even row 2m.
    let o = 2 * m * ow;
    let aPrev = y[ra], bPrev = y[rb];
    out[o] = bias + k0 * aPrev + k2 * aPrev + k6 * bPrev + k8 * bPrev;
    for (let n = 1; n < w; n++) {
      const a = y[ra + n], b = y[rb + n];
      out[o + 2 * n - 1] = bias + k1 * aPrev + k7 * bPrev;
      out[o + 2 * n] = bias + k0 * a + k2 * aPrev + k6 * b + k8 * bPrev;
      aPrev = a;
      bPrev = b;
    }
    out[o + 2 * w - 1] = bias + k1 * aPrev + k7 * bPrev;
    out[o + 2 * w] = bias + k0 * aPrev + k2 * aPrev + k6 * bPrev + k8 * bPrev;
    if (m === h) break;
    // Odd row 2m + 1.
    o += ow;
    aPrev = y[ra];
    out[o] = bias + k3 * aPrev + k5 * aPrev;
    for (let n = 1; n < w; n++) {
      const a = y[ra + n];
      out[o + 2 * n - 1] = bias + k4 * aPrev;
      out[o + 2 * n] = bias + k3 * a + k5 * aPrev;
      aPrev = a;
    }
    out[o + 2 * w - 1] = bias + k4 * aPrev;
    out[o + 2 * w] = bias + k3 * aPrev + k5 * aPrev;
  }
  return out;
}

/**
 * Adjoint of {@linkcode deconvPadded} without its bias: for an output-grid plane `r`
 * (`(2h + 1) x (2w + 1)`) writes `out = D^T r` on the `h x w` input grid (overwriting it). Edge
 * pixels collect the contributions of the replicated padding too.
 */
export function deconvPaddedAdjoint(
  r: ArrayLike<number>,
  h: number,
  w: number,
  kernel: Float32Array,
  out: Float64Array = new Float64Array(h * w),
): Float64Array {
  const oh = 2 * h + 1, ow = 2 * w + 1;
  const [k0, k1, k2, k3, k4, k5, k6, k7, k8] = kernel;
  const clampRow = (p: number) => (p - 1 < 0 ? 0 : p - 1 >= h ? h - 1 : p - 1) * w;
  out.fill(0);
  for (let row = 0; row < oh; row++) {
    const o = row * ow;
    if ((row & 1) === 0) {
      const ra = clampRow((row >> 1) + 1), rb = clampRow(row >> 1);
      for (let c = 0; c < ow; c++) {
        const v = r[o + c];
        if ((c & 1) === 0) {
          const ja = clampCol((c >> 1) + 1, w), jb = clampCol(c >> 1, w);
          out[ra + ja] += k0 * v;
          out[ra + jb] += k2 * v;
          out[rb + ja] += k6 * v;
          out[rb + jb] += k8 * v;
        } else {
          const j = clampCol((c + 1) >> 1, w);
          out[ra + j] += k1 * v;
          out[rb + j] += k7 * v;
        }
      }
    } else {
      const ra = clampRow((row + 1) >> 1);
      for (let c = 0; c < ow; c++) {
        const v = r[o + c];
        if ((c & 1) === 0) {
          out[ra + clampCol((c >> 1) + 1, w)] += k3 * v;
          out[ra + clampCol(c >> 1, w)] += k5 * v;
        } else {
          out[ra + clampCol((c + 1) >> 1, w)] += k4 * v;
        }
      }
    }
  }
  return out;
}

function clampCol(p: number, w: number): number {
  return p - 1 < 0 ? 0 : p - 1 >= w ? w - 1 : p - 1;
}

/**
 * Top-left output index `2i * w + 2j` of the 3x3 stamp of every kept latent position
 * `pos[n] = i * lw + j`, for {@linkcode scatterCodes}. Computed once per level and block rather
 * than once per snapshot.
 */
export function stampOrigins(pos: Int32Array, lw: number, w: number): Int32Array {
  const origins = new Int32Array(pos.length);
  for (let n = 0; n < pos.length; n++) {
    const i = (pos[n] / lw) | 0;
    origins[n] = 2 * i * w + 2 * (pos[n] - i * lw);
  }
  return origins;
}

/**
 * The sparse part of a level decode, straight from quantized codes: adds, for every kept position `n`
 * and channel `c`, the stamp `kernels[9c ..] * v` at `origins[n]` (see {@linkcode stampOrigins})
 * of `out` (row width `w`), where `v = float32(streams[c][offset + n] * step)`.
 *
 * The numerics are those of dequantizing into a Float32Array and combining the channels into one
 * float32 stamp per position (channel 0 first), so the result does not depend on the path: one
 * and two channels (every group of the paper's models) have unrolled loops, more channels a
 * general one. Positions whose values are all zero are skipped.
 */
export function scatterCodes(
  out: Float32Array,
  w: number,
  origins: Int32Array,
  kernels: Float32Array,
  streams: ArrayLike<number>[],
  offset: number,
  step: number,
): void {
  const channels = streams.length;
  if (channels === 1) scatter1(out, w, origins, kernels, streams[0], offset, step);
  else if (channels === 2) {
    scatter2(out, w, origins, kernels, streams[0], streams[1], offset, step);
  } else scatterN(out, w, origins, kernels, streams, offset, step);
}

function scatter1(
  out: Float32Array,
  w: number,
  origins: Int32Array,
  kernels: Float32Array,
  stream: ArrayLike<number>,
  offset: number,
  step: number,
): void {
  const fround = Math.fround;
  const k0 = kernels[0], k1 = kernels[1], k2 = kernels[2], k3 = kernels[3], k4 = kernels[4];
  const k5 = kernels[5], k6 = kernels[6], k7 = kernels[7], k8 = kernels[8];
  const w2 = 2 * w;
  for (let n = 0; n < origins.length; n++) {
    const v = fround(stream[offset + n] * step);
    if (v === 0) continue;
    const b = origins[n];
    out[b] += fround(k0 * v);
    out[b + 1] += fround(k1 * v);
    out[b + 2] += fround(k2 * v);
    out[b + w] += fround(k3 * v);
    out[b + w + 1] += fround(k4 * v);
    out[b + w + 2] += fround(k5 * v);
    out[b + w2] += fround(k6 * v);
    out[b + w2 + 1] += fround(k7 * v);
    out[b + w2 + 2] += fround(k8 * v);
  }
}

function scatter2(
  out: Float32Array,
  w: number,
  origins: Int32Array,
  kernels: Float32Array,
  first: ArrayLike<number>,
  second: ArrayLike<number>,
  offset: number,
  step: number,
): void {
  const fround = Math.fround;
  const a0 = kernels[0], a1 = kernels[1], a2 = kernels[2], a3 = kernels[3], a4 = kernels[4];
  const a5 = kernels[5], a6 = kernels[6], a7 = kernels[7], a8 = kernels[8];
  const b0 = kernels[9], b1 = kernels[10], b2 = kernels[11], b3 = kernels[12];
  const b4 = kernels[13], b5 = kernels[14], b6 = kernels[15], b7 = kernels[16];
  const b8 = kernels[17];
  const w2 = 2 * w;
  for (let n = 0; n < origins.length; n++) {
    const u = fround(first[offset + n] * step), v = fround(second[offset + n] * step);
    if (u === 0 && v === 0) continue;
    const b = origins[n];
    // float32(float32(a * u) + b * v) is the two-channel stamp; with u = 0 or v = 0 it is the
    // one-channel stamp of the other.
    out[b] += fround(fround(a0 * u) + b0 * v);
    out[b + 1] += fround(fround(a1 * u) + b1 * v);
    out[b + 2] += fround(fround(a2 * u) + b2 * v);
    out[b + w] += fround(fround(a3 * u) + b3 * v);
    out[b + w + 1] += fround(fround(a4 * u) + b4 * v);
    out[b + w + 2] += fround(fround(a5 * u) + b5 * v);
    out[b + w2] += fround(fround(a6 * u) + b6 * v);
    out[b + w2 + 1] += fround(fround(a7 * u) + b7 * v);
    out[b + w2 + 2] += fround(fround(a8 * u) + b8 * v);
  }
}

function scatterN(
  out: Float32Array,
  w: number,
  origins: Int32Array,
  kernels: Float32Array,
  streams: ArrayLike<number>[],
  offset: number,
  step: number,
): void {
  const channels = streams.length;
  const stamp = new Float32Array(9);
  for (let n = 0; n < origins.length; n++) {
    // Combine the channels into one effective 3x3 stamp for this position.
    stamp.fill(0);
    let any = false;
    for (let c = 0; c < channels; c++) {
      const v = Math.fround(streams[c][offset + n] * step);
      if (v === 0) continue;
      any = true;
      const kb = 9 * c;
      for (let t = 0; t < 9; t++) stamp[t] += kernels[kb + t] * v;
    }
    if (!any) continue;
    const b = origins[n];
    out[b] += stamp[0];
    out[b + 1] += stamp[1];
    out[b + 2] += stamp[2];
    out[b + w] += stamp[3];
    out[b + w + 1] += stamp[4];
    out[b + w + 2] += stamp[5];
    out[b + 2 * w] += stamp[6];
    out[b + 2 * w + 1] += stamp[7];
    out[b + 2 * w + 2] += stamp[8];
  }
}

/** Positions (row-major indices) where `mask` is non-zero. */
export function maskPositions(mask: Uint8Array): Int32Array {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  const pos = new Int32Array(n);
  n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) pos[n++] = i;
  return pos;
}
