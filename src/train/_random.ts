import { mulberry32 } from "../random.ts";

/** A seeded PRNG (mulberry32): the trainer never uses Math.random, so a seed fixes init, split and batches. */
export class Random {
  /** Uniform in [0, 1). */
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32((Math.floor(seed) ^ 0x9e3779b9) >>> 0);
  }
  /** Uniform in [-eps, eps]. */
  noise(eps: number): number {
    return (2 * this.next() - 1) * eps;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** A shuffled copy of 0..n-1 (Fisher-Yates). */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  }
  /** `k` distinct values of 0..n-1 (partial Fisher-Yates on `pool`, which it reorders). */
  sample(pool: number[], k: number): number[] {
    const n = pool.length;
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return pool.slice(0, k);
  }
}
