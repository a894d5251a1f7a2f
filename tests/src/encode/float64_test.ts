// Model coding and float64 data: decoders return float32, so data float32 cannot
// hold at the quality asked is refused before training, and the stored report is measured on what
// the reader returns for the written bytes.
import assert from "node:assert";
import { compress, compressTo, openMrc } from "../../../mod.ts";
import { smallField } from "../_fixtures.ts";

const SHAPE: [number, number, number] = [3, 15, 15];
const MODEL = { coding: "model", levels: 2, steps: 5, backend: "cpu" } as const;

function shifted(scale: number, offset: number): Float64Array {
  return Float64Array.from(smallField(...SHAPE), (v) => v * scale + offset);
}

Deno.test("compress() with model coding refuses float64 data past the float32 range", async () => {
  await assert.rejects(
    compress(shifted(1e300, 0), SHAPE, MODEL),
    (e) => e instanceof RangeError && /past the float32 range/.test(e.message),
  );
});

Deno.test("compress() with model coding refuses float64 data whose offset float32 rounds away", async () => {
  await assert.rejects(
    compress(shifted(1, 1e9), SHAPE, MODEL),
    (e) => e instanceof RangeError && /float32 rounding of the float64 data/.test(e.message),
  );
  // A tolerance float32 can hold passes: an offset of 1e3 on a range of about 3.
  const bytes = await compress(shifted(1, 1e3), SHAPE, MODEL);
  assert.strictEqual((await openMrc(bytes)).header.dtype, "float64");
});

Deno.test("compress() with model coding reports the errors of the reader's own output", async () => {
  const data = shifted(1e5, -3e5);
  const parts: Uint8Array[] = [];
  const { report } = await compressTo(
    data,
    SHAPE,
    { write: (b) => void parts.push(b.slice()) },
    MODEL,
  );
  const file = await openMrc(new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer()));
  const [, H, W] = SHAPE;
  for await (const d of file.progressive()) {
    let max = 0, sum = 0;
    for (let t = 0; t < d.shape[0]; t++) {
      for (let i = 0; i < d.shape[1]; i++) {
        for (let j = 0; j < d.shape[2]; j++) {
          const e = Math.abs(
            d.data[(t * d.shape[1] + i) * d.shape[2] + j] -
              data[t * H * W + d.rows[i] * W + d.cols[j]],
          );
          max = Math.max(max, e);
          sum += e * e;
        }
      }
    }
    const claimed = report.levels[d.level];
    assert.strictEqual(claimed.maxAbsError, max);
    assert.ok(Math.abs(claimed.rmse - Math.sqrt(sum / d.data.length)) <= 1e-9 * claimed.rmse);
    // The stored report says the same, to its 6 digits.
    const stored = file.report!.levels[d.level];
    assert.ok(Math.abs(stored.maxAbsError - max) <= 1e-5 * max);
  }
});

Deno.test("checkMeasured() refuses a decode that misses the encoder's measurement", async () => {
  const { checkMeasured } = await import("../../../src/encode/verify.ts");
  const level = (maxAbsError: number) => ({
    level: 0,
    grid: [3, 3] as [number, number],
    rmse: maxAbsError / 2,
    psnr: null,
    maxAbsError,
  });
  checkMeasured([level(0.1)], [level(0.1)], 10, 2);
  assert.throws(
    () => checkMeasured([level(0.5)], [level(0.1)], 10, 2),
    /level 0 decodes with a max error of 0\.5 where the encoder measured 0\.1/,
  );
  assert.throws(() => checkMeasured([level(Infinity)], [level(0.1)], 10, 2), RangeError);
});
