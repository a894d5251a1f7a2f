// The field of the remote-reads bench and the viewer's browser test: travelling waves plus noise,
// with a NaN hole, so that its file is large enough (about 1 MB) that level 0 is a small share of
// it. It lives in bench/ so that the bench imports nothing from tests/.
import { compress } from "../mod.ts";

/** `T x H x W` values of the test field. */
export function testField(T = 24, H = 129, W = 129): Float32Array {
  const values = new Float32Array(T * H * W);
  let seed = 12345;
  const noise = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const x = j / W, y = i / H;
        let v = Math.sin(6 * x + 0.3 * t) * Math.cos(5 * y - 0.2 * t) +
          0.5 * Math.sin(17 * (x + y)) +
          0.05 * noise();
        if ((i - 40) ** 2 + (j - 80) ** 2 < 150) v = NaN;
        values[(t * H + i) * W + j] = v;
      }
    }
  }
  return values;
}

/** The test field's `.mrc` file: bounded, 6 levels, blocks of 8 snapshots. */
export async function testFile(): Promise<Uint8Array> {
  return await compress(testField(), [24, 129, 129], { errorBound: 1e-4, levels: 6, blockSize: 8 });
}
