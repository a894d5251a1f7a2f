// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * Reading `.mrc` files front to back from a `ReadableStream`, yielding each chunk as soon as its
 * bytes have arrived, so that level 0 can be decoded before the rest of the file is downloaded.
 *
 * @module
 */

import {
  ADDRESS_LENGTH,
  CHUNK_FRAME_LENGTH,
  CHUNK_PREFIX_LENGTH,
  PREAMBLE_LENGTH,
  TRAILER_LENGTH,
} from "./_constants.ts";
import {
  crcMismatch,
  decodeAddress,
  decodeChunk,
  decodeChunkPrefix,
  decodePreamble,
  decodeTrailer,
  describeEntry,
  type MrcChunkEntry,
  type MrcVersion,
  type ParsedChunk,
} from "./_framing.ts";
import { viewOf } from "./_bytes.ts";
import { crc32 } from "./_checksum.ts";
import { ChunkOrder } from "./_order.ts";
import { chunkError } from "./_chunk_error.ts";
import { COLLECTION_TYPE } from "./_constants.ts";
import {
  CHUNK_TYPES,
  chunkAboveLimit,
  chunkDescriptor,
  decodeChecked,
  isHeldChunk,
  VALIDATED_CHUNKS,
} from "./chunks.ts";
import type { MrcHeader } from "./header.ts";

/** One verified chunk from {@linkcode readMrcStream}. */
export interface MrcStreamChunk extends MrcChunkEntry {
  /**
   * The chunk body (payload after the 8-byte address), CRC-verified; empty for a chunk of an
   * unknown type, which is checked as it streams by and not kept.
   */
  body: Uint8Array;
  /** The file's format version, from its first bytes. */
  version: MrcVersion;
}

/** Options of {@linkcode readMrcStream}. */
export interface ReadMrcStreamOptions {
  /**
   * Most bytes a level chunk or `NANM` may have (its whole frame), refused before any of it is
   * buffered: a decoder passes its memory budget (`isHeldChunk()` of `chunks.ts`). Chunks of
   * unknown types are never buffered (streamed through, their CRC computed as they pass),
   * whatever their length. Default: no limit beyond SPEC.md §9.
   */
  maxChunkBytes?: number;
  /** Cancels the stream and rejects the pending step with `signal.reason`. Default: none. */
  signal?: AbortSignal;
}

/** Bytes from a stream reader, kept as received until a whole request is present. */
class ByteQueue {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #parts: Uint8Array[] = [];
  #available = 0;
  #done = false;

  constructor(reader: ReadableStreamDefaultReader<Uint8Array>) {
    this.#reader = reader;
  }

  /** Waits until `n` bytes are buffered; false when the stream ends first. */
  async fill(n: number, signal?: AbortSignal): Promise<boolean> {
    while (this.#available < n && !this.#done) {
      const { done, value } = await this.#reader.read();
      signal?.throwIfAborted();
      if (done) this.#done = true;
      else if (value.length > 0) {
        if (!(value instanceof Uint8Array)) {
          throw new TypeError("Cannot read stream: expected Uint8Array chunks");
        }
        this.#parts.push(value);
        this.#available += value.length;
      }
    }
    return this.#available >= n;
  }

  get available(): number {
    return this.#available;
  }

