// This module is browser compatible.
/**
 * Learned prediction (format 1.3, SPEC.md §4.7.5): per level and block, the level's fixed
 * interpolation (linear or cubic) and, per pass, an optional learned linear filter over the
 * reconstructed neighbours of a new point: MrCAE's deepening decoder, the learned upsampling of
 * level k-1 to level k, in the place of the fixed interpolation. A filter applies where all of
 * its taps lie inside the plane; elsewhere, and in passes without a filter, the fixed
 * interpolation predicts.
 *
 * This module holds the taps, the level predictor's bytes (its record at the start of a `BCOD`
 * chunk's coded bytes), the filter's row loop, shared by encoder and decoder, and the encoder's
 * closed-loop fit.
 *
 * @module
 */

/**
 * The taps of each pass's filter, `[dy, dx]` in units of the level's spacing `s`, in the order
 * the filter's sum runs (SPEC.md §4.7.5). Pass 1 (new columns on old rows) reads coarser points
 * only; pass 2 (new rows, old columns) also the pass-1 points around it; pass 3 (centres) the
 * pass-1 and pass-2 points on its row and column and the coarser points on its diagonals.
 */
export const FILTER_TAPS: readonly (readonly (readonly [number, number])[])[] = [
  // Pass 1: rows -2, 0, +2 (old rows) by columns -3, -1, +1, +3 (old columns).
  [-2, 0, 2].flatMap((dy) => [-3, -1, 1, 3].map((dx) => [dy, dx] as const)),
  // Pass 2: rows -3, -1, +1, +3 by columns -2, 0, +2 (coarser points), then the pass-1 points.
  [
    ...[-3, -1, 1, 3].flatMap((dy) => [-2, 0, 2].map((dx) => [dy, dx] as const)),
    [-1, -1],
    [-1, 1],
    [1, -1],
    [1, 1],
  ],
  // Pass 3: along the row (pass 2), down the column (pass 1), then the diagonals (coarser).
  [
    [0, -3],
    [0, -1],
    [0, 1],
    [0, 3],
    [-3, 0],
    [-1, 0],
    [1, 0],
    [3, 0],
    [-1, -1],
    [-1, 1],
    [1, -1],
    [1, 1],
  ],
];

/** Taps per pass: 12, 16, 12. */
export const FILTER_SIZES: readonly number[] = FILTER_TAPS.map((t) => t.length);

/** The largest `|dy|` and `|dx|` of each pass's taps: a point is interior when they fit. */
const REACH: readonly (readonly [number, number])[] = FILTER_TAPS.map((taps) => [
  Math.max(...taps.map(([dy]) => Math.abs(dy))),
  Math.max(...taps.map(([, dx]) => Math.abs(dx))),
]);

/**
 * How the encoder predicts levels above 0: `"auto"` chooses per level and block among linear,
 * cubic and learned filters by their estimated bits, and keeps a block's learned coding only
 * where it is smaller than its cubic one; `"learned"` fits filters wherever it can; `"cubic"` and
 * `"linear"` are the fixed interpolations (format 1.2).
 */
export type Predictor = "auto" | "learned" | "cubic" | "linear";

/** The predictors, `"auto"` (the default) first. */
export const PREDICTORS: readonly Predictor[] = ["auto", "learned", "cubic", "linear"];

/** The prediction of one level of one block (format 1.3). */
export interface LevelPredictor {
  /** The level's fixed interpolation: cubic (true) or linear (false). */
  cubic: boolean;
  /**
   * Per pass (1, 2, 3 at 0, 1, 2): the learned filter's weights in units of
   * {@linkcode WEIGHT_UNIT} (the weight is `v * 2^-14`), or null.
   */
  filters: (Int16Array | null)[];
}

/** The unit of a filter's stored weights: `2^-14` (weights from -2 to 2 - 2^-14). */
export const WEIGHT_UNIT = 2 ** -14;

/** A filter's weights as binary64 numbers (exact: `v * 2^-14`). */
export function filterWeights(f: Int16Array): Float64Array {
  return Float64Array.from(f, (v) => v * WEIGHT_UNIT);
}

/** A level predictor with no filter. */
export function fixedPredictor(cubic: boolean): LevelPredictor {
  return { cubic, filters: [null, null, null] };
}

/** Whether a level predictor has at least one learned filter. */
export function isLearned(p: LevelPredictor): boolean {
  return p.filters.some((f) => f !== null);
}

/**
 * The record of a level predictor (SPEC.md §4.7.5): u8 interpolation (0 linear, 1 cubic), u8
 * filter flags (bit `p-1` set: pass `p` has a filter; bits 3-7 zero), then each flagged pass's
 * weights as little-endian int16 in units of `2^-14`, pass 1 first.
 */
