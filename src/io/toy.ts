// This module is browser compatible.
/**
 * The paper's synthetic test problems (Liu et al., "Multiresolution Convolutional
 * Autoencoders", section 4.1), generated exactly as described there.
 *
 * @module
 */

/** Options of the toy generators. */
export interface ToyOptions {
  /** Grid points per axis. Default 127 (the paper's). */
  size?: number;
  /** Number of snapshots `T`. Default 500 (the paper's). */
  snapshotCount?: number;
}

/**
 * Two oscillatory modes (eq. 4.1-4.2): `u(x,y) cos(w0 t) + v(x,y) cos(w1 t + pi/4)` on
 * `[-5,5]^2`, `t` uniform on `[0, 8 pi]`, `w0 = 0.5`, `w1 = 4`, `s0 = 10`, `s1 = 0.25`, with
 * `u = cosh((x+1)/s0) cosh((y-1)/s0)` and `v = exp(-((x-1)^2+(y+1)^2)/(2 s1^2)) / sqrt(2 pi s1)`.
 *
 * @returns `snapshotCount * size * size` float32 values, snapshot-major, and the shape.
 */
export function toyOscillatory(
  options: ToyOptions = {},
): { data: Float32Array; shape: [number, number, number] } {
  const n = options.size ?? 127, T = options.snapshotCount ?? 500;
  const s0 = 10, s1 = 0.25, w0 = 0.5, w1 = 4;
  const u = new Float64Array(n * n), v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const y = -5 + (10 * i) / (n - 1);
    for (let j = 0; j < n; j++) {
      const x = -5 + (10 * j) / (n - 1);
      u[i * n + j] = Math.cosh((x + 1) / s0) * Math.cosh((y - 1) / s0);
      v[i * n + j] = Math.exp(-((x - 1) ** 2 + (y + 1) ** 2) / (2 * s1 * s1)) /
        Math.sqrt(2 * Math.PI * s1);
    }
  }
  const data = new Float32Array(T * n * n);
  for (let t = 0; t < T; t++) {
    const time = T > 1 ? (8 * Math.PI * t) / (T - 1) : 0;
    const a = Math.cos(w0 * time), b = Math.cos(w1 * time + Math.PI / 4);
    for (let p = 0; p < n * n; p++) data[t * n * n + p] = u[p] * a + v[p] * b;
  }
  return { data, shape: [T, n, n] };
}

/**
 * Two oscillatory modes with one drifting (eq. 4.3-4.4): as {@linkcode toyOscillatory} but
 * `v(x,y,t) = exp(-((x-3+0.5t)^2 + (y+3-0.5t)^2)/(2 s1^2)) / sqrt(2 pi s1)` and `t` on `[0, 4 pi]`.
 */
export function toyDrifting(
  options: ToyOptions = {},
): { data: Float32Array; shape: [number, number, number] } {
  const n = options.size ?? 127, T = options.snapshotCount ?? 500;
  const s0 = 10, s1 = 0.25, w0 = 0.5, w1 = 4;
  const data = new Float32Array(T * n * n);
  for (let t = 0; t < T; t++) {
    const time = T > 1 ? (4 * Math.PI * t) / (T - 1) : 0;
    const a = Math.cos(w0 * time), b = Math.cos(w1 * time + Math.PI / 4);
    for (let i = 0; i < n; i++) {
      const y = -5 + (10 * i) / (n - 1);
      for (let j = 0; j < n; j++) {
        const x = -5 + (10 * j) / (n - 1);
        const u = Math.cosh((x + 1) / s0) * Math.cosh((y - 1) / s0);
        const v =
          Math.exp(-((x - 3 + 0.5 * time) ** 2 + (y + 3 - 0.5 * time) ** 2) / (2 * s1 * s1)) /
          Math.sqrt(2 * Math.PI * s1);
        data[(t * n + i) * n + j] = u * a + v * b;
      }
    }
  }
  return { data, shape: [T, n, n] };
}
