// This module is browser compatible.
/**
 * Progressive decoding of a `.mrc` file arriving as a stream: each level is yielded as soon as its
 * last chunk is in.
 *
 * @module
 */

import { readMrcStream } from "../../format/stream_reader.ts";
import { decodeHeader, type MrcHeader } from "../../format/header.ts";
import { blockCount } from "../../format/geometry.ts";
import { decodeLevelWeights, type LevelWeights } from "../../format/level_weights.ts";
import { decodeMasks } from "../../format/masks.ts";
import { decodeCodeBlock } from "../../format/code_block.ts";
import { decodeMissingMask } from "../../format/missing_mask.ts";
import { MrcFormatError } from "../../format/error.ts";
import { checkStreams, decodeLevel, fileLevelParts } from "../model/level_decoder.ts";
import {
  type DecodedLevel,
  decodedLevel,
  expandMissing,
  finishLevel,
  levelExtent,
  restoreMissing,
} from "./output.ts";
import { decodeBoundedBlock } from "../../format/bounded_block.ts";
import { boundedBlock, decodeBoundedLevel, gatherLevel } from "./bounded.ts";
import type { BlockCoder } from "../bounded/block_coder.ts";
import { maskCount } from "../../format/masks.ts";
import { checkMissingCount, codeBlockProblem } from "../../format/_limits.ts";
import {
  boundedBytes,
  checkMaxBytes,
  codeBytes,
  missingBytes,
  outputBytes,
  planeBytes,
  requireBudget,
} from "./_budget.ts";

const LEVEL_CHUNKS = new Set(["DECW", "MASK", "CODE"]);

/** Options of {@linkcode decodeStream}. */
export interface DecodeStreamOptions {
  /** Cancels reading the stream. */
  signal?: AbortSignal;
  /**
   * Most bytes of typed arrays the decoder may hold at once for one level (every snapshot's
   * output, planes, codes, masks), checked against the header before anything is allocated; a
   * larger file is refused with a `MrcFormatError`. Default 1 GiB.
   */
  maxBytes?: number;
}

/**
 * Decodes a `.mrc` file arriving as a stream, level by level: yields level 0 for every snapshot as
 * soon as the chunks of level 0 have arrived, then level 1, and so on. A stream cut short yields
 * the complete levels and then rejects with MrcFormatError.
 *
 * @param stream The file's bytes, front to back (a `fetch` body, a file's `readable`, ...).
 * @param options `signal` cancels reading.
 * @returns The levels, coarsest first, each for every snapshot.
 *
 * @example Decode the golden file from a stream
 * ```ts
 * import assert from "node:assert";
 * import { decodeStream } from "./decode_stream.ts";
 *
 * const bytes = await Deno.readFile(new URL("../../tests/testdata/v1.0-small.mrc", import.meta.url));
 * const levels = [];
 * for await (const decoded of decodeStream(new Blob([bytes]).stream())) levels.push(decoded.level);
 * assert.deepStrictEqual(levels, [0, 1]);
 * ```
 */
