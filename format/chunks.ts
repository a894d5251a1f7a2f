// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * The chunk descriptor table: per known chunk type (SPEC.md §4) its address scope, the coding
 * whose levels hold it, its place in the order rules (§7), its largest and smallest payload
 * under a header (§9), its byte-summary category, and its decode-and-check. The writer, both
 * readers, the order rules, the decode engines and the CLI's byte summaries read it, so a new
 * chunk type is one row here plus its body codec.
 *
 * @module
 */

import {
  ADDRESS_LENGTH,
  CHUNK_FRAME_LENGTH,
  CHUNK_TYPES,
  INDEX_ENTRY_LENGTH,
  MAX_JSON_LENGTH,
  VERSION_MINOR_CODED_MASK,
} from "./_constants.ts";
import { chunkError } from "./_chunk_error.ts";
import type { MrcFormatError } from "./error.ts";
import { withOffset } from "./_bytes.ts";
import { decodeIndexBody, type MrcChunkEntry } from "./_framing.ts";
import { decodeAttributes, type MrcAttributes } from "./attributes.ts";
import { type BoundedBlock, decodeBoundedBlock } from "./bounded_block.ts";
import { type CodeBlockHead, decodeCodeBlock, type DecodedCodeBlock } from "./code_block.ts";
import { blockSnapshotCount, codeStreamCount, streamLayout } from "./geometry.ts";
import { decodeHeader, isBounded, type MrcHeader } from "./header.ts";
import { decodeLevelWeights, type LevelWeights } from "./level_weights.ts";
import { decodeMasks } from "./masks.ts";
import { decodeMeta } from "./meta.ts";
import { decodeMissingMask, type MissingMask } from "./missing_mask.ts";

export { CHUNK_TYPES, chunkError };
export type { BoundedBlock, DecodedCodeBlock, LevelWeights, MissingMask };

/** A chunk type id this version knows (the values of `CHUNK_TYPES`). */
export type ChunkType = keyof ChunkValues;

/**
 * Where a chunk is addressed: `file` (no level, no block), `level` (a level, no block) or
 * `block` (a level and a block of snapshots).
 */
export type ChunkScope = "file" | "level" | "block";

/** What a byte summary counts a chunk as. */
export type ChunkCategory =
  | "header"
  | "attributes"
  | "missing"
  | "weights"
  | "masks"
  | "codes"
  | "index";

/** What a chunk body is checked against. */
export interface ChunkContext {
  /** The file's header; required by every type but `MHDR` itself. */
  header?: MrcHeader;
  /** The chunk's level (level and block chunks). */
  level?: number | null;
  /** The chunk's block (block chunks). */
  block?: number | null;
  /** `MASK` counts of the chunk's level, when read: `CODE` stream sizes are checked against them. */
  maskCounts?: readonly number[] | null;
  /** The chunk's offset, added to errors. Default: none. */
  offset?: number;
  /**
   * The chunk's flags, which say how its body is stored (bit 0: deflated JSON, SPEC.md §3.1):
   * required, so that no reader forgets them.
   */
  flags: number;
}

/** The decoded body of each known chunk type. */
export interface ChunkValues {
  /** The header. */
  MHDR: MrcHeader;
  /** The metadata object (the compression report). */
  META: Record<string, unknown>;
  /** The source's variable, dimensions, coordinates and attributes. */
  ATTR: MrcAttributes;
  /** The missing-value mask, its count checked. */
  NANM: MissingMask;
  /** A level's decoder weights. */
  DECW: LevelWeights;
  /** A level's group masks. */
  MASK: Uint8Array[];
  /** A block's codes, its counts checked. */
  CODE: DecodedCodeBlock;
  /** A block's bounded codes, its snapshot count checked. */
  BCOD: BoundedBlock;
  /** The index entries. */
  INDX: MrcChunkEntry[];
}

