// This module is browser compatible.
/**
 * The one seeded pseudo-random generator of mrcae (the trainer, the test data, the fuzzer), so
 * that a seed fixes every run.
 *
 * @module
 */

/**
 * Mulberry32: a tiny seeded PRNG with 2^32 states, uniform in [0, 1).
 *
 * @param seed Any number; its low 32 bits are the state.
 * @returns The generator.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { mulberry32 } from "./random.ts";
 *
 * const a = mulberry32(1), b = mulberry32(1);
 * const x = a();
 * assert.ok(x >= 0 && x < 1);
 * assert.strictEqual(b(), x);
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
