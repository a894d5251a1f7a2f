// This module is browser compatible.
/**
 * The predictions of bounded coding (SPEC.md §4.7.3): the spatial interpolation of a level's new
 * points (the reference sum {@linkcode along} and the specialized row loops of
 * {@linkcode predictRow}, which give the same values) and the time base of a snapshot.
 *
 * @module
 */

import { axisWeights, type PlannedSnapshot } from "./plan.ts";

/** Axis weights `[n][4]` of one level (only new coordinates are set). */
export function axisTable(n: number, s: number, cubic: boolean): Float64Array {
  const out = new Float64Array(4 * n);
  for (let i = 0; i < n; i++) {
    if ((i + 1) % (2 * s) === s) out.set(axisWeights(i, s, n, cubic), 4 * i);
  }
  return out;
}

/**
 * Interpolates `rec - bs` along one axis around in-plane index `p` with the weights `w[wi..wi+3]`
 * at offsets `-3st, -st, +st, +3st`, skipping zero weights, in that order (SPEC.md §4.7.3).
 */
export function along(
  rec: Float32Array,
  o0: number,
  bs: Float64Array,
  p: number,
  w: Float64Array,
  wi: number,
  st: number,
): number {
  let a = 0;
  const w0 = w[wi], w1 = w[wi + 1], w2 = w[wi + 2], w3 = w[wi + 3];
  if (w0 !== 0 && w3 !== 0) {
    // Interior: all four taps.
    const g = o0 + p;
    a += w0 * (rec[g - 3 * st] - bs[p - 3 * st]);
    a += w1 * (rec[g - st] - bs[p - st]);
    a += w2 * (rec[g + st] - bs[p + st]);
    a += w3 * (rec[g + 3 * st] - bs[p + 3 * st]);
    return a;
  }
  if (w0 !== 0) a += w0 * (rec[o0 + p - 3 * st] - bs[p - 3 * st]);
  if (w1 !== 0) a += w1 * (rec[o0 + p - st] - bs[p - st]);
  if (w2 !== 0) a += w2 * (rec[o0 + p + st] - bs[p + st]);
  if (w3 !== 0) a += w3 * (rec[o0 + p + 3 * st] - bs[p + 3 * st]);
  return a;
}

/** {@linkcode along} with `bs = 0` (mode space): the same sums, without reading `bs`. */
export function alongRec(
  rec: Float32Array,
  g: number,
  w: Float64Array,
  wi: number,
  st: number,
): number {
  let a = 0;
  const w0 = w[wi], w1 = w[wi + 1], w2 = w[wi + 2], w3 = w[wi + 3];
  if (w0 !== 0 && w3 !== 0) {
    // Interior: all four taps.
    a += w0 * rec[g - 3 * st];
    a += w1 * rec[g - st];
    a += w2 * rec[g + st];
    a += w3 * rec[g + 3 * st];
    return a;
  }
  if (w0 !== 0) a += w0 * rec[g - 3 * st];
  if (w1 !== 0) a += w1 * rec[g - st];
  if (w2 !== 0) a += w2 * rec[g + st];
  if (w3 !== 0) a += w3 * rec[g + 3 * st];
  return a;
}

/**
 * The predictions of the new points of row `y` in pass `pass` (SPEC.md §4.7.3) into `out`, those
 * with `x0 <= x < end` (default: to the row's end); returns their count. The common interior case (all four taps) is written out; the sums are those of
 * {@linkcode along} and {@linkcode alongRec}, in the same order.
 */
