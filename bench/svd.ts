/**
 * Symmetric eigensolver and proper orthogonal decomposition (POD, the SVD of
 * the snapshot matrix) by the method of snapshots, for the truncated-SVD peer.
 *
 * The eigensolver is the classic Householder tridiagonalisation followed by the
 * implicit QL algorithm (EISPACK `tred2`/`tql2`, as in JAMA's
 * `EigenvalueDecomposition`): O(n^3), about 0.3 s for n = 500 here.
 *
 * @module
 */

/** Eigen-decomposition of a symmetric matrix. */
export interface SymmetricEigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** Row-major `n x n`; column `k` (`vectors[i * n + k]`) is the unit eigenvector of `values[k]`. */
  vectors: Float64Array;
}

/**
 * Eigen-decompose the symmetric `n x n` row-major matrix `a` (only read, not
 * modified). Returns eigenvalues in descending order with orthonormal vectors.
 */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  if (a.length !== n * n) throw new TypeError(`Cannot decompose: ${a.length} values for ${n}x${n}`);
  const V = Float64Array.from(a);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n > 0) {
    tred2(V, d, e, n);
    tql2(V, d, e, n);
  }
  // Sort descending.
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[j] - d[i]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = d[src];
    for (let i = 0; i < n; i++) vectors[i * n + dst] = V[i * n + src];
  });
  return { values, vectors };
}

// Householder reduction to tridiagonal form; V accumulates the transformation.
function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k];
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate transformations.
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j];
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

// Implicit QL iterations on the tridiagonal matrix (d, e).
function tql2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m === n) m = n - 1; // e[n-1] is 0, so this only guards rounding.
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 100) throw new RangeError("Cannot decompose: QL iteration did not converge");
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          for (let k = 0; k < n; k++) {
            const row = k * n;
            h = V[row + i + 1];
            V[row + i + 1] = s * V[row + i] + c * h;
            V[row + i] = c * V[row + i] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}

/** POD of `T` snapshots of `P` values each: `x_t = mean + sum_k sigma_k v_k(t) phi_k`. */
export interface Pod {
  /** Snapshot count. */
  T: number;
  /** Values per snapshot. */
  P: number;
  /** Temporal mean of each value (zeros when not centred). */
  mean: Float64Array;
  /** Eigenvalues of the Gram matrix, descending, clamped at 0: `sigma_k^2`. */
  eigenvalues: Float64Array;
  /** `T x T` row-major right singular vectors (column k = `v_k`). */
  vectors: Float64Array;
  /** The centred snapshots, `T x P` row-major (kept to build modes). */
  centred: Float64Array;
}

/**
 * Method of snapshots: eigen-decompose the `T x T` Gram matrix `X^T X` of the
 * centred snapshot matrix (snapshots as columns). `data` is `T * P` values,
 * snapshot-major.
 */
export function podDecompose(
  data: ArrayLike<number>,
  T: number,
  P: number,
  options: { centre?: boolean } = {},
): Pod {
  const mean = new Float64Array(P);
  if (options.centre ?? true) {
    for (let t = 0; t < T; t++) for (let p = 0; p < P; p++) mean[p] += data[t * P + p];
    for (let p = 0; p < P; p++) mean[p] /= T;
  }
  const centred = new Float64Array(T * P);
  for (let t = 0; t < T; t++) {
    for (let p = 0; p < P; p++) centred[t * P + p] = data[t * P + p] - mean[p];
  }
  // Gram matrix of snapshot dot products; rows are contiguous so this streams memory.
  const gram = new Float64Array(T * T);
  for (let a = 0; a < T; a++) {
    const ra = centred.subarray(a * P, (a + 1) * P);
    for (let b = a; b < T; b++) {
      const rb = centred.subarray(b * P, (b + 1) * P);
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let p = 0;
      for (; p + 3 < P; p += 4) {
        s0 += ra[p] * rb[p];
        s1 += ra[p + 1] * rb[p + 1];
        s2 += ra[p + 2] * rb[p + 2];
        s3 += ra[p + 3] * rb[p + 3];
      }
      for (; p < P; p++) s0 += ra[p] * rb[p];
      gram[a * T + b] = gram[b * T + a] = s0 + s1 + s2 + s3;
    }
  }
  const { values, vectors } = symmetricEigen(gram, T);
  for (let k = 0; k < T; k++) if (values[k] < 0) values[k] = 0;
  return { T, P, mean, eigenvalues: values, vectors, centred };
}

/** Squared error summed over all values when keeping `rank` modes: the discarded eigenvalues. */
export function podTailEnergy(pod: Pod, rank: number): number {
  let s = 0;
  for (let k = pod.T - 1; k >= rank; k--) s += pod.eigenvalues[k];
  return s;
}

/** The rank-`r` factors: modes `phi` (`r x P`, unit norm) and coefficients (`r x T`). */
export interface PodFactors {
  rank: number;
  modes: Float64Array;
  coefficients: Float64Array;
}

/** Build the leading `rank` modes `phi_k = X v_k / sigma_k` and coefficients `sigma_k v_k(t)`. */
export function podFactors(pod: Pod, rank: number): PodFactors {
  const { T, P, centred, vectors, eigenvalues } = pod;
  // Modes with (numerically) zero energy carry nothing: drop them.
  const top = eigenvalues[0] ?? 0;
  let r = Math.min(rank, T);
  while (r > 0 && eigenvalues[r - 1] <= top * 1e-28) r--;
  const modes = new Float64Array(r * P);
  const coefficients = new Float64Array(r * T);
  for (let k = 0; k < r; k++) {
    const sigma = Math.sqrt(eigenvalues[k]);
    const mode = modes.subarray(k * P, (k + 1) * P);
    for (let t = 0; t < T; t++) {
      const w = vectors[t * T + k];
      coefficients[k * T + t] = sigma * w;
      const row = centred.subarray(t * P, (t + 1) * P);
      const scaled = w / sigma;
      for (let p = 0; p < P; p++) mode[p] += scaled * row[p];
    }
  }
  return { rank: r, modes, coefficients };
}

/** Rebuild the `T x P` snapshots from a mean, modes and coefficients. */
export function podReconstruct(
  mean: ArrayLike<number>,
  modes: ArrayLike<number>,
  coefficients: ArrayLike<number>,
  rank: number,
  T: number,
  P: number,
): Float32Array {
  const out = new Float32Array(T * P);
  const row = new Float64Array(P);
  for (let t = 0; t < T; t++) {
    for (let p = 0; p < P; p++) row[p] = mean[p];
    for (let k = 0; k < rank; k++) {
      const c = coefficients[k * T + t];
      const base = k * P;
      for (let p = 0; p < P; p++) row[p] += c * modes[base + p];
    }
    out.set(row, t * P);
  }
  return out;
}
