// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
// The chunk order rules of SPEC.md §7, as a state machine fed one chunk address at a time after
// MHDR. Used by the writer (to refuse bad orders), the random-access reader (to validate the
// index) and the stream reader (to validate chunks as they arrive). Returns problems as strings so
// each caller can pick its error class.

import { describeEntry } from "./_framing.ts";
import {
  CHUNK_TYPES,
  type ChunkDescriptor,
  chunkDescriptor,
  FILE_CHUNKS,
  levelChunks,
} from "./chunks.ts";
import { isBounded, type MrcHeader } from "./header.ts";
import { blockCount } from "./geometry.ts";

interface Address {
  type: string;
  level: number | null;
  block: number | null;
}

export class ChunkOrder {
  #header: MrcHeader;
  #blocks: number;
  #levels: number;
  /** The file-level chunks seen so far. */
  #seen = new Set<string>();
  /** The chunks of one level, from the table: DECW, MASK, CODE 0..B-1, or BCOD 0..B-1. */
  #sequence: readonly ChunkDescriptor[];
  /** Next expected known level chunk: its index in the level's steps (a block chunk: one per block). */
  #level = 0;
  #step = 0;
  /** Largest level of any level-addressed chunk so far, -1 before the first. */
  #maxLevel = -1;

  constructor(header: MrcHeader) {
    this.#header = header;
    this.#blocks = blockCount(header);
    this.#levels = header.levels.length;
    this.#sequence = levelChunks(header);
  }

  /** Steps per level: one per level-scoped chunk, one per block for the block chunk. */
  get #perLevel(): number {
    return this.#sequence.length - 1 + this.#blocks;
  }

  /** The step of a level chunk of this coding. */
  #stepOf(type: string, block: number): number {
    const i = this.#sequence.findIndex((d) => d.type === type);
    return this.#sequence[i].scope === "block" ? i + block : i;
  }

  #expected(): Address {
    if (this.#level >= this.#levels) return { type: CHUNK_TYPES.index, level: null, block: null };
    const last = this.#sequence.length - 1;
    const d = this.#sequence[Math.min(this.#step, last)];
    return {
      type: d.type,
      level: this.#level,
      block: d.scope === "block" ? this.#step - last : null,
    };
  }

  /** The first required file-level chunk not seen, or null. */
  #missingRequired(): ChunkDescriptor | null {
    return FILE_CHUNKS.find((d) => d.required?.(this.#header) && !this.#seen.has(d.type)) ?? null;
  }

  /** Checks the next chunk after MHDR; returns a problem or null (and then advances). */
  accept(chunk: Address): string | null {
    const { type, level, block } = chunk;
    const what = describeEntry(chunk);
    if (type === CHUNK_TYPES.header) return `duplicate "${CHUNK_TYPES.header}" chunk`;
    if (type === CHUNK_TYPES.index) {
      return `"${CHUNK_TYPES.index}" chunk before the end of the file`;
    }
    if (level !== null) {
      if (level < this.#maxLevel) {
        return `${what} comes after a chunk of level ${this.#maxLevel} (levels must not decrease)`;
      }
    }
    const descriptor = chunkDescriptor(type);
    if (descriptor === null) {
      // Unknown types (a newer minor version) may appear anywhere after MHDR.
      if (level !== null) this.#maxLevel = Math.max(this.#maxLevel, level);
      return null;
    }
    if (descriptor.scope === "file") {
      // At most one each, file-level, in table order, before every level chunk.
      if (level !== null || block !== null) return `${what} must not have a level or block`;
      if (this.#seen.has(type)) return `duplicate ${what} chunk`;
      if (this.#maxLevel >= 0) return `${what} must come before every level chunk`;
      const rank = FILE_CHUNKS.indexOf(descriptor);
      for (let i = FILE_CHUNKS.length - 1; i > rank; i--) {
        if (this.#seen.has(FILE_CHUNKS[i].type)) {
          return `"${type}" must come before "${FILE_CHUNKS[i].type}"`;
        }
      }
      if (descriptor.required !== null && !descriptor.required(this.#header)) {
        return `"${type}" chunk present but the header's missing.mode is "none"`;
      }
      this.#seen.add(type);
      return null;
    }
    // Level chunks: exactly the expected sequence.
    const absent = this.#missingRequired();
    if (absent !== null) {
      return `missing "${absent.type}" chunk (required by missing.mode "${this.#header.missing.mode}") before ${what}`;
    }
    if (level === null || level >= this.#levels) {
      return `${what} has no valid level (the header has ${this.#levels} levels)`;
    }
    if (!this.#sequence.includes(descriptor)) {
      return isBounded(this.#header)
        ? `${what} in a bounded file (its levels hold "${CHUNK_TYPES.bounded}" chunks only)`
        : `${what} in a file whose header has no "coding": "bounded"`;
    }
    const isBlock = descriptor.scope === "block";
    if (isBlock ? block === null || block >= this.#blocks : block !== null) {
      return isBlock
        ? `${what} has no valid block (the header implies ${this.#blocks} blocks)`
        : `${what} must not have a block`;
    }
    const expected = this.#expected();
    if (expected.type !== type || expected.level !== level || expected.block !== block) {
      const passed = level < this.#level ||
        (level === this.#level && this.#step > this.#stepOf(type, block ?? 0));
      return passed
        ? `duplicate ${what} chunk`
        : `missing ${describeEntry(expected)} chunk (found ${what} instead)`;
    }
    this.#maxLevel = level;
    this.#step++;
    if (this.#step === this.#perLevel) {
      this.#level++;
      this.#step = 0;
    }
    return null;
  }

  /** Checks that every required chunk was seen; returns a problem or null. */
  finish(): string | null {
    const absent = this.#missingRequired();
    if (absent !== null) {
      return `missing "${absent.type}" chunk (required by missing.mode "${this.#header.missing.mode}")`;
    }
    if (this.#level !== this.#levels) return `missing ${describeEntry(this.#expected())} chunk`;
    return null;
  }
}
