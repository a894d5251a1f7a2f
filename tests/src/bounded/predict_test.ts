// Each specialized prediction loop of predictRow gives, bit for bit, the reference sums of along().
import assert from "node:assert";
import { along, axisTable, predictRow } from "../../../src/bounded/predict.ts";
import { mulberry32 } from "../../../src/random.ts";

/** The prediction of SPEC.md §4.7.3 at (y, x) of pass `pass`, from along() only. */
function reference(
  rec: Float32Array,
  o0: number,
  bs: Float64Array,
  timeOnly: boolean,
  pass: number,
  p: number,
  x: number,
  y: number,
  s: number,
  W: number,
  colW: Float64Array,
  rowW: Float64Array,
): number {
  if (timeOnly) return bs[p];
  const ax = pass !== 2 ? along(rec, o0, bs, p, colW, 4 * x, s) : 0;
  const ay = pass !== 1 ? along(rec, o0, bs, p, rowW, 4 * y, s * W) : 0;
  if (pass === 1) return bs[p] + ax;
  if (pass === 2) return bs[p] + ay;
  return bs[p] + 0.5 * (ax + ay);
}

Deno.test("predictRow equals along() in every mode, pass, spacing and edge", () => {
  const random = mulberry32(7);
  for (const [H, W] of [[17, 23], [9, 9], [40, 33], [5, 12]]) {
    for (const cubic of [true, false]) {
      const rec = Float32Array.from({ length: 2 * H * W }, () => random() * 10 - 5);
      const o0 = H * W;
      const base = Float64Array.from({ length: H * W }, () => random() * 3);
      const zero = new Float64Array(H * W);
      for (let s = 1; 2 * s <= Math.min(H, W); s *= 2) {
        const colW = axisTable(W, s, cubic), rowW = axisTable(H, s, cubic);
        const out = new Float64Array(W);
        for (const mode of ["space", "time", "time+space"]) {
          const bs = mode === "space" ? zero : base;
          for (let pass = 1; pass <= 3; pass++) {
            const y0 = pass === 1 ? 2 * s - 1 : s - 1, x0 = pass === 2 ? 2 * s - 1 : s - 1;
            for (let y = y0; y < H; y += 2 * s) {
              const n = predictRow(
                rec,
                o0,
                bs,
                mode === "space",
                mode === "time",
                pass,
                y,
                x0,
                2 * s,
                s,
                s * W,
                W,
                colW,
                rowW,
                out,
              );
              for (let i = 0, x = x0; x < W; x += 2 * s, i++) {
                const want = reference(
                  rec,
                  o0,
                  bs,
                  mode === "time",
                  pass,
                  y * W + x,
                  x,
                  y,
                  s,
                  W,
                  colW,
                  rowW,
                );
                if (!Object.is(out[i], want)) {
                  assert.fail(
                    `${H}x${W} s=${s} ${mode} pass ${pass} (${y}, ${x}): ${out[i]} != ${want}`,
                  );
                }
              }
              assert.strictEqual(n, Math.ceil((W - x0) / (2 * s)));
            }
          }
        }
      }
    }
  }
});
