// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * Recognizing `.mrc` files by their first bytes (SPEC.md §2).
 *
 * @module
 */

import { SIGNATURE } from "./_constants.ts";

/**
 * Whether `bytes` starts with the 10-byte `.mrc` signature `8A 4D 52 43 41 45 0D 0A 1A 0A`
 * (`"\x8AMRCAE\r\n\x1A\n"`). Unrelated cryo-EM MRC files, text and other formats never match.
 *
 * @param bytes At least the first 10 bytes of a file.
 * @returns `true` when the signature matches.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { hasMrcSignature } from "./mod.ts";
 *
 * assert.ok(hasMrcSignature(new Uint8Array([0x8a, 0x4d, 0x52, 0x43, 0x41, 0x45, 13, 10, 26, 10, 1, 0])));
 * assert.ok(!hasMrcSignature(new TextEncoder().encode("MRCAE\r\n")));
 * ```
 */
export function hasMrcSignature(bytes: Uint8Array): boolean {
  if (bytes.length < SIGNATURE.length) return false;
  for (let i = 0; i < SIGNATURE.length; i++) if (bytes[i] !== SIGNATURE[i]) return false;
  return true;
}