/** One row of {@linkcode CHUNKS}. */
export interface ChunkDescriptor<T extends ChunkType = ChunkType> {
  /** The 4-letter id. */
  type: T;
  /** Its address. */
  scope: ChunkScope;
  /**
   * Level chunks: the coding whose levels hold it; the table order is their order within a
   * level (blocks last). File-level chunks: null; the table order is their order after `MHDR`.
   */
  coding: "model" | "bounded" | null;
  /** File-level chunks: whether the header requires it (and allows it); null when optional. */
  required: ((header: MrcHeader) => boolean) | null;
  /** Byte summaries count it as this. */
  category: ChunkCategory;
  /**
   * The largest payload it can have under `header` (null before `MHDR` is read) at `level`
   * (null: any level), with `seen` chunks before it; Infinity when unbounded.
   */
  maxPayload(header: MrcHeader | null, level: number | null, seen: number): number;
  /**
   * The smallest whole-chunk length it can have for its header and address in a file of minor
   * version `minor` (SPEC.md §9).
   */
  minLength(header: MrcHeader, level: number | null, block: number | null, minor: number): number;
  /** Decodes a body and checks it against the header; throws MrcFormatError. */
  decode(body: Uint8Array, context: ChunkContext): ChunkValues[T];
}

/** Generous zlib output bound: stored blocks cost 5 bytes per 64 KiB, plus 6 bytes of framing. */
const zlibBound = (n: number) => n + Math.ceil(n / 8) + 1024;
/**
 * The smallest chunk whose zlib body inflates to `inflated` bytes: DEFLATE expands at most
 * 1032:1 (258-byte matches in 2 bits), with slack for tiny streams.
 */
const leastFor = (inflated: number) => CHUNK_FRAME_LENGTH + Math.ceil((inflated - 1024) / 1032);
const none = () => 0;
const json = () => ADDRESS_LENGTH + MAX_JSON_LENGTH;

/** The largest payload over every level when `level` is null (levels are known after the address). */
function perLevel(
  bound: (header: MrcHeader, level: number) => number,
): (header: MrcHeader | null, level: number | null) => number {
  return (header, level) => {
    if (header === null) return Infinity;
    if (level === null) return Math.max(...header.levels.map((_, k) => bound(header, k)));
    if (level >= header.levels.length) return Infinity; // the order rules report it
    return bound(header, level);
  };
}

/**
 * Checks the counts of a `CODE` block (read before inflating) against the header and, when the
 * level's masks were read, their counts: snapshots, streams, base size, group sizes.
 */
