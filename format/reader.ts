// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * Random access to `.mrc` files through a {@linkcode RangeSource}: open with three reads, then
 * one read per chunk.
 *
 * @module
 */

import {
  ADDRESS_LENGTH,
  CHUNK_FRAME_LENGTH,
  CHUNK_TYPES,
  COLLECTION_TYPE,
  PREAMBLE_LENGTH,
  TRAILER_LENGTH,
} from "./_constants.ts";
import {
  crcMismatch,
  decodeAddress,
  decodeChunk,
  decodeChunkPrefix,
  decodeHead,
  decodeIndexBody,
  decodeTrailer,
  describeEntry,
  type MrcChunkEntry,
  type MrcVersion,
  type ParsedChunk,
  payloadMismatch,
} from "./_framing.ts";
import { viewOf } from "./_bytes.ts";
import { crc32 } from "./_checksum.ts";
import { ChunkOrder } from "./_order.ts";
import {
  chunkDescriptor,
  type ChunkType,
  type ChunkValues,
  decodeChecked,
  VALIDATED_CHUNKS,
} from "./chunks.ts";
import type { BoundedBlock } from "./bounded_block.ts";
import type { DecodedCodeBlock } from "./code_block.ts";
import { chunkError } from "./_chunk_error.ts";
import type { MrcHeader } from "./header.ts";
import { blockCount } from "./geometry.ts";
import type { LevelWeights } from "./level_weights.ts";
import { maskCount } from "./masks.ts";
import type { MrcAttributes } from "./attributes.ts";
import type { MissingMask } from "./missing_mask.ts";
import type { RangeSource, ReadOptions } from "./source.ts";

export type { MrcChunkEntry, MrcVersion } from "./_framing.ts";
export type { ChunkType, ChunkValues } from "./chunks.ts";

/** Options of {@linkcode openContainer}. */
export interface OpenContainerOptions {
  /** Aborts the open; passed to every source read. Default: none. */
  signal?: AbortSignal;
  /** The trailer and index, when the caller has read them ({@linkcode readFileIndex}). */
  index?: FileIndex;
  /**
   * Most bytes a deflated index (1.6) may inflate to, as {@linkcode readFileIndex} takes it.
   * Default: no limit but the file's size.
   */
  maxBytes?: number;
}

/** An open `.mrc` file. Every `read…` method costs exactly one source read. */
export interface MrcContainer {
  /** Format version of the file (same major as this reader, minor may be newer). */
  readonly version: MrcVersion;
  /** The validated header. */
  readonly header: MrcHeader;
  /** The parsed `META` object, or `null` when the file has none. */
  readonly meta: Record<string, unknown> | null;
  /** Every chunk except `INDX`, in file order, as listed by the index. */
  readonly chunks: readonly MrcChunkEntry[];
  /** File size in bytes. */
  readonly byteLength: number;
  /**
   * Finds a chunk by address.
   *
   * @param type Chunk type.
   * @param level Level, or `null` for file-level chunks.
   * @param block Block, or `null`.
   * @returns The entry, or `null` when absent.
   */
  findChunk(type: string, level?: number | null, block?: number | null): MrcChunkEntry | null;
  /**
   * Reads one chunk (one source read of exactly its bytes) and verifies its length, type,
   * address and CRC.
   *
   * @param entry An entry of {@linkcode MrcContainer.chunks}.
   * @param options Signal.
   * @returns The chunk body (the payload after the 8-byte address).
   */
  readChunk(entry: MrcChunkEntry, options?: ReadOptions): Promise<Uint8Array>;
  /**
   * Verifies one chunk's length, type, address and CRC as {@linkcode MrcContainer.readChunk}
   * does, reading it in pieces of at most 1 MiB and keeping none: for chunks no decoder holds
   * (unknown types), whatever their length.
   *
   * @param entry An entry of {@linkcode MrcContainer.chunks}.
   * @param options Signal.
   */
  checkChunk(entry: MrcChunkEntry, options?: ReadOptions): Promise<void>;
  /**
   * Reads the chunk at an address and decodes and checks it against the header, as the stream
   * reader's users do (`decodeChecked` of `format/chunks.ts`); a `MASK` read makes later `CODE`
   * reads of its level check their stream sizes against its counts.
   *
   * @param type A known chunk type.
   * @param level Its level, or null.
   * @param block Its block, or null.
   * @param options Signal.
   * @returns The typed body.
   */
  readDecoded<T extends ChunkType>(
    type: T,
    level: number | null,
    block: number | null,
    options?: ReadOptions,
  ): Promise<ChunkValues[T]>;
  /** Reads and decodes the `DECW` chunk of a level. */
  readLevelWeights(level: number, options?: ReadOptions): Promise<LevelWeights>;
  /** Reads and decodes the `MASK` chunk of a level: one latent-grid mask per group. */
  readMasks(level: number, options?: ReadOptions): Promise<Uint8Array[]>;
  /**
   * Reads and decodes one `CODE` chunk, checking its snapshot and stream counts against the
   * header (and stream sizes against the masks, when `readMasks(level)` was called before).
   */
  readCodeBlock(level: number, block: number, options?: ReadOptions): Promise<DecodedCodeBlock>;
  /**
   * Reads one `BCOD` chunk (version 1.2) and checks its snapshot count against the header; the
   * range-coded bytes are checked when decoded.
   */
  readBoundedBlock(level: number, block: number, options?: ReadOptions): Promise<BoundedBlock>;
  /**
   * Reads and decodes the `NANM` chunk and checks its count against `header.missing.count`.
   * Resolves with `null` when `header.missing.mode` is `"none"`.
   */
  readMissingMask(options?: ReadOptions): Promise<MissingMask | null>;
  /**
   * The optional `ATTR` chunk (version 1.2, SPEC.md §4.8): the source's variable, dimensions,
   * coordinates and attributes, read and checked against the header at open. Resolves with
   * `null` when the file has none.
   */
  readAttributes(options?: ReadOptions): Promise<MrcAttributes | null>;
}

