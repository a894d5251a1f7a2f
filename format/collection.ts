// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * Collections (version 1.4, SPEC.md §12): several variables in one `.mrc` file. A collection is a
 * `COLL` chunk naming the variables, then one `PART` chunk per **part**, each part a whole
 * single-variable `.mrc` file, unchanged: a variable is one part, or, with a **layer** dimension
 * (the vertical levels of a 4-D variable), one part per layer. Each part keeps its own random
 * access (levels, snapshot blocks); the collection adds one read to find it.
 *
 * ```
 * offset   content
 * 0        preamble, version 1.4
 * 14       COLL   (level none, block none): JSON, the variables and their parts
 *          PART 0 (level none, block 0): a whole .mrc file
 *          PART 1 (level none, block 1) ...
 *          (chunks of unknown types anywhere after COLL)
 *          INDX, trailer
 * ```
 *
 * @module
 */

import {
  ADDRESS_LENGTH,
  CHUNK_FRAME_LENGTH,
  CHUNK_PREFIX_LENGTH,
  CHUNK_TYPES,
  COLLECTION_TYPE,
  MAX_JSON_LENGTH,
  PART_TYPE,
  PREAMBLE_LENGTH,
  TRAILER_LENGTH,
  VERSION_MAJOR,
  VERSION_MINOR_COLLECTION,
} from "./_constants.ts";
import { decodeJson, encodeJson, viewOf } from "./_bytes.ts";
import { crc32 } from "./_checksum.ts";
import { chunkError } from "./_chunk_error.ts";
import {
  decodeAddress,
  decodeChunk,
  decodeChunkPrefix,
  decodeHead,
  decodePreamble,
  describeEntry,
  encodeChunk,
  encodeIndexBody,
  encodePreamble,
  encodeTrailer,
  type MrcChunkEntry,
  type MrcVersion,
} from "./_framing.ts";
import { type FileIndex, readFileIndex } from "./reader.ts";
import type { ByteSink } from "./writer.ts";
import { checkRange, type RangeSource, type ReadOptions } from "./source.ts";

/** One variable of a collection (SPEC.md §12.1). */
export interface CollectionVariable {
  /** Its name, unique in the collection (the netCDF variable's name). */
  name: string;
  /**
   * The name of its layer dimension (`"plev"`): the variable is 4-D, one part per layer, in the
   * order of `parts`; null for a variable of one part without one.
   */
  layer: string | null;
  /** Its parts: indices of `PART` chunks, consecutive over the collection (§12.1). */
  parts: number[];
}

/** The body of a `COLL` chunk. */
export interface CollectionHeader {
  /** The variables, in the order of their parts. */
  variables: CollectionVariable[];
}

/** Most variables and parts of a collection: one `PART` block number each, far below 2^32. */
export const MAX_PARTS = 65536;
/** The largest part: a `PART` payload is at most `2^32 - 13` bytes, its address included. */
export const MAX_PART_BYTES = 2 ** 32 - 13 - ADDRESS_LENGTH;
/** The smallest valid `.mrc` file: preamble, two chunks of 20 bytes, trailer. */
const MIN_PART_BYTES = PREAMBLE_LENGTH + 2 * (CHUNK_FRAME_LENGTH + ADDRESS_LENGTH) + TRAILER_LENGTH;

/**
 * Validates a parsed `COLL` body (SPEC.md §12.1) and returns it typed.
 *
 * @param value The parsed JSON.
 * @param offset The chunk's offset, for errors.
 * @throws {MrcFormatError} Naming the rule broken.
 */
