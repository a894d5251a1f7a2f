import assert from "node:assert";
import { unzlibSync } from "npm:fflate@0.8.2";
import { crc32, encodePng, hasPngSignature } from "../../../src/io/png.ts";
import { composeImage } from "../../../src/io/image.ts";
import { drawText, measureText } from "../../../src/io/font.ts";

interface Chunk {
  type: string;
  data: Uint8Array;
  crcOk: boolean;
}

/** A naive reference reader: split chunks, check every CRC. */
function readChunks(png: Uint8Array): Chunk[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Chunk[] = [];
  let offset = 8;
  while (offset < png.length) {
    const length = view.getUint32(offset, false);
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, offset + 8 + length);
    const crc = view.getUint32(offset + 8 + length, false);
    chunks.push({
      type,
      data,
      crcOk: crc === crc32(png.subarray(offset + 4, offset + 8 + length)),
    });
    offset += 12 + length;
  }
  assert.strictEqual(offset, png.length, "chunks end exactly at the end of the file");
  return chunks;
}

/** Undo the PNG scanline filters (https://www.w3.org/TR/png/#9Filters), written independently. */
function unfilter(raw: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  assert.strictEqual(raw.length, height * (stride + 1));
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const type = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i];
      const a = i >= bpp ? out[y * stride + i - bpp] : 0;
      const b = y > 0 ? out[(y - 1) * stride + i] : 0;
      const c = i >= bpp && y > 0 ? out[(y - 1) * stride + i - bpp] : 0;
      let pred = 0;
      if (type === 1) pred = a;
      else if (type === 2) pred = b;
      else if (type === 3) pred = Math.floor((a + b) / 2);
      else if (type === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else assert.strictEqual(type, 0, `filter type ${type}`);
      out[y * stride + i] = (x + pred) & 0xff;
    }
  }
  return out;
}

function decode(png: Uint8Array) {
  assert.ok(hasPngSignature(png));
  const chunks = readChunks(png);
  for (const c of chunks) assert.ok(c.crcOk, `CRC of ${c.type}`);
  assert.deepStrictEqual(chunks.map((c) => c.type), ["IHDR", "IDAT", "IEND"]);
  const ihdr = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset, 13);
  const width = ihdr.getUint32(0, false);
  const height = ihdr.getUint32(4, false);
  const [depth, colorType, compression, filter, interlace] = chunks[0].data.subarray(8);
  assert.deepStrictEqual([depth, compression, filter, interlace], [8, 0, 0, 0]);
  const bpp = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  assert.ok(bpp > 0, `colour type ${colorType}`);
  const pixels = unfilter(unzlibSync(chunks[1].data), width, height, bpp);
  return { width, height, bpp, pixels };
}

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a * 1664525 + 1013904223) >>> 0;
    return a / 4294967296;
  };
}

Deno.test("crc32() gives the standard check value", () => {
  assert.strictEqual(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.strictEqual(crc32(new Uint8Array(0)), 0);
});

Deno.test("encodePng() writes valid chunks whose pixels decode back exactly", () => {
  const rand = random(3);
  for (const [w, h] of [[1, 1], [2, 3], [17, 5], [64, 64]]) {
    for (const bpp of [3, 4]) {
      // Mix noise and smooth gradients so every filter type gets chosen somewhere.
      const pixels = new Uint8Array(w * h * bpp).map((_, i) =>
        i % 7 === 0 ? Math.floor(rand() * 256) : (i * 3 + Math.floor(i / (w * bpp)) * 5) & 0xff
      );
      const png = encodePng(pixels, w, h);
      const decoded = decode(png);
      assert.deepStrictEqual([decoded.width, decoded.height, decoded.bpp], [w, h, bpp]);
      assert.deepStrictEqual(decoded.pixels, pixels);
    }
  }
});

Deno.test("encodePng() rejects a buffer that does not match the size", () => {
  assert.throws(() => encodePng(new Uint8Array(10), 2, 2), /needs 16 \(RGBA\) or 12 \(RGB\)/);
  assert.throws(() => encodePng(new Uint8Array(0), 0, 0), TypeError);
});

Deno.test("composeImage() scales panels to a common size and draws labels", () => {
  const small = { rgba: new Uint8Array(3 * 3 * 4).fill(0), width: 3, height: 3, label: "L0 3x3" };
  const big = { rgba: new Uint8Array(9 * 9 * 4).fill(0), width: 9, height: 9, label: "level 1" };
  const image = composeImage([small, big, small], {
    columns: 2,
    gap: 2,
    zoom: 2,
    textZoom: 1,
  });
  const labelH = 7 + 2 + 2;
  assert.strictEqual(image.width, 2 * 18 + 3 * 2);
  assert.strictEqual(image.height, 2 * (18 + labelH) + 3 * 2);
  const at = (x: number, y: number) => image.rgba[4 * (y * image.width + x)];
  // The 3x3 panel covers the full 18x18 cell (black), the gap is white.
  assert.strictEqual(at(2, 2 + labelH), 0);
  assert.strictEqual(at(2 + 17, 2 + labelH + 17), 0);
  assert.strictEqual(at(1, 2 + labelH), 255);
  assert.strictEqual(at(2 + 18, 2 + labelH), 255);
  // Some label pixels are dark.
  let dark = 0;
  for (let x = 2; x < 2 + measureText("L0 3x3"); x++) {
    for (let y = 3; y < 10; y++) if (at(x, y) === 0) dark++;
  }
  assert.ok(dark > 10);
});

Deno.test("drawText() draws known glyphs and clips at the edges", () => {
  const image = { rgba: new Uint8Array(12 * 8 * 4), width: 12, height: 8 };
  drawText(image, "-1", 0, 0, { color: [9, 9, 9] });
  const on = (x: number, y: number) => image.rgba[4 * (y * 12 + x)] === 9;
  // "-" is the middle row, columns 0..4.
  for (let x = 0; x < 5; x++) assert.ok(on(x, 3));
  assert.ok(!on(0, 2));
  // "1" starts at x = 6: its stem is column 2.
  for (let y = 0; y < 7; y++) assert.ok(on(6 + 2, y));
  drawText(image, "WWWW", -3, -3, { zoom: 3 }); // must not throw
});

const hasPillow = await (async () => {
  try {
    const { code } = await new Deno.Command("python3", {
      args: ["-c", "import PIL"],
      stdout: "null",
      stderr: "null",
    }).output();
    return code === 0;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "encodePng() output decodes identically with Pillow",
  ignore: !hasPillow, // Skipped when python3 with Pillow (PIL) is not installed.
  async fn() {
    const w = 37, h = 11;
    const pixels = new Uint8Array(w * h * 4).map((_, i) => (i * 31 + (i >> 6)) & 0xff);
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeFile(`${dir}/a.png`, encodePng(pixels, w, h));
      const out = await new Deno.Command("python3", {
        args: [
          "-c",
          "import sys; from PIL import Image; im = Image.open(sys.argv[1]); " +
          "sys.stdout.buffer.write(im.convert('RGBA').tobytes())",
          `${dir}/a.png`,
        ],
      }).output();
      assert.strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.deepStrictEqual(out.stdout, pixels);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

if (!hasPillow) {
  console.warn("png_test: python3 with Pillow not found; Pillow differential test skipped");
}
