// netCDF in and out: the fixtures of tests/testdata/netcdf/ (classic CDF-1 and netCDF-4, made by
// its generate.ts with ncgen) through readNetcdf -> compress -> .mrc (ATTR) -> decode ->
// writeNetcdf -> readNetcdf, and ncdump on the output where Debian's netcdf-bin is installed.
import assert from "node:assert";
import { compress } from "../../../src/encode/compress.ts";
import { openMrc } from "../../../src/read/open.ts";
import { listNetcdfVariables, readNetcdf, writeNetcdf } from "../../../src/io/netcdf/mod.ts";
import { fromBytes, MrcFormatError, MrcWriter, openContainer } from "../../../format/mod.ts";
import type { MrcAttributes } from "../../../format/mod.ts";

const dir = new URL("../../testdata/netcdf/", import.meta.url).pathname;
const classic = `${dir}small-classic.nc`;
const nc4 = `${dir}small-nc4.nc`;

/** Everything but `source`, which names the file and format. */
const content = (a: MrcAttributes) => ({ ...a, source: {} });

async function hasNcdump(): Promise<boolean> {
  try {
    return (await new Deno.Command("ncdump", { args: [], stderr: "null", stdout: "null" }).output())
      .code !== 127;
  } catch {
    return false;
  }
}

Deno.test("readNetcdf() reads the same field and attributes from classic and netCDF-4", async () => {
  for (const variable of ["uwnd", "sst"]) {
    const a = await readNetcdf(classic, { variable });
    const b = await readNetcdf(nc4, { variable });
    assert.deepStrictEqual(a.shape, b.shape);
    assert.deepStrictEqual(a.data, b.data);
    assert.deepStrictEqual(content(a.attributes), content(b.attributes));
  }
  const air = await readNetcdf(nc4, { variable: "air", select: { level: 1 } });
  const air2 = await readNetcdf(classic, { variable: "air", select: { level: 1 } });
  assert.deepStrictEqual(air.data, air2.data);
  assert.deepStrictEqual(air.attributes.selected.map((s) => [s.name, s.index, s.values]), [
    ["level", 1, [850, 500]],
  ]);
});

Deno.test("readNetcdf() applies CF packing and missing values", async () => {
  const f = await readNetcdf(classic, { variable: "uwnd" });
  assert.ok(f.data instanceof Float32Array); // short packed with float scale_factor
  assert.deepStrictEqual(f.shape, [8, 9, 12]);
  // The 2 x 3 _FillValue hole in each snapshot, and missing_value at (7, t).
  assert.strictEqual(f.missing, 8 * 7);
  for (let t = 0; t < 8; t++) {
    assert.ok(Number.isNaN(f.data[t * 108 + 3 * 12 + 4]));
    assert.ok(Number.isNaN(f.data[t * 108 + 7 * 12 + t]));
  }
  // value = short * 0.01f + 10
  const wind = (t: number, i: number, j: number) =>
    10 * Math.sin(0.3 * t + 0.5 * i) * Math.cos(0.4 * j) + 2 * (i - 4);
  assert.ok(Math.abs(f.data[1 * 108 + 2 * 12 + 3] - wind(1, 2, 3)) < 0.006);
  const dims = f.attributes.dimensions;
  assert.deepStrictEqual(dims.map((d) => d.name), ["time", "lat", "lon"]);
  assert.deepStrictEqual(dims[0].values, [0, 6, 12, 18, 24, 30, 36, 42]);
  assert.strictEqual(dims[0].attributes.units.value, "hours since 2000-01-01 00:00:00");
  const sst = await readNetcdf(nc4, { variable: "sst" });
  assert.ok(sst.data instanceof Float64Array);
  assert.deepStrictEqual(sst.shape, [9, 12]);
});

