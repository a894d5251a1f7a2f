/** Plain typed-array helpers for grids: centre sampling, latent averaging, dilation. */

/** Centre sample of each 3x3 stride-2 window: `out[i][j] = in[2i+1][2j+1]`, per snapshot. */
export function centreSample<T extends Float32Array | Uint8Array>(
  src: T,
  t: number,
  h: number,
  w: number,
): T {
  const ho = (h - 1) / 2, wo = (w - 1) / 2;
  const out = new (src.constructor as { new (n: number): T })(t * ho * wo);
  for (let s = 0; s < t; s++) {
    for (let i = 0; i < ho; i++) {
      const row = s * h * w + (2 * i + 1) * w + 1;
      const orow = s * ho * wo + i * wo;
      for (let j = 0; j < wo; j++) out[orow + j] = src[row + 2 * j];
    }
  }
  return out;
}

/**
 * 3x3 stride-2 local average of a per-pixel map onto the latent grid, over the
 * valid pixels of each window (windows without one give 0).
 */
export function latentAverage(
  e: Float32Array,
  valid: Float32Array | null,
  h: number,
  w: number,
): Float32Array {
  const ho = (h - 1) / 2, wo = (w - 1) / 2;
  const out = new Float32Array(ho * wo);
  for (let i = 0; i < ho; i++) {
    for (let j = 0; j < wo; j++) {
      let s = 0, n = 0;
      for (let dy = 0; dy < 3; dy++) {
        for (let dx = 0; dx < 3; dx++) {
          const p = (2 * i + dy) * w + 2 * j + dx;
          const v = valid ? valid[p] : 1;
          s += v * e[p];
          n += v;
        }
      }
      out[i * wo + j] = n > 0 ? s / n : 0;
    }
  }
  return out;
}

/** Binary 3x3 dilation (one latent pixel), as the authors do before using a mask. */
export function dilate(mask: Uint8Array, h: number, w: number): Uint8Array {
  const out = new Uint8Array(h * w);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      if (!mask[i * w + j]) continue;
      for (let a = Math.max(0, i - 1); a <= Math.min(h - 1, i + 1); a++) {
        for (let b = Math.max(0, j - 1); b <= Math.min(w - 1, j + 1); b++) out[a * w + b] = 1;
      }
    }
  }
  return out;
}
