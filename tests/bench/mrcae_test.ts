import assert from "node:assert";
import { levelBytesNeeded, type MrcaeApi, runMrcae, runMrcaeBounded } from "../../bench/mrcae.ts";
import { sampleGrid } from "../../bench/metrics.ts";

const shape: [number, number, number] = [2, 5, 5];
const data = new Float32Array(50).map((_, i) => Math.sin(i));

/**
 * A fake codec with two levels: level 0 samples rows/columns 1 and 3 with error 0.01,
 * level 1 is the full grid with error 0.02. Chunks: 100 file-level bytes, 50 of level 0,
 * 200 of level 1.
 */
function fakeApi(seen: Record<string, unknown>[]): MrcaeApi {
  return {
    compress(_values, _shape, options) {
      seen.push(options);
      return Promise.resolve(new Uint8Array(350));
    },
    openMrc() {
      return Promise.resolve({
        header: { levels: [{}, {}] },
        report: null,
        chunks: [
          { level: null, offset: 0, length: 100 },
          { level: 0, offset: 100, length: 50 },
          { level: 1, offset: 150, length: 200 },
        ],
        decode({ level }: { level: number }) {
          const idx = level === 0 ? [1, 3] : [0, 1, 2, 3, 4];
          const ref = sampleGrid(data, shape, idx, idx);
          const err = level === 0 ? 0.01 : 0.02;
          return Promise.resolve({
            data: ref.map((v, i) => v + (i % 2 ? err : -err)),
            shape: [2, idx.length, idx.length] as [number, number, number],
            rows: Int32Array.from(idx),
            cols: Int32Array.from(idx),
          });
        },
      });
    },
  };
}

Deno.test("runMrcaeBounded() passes the bounded-coding options and measures every level", async () => {
  const seen: Record<string, unknown>[] = [];
  const rows = await runMrcaeBounded(fakeApi(seen), data, shape, 2, 0.05);
  assert.deepStrictEqual(seen[0], { coding: "bounded", errorBound: 0.05 });
  assert.strictEqual(seen[0].errorBound, 0.05);
  assert.strictEqual(rows.length, 2);
  assert.deepStrictEqual(rows.map((r) => r.bytes), [150, 350]);
  assert.deepStrictEqual(rows.map((r) => r.grid), [[2, 2], [5, 5]]);
  assert.ok(Math.abs(rows[0].ratio - (8 * 4) / 150) < 1e-12);
  assert.ok(Math.abs(rows[1].ratio - (50 * 4) / 350) < 1e-12);
  assert.ok(Math.abs(rows[0].maxAbsError - 0.01) < 1e-6);
  assert.ok(Math.abs(rows[1].maxAbsError - 0.02) < 1e-6);
  assert.ok(Math.abs(rows[1].psnr - 20 * Math.log10(2 / 0.02)) < 1e-3);
});

Deno.test("runMrcae() asks for model coding explicitly", async () => {
  const seen: Record<string, unknown>[] = [];
  const setting = { name: "t", tol: [1e-3, 1e-4] };
  const knobs = { levels: 2, steps: 1, batch: 1, seed: 0 };
  const rows = await runMrcae(fakeApi(seen), data, shape, 2, setting, knobs);
  assert.strictEqual(seen[0].coding, "model");
  assert.strictEqual(rows.length, 2);
});

Deno.test("levelBytesNeeded() drops finer levels' chunks, or finer levels' totals", () => {
  const chunks = [{ level: null, length: 10 }, { level: 0, length: 5 }, { level: 1, length: 7 }];
  const file = { chunks: chunks.map((c) => ({ ...c, offset: 0 })) };
  assert.deepStrictEqual([0, 1].map((k) => levelBytesNeeded(22, file, k)), [15, 22]);
  const levels = [
    { level: 0, grid: [3, 3] as [number, number], bytes: 5 },
    { level: 1, grid: [7, 7] as [number, number], bytes: { total: 7 } },
  ];
  assert.deepStrictEqual([0, 1].map((k) => levelBytesNeeded(22, { levels }, k)), [15, 22]);
});