  /**
   * Hands the next `n` bytes of the stream to `sink` piece by piece, buffered ones first, then as
   * they arrive: nothing is kept but the rest of the last network read.
   *
   * @returns The bytes handed over: `n`, or fewer when the stream ends first.
   */
  async pass(n: number, sink: (piece: Uint8Array) => void, signal?: AbortSignal): Promise<number> {
    let passed = 0;
    while (passed < n) {
      if (this.#available === 0 && !(await this.fill(1, signal))) break;
      const piece = this.take(Math.min(this.#available, n - passed, this.#parts[0].length));
      sink(piece);
      passed += piece.length;
    }
    return passed;
  }

  /** Removes and returns the first `n` buffered bytes (`n <= available`). */
  take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    let out: Uint8Array;
    const head = this.#parts[0];
    if (head.length >= n) {
      out = head.subarray(0, n);
      if (head.length === n) this.#parts.shift();
      else this.#parts[0] = head.subarray(n);
    } else {
      out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const part = this.#parts[0];
        const count = Math.min(part.length, n - filled);
        out.set(part.subarray(0, count), filled);
        filled += count;
        if (count === part.length) this.#parts.shift();
        else this.#parts[0] = part.subarray(count);
      }
    }
    this.#available -= n;
    return out;
  }
}

/** Largest payload a chunk can have under `header` (any level when null), Infinity when unknown. */
function maxPayload(type: string, header: MrcHeader | null, level: number | null, seen: number) {
  return chunkDescriptor(type)?.maxPayload(header, level, seen) ?? Infinity;
}

/**
 * Reads an `.mrc` file from a stream and yields every chunk (known or not) as soon as its last
 * byte has arrived, after checking its CRC and its place in the order rules (SPEC.md §7). The
 * last chunk yielded is `INDX`, and only after the index and the trailer have been checked
 * against the chunks seen and the stream has ended: receiving it means the whole file is valid.
 *
 * At most one chunk of a known type plus the bytes of the current network read are buffered, and
 * a declared length above what the header allows (or a held chunk above `maxChunkBytes`) is
 * rejected before
 * anything is allocated. Chunks of unknown types are streamed through and yielded with an empty
 * body, once their CRC has been checked. A stream that
 * ends early yields every complete chunk and then throws a `MrcFormatError`, so the chunks of the
 * completed levels are usable. Breaking out of the loop cancels the stream.
 *
 * @param stream The file's bytes.
 * @param options Signal.
 * @returns An async generator of chunks.
 * @throws {MrcFormatError} On any malformed, truncated or unsupported input.
 *
 * @example Decoding the header of a file as it streams in
 * ```ts
 * import assert from "node:assert";
 * import { decodeHeader, MrcFormatError, readMrcStream } from "./mod.ts";
 *
 * const stream = new Blob([new Uint8Array(20)]).stream();
 * await assert.rejects(async () => {
 *   for await (const chunk of readMrcStream(stream)) {
 *     if (chunk.type === "MHDR") decodeHeader(chunk.body, chunk.flags);
 *   }
 * }, MrcFormatError);
 * ```
 */
export async function* readMrcStream(
  stream: ReadableStream<Uint8Array>,
  options: ReadMrcStreamOptions = {},
): AsyncGenerator<MrcStreamChunk, void, undefined> {
  if (typeof stream?.getReader !== "function") {
    throw new TypeError("Cannot read stream: expected a ReadableStream<Uint8Array>");
  }
  const { signal } = options;
  const maxChunkBytes = options.maxChunkBytes ?? Infinity;
  signal?.throwIfAborted();
  const reader = stream.getReader();
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  const queue = new ByteQueue(reader);
  let finished = false;
  let offset = 0;
  const need = async (n: number, chunkType: string | null): Promise<Uint8Array> => {
    if (!(await queue.fill(n, signal))) {
      throw chunkError(
        chunkType,
        offset,
        `file truncated (needs ${n} bytes, the stream ended after ${queue.available})`,
      );
    }
    return queue.take(n);
  };

  try {
    const version = decodePreamble(await need(PREAMBLE_LENGTH, null));
    offset = PREAMBLE_LENGTH;
    let header: MrcHeader | null = null;
    let order: ChunkOrder | null = null;
    const seen: MrcChunkEntry[] = [];

    while (true) {
      if (!(await queue.fill(CHUNK_PREFIX_LENGTH, signal))) {
        throw chunkError(
          null,
          offset,
          `file truncated (the stream ended after ${queue.available} bytes of the next chunk; no "${CHUNK_TYPES.index}" chunk)`,
        );
      }
      const prefix = queue.take(CHUNK_PREFIX_LENGTH);
      const { payload, type } = decodeChunkPrefix(prefix, offset);
      // Levels are only known after the address; bound by the largest level for now.
      const bound = maxPayload(type, header, null, seen.length);
      if (payload > bound) {
        throw chunkError(
          type,
          offset,
          `absurd payload length ${payload} (at most ${bound} for this header)`,
        );
      }
      const length = CHUNK_FRAME_LENGTH + payload;
      const truncated = (got: number) =>
        chunkError(
          type,
          offset,
          `file truncated (needs ${payload + 4} bytes, the stream ended after ${got})`,
        );
      let chunk: ParsedChunk;
      if (chunkDescriptor(type) === null) {
        // Unknown type: streamed through, never held, whatever its length (SPEC.md §7 rule 4).
        const address = await need(ADDRESS_LENGTH, type);
        let crc = crc32(address, crc32(prefix.subarray(4)));
        const rest = payload - ADDRESS_LENGTH;
        const got = await queue.pass(rest, (piece) => void (crc = crc32(piece, crc)), signal);
        if (got < rest) throw truncated(ADDRESS_LENGTH + got);
        const stored = viewOf(await need(4, type)).getUint32(0, true);
        if (stored !== crc) throw crcMismatch(type, offset, stored, crc);
        chunk = { type, ...decodeAddress(address, 0), body: new Uint8Array(0) };
      } else {
        if (length > maxChunkBytes && isHeldChunk(type)) {
          throw chunkAboveLimit(type, offset, length, maxChunkBytes);
        }
        // Copied into place as it arrives: the chunk's bytes and one network read at most.
        const bytes = new Uint8Array(length);
        bytes.set(prefix);
        let at = CHUNK_PREFIX_LENGTH;
        const got = await queue.pass(payload + 4, (piece) => {
          bytes.set(piece, at);
          at += piece.length;
        }, signal);
        if (got < payload + 4) throw truncated(got);
        chunk = decodeChunk(bytes, offset);
      }
      const entry: MrcChunkEntry = {
        type,
        level: chunk.level,
        block: chunk.block,
        flags: chunk.flags,
        offset,
        length,
      };

      if (header === null) {
        if (type === COLLECTION_TYPE) {
          throw chunkError(
            type,
            offset,
            "a collection of variables (SPEC.md §12): a stream is read as a file of one variable; open a collection with openCollection() (random access), or stream one of its parts",
          );
        }
        if (type !== CHUNK_TYPES.header || chunk.level !== null || chunk.block !== null) {
          throw chunkError(
            type,
            offset,
            `missing "${CHUNK_TYPES.header}" chunk (the first chunk is ${describeEntry(chunk)})`,
          );
        }
        header = decodeChecked(CHUNK_TYPES.header, chunk.body, { offset, flags: chunk.flags });
        order = new ChunkOrder(header);
      } else if (type === CHUNK_TYPES.index) {
        if (chunk.level !== null || chunk.block !== null) {
          throw chunkError(type, offset, `"${type}" must not have a level or block`);
        }
        const problem = order!.finish();
        if (problem !== null) throw chunkError(type, offset, problem);
        const listed = decodeChecked(CHUNK_TYPES.index, chunk.body, {
          offset,
          flags: chunk.flags,
        });
        const same = listed.length === seen.length && listed.every((e, i) => {
          const s = seen[i];
          return e.type === s.type && e.level === s.level && e.block === s.block &&
            e.flags === s.flags && e.offset === s.offset && e.length === s.length;
        });
        if (!same) throw chunkError(type, offset, "index disagrees with the chunks in the file");
        const trailerOffset = offset + length;
        offset = trailerOffset;
        const trailer = decodeTrailer(
          await need(TRAILER_LENGTH, null),
          trailerOffset,
          trailerOffset + TRAILER_LENGTH,
        );
        if (trailer.major !== version.major || trailer.minor !== version.minor) {
          throw chunkError(
            null,
            trailerOffset + 12,
            `version ${trailer.major}.${trailer.minor} in the trailer disagrees with version ${version.major}.${version.minor} at the start`,
          );
        }
        offset += TRAILER_LENGTH;
        if (await queue.fill(1, signal)) {
          throw chunkError(null, offset, "unexpected bytes after the trailer");
        }
        finished = true;
        // Last: the index itself, once everything including the trailer checked out.
        yield { ...entry, body: chunk.body, version };
        return;
      } else {
        // Check the per-level bound now that the level is known.
        if (payload > maxPayload(type, header, chunk.level, seen.length)) {
          throw chunkError(
            type,
            offset,
            `absurd payload length ${payload} for ${describeEntry(chunk)}`,
          );
        }
        const problem = order!.accept(chunk);
        if (problem !== null) throw chunkError(type, offset, problem);
        if (VALIDATED_CHUNKS.has(type)) {
          // As the random-access reader does at open (SPEC.md §4.2, §4.8): valid or refused.
          decodeChecked(chunkDescriptor(type)!.type, chunk.body, {
            header,
            offset,
            flags: chunk.flags,
          });
        }
      }
      seen.push(entry);
      offset += length;
      yield { ...entry, body: chunk.body, version };
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
