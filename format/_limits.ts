// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
// Checks of sizes from the header against each other and against the bytes present, shared by
// both readers (random access and stream) so that they accept and refuse the same files
// (SPEC.md §4.6, §8, §9). Each returns a problem as a string, or null, or throws MrcFormatError.

import { CHUNK_FRAME_LENGTH, CHUNK_TYPES } from "./_constants.ts";
import { chunkError } from "./_chunk_error.ts";
import type { CodeBlockHead } from "./code_block.ts";
import type { MrcHeader } from "./header.ts";
import { blockSnapshots, streamLayout } from "./geometry.ts";
import type { MissingMask } from "./missing_mask.ts";

/**
 * DEFLATE expands at most 1032:1 (258-byte matches in 2 bits); zlib adds 6 bytes of framing. The
 * most bytes `compressed` zlib bytes can inflate to, with slack for tiny streams.
 */
export function maxInflated(compressed: number): number {
  return compressed * 1032 + 1024;
}

/**
 * Checks the counts of a `CODE` block (read before inflating) against the header and, when the
 * level's masks were read, their counts: snapshots, streams, base size, group sizes.
 */
export function codeBlockProblem(
  header: MrcHeader,
  level: number,
  block: number,
  head: CodeBlockHead,
  maskCounts: readonly number[] | null,
): string | null {
  const { latent, groups } = header.levels[level];
  const snapshots = blockSnapshots(header, block);
  const positions = latent[0] * latent[1];
  if (head.snapshots !== snapshots) {
    return `block has ${head.snapshots} snapshots, the header implies ${snapshots}`;
  }
  const layout = streamLayout(groups, level === 0);
  const found = head.valuesPerSnapshot;
  if (found.length !== layout.count) {
    return `block has ${found.length} streams, the header implies ${layout.count}`;
  }
  for (let s = 0; s < layout.count; s++) {
    const g = layout.groupOf[s];
    if (g < 0) {
      if (found[s] !== positions) {
        return `base stream has ${found[s]} values per snapshot, expected ${positions}`;
      }
      continue;
    }
    // Without the masks read, a group's channels must at least agree with each other.
    const want = maskCounts ? maskCounts[g] : found[layout.groupStart[g]];
    if (found[s] !== want || found[s] > positions) {
      return `stream ${s} (group ${g}, channel ${s - layout.groupStart[g]}) has ${
        found[s]
      } values per snapshot, expected ${want} <= ${positions}`;
    }
  }
  return null;
}

/** Throws unless a decoded `NANM` mask marks `header.missing.count` values (SPEC.md §4.3). */
export function checkMissingCount(header: MrcHeader, mask: MissingMask): void {
  let count = 0;
  for (let i = 0; i < mask.mask.length; i++) count += mask.mask[i];
  if (mask.shared) count *= header.shape[0];
  if (count !== header.missing.count) {
    throw chunkError(
      CHUNK_TYPES.missingMask,
      null,
      `mask marks ${count} missing values, the header says ${header.missing.count}`,
    );
  }
}

/**
 * The smallest whole-chunk length a chunk of a model-coded file can have for its header
 * (SPEC.md §9): a level-0 `CODE` chunk holds `n * lh * lw` base codes of at least one varint byte
 * each, zlib-compressed; a `NANM` chunk at least `ceil(H * W / 8)` mask bytes. Lets the
 * random-access reader refuse, at open, a header whose `T` or grid no chunk could hold.
 */
export function minimumChunkLength(
  header: MrcHeader,
  entry: { type: string; level: number | null; block: number | null },
): number {
  const atLeast = (inflated: number) => CHUNK_FRAME_LENGTH + Math.ceil((inflated - 1024) / 1032);
  if (entry.type === CHUNK_TYPES.code && entry.level === 0 && entry.block !== null) {
    const [lh, lw] = header.levels[0].latent;
    return atLeast(blockSnapshots(header, entry.block) * lh * lw);
  }
  if (entry.type === CHUNK_TYPES.missingMask) {
    return atLeast(Math.ceil(header.shape[1] * header.shape[2] / 8));
  }
  return 0;
}
