// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
// Preamble, chunk framing, index body and trailer (SPEC.md §2, §3, §5, §6). Shared by the writer
// and both readers. Parsers here know the file offset and throw MrcFormatError with it.

import {
  ADDRESS_LENGTH,
  CHUNK_FRAME_LENGTH,
  CHUNK_TYPES,
  END_MAGIC,
  FLAG_DEFLATED,
  INDEX_ENTRY_LENGTH,
  JSON_CHUNK_TYPES,
  NO_BLOCK,
  NO_LEVEL,
  PREAMBLE_LENGTH,
  SIGNATURE,
  TRAILER_LENGTH,
  VERSION_MAJOR,
  VERSION_MINOR,
  VERSION_MINOR_CODED_MASK,
  VERSION_MINOR_DEFLATED,
  VERSION_MINOR_DEFLATED_INDEX,
  VERSION_MINOR_DICTIONARY,
} from "./_constants.ts";
import {
  ByteWriter,
  deflateBody,
  deflateJson,
  getUint64,
  viewOf,
  zlibDecompressExact,
} from "./_bytes.ts";
import { crc32, hex32 } from "./_checksum.ts";
import { chunkError } from "./_chunk_error.ts";
import { hasMrcSignature } from "./signature.ts";

/** Where a chunk sits in the file, as listed by the index. */
export interface MrcChunkEntry {
  /** 4-character chunk type, e.g. `"CODE"`. */
  type: string;
  /** Level index, or `null` for file-level chunks. */
  level: number | null;
  /** Snapshot block index, or `null` for chunks not tied to a block. */
  block: number | null;
  /** Flags of the chunk address (0 in version 1.0; readers ignore them). */
  flags: number;
  /** Offset of the chunk's first byte (its length field) in the file. */
  offset: number;
  /** Total chunk bytes: 12 bytes of framing plus the payload. */
  length: number;
}

/** A format version. */
export interface MrcVersion {
  /** Incompatible changes: a reader refuses a larger major version. */
  major: number;
  /** Compatible additions: a reader reads a larger minor version, skipping what it does not know. */
  minor: number;
}

/** A parsed chunk: its address and body (payload after the 8-byte address). */
export interface ParsedChunk {
  type: string;
  level: number | null;
  block: number | null;
  flags: number;
  body: Uint8Array;
}

const encoder = new TextEncoder();

/** Whether a type is 4 ASCII letters or digits (SPEC.md §3). */
export function isValidType(type: string): boolean {
  return /^[A-Za-z0-9]{4}$/.test(type);
}

