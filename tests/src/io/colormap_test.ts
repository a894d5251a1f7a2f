// The one colormap: preview's applyColormap() and the viewer's paint() and legend agree.
import assert from "node:assert";
import { applyColormap, colorAt, MISSING_RGB, paint } from "../../../src/io/colormap.ts";

Deno.test("applyColormap() maps the range ends, clamps, and draws NaN grey", () => {
  const rgba = applyColormap(new Float32Array([0, 1, -5, 5, NaN, 0.5]), 6, 1, { min: 0, max: 1 });
  const px = (i: number) => Array.from(rgba.subarray(4 * i, 4 * i + 4));
  assert.deepStrictEqual(px(0), [68, 1, 84, 255]);
  assert.deepStrictEqual(px(1), [253, 231, 37, 255]);
  assert.deepStrictEqual(px(2), px(0));
  assert.deepStrictEqual(px(3), px(1));
  assert.deepStrictEqual(px(4), [160, 160, 160, 255]);
  // Diverging defaults to a symmetric range: 0 is the white-ish centre.
  const div = applyColormap(new Float32Array([-2, 0, 1]), 3, 1, { map: "diverging" });
  assert.deepStrictEqual(Array.from(div.subarray(4, 8)), [245, 245, 245, 255]);
  // Viridis lightness increases monotonically (perceptual ordering).
  const ramp = applyColormap(new Float32Array(256).map((_, i) => i), 256, 1);
  let last = -1;
  for (let i = 0; i < 256; i += 16) {
    const l = 0.2126 * ramp[4 * i] + 0.7152 * ramp[4 * i + 1] + 0.0722 * ramp[4 * i + 2];
    assert.ok(l > last, `luminance rises at ${i}`);
    last = l;
  }
});

Deno.test("the viewer's paint() and legend draw what preview's applyColormap() draws", () => {
  // Both ends, outside the range, missing values (NaN, land, infinities) and values between.
  const values = new Float32Array([
    -3,
    7,
    -10,
    20,
    NaN,
    Infinity,
    -Infinity,
    2,
    ...Array.from({ length: 500 }, (_, i) => -3 + i / 50),
  ]);
  const range = [-3, 7] as const;
  const viewer = paint(values, range);
  const preview = applyColormap(values, values.length, 1, { min: range[0], max: range[1] });
  assert.deepStrictEqual(Array.from(viewer), Array.from(preview));
  for (const i of [4, 5, 6]) {
    assert.deepStrictEqual(Array.from(viewer.subarray(4 * i, 4 * i + 4)), [...MISSING_RGB, 255]);
  }
  // The legend's 256 colours are the table's entries, the ones applyColormap() gives 0..255.
  const ramp = applyColormap(new Float32Array(256).map((_, i) => i), 256, 1, { min: 0, max: 255 });
  for (let i = 0; i < 256; i++) {
    assert.deepStrictEqual(
      colorAt(i / 255),
      Array.from(ramp.subarray(4 * i, 4 * i + 3)),
      `entry ${i}`,
    );
  }
  // matplotlib's viridis at 0, 0.5 and 1.
  assert.deepStrictEqual([colorAt(0), colorAt(128 / 255), colorAt(1)], [
    [68, 1, 84],
    [33, 145, 140],
    [253, 231, 37],
  ]);
  assert.deepStrictEqual(colorAt(NaN), [...MISSING_RGB]);
});

Deno.test("the colormap module is browser compatible: web/viewer.ts bundles it", async () => {
  const text = await Deno.readTextFile(new URL("../../../src/io/colormap.ts", import.meta.url));
  assert.ok(text.startsWith("// This module is browser compatible.\n"));
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  assert.ok(!/\bDeno\./.test(code), "uses the Deno global");
  assert.ok(!/^\s*import\b/m.test(code), "imports another module");
});