export function validateCollectionHeader(value: unknown, offset: number | null): CollectionHeader {
  const fail = (problem: string) => chunkError(COLLECTION_TYPE, offset, problem);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw fail("body is not a JSON object");
  }
  const variables = (value as { variables?: unknown }).variables;
  if (!Array.isArray(variables) || variables.length < 1 || variables.length > MAX_PARTS) {
    throw fail(`"variables" must be an array of 1 to ${MAX_PARTS} variables`);
  }
  const names = new Set<string>();
  let next = 0;
  const out: CollectionVariable[] = variables.map((v, i) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      throw fail(`variable ${i} is not an object`);
    }
    const { name, layer, parts } = v as Record<string, unknown>;
    if (typeof name !== "string" || name === "") {
      throw fail(`variable ${i}: "name" must be a non-empty string`);
    }
    if (names.has(name)) throw fail(`variable ${i}: the name ${JSON.stringify(name)} is taken`);
    names.add(name);
    if (layer !== null && (typeof layer !== "string" || layer === "")) {
      throw fail(`variable ${JSON.stringify(name)}: "layer" must be a non-empty string or null`);
    }
    if (!Array.isArray(parts) || parts.length < 1) {
      throw fail(`variable ${JSON.stringify(name)}: "parts" must be a non-empty array`);
    }
    if (layer === null && parts.length !== 1) {
      throw fail(
        `variable ${JSON.stringify(name)}: ${parts.length} parts need a "layer" dimension`,
      );
    }
    for (const p of parts) {
      if (p !== next) {
        throw fail(
          `variable ${JSON.stringify(name)}: part ${
            JSON.stringify(p)
          } where part ${next} is next (the parts of the variables, in order, are 0, 1, 2, ...)`,
        );
      }
      next++;
      if (next > MAX_PARTS) throw fail(`more than ${MAX_PARTS} parts`);
    }
    return { name, layer: layer as string | null, parts: parts.slice() as number[] };
  });
  return { variables: out };
}

/** The number of parts a validated header names. */
export function partCount(header: CollectionHeader): number {
  return header.variables.reduce((n, v) => n + v.parts.length, 0);
}

/** Options of {@linkcode CollectionWriter}. */
export interface CollectionWriterOptions {
  /** Aborts pending and later writes. Default: none. */
  signal?: AbortSignal;
  /**
   * CRC-32 of `bytes` continued from `crc` (zlib's `crc32()`, as `node:zlib`'s), for the `PART`
   * chunks' CRCs: a native one runs at memory speed. Default: the format's, in JavaScript.
   */
  crc32?: (bytes: Uint8Array, crc?: number) => number;
}

/**
 * Writes a collection (SPEC.md §12): the `COLL` chunk, then each part, a whole single-variable
 * `.mrc` file, framed as a `PART` chunk, then the index and trailer. Parts are sent to the sink as
 * they come; only the index entries are kept. A part is checked to be a single-variable file
 * (its preamble, trailer and first chunk `MHDR`) before it is framed.
 *
 * @example A collection of two files written in memory, opened again
 * ```ts
 * import assert from "node:assert";
 * import { CollectionWriter, fromBytes, openCollectionContainer } from "./mod.ts";
 *
 * const part = await Deno.readFile(new URL("../tests/testdata/v1.2-bounded.mrc", import.meta.url));
 * const chunks: Uint8Array[] = [];
 * const writer = new CollectionWriter({ write: (b) => void chunks.push(b) });
 * await writer.begin({ variables: [
 *   { name: "a", layer: null, parts: [0] },
 *   { name: "b", layer: null, parts: [1] },
 * ] });
 * await writer.writePart(part);
 * await writer.writePart(part);
 * const size = await writer.finish();
 * const bytes = new Uint8Array(size);
 * let at = 0;
 * for (const c of chunks) at += (bytes.set(c, at), c.length);
 * const c = await openCollectionContainer(fromBytes(bytes));
 * assert.deepStrictEqual(c.header.variables.map((v) => v.name), ["a", "b"]);
 * assert.strictEqual(c.partSource(1).byteLength, part.length);
 * ```
 */
export class CollectionWriter {
  #sink: ByteSink;
  #signal: AbortSignal | undefined;
  #crc32: (bytes: Uint8Array, crc?: number) => number;
  #offset = 0;
  #entries: MrcChunkEntry[] = [];
  #parts = -1;
  #finished = false;

  /**
   * Makes a writer; nothing is written until {@linkcode CollectionWriter.begin}.
   *
   * @param sink Where the bytes go, in order.
   * @param options Signal.
   */
  constructor(sink: ByteSink, options: CollectionWriterOptions = {}) {
    if (typeof sink?.write !== "function") {
      throw new TypeError("Cannot make collection writer: expected an object with write()");
    }
    this.#sink = sink;
    this.#signal = options.signal;
    this.#crc32 = options.crc32 ?? crc32;
  }

