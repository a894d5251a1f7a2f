// This module is browser compatible.
/**
 * Model coding's least-squares refinement of the codes, level by level.
 *
 * The trained decoder is linear in the codes, so for fixed decoder weights the
 * codes that reproduce a snapshot best are the solution of a small sparse least-
 * squares problem. The trained encoder gives a good starting point; a few
 * conjugate-gradient (CGLS) iterations from there can only lower the error on
 * the level's data (CG decreases the residual monotonically).
 *
 * Refinement runs coarse to fine, and each level fits the residual left by the
 * already quantized lower levels: level `k`'s codes correct part of the
 * quantization error of levels `< k` (closed-loop coding), and every level
 * stays the best fit of its own data given what a progressive decoder has
 * already shown.
 *
 * @module
 */

import { deconvPadded, deconvPaddedAdjoint } from "../model/ops.ts";
import { type LevelDecoderParts, streamSizes } from "../model/level_decoder.ts";
import { type StreamLayout, streamLayout } from "../../format/geometry.ts";

/** Applies a level's code-to-output map (without biases and without the previous level) and its adjoint. */
export class LevelOperator {
  readonly parts: LevelDecoderParts;
  readonly level: number;
  /** Stream order of the level. */
  readonly layout: StreamLayout;
  /** Offsets of each stream in a snapshot's code vector; the last entry is its length. */
  readonly offsets: number[];
  readonly #latent: Float32Array;
  readonly #plane: Float32Array;
  readonly #adjoint: Float64Array;

  constructor(parts: LevelDecoderParts, level: number) {
    this.parts = parts;
    this.level = level;
    this.layout = streamLayout(parts.groups.map((g) => g.channels), level === 0);
    const offsets = [0];
    for (const size of streamSizes(parts, level)) offsets.push(offsets[offsets.length - 1] + size);
    this.offsets = offsets;
    this.#latent = new Float32Array(parts.latent[0] * parts.latent[1]);
    this.#plane = new Float32Array(parts.grid[0] * parts.grid[1]);
    this.#adjoint = new Float64Array(parts.latent[0] * parts.latent[1]);
  }

  /** Length of one snapshot's code vector. */
  get size(): number {
    return this.offsets[this.offsets.length - 1];
  }

  /** Squared norm of one column of stream `s` (an interior code): its kernel's energy. */
  columnEnergy(s: number): number {
    const { parts } = this;
    const g = this.layout.groupOf[s];
    const c = s - this.layout.groupStart[g];
    const kernel = g < 0
      ? parts.deconv.kernel
      : parts.groups[g].deconvKernels.subarray(9 * c, 9 * c + 9);
    let e = 0;
    for (const v of kernel) e += v * v;
    return e;
  }

