/**
 * Benchmark datasets: `[T, H, W]` float32 stacks, generated deterministically
 * and cached as `.npy` files, plus loading of users' own `.npy` files.
 *
 * - `toy1`, `toy2`: the toy problems of Liu, Ponce, Brunton & Kutz,
 *   "Multiresolution Convolutional Autoencoders" (paper eqs. 4.1-4.4; the
 *   authors' `luckystarufo/MrCAE` data scripts use the same formulas).
 * - `swirl`: a passive scalar with sharp fronts advected and weakly diffused by
 *   LeVeque's time-reversing deformation flow (R. J. LeVeque, "High-resolution
 *   conservative algorithms for advection in incompressible flow", SIAM J.
 *   Numer. Anal. 33, 1996, the "swirling flow" test), solved here with a
 *   semi-Lagrangian scheme (RK2 departure points, limited Catmull-Rom bicubic
 *   interpolation) plus explicit 5-point diffusion.
 *
 * @module
 */
import { encodeNpy, parseNpy } from "../src/npy.ts";

/** One benchmark dataset. */
export interface Dataset {
  name: string;
  /** Where the data comes from, one line. */
  source: string;
  /** `T * H * W` values, snapshot-major, row-major. */
  data: Float32Array;
  shape: [number, number, number];
}

/** Sizes of the built-in datasets. */
export interface DatasetSize {
  /** Snapshots. */
  T: number;
  /** Grid points per side. */
  n: number;
}

/** `n` evenly spaced points from `a` to `b` inclusive (numpy `linspace`). */
function linspace(a: number, b: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));
}

/**
 * toy1: two oscillating modes (paper eqs. 4.1-4.2),
 * `Phi(x, y, t) = u(x, y) cos(w0 t) + v(x, y) cos(w1 t + pi/4)` with
 * `u = cosh((x+1)/s0) cosh((y-1)/s0)` (a smooth, large-scale mode) and
 * `v = exp(-((x-1)^2 + (y+1)^2) / (2 s1^2)) / sqrt(2 pi s1)` (a narrow bump),
 * on `[-5, 5]^2`, `t` uniform on `[0, 8 pi]`, `w0 = 0.5`, `w1 = 4`, `s0 = 10`,
 * `s1 = 0.25`. Rows are `y`, columns `x`. The paper prints the bump's
 * normalisation as `(2 pi s1)^(1/2)`; it is the same constant.
 */
export function toy1({ T, n }: DatasetSize = { T: 500, n: 127 }): Dataset {
  const x = linspace(-5, 5, n);
  const t = linspace(0, 8 * Math.PI, T);
  const [w0, w1, s0, s1] = [0.5, 4, 10, 0.25];
  const u = new Float64Array(n * n);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const [xx, yy] = [x[j], x[i]];
      u[i * n + j] = Math.cosh((xx + 1) / s0) * Math.cosh((yy - 1) / s0);
      v[i * n + j] = Math.exp(-((xx - 1) ** 2 + (yy + 1) ** 2) / (2 * s1 * s1)) /
        Math.sqrt(2 * Math.PI * s1);
    }
  }
  const data = new Float32Array(T * n * n);
  for (let k = 0; k < T; k++) {
    const a = Math.cos(w0 * t[k]);
    const b = Math.cos(w1 * t[k] + Math.PI / 4);
    for (let p = 0; p < n * n; p++) data[k * n * n + p] = u[p] * a + v[p] * b;
  }
  return {
    name: "toy1",
    source: SOURCES.toy1,
    data,
    shape: [T, n, n],
  };
}

/**
 * toy2: as toy1 with the narrow bump travelling diagonally (paper eqs. 4.3-4.4):
 * `v(x, y, t) = exp(-((x - 3 + 0.5 t)^2 + (y + 3 - 0.5 t)^2) / (2 s1^2)) / sqrt(2 pi s1)`,
 * `t` uniform on `[0, 4 pi]`.
 */
