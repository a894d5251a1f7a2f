// This module is browser compatible.
/**
 * Pure-TypeScript decoding of MrCAE codes: level `k` is a recursion of strided
 * transposed convolutions (see `src/model.ts`), so no ML framework is needed.
 *
 * Everything here works in the normalized units the network was trained in;
 * `src/codec_read.ts` crops, de-normalizes and restores missing values.
 *
 * @module
 */

import { deconvPadded, scatterSparse } from "./ops.ts";
import type { Filter } from "./model.ts";

/** What decoding one level needs besides its codes. */
export interface LevelDecoderParts {
  /** Level grid `[h, w]`. */
  grid: [number, number];
  /** Latent grid `[lh, lw]`. */
  latent: [number, number];
  /** `d(k)`: padded deconv of the base code (level 0) or of `y_{k-1}` (above). */
  deconv: Filter;
  /** Widening groups: decoder kernels and the kept latent positions. */
  groups: DecoderGroup[];
  /** Quantization step of the base code (level 0 only). */
  baseStep: number | null;
  /** Quantization step of each group's codes. */
  groupSteps: number[];
}

/** One widening group as the decoder sees it. */
export interface DecoderGroup {
  channels: number;
  /** `channels * 9` kernels, channel-major. */
  deconvKernels: Float32Array;
  deconvBias: number;
  /** Kept latent positions (row-major indices into the latent grid), ascending. */
  positions: Int32Array;
}

/**
 * Number of code values per snapshot of every stream of a level, in stream
 * order: the base code (level 0 only), then each group's channels.
 */
export function streamSizes(parts: LevelDecoderParts, level: number): number[] {
  const sizes: number[] = [];
  if (level === 0) sizes.push(parts.latent[0] * parts.latent[1]);
  for (const g of parts.groups) {
    for (let c = 0; c < g.channels; c++) sizes.push(g.positions.length);
  }
  return sizes;
}

/**
 * Decodes `count` snapshots of one level.
 *
 * @param parts The level's decoder.
 * @param level The level index (0 uses the base code, others `prev`).
 * @param prev The previous level's output for the same snapshots (`count * h_{k-1} * w_{k-1}`), or null at level 0.
 * @param streams Quantized codes, one stream per `streamSizes()` entry, each snapshot-major, starting at snapshot `first`.
 * @param first Index of the first snapshot to decode within `streams`.
 * @param count Number of snapshots to decode.
 * @param out Where to write (`count * h * w`), normalized units.
 */
export function decodeLevel(
  parts: LevelDecoderParts,
  level: number,
  prev: Float32Array | null,
  streams: ArrayLike<number>[],
  first: number,
  count: number,
  out: Float32Array,
): void {
  const [h, w] = parts.grid;
  const [lh, lw] = parts.latent;
  const plane = h * w;
  let bias = 0;
  for (const g of parts.groups) bias += g.deconvBias;
  const baseLatent = new Float32Array(lh * lw);
  let maxCount = 0;
  for (const g of parts.groups) maxCount = Math.max(maxCount, g.positions.length * g.channels);
  const values = new Float32Array(maxCount);
  for (let t = 0; t < count; t++) {
    const dst = out.subarray(t * plane, (t + 1) * plane);
    let s = 0;
    if (level === 0) {
      const base = streams[s++];
      const step = parts.baseStep ?? 1;
      const off = (first + t) * lh * lw;
      for (let i = 0; i < lh * lw; i++) baseLatent[i] = base[off + i] * step;
      deconvPadded(baseLatent, lh, lw, parts.deconv.kernel, parts.deconv.bias + bias, dst);
    } else {
      if (prev === null) {
        throw new TypeError(`Cannot decode level ${level}: the previous level is missing`);
      }
      deconvPadded(
        prev.subarray(t * lh * lw, (t + 1) * lh * lw),
        lh,
        lw,
        parts.deconv.kernel,
        parts.deconv.bias + bias,
        dst,
      );
    }
    for (let gi = 0; gi < parts.groups.length; gi++) {
      const g = parts.groups[gi];
      const n = g.positions.length;
      const step = parts.groupSteps[gi];
      for (let c = 0; c < g.channels; c++) {
        const stream = streams[s++];
        const off = (first + t) * n;
        for (let i = 0; i < n; i++) values[c * n + i] = stream[off + i] * step;
      }
      if (n > 0) scatterSparse(dst, w, g.positions, lw, g.deconvKernels, g.channels, values, 0);
    }
  }
}
