// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
// The chunk order rules of SPEC.md §7, as a state machine fed one chunk address at a time after
// MHDR. Used by the writer (to refuse bad orders), the random-access reader (to validate the
// index) and the stream reader (to validate chunks as they arrive). Returns problems as strings so
// each caller can pick its error class.

import { CHUNK_TYPES, KNOWN_TYPES } from "./_constants.ts";
import { describeEntry } from "./_framing.ts";
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
  #needMissing: boolean;
  /** Bounded files (1.2) hold BCOD 0..B-1 per level instead of DECW, MASK, CODE 0..B-1. */
  #bounded: boolean;
  #seenMeta = false;
  #seenMissing = false;
  #seenAttributes = false;
  /** Next expected known level chunk: step 0 = DECW, 1 = MASK, 2 + b = CODE b. */
  #level = 0;
  #step = 0;
  /** Largest level of any level-addressed chunk so far, -1 before the first. */
  #maxLevel = -1;

  constructor(header: MrcHeader) {
    this.#header = header;
    this.#blocks = blockCount(header);
    this.#levels = header.levels.length;
    this.#needMissing = header.missing.mode !== "none";
    this.#bounded = isBounded(header);
  }

  /** Chunks per level: DECW, MASK and B CODE, or B BCOD. */
  get #perLevel(): number {
    return this.#bounded ? this.#blocks : 2 + this.#blocks;
  }

  /** Whether every required chunk has been seen. */
  get #complete(): boolean {
    return this.#level === this.#levels;
  }

  #expected(): Address {
    if (this.#level >= this.#levels) return { type: "INDX", level: null, block: null };
    if (this.#bounded) return { type: CHUNK_TYPES.bounded, level: this.#level, block: this.#step };
    if (this.#step === 0) {
      return { type: CHUNK_TYPES.levelWeights, level: this.#level, block: null };
    }
    if (this.#step === 1) return { type: CHUNK_TYPES.masks, level: this.#level, block: null };
    return { type: CHUNK_TYPES.code, level: this.#level, block: this.#step - 2 };
  }

  /** Checks the next chunk after MHDR; returns a problem or null (and then advances). */
  accept(chunk: Address): string | null {
    const { type, level, block } = chunk;
    const what = describeEntry(chunk);
    if (type === CHUNK_TYPES.header) return `duplicate "MHDR" chunk`;
    if (type === CHUNK_TYPES.index) return `"INDX" chunk before the end of the file`;
    if (level !== null) {
      if (level < this.#maxLevel) {
        return `${what} comes after a chunk of level ${this.#maxLevel} (levels must not decrease)`;
      }
    }
    if (type === CHUNK_TYPES.attributes) {
      // 1.2: at most one, file-level, after META and before NANM and every level chunk.
      if (level !== null || block !== null) return `${what} must not have a level or block`;
      if (this.#seenAttributes) return `duplicate ${what} chunk`;
      if (this.#maxLevel >= 0) return `${what} must come before every level chunk`;
      if (this.#seenMissing) return `"ATTR" must come before "NANM"`;
      this.#seenAttributes = true;
      return null;
    }
    if (type === CHUNK_TYPES.meta || type === CHUNK_TYPES.missingMask) {
      if (level !== null || block !== null) return `${what} must not have a level or block`;
      const isMeta = type === CHUNK_TYPES.meta;
      if (isMeta ? this.#seenMeta : this.#seenMissing) return `duplicate ${what} chunk`;
      if (this.#maxLevel >= 0) return `${what} must come before every level chunk`;
      if (isMeta && this.#seenMissing) return `"META" must come before "NANM"`;
      if (isMeta && this.#seenAttributes) return `"META" must come before "ATTR"`;
      if (!isMeta && !this.#needMissing) {
        return `"NANM" chunk present but the header's missing.mode is "none"`;
      }
      if (isMeta) this.#seenMeta = true;
      else this.#seenMissing = true;
      return null;
    }
    if (!KNOWN_TYPES.has(type)) {
      // Unknown types (a newer minor version) may appear anywhere after MHDR.
      if (level !== null) this.#maxLevel = Math.max(this.#maxLevel, level);
      return null;
    }
    // DECW, MASK, CODE (or BCOD): exactly the expected sequence.
    if (this.#needMissing && !this.#seenMissing) {
      return `missing "NANM" chunk (required by missing.mode "${this.#header.missing.mode}") before ${what}`;
    }
    if (level === null || level >= this.#levels) {
      return `${what} has no valid level (the header has ${this.#levels} levels)`;
    }
    if ((type === CHUNK_TYPES.bounded) !== this.#bounded) {
      return this.#bounded
        ? `${what} in a bounded file (its levels hold "BCOD" chunks only)`
        : `${what} in a file whose header has no "coding": "bounded"`;
    }
    const isCode = type === CHUNK_TYPES.code || type === CHUNK_TYPES.bounded;
    if (isCode ? block === null || block >= this.#blocks : block !== null) {
      return isCode
        ? `${what} has no valid block (the header implies ${this.#blocks} blocks)`
        : `${what} must not have a block`;
    }
    const expected = this.#expected();
    if (expected.type !== type || expected.level !== level || expected.block !== block) {
      const passed = level < this.#level ||
        (level === this.#level &&
          (type === CHUNK_TYPES.levelWeights
            ? this.#step > 0
            : type === CHUNK_TYPES.masks
            ? this.#step > 1
            : type === CHUNK_TYPES.bounded
            ? this.#step > block!
            : this.#step > 2 + block!));
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
    if (this.#needMissing && !this.#seenMissing) {
      return `missing "NANM" chunk (required by missing.mode "${this.#header.missing.mode}")`;
    }
    if (!this.#complete) return `missing ${describeEntry(this.#expected())} chunk`;
    return null;
  }
}