export function toy2({ T, n }: DatasetSize = { T: 500, n: 127 }): Dataset {
  const x = linspace(-5, 5, n);
  const t = linspace(0, 4 * Math.PI, T);
  const [w0, w1, s0, s1] = [0.5, 4, 10, 0.25];
  const data = new Float32Array(T * n * n);
  for (let k = 0; k < T; k++) {
    const a = Math.cos(w0 * t[k]);
    const b = Math.cos(w1 * t[k] + Math.PI / 4);
    const cx = 3 - 0.5 * t[k];
    const cy = -3 + 0.5 * t[k];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const [xx, yy] = [x[j], x[i]];
        const u = Math.cosh((xx + 1) / s0) * Math.cosh((yy - 1) / s0);
        const v = Math.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * s1 * s1)) /
          Math.sqrt(2 * Math.PI * s1);
        data[(k * n + i) * n + j] = u * a + v * b;
      }
    }
  }
  return {
    name: "toy2",
    source: SOURCES.toy2,
    data,
    shape: [T, n, n],
  };
}

/**
 * swirl: a passive scalar in LeVeque's swirling deformation flow on the unit
 * square, `u = sin^2(pi x) sin(2 pi y) g(t)`, `v = -sin^2(pi y) sin(2 pi x) g(t)`,
 * `g(t) = cos(pi t / P)`, `P = 5`: the flow stretches the initial blobs into
 * thin spiral filaments until `t = P/2`, then (up to diffusion) undoes it by
 * `t = P`. Initial condition: a disc of radius 0.15 at (0.5, 0.75) with a
 * tanh edge 1.5 cells wide, and a smooth Gaussian hump at (0.3, 0.3).
 * Diffusivity `kappa = 2e-5` (Peclet number ~ 10^4). Snapshots uniform on
 * `[0, P]`. Rows are `y` (row 0 is `y = 0`), columns `x`.
 */
export function swirl({ T, n }: DatasetSize = { T: 200, n: 127 }): Dataset {
  const period = 5;
  const kappa = 2e-5;
  const h = 1 / (n - 1);
  const x = linspace(0, 1, n);
  const c = new Float64Array(n * n);
  const next = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const r = Math.hypot(x[j] - 0.5, x[i] - 0.75);
      const disc = 0.5 * (1 - Math.tanh((r - 0.15) / (1.5 * h)));
      const hump = 0.6 * Math.exp(-((x[j] - 0.3) ** 2 + (x[i] - 0.3) ** 2) / (2 * 0.06 ** 2));
      c[i * n + j] = disc + hump;
    }
  }
  // Substeps per snapshot interval: keep the largest displacement under ~1.5 cells
  // (semi-Lagrangian is stable for any step; this keeps its error small).
  const interval = period / Math.max(1, T - 1);
  const sub = Math.max(1, Math.ceil(interval / (1.5 * h)));
  const dt = interval / sub;
  const data = new Float32Array(T * n * n);
  const velocity = (px: number, py: number, time: number): [number, number] => {
    const g = Math.cos((Math.PI * time) / period);
    return [
      Math.sin(Math.PI * px) ** 2 * Math.sin(2 * Math.PI * py) * g,
      -(Math.sin(Math.PI * py) ** 2) * Math.sin(2 * Math.PI * px) * g,
    ];
  };
  let time = 0;
  for (let k = 0; k < T; k++) {
    if (k > 0) {
      for (let s = 0; s < sub; s++) {
        const tMid = time + dt / 2;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            // RK2 (midpoint) departure point, velocity at mid-time.
            const [u1, v1] = velocity(x[j], x[i], tMid);
            const [u2, v2] = velocity(x[j] - 0.5 * dt * u1, x[i] - 0.5 * dt * v1, tMid);
            const px = Math.min(1, Math.max(0, x[j] - dt * u2)) / h;
            const py = Math.min(1, Math.max(0, x[i] - dt * v2)) / h;
            next[i * n + j] = sampleBicubic(c, n, px, py);
          }
        }
        // Explicit diffusion, no-flux walls (kappa dt / h^2 ~ 1e-3: stable).
        const a = (kappa * dt) / (h * h);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            const p = i * n + j;
            const up = i > 0 ? p - n : p, down = i < n - 1 ? p + n : p;
            const left = j > 0 ? p - 1 : p, right = j < n - 1 ? p + 1 : p;
            c[p] = next[p] + a * (next[up] + next[down] + next[left] + next[right] - 4 * next[p]);
          }
        }
        time += dt;
      }
    }
    for (let p = 0; p < n * n; p++) data[k * n * n + p] = c[p];
  }
  return {
    name: "swirl",
    source: SOURCES.swirl,
    data,
    shape: [T, n, n],
  };
}

