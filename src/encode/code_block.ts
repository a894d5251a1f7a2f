// This module is browser compatible.
/**
 * The coding of one block of a bounded file at one bound, with its per-level error tallies: the
 * unit of work of bounded compression, run on the calling thread or in a worker
 * (`block_worker.ts`), with the same result either way.
 *
 * @module
 */

import { BlockCoder, type BlockParams, type LevelCodingStats } from "../bounded/block_coder.ts";
import { ErrorTally } from "../metrics.ts";

/** What coding a block gives: per level, its `BCOD` bytes, its counts and its errors. */
export interface CodedBlock {
  chunks: Uint8Array<ArrayBuffer>[];
  stats: LevelCodingStats[];
  /** Per level: `[count, sumSquares, maxAbsError]` of the points whose level it is. */
  tallies: [number, number, number][];
}

/** Level of each row (column) index `i` of `n`: the coarsest level whose lattice holds it, or N. */
function lattice(n: number, N: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => {
    for (let k = 0; k < N; k++) if ((i + 1) % 2 ** (N - 1 - k) === 0) return k;
    return N;
  });
}

/**
 * Codes every level of a block and tallies the errors of its reconstruction.
 *
 * @param x The block's `n * H * W` values.
 * @param missing Its missing mask, or null.
 */
export function codeBlock(
  params: BlockParams,
  x: Float32Array | Float64Array,
  missing: Uint8Array | null,
): CodedBlock {
  const parts = codeBlockInParts(params, x, missing);
  for (let r = parts.next();; r = parts.next()) if (r.done) return r.value;
}

/**
 * Share of a block's coding time that level `k` of `N` takes: its share of the points (level 0
 * `4^-(N-1)`, level k > 0 `3 * 4^-(N-k)`, the points it adds), which sets the work of a
 * (snapshot, level). The shares sum to 1.
 */
function levelShare(k: number, N: number): number {
  return k === 0 ? 4 ** -(N - 1) : 3 * 4 ** -(N - k);
}

/** Share of a block's time taken by the error tallies after the levels (measured about 5%). */
const TALLY_SHARE = 0.05;

/**
 * {@linkcode codeBlock} in steps: the generator yields after each (snapshot, level) and after each
 * snapshot of the error tallies, the share of the block done so far (0 to 1, by points), and
 * returns the coded block. The result is the same as `codeBlock`'s; a caller on a thread it must
 * keep responsive yields to its event loop between parts (a part is one snapshot's plane).
 *
 * @param x The block's `n * H * W` values.
 * @param missing Its missing mask, or null.
 */
export function* codeBlockInParts(
  params: BlockParams,
  x: Float32Array | Float64Array,
  missing: Uint8Array | null,
): Generator<number, CodedBlock, void> {
  const { n, H, W, levels: N } = params;
  const coder = new BlockCoder(params, missing);
  const chunks: Uint8Array<ArrayBuffer>[] = [], stats: LevelCodingStats[] = [];
  let before = 0;
  for (let k = 0; k < N; k++) {
    const share = (1 - TALLY_SHARE) * levelShare(k, N);
    const snapshots = coder.encodeLevelBySnapshot(x);
    for (let r = snapshots.next();; r = snapshots.next()) {
      if (r.done) {
        chunks.push(r.value.bytes);
        stats.push(r.value.stats);
        break;
      }
      yield before + share * r.value / n;
    }
    before += share;
    yield before;
  }
  // Errors: a point belongs to level max(rowLevel, colLevel) and to every finer one. Missing
  // points are left out; a NaN at any other point is a value and must come back bit for bit.
  const rowLevel = lattice(H, N), colLevel = lattice(W, N);
  const tallies = Array.from({ length: N }, () => new ErrorTally({ nanBits: true }));
  const rec = coder.rec, plane = H * W;
  for (let t = 0; t < n; t++) {
    for (let i = 0; i < H; i++) {
      const lr = rowLevel[i];
      if (lr >= N) continue;
      for (let j = 0; j < W; j++) {
        const lv = Math.max(lr, colLevel[j]);
        if (lv >= N) continue;
        const g = t * plane + i * W + j;
        if (missing && missing[g]) continue;
        tallies[lv].add(x[g], rec[g]);
      }
    }
    if (t + 1 < n) yield before + TALLY_SHARE * (t + 1) / n;
  }
  return {
    chunks,
    stats,
    tallies: tallies.map((t) => [t.count, t.sumSquares, t.maxAbsError]),
  };
}
