// Shared helpers of the trainer tests: small fields and a naive decoder of the model contract.
import type { MrcaeModel } from "../../../src/model/model.ts";
import { errorStats } from "../../../src/metrics.ts";

/** A seeded LCG, so test data never depends on Math.random. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** Smooth travelling background plus an oscillating narrow blob centred at (by, bx). */
export function blobField(
  t: number,
  h: number,
  w: number,
  by: number,
  bx: number,
  smoothAmp = 0.1,
): Float32Array {
  const out = new Float32Array(t * h * w);
  for (let s = 0; s < t; s++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const smooth = 0.3 + smoothAmp * Math.sin((2 * Math.PI * (i + j + s)) / (2 * (h + w)));
        const r2 = (i - by) ** 2 + (j - bx) ** 2;
        const blob = 0.4 * Math.exp(-r2 / 1.5) * Math.cos(1.3 * s) *
          (1 + 0.3 * Math.sin(3 * i + 2 * j));
        out[s * h * w + i * w + j] = smooth + blob;
      }
    }
  }
  return out;
}

function conv(
  k: ArrayLike<number>,
  b: number,
  x: Float32Array,
  h: number,
  w: number,
): Float32Array {
  const ho = (h - 1) / 2, wo = (w - 1) / 2, out = new Float32Array(ho * wo);
  for (let i = 0; i < ho; i++) {
    for (let j = 0; j < wo; j++) {
      let s = b;
      for (let dy = 0; dy < 3; dy++) {
        for (let dx = 0; dx < 3; dx++) s += k[3 * dy + dx] * x[(2 * i + dy) * w + 2 * j + dx];
      }
      out[i * wo + j] = s;
    }
  }
  return out;
}

/** Scatter-sense stride-2 transposed conv, n -> 2n + 1, accumulating into `out`. */
function deconvInto(
  k: ArrayLike<number>,
  z: Float32Array,
  h: number,
  w: number,
  out: Float32Array,
) {
  const wo = 2 * w + 1;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      for (let dy = 0; dy < 3; dy++) {
        for (let dx = 0; dx < 3; dx++) {
          out[(2 * i + dy) * wo + 2 * j + dx] += k[3 * dy + dx] * z[i * w + j];
        }
      }
    }
  }
}

/** Replicate pad 1, transposed conv, crop 2: n -> 2n + 1. */
export function deconvPaddedTs(
  k: ArrayLike<number>,
  y: Float32Array,
  h: number,
  w: number,
): Float32Array {
  const hp = h + 2, wp = w + 2, p = new Float32Array(hp * wp);
  for (let i = 0; i < hp; i++) {
    for (let j = 0; j < wp; j++) {
      const si = Math.min(h - 1, Math.max(0, i - 1)), sj = Math.min(w - 1, Math.max(0, j - 1));
      p[i * wp + j] = y[si * w + sj];
    }
  }
  const full = new Float32Array((2 * hp + 1) * (2 * wp + 1));
  deconvInto(k, p, hp, wp, full);
  const ho = 2 * h + 1, wo = 2 * w + 1, out = new Float32Array(ho * wo);
  for (let i = 0; i < ho; i++) {
    for (let j = 0; j < wo; j++) out[i * wo + j] = full[(i + 2) * (2 * wp + 1) + j + 2];
  }
  return out;
}

/** Naive encode + decode of one snapshot following `src/model/model.ts`. */
export function naiveLevels(model: MrcaeModel, x: Float32Array): Float32Array[] {
  const n = model.levels.length;
  const h: Float32Array[] = new Array(n);
  h[n - 1] = x;
  for (let k = n - 1; k >= 1; k--) {
    const [gh, gw] = model.levels[k].grid;
    h[k - 1] = conv(model.levels[k].conv.kernel, model.levels[k].conv.bias, h[k], gh, gw);
  }
  const ys: Float32Array[] = [];
  let prev: Float32Array | null = null;
  for (let k = 0; k < n; k++) {
    const lv = model.levels[k];
    const [gh, gw] = lv.grid, [lh, lw] = lv.latent;
    let y: Float32Array;
    if (k === 0) {
      const z0 = conv(lv.conv.kernel, lv.conv.bias, h[0], gh, gw);
      y = deconvPaddedTs(lv.deconv.kernel, z0, lh, lw);
    } else {
      y = deconvPaddedTs(lv.deconv.kernel, prev!, lh, lw);
    }
    for (let p = 0; p < y.length; p++) y[p] += lv.deconv.bias;
    for (const g of lv.groups) {
      for (let c = 0; c < g.channels; c++) {
        const z = conv(g.convKernels.subarray(9 * c, 9 * c + 9), g.convBias[c], h[k], gh, gw);
        for (let p = 0; p < z.length; p++) z[p] *= g.mask[p];
        deconvInto(g.deconvKernels.subarray(9 * c, 9 * c + 9), z, lh, lw, y);
      }
      for (let p = 0; p < y.length; p++) y[p] += g.deconvBias;
    }
    ys.push(y);
    prev = y;
  }
  return ys;
}

/** Largest absolute difference of two arrays (`errorStats()` of `src/metrics.ts`: NaN = infinite). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return errorStats(a, b).maxAbsError;
}

/** Vulkan (lavapipe) wants XDG_RUNTIME_DIR to name a 0700 directory, or it prints a warning. */
export function ensureRuntimeDir(): void {
  if (Deno.env.get("XDG_RUNTIME_DIR")) return;
  const dir = Deno.makeTempDirSync();
  Deno.chmodSync(dir, 0o700);
  Deno.env.set("XDG_RUNTIME_DIR", dir);
}
