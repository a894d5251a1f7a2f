/** Small fields and one shared compressed file for the codec tests (trained once per process). */
import { compress } from "../../mod.ts";

/** A smooth travelling wave plus a sharp blob, `[T, H, W]`, deterministic. */
export function smallField(T: number, H: number, W: number): Float32Array {
  const out = new Float32Array(T * H * W);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const x = j / W, y = i / H;
        const blob = Math.exp(-((x - 0.7) ** 2 + (y - 0.3) ** 2) / 0.004) * Math.cos(0.9 * t);
        out[(t * H + i) * W + j] = 3 +
          Math.sin(2 * Math.PI * (x + 0.05 * t)) * Math.cos(Math.PI * y) + blob;
      }
    }
  }
  return out;
}

export const SHAPE: [number, number, number] = [10, 27, 37];
export const TOL = [2e-3, 1e-3, 5e-4];
let cached: Promise<{ data: Float32Array; bytes: Uint8Array }> | null = null;

/** The shared model-mode file: SHAPE, 3 levels, blocks of 4 snapshots, trained for a few steps on cpu. */
export function sharedFile(): Promise<{ data: Float32Array; bytes: Uint8Array }> {
  cached ??= (async () => {
    const data = smallField(...SHAPE);
    const bytes = await compress(data, SHAPE, {
      mode: "model",
      levels: 3,
      tol: TOL,
      steps: 40,
      batch: 8,
      blockSize: 4,
      backend: "cpu",
      seed: 1,
    });
    return { data, bytes };
  })();
  return cached;
}
