// Bounded compression on several threads (workers) writes the same bytes as on one.
import assert from "node:assert";
import { compress } from "../../../src/encode/compress.ts";
import { openMrc } from "../../../src/read/open.ts";
import { mulberry32 } from "../../../src/random.ts";

/** 13 snapshots of 21 x 26, smooth plus noise, with NaN holes. */
function field(): Float32Array {
  const random = mulberry32(3);
  const T = 13, H = 21, W = 26;
  const x = new Float32Array(T * H * W);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        x[(t * H + i) * W + j] = Math.sin(i / 4 + t / 3) * Math.cos(j / 5) + 0.05 * random();
      }
    }
  }
  for (let g = 17; g < x.length; g += 97) x[g] = NaN;
  return x;
}

for (
  const [name, options] of [
    ["a relative bound", { relErrorBound: 1e-3 }],
    ["a PSNR target", { psnr: 50 }],
    ["linear, key interval 2", { errorBound: 2e-3, interpolation: "linear", keyInterval: 2 }],
  ] as const
) {
  Deno.test(`threads 2 and 3 write the bytes of threads 1 (${name}, 4 blocks)`, async () => {
    const x = field();
    const base = { ...options, blockSize: 4, reproducible: true };
    const one = await compress(x, [13, 21, 26], { ...base, threads: 1 });
    // The values in a SharedArrayBuffer too: the workers read their blocks in place.
    const shared = new Float32Array(new SharedArrayBuffer(x.byteLength));
    shared.set(x);
    for (const threads of [2, 3]) {
      const many = await compress(x, [13, 21, 26], { ...base, threads });
      assert.deepStrictEqual(many, one, `threads ${threads}`);
      const inPlace = await compress(shared, [13, 21, 26], { ...base, threads });
      assert.deepStrictEqual(inPlace, one, `threads ${threads}, shared values`);
    }
    const file = await openMrc(one);
    assert.strictEqual(file.header.blockSize, 4);
    const decoded = await file.decode();
    for (let g = 0; g < x.length; g++) {
      if (Number.isNaN(x[g])) assert.ok(Number.isNaN(decoded.data[g]));
      else assert.ok(Math.abs(decoded.data[g] - x[g]) <= file.header.bound!.abs, `value ${g}`);
    }
  });
}

for (
  const [name, options] of [
    ["a relative bound", { relErrorBound: 1e-3 }],
    ["a PSNR target", { psnr: 50 }],
    ["linear, key interval 2, a fill value", {
      errorBound: 2e-3,
      interpolation: "linear",
      keyInterval: 2,
      fillValue: -9,
    }],
  ] as const
) {
  Deno.test(`threads 2 write the bytes of threads 1 with one block, split in two halves (${name})`, async () => {
    const x = field();
    if ("fillValue" in options) {
      for (let g = 5; g < x.length; g += 61) x[g] = -9;
    }
    const base = { ...options, reproducible: true };
    const one = await compress(x, [13, 21, 26], { ...base, threads: 1 });
    const two = await compress(x, [13, 21, 26], { ...base, threads: 2 });
    assert.deepStrictEqual(two, one);
    const file = await openMrc(one);
    assert.ok(file.header.blockSize >= 13, "one block");
  });
}

Deno.test("threads must be a positive integer", async () => {
  const x = field();
  for (const threads of [0, -1, 1.5, NaN]) {
    await assert.rejects(
      compress(x, [13, 21, 26], { threads, blockSize: 4 }),
      /threads must be an integer from 1 to 1024/,
    );
  }
});
