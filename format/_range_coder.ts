// This module is browser compatible.
/**
 * The binary range coder of `BCOD` chunks (SPEC.md §4.7.4) and of range-coded `NANM` masks
 * (§4.3.1): an LZMA-style coder (32-bit range, carry propagation through a cached byte) driven by
 * adaptive bit models whose probability comes from counts of the bits seen in their context.
 *
 * @module
 */

/** Counts of a model are halved when their sum reaches this. */
export const COUNT_LIMIT = 16384;

/**
 * A set of adaptive bit models, one per context index. Model `i` holds the counts `n0`, `n1` of
 * the zeros and ones it has coded; the probability of a zero, in 1/65536, is
 * `clamp(floor(65536 * (n0 + 0.4) / (n0 + n1 + 0.8) + 0.5), 1, 65535)` (a Krichevsky-Trofimov
 * estimator); after each bit its count goes up by one, and when `n0 + n1` reaches
 * {@linkcode COUNT_LIMIT} both are halved, rounding up.
 */
export class BitModels {
  /** Counts of zeros, then ones, interleaved: `[n0(0), n1(0), n0(1), n1(1), ...]`. */
  readonly counts: Uint16Array;

  /** @param size Number of contexts. */
  constructor(size: number) {
    this.counts = new Uint16Array(2 * size);
  }
}

/**
 * `65536 / (n + 0.8)` for every count sum `n < COUNT_LIMIT`: `(n0 + 0.4) * RECIPROCAL[n0 + n1]`
 * rounds to the same integer as the division of {@linkcode probabilityOfZero} for every reachable
 * `(n0, n1)` (checked exhaustively by the tests), without a division per bit.
 */
const RECIPROCAL = Float64Array.from({ length: COUNT_LIMIT }, (_, n) => 65536 / (n + 0.8));

/**
 * Probability of a 0 bit for counts `n0`, `n1`, in 1/65536, as SPEC.md §4.7.4 defines it (one
 * float64 division). The coders use the equal table form {@linkcode p0}.
 */
export function probabilityOfZero(n0: number, n1: number): number {
  const p = Math.floor(65536 * (n0 + 0.4) / (n0 + n1 + 0.8) + 0.5);
  return p < 1 ? 1 : p > 65535 ? 65535 : p;
}

/**
 * {@linkcode probabilityOfZero} by the reciprocal table, for counts a model can hold
 * (`n0 + n1 < COUNT_LIMIT`): there the clamp never acts (the value lies in 2 .. 65534), so it is
 * left out of the hot path; the tests check every such pair against the SPEC's division.
 */
export function p0(n0: number, n1: number): number {
  return Math.floor((n0 + 0.4) * RECIPROCAL[n0 + n1] + 0.5);
}

/** Writes bits into a growing byte buffer. */
export class RangeEncoder {
  #low = 0; // up to 2^32 plus a carry
  #range = 0xFFFFFFFF;
  #cache = 0;
  #cacheSize = 1;
  #buf = new Uint8Array(1024);
  #pos = 0;

