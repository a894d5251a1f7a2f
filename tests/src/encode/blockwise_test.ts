// Block-wise (streamed) compression writes the bytes one in-memory compression writes.
import assert from "node:assert";
import { concat } from "../../../format/_bytes.ts";
import { compressBoundedTo } from "../../../src/encode/bounded.ts";
import {
  type BlockwiseOptions,
  compressBlockwise,
  type SnapshotSource,
} from "../../../src/encode/blockwise.ts";
import type { BoundedCompressOptions } from "../../../src/encode/bounded.ts";
import { type Dims, gauss, prng, smooth } from "../_bounded.ts";

async function inMemory(
  data: Float32Array | Float64Array,
  dims: Dims,
  options: BoundedCompressOptions,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await compressBoundedTo(data, dims, dims, { write: (b) => void parts.push(b.slice()) }, {
    ...options,
    reproducible: true,
  });
  return concat(parts);
}

/** A source over an array that counts the snapshots it hands out at once. */
export function arraySource(
  data: Float32Array | Float64Array,
  dims: Dims,
): SnapshotSource & { largest: number; reads: number } {
  const [, H, W] = dims;
  const source = {
    shape: dims,
    dtype: data instanceof Float64Array ? "float64" as const : "float32" as const,
    largest: 0,
    reads: 0,
    read(t0: number, t1: number) {
      source.largest = Math.max(source.largest, t1 - t0);
      source.reads++;
      return Promise.resolve(data.slice(t0 * H * W, t1 * H * W));
    },
  };
  return source;
}

async function streamed(
  data: Float32Array | Float64Array,
  dims: Dims,
  options: BlockwiseOptions,
) {
  const parts: Uint8Array[] = [];
  const source = arraySource(data, dims);
  await compressBlockwise(source, { write: (b) => void parts.push(b.slice()) }, {
    ...options,
    reproducible: true,
  });
  return { bytes: concat(parts), source };
}

const dims: Dims = [37, 20, 23];

function noisy(seed: number): Float32Array {
  const rand = prng(seed);
  const x = smooth(dims);
  for (let i = 0; i < x.length; i++) x[i] += 0.05 * gauss(rand);
  return x;
}

const cases: [string, () => Float32Array | Float64Array, BoundedCompressOptions][] = [
  ["an absolute bound", () => noisy(1), { errorBound: 0.01, blockSize: 8 }],
  ["the default relative bound (first pass)", () => noisy(2), { blockSize: 16 }],
  ["a relative bound, linear, key interval 4", () => noisy(3), {
    relErrorBound: 2e-3,
    blockSize: 8,
    interpolation: "linear",
    keyInterval: 4,
  }],
  ["NaN holes that move (per-snapshot mask)", () => {
    const x = noisy(4);
    for (let t = 0; t < dims[0]; t++) x[t * 460 + (t * 7) % 460] = NaN;
    return x;
  }, { errorBound: 0.02, blockSize: 8 }],
  ["the same hole in every snapshot (shared mask)", () => {
    const x = noisy(5);
    for (let t = 0; t < dims[0]; t++) for (let j = 30; j < 40; j++) x[t * 460 + j] = NaN;
    return x;
  }, { errorBound: 0.02, blockSize: 8 }],
  ["a fill value, missing only in a late block, and a NaN value", () => {
    const x = noisy(6);
    x[33 * 460 + 5] = -999;
    x[2 * 460 + 9] = NaN;
    return x;
  }, { errorBound: 0.02, blockSize: 8, fillValue: -999 }],
  ["float64 data", () => Float64Array.from(noisy(7)), { errorBound: 1e-3, blockSize: 12 }],
  ["a constant field without a bound", () => new Float32Array(dims[0] * 460).fill(2.5), {
    blockSize: 8,
  }],
  ["predictor auto", () => noisy(8), { errorBound: 0.005, blockSize: 8, predictor: "auto" }],
  ["predictor learned", () => noisy(9), { errorBound: 0.005, blockSize: 16, predictor: "learned" }],
];

for (const [name, make, options] of cases) {
  Deno.test(`blockwise compression equals in-memory compression byte for byte: ${name}`, async () => {
    const data = make();
    const want = await inMemory(data, dims, options);
    const { bytes, source } = await streamed(data, dims, options);
    assert.deepStrictEqual(bytes, want);
    // Never more than a block at a time.
    assert.ok(source.largest <= (options.blockSize ?? Infinity), `read ${source.largest} at once`);
  });
}

Deno.test("blockwise compression equals in-memory compression on 2 threads", async () => {
  const data = noisy(10);
  const options = { errorBound: 0.01, blockSize: 4, predictor: "auto" as const };
  const want = await inMemory(data, dims, { ...options, threads: 1 });
  const { bytes } = await streamed(data, dims, { ...options, threads: 2 });
  assert.deepStrictEqual(bytes, want);
});

Deno.test("blockwise compression refuses a PSNR target, naming why", async () => {
  await assert.rejects(
    () => streamed(noisy(11), dims, { psnr: 50 }),
    /a PSNR target is not streamed/,
  );
});

Deno.test("blockwise compression names the first infinite value with its whole index", async () => {
  const x = noisy(12);
  x[20 * 460 + 3] = Infinity;
  await assert.rejects(
    () => streamed(x, dims, { errorBound: 0.01, blockSize: 8 }),
    /value at \[20, 0, 3\] is Infinity/,
  );
});