function typeOf(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

/** Throws unless the version can be read: same major, any minor. */
export function checkVersion(version: MrcVersion, offset: number): void {
  const { major, minor } = version;
  if (major > VERSION_MAJOR) {
    throw chunkError(
      null,
      offset,
      `format version ${major}.${minor} is newer than the supported version ${VERSION_MAJOR}.${VERSION_MINOR} (major version ${major} > ${VERSION_MAJOR})`,
    );
  }
  if (major < 1) {
    throw chunkError(
      null,
      offset,
      `format version ${major}.${minor} is not a released version (supported: ${VERSION_MAJOR}.${VERSION_MINOR})`,
    );
  }
}

/** The 14-byte preamble: signature and version. */
export function encodePreamble(version: MrcVersion): Uint8Array {
  const out = new Uint8Array(PREAMBLE_LENGTH);
  out.set(SIGNATURE);
  const view = viewOf(out);
  view.setUint16(10, version.major, true);
  view.setUint16(12, version.minor, true);
  return out;
}

/** Parses the preamble (`bytes` holds at least 14 bytes from offset 0). */
export function decodePreamble(bytes: Uint8Array): MrcVersion {
  if (bytes.length < PREAMBLE_LENGTH) {
    throw chunkError(
      null,
      0,
      `file truncated (needs ${PREAMBLE_LENGTH} bytes of signature and version, got ${bytes.length})`,
    );
  }
  if (!hasMrcSignature(bytes)) throw chunkError(null, 0, "not an .mrc file (wrong signature)");
  const view = viewOf(bytes);
  const version = { major: view.getUint16(10, true), minor: view.getUint16(12, true) };
  checkVersion(version, 10);
  return version;
}

/**
 * The preamble of a file's first bytes, checked against the trailer's version (SPEC.md §2: they
 * must agree).
 *
 * @throws {MrcFormatError} On a bad signature, a newer major version, or a disagreement.
 */
export function decodeHead(head: Uint8Array, trailer: MrcVersion): MrcVersion {
  const version = decodePreamble(head);
  if (version.major !== trailer.major || version.minor !== trailer.minor) {
    throw chunkError(
      null,
      10,
      `version ${version.major}.${version.minor} at the start disagrees with version ${trailer.major}.${trailer.minor} in the trailer`,
    );
  }
  return version;
}

/**
 * Whether a file of `version` range-codes its missing mask (1.7, SPEC.md §4.3.1): the one rule of
 * every writer of `NANM` (the writer, block-wise compression, merge).
 */
export function codesMask(version: MrcVersion): boolean {
  return version.minor >= VERSION_MINOR_CODED_MASK;
}

/**
 * A chunk framed for a file of `version`, with its flags: from 1.5 a JSON body (`MHDR`, `META`,
 * `ATTR`) deflated, with flag bit 0 (SPEC.md §3.1), and from 1.6 with the preset dictionary
 * (§3.1.1). The one rule of every writer.
 */
export function encodeChunkFor(
  version: MrcVersion,
  type: string,
  address: { level: number | null; block: number | null },
  body: Uint8Array,
): { chunk: Uint8Array; flags: number } {
  const deflated = version.minor >= VERSION_MINOR_DEFLATED && JSON_CHUNK_TYPES.has(type);
  const flags = deflated ? FLAG_DEFLATED : 0;
  const dictionary = version.minor >= VERSION_MINOR_DICTIONARY;
  return {
    chunk: encodeChunk(
      type,
      { ...address, flags },
      deflated ? deflateJson(body, dictionary) : body,
    ),
    flags,
  };
}

/** Frames a chunk: length, type, address, body, CRC. */
export function encodeChunk(
  type: string,
  address: { level: number | null; block: number | null; flags?: number },
  body: Uint8Array,
): Uint8Array {
  const payload = ADDRESS_LENGTH + body.length;
  const out = new Uint8Array(CHUNK_FRAME_LENGTH + payload);
  const view = viewOf(out);
  view.setUint32(0, payload, true);
  out.set(encoder.encode(type), 4);
  view.setUint16(8, address.level ?? NO_LEVEL, true);
  view.setUint16(10, address.flags ?? 0, true);
  view.setUint32(12, address.block ?? NO_BLOCK, true);
  out.set(body, 16);
  view.setUint32(out.length - 4, crc32(out.subarray(4, out.length - 4)), true);
  return out;
}

/** Reads length and type from the first 8 bytes of a chunk; checks only the type's characters. */
export function decodeChunkPrefix(
  bytes: Uint8Array,
  offset: number,
): { payload: number; type: string } {
  const payload = viewOf(bytes).getUint32(0, true);
  const type = typeOf(bytes, 4);
  if (!isValidType(type)) {
    throw chunkError(
      null,
      offset,
      `invalid chunk type ${JSON.stringify(type)} (expected 4 ASCII letters or digits)`,
    );
  }
  if (payload < ADDRESS_LENGTH) {
    throw chunkError(
      type,
      offset,
      `payload length ${payload} is shorter than the ${ADDRESS_LENGTH}-byte address`,
    );
  }
  return { payload, type };
}

/** The address of a chunk (SPEC.md §3): the 8 bytes after its type, at `at` of `bytes`. */
export function decodeAddress(
  bytes: Uint8Array,
  at: number,
): { level: number | null; flags: number; block: number | null } {
  const view = viewOf(bytes);
  const level = view.getUint16(at, true);
  const block = view.getUint32(at + 4, true);
  return {
    level: level === NO_LEVEL ? null : level,
    flags: view.getUint16(at + 2, true),
    block: block === NO_BLOCK ? null : block,
  };
}

/** The error of a chunk whose payload length field disagrees with its index entry's length. */
export function payloadMismatch(type: string, offset: number, payload: number, length: number) {
  return chunkError(
    type,
    offset,
    `payload length ${payload} disagrees with the index (chunk length ${length}, expected payload ${
      length - CHUNK_FRAME_LENGTH
    })`,
  );
}

/** The error of a chunk whose stored CRC is not the one computed. */
export function crcMismatch(type: string, offset: number, expected: number, found: number) {
  return chunkError(
    type,
    offset,
    `CRC mismatch (expected ${hex32(expected)}, found ${hex32(found)})`,
  );
}

/**
 * Verifies and parses one whole chunk (`bytes` is exactly the chunk, framing included, found at
 * file offset `offset`).
 */
export function decodeChunk(bytes: Uint8Array, offset: number): ParsedChunk {
  if (bytes.length < CHUNK_FRAME_LENGTH + ADDRESS_LENGTH) {
    throw chunkError(
      null,
      offset,
      `chunk truncated (needs at least ${
        CHUNK_FRAME_LENGTH + ADDRESS_LENGTH
      } bytes, got ${bytes.length})`,
    );
  }
  const { payload, type } = decodeChunkPrefix(bytes, offset);
  if (CHUNK_FRAME_LENGTH + payload !== bytes.length) {
    throw payloadMismatch(type, offset, payload, bytes.length);
  }
  const view = viewOf(bytes);
  const expected = view.getUint32(bytes.length - 4, true);
  const found = crc32(bytes.subarray(4, bytes.length - 4));
  if (expected !== found) throw crcMismatch(type, offset, expected, found);
  return { type, ...decodeAddress(bytes, 8), body: bytes.subarray(16, bytes.length - 4) };
}

/** The `INDX` body: u32 count, then 24-byte entries. */
export function encodeIndexBody(entries: readonly MrcChunkEntry[]): Uint8Array {
  const out = new ByteWriter();
  out.appendUint32(entries.length);
  for (const e of entries) {
    out.appendBytes(encoder.encode(e.type));
    out.appendUint16(e.level ?? NO_LEVEL);
    out.appendUint16(e.flags);
    out.appendUint32(e.block ?? NO_BLOCK);
    out.appendUint32(e.length);
    out.appendUint64(e.offset);
  }
  return out.toBytes();
}

/**
 * The `INDX` chunk of a file of `version` listing `entries`: from 1.6 its body deflated, with flag
 * bit 0 (SPEC.md §5). The one rule of every writer of single-variable files.
 */
export function encodeIndexFor(version: MrcVersion, entries: readonly MrcChunkEntry[]): Uint8Array {
  const body = encodeIndexBody(entries);
  const address = { level: null, block: null };
  if (version.minor < VERSION_MINOR_DEFLATED_INDEX) {
    return encodeChunk(CHUNK_TYPES.index, address, body);
  }
  return encodeChunk(CHUNK_TYPES.index, { ...address, flags: FLAG_DEFLATED }, deflateBody(body));
}

/**
 * Parses an `INDX` body found in the chunk at file offset `offset`, inflated first where `flags`
 * has bit 0 (1.6, SPEC.md §5): a u32 length `L`, at most what the `offset - 14` bytes of chunks
 * before it can list (every chunk is at least 20 bytes) and at most `maxBytes`, then the zlib
 * stream of those `L` bytes.
 */
export function decodeIndexBody(
  body: Uint8Array,
  offset: number,
  flags = 0,
  maxBytes = Infinity,
): MrcChunkEntry[] {
  const type = CHUNK_TYPES.index;
  if (flags & FLAG_DEFLATED) {
    if (body.length < 4) {
      throw chunkError(type, offset, `deflated body of ${body.length} bytes, at least 4`);
    }
    const length = viewOf(body).getUint32(0, true);
    const most = 4 + INDEX_ENTRY_LENGTH *
        Math.floor(Math.max(0, offset - PREAMBLE_LENGTH) / (CHUNK_FRAME_LENGTH + ADDRESS_LENGTH));
    if (length > most) {
      throw chunkError(
        type,
        offset,
        `deflated body of ${length} bytes, more than the ${most} an index at offset ${offset} can need`,
      );
    }
    // A file's size may be what a server claims: the inflated index is held to the budget too.
    if (length > maxBytes) {
      throw chunkError(
        type,
        offset,
        `deflated body of ${length} bytes above maxBytes ${maxBytes} (pass a larger maxBytes for a file you trust)`,
      );
    }
    body = zlibDecompressExact(body.subarray(4), length, type);
  }
  if (body.length < 4) {
    throw chunkError(type, offset, `body has ${body.length} bytes, expected >= 4`);
  }
  const view = viewOf(body);
  const count = view.getUint32(0, true);
  if (4 + count * INDEX_ENTRY_LENGTH !== body.length) {
    throw chunkError(
      type,
      offset,
      `${count} entries need ${4 + count * INDEX_ENTRY_LENGTH} bytes, body has ${body.length}`,
    );
  }
  const entries: MrcChunkEntry[] = [];
  for (let i = 0, at = 4; i < count; i++, at += INDEX_ENTRY_LENGTH) {
    const entryType = typeOf(body, at);
    if (!isValidType(entryType)) {
      throw chunkError(type, offset, `entry ${i} has invalid type ${JSON.stringify(entryType)}`);
    }
    const level = view.getUint16(at + 4, true);
    const block = view.getUint32(at + 8, true);
    const entryOffset = getUint64(view, at + 16);
    if (entryOffset < 0) throw chunkError(type, offset, `entry ${i} has an offset above 2^53`);
    entries.push({
      type: entryType,
      level: level === NO_LEVEL ? null : level,
      flags: view.getUint16(at + 6, true),
      block: block === NO_BLOCK ? null : block,
      length: view.getUint32(at + 12, true),
      offset: entryOffset,
    });
  }
  return entries;
}

/** Where the index is, as recorded by the trailer. */
export interface Trailer extends MrcVersion {
  indexOffset: number;
  indexLength: number;
}

/** The 28-byte trailer. */
export function encodeTrailer(trailer: Trailer): Uint8Array {
  const out = new Uint8Array(TRAILER_LENGTH);
  const view = viewOf(out);
  view.setBigUint64(0, BigInt(trailer.indexOffset), true);
  view.setUint32(8, trailer.indexLength, true);
  view.setUint16(12, trailer.major, true);
  view.setUint16(14, trailer.minor, true);
  view.setUint32(16, crc32(out.subarray(0, 16)), true);
  out.set(END_MAGIC, 20);
  return out;
}

/**
 * Parses the trailer (`bytes` = the last 28 bytes, found at `offset` in a file of `fileLength`
 * bytes) and checks that the index lies between the preamble and the trailer.
 */
export function decodeTrailer(bytes: Uint8Array, offset: number, fileLength: number): Trailer {
  if (bytes.length !== TRAILER_LENGTH) {
    throw chunkError(
      null,
      offset,
      `file truncated (trailer has ${bytes.length} of ${TRAILER_LENGTH} bytes)`,
    );
  }
  for (let i = 0; i < END_MAGIC.length; i++) {
    if (bytes[20 + i] !== END_MAGIC[i]) {
      throw chunkError(
        null,
        offset,
        "file truncated or not an .mrc file (no end magic in the last 8 bytes)",
      );
    }
  }
  const view = viewOf(bytes);
  const expected = view.getUint32(16, true);
  const found = crc32(bytes.subarray(0, 16));
  if (expected !== found) {
    throw chunkError(
      null,
      offset,
      `trailer CRC mismatch (expected ${hex32(expected)}, found ${hex32(found)})`,
    );
  }
  const trailer = {
    indexOffset: getUint64(view, 0),
    indexLength: view.getUint32(8, true),
    major: view.getUint16(12, true),
    minor: view.getUint16(14, true),
  };
  checkVersion(trailer, offset + 12);
  if (
    trailer.indexOffset < PREAMBLE_LENGTH ||
    trailer.indexOffset + trailer.indexLength !== fileLength - TRAILER_LENGTH
  ) {
    // getUint64 gives -1 above 2^53: the message shows the value as written.
    const at = trailer.indexOffset < 0
      ? `${view.getBigUint64(0, true)} (beyond 2^53)`
      : trailer.indexOffset;
    throw chunkError(
      null,
      offset,
      `index at offset ${at} with length ${trailer.indexLength} does not end at the trailer (offset ${
        fileLength - TRAILER_LENGTH
      })`,
    );
  }
  return trailer;
}

/** Error for an index entry that disagrees with what the chunk or the header says. */
export function describeEntry(
  e: { type: string; level: number | null; block: number | null },
): string {
  const parts = [`"${e.type}"`];
  if (e.level !== null) parts.push(`level ${e.level}`);
  if (e.block !== null) parts.push(`block ${e.block}`);
  return parts.join(" ");
}
