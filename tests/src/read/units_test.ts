// MrcFile.units and MrcFile.variable: the source variable of the ATTR chunk, at hand after open.
import assert from "node:assert";
import { compress } from "../../../mod.ts";
import {
  countingSource,
  fromBytes,
  type MrcAttributes,
  openContainer,
} from "../../../format/mod.ts";
import { MrcFile, openMrc } from "../../../decode.ts";

const [T, H, W] = [3, 9, 11];
const data = new Float32Array(T * H * W).map((_, i) => Math.sin(i / 5));
const attributes: MrcAttributes = {
  variable: {
    name: "uwnd",
    type: "short",
    attributes: {
      units: { type: "char", value: "m/s" },
      long_name: { type: "char", value: "zonal wind" },
      scale_factor: { type: "float", value: [0.01] },
    },
  },
  dimensions: [
    { name: "time", size: T, values: [0, 6, 12], type: "double", attributes: {} },
    { name: "lat", size: H, values: null, type: "float", attributes: {} },
    { name: "lon", size: W, values: null, type: "float", attributes: {} },
  ],
  selected: [],
  global: {},
  source: { format: "test" },
};

Deno.test("MrcFile.units and .variable give the source variable's units and attributes without a read", async () => {
  const bytes = await compress(data, [T, H, W], { errorBound: 1e-3, levels: 2, attributes });
  const source = countingSource(fromBytes(bytes));
  const file = await openMrc(source);
  const reads = source.reads;
  assert.strictEqual(file.units, "m/s");
  assert.strictEqual(file.variable?.name, "uwnd");
  assert.strictEqual(file.variable?.type, "short");
  assert.deepStrictEqual(file.variable?.attributes.long_name, {
    type: "char",
    value: "zonal wind",
  });
  assert.strictEqual(source.reads, reads);
  assert.deepStrictEqual(file.variable, (await file.readAttributes())?.variable);
});

Deno.test("MrcFile.units is null without a units text; both are null without ATTR", async () => {
  const numeric: MrcAttributes = {
    ...attributes,
    variable: { ...attributes.variable, attributes: { units: { type: "int", value: [1] } } },
  };
  const odd = await openMrc(
    await compress(data, [T, H, W], { errorBound: 1e-3, levels: 1, attributes: numeric }),
  );
  assert.strictEqual(odd.units, null);
  assert.strictEqual(odd.variable?.name, "uwnd");
  const plain = await openMrc(await compress(data, [T, H, W], { errorBound: 1e-3, levels: 1 }));
  assert.strictEqual(plain.variable, null);
  assert.strictEqual(plain.units, null);
});

Deno.test("MrcFile.units refuses to guess on a file made with new MrcFile() before readAttributes()", async () => {
  const bytes = await compress(data, [T, H, W], { errorBound: 1e-3, levels: 1, attributes });
  const file = new MrcFile(await openContainer(fromBytes(bytes)));
  assert.throws(() => file.units, /before readAttributes\(\) resolved/);
  await file.readAttributes();
  assert.strictEqual(file.units, "m/s");
});
