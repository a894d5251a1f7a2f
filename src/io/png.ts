// This module is browser compatible.
/**
 * A small PNG encoder for 8-bit RGBA or RGB images (previews and plots).
 *
 * Follows the PNG specification (https://www.w3.org/TR/png/): signature,
 * `IHDR`, one `IDAT` holding the zlib stream of filtered scanlines, `IEND`.
 * Each scanline gets the filter (None, Sub, Up, Average or Paeth) that
 * minimises the sum of absolute residuals, the heuristic the spec recommends
 * (section 12.8).
 *
 * @example Encoding a 2x1 image
 * ```ts
 * import { encodePng, hasPngSignature } from "./png.ts";
 * import assert from "node:assert";
 *
 * const png = encodePng(new Uint8Array([255, 0, 0, 255, 0, 0, 255, 255]), 2, 1);
 * assert.ok(hasPngSignature(png));
 * ```
 *
 * @module
 */
import { zlibSync } from "npm:fflate@0.8.2/browser";
import { crc32 } from "../../format/_checksum.ts";

/** The CRC-32 of PNG chunks: the same as zlib's, shared with the `.mrc` container. */
export { crc32 };

// https://www.w3.org/TR/png/#5PNG-file-signature
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/**
 * Check whether bytes start with the 8-byte PNG signature.
 *
 * @param bytes The file contents.
 * @returns `true` when the signature matches.
 *
 * @example Rejecting other bytes
 * ```ts
 * import { hasPngSignature } from "./png.ts";
 * import assert from "node:assert";
 *
 * assert.ok(!hasPngSignature(new Uint8Array(8)));
 * ```
 */
export function hasPngSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * Encode pixels as a PNG file.
 *
 * The channel count is taken from the buffer length: `width * height * 4`
 * bytes are RGBA (colour type 6), `width * height * 3` bytes are RGB (colour
 * type 2). Compression is zlib level 6 with adaptive per-row filters; a
 * 1000x1000 RGBA image takes about 50 ms.
 *
 * @param rgba The pixels, row-major, top row first, 8 bits per channel.
 * @param width The image width in pixels (>= 1).
 * @param height The image height in pixels (>= 1).
 * @returns The PNG file bytes.
 * @throws {TypeError} When the size is invalid or does not match the buffer.
 *
 * @example A 1x1 opaque white pixel
 * ```ts
 * import { encodePng } from "./png.ts";
 * import assert from "node:assert";
 *
 * const png = encodePng(new Uint8Array([255, 255, 255]), 1, 1);
 * assert.strictEqual(png[25], 2); // colour type: RGB
 * ```
 */
export function encodePng(rgba: Uint8Array, width: number, height: number): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new TypeError(`Cannot encode PNG: size "${width}x${height}" is not a positive integer`);
  }
  const pixels = width * height;
  let channels: number;
  if (rgba.length === pixels * 4) channels = 4;
  else if (rgba.length === pixels * 3) channels = 3;
  else {
    throw new TypeError(
      `Cannot encode PNG: ${width}x${height} needs ${pixels * 4} (RGBA) or ${
        pixels * 3
      } (RGB) bytes, found ${rgba.length}`,
    );
  }

  // https://www.w3.org/TR/png/#11IHDR
  const ihdr = new Uint8Array(13);
  const ihdrView = new DataView(ihdr.buffer);
  ihdrView.setUint32(0, width, false);
  ihdrView.setUint32(4, height, false);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 4 ? 6 : 2; // colour type
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0 (five adaptive filter types)
  ihdr[12] = 0; // no interlace

  const idat = zlibSync(filterScanlines(rgba, width, height, channels), { level: 6 });

  const chunks = [chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", new Uint8Array(0))];
  const out = new Uint8Array(8 + chunks.reduce((n, c) => n + c.length, 0));
  out.set(PNG_SIGNATURE, 0);
  let offset = 8;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

// https://www.w3.org/TR/png/#5Chunk-layout: length (u32 BE), type, data, CRC over type + data.
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length, false);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)), false);
  return out;
}

/**
 * Prefix each row with the filter type that gives the smallest sum of
 * |residual| (residuals read as signed bytes), https://www.w3.org/TR/png/#9Filters.
 */
function filterScanlines(
  pixels: Uint8Array,
  width: number,
  height: number,
  bpp: number,
): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(height * (stride + 1));
  const candidate = new Uint8Array(stride);
  const zeros = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : zeros;
    let bestType = 0;
    let bestScore = Infinity;
    const dst = out.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let type = 0; type < 5; type++) {
      let score = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? row[i - bpp] : 0;
        const b = prev[i];
        const c = i >= bpp ? prev[i - bpp] : 0;
        let predictor: number;
        switch (type) {
          case 0:
            predictor = 0;
            break;
          case 1:
            predictor = a;
            break;
          case 2:
            predictor = b;
            break;
          case 3:
            predictor = (a + b) >> 1;
            break;
          default:
            predictor = paeth(a, b, c);
        }
        const r = (row[i] - predictor) & 0xff;
        candidate[i] = r;
        score += r < 128 ? r : 256 - r;
      }
      if (score < bestScore) {
        bestScore = score;
        bestType = type;
        dst.set(candidate);
      }
    }
    out[y * (stride + 1)] = bestType;
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}