  /** `out = A x` on the level grid. */
  apply(x: Float64Array, out: Float64Array): void {
    const { parts } = this;
    const w = parts.grid[1];
    const [lh, lw] = parts.latent;
    if (this.layout.base !== null) {
      const z = this.#latent;
      const off = this.offsets[this.layout.base];
      for (let i = 0; i < z.length; i++) z[i] = x[off + i];
      deconvPadded(z, lh, lw, parts.deconv.kernel, 0, this.#plane);
      for (let i = 0; i < out.length; i++) out[i] = this.#plane[i];
    } else {
      out.fill(0);
    }
    for (let gi = 0; gi < parts.groups.length; gi++) {
      const g = parts.groups[gi];
      const n = g.positions.length;
      for (let c = 0; c < g.channels; c++) {
        const s = this.layout.groupStart[gi] + c;
        const off = this.offsets[s];
        const k = g.deconvKernels;
        const kb = 9 * c;
        for (let m = 0; m < n; m++) {
          const v = x[off + m];
          if (v === 0) continue;
          const p = g.positions[m];
          const i = (p / lw) | 0, j = p - i * lw;
          const base = 2 * i * w + 2 * j;
          for (let dy = 0; dy < 3; dy++) {
            const row = base + dy * w;
            out[row] += k[kb + 3 * dy] * v;
            out[row + 1] += k[kb + 3 * dy + 1] * v;
            out[row + 2] += k[kb + 3 * dy + 2] * v;
          }
        }
      }
    }
  }

  /** `out = A^T r` (a stride-2 correlation at every code position). */
  adjoint(r: Float64Array, out: Float64Array): void {
    const { parts } = this;
    const w = parts.grid[1];
    const [, lw] = parts.latent;
    if (this.layout.base !== null) {
      deconvPaddedAdjoint(r, parts.latent[0], lw, parts.deconv.kernel, this.#adjoint);
      out.set(this.#adjoint, this.offsets[this.layout.base]);
    }
    for (let gi = 0; gi < parts.groups.length; gi++) {
      const g = parts.groups[gi];
      const n = g.positions.length;
      for (let c = 0; c < g.channels; c++) {
        const s = this.layout.groupStart[gi] + c;
        const off = this.offsets[s];
        const k = g.deconvKernels;
        const kb = 9 * c;
        for (let m = 0; m < n; m++) {
          const p = g.positions[m];
          const i = (p / lw) | 0, j = p - i * lw;
          const base = 2 * i * w + 2 * j;
          let acc = 0;
          for (let dy = 0; dy < 3; dy++) {
            const row = base + dy * w;
            acc += k[kb + 3 * dy] * r[row] + k[kb + 3 * dy + 1] * r[row + 1] +
              k[kb + 3 * dy + 2] * r[row + 2];
          }
          out[off + m] = acc;
        }
      }
    }
  }
}

/**
 * Refines the codes of `count` snapshots of one level in place.
 *
 * @param op The level's operator.
 * @param streams The codes (one array per stream, snapshot-major): the start point, overwritten.
 * @param target The level's data, `count * h * w`.
 * @param valid 1 where `target` counts, same layout (or `h * w`, shared).
 * @param prev The previous level's decoded output (`count * lh * lw`), or null at level 0.
 * @param iterations CG iterations per snapshot.
 */
export function refineCodes(
  op: LevelOperator,
  streams: Float32Array[],
  target: Float32Array,
  valid: Uint8Array,
  prev: Float32Array | null,
  iterations: number,
): void {
  const { parts, offsets } = op;
  const [h, w] = parts.grid;
  const [lh, lw] = parts.latent;
  const plane = h * w;
  const count = target.length / plane;
  const sharedValid = valid.length === plane;
  let bias = parts.deconv.bias;
  for (const g of parts.groups) bias += g.deconvBias;
  const n = op.size;
  // Jacobi preconditioning: solve for y = x / jacobi with columns of unit norm, so that streams
  // whose decoder kernels are still small (a freshly widened group) converge as fast as the rest.
  const jacobi = new Float64Array(n);
  for (let si = 0; si + 1 < offsets.length; si++) {
    const norm = Math.sqrt(op.columnEnergy(si));
    jacobi.fill(norm > 1e-12 ? 1 / norm : 0, offsets[si], offsets[si + 1]);
  }
  const x = new Float64Array(n), s = new Float64Array(n), p = new Float64Array(n);
  const scaled = new Float64Array(n);
  const r = new Float64Array(plane), q = new Float64Array(plane), fixed = new Float32Array(plane);
  for (let t = 0; t < count; t++) {
    const vOff = sharedValid ? 0 : t * plane;
    // Fixed part of the output: biases and the previous level.
    if (prev) {
      deconvPadded(
        prev.subarray(t * lh * lw, (t + 1) * lh * lw),
        lh,
        lw,
        parts.deconv.kernel,
        bias,
        fixed,
      );
    } else fixed.fill(bias);
    for (let si = 0; si < streams.length; si++) {
      const len = offsets[si + 1] - offsets[si];
      const src = streams[si];
      for (let m = 0; m < len; m++) x[offsets[si] + m] = src[t * len + m];
    }
    op.apply(x, q);
    for (let i = 0; i < plane; i++) {
      r[i] = valid[vOff + i] ? target[t * plane + i] - fixed[i] - q[i] : 0;
    }
    op.adjoint(r, s);
    for (let i = 0; i < n; i++) s[i] *= jacobi[i];
    let gamma = dot(s, s);
    const gamma0 = gamma;
    p.set(s);
    for (let it = 0; it < iterations && gamma > 1e-20 && gamma > 1e-14 * gamma0; it++) {
      for (let i = 0; i < n; i++) scaled[i] = p[i] * jacobi[i];
      op.apply(scaled, q);
      let qq = 0;
      for (let i = 0; i < plane; i++) {
        if (!valid[vOff + i]) q[i] = 0;
        qq += q[i] * q[i];
      }
      if (qq <= 0) break;
      const alpha = gamma / qq;
      for (let i = 0; i < n; i++) x[i] += alpha * scaled[i];
      for (let i = 0; i < plane; i++) r[i] -= alpha * q[i];
      op.adjoint(r, s);
      for (let i = 0; i < n; i++) s[i] *= jacobi[i];
      const next = dot(s, s);
      const beta = next / gamma;
      gamma = next;
      for (let i = 0; i < n; i++) p[i] = s[i] + beta * p[i];
    }
    for (let si = 0; si < streams.length; si++) {
      const len = offsets[si + 1] - offsets[si];
      const dst = streams[si];
      for (let m = 0; m < len; m++) dst[t * len + m] = x[offsets[si] + m];
    }
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