  async #put(bytes: Uint8Array): Promise<void> {
    this.#signal?.throwIfAborted();
    await this.#sink.write(bytes);
    this.#offset += bytes.length;
  }

  /**
   * Writes the preamble (version 1.4) and the `COLL` chunk.
   *
   * @param header The variables; validated as a reader validates them.
   * @throws {TypeError} When called twice or the header is invalid.
   */
  async begin(header: CollectionHeader): Promise<void> {
    if (this.#parts >= 0) throw new TypeError("Cannot begin a collection twice");
    let valid: CollectionHeader;
    try {
      valid = validateCollectionHeader(structuredClone(header), null);
    } catch (e) {
      throw new TypeError(`Cannot write collection: ${(e as Error).message}`);
    }
    const body = encodeJson(valid);
    if (body.length > MAX_JSON_LENGTH) {
      throw new TypeError(`Cannot write collection: COLL body above ${MAX_JSON_LENGTH} bytes`);
    }
    this.#expected = partCount(valid);
    this.#parts = 0;
    await this.#put(encodePreamble({ major: VERSION_MAJOR, minor: VERSION_MINOR_COLLECTION }));
    await this.#chunk(COLLECTION_TYPE, null, body);
  }

  #expected = 0;

  async #chunk(type: string, block: number | null, body: Uint8Array): Promise<void> {
    const chunk = encodeChunk(type, { level: null, block }, body);
    this.#entries.push({
      type,
      level: null,
      flags: 0,
      block,
      length: chunk.length,
      offset: this.#offset,
    });
    await this.#put(chunk);
  }

  /**
   * Writes the next part: a whole single-variable `.mrc` file, framed as a `PART` chunk. The frame
   * is written around the bytes without copying them.
   *
   * @param file The part's bytes.
   * @throws {TypeError} Before `begin()`, past the header's part count, for a part above 4 GiB
   *   (`MAX_PART_BYTES`), or for bytes that are not a single-variable `.mrc` file.
   */
  async writePart(file: Uint8Array): Promise<void> {
    if (this.#parts < 0) throw new TypeError("Cannot write a part before begin()");
    if (this.#parts >= this.#expected) {
      throw new TypeError(`Cannot write part ${this.#parts}: the header names ${this.#expected}`);
    }
    if (file.length > MAX_PART_BYTES) {
      throw new TypeError(
        `Cannot write part ${this.#parts}: ${file.length} bytes, above the ${MAX_PART_BYTES} a PART chunk holds (write that variable to a file of its own)`,
      );
    }
    checkPartBytes(file, this.#parts);
    const block = this.#parts++;
    const payload = ADDRESS_LENGTH + file.length;
    const head = new Uint8Array(CHUNK_PREFIX_LENGTH + ADDRESS_LENGTH);
    const view = viewOf(head);
    view.setUint32(0, payload, true);
    head.set(new TextEncoder().encode(PART_TYPE), 4);
    view.setUint16(8, 0xffff, true);
    view.setUint16(10, 0, true);
    view.setUint32(12, block, true);
    const tail = new Uint8Array(4);
    viewOf(tail).setUint32(0, this.#crc32(file, this.#crc32(head.subarray(4))), true);
    this.#entries.push({
      type: PART_TYPE,
      level: null,
      flags: 0,
      block,
      length: head.length + file.length + 4,
      offset: this.#offset,
    });
    await this.#put(head);
    await this.#put(file);
    await this.#put(tail);
  }

  /**
   * Writes the index and the trailer.
   *
   * @returns The file's size in bytes.
   * @throws {TypeError} When parts are missing or called twice.
   */
  async finish(): Promise<number> {
    if (this.#finished) throw new TypeError("Cannot finish a collection twice");
    if (this.#parts < 0 || this.#parts !== this.#expected) {
      throw new TypeError(
        `Cannot finish collection: ${Math.max(0, this.#parts)} of ${this.#expected} parts written`,
      );
    }
    this.#finished = true;
    const indexOffset = this.#offset;
    const index = encodeChunk(
      CHUNK_TYPES.index,
      { level: null, block: null },
      encodeIndexBody(
        this.#entries,
      ),
    );
    await this.#put(index);
    await this.#put(encodeTrailer({
      indexOffset,
      indexLength: index.length,
      major: VERSION_MAJOR,
      minor: VERSION_MINOR_COLLECTION,
    }));
    return this.#offset;
  }
}