/** Bytes per read of {@linkcode MrcContainer.checkChunk}. */
const CHECK_PIECE = 2 ** 20;

const keyOf = (type: string, level: number | null, block: number | null) =>
  `${type}/${level}/${block}`;

/** One source read that must return exactly `length` bytes. */
async function readExact(
  source: RangeSource,
  offset: number,
  length: number,
  chunkType: string | null,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const bytes = await source.read(offset, length, { signal });
  if (bytes.length !== length) {
    throw chunkError(
      chunkType,
      offset,
      `file truncated (needs ${length} bytes, got ${bytes.length})`,
    );
  }
  return bytes;
}

/** Checks that a parsed chunk is the one the index promised. */
function checkAgainstEntry(chunk: ParsedChunk, entry: MrcChunkEntry): void {
  if (
    chunk.type !== entry.type || chunk.level !== entry.level || chunk.block !== entry.block ||
    chunk.flags !== entry.flags
  ) {
    throw chunkError(
      chunk.type,
      entry.offset,
      `index disagrees with the chunk (index: ${
        describeEntry(entry)
      } flags ${entry.flags}, chunk: ${describeEntry(chunk)} flags ${chunk.flags})`,
    );
  }
}

class MrcContainerImpl implements MrcContainer {
  readonly version: MrcVersion;
  readonly header: MrcHeader;
  readonly meta: Record<string, unknown> | null;
  readonly chunks: readonly MrcChunkEntry[];
  readonly byteLength: number;
  #source: RangeSource;
  #byKey: Map<string, MrcChunkEntry>;
  #entries: Set<MrcChunkEntry>;
  #maskCounts = new Map<number, number[]>();
  #attributes: MrcAttributes | null;

