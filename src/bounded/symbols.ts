// This module is browser compatible.
/**
 * The binarization of a code (SPEC.md §4.7.4, step 4): zero flag, sign, magnitude prefix (unary
 * count of the bits below the leading 1), the two highest of those bits modelled, the rest direct,
 * and the escape (magnitude `2^20`) followed by the value's 32 bits.
 *
 * @module
 */

import type { ChunkModels } from "./contexts.ts";
import { magnitudeContext } from "./contexts.ts";
import type { RangeDecoder, RangeEncoder } from "../../format/_range_coder.ts";

/** Magnitude that marks an escape: the value follows as raw float32 bits. */
export const ESCAPE = 1 << 20;

/** Bits of the magnitude prefix at most (an escape has 20). */
const MAX_PREFIX = 20;

const F32 = new Float32Array(1);
const F32_BITS = new Uint32Array(F32.buffer);

/**
 * Codes `v` (`ESCAPE` for a value stored exactly, whose float32 value is `escaped`) with the
 * point's contexts: `z` of `Z`, `g` of `G`, `u` the first of `U`.
 */
export function encodeCode(
  e: RangeEncoder,
  m: ChunkModels,
  v: number,
  escaped: number,
  z: number,
  g: number,
  u: number,
): void {
  if (v === 0) {
    e.encodeBit(m.Z.counts, z, 0);
    return;
  }
  e.encodeBit(m.Z.counts, z, 1);
  e.encodeBit(m.G.counts, g, v < 0 ? 1 : 0);
  const a = v < 0 ? -v : v;
  const nb = 31 - Math.clz32(a);
  const U = m.U.counts, M = m.M.counts;
  for (let i = 0; i < nb; i++) e.encodeBit(U, u + i, 1);
  if (nb < MAX_PREFIX) e.encodeBit(U, u + nb, 0);
  for (let j = nb - 1; j >= 0; j--) {
    const bit = (a >>> j) & 1;
    if (j >= nb - 2) {
      e.encodeBit(M, magnitudeContext(nb, j, j === nb - 2 ? (a >>> (nb - 1)) & 1 : 0), bit);
    } else e.encodeDirect(bit, 1);
  }
  if (v === ESCAPE) {
    F32[0] = escaped;
    e.encodeDirect(F32_BITS[0] >>> 16, 16);
    e.encodeDirect(F32_BITS[0] & 0xFFFF, 16);
  }
}

/** Decodes a code coded by {@linkcode encodeCode} with the same contexts. */
export function decodeCode(
  d: RangeDecoder,
  m: ChunkModels,
  z: number,
  g: number,
  u: number,
): number {
  if (!d.decodeBit(m.Z.counts, z)) return 0;
  const neg = d.decodeBit(m.G.counts, g);
  const U = m.U.counts, M = m.M.counts;
  let nb = 0;
  while (nb < MAX_PREFIX && d.decodeBit(U, u + nb)) nb++;
  let a = 1;
  for (let j = nb - 1; j >= 0; j--) {
    const bit = j >= nb - 2
      ? d.decodeBit(M, magnitudeContext(nb, j, j === nb - 2 ? a & 1 : 0))
      : d.decodeDirect(1);
    a = (a << 1) | bit;
  }
  if (a === ESCAPE) return ESCAPE;
  return neg ? -a : a;
}

/** Decodes the 32 bits of an escaped value. */
export function decodeEscaped(d: RangeDecoder): number {
  const hi = d.decodeDirect(16), lo = d.decodeDirect(16);
  F32_BITS[0] = ((hi << 16) | lo) >>> 0;
  return F32[0];
}

/**
 * The encoder's cost estimate of a code, in bits (mode choice only; not part of the format):
 * about what {@linkcode encodeCode} spends on it, 0 for a zero: 6 plus 2 per bit below the
 * leading 1 (`floor(log2 |v|)`, an integer count, cheaper than `log2`). The mode estimate of
 * `block_coder.ts` computes the same on the rounded residual, inline.
 */
export function codeCost(v: number): number {
  if (v === 0) return 0;
  const a = v < 0 ? -v : v;
  return a >= ESCAPE ? 40 : 6 + 2 * (31 - Math.clz32(a));
}
