import assert from "node:assert";
import {
  boundsForDataset,
  largestMeeting,
  loadReference,
  parseBounds,
  quantMaxError,
  quantStepForBound,
  referenceAtBound,
  type ReferencePoint,
} from "../../bench/bounds.ts";

const point = (method: string, psnr: number, rel: number, cr: number): ReferencePoint => ({
  method,
  setting: `${method} ${psnr}`,
  cr,
  psnr,
  maxabs_rel: rel,
  comp_MBs: 1,
  decomp_MBs: 1,
});

Deno.test("largestMeeting() finds the largest exponent under a threshold, from either side", async () => {
  // A synthetic monotone error: err(e) = 0.3 * 2^e, bound 0.05 -> largest e is -3 (0.0375).
  for (const start of [-20, -5, -3, -2, 0, 7]) {
    const calls: number[] = [];
    const e = await largestMeeting((e) => {
      calls.push(e);
      return 0.3 * 2 ** e <= 0.05;
    }, start);
    assert.strictEqual(e, -3, `start ${start}`);
    assert.strictEqual(new Set(calls).size, calls.length, "each exponent tried once");
  }
  // Async predicates, and limits: none meets in range -> null; all meet -> the top.
  assert.strictEqual(await largestMeeting(() => Promise.resolve(false), 0, { min: -4 }), null);
  assert.strictEqual(await largestMeeting(() => true, 0, { max: 5 }), 5);
});

Deno.test("quantStepForBound() meets the bound in float32, shrinking the step only when needed", () => {
  // Values near 100: a float32 ulp (7.6e-6) is not negligible against a 1e-4 bound.
  let a = 12345;
  const rand = () => (a = (a * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const data = new Float32Array(20000).map(() => 100 + rand());
  let min = Infinity;
  for (const v of data) min = Math.min(min, v);
  // Plain 2 * bound misses for about half the bounds near 1e-4 here (float32 rounding of
  // min + q * step lands on the far side of the value): take the first such bound.
  let missed = 0;
  for (let k = 0; k < 200 && !missed; k++) {
    const b = 1e-4 * (1 + k / 37);
    if (quantMaxError(data, min, 2 * b) > b) missed = b;
  }
  assert.ok(missed > 0, "some bound near 1e-4 misses with step 2 * bound");
  for (const bound of [missed, 1e-4, 3.3e-3, 0.05]) {
    const { step, maxAbsError } = quantStepForBound(data, min, bound);
    assert.ok(maxAbsError <= bound, `bound ${bound}: ${maxAbsError}`);
    assert.strictEqual(quantMaxError(data, min, step), maxAbsError);
    assert.ok(step <= 2 * bound && step > 2 * bound * 0.9, `bound ${bound}: step ${step}`);
  }
  assert.ok(quantStepForBound(data, min, missed).step < 2 * missed);
  // Small data with an exact grid: 2 * bound is kept.
  const exact = new Float32Array([0, 0.25, 0.5, 0.75, 1]);
  assert.strictEqual(quantStepForBound(exact, 0, 0.125).step, 0.25);
});

Deno.test("boundsForDataset() takes SZ3's max errors near 50 and 60 dB, else the fallback", () => {
  const points = [
    point("sz3", 38.2, 0.33, 28000),
    point("sz3", 50.25, 0.0147, 2956),
    point("sz3", 59.86, 0.0041, 1168),
    point("j2k", 50.04, 0.072, 300),
  ];
  assert.deepStrictEqual(boundsForDataset(points).bounds, [0.0147, 0.0041]);
  assert.deepStrictEqual(boundsForDataset(undefined).bounds, [1e-2, 1e-3]);
  assert.deepStrictEqual(boundsForDataset([point("j2k", 50, 0.07, 300)]).bounds, [1e-2, 1e-3]);
  assert.deepStrictEqual(parseBounds("0.0041, 0.0147,0.0041"), [0.0147, 0.0041]);
  assert.throws(() => parseBounds("0.01,-1"), TypeError);
  assert.throws(() => parseBounds(""), TypeError);
});

Deno.test("referenceAtBound() keeps each method's best point within the bound, not ZFP", () => {
  const points = [
    point("sz3", 50.25, 0.01466, 2956),
    point("sz3", 59.86, 0.004107, 1168),
    point("j2k", 59.96, 0.02422, 233),
    point("j2k", 107, 7.7e-6, 20),
    point("zfp", 58.9, 0.0155, 54),
  ];
  const at = referenceAtBound(points, 0.01466);
  assert.deepStrictEqual(at.map((p) => [p.method, p.cr]), [["sz3", 2956], ["j2k", 20]]);
  assert.deepStrictEqual(referenceAtBound(points, 1e-6), []);
});

Deno.test("loadReference() reads the shipped reference file and rejects a malformed one", async () => {
  const ref = await loadReference();
  assert.ok(typeof ref !== "string", String(ref));
  const toy1 = ref.datasets.toy1;
  assert.deepStrictEqual(boundsForDataset(toy1).bounds, [0.01466, 0.004107]);
  assert.deepStrictEqual(boundsForDataset(ref.datasets.toy2).bounds, [0.01894, 0.004134]);
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(path, JSON.stringify({ datasets: { a: [{ method: "sz3" }] } }));
    assert.match(await loadReference(path) as string, /not a list/);
    assert.match(await loadReference(`${path}.missing`) as string, /cannot read/);
  } finally {
    await Deno.remove(path);
  }
});
