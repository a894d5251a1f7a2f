// This module is browser compatible.
/**
 * The seven model sets of a `BCOD` chunk (SPEC.md §4.7.4), each defined once: the variables its
 * context index is made of, in the SPEC's nesting order, which give both its size and its index.
 * The names are the SPEC's: zero flags `Z`, signs `G`, magnitude prefix `U`, magnitude bits `M`,
 * modes `O`, level flags `F`, row flags `R`.
 *
 * @module
 */

import { BitModels } from "../../format/_range_coder.ts";

/** One model set: its name in SPEC.md and the range of each index variable, outermost first. */
export interface ModelSetLayout {
  name: "Z" | "G" | "U" | "M" | "O" | "F" | "R";
  /** `[variable, count]`: the index is `((v0 * c1 + v1) * c2 + v2) ...`. */
  dims: readonly (readonly [string, number])[];
}

/** The model sets, in the SPEC's order. */
export const MODEL_SETS = {
  /** Zero flags: `Z[((((pass*2 + fc)*3 + mode)*3 + nS)*5 + nP)*2 + nT)*4 + act]`. */
  Z: {
    name: "Z",
    dims: [["pass", 4], ["fc", 2], ["mode", 3], ["nS", 3], ["nP", 5], ["nT", 2], ["act", 4]],
  },
  /** Signs: `G[(fc*3 + sc)*3 + alt]`. */
  G: { name: "G", dims: [["fc", 2], ["sc", 3], ["alt", 3]] },
  /** Magnitude prefix: `U[(fc*2 + (nP > 1))*24 + b]`. */
  U: { name: "U", dims: [["fc", 2], ["nP>1", 2], ["b", 24]] },
  /** Magnitude bits: `M[nb*24 + (nb-1-j)*2 + e]`. */
  M: { name: "M", dims: [["nb", 24], ["nb-1-j", 12], ["e", 2]] },
  /** Modes: `O[(fc*4 + lastMode)*2 + j]`. */
  O: { name: "O", dims: [["fc", 2], ["lastMode", 4], ["j", 2]] },
  /** Level flags: `F[(fc*3 + mode)*3 + lastFlag]`. */
  F: { name: "F", dims: [["fc", 2], ["mode", 3], ["lastFlag", 3]] },
  /** Row flags: `R[((((pass-1)*2 + fc)*3 + mode)*3 + prev)*3 + min(par, 2)]`. */
  R: { name: "R", dims: [["pass-1", 3], ["fc", 2], ["mode", 3], ["prev", 3], ["par", 3]] },
} as const satisfies Record<string, ModelSetLayout>;

/** Contexts of a model set: the product of its variables' ranges. */
export function modelSetSize(layout: ModelSetLayout): number {
  return layout.dims.reduce((n, [, c]) => n * c, 1);
}

/**
 * The context index of a model set for the given values of its variables (outermost first),
 * checking each against its range. The coder's hot loops use the specialized forms below; the
 * tests check them against this one.
 */
export function contextIndex(layout: ModelSetLayout, values: readonly number[]): number {
  if (values.length !== layout.dims.length) {
    throw new RangeError(`${layout.name} takes ${layout.dims.length} values`);
  }
  let i = 0;
  layout.dims.forEach(([name, count], d) => {
    const v = values[d];
    if (!Number.isInteger(v) || v < 0 || v >= count) {
      throw new RangeError(`${layout.name}: ${name} = ${v} is outside 0..${count - 1}`);
    }
    i = i * count + v;
  });
  return i;
}

/** The model sets of one chunk, all counts zero. */
export class ChunkModels {
  readonly Z = new BitModels(modelSetSize(MODEL_SETS.Z));
  readonly G = new BitModels(modelSetSize(MODEL_SETS.G));
  readonly U = new BitModels(modelSetSize(MODEL_SETS.U));
  readonly M = new BitModels(modelSetSize(MODEL_SETS.M));
  readonly O = new BitModels(modelSetSize(MODEL_SETS.O));
  readonly F = new BitModels(modelSetSize(MODEL_SETS.F));
  readonly R = new BitModels(modelSetSize(MODEL_SETS.R));
}

/** `Z` up to its last three variables: the part fixed for a (pass, snapshot, mode). */
export function zeroBase(pass: number, fc: number, mode: number): number {
  return ((pass * 2 + fc) * 3 + mode) * 3;
}

/** `Z` from {@linkcode zeroBase} and the point's variables. */
export function zeroContext(base: number, nS: number, nP: number, nT: number, act: number): number {
  return (((base + nS) * 5 + nP) * 2 + nT) * 4 + act;
}

/** `G` of a point. */
export function signContext(fc: number, sc: number, alt: number): number {
  return (fc * 3 + sc) * 3 + alt;
}

/** `U`'s first context of a point (the bit `b` adds `b`). */
export function prefixBase(fc: number, nP: number): number {
  return (fc * 2 + (nP > 1 ? 1 : 0)) * 24;
}

/** `M` of bit `j` of a magnitude of `nb` bits below its leading 1 (`e` as in SPEC.md). */
export function magnitudeContext(nb: number, j: number, e: number): number {
  return nb * 24 + (nb - 1 - j) * 2 + e;
}

/** `O`'s first context (bit `j` adds `j`). */
export function modeBase(fc: number, lastMode: number): number {
  return (fc * 4 + lastMode) * 2;
}

/** `F` of a (snapshot, level). */
export function levelFlagContext(fc: number, mode: number, lastFlag: number): number {
  return (fc * 3 + mode) * 3 + lastFlag;
}

/** `R` of a row. */
export function rowFlagContext(
  pass: number,
  fc: number,
  mode: number,
  prev: number,
  par: number,
): number {
  return ((((pass - 1) * 2 + fc) * 3 + mode) * 3 + prev) * 3 + (par > 2 ? 2 : par);
}