/** Catmull-Rom bicubic sample at grid coordinates (px, py), limited to the 4 nearest values (no new extrema). */
function sampleBicubic(c: Float64Array, n: number, px: number, py: number): number {
  const j = Math.min(n - 2, Math.floor(px));
  const i = Math.min(n - 2, Math.floor(py));
  const fx = px - j;
  const fy = py - i;
  const wx = catmullRom(fx);
  const wy = catmullRom(fy);
  let s = 0;
  for (let a = 0; a < 4; a++) {
    const row = Math.min(n - 1, Math.max(0, i - 1 + a)) * n;
    let r = 0;
    for (let b = 0; b < 4; b++) r += wx[b] * c[row + Math.min(n - 1, Math.max(0, j - 1 + b))];
    s += wy[a] * r;
  }
  const c00 = c[i * n + j], c01 = c[i * n + j + 1];
  const c10 = c[(i + 1) * n + j], c11 = c[(i + 1) * n + j + 1];
  const lo = Math.min(c00, c01, c10, c11);
  const hi = Math.max(c00, c01, c10, c11);
  return s < lo ? lo : s > hi ? hi : s;
}

function catmullRom(f: number): [number, number, number, number] {
  const f2 = f * f, f3 = f2 * f;
  return [
    0.5 * (-f3 + 2 * f2 - f),
    0.5 * (3 * f3 - 5 * f2 + 2),
    0.5 * (-3 * f3 + 4 * f2 + f),
    0.5 * (f3 - f2),
  ];
}

const SOURCES: Record<string, string> = {
  toy1: "paper eqs. 4.1-4.2: two oscillating modes on [-5,5]^2, t in [0, 8 pi]",
  toy2: "paper eqs. 4.3-4.4: toy1 with the bump moving diagonally, t in [0, 4 pi]",
  swirl:
    "scalar in LeVeque's swirling flow (SIAM J. Numer. Anal. 1996), semi-Lagrangian + diffusion",
};

/** The built-in generators by name. */
export const BUILTIN_DATASETS: Record<string, (size: DatasetSize) => Dataset> = {
  toy1,
  toy2,
  swirl,
};

/** Default sizes: the full benchmark, and `--quick`. */
export function defaultSize(name: string, quick: boolean): DatasetSize {
  if (quick) return { T: name === "swirl" ? 40 : 48, n: 127 };
  return { T: name === "swirl" ? 200 : 500, n: 127 };
}

/**
 * A built-in dataset, read from `cacheDir/<name>_T<T>_n<n>.npy` when present,
 * otherwise generated and written there.
 */
export async function builtinDataset(
  name: string,
  size: DatasetSize,
  cacheDir: string,
): Promise<Dataset & { cached: boolean }> {
  const generate = BUILTIN_DATASETS[name];
  if (!generate) {
    throw new TypeError(
      `Cannot build dataset "${name}": unknown (use ${Object.keys(BUILTIN_DATASETS).join(", ")})`,
    );
  }
  const path = `${cacheDir}/${name}_T${size.T}_n${size.n}.npy`;
  try {
    const { data, shape } = parseNpy(await Deno.readFile(path));
    if (data instanceof Float32Array && shape.length === 3) {
      return {
        name,
        source: SOURCES[name],
        data,
        shape: shape as [number, number, number],
        cached: true,
      };
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const ds = generate(size);
  await Deno.mkdir(cacheDir, { recursive: true });
  await Deno.writeFile(path, encodeNpy(ds.data, ds.shape));
  return { ...ds, cached: false };
}

/**
 * Load a user's `.npy` file as a dataset: 3-D `[T, H, W]`, or 2-D `[H, W]`
 * (one snapshot). float64 is converted to float32.
 */
export async function npyDataset(path: string): Promise<Dataset> {
  const { data, shape, dtype } = parseNpy(await Deno.readFile(path));
  let shape3: [number, number, number];
  if (shape.length === 3) shape3 = [shape[0], shape[1], shape[2]];
  else if (shape.length === 2) shape3 = [1, shape[0], shape[1]];
  else {
    throw new TypeError(
      `Cannot use "${path}": shape (${shape.join(", ")}) is not [T, H, W] or [H, W]`,
    );
  }
  const name = path.split(/[\\/]/).pop()!.replace(/\.npy$/, "");
  return {
    name,
    source: `user file ${path} (${dtype}, shape ${shape.join("x")})`,
    data: data instanceof Float32Array ? data : Float32Array.from(data),
    shape: shape3,
  };
}
