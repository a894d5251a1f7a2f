// This module is browser compatible.
/**
 * Values to colours, the one colormap of the project: `preview`'s PNGs ({@linkcode applyColormap})
 * and the browser viewer ({@linkcode paint}, {@linkcode colorAt} for its legend) read the same
 * tables the same way, so the same value gets the same colour in both.
 *
 * - `viridis` (the default): matplotlib's 256-entry table (van der Walt & Smith, CC0), used as
 *   is: a normalized value `t` in [0, 1] takes entry `round(255 t)`.
 * - `diverging`: a blue-white-red ramp for signed fields, interpolated into 1025 entries (an odd
 *   size puts the neutral colour exactly at 0).
 * - Missing values (NaN, and the infinities no compressed file holds) are drawn in
 *   {@linkcode MISSING_RGB}, a grey neither map produces.
 *
 * @module
 */

/** The built-in colormaps. */
export type ColormapName = "viridis" | "diverging";

/** Options of {@linkcode applyColormap}. */
export interface ColormapOptions {
  /** Value drawn with the first colour. Default: the smallest finite value (diverging: `-max|v|`). */
  min?: number;
  /** Value drawn with the last colour. Default: the largest finite value (diverging: `max|v|`). */
  max?: number;
  /** Which colormap. Default `"viridis"` (perceptual, sequential). */
  map?: ColormapName;
}

/** The colour of missing values: a flat grey that neither colormap produces. */
export const MISSING_RGB: readonly [number, number, number] = [160, 160, 160];

/**
 * matplotlib's viridis, all 256 entries as `rrggbb` (matplotlib's `_cm_listed.py`, released
 * under CC0; the same table d3-scale-chromatic ships).
 */
const VIRIDIS_HEX = [
  "44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164",
  "47136548146748166848176948186a481a6c481b6d481c6e481d6f481f70482071482173",
  "482374482475482576482677482878482979472a7a472c7a472d7b472e7c472f7d46307e",
  "46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85",
  "4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a",
  "3d4e8a3c4f8a3c508b3b518b3b528b3a538b3a548c39558c39568c38588c38598c375a8c",
  "375b8d365c8d365d8d355e8d355f8d34608d34618d33628d33638d32648e32658e31668e",
  "31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e",
  "2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e",
  "277e8e277f8e27808e26818e26828e26828e25838e25848e25858e24868e24878e23888e",
  "23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d21918c20928c20928c20938c",
  "1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88",
  "1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa83",
  "25ab8225ac8226ad8127ad8128ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b",
  "32b67a34b67935b77937b87838b9773aba763bbb753dbc743fbc7340bd7242be7144bf70",
  "46c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863",
  "5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d153",
  "7ad1517cd2507fd34e81d34d84d44b86d54989d5488bd6468ed64590d74393d74195d840",
  "98d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32addc30b0dd2fb2dd2db5de2b",
  "b8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a",
  "d8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61e",
  "f6e620f8e621fbe723fde725",
].join("");

/** A blue-white-red diverging ramp (in the spirit of ColorBrewer RdBu), for signed fields. */
const DIVERGING_ANCHORS: ReadonlyArray<readonly [number, number, number]> = [
  [33, 64, 154],
  [52, 110, 190],
  [103, 158, 214],
  [171, 203, 231],
  [245, 245, 245],
  [240, 190, 160],
  [222, 128, 98],
  [186, 62, 50],
  [128, 16, 32],
];

/** The lookup tables, `3 * entries` bytes each, built once: one table read per pixel. */
const LUTS: Record<ColormapName, Uint8Array> = {
  viridis: Uint8Array.from(
    { length: VIRIDIS_HEX.length / 2 },
    (_, i) => parseInt(VIRIDIS_HEX.slice(2 * i, 2 * i + 2), 16),
  ),
  diverging: interpolate(DIVERGING_ANCHORS, 1025),
};

function interpolate(
  anchors: ReadonlyArray<readonly [number, number, number]>,
  size: number,
): Uint8Array {
  const lut = new Uint8Array(size * 3);
  const segments = anchors.length - 1;
  for (let i = 0; i < size; i++) {
    const t = (i / (size - 1)) * segments;
    const k = Math.min(Math.floor(t), segments - 1);
    const f = t - k;
    for (let c = 0; c < 3; c++) {
      lut[3 * i + c] = Math.round(anchors[k][c] * (1 - f) + anchors[k + 1][c] * f);
    }
  }
  return lut;
}