function codeBlockProblem(
  header: MrcHeader,
  level: number,
  block: number,
  head: CodeBlockHead,
  maskCounts: readonly number[] | null,
): string | null {
  const { latent, groups } = header.levels[level];
  const snapshotCount = blockSnapshotCount(header, block);
  const positions = latent[0] * latent[1];
  if (head.snapshotCount !== snapshotCount) {
    return `block has ${head.snapshotCount} snapshots, the header implies ${snapshotCount}`;
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

/**
 * Checks the values a missing mask marks (non-zero bytes; `shared`: one `H x W` mask for every
 * snapshot) against `header.missing.count` (SPEC.md §4.3): the writer before it writes `NANM`,
 * both readers after they decode it.
 *
 * @returns The problem (`marks N missing values, the header says M`), or null.
 */
export function missingCountProblem(
  header: MrcHeader,
  mask: Uint8Array,
  shared: boolean,
): string | null {
  let count = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) count++;
  if (shared) count *= header.shape[0];
  return count === header.missing.count
    ? null
    : `marks ${count} missing values, the header says ${header.missing.count}`;
}

/** The known chunk types, in file order (SPEC.md §7), keyed by id. */
export const CHUNKS: { readonly [T in ChunkType]: ChunkDescriptor<T> } = {
  [CHUNK_TYPES.header]: {
    type: CHUNK_TYPES.header,
    scope: "file",
    coding: null,
    required: () => true,
    category: "header",
    maxPayload: json,
    minLength: none,
    decode: (body, { flags }) => decodeHeader(body, flags),
  },
  [CHUNK_TYPES.meta]: {
    type: CHUNK_TYPES.meta,
    scope: "file",
    coding: null,
    required: null,
    category: "header",
    maxPayload: json,
    minLength: none,
    // A JSON object or invalid (SPEC.md §4.2).
    decode: (body, { flags }) => decodeMeta(body, flags),
  },
  [CHUNK_TYPES.attributes]: {
    type: CHUNK_TYPES.attributes,
    scope: "file",
    coding: null,
    required: null,
    category: "attributes",
    maxPayload: json,
    minLength: none,
    decode: (body, { header, flags }) => decodeAttributes(body, header!, flags),
  },
  [CHUNK_TYPES.missingMask]: {
    type: CHUNK_TYPES.missingMask,
    scope: "file",
    coding: null,
    // Required exactly when the header counts missing values.
    required: (header) => header.missing.mode !== "none",
    category: "missing",
    maxPayload: (header) => {
      if (header === null) return Infinity;
      const [t, h, w] = header.shape;
      return ADDRESS_LENGTH + 1 + zlibBound(Math.ceil(t * h * w / 8));
    },
    // At least `ceil(H * W / 8)` mask bytes, zlib-compressed; from 1.7 the layout byte and the
    // 5 bytes of the shortest range-coded mask may stand for any mask.
    minLength: (header, _level, _block, minor) => {
      const zlib = leastFor(Math.ceil(header.shape[1] * header.shape[2] / 8));
      return minor >= VERSION_MINOR_CODED_MASK
        ? Math.min(zlib, CHUNK_FRAME_LENGTH + ADDRESS_LENGTH + 1 + 5)
        : zlib;
    },
    decode: (body, context) => {
      const header = context.header!;
      const mask = decodeMissingMask(body, header.shape);
      const problem = missingCountProblem(header, mask.mask, mask.shared);
      if (problem !== null) throw chunkError(CHUNK_TYPES.missingMask, null, `mask ${problem}`);
      return mask;
    },
  },
  [CHUNK_TYPES.levelWeights]: {
    type: CHUNK_TYPES.levelWeights,
    scope: "level",
    coding: "model",
    required: null,
    category: "weights",
    maxPayload: perLevel((header, level) =>
      ADDRESS_LENGTH + 4 * (10 + header.levels[level].groups.reduce((n, m) => n + 9 * m + 1, 0))
    ),
    minLength: none,
    decode: (body, { header, level }) => decodeLevelWeights(body, header!.levels[level!].groups),
  },
  [CHUNK_TYPES.masks]: {
    type: CHUNK_TYPES.masks,
    scope: "level",
    coding: "model",
    required: null,
    category: "masks",
    maxPayload: perLevel((header, level) => {
      const { latent, groups } = header.levels[level];
      return ADDRESS_LENGTH + zlibBound(groups.length * Math.ceil(latent[0] * latent[1] / 8));
    }),
    minLength: none,
    decode: (body, { header, level }) => {
      const { latent, groups } = header!.levels[level!];
      return decodeMasks(body, latent, groups.length);
    },
  },
  [CHUNK_TYPES.code]: {
    type: CHUNK_TYPES.code,
    scope: "block",
    coding: "model",
    required: null,
    category: "codes",
    maxPayload: perLevel((header, level) => {
      const { latent } = header.levels[level];
      const streams = codeStreamCount(header, level);
      return ADDRESS_LENGTH + 13 + 4 * streams +
        zlibBound(5 * header.blockSize * streams * latent[0] * latent[1]);
    }),
    // Level 0 holds `n * lh * lw` base codes of at least one varint byte each, zlib-compressed.
    minLength: (header, level, block) => {
      if (level !== 0 || block === null) return 0;
      const [lh, lw] = header.levels[0].latent;
      return leastFor(blockSnapshotCount(header, block) * lh * lw);
    },
    // The counts are checked against the header (and masks) before anything is inflated.
    decode: (body, { header, level, block, maskCounts }) =>
      decodeCodeBlock(body, {
        check: (head) => {
          const problem = codeBlockProblem(header!, level!, block!, head, maskCounts ?? null);
          if (problem !== null) throw chunkError(CHUNK_TYPES.code, null, problem);
        },
      }),
  },
  [CHUNK_TYPES.bounded]: {
    type: CHUNK_TYPES.bounded,
    scope: "block",
    coding: "bounded",
    required: null,
    category: "codes",
    // A coded point never takes more than 64 bytes (every bit at the 1/65536 probability floor),
    // a (snapshot, level) adds at most 8 bytes of mode and flag.
    maxPayload: perLevel((header) => {
      const [, h, w] = header.shape;
      return ADDRESS_LENGTH + 4 + 64 * header.blockSize * (h * w + 1) + 64;
    }),
    minLength: none,
    // The range-coded bytes are checked when decoded.
    decode: (body, { header, block }) => {
      const code = decodeBoundedBlock(body);
      const snapshotCount = blockSnapshotCount(header!, block!);
      if (code.snapshotCount !== snapshotCount) {
        throw chunkError(
          CHUNK_TYPES.bounded,
          null,
          `block has ${code.snapshotCount} snapshots, the header implies ${snapshotCount}`,
        );
      }
      return code;
    },
  },
  [CHUNK_TYPES.index]: {
    type: CHUNK_TYPES.index,
    scope: "file",
    coding: null,
    required: () => true,
    category: "index",
    maxPayload: (_header, _level, seen) => ADDRESS_LENGTH + 4 + seen * INDEX_ENTRY_LENGTH,
    minLength: none,
    decode: (body, { offset, flags }) => decodeIndexBody(body, offset ?? 0, flags),
  },
};

/** The descriptor of a known type, or null for a type of a newer minor version. */
export function chunkDescriptor(type: string): ChunkDescriptor | null {
  return Object.hasOwn(CHUNKS, type) ? CHUNKS[type as ChunkType] as ChunkDescriptor : null;
}

/** The optional and conditional file-level chunks between `MHDR` and the levels, in order. */
export const FILE_CHUNKS: readonly ChunkDescriptor[] = Object.values(CHUNKS).filter((d) =>
  d.scope === "file" && d.type !== CHUNK_TYPES.header && d.type !== CHUNK_TYPES.index
);

/**
 * Whether a reader decoding values holds chunks of this type whole, so that a memory budget
 * (`maxBytes`) bounds their length too: the level chunks and `NANM`. Not the JSON chunks and the
 * index, which every reader reads at open (at most 16 MiB each, SPEC.md §9), nor unknown types,
 * which no reader holds (they are skipped, or streamed through to check their CRC).
 */
export function isHeldChunk(type: string): boolean {
  const d = chunkDescriptor(type);
  return d !== null && (d.scope !== "file" || type === CHUNK_TYPES.missingMask);
}

/** A chunk of `length` bytes that a reader allowed `limit` bytes (`maxBytes`) refuses to hold. */
export function chunkAboveLimit(
  type: string,
  offset: number,
  length: number,
  limit: number,
): MrcFormatError {
  return chunkError(
    type,
    offset,
    `chunk of ${length} bytes above maxBytes ${limit} (pass a larger maxBytes for a file you trust)`,
  );
}

/**
 * File-level chunks that decoding does not use but every reader validates whenever the file has
 * them (SPEC.md §4.2, §4.8): at open (random access) or on arrival (streaming), so that every
 * reader, and every CLI command, accepts and refuses the same files.
 */
export const VALIDATED_CHUNKS: ReadonlySet<string> = new Set([
  CHUNK_TYPES.meta,
  CHUNK_TYPES.attributes,
]);

/** The chunks of one level of a file of `header`'s coding, in order (the block chunk last). */
export function levelChunks(header: MrcHeader): readonly ChunkDescriptor[] {
  const coding = isBounded(header) ? "bounded" : "model";
  return Object.values(CHUNKS).filter((d) => d.coding === coding);
}

/**
 * Decodes a chunk body and checks it against the header, the same for both readers. Errors carry
 * `context.offset` when given.
 *
 * @param type A known chunk type.
 * @param body The body (payload after the 8-byte address), CRC-verified.
 * @param context Header, address, the level's mask counts (`CODE`) and offset.
 * @returns The typed body.
 * @throws {MrcFormatError} When the body is malformed or disagrees with the header.
 */
export function decodeChecked<T extends ChunkType>(
  type: T,
  body: Uint8Array,
  context: ChunkContext,
): ChunkValues[T] {
  try {
    return (CHUNKS[type] as ChunkDescriptor<T>).decode(body, context);
  } catch (e) {
    if (context.offset === undefined) throw e;
    throw withOffset(e, type, context.offset);
  }
}

/** Byte-summary label of a chunk type; unknown types count as the header's. */
export function chunkCategory(type: string): ChunkCategory {
  return chunkDescriptor(type)?.category ?? "header";
}