/** Checks that `file` looks like a whole single-variable `.mrc` file (not a collection). */
function checkPartBytes(file: Uint8Array, part: number): void {
  const problem = (() => {
    if (file.length < MIN_PART_BYTES) return `${file.length} bytes, too short for an .mrc file`;
    try {
      decodePreamble(file);
      const { type } = decodeChunkPrefix(file.subarray(PREAMBLE_LENGTH), PREAMBLE_LENGTH);
      if (type !== CHUNK_TYPES.header) {
        return `its first chunk is "${type}" (a part is a single-variable file, starting with "${CHUNK_TYPES.header}")`;
      }
    } catch (e) {
      return (e as Error).message;
    }
    return null;
  })();
  if (problem !== null) throw new TypeError(`Cannot write part ${part}: ${problem}`);
}

/** A collection opened for random access: its variables and where their parts are. */
export interface MrcCollectionContainer {
  /** The collection's version (1.4 or a later minor). */
  readonly version: MrcVersion;
  /** The validated `COLL` body. */
  readonly header: CollectionHeader;
  /** The `PART` entries of the index, part `p` at `p`. */
  readonly parts: readonly MrcChunkEntry[];
  /** Every chunk but `INDX`, in file order. */
  readonly chunks: readonly MrcChunkEntry[];
  /** File size in bytes. */
  readonly byteLength: number;
  /**
   * The bytes of part `p` (a whole `.mrc` file) as a range source over the collection's: no read
   * until it is read. Closing it closes nothing.
   */
  partSource(p: number): RangeSource;
  /**
   * Verifies part `p`'s `PART` chunk (length, type, address, CRC), reading it in pieces and
   * keeping none: what `verify` adds to the part's own checks.
   */
  checkPart(p: number, options?: ReadOptions): Promise<void>;
}

/**
 * Opens a collection (SPEC.md §12) with three reads: the trailer, the index and the bytes up to
 * the end of `COLL`. The parts are not read: each is opened as a file of its own through
 * {@linkcode MrcCollectionContainer.partSource}.
 *
 * @param source The file.
 * @param options `signal` aborts the reads; `index` when the caller has read it.
 * @returns The open collection.
 * @throws {MrcFormatError} When the file is not a valid collection (also for a single-variable
 *   file, whose first chunk is `MHDR`).
 */
export async function openCollectionContainer(
  source: RangeSource,
  options: { signal?: AbortSignal; index?: FileIndex } = {},
): Promise<MrcCollectionContainer> {
  const { signal } = options;
  const { trailer, entries } = options.index ?? await readFileIndex(source, signal);
  const first = entries[0];
  if (first?.type !== COLLECTION_TYPE || first.level !== null || first.block !== null) {
    throw chunkError(
      CHUNK_TYPES.index,
      trailer.indexOffset,
      `not a collection: the first chunk is ${
        first ? describeEntry(first) : "absent"
      }, not "${COLLECTION_TYPE}"`,
    );
  }
  if (first.length > CHUNK_FRAME_LENGTH + ADDRESS_LENGTH + MAX_JSON_LENGTH) {
    throw chunkError(COLLECTION_TYPE, first.offset, `${first.length} bytes, above 16 MiB of JSON`);
  }
  const headEnd = first.offset + first.length;
  const head = await source.read(0, headEnd, { signal });
  if (head.length !== headEnd) {
    throw chunkError(null, 0, `file truncated (needs ${headEnd} bytes, got ${head.length})`);
  }
  const version = decodeHead(head, trailer);
  const chunk = decodeChunk(head.subarray(first.offset), first.offset);
  if (chunk.flags !== first.flags) {
    throw chunkError(COLLECTION_TYPE, first.offset, "index disagrees with the chunk's flags");
  }
  const header = validateCollectionHeader(
    decodeJson(chunk.body, COLLECTION_TYPE),
    first.offset,
  );
  // The order rules (§12.2): PART chunks 0 .. P-1 in order, each at least a file's length;
  // unknown types anywhere after COLL; no other known chunk.
  const parts: MrcChunkEntry[] = [];
  for (const e of entries.slice(1)) {
    if (e.type === PART_TYPE) {
      if (e.level !== null || e.block !== parts.length) {
        throw chunkError(
          CHUNK_TYPES.index,
          trailer.indexOffset,
          `${describeEntry(e)} where "${PART_TYPE}" of block ${parts.length} (no level) is next`,
        );
      }
      if (e.length < CHUNK_FRAME_LENGTH + ADDRESS_LENGTH + MIN_PART_BYTES) {
        throw chunkError(PART_TYPE, e.offset, `${e.length} bytes cannot hold an .mrc file`);
      }
      parts.push(e);
    } else if (e.type === COLLECTION_TYPE || Object.values(CHUNK_TYPES).includes(e.type as never)) {
      throw chunkError(
        CHUNK_TYPES.index,
        trailer.indexOffset,
        `${
          describeEntry(e)
        } in a collection (after "${COLLECTION_TYPE}" come "${PART_TYPE}" chunks and chunks of unknown types)`,
      );
    }
  }
  const expected = partCount(header);
  if (parts.length !== expected) {
    throw chunkError(
      CHUNK_TYPES.index,
      trailer.indexOffset,
      `${parts.length} "${PART_TYPE}" chunks, but "${COLLECTION_TYPE}" names ${expected} parts`,
    );
  }
  return {
    version,
    header,
    parts,
    chunks: entries,
    byteLength: source.byteLength,
    partSource: (p) => partSource(source, parts[p], p),
    checkPart: (p, readOptions) => checkPart(source, parts[p], p, readOptions),
  };
}

