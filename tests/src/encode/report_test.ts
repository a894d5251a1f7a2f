// The stored report (META) against the bound: each level's maxAbsError is stored exactly, never
// rounded up past the bound it meets (issue 18 item 23).
import assert from "node:assert";
import { compressTo, openMrc } from "../../../mod.ts";
import { storedNumber } from "../../../src/encode/report.ts";

Deno.test("the stored maxAbsError of every level is the measured one and within the bound", async () => {
  // Noise at a bound of 8 significant digits: the finest level's maximum, 0.10217756032943726,
  // rounds to 6 digits as 0.102178, above the bound 0.10217759.
  const shape: [number, number, number] = [4, 63, 63];
  const data = new Float32Array(shape[0] * shape[1] * shape[2]);
  for (let i = 0, s = 7; i < data.length; i++) data[i] = (s = (s * 16807) % 2147483647) / 2 ** 31;
  const errorBound = 0.10217759;
  const parts: Uint8Array[] = [];
  const { report } = await compressTo(
    data,
    shape,
    { write: (b) => void parts.push(b.slice()) },
    { errorBound, reproducible: true },
  );
  const finest = report.levels[report.levels.length - 1].maxAbsError;
  assert.ok(finest <= errorBound && Number(finest.toPrecision(6)) > errorBound, "the case");
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
  const file = await openMrc(bytes);
  const stored = file.report!;
  assert.strictEqual(stored.mode, "bounded");
  assert.strictEqual(file.header.bound!.abs, errorBound);
  assert.strictEqual(stored.mode === "bounded" && stored.bound.abs, errorBound);
  stored.levels.forEach((l, k) => {
    assert.strictEqual(l.maxAbsError, report.levels[k].maxAbsError, `level ${k}`);
    assert.ok(l.maxAbsError <= errorBound, `level ${k}: ${l.maxAbsError} > ${errorBound}`);
  });
  // What readers show: the file's levels, from the stored report.
  for (const l of file.levels) assert.ok(l.maxAbsError! <= errorBound);
});

Deno.test("storedNumber rounds a report's fractions to 6 digits, but maxAbsError and abs not", () => {
  assert.strictEqual(storedNumber("rmse", 0.0123456789), 0.0123457);
  assert.strictEqual(storedNumber("maxAbsError", 0.0123456789), 0.0123456789);
  assert.strictEqual(storedNumber("abs", 0.0123456789), 0.0123456789);
  assert.strictEqual(storedNumber("count", 12345678), 12345678);
  assert.strictEqual(storedNumber("name", "x"), "x");
});