Deno.test("readNetcdf() errors name the file, the variable and the problem", async () => {
  const cases: [string, Parameters<typeof readNetcdf>[1], RegExp][] = [
    [
      classic,
      { variable: "vwnd" },
      /small-classic\.nc: no variable "vwnd" \(compressible: uwnd, air, sst\)/,
    ],
    [
      nc4,
      { variable: "station" },
      /small-nc4\.nc: variable "station" has type char, expected a numeric/,
    ],
    [
      classic,
      { variable: "air" },
      /variable "air" has dimensions \(time, level, lat, lon\).*--select level=0/,
    ],
    [
      classic,
      { variable: "air", select: { level: 2 } },
      /index 2 of dimension "level" is outside 0\.\.1/,
    ],
    [nc4, { variable: "uwnd", select: { depth: 0 } }, /variable "uwnd" has no dimension "depth"/],
    [
      nc4,
      { variable: "uwnd", maxValues: 100 },
      /variable "uwnd" has 864 values .* above the limit of 100/,
    ],
    [`${dir}small.cdl`, { variable: "uwnd" }, /small\.cdl: not a netCDF file/],
    [`${dir}absent.nc`, { variable: "uwnd" }, /absent\.nc: no such file/],
  ];
  for (const [path, options, message] of cases) {
    await assert.rejects(readNetcdf(path, options), message);
  }
  // A time dimension that is not first is moved first (it was refused before).
  const swapped = await Deno.makeTempFile({ suffix: ".nc" });
  try {
    await writeNetcdf(swapped, {
      data: Float32Array.from({ length: 24 }, (_, i) => i),
      shape: [2, 3, 4],
      attributes: {
        variable: { name: "v", type: "float", attributes: {} },
        dimensions: [
          { name: "lat", size: 2, values: null, type: "double", attributes: {} },
          { name: "lon", size: 3, values: null, type: "double", attributes: {} },
          { name: "time", size: 4, values: null, type: "double", attributes: {} },
        ],
        selected: [],
        global: {},
        source: {},
      },
    });
    const field = await readNetcdf(swapped, { variable: "v" });
    assert.deepStrictEqual(field.shape, [4, 2, 3]);
    assert.deepStrictEqual(field.transposed, {
      from: ["lat", "lon", "time"],
      to: ["time", "lat", "lon"],
    });
    assert.deepStrictEqual(field.attributes.dimensions.map((d) => d.name), ["time", "lat", "lon"]);
    assert.deepStrictEqual(field.attributes.source.dimensionOrder, ["lat", "lon", "time"]);
    // (t, i, j) of the field is (i, j, t) of the source: 12 i + 4 j + t.
    for (let t = 0; t < 4; t++) {
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 3; j++) {
          assert.strictEqual(field.data[(t * 2 + i) * 3 + j], 12 * i + 4 * j + t);
        }
      }
    }
  } finally {
    await Deno.remove(swapped);
  }
});

Deno.test("listNetcdfVariables() lists what can be compressed", async () => {
  const { format, variables } = await listNetcdfVariables(nc4);
  assert.strictEqual(format, "netCDF-4/HDF5");
  const ok = variables.filter((v) => v.compressible).map((v) => [v.name, v.note]);
  assert.deepStrictEqual(ok, [
    ["uwnd", null],
    ["air", "4-D: stored as layers along level (--select level=K keeps one, 3-D)"],
    ["sst", null],
  ]);
});

