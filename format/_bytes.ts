// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
// Byte-level helpers shared by the chunk codecs: a growable writer, zlib with exact output sizes,
// bit packing and JSON bodies. Decoders here throw MrcFormatError with `offset: null`; the readers
// add the file offset (see `withOffset`).

// The full pinned specifier (not an import-map name) keeps format/ importable from a URL by
// projects without our deno.json.
import { unzlibSync, zlibSync } from "npm:fflate@0.8.2/browser";
import { adler32 } from "./_checksum.ts";
import { FLAG_DEFLATED, MAX_JSON_LENGTH } from "./_constants.ts";
import { JSON_DICTIONARY } from "./_json_dictionary.ts";
import { chunkError } from "./_chunk_error.ts";
import { MrcFormatError } from "./error.ts";

/** A growable little-endian byte buffer (hyparquet-writer's `ByteWriter`). */
export class ByteWriter {
  #bytes: Uint8Array = new Uint8Array(256);
  #view: DataView = new DataView(this.#bytes.buffer);
  /** Number of bytes written. */
  length = 0;

  /** Makes room for `n` more bytes, doubling so that appends are amortized O(1). */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.#bytes.length) return;
    const next = new Uint8Array(Math.max(need, this.#bytes.length * 2));
    next.set(this.#bytes.subarray(0, this.length));
    this.#bytes = next;
    this.#view = new DataView(next.buffer);
  }
  appendUint8(value: number): void {
    this.ensure(1);
    this.#bytes[this.length++] = value;
  }
  appendUint16(value: number): void {
    this.ensure(2);
    this.#view.setUint16(this.length, value, true);
    this.length += 2;
  }
  appendUint32(value: number): void {
    this.ensure(4);
    this.#view.setUint32(this.length, value, true);
    this.length += 4;
  }
  appendUint64(value: number): void {
    this.ensure(8);
    this.#view.setBigUint64(this.length, BigInt(value), true);
    this.length += 8;
  }
  appendFloat32(value: number): void {
    this.ensure(4);
    this.#view.setFloat32(this.length, value, true);
    this.length += 4;
  }
  appendBytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.#bytes.set(bytes, this.length);
    this.length += bytes.length;
  }
  /** The bytes written so far (a copy, so the writer can be dropped). */
  toBytes(): Uint8Array {
    return this.#bytes.slice(0, this.length);
  }
}

/** The bytes of `parts`, in order, in one array. */
export function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** `new DataView` over exactly the bytes of `u8`. */
export function viewOf(u8: Uint8Array): DataView {
  return new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
}

/** Reads a u64 as a number, or returns -1 when it exceeds 2^53 - 1. */
export function getUint64(view: DataView, offset: number): number {
  const value = view.getBigUint64(offset, true);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(value);
}

/**
 * Compresses to a zlib stream (RFC 1950), level 9 for the smallest files; with `dictionary`, a
 * stream with that preset dictionary (its header's FDICT bit and DICTID set).
 */
export function zlibCompress(bytes: Uint8Array, dictionary?: Uint8Array): Uint8Array {
  return zlibSync(bytes, dictionary ? { level: 9, dictionary } : { level: 9 });
}

/**
 * Inflates a zlib stream that must produce exactly `expected` bytes. The output buffer has
 * `expected + 1` bytes, so a stream that would produce more is detected without ever allocating
 * more (fflate silently stops writing at the end of a caller-supplied buffer).
 */
export function zlibDecompressExact(
  data: Uint8Array,
  expected: number,
  chunkType: string,
  dictionary?: Uint8Array,
): Uint8Array {
  // DEFLATE cannot expand more than 1032:1 (258-byte matches coded in 2 bits), so a larger
  // declared size is garbage; refusing it here keeps allocations proportional to the input.
  if (expected > data.length * 1032 + 1024) {
    throw chunkError(
      chunkType,
      null,
      `absurd size (${data.length} bytes of zlib data cannot inflate to ${expected} bytes)`,
    );
  }
  // RFC 1950: FDICT (bit 5 of the second byte) says a DICTID follows the two header bytes.
  const withDictionary = data.length >= 2 && (data[1] & 0x20) !== 0;
  if (withDictionary) {
    if (dictionary === undefined) {
      throw chunkError(
        chunkType,
        null,
        "zlib data with a preset dictionary, which this chunk may not use",
      );
    }
    const id = data.length >= 6 ? viewOf(data).getUint32(2, false) : -1, want = adler32(dictionary);
    if (id !== want) {
      throw chunkError(
        chunkType,
        null,
        `zlib data with an unknown preset dictionary (DICTID 0x${
          (id >>> 0).toString(16).padStart(8, "0")
        }, the format's is 0x${want.toString(16).padStart(8, "0")})`,
      );
    }
  }
  let out: Uint8Array;
  try {
    out = unzlibSync(
      data,
      withDictionary
        ? { out: new Uint8Array(expected + 1), dictionary }
        : { out: new Uint8Array(expected + 1) },
    );
  } catch (e) {
    throw chunkError(chunkType, null, `invalid zlib data (${(e as Error).message})`, e);
  }
  if (out.length !== expected) {
    throw chunkError(
      chunkType,
      null,
      `zlib data inflates to ${
        out.length > expected ? "more than " + expected : out.length
      } bytes, expected ${expected}`,
    );
  }
  if (data.length < 6) throw chunkError(chunkType, null, "zlib data too short");
  const stored = viewOf(data).getUint32(data.length - 4, false);
  const actual = adler32(out);
  if (stored !== actual) {
    // The Adler-32 earlier in the data: the stream ended there and bytes follow it (SPEC.md §4.6).
    for (let at = 2; at + 4 < data.length; at++) {
      if (viewOf(data).getUint32(at, false) === actual) {
        throw chunkError(
          chunkType,
          null,
          `${data.length - at - 4} bytes follow the end of the zlib stream`,
        );
      }
    }
    throw chunkError(
      chunkType,
      null,
      `zlib Adler-32 mismatch (expected 0x${stored.toString(16).padStart(8, "0")}, found 0x${
        actual.toString(16).padStart(8, "0")
      })`,
    );
  }
  return out;
}

/** Packs 0/non-0 bytes into bits, row-major, least significant bit first, into `out` at `start`. */
export function packBits(values: Uint8Array, out: Uint8Array, start: number): void {
  for (let i = 0; i < values.length; i++) {
    if (values[i]) out[start + (i >>> 3)] |= 1 << (i & 7);
  }
}

/**
 * Unpacks `count` bits starting at byte `start`; the padding bits of the last byte must be zero
 * (a cheap consistency check that also makes the encoding canonical).
 */
export function unpackBits(
  bytes: Uint8Array,
  start: number,
  count: number,
  chunkType: string,
): Uint8Array {
  const values = new Uint8Array(count);
  for (let i = 0; i < count; i++) values[i] = (bytes[start + (i >>> 3)] >>> (i & 7)) & 1;
  if (count & 7 && bytes[start + (count >>> 3)] >>> (count & 7)) {
    throw chunkError(chunkType, null, "padding bits after a bit mask are not zero");
  }
  return values;
}

const encoder = new TextEncoder();
// ignoreBOM keeps a byte order mark in the text, where JSON.parse refuses it (SPEC.md §4.1: no BOM).
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 JSON bytes of `value`. */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/**
 * A deflated body: the u32 length of `bytes`, then their zlib stream (with `dictionary`, a stream
 * with that preset dictionary). The layout of deflated JSON (1.5, SPEC.md §3.1) and of the
 * deflated index (1.6, §5).
 */
export function deflateBody(bytes: Uint8Array, dictionary?: Uint8Array): Uint8Array {
  const stream = zlibCompress(bytes, dictionary);
  const out = new Uint8Array(4 + stream.length);
  viewOf(out).setUint32(0, bytes.length, true);
  out.set(stream, 4);
  return out;
}

/**
 * A deflated JSON body (1.5, SPEC.md §3.1), {@linkcode deflateBody}'s layout; with `dictionary`
 * (1.6, §3.1.1), a stream with the format's preset dictionary.
 */
export function deflateJson(json: Uint8Array, dictionary = false): Uint8Array {
  return deflateBody(json, dictionary ? JSON_DICTIONARY : undefined);
}

/**
 * The JSON text of a deflated body ({@linkcode deflateJson}), checked: at most
 * `MAX_JSON_LENGTH` bytes, exactly the length it states, and nothing after the stream.
 */
export function inflateJson(body: Uint8Array, chunkType: string): Uint8Array {
  if (body.length < 4) {
    throw chunkError(chunkType, null, `deflated JSON body of ${body.length} bytes, at least 4`);
  }
  const length = viewOf(body).getUint32(0, true);
  if (length > MAX_JSON_LENGTH) {
    throw chunkError(
      chunkType,
      null,
      `deflated JSON of ${length} bytes exceeds the ${MAX_JSON_LENGTH}-byte limit`,
    );
  }
  return zlibDecompressExact(body.subarray(4), length, chunkType, JSON_DICTIONARY);
}

/**
 * Parses a UTF-8 JSON body, deflated where `flags` has bit 0 (1.5); throws MrcFormatError on bad
 * UTF-8, bad JSON or a bad deflated body.
 */
export function decodeJson(body: Uint8Array, chunkType: string, flags = 0): unknown {
  if (flags & FLAG_DEFLATED) body = inflateJson(body, chunkType);
  try {
    return JSON.parse(decoder.decode(body));
  } catch (e) {
    throw chunkError(chunkType, null, `invalid JSON (${(e as Error).message})`, e);
  }
}

/**
 * Rethrows a decoder's MrcFormatError (which has no offset) with the chunk's file offset; other
 * errors become MrcFormatError too, so that bad input never escapes as another class.
 */
export function withOffset(error: unknown, chunkType: string, offset: number): MrcFormatError {
  if (error instanceof MrcFormatError) {
    if (error.offset !== null) return error;
    const prefix = `Cannot read chunk "${chunkType}": `;
    const problem = error.message.startsWith(prefix)
      ? error.message.slice(prefix.length)
      : error.message;
    return chunkError(error.chunkType ?? chunkType, offset, problem, error.cause);
  }
  return chunkError(chunkType, offset, `invalid body (${(error as Error)?.message})`, error);
}