function lutOf(map: ColormapName): Uint8Array {
  const lut = LUTS[map];
  if (!lut) throw new TypeError(`Cannot apply colormap: unknown map "${map}"`);
  return lut;
}

/**
 * The colour of a normalized value.
 *
 * @param t Position on the colormap, clamped to [0, 1]; NaN gives {@linkcode MISSING_RGB}.
 * @param map Which colormap. Default `"viridis"`.
 * @returns `[r, g, b]`.
 */
export function colorAt(t: number, map: ColormapName = "viridis"): [number, number, number] {
  if (Number.isNaN(t)) return [...MISSING_RGB];
  const lut = lutOf(map);
  const k = 3 * Math.round(Math.min(1, Math.max(0, t)) * (lut.length / 3 - 1));
  return [lut[k], lut[k + 1], lut[k + 2]];
}

/** Writes the opaque RGBA pixels of `values` between `min` and `max` into `out`. */
function colorize<T extends Uint8Array | Uint8ClampedArray>(
  out: T,
  values: ArrayLike<number>,
  min: number,
  max: number,
  lut: Uint8Array,
): T {
  const span = max > min ? max - min : 1;
  const last = lut.length / 3 - 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let r: number, g: number, b: number;
    if (!Number.isFinite(v)) {
      [r, g, b] = MISSING_RGB;
    } else {
      const k = 3 * Math.round(Math.min(1, Math.max(0, (v - min) / span)) * last);
      r = lut[k];
      g = lut[k + 1];
      b = lut[k + 2];
    }
    out[4 * i] = r;
    out[4 * i + 1] = g;
    out[4 * i + 2] = b;
    out[4 * i + 3] = 255;
  }
  return out;
}

/**
 * Map a scalar field to RGBA pixels with a colormap. Values outside
 * `[min, max]` are clamped; missing values (not finite) are drawn in {@linkcode MISSING_RGB}.
 *
 * @param values The field, row-major, `width * height` values.
 * @param width Field width.
 * @param height Field height.
 * @param options Range and colormap.
 * @returns `width * height * 4` bytes, fully opaque.
 * @throws {TypeError} When the size does not match the number of values.
 *
 * @example Endpoints and NaN
 * ```ts
 * import { applyColormap } from "./colormap.ts";
 * import assert from "node:assert";
 *
 * const rgba = applyColormap(new Float32Array([0, 1, NaN]), 3, 1, { min: 0, max: 1 });
 * assert.deepStrictEqual(Array.from(rgba.subarray(0, 4)), [68, 1, 84, 255]);
 * assert.deepStrictEqual(Array.from(rgba.subarray(8, 12)), [160, 160, 160, 255]);
 * ```
 */
export function applyColormap(
  values: Float32Array | Float64Array,
  width: number,
  height: number,
  options: ColormapOptions = {},
): Uint8Array {
  if (values.length !== width * height) {
    throw new TypeError(
      `Cannot apply colormap: ${width}x${height} needs ${
        width * height
      } values, found ${values.length}`,
    );
  }
  const map = options.map ?? "viridis";
  const lut = lutOf(map);
  let lo = Infinity;
  let hi = -Infinity;
  if (options.min === undefined || options.max === undefined) {
    for (const v of values) {
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (map === "diverging") {
      const m = Math.max(Math.abs(lo), Math.abs(hi));
      lo = -m;
      hi = m;
    }
  }
  return colorize(
    new Uint8Array(values.length * 4),
    values,
    options.min ?? lo,
    options.max ?? hi,
    lut,
  );
}

/**
 * The viewer's pixels: `values` in viridis between `range[0]` and `range[1]`, exactly as
 * {@linkcode applyColormap} draws them with that `min` and `max`, as the `Uint8ClampedArray`
 * `ImageData` takes.
 *
 * @param values The values (row-major).
 * @param range `[min, max]` mapped to the ends of the colormap.
 * @returns `4 * values.length` bytes, opaque.
 */
export function paint(
  values: Float32Array,
  range: readonly [number, number],
): Uint8ClampedArray<ArrayBuffer> {
  return colorize(
    new Uint8ClampedArray(4 * values.length),
    values,
    range[0],
    range[1],
    LUTS.viridis,
  );
}