  #out(b: number): void {
    if (this.#pos === this.#buf.length) {
      const grown = new Uint8Array(this.#buf.length * 2);
      grown.set(this.#buf);
      this.#buf = grown;
    }
    this.#buf[this.#pos++] = b;
  }

  #shiftLow(): void {
    if (this.#low < 0xFF000000 || this.#low >= 0x100000000) {
      const carry = this.#low >= 0x100000000 ? 1 : 0;
      let temp = this.#cache;
      do {
        this.#out((temp + carry) & 0xFF);
        temp = 0xFF;
      } while (--this.#cacheSize !== 0);
      this.#cache = Math.floor(this.#low / 0x1000000) & 0xFF;
    }
    this.#cacheSize++;
    this.#low = (this.#low % 0x1000000) * 256;
  }

  /** Codes `bit` with model `i` of `m` and updates the model. */
  encode(m: BitModels, i: number, bit: number): void {
    this.encodeBit(m.counts, i, bit);
  }

  /** Codes `bit` with the model whose counts are `c[2i]`, `c[2i + 1]`, and updates them. */
  encodeBit(c: Uint16Array, i: number, bit: number): void {
    const j = 2 * i, n0 = c[j], n1 = c[j + 1];
    const bound = (this.#range >>> 16) * p0(n0, n1);
    if (bit) {
      this.#low += bound;
      this.#range -= bound;
    } else this.#range = bound;
    c[j + bit]++;
    if (n0 + n1 + 1 >= COUNT_LIMIT) {
      c[j] = (c[j] + 1) >>> 1;
      c[j + 1] = (c[j + 1] + 1) >>> 1;
    }
    while (this.#range < 0x1000000) {
      this.#range = (this.#range * 256) >>> 0;
      this.#shiftLow();
    }
  }

  /** Codes the low `n` bits of `v` (n <= 16), most significant first, each with probability 1/2. */
  encodeDirect(v: number, n: number): void {
    for (let k = n - 1; k >= 0; k--) {
      this.#range = this.#range >>> 1;
      if ((v >>> k) & 1) this.#low += this.#range;
      while (this.#range < 0x1000000) {
        this.#range = (this.#range * 256) >>> 0;
        this.#shiftLow();
      }
    }
  }

  /** Flushes the coder and returns the bytes written. */
  finish(): Uint8Array<ArrayBuffer> {
    for (let k = 0; k < 5; k++) this.#shiftLow();
    return this.#buf.slice(0, this.#pos);
  }
}

/** Reads bits written by {@linkcode RangeEncoder}. */
export class RangeDecoder {
  #code = 0;
  #range = 0xFFFFFFFF;
  #pos: number;
  readonly #buf: Uint8Array;

  /** @param buf The coded bytes. */
  constructor(buf: Uint8Array) {
    this.#buf = buf;
    this.#pos = 0;
    for (let k = 0; k < 5; k++) this.#code = (this.#code * 256 + this.#next()) >>> 0;
  }

  /**
   * Bytes read so far. Past the end the decoder reads zeros and counts on (no check per byte): the
   * caller refuses the chunk unless this equals the length at the end (SPEC.md §4.7.4).
   */
  get position(): number {
    return this.#pos;
  }

  #next(): number {
    return this.#pos < this.#buf.length ? this.#buf[this.#pos++] : (this.#pos++, 0);
  }

  /** Decodes one bit with model `i` of `m` and updates the model. */
  decode(m: BitModels, i: number): number {
    return this.decodeBit(m.counts, i);
  }

  /** Decodes one bit with the model whose counts are `c[2i]`, `c[2i + 1]`, and updates them. */
  decodeBit(c: Uint16Array, i: number): number {
    const j = 2 * i, n0 = c[j], n1 = c[j + 1];
    const bound = (this.#range >>> 16) * p0(n0, n1);
    let bit: number;
    if (this.#code < bound) {
      this.#range = bound;
      bit = 0;
    } else {
      this.#code -= bound;
      this.#range -= bound;
      bit = 1;
    }
    c[j + bit]++;
    if (n0 + n1 + 1 >= COUNT_LIMIT) {
      c[j] = (c[j] + 1) >>> 1;
      c[j + 1] = (c[j + 1] + 1) >>> 1;
    }
    while (this.#range < 0x1000000) {
      this.#range = (this.#range * 256) >>> 0;
      this.#code = (this.#code * 256 + this.#next()) >>> 0;
    }
    return bit;
  }

  /** Decodes `n` (<= 16) equiprobable bits, most significant first. */
  decodeDirect(n: number): number {
    let v = 0;
    for (let k = 0; k < n; k++) {
      this.#range = this.#range >>> 1;
      let b = 0;
      if (this.#code >= this.#range) {
        this.#code -= this.#range;
        b = 1;
      }
      v = (v << 1) | b;
      while (this.#range < 0x1000000) {
        this.#range = (this.#range * 256) >>> 0;
        this.#code = (this.#code * 256 + this.#next()) >>> 0;
      }
    }
    return v >>> 0;
  }
}
