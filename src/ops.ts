// This module is browser compatible.
/**
 * The few linear operators of MrCAE on single-channel float planes, as plain
 * typed-array loops. They define the numerics of `src/model.ts` and are used by
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
 * 3x3 stride-2 transposed convolution of a dense latent, written into `out`
 * (`(2lh + 1) x (2lw + 1)`), which it overwrites: `out = bias + deconv(z)`.
 *
 * Written as a gather (each output pixel reads at most four latent values), so
 * every output value is written once.
 */
export function deconv3s2(
  z: Float32Array,
  lh: number,
  lw: number,
  kernel: Float32Array,
  bias: number,
  out: Float32Array = new Float32Array((2 * lh + 1) * (2 * lw + 1)),
): Float32Array {
  const h = 2 * lh + 1, w = 2 * lw + 1;
  for (let r = 0; r < h; r++) {
    const o = r * w;
    // Latent rows touching output row r: (i, dy) with 2i + dy = r.
    const even = (r & 1) === 0;
    const ia = even ? (r >> 1) : (r - 1) >> 1; // dy = 0 (even) or 1 (odd)
    const dya = even ? 0 : 1;
    const ib = even ? (r >> 1) - 1 : -1; // dy = 2 (even only)
    const hasA = ia < lh, hasB = ib >= 0;
    const za = ia * lw, zb = ib * lw;
    const ka = 3 * dya, kb = 6;
    for (let c = 0; c < w; c++) {
      let s = bias;
      const ceven = (c & 1) === 0;
      const ja = ceven ? (c >> 1) : (c - 1) >> 1;
      const dxa = ceven ? 0 : 1;
      const jb = ceven ? (c >> 1) - 1 : -1;
      const hasJA = ja < lw, hasJB = jb >= 0;
      if (hasA) {
        if (hasJA) s += kernel[ka + dxa] * z[za + ja];
        if (hasJB) s += kernel[ka + 2] * z[za + jb];
      }
      if (hasB) {
        if (hasJA) s += kernel[kb + dxa] * z[zb + ja];
        if (hasJB) s += kernel[kb + 2] * z[zb + jb];
      }
      out[o + c] = s;
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
  const oh = 2 * h + 1, ow = 2 * w + 1;
  const [k0, k1, k2, k3, k4, k5, k6, k7, k8] = kernel;
  const clampRow = (p: number) => (p - 1 < 0 ? 0 : p - 1 >= h ? h - 1 : p - 1) * w;
  for (let r = 0; r < oh; r++) {
    const o = r * ow;
    if ((r & 1) === 0) {
      // Two input rows: tap row 0 from padded row r/2 + 1, tap row 2 from padded row r/2.
      const ra = clampRow((r >> 1) + 1), rb = clampRow(r >> 1);
      for (let c = 0; c < ow; c++) {
        if ((c & 1) === 0) {
          const ja = clampCol((c >> 1) + 1, w), jb = clampCol(c >> 1, w);
          out[o + c] = bias + k0 * y[ra + ja] + k2 * y[ra + jb] + k6 * y[rb + ja] + k8 * y[rb + jb];
        } else {
          const j = clampCol((c + 1) >> 1, w);
          out[o + c] = bias + k1 * y[ra + j] + k7 * y[rb + j];
        }
      }
    } else {
      const ra = clampRow((r + 1) >> 1);
      for (let c = 0; c < ow; c++) {
        if ((c & 1) === 0) {
          const ja = clampCol((c >> 1) + 1, w), jb = clampCol(c >> 1, w);
          out[o + c] = bias + k3 * y[ra + ja] + k5 * y[ra + jb];
        } else {
          out[o + c] = bias + k4 * y[ra + clampCol((c + 1) >> 1, w)];
        }
      }
    }
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
 * Adds the transposed convolution of a sparse latent to `out` (`(2lh+1) x (2lw+1)`):
 * for every kept position `pos[n]` (index into the `lh x lw` latent grid) and
 * every channel `c`, `out[2i+dy][2j+dx] += kernels[9c + 3dy + dx] * values[c][n]`.
 * `values` is channel-major: `values[c * count + n]`, read from `offset`.
 */
export function scatterSparse(
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
  const eff = new Float32Array(9);
  for (let n = 0; n < count; n++) {
    // Combine the channels into one effective 3x3 stamp for this position.
    eff.fill(0);
    for (let c = 0; c < channels; c++) {
      const v = values[offset + c * count + n];
      if (v === 0) continue;
      const kb = 9 * c;
      for (let t = 0; t < 9; t++) eff[t] += kernels[kb + t] * v;
    }
    const p = pos[n];
    const i = (p / lw) | 0, j = p - i * lw;
    const base = 2 * i * w + 2 * j;
    out[base] += eff[0];
    out[base + 1] += eff[1];
    out[base + 2] += eff[2];
    out[base + w] += eff[3];
    out[base + w + 1] += eff[4];
    out[base + w + 2] += eff[5];
    out[base + 2 * w] += eff[6];
    out[base + 2 * w + 1] += eff[7];
    out[base + 2 * w + 2] += eff[8];
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
