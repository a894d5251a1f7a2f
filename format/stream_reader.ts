// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * Reading `.mrc` files front to back from a `ReadableStream`, yielding each chunk as soon as its
 * bytes have arrived, so that level 0 can be decoded before the rest of the file is downloaded.
 *
 * @module
 */

import {
  CHUNK_FRAME_LENGTH,
  CHUNK_PREFIX_LENGTH,
  PREAMBLE_LENGTH,
  TRAILER_LENGTH,
} from "./_constants.ts";
import {
  decodeChunk,
  decodeChunkPrefix,
  decodePreamble,
  decodeTrailer,
  describeEntry,
  type MrcChunkEntry,
  type MrcVersion,
} from "./_framing.ts";
import { ChunkOrder } from "./_order.ts";
import { chunkError } from "./_chunk_error.ts";
import { CHUNK_TYPES, chunkDescriptor, decodeChecked, VALIDATED_CHUNKS } from "./chunks.ts";
import type { MrcHeader } from "./header.ts";

/** One verified chunk from {@linkcode readMrcStream}. */
export interface MrcStreamChunk extends MrcChunkEntry {
  /** The chunk body (payload after the 8-byte address), CRC-verified. */
  body: Uint8Array;
  /** The file's format version, from its first bytes. */
  version: MrcVersion;
}

/** Options of {@linkcode readMrcStream}. */
export interface ReadMrcStreamOptions {
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
 * At most one chunk plus the bytes of the current network read are buffered, and a declared
 * length above what the header allows is rejected before anything is allocated. A stream that
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
 *     if (chunk.type === "MHDR") decodeHeader(chunk.body);
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
      const rest = await need(payload + 4, type);
      const bytes = new Uint8Array(CHUNK_FRAME_LENGTH + payload);
      bytes.set(prefix);
      bytes.set(rest, CHUNK_PREFIX_LENGTH);
      const chunk = decodeChunk(bytes, offset);
      const entry: MrcChunkEntry = {
        type,
        level: chunk.level,
        block: chunk.block,
        flags: chunk.flags,
        offset,
        length: bytes.length,
      };

      if (header === null) {
        if (type !== CHUNK_TYPES.header || chunk.level !== null || chunk.block !== null) {
          throw chunkError(
            type,
            offset,
            `missing "${CHUNK_TYPES.header}" chunk (the first chunk is ${describeEntry(chunk)})`,
          );
        }
        header = decodeChecked(CHUNK_TYPES.header, chunk.body, { offset });
        order = new ChunkOrder(header);
      } else if (type === CHUNK_TYPES.index) {
        if (chunk.level !== null || chunk.block !== null) {
          throw chunkError(type, offset, `"${type}" must not have a level or block`);
        }
        const problem = order!.finish();
        if (problem !== null) throw chunkError(type, offset, problem);
        const listed = decodeChecked(CHUNK_TYPES.index, chunk.body, { offset });
        const same = listed.length === seen.length && listed.every((e, i) => {
          const s = seen[i];
          return e.type === s.type && e.level === s.level && e.block === s.block &&
            e.flags === s.flags && e.offset === s.offset && e.length === s.length;
        });
        if (!same) throw chunkError(type, offset, "index disagrees with the chunks in the file");
        const trailerOffset = offset + bytes.length;
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
          decodeChecked(chunkDescriptor(type)!.type, chunk.body, { header, offset });
        }
      }
      seen.push(entry);
      offset += bytes.length;
      yield { ...entry, body: chunk.body, version };
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
