// Taking an .mrc file apart into chunks and putting it back together with fresh CRCs, index and
// trailer: the tool for CRC-consistent lies (the fuzz harness, the conformance vectors).
import { concat } from "../format/_helpers.ts";
import {
  decodePreamble,
  encodeChunk,
  encodeIndexBody,
  encodePreamble,
  encodeTrailer,
  type MrcChunkEntry,
  type MrcVersion,
} from "../../format/_framing.ts";
import { CHUNK_TYPES, FLAG_DEFLATED, PREAMBLE_LENGTH } from "../../format/_constants.ts";
import { inflateJson } from "../../format/_bytes.ts";

/** One chunk of a file, without its framing. */
export interface EditableChunk {
  type: string;
  level: number | null;
  block: number | null;
  flags: number;
  body: Uint8Array;
}

/** A file as its version and its chunks (without `INDX`). */
export interface EditableMrc {
  version: MrcVersion;
  chunks: EditableChunk[];
}

/** Splits a valid file into its chunks, front to back (stops at `INDX`). */
export function splitMrc(bytes: Uint8Array): EditableMrc {
  const version = decodePreamble(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: EditableChunk[] = [];
  let at = PREAMBLE_LENGTH;
  while (at + 16 <= bytes.length) {
    const payload = view.getUint32(at, true);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === CHUNK_TYPES.index) break;
    const level = view.getUint16(at + 8, true);
    const block = view.getUint32(at + 12, true);
    chunks.push({
      type,
      level: level === 0xffff ? null : level,
      flags: view.getUint16(at + 10, true),
      block: block === 0xffffffff ? null : block,
      body: bytes.slice(at + 16, at + 8 + payload),
    });
    at += 12 + payload;
  }
  return { version, chunks };
}

/** Writes chunks back into a file: preamble, chunks with fresh CRCs, index, trailer. */
export function joinMrc(file: EditableMrc): Uint8Array {
  const parts: Uint8Array[] = [encodePreamble(file.version)];
  const entries: MrcChunkEntry[] = [];
  let offset = PREAMBLE_LENGTH;
  for (const c of file.chunks) {
    const bytes = encodeChunk(c.type, c, c.body);
    entries.push({
      type: c.type,
      level: c.level,
      block: c.block,
      flags: c.flags,
      offset,
      length: bytes.length,
    });
    parts.push(bytes);
    offset += bytes.length;
  }
  const index = encodeChunk(
    CHUNK_TYPES.index,
    { level: null, block: null },
    encodeIndexBody(entries),
  );
  parts.push(index);
  parts.push(encodeTrailer({ ...file.version, indexOffset: offset, indexLength: index.length }));
  return concat(parts);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The `MHDR` JSON of a split file, parsed. */
export function headerOf(file: EditableMrc): Record<string, unknown> {
  const { body, flags } = file.chunks[0];
  return JSON.parse(decoder.decode(flags & FLAG_DEFLATED ? inflateJson(body, "MHDR") : body));
}

/** Replaces the `MHDR` body with `text` (any bytes, valid JSON or not), stored as plain JSON. */
export function setHeaderText(file: EditableMrc, text: string | Uint8Array): void {
  file.chunks[0].body = typeof text === "string" ? encoder.encode(text) : text;
  file.chunks[0].flags &= ~FLAG_DEFLATED;
}
