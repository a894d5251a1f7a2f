// This module is browser compatible.
// Copying a level's points out of a block's reconstruction, and putting the missing values back:
// shared by the bounded engine, `output.ts` and the decode worker (`decode_worker.ts`), so all
// give the same values. No imports: the worker's
// module graph stays within `src/bounded/` and this file.

/**
 * Copies the points of a level out of a block's `[n][H][W]` reconstruction `rec`: snapshots
 * `from .. from + count - 1` of the block, at the original rows `rows` and columns `cols`, into
 * `data` (`count * rows.length * cols.length` values, C order).
 */
export function gatherLevel(
  rec: Float32Array,
  H: number,
  W: number,
  rows: Int32Array,
  cols: Int32Array,
  from: number,
  count: number,
  data: Float32Array,
): void {
  const nr = rows.length, nc = cols.length;
  for (let t = 0; t < count; t++) {
    const src = (from + t) * H * W;
    for (let i = 0; i < nr; i++) {
      const r = src + rows[i] * W, d = (t * nr + i) * nc;
      for (let j = 0; j < nc; j++) data[d + j] = rec[r + cols[j]];
    }
  }
}

/**
 * Puts `hole` wherever `missing` (`[..][H][W]`, snapshot `from + t` for output snapshot `t`) marks
 * a point of the level gathered into `data` (rows `rows`, columns `cols`).
 */
export function fillHoles(
  missing: Uint8Array,
  H: number,
  W: number,
  rows: Int32Array,
  cols: Int32Array,
  from: number,
  count: number,
  data: Float32Array | Float64Array,
  hole: number,
): void {
  const nr = rows.length, nc = cols.length;
  for (let t = 0; t < count; t++) {
    for (let i = 0; i < nr; i++) {
      const m = (from + t) * H * W + rows[i] * W;
      const dst = (t * nr + i) * nc;
      for (let j = 0; j < nc; j++) if (missing[m + cols[j]]) data[dst + j] = hole;
    }
  }
}
