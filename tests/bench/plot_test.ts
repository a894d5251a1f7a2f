import assert from "node:assert";
import {
  dashSegments,
  logTicks,
  maxErrorScene,
  sceneToRgba,
  sceneToSvg,
  tickLabel,
} from "../../bench/plot.ts";

Deno.test("logTicks() spans whole decades, labels 2 and 5 only on short axes", () => {
  const short = logTicks(0.0027, 0.0189);
  assert.strictEqual(short.lo, 0.001);
  assert.strictEqual(short.hi, 0.1);
  assert.deepStrictEqual(short.major, [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1]);
  assert.strictEqual(short.minor.length, 12);
  const long = logTicks(16.6, 28471);
  assert.deepStrictEqual(long.major, [10, 100, 1000, 10000, 100000]);
  assert.strictEqual(long.minor.length, 4 * 8);
  // A value on a decade does not add one; a single value gets one decade.
  assert.deepStrictEqual(logTicks(0.001, 0.01).major.at(-1), 0.01);
  assert.deepStrictEqual([logTicks(1, 1).lo, logTicks(1, 1).hi], [1, 10]);
  assert.deepStrictEqual([logTicks(3, 3).lo, logTicks(3, 3).hi], [1, 10]);
  assert.throws(() => logTicks(0, 1), RangeError);
  assert.throws(() => logTicks(2, 1), RangeError);
});

Deno.test("tickLabel() writes short labels", () => {
  assert.deepStrictEqual(
    [0.0001, 0.002, 0.01, 0.05, 1, 20, 10000, 100000].map(tickLabel),
    ["1e-4", "2e-3", "0.01", "0.05", "1", "20", "10000", "1e5"],
  );
});

Deno.test("dashSegments() follows the path length across vertices", () => {
  // 0..10 along x then 10 up: dashes [4 on, 2 off] -> 0-4, 6-10, then 12-16 (2..6 up), 18-20 (8..10 up).
  const segs = dashSegments([[0, 0], [10, 0], [10, 10]], [4, 2]);
  const round = (v: number) => Math.round(v * 1000) / 1000;
  assert.deepStrictEqual(
    segs.map(([a, b]) => [...a, ...b].map(round)),
    [[0, 0, 4, 0], [6, 0, 10, 0], [10, 2, 10, 6], [10, 8, 10, 10]],
  );
  assert.deepStrictEqual(dashSegments([[0, 0]], [4, 2]), []);
});

Deno.test("maxErrorScene() draws reference series dashed or as markers, in SVG and raster", () => {
  const scene = maxErrorScene([
    {
      title: "toy1",
      series: [
        { label: "zfp", points: [{ x: 0.0094, y: 25 }, { x: 0.0027, y: 17 }] },
        {
          label: "SZ3 (reference)",
          style: "dashed",
          points: [{ x: 0.0147, y: 2956 }, { x: 0.0041, y: 1168 }],
        },
        { label: "J2K (reference)", style: "markers", points: [{ x: 0.072, y: 300 }] },
        { label: "lossless", points: [{ x: 0, y: 1.4 }] }, // left out: not on a log axis
      ],
    },
    { title: "empty", series: [] },
  ]);
  const lines = scene.shapes.filter((s) => s.kind === "polyline");
  // zfp + SZ3 in the panel, and both again in the legend; J2K and the lossless run have none.
  assert.strictEqual(lines.length, 4);
  assert.strictEqual(lines.filter((s) => s.kind === "polyline" && s.dash).length, 2);
  const svg = sceneToSvg(scene);
  assert.match(svg, /stroke-dasharray="6 4"/);
  assert.match(svg, /SZ3 \(reference\)/);
  assert.match(svg, />1e-3</);
  const image = sceneToRgba(scene);
  assert.strictEqual(image.rgba.length, scene.width * scene.height * 4);
});