  constructor(
    source: RangeSource,
    version: MrcVersion,
    header: MrcHeader,
    meta: Record<string, unknown> | null,
    attributes: MrcAttributes | null,
    chunks: MrcChunkEntry[],
  ) {
    this.#attributes = attributes;
    this.#source = source;
    this.byteLength = source.byteLength;
    this.version = version;
    this.header = header;
    this.meta = meta;
    this.chunks = chunks;
    this.#entries = new Set(chunks);
    this.#byKey = new Map();
    for (const e of chunks) {
      const key = keyOf(e.type, e.level, e.block);
      if (!this.#byKey.has(key)) this.#byKey.set(key, e);
    }
  }

  findChunk(
    type: string,
    level: number | null = null,
    block: number | null = null,
  ): MrcChunkEntry | null {
    return this.#byKey.get(keyOf(type, level, block)) ?? null;
  }

  async checkChunk(entry: MrcChunkEntry, options?: ReadOptions): Promise<void> {
    if (!this.#entries.has(entry)) {
      throw new TypeError("Cannot check chunk: the entry is not one of this file's chunks");
    }
    const signal = options?.signal;
    const head = await readExact(
      this.#source,
      entry.offset,
      CHUNK_FRAME_LENGTH + ADDRESS_LENGTH - 4,
      entry.type,
      signal,
    );
    const { payload, type } = decodeChunkPrefix(head, entry.offset);
    if (CHUNK_FRAME_LENGTH + payload !== entry.length) {
      throw payloadMismatch(type, entry.offset, payload, entry.length);
    }
    checkAgainstEntry({ type, ...decodeAddress(head, 8), body: head.subarray(0, 0) }, entry);
    let crc = crc32(head.subarray(4));
    const end = entry.offset + entry.length - 4;
    for (let at = entry.offset + head.length; at < end;) {
      const n = Math.min(CHECK_PIECE, end - at);
      crc = crc32(await readExact(this.#source, at, n, entry.type, signal), crc);
      at += n;
    }
    const tail = await readExact(this.#source, end, 4, entry.type, signal);
    const stored = viewOf(tail).getUint32(0, true);
    if (stored !== crc) throw crcMismatch(type, entry.offset, stored, crc);
  }

  async readChunk(entry: MrcChunkEntry, options?: ReadOptions): Promise<Uint8Array> {
    if (!this.#entries.has(entry)) {
      throw new TypeError("Cannot read chunk: the entry is not one of this file's chunks");
    }
    const bytes = await readExact(
      this.#source,
      entry.offset,
      entry.length,
      entry.type,
      options?.signal,
    );
    const chunk = decodeChunk(bytes, entry.offset);
    checkAgainstEntry(chunk, entry);
    return chunk.body;
  }

  #checkLevel(level: number, what: string): void {
    if (!Number.isInteger(level) || level < 0 || level >= this.header.levels.length) {
      throw new RangeError(
        `Cannot read ${what} of level ${level}: the file has levels 0..${
          this.header.levels.length - 1
        }`,
      );
    }
  }

  async readDecoded<T extends ChunkType>(
    type: T,
    level: number | null,
    block: number | null,
    options: ReadOptions | undefined,
  ): Promise<ChunkValues[T]> {
    const entry = this.findChunk(type, level, block);
    if (entry === null) {
      // Unreachable for required chunks: open() checked that they exist.
      throw chunkError(
        type,
        null,
        `no ${describeEntry({ type, level, block })} chunk in the index`,
      );
    }
    const body = await this.readChunk(entry, options);
    const maskCounts = level === null ? null : this.#maskCounts.get(level) ?? null;
    const value = decodeChecked(type, body, {
      header: this.header,
      level,
      block,
      maskCounts,
      offset: entry.offset,
      flags: entry.flags,
    });
    if (type === CHUNK_TYPES.masks) {
      this.#maskCounts.set(level!, (value as Uint8Array[]).map(maskCount));
    }
    return value;
  }

  #checkBlock(level: number, block: number, type: string): void {
    this.#checkLevel(level, `"${type}"`);
    const blocks = blockCount(this.header);
    if (!Number.isInteger(block) || block < 0 || block >= blocks) {
      throw new RangeError(
        `Cannot read "${type}" block ${block}: the file has blocks 0..${blocks - 1}`,
      );
    }
  }

  async readLevelWeights(level: number, options?: ReadOptions): Promise<LevelWeights> {
    this.#checkLevel(level, `"${CHUNK_TYPES.levelWeights}"`);
    return await this.readDecoded(CHUNK_TYPES.levelWeights, level, null, options);
  }

  async readMasks(level: number, options?: ReadOptions): Promise<Uint8Array[]> {
    this.#checkLevel(level, `"${CHUNK_TYPES.masks}"`);
    return await this.readDecoded(CHUNK_TYPES.masks, level, null, options);
  }

  async readCodeBlock(
    level: number,
    block: number,
    options?: ReadOptions,
  ): Promise<DecodedCodeBlock> {
    this.#checkBlock(level, block, CHUNK_TYPES.code);
    return await this.readDecoded(CHUNK_TYPES.code, level, block, options);
  }

  async readBoundedBlock(
    level: number,
    block: number,
    options?: ReadOptions,
  ): Promise<BoundedBlock> {
    this.#checkBlock(level, block, CHUNK_TYPES.bounded);
    return await this.readDecoded(CHUNK_TYPES.bounded, level, block, options);
  }

  // Read and validated at open, like META.
  readAttributes(options?: ReadOptions): Promise<MrcAttributes | null> {
    options?.signal?.throwIfAborted();
    return Promise.resolve(this.#attributes);
  }

  async readMissingMask(options?: ReadOptions): Promise<MissingMask | null> {
    if (this.header.missing.mode === "none") return null;
    return await this.readDecoded(CHUNK_TYPES.missingMask, null, null, options);
  }
}

/** The trailer and the index of a file, checked: what every reader reads first (SPEC.md §8). */
export interface FileIndex {
  /** The trailer: where the index is, and the version. */
  trailer: MrcVersion & { indexOffset: number; indexLength: number };
  /** Every chunk but `INDX`, in file order; they tile the bytes from the preamble to the index. */
  entries: MrcChunkEntry[];
}

/**
 * Reads 1 and 2 of opening (SPEC.md §8): the trailer, then the index, checked to tile the bytes
 * between the preamble and the index. Both single-variable files and collections (§12) start so.
 *
 * @param source The file.
 * @param signal Aborts the reads.
 * @param maxBytes Most bytes a deflated index may inflate to (1.6): the caller's memory budget.
 *   Default: no limit but the file's size.
 * @returns The trailer and the entries.
 * @throws {MrcFormatError} On a truncated file, a bad trailer or a bad index.
 */
export async function readFileIndex(
  source: RangeSource,
  signal?: AbortSignal,
  maxBytes = Infinity,
): Promise<FileIndex> {
  const size = source.byteLength;
  const minimum = PREAMBLE_LENGTH + 2 * (CHUNK_FRAME_LENGTH + ADDRESS_LENGTH) + TRAILER_LENGTH;
  if (size < minimum) {
    throw chunkError(
      null,
      size,
      `file truncated (${size} bytes, an .mrc file has at least ${minimum})`,
    );
  }
  // Read 1: trailer.
  const trailerOffset = size - TRAILER_LENGTH;
  const trailer = decodeTrailer(
    await readExact(source, trailerOffset, TRAILER_LENGTH, null, signal),
    trailerOffset,
    size,
  );

  // Read 2: index.
  const { indexOffset, indexLength } = trailer;
  const indexBytes = await readExact(source, indexOffset, indexLength, CHUNK_TYPES.index, signal);
  const indexChunk = decodeChunk(indexBytes, indexOffset);
  if (
    indexChunk.type !== CHUNK_TYPES.index || indexChunk.level !== null || indexChunk.block !== null
  ) {
    throw chunkError(
      indexChunk.type,
      indexOffset,
      `the trailer points to ${
        describeEntry(indexChunk)
      }, expected "${CHUNK_TYPES.index}" without level or block`,
    );
  }
  const entries = decodeIndexBody(indexChunk.body, indexOffset, indexChunk.flags, maxBytes);

  // The entries must tile [preamble end, index offset) in order: every byte is then covered by a
  // CRC, and offsets are in bounds and non-overlapping by construction.
  let expectedOffset = PREAMBLE_LENGTH;
  for (const e of entries) {
    if (e.offset !== expectedOffset || e.length < CHUNK_FRAME_LENGTH + ADDRESS_LENGTH) {
      throw chunkError(
        CHUNK_TYPES.index,
        indexOffset,
        `entry ${
          describeEntry(e)
        } at offset ${e.offset} with length ${e.length} does not start where the previous chunk ends (offset ${expectedOffset}) or is too short`,
      );
    }
    expectedOffset += e.length;
  }
  if (expectedOffset !== indexOffset) {
    throw chunkError(
      CHUNK_TYPES.index,
      indexOffset,
      `chunks end at offset ${expectedOffset}, but the index starts at ${indexOffset}`,
    );
  }
  return { trailer, entries };
}

/**
 * Opens an `.mrc` file for random access with exactly three source reads:
 * 1. the 28-byte trailer at the end;
 * 2. the `INDX` chunk the trailer points to;
 * 3. bytes `0 ..` end of `MHDR` and of the `META` and `ATTR` chunks that directly follow it (as
 *    in every file this version writes): the signature, version, header, metadata and source
 *    attributes, all validated (SPEC.md §4.2, §4.8). A `META` or `ATTR` chunk placed after
 *    another chunk by a newer minor version costs a read of its own.
 *
 * It then checks the index against the header: entries tile the file from the preamble to the
 * index without gaps or overlaps, and the required chunks are present exactly once in the
 * required order (SPEC.md §7). After that, each `read…` method costs one read of exactly one
 * chunk's bytes.
 *
 * @param source Where the bytes come from: {@linkcode fromBytes}, or a file or URL source of
 *   `src/transport/`.
 * @param options Signal.
 * @returns The open file.
 * @throws {MrcFormatError} On any malformed, truncated or unsupported input.
 *
 * @example Reading one code block from a file in memory
 * ```ts
 * import assert from "node:assert";
 * import { countingSource, fromBytes, MrcFormatError, openContainer } from "./mod.ts";
 *
 * await assert.rejects(openContainer(fromBytes(new Uint8Array(64))), MrcFormatError);
 * ```
 */
export async function openContainer(
  source: RangeSource,
  options: OpenContainerOptions = {},
): Promise<MrcContainer> {
  if (typeof source?.read !== "function" || !Number.isSafeInteger(source.byteLength)) {
    throw new TypeError("Cannot open file: expected a RangeSource with byteLength and read()");
  }
  const { signal } = options;
  const { trailer, entries } = options.index ??
    await readFileIndex(source, signal, options.maxBytes);
  const { indexOffset } = trailer;
  const first = entries[0];
  if (first?.type === COLLECTION_TYPE && first.level === null && first.block === null) {
    throw chunkError(
      null,
      first.offset,
      `a collection of variables (version ${trailer.major}.${trailer.minor}, SPEC.md §12), not a file of one: open it with openCollection(), or one variable with openMrc(input, { variable })`,
    );
  }
  if (first?.type !== CHUNK_TYPES.header || first.level !== null || first.block !== null) {
    throw chunkError(
      CHUNK_TYPES.index,
      indexOffset,
      `missing "${CHUNK_TYPES.header}" chunk (the first chunk is ${
        first ? describeEntry(first) : "absent"
      })`,
    );
  }

  // Read 3: preamble + MHDR + the META and ATTR chunks right after it (as every writer of this
  // version places them).
  let headEnd = first.offset + first.length;
  for (let i = 1; i < entries.length && VALIDATED_CHUNKS.has(entries[i].type); i++) {
    headEnd = entries[i].offset + entries[i].length;
  }
  const head = await readExact(source, 0, headEnd, null, signal);
  const version = decodeHead(head, trailer);
  const headerChunk = decodeChunk(
    head.subarray(first.offset, first.offset + first.length),
    first.offset,
  );
  checkAgainstEntry(headerChunk, first);
  const header = decodeChecked(CHUNK_TYPES.header, headerChunk.body, {
    offset: first.offset,
    flags: headerChunk.flags,
  });
  const order = new ChunkOrder(header);
  for (let i = 1; i < entries.length; i++) {
    const problem = order.accept(entries[i]);
    if (problem !== null) throw chunkError(CHUNK_TYPES.index, indexOffset, problem);
  }
  const problem = order.finish();
  if (problem !== null) throw chunkError(CHUNK_TYPES.index, indexOffset, problem);
  // Sizes from the header against the file's own bytes (SPEC.md §9): a header whose snapshot
  // count or grid no chunk could hold is refused before anything is decoded.
  for (const e of entries) {
    const least = chunkDescriptor(e.type)?.minLength(header, e.level, e.block, version.minor) ?? 0;
    if (e.length < least) {
      throw chunkError(
        e.type,
        e.offset,
        `chunk of ${e.length} bytes cannot hold what the header implies (at least ${least} bytes)`,
      );
    }
  }
  // META and ATTR are validated whenever present (SPEC.md §4.2, §4.8), though decoding does not
  // use them. A newer minor version may put other chunks before them: a read each then.
  const described = new Map<string, unknown>();
  for (const e of entries) {
    if (!VALIDATED_CHUNKS.has(e.type)) continue;
    const bytes = e.offset + e.length <= headEnd
      ? head.subarray(e.offset, e.offset + e.length)
      : await readExact(source, e.offset, e.length, e.type, signal);
    const chunk = decodeChunk(bytes, e.offset);
    checkAgainstEntry(chunk, e);
    const type = chunkDescriptor(e.type)!.type;
    described.set(
      e.type,
      decodeChecked(type, chunk.body, { header, offset: e.offset, flags: chunk.flags }),
    );
  }
  const meta = (described.get(CHUNK_TYPES.meta) ?? null) as Record<string, unknown> | null;
  const attributes = (described.get(CHUNK_TYPES.attributes) ?? null) as MrcAttributes | null;
  return new MrcContainerImpl(source, version, header, meta, attributes, entries);
}