Deno.test("netCDF -> .mrc -> netCDF keeps dims, coordinates, attributes and the missing mask", async () => {
  const ncdump = await hasNcdump();
  if (!ncdump) {
    console.log("  note: ncdump not installed (Debian netcdf-bin): output not checked by netCDF-C");
  }
  for (
    const [path, variable, select] of [
      [classic, "uwnd", undefined],
      [nc4, "air", { level: 0 }],
      [nc4, "sst", undefined],
    ] as const
  ) {
    const field = await readNetcdf(path, { variable, select });
    const errorBound = 0.02;
    const bytes = await compress(field.data, field.shape, {
      errorBound,
      attributes: field.attributes,
    });
    const file = await openMrc(bytes);
    assert.deepStrictEqual(await file.readAttributes(), field.attributes);
    const decoded = await file.decode();
    const out = await Deno.makeTempFile({ suffix: ".nc" });
    try {
      await writeNetcdf(out, {
        data: decoded.data,
        shape: field.shape,
        attributes: await file.readAttributes(),
        rows: decoded.rows,
        cols: decoded.cols,
      });
      const back = await readNetcdf(out, { variable });
      assert.deepStrictEqual(back.shape, field.shape);
      assert.deepStrictEqual(
        back.attributes.dimensions,
        field.attributes.dimensions,
        `${variable}: dimensions and coordinates`,
      );
      assert.deepStrictEqual(back.attributes.global, field.attributes.global);
      // The variable's attributes minus packing (the output is unpacked, with a float fill).
      const attrs = { ...field.attributes.variable.attributes };
      const packed = "scale_factor" in attrs;
      for (
        const k of ["scale_factor", "add_offset", "missing_value", "valid_range", "_FillValue"]
      ) {
        if (packed) delete attrs[k];
      }
      const got = { ...back.attributes.variable.attributes };
      delete got.coordinates;
      if (packed) {
        delete got._FillValue;
        delete got.valid_range;
      }
      assert.deepStrictEqual(got, attrs, `${variable}: attributes`);
      let max = 0;
      for (let i = 0; i < field.data.length; i++) {
        const [a, b] = [field.data[i], back.data[i]];
        assert.strictEqual(Number.isNaN(a), Number.isNaN(b), `${variable}: missing mask at ${i}`);
        if (!Number.isNaN(a)) max = Math.max(max, Math.abs(a - b));
      }
      assert.ok(max <= errorBound, `${variable}: max error ${max} > ${errorBound}`);
      if (select) {
        assert.deepStrictEqual(back.attributes.variable.attributes.coordinates.value, "level");
      }
      if (ncdump) {
        const dump = await new Deno.Command("ncdump", { args: ["-h", out] }).output();
        const text = new TextDecoder().decode(dump.stdout);
        assert.ok(dump.success, new TextDecoder().decode(dump.stderr));
        const dims = field.attributes.dimensions;
        assert.match(
          text,
          new RegExp(`float ${variable}\\(${dims.map((d) => d.name).join(", ")}\\)`),
        );
        // The leading time dimension is the record dimension, as in the source.
        for (const d of dims) {
          const size = d.name === "time"
            ? `UNLIMITED ; // \\(${d.size} currently\\)`
            : `${d.size} ;`;
          assert.match(text, new RegExp(`\\t${d.name} = ${size}`));
        }
        assert.match(text, /:Conventions = "CF-1.8" ;/);
      }
    } finally {
      await Deno.remove(out);
    }
  }
});

Deno.test("ATTR chunk: order rules and checks against the header", async () => {
  const field = await readNetcdf(nc4, { variable: "sst" });
  const bytes = await compress(field.data, field.shape, { errorBound: 0.1 });
  const container = await openContainer(fromBytes(bytes));
  const header = container.header;
  // Dimensions that disagree with the header's shape are refused by the writer.
  const writer = new MrcWriter({ write: () => {} });
  await writer.writeHeader(header);
  const wrong = structuredClone(field.attributes);
  wrong.dimensions[0].size = 5;
  wrong.dimensions[0].values = null;
  await assert.rejects(writer.writeAttributes(wrong), /"ATTR" dimensions have sizes \[5, 12\]/);
  // ATTR after NANM or a level chunk, or twice, breaks SPEC.md §7.
  const order = new MrcWriter({ write: () => {} });
  await order.writeHeader(header);
  await order.writeAttributes(field.attributes);
  await assert.rejects(order.writeAttributes(field.attributes), /duplicate "ATTR"/);
  await assert.rejects(order.writeMeta({}), /"META" must come before "ATTR"/);
  // A reader refuses an ATTR body that breaks §4.8.
  const parts: Uint8Array[] = [];
  const bad = new MrcWriter({ write: (b) => void parts.push(b) });
  await bad.writeHeader(header);
  await bad.writeChunk("ATTR", new TextEncoder().encode('{"variable":{}}'));
  for (let k = 0; k < header.levels.length; k++) {
    await bad.writeBoundedBlock(k, 0, await container.readBoundedBlock(k, 0));
  }
  const size = await bad.finish();
  const file = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    file.set(p, at);
    at += p.length;
  }
  // Every reader validates ATTR when it opens the file (SPEC.md §4.8), even one that never asks
  // for the attributes.
  await assert.rejects(openContainer(fromBytes(file)), MrcFormatError);
  await assert.rejects(
    openContainer(fromBytes(file)),
    /Cannot read chunk "ATTR" at offset \d+: variable\.name must be a name/,
  );
});

