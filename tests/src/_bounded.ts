/**
 * Helpers of the bounded-mode tests: a seeded PRNG, adversarial fields, and a checker that
 * decodes every level of a file and compares each value against the original in float64.
 */
import assert from "node:assert";
import { type MrcFile, openMrc } from "../../mod.ts";
import { ErrorTally } from "../../src/metrics.ts";

export type Dims = [number, number, number];

export { prng, randInt } from "../format/_helpers.ts";

/** A standard normal sample (Box-Muller). */
export function gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** A `[T, H, W]` Float32Array from `f(t, i, j)`. */
export function field(dims: Dims, f: (t: number, i: number, j: number) => number): Float32Array {
  const [T, H, W] = dims;
  const out = new Float32Array(T * H * W);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) out[(t * H + i) * W + j] = f(t, i, j);
    }
  }
  return out;
}

/** A smooth mix of travelling sines, amplitude about 3. */
export function smooth(dims: Dims, phase = 0): Float32Array {
  const [, H, W] = dims;
  return field(dims, (t, i, j) =>
    Math.sin(2 * Math.PI * (j / Math.max(W, 2) + 0.07 * t + phase)) *
      Math.cos(Math.PI * i / Math.max(H, 2)) +
    0.5 * Math.sin(0.9 * i + 0.4 * j - 0.3 * t) + 1.5 * Math.cos(0.2 * t + phase));
}

/** Valid (not missing) values' min and max, in float64. */
export function validRange(
  values: Float32Array | Float64Array,
  fillValue?: number,
): { min: number; max: number; range: number } {
  let min = Infinity, max = -Infinity;
  for (const v of values) {
    if (Number.isNaN(v) || v === fillValue) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max, range: max - min };
}

const F32 = new Float32Array(1), U32 = new Uint32Array(F32.buffer);

/** The binary32 bit pattern of `v`. */
function bits32(v: number): number {
  F32[0] = v;
  return U32[0];
}

/** What {@linkcode checkLevels} measured on a level. */
export interface LevelCheck {
  /** Largest absolute error over the level's valid values (float64). */
  max: number;
  /** Sum of squared errors and number of valid values. */
  sse: number;
  count: number;
  /** The first value whose error beats the bound, or null. */
  firstBad: string | null;
}

/**
 * Decodes every level of `bytes` and checks, against `original` in float64: the level samples
 * rows and columns `s - 1, 2s - 1, ...` (s = 2^(N-1-k)); missing values come back as NaN, or the
 * fill value when one is given (then a NaN is a value and comes back with its bits); every other
 * value is finite, within the header's bound and not the fill value. Fails with the first bad
 * value's position.
 *
 * @returns The opened file and what was measured per level.
 */
export async function checkLevels(
  bytes: Uint8Array,
  original: Float32Array | Float64Array,
  dims: Dims,
  label: string,
  fillValue?: number,
): Promise<{ file: MrcFile; levels: LevelCheck[] }> {
  const file = await openMrc(bytes);
  const [T, H, W] = dims;
  assert.deepStrictEqual(file.header.shape, dims, label);
  assert.strictEqual(file.header.coding, "bounded", label);
  const bound = file.header.bound!.abs;
  assert.ok(bound > 0 && Number.isFinite(bound), `${label}: bound ${bound}`);
  const N = file.levelCount;
  const levels: LevelCheck[] = [];
  for (let k = 0; k < N; k++) {
    const d = await file.decode({ level: k });
    const s = 2 ** (N - 1 - k);
    const nr = Math.floor(H / s), nc = Math.floor(W / s);
    assert.deepStrictEqual(d.shape, [T, nr, nc], `${label}: level ${k} shape`);
    assert.deepStrictEqual(
      Array.from(d.rows),
      Array.from({ length: nr }, (_, i) => (i + 1) * s - 1),
    );
    assert.deepStrictEqual(
      Array.from(d.cols),
      Array.from({ length: nc }, (_, j) => (j + 1) * s - 1),
    );
    const tally = new ErrorTally();
    let firstBad: string | null = null;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < nr; i++) {
        for (let j = 0; j < nc; j++) {
          const g = (t * H + d.rows[i]) * W + d.cols[j];
          const o = (t * nr + i) * nc + j;
          const x = original[g], y = d.data[o];
          const where = `${label}: level ${k} [${t}, ${d.rows[i]}, ${d.cols[j]}] (output ${o})`;
          if (fillValue === undefined ? Number.isNaN(x) : x === fillValue) {
            // Missing: NaN, or the fill value (a float32 output holds it rounded).
            const hole = fillValue === undefined ? NaN : Math.fround(fillValue);
            if (!Object.is(y, hole)) assert.fail(`${where}: missing value came back as ${y}`);
            continue;
          }
          if (Number.isNaN(x)) {
            // With a fill value, a NaN is a value: it comes back with its binary32 bits.
            if (!Number.isNaN(y) || bits32(x) !== bits32(y)) {
              assert.fail(`${where}: NaN ${bits32(x).toString(16)} came back as ${y}`);
            }
            continue;
          }
          if (!Number.isFinite(y)) assert.fail(`${where}: ${x} came back as ${y}`);
          if (fillValue !== undefined && y === Math.fround(fillValue)) {
            assert.fail(`${where}: valid value ${x} came back as the fill value ${y}`);
          }
          tally.add(x, y);
          const e = Math.abs(y - x);
          if (!(e <= bound) && firstBad === null) {
            firstBad = `${where}: decoded ${y}, original ${x}, error ${e} > bound ${bound}`;
          }
        }
      }
    }
    if (firstBad !== null) assert.fail(firstBad);
    levels.push({ max: tally.maxAbsError, sse: tally.sumSquares, count: tally.count, firstBad });
  }
  return { file, levels };
}
