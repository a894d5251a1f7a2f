// This module is browser compatible.
/**
 * A built-in 5x7 bitmap font for panel titles and plot labels: {@linkcode drawText} into an
 * {@linkcode RgbaImage}, {@linkcode measureText} for layout.
 *
 * @module
 */

/** An RGBA image: `width * height * 4` bytes, row-major, top row first. */
export interface RgbaImage {
  /** The pixels. */
  rgba: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/** Options of {@linkcode drawText}. */
export interface TextOptions {
  /** RGB colour. Default black. */
  color?: [number, number, number];
  /** Integer magnification. Default 1 (5x7 glyphs on a 6x8 advance). */
  zoom?: number;
}

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
 * import { measureText } from "./font.ts";
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
 * import { drawText } from "./font.ts";
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
