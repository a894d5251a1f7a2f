// This module is browser compatible.
/**
 * Progressive decoding of a `.mrc` file arriving as a stream: each level is yielded as soon as its
 * last chunk is in.
 *
 * @module
 */

import { readMrcStream } from "../../format/stream_reader.ts";
import {
  CHUNK_TYPES,
  chunkDescriptor,
  type ChunkType,
  type ChunkValues,
  decodeChecked,
  levelChunks,
} from "../../format/chunks.ts";
import type { MrcHeader } from "../../format/header.ts";
import { maskCount } from "../../format/masks.ts";
import { type DecodedLevel, expandMissing } from "./output.ts";
import { checkMaxBytes } from "./_budget.ts";
import { type DecodeEngine, decodeEngine } from "./engine.ts";

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
  let engine: DecodeEngine | null = null;
  let levelTypes = new Set<string>();
  /** `MASK` counts of the level being read, for its `CODE` checks. */
  let maskCounts: number[] | null = null;
  /** The `NANM` chunk, decoded (as `MrcFile` reads it) once the budget is checked. */
  let missing: { body: Uint8Array; offset: number; flags: number } | null = null;
  let missingSet = false;
  // A chunk is held whole while it is decoded: no larger than the budget either.
  const streamOptions = { signal: options.signal, maxChunkBytes: maxBytes };
  for await (const chunk of readMrcStream(stream, streamOptions)) {
    const { type, level, block, offset } = chunk;
    if (type === CHUNK_TYPES.header) {
      const h = decodeChecked(type, chunk.body, { offset, flags: chunk.flags });
      header = h;
      levelTypes = new Set(levelChunks(h).map((d) => d.type));
      // Every level of every snapshot, as `MrcFile.progressive()` decodes them.
      const request = { level: h.levels.length - 1, start: 0, end: h.shape[0], every: true };
      engine = decodeEngine(h, request, maxBytes);
      continue;
    }
    if (header === null || engine === null) continue;
    if (type === CHUNK_TYPES.missingMask) {
      missing = { body: chunk.body, offset, flags: chunk.flags };
      continue;
    }
    // Chunk types of a newer minor version, and file-level chunks, carry nothing to decode; the
    // order rules guarantee the level chunks arrive in the order the engine lists them.
    if (!levelTypes.has(type) || level === null) continue;
    // After the budget checks of the decoders, before the first block is decoded.
    if (block !== null && !missingSet) {
      if (missing !== null) {
        const stored = decodeChecked(CHUNK_TYPES.missingMask, missing.body, {
          header,
          offset: missing.offset,
          flags: missing.flags,
        });
        engine.missing = expandMissing(header, stored);
      }
      missingSet = true;
    }
    const known = chunkDescriptor(type)!.type;
    const value: ChunkValues[ChunkType] = decodeChecked(known, chunk.body, {
      header,
      level,
      block,
      maskCounts,
      offset,
      flags: chunk.flags,
    });
    if (type === CHUNK_TYPES.masks) maskCounts = (value as Uint8Array[]).map(maskCount);
    const done = engine.accept({ type: known, level, block }, value);
    if (done !== null) yield done;
  }
}
