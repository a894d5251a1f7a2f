// This module is browser compatible.
/**
 * Progressive decoding of a `.mrc` file arriving as a stream: each level is yielded as soon as its
 * last chunk is in.
 *
 * @module
 */

import { readMrcStream } from "../../format/stream_reader.ts";
import { blockCount, decodeHeader, type MrcHeader } from "../../format/header.ts";
import { decodeLevelWeights, type LevelWeights } from "../../format/level_weights.ts";
import { decodeMasks } from "../../format/masks.ts";
import { decodeCodeBlock } from "../../format/code_block.ts";
import { decodeMissingMask } from "../../format/missing_mask.ts";
import { MrcFormatError } from "../../format/error.ts";
import { checkStreams, decodeLevel, fileLevelParts } from "../codec/level_decoder.ts";
import { type DecodedLevel, expandMissing, finishLevel } from "./output.ts";

const LEVEL_CHUNKS = new Set(["DECW", "MASK", "CODE"]);

/** Options of {@linkcode decodeStream}. */
export interface DecodeStreamOptions {
  /** Cancels reading the stream. */
  signal?: AbortSignal;
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
  for await (const chunk of readMrcStream(stream, { signal: options.signal })) {
    if (chunk.type === "MHDR") {
      header = decodeHeader(chunk.body);
      continue;
    }
    if (header === null) continue;
    if (chunk.type === "NANM") {
      missing = expandMissing(header, decodeMissingMask(chunk.body, header.shape));
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
    if (chunk.type === "DECW") weights = decodeLevelWeights(chunk.body, lv.groups);
    else if (chunk.type === "MASK") masks = decodeMasks(chunk.body, lv.latent, lv.groups.length);
    else {
      codes[chunk.block!] = decodeCodeBlock(chunk.body).streams;
      received++;
    }
    // A level is shown as soon as its last chunk is in (the writer puts them in order).
    if (weights !== null && masks !== null && received === blockCount(header)) yield flush();
  }
}