export async function* decodeStream(
  stream: ReadableStream<Uint8Array>,
  options: DecodeStreamOptions = {},
): AsyncGenerator<DecodedLevel> {
  const maxBytes = checkMaxBytes(options.maxBytes);
  let header: MrcHeader | null = null;
  let missing: Uint8Array | null = null;
  let current = -1;
  let weights: LevelWeights | null = null;
  let masks: Uint8Array[] | null = null;
  let codes: Int32Array[][] = [];
  let prev: Float32Array | null = null;
  const flush = (): DecodedLevel => {
    const h = header!;
    if (weights === null || masks === null || codes.length !== blockCount(h)) {
      throw new MrcFormatError(`Cannot decode level ${current}: its chunks are incomplete`, {
        chunkType: null,
      });
    }
    const parts = fileLevelParts(h, current, weights, masks);
    const T = h.shape[0];
    const out = new Float32Array(T * parts.grid[0] * parts.grid[1]);
    const plane = parts.grid[0] * parts.grid[1], prevPlane = parts.latent[0] * parts.latent[1];
    codes.forEach((streams, b) => {
      const first = b * h.blockSize, n = Math.min(h.blockSize, T - first);
      checkStreams(streams, n, parts, current, b);
      decodeLevel(
        parts,
        current,
        prev === null ? null : prev.subarray(first * prevPlane, (first + n) * prevPlane),
        streams,
        0,
        n,
        out.subarray(first * plane, (first + n) * plane),
      );
    });
    prev = out;
    return finishLevel(h, current, out, 0, T, missing);
  };
  let received = 0;
  // Bounded files: one coder per block, each extended by a level as its BCOD chunk arrives.
  let coders: BlockCoder[] = [];
  let boundedLevel = 0;
  for await (const chunk of readMrcStream(stream, { signal: options.signal })) {
    if (chunk.type === "MHDR") {
      header = decodeHeader(chunk.body);
      continue;
    }
    if (header === null) continue;
    if (chunk.type === "NANM") {
      requireBudget(missingBytes(header), maxBytes, "the missing-value mask");
      const stored = decodeMissingMask(chunk.body, header.shape);
      checkMissingCount(header, stored);
      missing = expandMissing(header, stored);
      continue;
    }
    if (chunk.type === "BCOD" && header.bound && chunk.level !== null && chunk.block !== null) {
      // The order rules guarantee level-major, block-ordered arrival.
      const h: MrcHeader = header;
      const b = chunk.block;
      if (chunk.level === 0 && b === 0) {
        const T = h.shape[0];
        requireBudget(
          boundedBytes(h, 0, blockCount(h)) + outputBytes(h, h.levels.length - 1, T) +
            missingBytes(h),
          maxBytes,
          `a bounded file of ${T} snapshots`,
        );
        coders = Array.from({ length: blockCount(h) }, (_, i) => boundedBlock(h, i, missing));
      }
      const code = decodeBoundedBlock(chunk.body);
      if (code.snapshots !== coders[b].params.n) {
        throw new MrcFormatError(
          `Cannot read chunk "BCOD": block has ${code.snapshots} snapshots, the header implies ${
            coders[b].params.n
          }`,
          { chunkType: "BCOD" },
        );
      }
      decodeBoundedLevel(coders[b], code.bytes, b);
      if (b === coders.length - 1) {
        const k = boundedLevel++;
        const e = levelExtent(h, k);
        const T = h.shape[0];
        const data = new Float32Array(T * e.nr * e.nc);
        const plane = e.nr * e.nc;
        coders.forEach((c, i) => {
          const first = i * h.blockSize;
          gatherLevel(
            h,
            e,
            c.rec,
            0,
            c.params.n,
            data.subarray(first * plane, (first + c.params.n) * plane),
          );
        });
        if (missing) restoreMissing(h, e, data, 0, T, missing);
        yield decodedLevel(k, 0, T, e, data);
      }
      continue;
    }
    // Chunk types of a newer minor version, and file-level chunks, carry nothing to decode.
    if (!LEVEL_CHUNKS.has(chunk.type) || chunk.level === null || chunk.level === undefined) {
      continue;
    }
    if (chunk.level !== current) {
      current = chunk.level;
      weights = null;
      masks = null;
      codes = [];
      received = 0;
    }
    const lv = header.levels[current];
    const h: MrcHeader = header;
    const level = current;
    if (chunk.type === "DECW") weights = decodeLevelWeights(chunk.body, lv.groups);
    else if (chunk.type === "MASK") {
      masks = decodeMasks(chunk.body, lv.latent, lv.groups.length);
      // Every block of the level is held until its last arrives: check what the level needs
      // (codes of every snapshot, the previous and this level's planes, the output) now.
      const counts = masks.map(maskCount);
      const values = (level === 0 ? lv.latent[0] * lv.latent[1] : 0) +
        lv.groups.reduce((n, m, g) => n + m * counts[g], 0);
      const T = h.shape[0];
      requireBudget(
        4 * T * values + codeBytes(values, Math.min(h.blockSize, T)) +
          (level === 0 ? 0 : T * planeBytes(h, level - 1)) + T * planeBytes(h, level) +
          outputBytes(h, level, T) + missingBytes(h),
        maxBytes,
        `level ${level}`,
      );
    } else {
      const counts = masks?.map(maskCount) ?? null;
      codes[chunk.block!] = decodeCodeBlock(chunk.body, {
        // Counts against the header and masks before anything is inflated, as `MrcFile` does.
        check: (head) => {
          const problem = codeBlockProblem(h, level, chunk.block!, head, counts);
          if (problem !== null) {
            throw new MrcFormatError(`Cannot read chunk "CODE": ${problem}`, {
              chunkType: "CODE",
              offset: chunk.offset,
            });
          }
        },
      }).streams;
      received++;
    }
    // A level is shown as soon as its last chunk is in (the writer puts them in order).
    if (weights !== null && masks !== null && received === blockCount(header)) yield flush();
  }
}
