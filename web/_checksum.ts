// This module is browser compatible.
/**
 * The checksum the viewer writes into the page for each level it draws, so that a test can
 * compare what the browser decoded with what Deno decodes, value for value.
 *
 * @module
 */

/**
 * FNV-1a (32-bit) over the bytes of `values`, as 8 hex digits. Bit-exact: two arrays have the same
 * checksum when their float32 bit patterns are equal (NaNs included).
 *
 * @param values Decoded values.
 * @returns The checksum.
 */
export function valuesChecksum(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i];
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}
