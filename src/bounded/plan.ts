// This module is browser compatible.
/**
 * The fixed parts of bounded coding (SPEC.md §4.7), shared by encoder and decoder: which points
 * each level adds, the order snapshots are coded in inside a block, the time interpolation
 * weights, the spatial interpolation weights and the bound of every (snapshot, level).
 *
 * @module
 */

/** A snapshot of a block in coding order. */
export interface PlannedSnapshot {
  /** Index inside the block. */
  t: number;
  /** True for a keyframe (coded from space only, or from the previous keyframe). */
  key: boolean;
  /** Time stride: 0 for keyframes, else the power of two `h` with `t` an odd multiple of `h` (or a fallback). */
  h: number;
  /** Snapshots (block indices, ascending) the time prediction interpolates; empty for the first keyframe. */
  nodes: number[];
  /** Lagrange weights of `nodes` at `t`. */
  weights: number[];
  /** The last snapshot coded before this one with a smaller index, or -1: context only. */
  ref: number;
}

/**
 * Keyframes of a block of `n` snapshots with key interval `K`: `0, K, 2K, ...` and `n - 1`.
 *
 * @param n Snapshots in the block.
 * @param K Key interval (a power of two).
 */
export function keyframes(n: number, K: number): number[] {
  const keys: number[] = [];
  for (let t = 0; t < n; t += K) keys.push(t);
  if (keys[keys.length - 1] !== n - 1) keys.push(n - 1);
  return keys;
}

/**
 * Lagrange weights of `nodes` at `t`: `w_i = prod_{j != i} (t - n_j) / (n_i - n_j)`, the product
 * taken over `j` ascending, each factor computed as one float64 division.
 */
export function lagrange(nodes: readonly number[], t: number): number[] {
  return nodes.map((a, i) => {
    let w = 1;
    for (let j = 0; j < nodes.length; j++) if (j !== i) w *= (t - nodes[j]) / (a - nodes[j]);
    return w;
  });
}

/**
 * The coding order of a block of `n` snapshots (SPEC.md §4.7.2): keyframes in ascending order,
 * then for `h = H, H/2, ..., 1` (`H` the largest power of two below `K`) every not yet coded
 * `t = h, 3h, 5h, ... < n`.
 *
 * @param n Snapshots in the block.
 * @param K Key interval (a power of two).
 */
export function blockSchedule(n: number, K: number): PlannedSnapshot[] {
  const out: PlannedSnapshot[] = [];
  const coded = new Uint8Array(n);
  let prevKey = -1;
  for (const t of keyframes(n, K)) {
    const nodes = prevKey >= 0 ? [prevKey] : [];
    out.push({ t, key: true, h: 0, nodes, weights: nodes.map(() => 1), ref: prevKey });
    coded[t] = 1;
    prevKey = t;
  }
  let top = 1;
  while (top * 2 < K) top *= 2;
  const ok = (u: number) => u >= 0 && u < n && coded[u] === 1;
  for (let h = top; h >= 1 && K > 1; h >>= 1) {
    for (let t = h; t < n; t += 2 * h) {
      if (coded[t]) continue;
      let nodes: number[];
      if (ok(t - h) && ok(t + h)) {
        nodes = [t - h, t + h];
        if (ok(t - 3 * h)) nodes.unshift(t - 3 * h);
        if (ok(t + 3 * h)) nodes.push(t + 3 * h);
      } else {
        let l = t - 1, r = t + 1;
        while (!coded[l]) l--;
        while (!coded[r]) r++;
        nodes = [l, r];
      }
      let ref = t - 1;
      while (!coded[ref]) ref--;
      out.push({ t, key: false, h, nodes, weights: lagrange(nodes, t), ref });
      coded[t] = 1;
    }
  }
  return out;
}

/** Largest level count (at most `max`) whose coarsest level keeps at least 3 rows and columns. */
export function defaultBoundedLevels(H: number, W: number, max = 8): number {
  let n = 1;
  while (n < max && Math.floor(Math.min(H, W) / 2 ** n) >= 3) n++;
  return n;
}

/** `min(1.5^(lev-1), 4)` for lev = 1 .. 5 (and beyond): exact in float64. */
const LEVEL_DIVISORS = [1, 1.5, 2.25, 3.375, 4];

/**
 * Bound of level `k` (of `N`) of a planned snapshot, for the file's bound `eb` (SPEC.md §4.7.3):
 * `eb / min(1.5^(lev-1), 4)`, with `lev = min(N - k, lt)`, `lt = log2(h) + 1` for a time-predicted
 * snapshot, `log2(K) + 1` for a keyframe. Coarse levels and keyframes get a tighter bound because
 * every finer prediction starts from them.
 */
export function levelBound(
  eb: number,
  N: number,
  k: number,
  s: PlannedSnapshot,
  K: number,
): number {
  const log2 = (n: number) => 31 - Math.clz32(n);
  const lt = s.key ? log2(K) + 1 : log2(s.h) + 1;
  const lev = Math.min(N - k, lt);
  return eb / LEVEL_DIVISORS[Math.min(lev, 5) - 1];
}

/**
 * 1-D interpolation weights at coordinate `i` (a new point of the level whose spacing is `s`) from
 * the points at offsets `-3s, -s, +s, +3s` of an axis of length `n` (SPEC.md §4.7.3): cubic when all
 * four exist, quadratic with one outer tap missing, linear with both missing, and a linear
 * extrapolation (or a copy) at the ends.
 */
export function axisWeights(i: number, s: number, n: number, cubic: boolean): Float64Array {
  const m1 = i - s >= 0, p1 = i + s < n, m3 = i - 3 * s >= 0, p3 = i + 3 * s < n;
  const w = (a: number, b: number, c: number, d: number) => Float64Array.of(a, b, c, d);
  if (m1 && p1) {
    if (cubic) {
      if (m3 && p3) return w(-1 / 16, 9 / 16, 9 / 16, -1 / 16);
      if (p3) return w(0, 3 / 8, 3 / 4, -1 / 8);
      if (m3) return w(-1 / 8, 3 / 4, 3 / 8, 0);
    }
    return w(0, 0.5, 0.5, 0);
  }
  if (p1) return p3 ? w(0, 0, 1.5, -0.5) : w(0, 0, 1, 0);
  if (m1) return m3 ? w(-0.5, 1.5, 0, 0) : w(0, 1, 0, 0);
  throw new RangeError(`no neighbour at ${i} with spacing ${s} on an axis of ${n}`);
}
