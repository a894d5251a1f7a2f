// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib's crc32()) and Adler-32.

// A 256-entry table makes the CRC one table look-up per byte; it is built once on import
// (1 KiB, well under a millisecond) rather than shipped as a literal. (An 8-bytes-per-step form
// was 1.5x faster but returned 0 on 2^31 + 16 bytes once optimized, in Deno 2.9.6's V8: the test
// below caught it.)
const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * Longest run a checksum loop indexes at once. Deno 2.9.6's V8 (its Maglev tier) has been seen
 * to return 0 from such a loop over a typed array of 2^31 elements or more once the loop is
 * optimized: every loop here runs over subarrays of at most 2^30 bytes, so no index reaches 2^31.
 */
const SLICE = 2 ** 30;

/** Continues a CRC-32 over `bytes`; start with `crc = 0`. Same values as zlib's `crc32()`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc;
  for (let start = 0; start < bytes.length; start += SLICE) {
    const s = bytes.length <= SLICE ? bytes : bytes.subarray(start, start + SLICE);
    for (let i = 0; i < s.length; i++) c = CRC_TABLE[(c ^ s[i]) & 0xff] ^ (c >>> 8);
  }
  return ~c >>> 0;
}

/** The CRC-32 polynomial, reflected: bit 31 holds the coefficient of x^0, bit 0 that of x^31. */
const POLY = 0xedb88320;

/** The product a(x) b(x) modulo the CRC-32 polynomial, both reflected as {@linkcode POLY}. */
function multModPoly(a: number, b: number): number {
  let p = 0;
  for (let bit = 0x80000000; bit !== 0; bit >>>= 1) {
    if (a & bit) p ^= b;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1; // b(x) times x
  }
  return p >>> 0;
}

/** x^(8n) modulo the CRC-32 polynomial: what n zero bytes do to the CRC register. */
function shiftOfBytes(n: number): number {
  let power = 0x80000000; // x^0
  let square = 0x00800000; // x^8
  for (let k = n; k > 0; k = Math.floor(k / 2)) {
    if (k % 2 === 1) power = multModPoly(power, square);
    square = multModPoly(square, square);
  }
  return power;
}

/**
 * The CRC-32 of A followed by B, from the CRC-32 of A, that of B and B's length, with no pass
 * over the bytes (as zlib's `crc32_combine()`): a chunk whose prefix changes gets its new CRC from
 * its body's, computed once. CRC-32 is linear over GF(2), so the CRC of A||B is A's register
 * carried through B's bytes (a multiplication by x^(8 length)) combined with B's.
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multModPoly(shiftOfBytes(lengthB), crcA >>> 0) ^ crcB) >>> 0;
}

/** Adler-32 of `bytes`, as stored big-endian at the end of a zlib stream. */
export function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  // 5552 is the largest n with 255n(n+1)/2 + (n+1)(65520) < 2^32, so sums stay exact between mods.
  for (let start = 0; start < bytes.length; start += SLICE) {
    const s = bytes.length <= SLICE ? bytes : bytes.subarray(start, start + SLICE);
    for (let i = 0; i < s.length;) {
      const end = Math.min(i + 5552, s.length);
      for (; i < end; i++) {
        a += s[i];
        b += a;
      }
      a %= 65521;
      b %= 65521;
    }
  }
  return ((b << 16) | a) >>> 0;
}

/** `0x1a2b3c4d` style, 8 hex digits. */
export function hex32(value: number): string {
  return "0x" + (value >>> 0).toString(16).padStart(8, "0");
}
