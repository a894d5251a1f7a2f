// This module is browser compatible.
/**
 * Values to RGBA pixels for the viewer: viridis between `min` and `max`, missing values (NaN,
 * land) in a flat grey that viridis never produces.
 *
 * @module
 */

/** Viridis at 0, 1/8, ..., 1 (matplotlib's table, sampled). */
const VIRIDIS = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

/** The colour of missing values. */
export const MISSING_RGB: readonly [number, number, number] = [150, 150, 150];

/**
 * The colour of `t` in [0, 1] (clamped).
 *
 * @param t Position on the colormap.
 * @returns `[r, g, b]`.
 */
export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i], b = VIRIDIS[i + 1];
  return [
    Math.round(a[0] + f * (b[0] - a[0])),
    Math.round(a[1] + f * (b[1] - a[1])),
    Math.round(a[2] + f * (b[2] - a[2])),
  ];
}

/**
 * Paints `values` (row-major `h x w`) into RGBA pixels.
 *
 * @param values The values.
 * @param range `[min, max]` mapped to the ends of the colormap.
 * @returns `4 * values.length` bytes, opaque.
 */
export function paint(
  values: Float32Array,
  range: [number, number],
): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(4 * values.length);
  const [lo, hi] = range;
  const scale = hi > lo ? 1 / (hi - lo) : 0;
  // A 256-entry table: one lookup per pixel instead of an interpolation.
  const table = Array.from({ length: 256 }, (_, i) => viridis(i / 255));
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const rgb = Number.isFinite(v)
      ? table[Math.min(255, Math.max(0, Math.round((v - lo) * scale * 255)))]
      : MISSING_RGB;
    out[4 * i] = rgb[0];
    out[4 * i + 1] = rgb[1];
    out[4 * i + 2] = rgb[2];
    out[4 * i + 3] = 255;
  }
  return out;
}
