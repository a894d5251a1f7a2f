// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib's crc32()) and Adler-32.

// Eight 256-entry tables make the CRC 8 bytes per step ("slicing by 8": table k maps a byte k
// steps ahead of the end of the word); they are built once on import (8 KiB, well under a
// millisecond) rather than shipped as a literal. Table 0 is the classic byte-at-a-time table.
const CRC_TABLES: Uint32Array[] = (() => {
  const t = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 8; s++) t[s][n] = (t[s - 1][n] >>> 8) ^ t[0][t[s - 1][n] & 0xff];
  }
  return t;
})();

/**
 * Longest run a checksum loop indexes at once. Deno 2.9.6's V8 (its Maglev tier) has been seen
 * to return 0 from such a loop over a typed array of 2^31 elements or more once the loop is
 * optimized: every loop here runs over subarrays of at most 2^30 bytes, so no index reaches 2^31.
 */
const SLICE = 2 ** 30;

/** Continues a CRC-32 over `bytes`; start with `crc = 0`. Same values as zlib's `crc32()`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC_TABLES;
  let c = ~crc;
  for (let start = 0; start < bytes.length; start += SLICE) {
    const s = bytes.length <= SLICE ? bytes : bytes.subarray(start, start + SLICE);
    const n = s.length;
    let i = 0;
    for (; i + 8 <= n; i += 8) {
      const a = (c ^ (s[i] | s[i + 1] << 8 | s[i + 2] << 16 | s[i + 3] << 24)) >>> 0;
      c = t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
        t3[s[i + 4]] ^ t2[s[i + 5]] ^ t1[s[i + 6]] ^ t0[s[i + 7]];
    }
    for (; i < n; i++) c = t0[(c ^ s[i]) & 0xff] ^ (c >>> 8);
  }
  return ~c >>> 0;
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
