// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * Magic bytes, version numbers and chunk type ids of the `.mrc` container.
 * The byte-level description is `format/SPEC.md`; the section numbers below refer to it.
 *
 * ```
 * File layout (SPEC.md §2), little-endian throughout:
 *
 * offset        size  field
 * 0             10    signature 8A 4D 52 43 41 45 0D 0A 1A 0A  ("\x8AMRCAE\r\n\x1A\n")
 * 10            2     u16 major version (1)
 * 12            2     u16 minor version (2)
 * 14            ...   chunks, back to back: MHDR [META] [ATTR] [NANM] level 0 .. level N-1, unknown types
 * indexOffset   ...   INDX chunk
 * end - 28      28    trailer
 *
 * Chunk (SPEC.md §3):
 * +0            4     u32 payload length P (>= 8)
 * +4            4     type, 4 ASCII letters/digits
 * +8            2     u16 level, 0xFFFF = none    ┐
 * +10           2     u16 flags (0 in 1.0)        │ payload (P bytes)
 * +12           4     u32 block, 0xFFFFFFFF = none┘
 * +16           P-8   body
 * +8+P          4     u32 CRC-32 (zlib) of type + payload
 *
 * Index entry (SPEC.md §5), 24 bytes:
 * +0 type (4) | +4 u16 level | +6 u16 flags | +8 u32 block | +12 u32 chunk length | +16 u64 offset
 *
 * Trailer (SPEC.md §6), 28 bytes:
 * +0 u64 index offset | +8 u32 index length | +12 u16 major | +14 u16 minor
 * +16 u32 CRC-32 of trailer bytes 0..15 | +20 end magic 8A 45 4E 44 0D 0A 1A 0A ("\x8AEND\r\n\x1A\n")
 * ```
 *
 * @module
 */

/** The 10 signature bytes at offset 0 (SPEC.md §2). */
export const SIGNATURE: Uint8Array = new Uint8Array([
  0x8a,
  0x4d,
  0x52,
  0x43,
  0x41,
  0x45,
  0x0d,
  0x0a,
  0x1a,
  0x0a,
]);
/** The 8 magic bytes that end every file (SPEC.md §6). */
export const END_MAGIC: Uint8Array = new Uint8Array([
  0x8a,
  0x45,
  0x4e,
  0x44,
  0x0d,
  0x0a,
  0x1a,
  0x0a,
]);

/** Major version written by this implementation; readers refuse a larger one. */
export const VERSION_MAJOR = 1;
/**
 * Minor version written by this implementation (1.7: the missing-value mask range-coded);
 * readers accept a larger one.
 */
export const VERSION_MINOR = 7;
/** The minor version from which files may be bounded-coded (1.2, SPEC.md §4.7). */
export const VERSION_MINOR_BOUNDED = 2;
/** The minor version from which files may have learned prediction and shards (1.3). */
export const VERSION_MINOR_LEARNED = 3;
/** The minor version from which writers deflate the JSON bodies (1.5, SPEC.md §3.1). */
export const VERSION_MINOR_DEFLATED = 5;
/** Bit 0 of a chunk's flags (1.5): its body is deflated JSON (SPEC.md §3.1). */
export const FLAG_DEFLATED = 1;
/**
 * The minor version from which writers deflate the JSON bodies with the preset dictionary (1.6,
 * SPEC.md §3.1.1).
 */
export const VERSION_MINOR_DICTIONARY = 6;
/** The minor version from which writers deflate the `INDX` body (1.6, SPEC.md §5). */
export const VERSION_MINOR_DEFLATED_INDEX = 6;
/** The minor version from which writers range-code the `NANM` mask (1.7, SPEC.md §4.3.1). */
export const VERSION_MINOR_CODED_MASK = 7;

/** Signature (10) + u16 major + u16 minor. */
export const PREAMBLE_LENGTH = 14;
/** u32 length + 4-byte type. */
export const CHUNK_PREFIX_LENGTH = 8;
/** u32 length + type + CRC: the bytes of a chunk outside its payload. */
export const CHUNK_FRAME_LENGTH = 12;
/** u16 level + u16 flags + u32 block at the start of every payload. */
export const ADDRESS_LENGTH = 8;
/** Size of one index entry. */
export const INDEX_ENTRY_LENGTH = 24;
/** Size of the trailer. */
export const TRAILER_LENGTH = 28;

/** `level` value meaning "not attached to a level". */
export const NO_LEVEL = 0xffff;
/** `block` value meaning "not attached to a snapshot block". */
export const NO_BLOCK = 0xffffffff;

/** Largest payload length a chunk may declare (its total length must fit a u32). */
export const MAX_PAYLOAD_LENGTH = 0xffffffff - CHUNK_FRAME_LENGTH;
/** Upper bound on the MHDR and META JSON bodies: 16 MiB, far above any real header. */
export const MAX_JSON_LENGTH = 16 * 1024 * 1024;

/** Chunk type ids (SPEC.md §4). */
export const CHUNK_TYPES = {
  header: "MHDR",
  meta: "META",
  /** 1.2: the source's variable, dimensions, coordinates and attributes (SPEC.md §4.8). */
  attributes: "ATTR",
  missingMask: "NANM",
  levelWeights: "DECW",
  masks: "MASK",
  code: "CODE",
  bounded: "BCOD",
  index: "INDX",
} as const;

/** The chunk types whose body is JSON: deflated from 1.5 (SPEC.md §3.1). */
export const JSON_CHUNK_TYPES: ReadonlySet<string> = new Set([
  CHUNK_TYPES.header,
  CHUNK_TYPES.meta,
  CHUNK_TYPES.attributes,
]);

/**
 * 1.4: the first chunk of a collection of variables (SPEC.md §12), which holds each variable's
 * file in a {@linkcode PART_TYPE} chunk. Not a chunk of a single-variable file (where it would be
 * an unknown type).
 */
export const COLLECTION_TYPE = "COLL";
/** 1.4: a chunk of a collection whose body is one part: a whole single-variable file. */
export const PART_TYPE = "PART";
/** The minor version of collections. */
export const VERSION_MINOR_COLLECTION = 4;

/** The chunk types this version knows; any other type is skipped by readers. */
export const KNOWN_TYPES: ReadonlySet<string> = new Set(Object.values(CHUNK_TYPES));

/** The attribute and variable types `ATTR` may name (SPEC.md §4.8: netCDF's type names). */
export const ATTRIBUTE_TYPES: ReadonlySet<string> = new Set([
  "char",
  "string",
  "byte",
  "ubyte",
  "short",
  "ushort",
  "int",
  "uint",
  "int64",
  "uint64",
  "float",
  "double",
]);