Deno.test("writeNetcdf({ order }) writes the variable transposed, refuses an order that is not its dimensions", async () => {
  const [T, H, W] = [3, 4, 5];
  const data = Float32Array.from({ length: T * H * W }, (_, i) => i);
  const attributes: MrcAttributes = {
    variable: { name: "v", type: "float", attributes: {} },
    dimensions: [
      { name: "time", size: T, values: null, type: "double", attributes: {} },
      { name: "lat", size: H, values: [-30, -10, 10, 30], type: "double", attributes: {} },
      { name: "lon", size: W, values: [0, 72, 144, 216, 288], type: "double", attributes: {} },
    ],
    selected: [],
    global: {},
    source: {},
  };
  const path = await Deno.makeTempFile({ suffix: ".nc" });
  try {
    for (const order of [["lat", "time", "lon"], ["lon", "lat", "time"]]) {
      const report = await writeNetcdf(path, {
        data,
        shape: [T, H, W],
        attributes,
        order,
        chunks: [1, 2, W],
      });
      assert.deepStrictEqual(report.dimensions, order);
      // Chunks given time first, written in the variable's order; time not first: not unlimited.
      const axis = { time: 0, lat: 1, lon: 2 } as Record<string, number>;
      assert.deepStrictEqual(report.chunks, order.map((d) => [1, 2, W][axis[d]]));
      assert.deepStrictEqual(report.unlimited, []);
      // readNetcdf moves time first again, the others in the order written: (time, lat, lon)
      // from the first, (time, lon, lat) from the second.
      const back = await readNetcdf(path, { variable: "v" });
      assert.deepStrictEqual(back.attributes?.source.dimensionOrder, order);
      const swapped = order[0] === "lon";
      assert.deepStrictEqual(back.shape, swapped ? [T, W, H] : [T, H, W]);
      for (let t = 0; t < T; t++) {
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const at = swapped ? (t * W + x) * H + y : (t * H + y) * W + x;
            assert.strictEqual(back.data[at], data[(t * H + y) * W + x], `${order} ${t},${y},${x}`);
          }
        }
      }
    }
    await assert.rejects(
      writeNetcdf(path, { data, shape: [T, H, W], attributes, order: ["lat", "lat", "lon"] }),
      /the order \(lat, lat, lon\) is not one of the dimensions \(time, lat, lon\)/,
    );
    await assert.rejects(
      writeNetcdf(path, { data, shape: [T, H, W], attributes, order: ["lat", "lon"] }),
      TypeError,
    );
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("writeNetcdf({ order }) with time still first keeps it unlimited, its maxshape in the written order", async () => {
  const [T, H, W] = [3, 4, 5];
  const data = Float32Array.from({ length: T * H * W }, (_, i) => i);
  const attributes: MrcAttributes = {
    variable: { name: "v", type: "float", attributes: {} },
    dimensions: [
      {
        name: "time",
        size: T,
        values: [0, 1, 2],
        type: "double",
        attributes: { units: { type: "char", value: "days since 2000-01-01" } },
      },
      { name: "lat", size: H, values: null, type: "double", attributes: {} },
      { name: "lon", size: W, values: null, type: "double", attributes: {} },
    ],
    selected: [],
    global: {},
    source: {},
  };
  const path = await Deno.makeTempFile({ suffix: ".nc" });
  try {
    const report = await writeNetcdf(path, {
      data,
      shape: [T, H, W],
      attributes,
      order: ["time", "lon", "lat"],
    });
    assert.deepStrictEqual(report.unlimited, ["time"]);
    assert.deepStrictEqual(report.dimensions, ["time", "lon", "lat"]);
    const back = await readNetcdf(path, { variable: "v" });
    assert.deepStrictEqual(back.shape, [T, W, H]);
    for (let t = 0; t < T; t++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          assert.strictEqual(back.data[(t * W + x) * H + y], data[(t * H + y) * W + x]);
        }
      }
    }
  } finally {
    await Deno.remove(path);
  }
});