export function encodePredictor(p: LevelPredictor): Uint8Array<ArrayBuffer> {
  let size = 2;
  p.filters.forEach((f, i) => {
    if (f !== null) {
      if (f.length !== FILTER_SIZES[i]) {
        throw new RangeError(`pass ${i + 1}'s filter must have ${FILTER_SIZES[i]} weights`);
      }
      size += 2 * f.length;
    }
  });
  const out = new Uint8Array(size), view = new DataView(out.buffer);
  out[0] = p.cubic ? 1 : 0;
  let o = 2;
  p.filters.forEach((f, i) => {
    if (f === null) return;
    out[1] |= 1 << i;
    for (const v of f) {
      view.setInt16(o, v, true);
      o += 2;
    }
  });
  return out;
}

/**
 * Reads a level predictor's record from the start of `bytes`.
 *
 * @returns The predictor and the record's length in bytes.
 * @throws {RangeError} On a record cut short, an unknown interpolation or reserved flag bits set.
 */
export function decodePredictor(bytes: Uint8Array): { predictor: LevelPredictor; length: number } {
  if (bytes.length < 2) {
    throw new RangeError(
      `learned prediction: the level's predictor needs 2 bytes, found ${bytes.length}`,
    );
  }
  if (bytes[0] > 1) {
    throw new RangeError(
      `learned prediction: interpolation ${bytes[0]} is neither 0 (linear) nor 1 (cubic)`,
    );
  }
  if (bytes[1] > 7) {
    throw new RangeError(`learned prediction: filter flags ${bytes[1]} set reserved bits`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const filters: (Int16Array | null)[] = [null, null, null];
  let o = 2;
  for (let i = 0; i < 3; i++) {
    if (!(bytes[1] & (1 << i))) continue;
    const m = FILTER_SIZES[i];
    if (o + 2 * m > bytes.length) {
      throw new RangeError(`learned prediction: pass ${i + 1}'s filter is cut short`);
    }
    const f = new Int16Array(m);
    for (let j = 0; j < m; j++, o += 2) f[j] = view.getInt16(o, true);
    filters[i] = f;
  }
  return { predictor: { cubic: bytes[0] === 1, filters }, length: o };
}

/** Per pass, the tap offsets `dy * s * W + dx * s` of a level of spacing `s`, in tap order. */
export function tapOffsets(s: number, W: number): Int32Array[] {
  return FILTER_TAPS.map((taps) => Int32Array.from(taps, ([dy, dx]) => dy * s * W + dx * s));
}

/**
 * The interior points of row `y` of pass `pass` (new points `x = x0, x0 + s2, ...` of spacing
 * `s`): `[xL, xR)`, the first interior `x` and the first `x` past them, or null when the row has
 * none (its taps leave the plane above or below, or no column fits).
 */
export function interiorColumns(
  pass: number,
  y: number,
  x0: number,
  s2: number,
  s: number,
  H: number,
  W: number,
): [number, number] | null {
  const [ry, rx] = REACH[pass - 1];
  if (y - ry * s < 0 || y + ry * s >= H) return null;
  let xL = x0;
  while (xL - rx * s < 0) xL += s2;
  let xR = xL;
  while (xR + rx * s < W) xR += s2;
  return xR > xL ? [xL, xR] : null;
}

/**
 * The filter's predictions of row `y`'s interior points of pass `pass`, `x = xL, xL + s2, ...
 * < xR` (from {@linkcode interiorColumns}), into `out` from index `j`: `bs + sum_i w_i * (rec -
 * bs)` at the taps, summed from 0 in tap order (mode space: `bs = 0`, and with `space` it is not
 * read); `w` from `filterWeights()`.
 */
export function filterRow(
  rec: Float32Array,
  o0: number,
  bs: Float64Array,
  y: number,
  xL: number,
  xR: number,
  s2: number,
  W: number,
  w: Float64Array,
  offsets: Int32Array,
  out: Float64Array,
  j: number,
  space = false,
): void {
  const m = w.length, row = y * W;
  if (space) {
    // Mode space (bs = 0): the same sums without reading bs (rec - 0 is rec, 0 + a is 0 + a).
    for (let x = xL; x < xR; x += s2, j++) {
      const g = o0 + row + x;
      let a = 0;
      for (let i = 0; i < m; i++) a += w[i] * rec[g + offsets[i]];
      out[j] = 0 + a;
    }
    return;
  }
  for (let x = xL; x < xR; x += s2, j++) {
    const p = row + x, g = o0 + p;
    let a = 0;
    for (let i = 0; i < m; i++) {
      const o = offsets[i];
      a += w[i] * (rec[g + o] - bs[p + o]);
    }
    out[j] = bs[p] + a;
  }
}

/** A least-squares problem of the fit: the samples' regressors and targets, in step units. */
interface Samples {
  /** `[count][m]` regressors (reconstructed taps) divided by the point's step. */
  a: Float64Array;
  /** Targets (the original values) divided by the point's step. */
  t: Float64Array;
  count: number;
}

/** Solves the `m x m` system `A w = b` (symmetric positive definite) in place; false if singular. */
function solve(A: Float64Array, b: Float64Array, m: number): boolean {
  // Cholesky: A = L L^T, L in the lower triangle.
  for (let j = 0; j < m; j++) {
    let d = A[j * m + j];
    for (let k = 0; k < j; k++) d -= A[j * m + k] * A[j * m + k];
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    A[j * m + j] = l;
    for (let i = j + 1; i < m; i++) {
      let v = A[i * m + j];
      for (let k = 0; k < j; k++) v -= A[i * m + k] * A[j * m + k];
      A[i * m + j] = v / l;
    }
  }
  for (let i = 0; i < m; i++) {
    let v = b[i];
    for (let k = 0; k < i; k++) v -= A[i * m + k] * b[k];
    b[i] = v / A[i * m + i];
  }
  for (let i = m - 1; i >= 0; i--) {
    let v = b[i];
    for (let k = i + 1; k < m; k++) v -= A[k * m + i] * b[k];
    b[i] = v / A[i * m + i];
  }
  return b.every(Number.isFinite);
}

/**
 * Fits a filter to `samples` by iteratively reweighted least squares on the residuals in step
 * units, its weights summing to 1 (a constant field is predicted exactly, whatever its offset,
 * also after the weights are rounded to `2^-14`): a least-squares start shrunk toward `prior`
 * (the fixed interpolation as a filter, which sums to 1), then `iterations` steps towards the
 * least absolute residual (a proxy for the coded size, which grows with the log of the residual,
 * and robust to the edges and fronts that drag a plain least-squares fit). Returns the weights in
 * units of `2^-14`, summing to exactly `2^14`, or null when the system is singular or a weight
 * falls outside -2 .. 2.
 */
export function fitFilter(
  samples: Samples,
  m: number,
  prior: Float64Array,
  iterations = 4,
): Int16Array | null {
  const { a, t, count } = samples;
  if (count < 4 * m) return null;
  // The weight of tap e (the prior's largest) is 1 - the others': regressors a_i - a_e, target
  // t - a_e, over the other m - 1 taps.
  let e = 0;
  for (let i = 1; i < m; i++) if (Math.abs(prior[i]) > Math.abs(prior[e])) e = i;
  const free = Array.from({ length: m }, (_, i) => i).filter((i) => i !== e), n1 = m - 1;
  const p = Float64Array.from(free, (i) => prior[i]);
  let w = Float64Array.from(p);
  const weights = new Float64Array(count).fill(1);
  const row = new Float64Array(n1);
  for (let it = 0; it <= iterations; it++) {
    const A = new Float64Array(n1 * n1), b = new Float64Array(n1);
    for (let n = 0; n < count; n++) {
      const c = weights[n], o = n * m, ae = a[o + e], tn = t[n] - ae;
      for (let i = 0; i < n1; i++) row[i] = a[o + free[i]] - ae;
      for (let i = 0; i < n1; i++) {
        const ai = row[i] * c;
        b[i] += ai * tn;
        for (let j = 0; j <= i; j++) A[i * n1 + j] += ai * row[j];
      }
    }
    let trace = 0;
    for (let i = 0; i < n1; i++) trace += A[i * n1 + i];
    const ridge = 1e-6 * trace / n1 + 1e-12;
    for (let i = 0; i < n1; i++) {
      for (let j = 0; j < i; j++) A[j * n1 + i] = A[i * n1 + j];
      A[i * n1 + i] += ridge;
      b[i] += ridge * p[i];
    }
    if (!solve(A, b, n1)) {
      if (it === 0) return null;
      break;
    }
    w = b;
    // Weights of the next step: 1 / max(|r|, 1/2), r the residual in steps.
    for (let n = 0; n < count; n++) {
      const o = n * m, ae = a[o + e];
      let r = t[n] - ae;
      for (let i = 0; i < n1; i++) r -= w[i] * (a[o + free[i]] - ae);
      const ar = r < 0 ? -r : r;
      weights[n] = 1 / (ar > 0.5 ? ar : 0.5);
    }
  }
  // Rounded to 2^-14, tap e taking what makes the sum exactly 2^14.
  const out = new Int16Array(m);
  let sum = 0;
  for (let i = 0; i < n1; i++) {
    const v = Math.round(w[i] / WEIGHT_UNIT);
    if (!(v >= -32768 && v <= 32767)) return null;
    out[free[i]] = v;
    sum += v;
  }
  const last = 16384 - sum;
  if (!(last >= -32768 && last <= 32767)) return null;
  out[e] = last;
  return out;
}

/** The fixed interpolation of pass `pass` in the interior, as weights on its taps. */
export function fixedFilter(pass: number, cubic: boolean): Float64Array {
  const taps = FILTER_TAPS[pass - 1];
  const along = (d: number) =>
    cubic ? (d === -3 || d === 3 ? -1 / 16 : 9 / 16) : (d === -1 || d === 1 ? 0.5 : 0);
  return Float64Array.from(taps, ([dy, dx]) => {
    if (pass === 1) return dy === 0 ? along(dx) : 0;
    if (pass === 2) return dx === 0 ? along(dy) : 0;
    // Pass 3: the mean of the row's and the column's interpolations.
    if (dy === 0) return 0.5 * along(dx);
    if (dx === 0) return 0.5 * along(dy);
    return 0;
  });
}

export type { Samples };
