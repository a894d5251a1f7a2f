// `preview` (src/io/preview.ts, cli/preview.ts): north up when the latitude ascends, one colour
// range for every level (the file's, or --vmin/--vmax), the snapshot's date in the title.
import assert from "node:assert";
import { fileURLToPath } from "node:url";
import { compress, openMrc } from "../../../mod.ts";
import type { MrcAttributes } from "../../../format/mod.ts";
import { applyColormap } from "../../../src/io/colormap.ts";
import { previewPanels, renderPreview } from "../../../src/io/preview.ts";
import { valueRange } from "../../../src/read/value_range.ts";

const cli = fileURLToPath(new URL("../../../cli.ts", import.meta.url));
const [T, H, W] = [3, 33, 65];

/** T x 33 x 65, latitude ascending, warmer to the north, a time axis in days. */
async function mapFile(): Promise<Uint8Array> {
  const lat = Array.from({ length: H }, (_, i) => -80 + 160 * i / (H - 1));
  const lon = Array.from({ length: W }, (_, j) => 5 * j);
  const data = new Float32Array(T * H * W);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        data[(t * H + i) * W + j] = lat[i] / 4 + 3 * Math.sin((lon[j] + 30 * t) / 40);
      }
    }
  }
  const text = (value: string) => ({ type: "char" as const, value });
  const attributes: MrcAttributes = {
    variable: { name: "t", type: "float", attributes: { units: text("K") } },
    dimensions: [
      {
        name: "time",
        size: T,
        values: [0, 31, 59],
        type: "double",
        attributes: { units: text("days since 2001-01-01"), calendar: text("noleap") },
      },
      {
        name: "lat",
        size: H,
        values: lat,
        type: "double",
        attributes: { units: text("degrees_north") },
      },
      {
        name: "lon",
        size: W,
        values: lon,
        type: "double",
        attributes: { units: text("degrees_east") },
      },
    ],
    selected: [],
    global: {},
    source: {},
  };
  return await compress(data, [T, H, W], { errorBound: 0.01, levels: 4, attributes });
}

Deno.test("previewPanels() draws north at the top of every level, in the file's one colour range", async () => {
  const file = await openMrc(await mapFile());
  const range = await valueRange(file);
  const panels = await previewPanels(file, 2);
  assert.deepStrictEqual(panels.range, [range.min, range.max]);
  assert.strictEqual(panels.levels.length, 4);
  assert.strictEqual(panels.masks.length, 0);
  assert.match(panels.title, /^t \[K\] time 2001-03-01 \(snapshot 3 of 3\)/);
  for (const [level, panel] of panels.levels.entries()) {
    const decoded = await file.decode({ level, snapshots: [2, 3] });
    const [, h, w] = decoded.shape;
    const north = decoded.data.subarray((h - 1) * w, h * w);
    const south = decoded.data.subarray(0, w);
    const colours = (
      row: Float32Array,
    ) => [...applyColormap(row, w, 1, { min: range.min, max: range.max })];
    assert.deepStrictEqual(
      [...panel.rgba.subarray(0, 4 * w)],
      colours(north),
      `level ${level} top`,
    );
    assert.deepStrictEqual(
      [...panel.rgba.subarray(4 * (h - 1) * w)],
      colours(south),
      `level ${level} bottom`,
    );
    // Ticks in coordinate values: the first panel's latitudes, north at the top.
    if (level === 0) {
      const left = [...panel.ticks!.left!].sort((a, b) => a.at - b.at);
      assert.ok(left.length >= 2);
      assert.ok(Number(left[0].label) > Number(left.at(-1)!.label), "latitudes fall downwards");
    }
  }
  const fixed = await previewPanels(file, 0, { vmin: -50, vmax: 50 });
  assert.deepStrictEqual(fixed.range, [-50, 50]);
  await assert.rejects(() => previewPanels(file, 0, { vmin: 1, vmax: 1 }), RangeError);
  const png = await renderPreview(file, 0);
  assert.deepStrictEqual([...png.subarray(1, 4)], [..."PNG"].map((c) => c.charCodeAt(0)));
});

Deno.test("cli.ts preview takes --vmin and --vmax, and refuses --vmin above --vmax in one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mrcae-preview-" });
  try {
    await Deno.writeFile(`${dir}/m.mrc`, await mapFile());
    const run = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          cli,
          "preview",
          `${dir}/m.mrc`,
          "-o",
          `${dir}/p.png`,
          "--force",
          ...args,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
    };
    assert.strictEqual((await run("--vmin", "-30", "--vmax", "30")).code, 0);
    assert.ok((await Deno.stat(`${dir}/p.png`)).size > 1000);
    const bad = await run("--vmin", "3", "--vmax", "-3");
    assert.strictEqual(bad.code, 1);
    assert.strictEqual(bad.stderr, "error: --vmin must be below --vmax, found 3 and -3\n");
    const nan = await run("--vmin", "x");
    assert.match(nan.stderr, /^error: --vmin must be a number, found "x"\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
