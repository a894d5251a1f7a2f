// This module is browser compatible.
/**
 * Pure-TypeScript decoding of MrCAE codes: level `k` is a recursion of strided
 * transposed convolutions (see `model.ts`), so no ML framework is needed.
 *
 * Everything here works in the normalized units the network was trained in;
 * `src/read/` crops, de-normalizes and restores missing values.
 *
 * @module
 */

import { deconvPadded, maskPositions, scatterCodes, stampOrigins } from "./ops.ts";
import type { Filter, GroupModel, LevelModel } from "./model.ts";
import { CHUNK_TYPES } from "../../format/chunks.ts";
import { MrcFormatError } from "../../format/error.ts";
import type { MrcHeader, MrcLevelHeader } from "../../format/header.ts";
import { streamLayout } from "../../format/geometry.ts";
import type { LevelWeights } from "../../format/level_weights.ts";

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
 * The decoder half of one level, wherever it comes from: a trained `LevelModel`, or a file's
 * `DECW` weights with its header and `MASK` masks.
 */
export interface LevelDecoderSource extends Pick<LevelModel, "grid" | "latent" | "deconv"> {
  /** Widening groups: decoder kernels, bias and the latent-grid mask (1 where applied). */
  groups: readonly Pick<GroupModel, "channels" | "deconvKernels" | "deconvBias" | "mask">[];
}

/**
 * The one factory of {@linkcode LevelDecoderParts}: the decoder of a level and the quantization
 * steps of its streams.
 *
 * @param level The level's decoder weights, grids and masks.
 * @param quant Steps as the header stores them: `base` (level 0, else null) and one per group.
 */
export function levelDecoderParts(
  level: LevelDecoderSource,
  quant: MrcLevelHeader["quant"],
): LevelDecoderParts {
  return {
    grid: level.grid,
    latent: level.latent,
    deconv: level.deconv,
    groups: level.groups.map((g) => ({
      channels: g.channels,
      deconvKernels: g.deconvKernels,
      deconvBias: g.deconvBias,
      positions: maskPositions(g.mask),
    })),
    baseStep: quant.base,
    groupSteps: [...quant.groups],
  };
}

/** A level's decoder from a file: its header entry, `DECW` weights and `MASK` masks. */
export function fileLevelParts(
  header: MrcHeader,
  level: number,
  weights: LevelWeights,
  masks: Uint8Array[],
): LevelDecoderParts {
  const lv = header.levels[level];
  return levelDecoderParts({
    grid: lv.grid,
    latent: lv.latent,
    deconv: weights.deconv,
    groups: weights.groups.map((g, i) => ({
      channels: lv.groups[i],
      deconvKernels: g.deconvKernels,
      deconvBias: g.deconvBias,
      mask: masks[i],
    })),
  }, lv.quant);
}

/**
 * Per-stream steps (one per entry of {@linkcode streamSizes}) as the header stores them: the base
 * step, and one per group (the step of the group's first stream; a group's channels share it).
 */
export function streamQuant(
  steps: readonly number[],
  groups: readonly number[],
  hasBase: boolean,
): MrcLevelHeader["quant"] {
  const layout = streamLayout(groups, hasBase);
  return {
    base: layout.base === null ? null : steps[layout.base],
    groups: layout.groupStart.map((s) => steps[s]),
  };
}

/** Channels of every group of a level. */
function channelsOf(parts: LevelDecoderParts): number[] {
  return parts.groups.map((g) => g.channels);
}

/**
 * Number of code values per snapshot of every stream of a level, in stream
 * order (`streamLayout`): the base code (level 0 only), then each group's channels.
 */
export function streamSizes(parts: LevelDecoderParts, level: number): number[] {
  return streamLayout(channelsOf(parts), level === 0).groupOf.map((g) =>
    g < 0 ? parts.latent[0] * parts.latent[1] : parts.groups[g].positions.length
  );
}

/**
 * Checks decoded `CODE` streams against what the header and masks say a block of
 * `snapshotCount` snapshots holds.
 *
 * @throws {MrcFormatError} When they disagree.
 */
export function checkStreams(
  streams: ArrayLike<number>[],
  snapshotCount: number,
  parts: LevelDecoderParts,
  level: number,
  block: number,
): void {
  const sizes = streamSizes(parts, level);
  const ok = streams.length === sizes.length &&
    streams.every((s, i) => s.length === sizes[i] * snapshotCount);
  if (!ok) {
    throw new MrcFormatError(
      `Cannot decode chunk "${CHUNK_TYPES.code}" of level ${level}, block ${block}: its streams disagree with the header and masks (expected ${sizes.length} streams of ${
        sizes.join(", ")
      } values per snapshot)`,
      { chunkType: CHUNK_TYPES.code },
    );
  }
}

// Stamp origins per positions array: a caller decoding one snapshot at a time (MrcFile.decode)
// would otherwise recompute them for every snapshot. Keyed weakly, so they go with the parts.
const originCache = new WeakMap<Int32Array, { lw: number; w: number; origins: Int32Array }>();

function originsOf(positions: Int32Array, lw: number, w: number): Int32Array {
  const hit = originCache.get(positions);
  if (hit !== undefined && hit.lw === lw && hit.w === w) return hit.origins;
  const origins = stampOrigins(positions, lw, w);
  originCache.set(positions, { lw, w, origins });
  return origins;
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
  const plane = h * w, latentPlane = lh * lw;
  let groupBias = 0;
  for (const g of parts.groups) groupBias += g.deconvBias;
  const bias = parts.deconv.bias + groupBias;
  if (level !== 0 && prev === null && count > 0) {
    throw new TypeError(`Cannot decode level ${level}: the previous level is missing`);
  }
  // Per group, once per call: where each kept position's stamp starts, and the group's streams.
  // The codes are read straight from the streams (no dequantized copy).
  const groupStreams: ArrayLike<number>[][] = [];
  const origins: Int32Array[] = [];
  const layout = streamLayout(channelsOf(parts), level === 0);
  parts.groups.forEach((g, gi) => {
    const s = layout.groupStart[gi];
    groupStreams.push(streams.slice(s, s + g.channels));
    origins.push(originsOf(g.positions, lw, w));
  });
  const baseLatent = level === 0 ? new Float32Array(latentPlane) : null;
  for (let t = 0; t < count; t++) {
    const dst = out.subarray(t * plane, (t + 1) * plane);
    if (baseLatent !== null) {
      const base = streams[0];
      const step = parts.baseStep ?? 1;
      const off = (first + t) * latentPlane;
      for (let i = 0; i < latentPlane; i++) baseLatent[i] = base[off + i] * step;
      deconvPadded(baseLatent, lh, lw, parts.deconv.kernel, bias, dst);
    } else {
      const src = prev!.subarray(t * latentPlane, (t + 1) * latentPlane);
      deconvPadded(src, lh, lw, parts.deconv.kernel, bias, dst);
    }
    for (let gi = 0; gi < parts.groups.length; gi++) {
      const g = parts.groups[gi];
      const n = g.positions.length;
      if (n === 0) continue;
      scatterCodes(
        dst,
        w,
        origins[gi],
        g.deconvKernels,
        groupStreams[gi],
        (first + t) * n,
        parts.groupSteps[gi],
      );
    }
  }
}
