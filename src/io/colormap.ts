// This module is browser compatible.
/**
 * Turn scalar fields into RGBA pixels and lay several of them out in one image:
 * colormaps (`applyColormap`), a panel composer (`composeImage`) and a built-in
 * 5x7 bitmap font (`drawText`) for panel titles and plot labels. The output
 * feeds `encodePng` from `./png.ts`.
 *
 * @example A labelled preview of two fields
 * ```ts
 * import { applyColormap, composeImage } from "./colormap.ts";
 * import assert from "node:assert";
 *
 * const coarse = applyColormap(new Float32Array(9).map((_, i) => i), 3, 3);
 * const fine = applyColormap(new Float32Array(49).map((_, i) => i), 7, 7);
 * const image = composeImage([
 *   { rgba: coarse, width: 3, height: 3, label: "level 0 3x3" },
 *   { rgba: fine, width: 7, height: 7, label: "level 1 7x7" },
 * ], { columns: 2, gap: 4, zoom: 10 });
 * assert.strictEqual(image.rgba.length, image.width * image.height * 4);
 * ```
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

/** An RGBA image: `width * height * 4` bytes, row-major, top row first. */
export interface RgbaImage {
  /** The pixels. */
  rgba: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/** One panel of {@linkcode composeImage}. */
export interface Panel extends RgbaImage {
  /** A title drawn above the panel with the built-in font. */
  label?: string;
}

/** Options of {@linkcode composeImage}. */
export interface ComposeOptions {
  /** Panels per row. Default: `min(panels.length, 4)`. */
  columns?: number;
  /** Pixels of white between panels and around the edge. Default 8. */
  gap?: number;
  /**
   * Every panel is stretched (nearest neighbour) to fit a cell of
   * `zoom * (largest panel width) x zoom * (largest panel height)`, so a
   * coarse level shows as large as the finest one. Default 1.
   */
  zoom?: number;
  /** Magnification of the label font (glyphs are 5x7 at 1). Default 1, or 2 when cells are >= 200 px wide. */
  textZoom?: number;
}

/** Options of {@linkcode drawText}. */
export interface TextOptions {
  /** RGB colour. Default black. */
  color?: [number, number, number];
  /** Integer magnification. Default 1 (5x7 glyphs on a 6x8 advance). */
  zoom?: number;
}

// Anchors approximating the viridis colormap (van der Walt & Smith): a
// perceptually uniform dark-blue -> green -> yellow ramp. 17 evenly spaced
// hand-rounded RGB values, linearly interpolated.
const VIRIDIS_ANCHORS: ReadonlyArray<readonly [number, number, number]> = [
  [68, 1, 84],
  [72, 24, 106],
  [71, 45, 123],
  [67, 63, 133],
  [59, 82, 139],
  [51, 99, 141],
  [44, 114, 142],
  [38, 130, 142],
  [33, 145, 140],
  [31, 160, 136],
  [40, 174, 128],
  [63, 188, 115],
  [94, 201, 98],
  [132, 212, 75],
  [173, 220, 48],
  [216, 226, 25],
  [253, 231, 37],
];

// A blue-white-red diverging ramp (in the spirit of ColorBrewer RdBu), for
// signed fields such as vorticity or errors.
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

/**
 * Interpolated lookup tables, built once: one table read per pixel. An odd size
 * puts an entry exactly at the centre (the diverging map's neutral colour).
 */
const LUT_SIZE = 1025;

const LUTS: Record<ColormapName, Uint8Array> = {
  viridis: buildLut(VIRIDIS_ANCHORS),
  diverging: buildLut(DIVERGING_ANCHORS),
};

/** NaN (missing data) is drawn in this neutral grey. */
const NAN_GREY = [160, 160, 160] as const;

function buildLut(anchors: ReadonlyArray<readonly [number, number, number]>): Uint8Array {
  const lut = new Uint8Array(LUT_SIZE * 3);
  const segments = anchors.length - 1;
  for (let i = 0; i < LUT_SIZE; i++) {
    const t = (i / (LUT_SIZE - 1)) * segments;
    const k = Math.min(Math.floor(t), segments - 1);
    const f = t - k;
    for (let c = 0; c < 3; c++) {
      lut[3 * i + c] = Math.round(anchors[k][c] * (1 - f) + anchors[k + 1][c] * f);
    }
  }
  return lut;
}

/**
 * Map a scalar field to RGBA pixels with a colormap. Values outside
 * `[min, max]` are clamped; NaN is drawn grey.
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
  const lut = LUTS[map];
  if (!lut) throw new TypeError(`Cannot apply colormap: unknown map "${map}"`);
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
  const min = options.min ?? lo;
  const max = options.max ?? hi;
  const span = max > min ? max - min : 1;
  const out = new Uint8Array(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let r: number, g: number, b: number;
    if (Number.isNaN(v)) {
      [r, g, b] = NAN_GREY;
    } else {
      const t = Math.min(1, Math.max(0, (v - min) / span));
      const k = 3 * Math.round(t * (LUT_SIZE - 1));
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
 * Lay panels out in a grid on a white background, each stretched
 * (nearest-neighbour) to a common cell size and optionally titled.
 *
 * @param panels The panels (RGBA), in reading order.
 * @param options Columns, gap, cell zoom and font size.
 * @returns The composed RGBA image.
 * @throws {TypeError} When a panel's buffer does not match its size, or there are no panels.
 *
 * @example A 31x31 panel is shown as large as a 127x127 one
 * ```ts
 * import { composeImage } from "./colormap.ts";
 * import assert from "node:assert";
 *
 * const image = composeImage([
 *   { rgba: new Uint8Array(31 * 31 * 4), width: 31, height: 31 },
 *   { rgba: new Uint8Array(127 * 127 * 4), width: 127, height: 127 },
 * ], { columns: 2, gap: 0, zoom: 1 });
 * assert.strictEqual(image.width, 254);
 * assert.strictEqual(image.height, 127);
 * ```
 */
export function composeImage(panels: Panel[], options: ComposeOptions = {}): RgbaImage {
  if (panels.length === 0) throw new TypeError("Cannot compose image: no panels");
  for (const p of panels) {
    if (p.rgba.length !== p.width * p.height * 4) {
      throw new TypeError(
        `Cannot compose image: panel ${p.width}x${p.height} needs ${
          p.width * p.height * 4
        } RGBA bytes, found ${p.rgba.length}`,
      );
    }
  }
  const columns = Math.max(1, Math.floor(options.columns ?? Math.min(panels.length, 4)));
  const gap = Math.max(0, Math.floor(options.gap ?? 8));
  const zoom = options.zoom ?? 1;
  const cellW = Math.max(1, Math.round(zoom * Math.max(...panels.map((p) => p.width))));
  const cellH = Math.max(1, Math.round(zoom * Math.max(...panels.map((p) => p.height))));
  const textZoom = options.textZoom ?? (cellW >= 200 ? 2 : 1);
  const hasLabels = panels.some((p) => p.label);
  const labelH = hasLabels ? GLYPH_HEIGHT * textZoom + 2 * textZoom + 2 : 0;
  const rows = Math.ceil(panels.length / columns);
  const width = columns * cellW + (columns + 1) * gap;
  const height = rows * (cellH + labelH) + (rows + 1) * gap;
  const image: RgbaImage = { rgba: new Uint8Array(width * height * 4).fill(255), width, height };

  panels.forEach((panel, n) => {
    const x0 = gap + (n % columns) * (cellW + gap);
    const y0 = gap + Math.floor(n / columns) * (cellH + labelH + gap);
    if (panel.label) drawText(image, panel.label, x0, y0 + 1, { zoom: textZoom });
    // Fit the panel into the cell keeping its aspect ratio, then sample nearest neighbours.
    const fit = Math.min(cellW / panel.width, cellH / panel.height);
    const w = Math.max(1, Math.round(panel.width * fit));
    const h = Math.max(1, Math.round(panel.height * fit));
    const top = y0 + labelH;
    for (let y = 0; y < h; y++) {
      const sy = Math.min(panel.height - 1, Math.floor((y * panel.height) / h));
      for (let x = 0; x < w; x++) {
        const sx = Math.min(panel.width - 1, Math.floor((x * panel.width) / w));
        const src = 4 * (sy * panel.width + sx);
        const dst = 4 * ((top + y) * width + x0 + x);
        image.rgba[dst] = panel.rgba[src];
        image.rgba[dst + 1] = panel.rgba[src + 1];
        image.rgba[dst + 2] = panel.rgba[src + 2];
        image.rgba[dst + 3] = panel.rgba[src + 3];
      }
    }
  });
  return image;
}

// --- bitmap font ------------------------------------------------------------

/** Glyph cell: 5 columns x 7 rows, drawn on a 6 x 8 advance. */
export const GLYPH_WIDTH = 5;
/** Glyph height in pixels at zoom 1. */
export const GLYPH_HEIGHT = 7;

// Each glyph is 7 rows of 5 bits written as 14 hex digits; bit 4 (0x10) is the
// leftmost column. Drawn by hand for this project.
const FONT: Record<string, string> = {
  "0": "0e11131519110e",
  "1": "040c040404040e",
  "2": "0e11010204081f",
  "3": "1f02040201110e",
  "4": "02060a121f0202",
  "5": "1f101e0101110e",
  "6": "0608101e11110e",
  "7": "1f010204080808",
  "8": "0e11110e11110e",
  "9": "0e11110f01020c",
  "A": "0e11111f111111",
  "B": "1e11111e11111e",
  "C": "0e11101010110e",
  "D": "1c12111111121c",
  "E": "1f10101e10101f",
  "F": "1f10101e101010",
  "G": "0e11101711110f",
  "H": "1111111f111111",
  "I": "0e04040404040e",
  "J": "0702020202120c",
  "K": "11121418141211",
  "L": "1010101010101f",
  "M": "111b1515111111",
  "N": "11111915131111",
  "O": "0e11111111110e",
  "P": "1e11111e101010",
  "Q": "0e11111115120d",
  "R": "1e11111e141211",
  "S": "0f10100e01011e",
  "T": "1f040404040404",
  "U": "1111111111110e",
  "V": "11111111110a04",
  "W": "1111111515150a",
  "X": "11110a040a1111",
  "Y": "11110a04040404",
  "Z": "1f01020408101f",
  "a": "00000e010f110f",
  "b": "1010161911111e",
  "c": "00000e1010110e",
  "d": "01010d1311110f",
  "e": "00000e111f100e",
  "f": "0609081c080808",
  "g": "00000f110f010e",
  "h": "10101619111111",
  "i": "04000c0404040e",
  "j": "0200060202120c",
  "k": "10101214181412",
  "l": "0c04040404040e",
  "m": "00001a15151111",
  "n": "00001619111111",
  "o": "00000e1111110e",
  "p": "00001e111e1010",
  "q": "00000f110f0101",
  "r": "00001619101010",
  "s": "00000e100e011e",
  "t": "08081c08080906",
  "u": "0000111111130d",
  "v": "00001111110a04",
  "w": "0000111115150a",
  "x": "0000110a040a11",
  "y": "000011110f010e",
  "z": "00001f0204081f",
  " ": "00000000000000",
  ".": "00000000000c0c",
  ",": "000000000c0408",
  ":": "000c0c000c0c00",
  ";": "000c0c000c0408",
  "-": "0000001f000000",
  "+": "0004041f040400",
  "=": "00001f001f0000",
  "_": "0000000000001f",
  "/": "01010204081010",
  "\\": "10100804020101",
  "(": "02040808080402",
  ")": "08040202020408",
  "[": "0e08080808080e",
  "]": "0e02020202020e",
  "%": "18190204081303",
  "*": "0004150e150400",
  "<": "02040810080402",
  ">": "08040201020408",
  "!": "04040404040004",
  "?": "0e110102040004",
  "#": "0a0a1f0a1f0a0a",
  "^": "040a1100000000",
  "|": "04040404040404",
  "'": "04040800000000",
  '"': "0a0a0000000000",
  "~": "00000815020000",
  "&": "0c12140815120d",
  "@": "0e11171517100e",
  "$": "040f140e051e04",
};

/**
 * Width in pixels of a line of text drawn by {@linkcode drawText}.
 *
 * @param text The text (one line).
 * @param zoom Integer magnification. Default 1.
 * @returns The width in pixels.
 *
 * @example Three characters at zoom 2
 * ```ts
 * import { measureText } from "./colormap.ts";
 * import assert from "node:assert";
 *
 * assert.strictEqual(measureText("abc", 2), 34);
 * ```
 */
export function measureText(text: string, zoom = 1): number {
  return text.length === 0 ? 0 : (text.length * (GLYPH_WIDTH + 1) - 1) * zoom;
}

/**
 * Draw one line of text into an RGBA image with the built-in 5x7 font.
 * Characters without a glyph are drawn as `?`; pixels outside the image are
 * clipped.
 *
 * @param image The image to draw into (modified in place).
 * @param text The text.
 * @param x Left edge in pixels.
 * @param y Top edge in pixels.
 * @param options Colour and magnification.
 *
 * @example Drawing a digit
 * ```ts
 * import { drawText } from "./colormap.ts";
 * import assert from "node:assert";
 *
 * const image = { rgba: new Uint8Array(5 * 7 * 4), width: 5, height: 7 };
 * drawText(image, "1", 0, 0, { color: [255, 0, 0] });
 * assert.strictEqual(image.rgba[4 * 2], 255); // the top of the "1" stem
 * ```
 */
export function drawText(
  image: RgbaImage,
  text: string,
  x: number,
  y: number,
  options: TextOptions = {},
): void {
  const [r, g, b] = options.color ?? [0, 0, 0];
  const zoom = Math.max(1, Math.floor(options.zoom ?? 1));
  x = Math.round(x);
  y = Math.round(y);
  for (let n = 0; n < text.length; n++) {
    const glyph = FONT[text[n]] ?? FONT["?"];
    const gx = x + n * (GLYPH_WIDTH + 1) * zoom;
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      const bits = parseInt(glyph.slice(2 * row, 2 * row + 2), 16);
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if (!(bits & (0x10 >> col))) continue;
        for (let dy = 0; dy < zoom; dy++) {
          const py = y + row * zoom + dy;
          if (py < 0 || py >= image.height) continue;
          for (let dx = 0; dx < zoom; dx++) {
            const px = gx + col * zoom + dx;
            if (px < 0 || px >= image.width) continue;
            const i = 4 * (py * image.width + px);
            image.rgba[i] = r;
            image.rgba[i + 1] = g;
            image.rgba[i + 2] = b;
            image.rgba[i + 3] = 255;
          }
        }
      }
    }
  }
}