/** The body of a `PART` chunk as a source of its own: offsets shifted, reads kept inside it. */
function partSource(source: RangeSource, entry: MrcChunkEntry | undefined, p: number): RangeSource {
  if (entry === undefined) throw new RangeError(`Cannot read part ${p}: no such part`);
  const start = entry.offset + CHUNK_PREFIX_LENGTH + ADDRESS_LENGTH;
  const byteLength = entry.length - CHUNK_FRAME_LENGTH - ADDRESS_LENGTH;
  const prefetch = (source as { prefetch?: unknown }).prefetch;
  const view: RangeSource & {
    prefetch?(
      ranges: readonly { offset: number; length: number }[],
      o?: ReadOptions,
    ): Promise<void>;
  } = {
    byteLength,
    read(offset: number, length: number, options?: ReadOptions): Promise<Uint8Array> {
      checkRange(byteLength, offset, length);
      return source.read(start + offset, length, options);
    },
  };
  if (typeof prefetch === "function") {
    view.prefetch = (ranges, o) =>
      prefetch.call(source, ranges.map((r) => ({ offset: start + r.offset, length: r.length })), o);
  }
  return view;
}

/** Bytes per read of {@linkcode MrcCollectionContainer.checkPart}. */
const CHECK_PIECE = 1 << 20;

async function checkPart(
  source: RangeSource,
  entry: MrcChunkEntry | undefined,
  p: number,
  options?: ReadOptions,
): Promise<void> {
  if (entry === undefined) throw new RangeError(`Cannot check part ${p}: no such part`);
  const end = entry.offset + entry.length;
  let crc = 0;
  for (let at = entry.offset; at < end - 4; at += CHECK_PIECE) {
    const n = Math.min(CHECK_PIECE, end - 4 - at);
    const bytes = await source.read(at, n, options);
    if (bytes.length !== n) throw chunkError(PART_TYPE, entry.offset, "file truncated");
    if (at === entry.offset) {
      const { payload, type } = decodeChunkPrefix(bytes, entry.offset);
      const address = decodeAddress(bytes, CHUNK_PREFIX_LENGTH);
      if (
        type !== PART_TYPE || payload !== entry.length - CHUNK_FRAME_LENGTH ||
        address.level !== null || address.block !== p || address.flags !== entry.flags
      ) {
        throw chunkError(PART_TYPE, entry.offset, "the chunk disagrees with the index");
      }
      crc = crc32(bytes.subarray(4));
    } else {
      crc = crc32(bytes, crc);
    }
  }
  const tail = await source.read(end - 4, 4, options);
  const stored = tail.length === 4 ? viewOf(tail).getUint32(0, true) : -1;
  if (stored !== crc) {
    throw chunkError(PART_TYPE, entry.offset, `CRC mismatch (part ${p})`);
  }
}