export function predictRow(
  rec: Float32Array,
  o0: number,
  bs: Float64Array,
  space: boolean,
  timeOnly: boolean,
  pass: number,
  y: number,
  x0: number,
  s2: number,
  s: number,
  sw: number,
  W: number,
  colW: Float64Array,
  rowW: Float64Array,
  out: Float64Array,
  end = W,
): number {
  let i = 0;
  const row = y * W;
  if (timeOnly) {
    for (let x = x0; x < end; x += s2) out[i++] = bs[row + x];
    return i;
  }
  // Row-constant weights along y (passes 2 and 3).
  const v0 = rowW[4 * y], v1 = rowW[4 * y + 1], v2 = rowW[4 * y + 2], v3 = rowW[4 * y + 3];
  const yInterior = v0 !== 0 && v3 !== 0;
  const s3 = 3 * s, sw3 = 3 * sw;
  if (space) {
    // Mode space (the most common): the same sums as below, with pass and mode out of the loop.
    const base = o0 + row;
    if (pass === 2) {
      if (yInterior) {
        for (let x = x0; x < end; x += s2) {
          const g = base + x;
          let ay = 0;
          ay += v0 * rec[g - sw3];
          ay += v1 * rec[g - sw];
          ay += v2 * rec[g + sw];
          ay += v3 * rec[g + sw3];
          out[i++] = 0 + ay;
        }
      } else {
        for (let x = x0; x < end; x += s2) out[i++] = 0 + alongRec(rec, base + x, rowW, 4 * y, sw);
      }
      return i;
    }
    for (let x = x0; x < end; x += s2) {
      const g = base + x, wi = 4 * x;
      const w0 = colW[wi], w3 = colW[wi + 3];
      let ax = 0;
      if (w0 !== 0 && w3 !== 0) {
        ax += w0 * rec[g - s3];
        ax += colW[wi + 1] * rec[g - s];
        ax += colW[wi + 2] * rec[g + s];
        ax += w3 * rec[g + s3];
      } else ax = alongRec(rec, g, colW, wi, s);
      if (pass === 1) {
        out[i++] = 0 + ax;
        continue;
      }
      let ay = 0;
      if (yInterior) {
        ay += v0 * rec[g - sw3];
        ay += v1 * rec[g - sw];
        ay += v2 * rec[g + sw];
        ay += v3 * rec[g + sw3];
      } else ay = alongRec(rec, g, rowW, 4 * y, sw);
      out[i++] = 0 + 0.5 * (ax + ay);
    }
    return i;
  }
  // Mode time+space: the same on rec - bs.
  if (pass === 2) {
    for (let x = x0; x < end; x += s2) {
      const p = row + x, g = o0 + p;
      let ay = 0;
      if (yInterior) {
        ay += v0 * (rec[g - sw3] - bs[p - sw3]);
        ay += v1 * (rec[g - sw] - bs[p - sw]);
        ay += v2 * (rec[g + sw] - bs[p + sw]);
        ay += v3 * (rec[g + sw3] - bs[p + sw3]);
      } else ay = along(rec, o0, bs, p, rowW, 4 * y, sw);
      out[i++] = bs[p] + ay;
    }
    return i;
  }
  for (let x = x0; x < end; x += s2) {
    const p = row + x, g = o0 + p, wi = 4 * x;
    const w0 = colW[wi], w3 = colW[wi + 3];
    let ax = 0;
    if (w0 !== 0 && w3 !== 0) {
      ax += w0 * (rec[g - s3] - bs[p - s3]);
      ax += colW[wi + 1] * (rec[g - s] - bs[p - s]);
      ax += colW[wi + 2] * (rec[g + s] - bs[p + s]);
      ax += w3 * (rec[g + s3] - bs[p + s3]);
    } else ax = along(rec, o0, bs, p, colW, wi, s);
    if (pass === 1) {
      out[i++] = bs[p] + ax;
      continue;
    }
    let ay = 0;
    if (yInterior) {
      ay += v0 * (rec[g - sw3] - bs[p - sw3]);
      ay += v1 * (rec[g - sw] - bs[p - sw]);
      ay += v2 * (rec[g + sw] - bs[p + sw]);
      ay += v3 * (rec[g + sw3] - bs[p + sw3]);
    } else ay = along(rec, o0, bs, p, rowW, 4 * y, sw);
    out[i++] = bs[p] + 0.5 * (ax + ay);
  }
  return i;
}

/**
 * The time prediction of snapshot `f` (Lagrange weights over its nodes, summed from 0 in node
 * order) at the points of levels `0..k` (spacing `s`) into `base`, or, with `newOnly` (mode time,
 * which reads no other point), only at the points level `k` adds.
 */
export function timeBase(
  rec: Float32Array,
  base: Float64Array,
  H: number,
  W: number,
  f: PlannedSnapshot,
  s: number,
  newOnly: boolean,
): void {
  const plane = H * W;
  const nodes = f.nodes, w = f.weights, m = nodes.length;
  const o0 = nodes[0] * plane, o1 = m > 1 ? nodes[1] * plane : 0;
  const o2 = m > 2 ? nodes[2] * plane : 0, o3 = m > 3 ? nodes[3] * plane : 0;
  const w0 = w[0], w1 = m > 1 ? w[1] : 0, w2 = m > 2 ? w[2] : 0, w3 = m > 3 ? w[3] : 0;
  const coarse = 2 * s;
  for (let y = s - 1; y < H; y += s) {
    // With newOnly, rows of the coarser level only need their new columns.
    const oldRow = newOnly && (y + 1) % coarse === 0;
    // Both start at column s - 1; on an old row the coarser level's columns are skipped.
    const dx = oldRow ? coarse : s;
    for (let x = s - 1; x < W; x += dx) {
      const p = y * W + x;
      let v = 0;
      v += w0 * rec[o0 + p];
      if (m > 1) v += w1 * rec[o1 + p];
      if (m > 2) v += w2 * rec[o2 + p];
      if (m > 3) v += w3 * rec[o3 + p];
      base[p] = v;
    }
  }
}
