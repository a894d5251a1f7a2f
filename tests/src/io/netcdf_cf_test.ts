// The CF rules of the netCDF writer (src/io/netcdf/cf.ts, write.ts) one by one: the fill
// convention, the valid interval in the output type, dangling references, the auxiliary
// variables' JSON, and the chunk checks.
import assert from "node:assert";
import {
  outputAttributes,
  readAuxiliaryVariables,
  validInterval,
  withoutDanglingReferences,
} from "../../../src/io/netcdf/cf.ts";
import { chunksProblem, defaultChunks } from "../../../src/io/netcdf/write.ts";
import type { MrcAttribute } from "../../../format/attributes.ts";

const text = (value: string): MrcAttribute => ({ type: "char", value });
const num = (type: MrcAttribute["type"], ...value: number[]): MrcAttribute => ({ type, value });

Deno.test("outputAttributes keeps the source's fill convention", () => {
  // Only missing_value: missing cells get it, no _FillValue appears.
  let out = outputAttributes({ units: text("K"), missing_value: num("float", -999) }, "float");
  assert.deepStrictEqual(Object.keys(out.attributes), ["units", "missing_value"]);
  assert.strictEqual(out.fill, -999);
  // Both: _FillValue fills, missing_value stays (as in the source).
  out = outputAttributes(
    { _FillValue: num("double", -1e30), missing_value: num("double", -999) },
    "double",
  );
  assert.strictEqual(out.fill, -1e30);
  assert.deepStrictEqual(out.attributes.missing_value, num("double", -999));
  // Packed: the packed code becomes the default fill, under the source's name.
  out = outputAttributes(
    { scale_factor: num("float", 0.01), missing_value: num("short", -32767) },
    "float",
  );
  assert.deepStrictEqual(out.attributes, { missing_value: num("float", 9.969209968386869e36) });
  out = outputAttributes(
    {
      scale_factor: num("float", 0.01),
      _FillValue: num("short", -32767),
      missing_value: num("short", -32766),
    },
    "float",
  );
  assert.deepStrictEqual(Object.keys(out.attributes), ["_FillValue"]);
  // Neither: NaN stays NaN.
  out = outputAttributes({ units: text("K") }, "float");
  assert.ok(Number.isNaN(out.fill));
  assert.deepStrictEqual(Object.keys(out.attributes), ["units"]);
  // A negative scale flips the unpacked range.
  out = outputAttributes(
    {
      scale_factor: num("double", -0.5),
      add_offset: num("double", 10),
      valid_min: num("short", 0),
      valid_max: num("short", 4),
    },
    "double",
  );
  assert.deepStrictEqual(out.attributes, {
    valid_max: num("double", 10),
    valid_min: num("double", 8),
  });
});

Deno.test("validInterval: the declared interval, intersected, inside it in the output type", () => {
  assert.strictEqual(validInterval({}, "float"), null);
  assert.deepStrictEqual(validInterval({ valid_range: num("float", -1.8, 35) }, "float"), [
    Math.fround(-1.8),
    35,
  ]);
  // A double -1.8 on float data: the float32 just above it, valid in both types.
  const [lo, hi] = validInterval({ valid_range: num("double", -1.8, 35.1) }, "float")!;
  assert.ok(lo >= -1.8 && Math.fround(lo) === lo && lo - 2 ** -22 < -1.8);
  assert.ok(hi <= 35.1 && Math.fround(hi) === hi && hi + 2 ** -18 > 35.1);
  assert.deepStrictEqual(
    validInterval({ valid_min: num("double", 0), valid_max: num("double", 10) }, "double"),
    [0, 10],
  );
  assert.deepStrictEqual(
    validInterval({ valid_range: num("int", 0, 100), valid_max: num("int", 50) }, "double"),
    [0, 50],
  );
  assert.strictEqual(validInterval({ valid_range: num("float", 5, 1) }, "float"), null);
  assert.strictEqual(validInterval({ valid_range: num("float", 1, 2, 3) }, "float"), null);
});

Deno.test("withoutDanglingReferences removes names the output does not hold, and says which", () => {
  const written = new Set(["sst", "lat2d", "cell_area", "crs"]);
  const { attributes, removed } = withoutDanglingReferences({
    units: text("K"),
    coordinates: text("lat2d lon2d"),
    ancillary_variables: text("sst_err"),
    cell_measures: text("area: cell_area volume: cell_volume"),
    grid_mapping: text("crs: lat2d lon2d"),
    bounds: text("sst_bnds"),
    formula_terms: text("a: a_coef b: cell_area"),
    comment: text("lon2d is not a reference here"),
  }, written);
  assert.deepStrictEqual(attributes, {
    units: text("K"),
    coordinates: text("lat2d"),
    cell_measures: text("area: cell_area"),
    comment: text("lon2d is not a reference here"),
  });
  assert.deepStrictEqual(removed, [
    "coordinates: lon2d",
    "ancillary_variables: sst_err",
    "cell_measures: cell_volume",
    "grid_mapping: lon2d",
    "bounds: sst_bnds",
    "formula_terms: a_coef",
  ]);
  // grid_mapping's keys are variables too.
  assert.deepStrictEqual(
    withoutDanglingReferences({ grid_mapping: text("crs2: lat2d") }, written).removed,
    ["grid_mapping: crs2"],
  );
  const kept = { coordinates: text("lat2d"), grid_mapping: text("crs") };
  assert.deepStrictEqual(withoutDanglingReferences(kept, written), {
    attributes: kept,
    removed: [],
  });
});

Deno.test("readAuxiliaryVariables reads well-formed entries and leaves the others out", () => {
  const good = {
    dims: ["time", "nv"],
    shape: [2, 2],
    type: "double",
    values: [0, 1, "NaN", 2],
    attributes: {
      units: { type: "char", value: "days" },
      _FillValue: { type: "double", value: ["NaN"] },
    },
  };
  const read = readAuxiliaryVariables({
    time_bnds: good,
    short: { ...good, values: [0, 1, 2] },
    text: { ...good, type: "char" },
    bogus: { ...good, type: "complex" },
    zero: { ...good, shape: [0, 2], values: [] },
    badAttr: { ...good, attributes: { units: { type: "char" } } },
    notObject: 3,
  });
  assert.deepStrictEqual([...read.keys()], ["time_bnds"]);
  const x = read.get("time_bnds")!;
  assert.ok(Number.isNaN(x.values[2]));
  assert.ok(Number.isNaN((x.attributes._FillValue.value as number[])[0]));
  assert.strictEqual(readAuxiliaryVariables(undefined).size, 0);
  assert.strictEqual(readAuxiliaryVariables([good]).size, 0);
});

Deno.test("defaultChunks and chunksProblem", () => {
  assert.deepStrictEqual(defaultChunks([12, 91, 181], 4), [1, 91, 181]);
  assert.deepStrictEqual(defaultChunks([91, 181], 8), [91, 181]);
  // A snapshot above 4 MiB: rows halved until a chunk fits.
  const big = defaultChunks([3, 2160, 4320], 4);
  assert.deepStrictEqual(big, [1, 135, 4320]);
  assert.ok(big.reduce((a, b) => a * b, 4) <= 4 * 1024 * 1024);
  assert.deepStrictEqual(defaultChunks([1, 1, 3_000_000], 4), [1, 1, 750_000]);
  assert.strictEqual(chunksProblem([1, 91, 181], [12, 91, 181], 4), null);
  assert.match(
    chunksProblem([1, 92, 181], [12, 91, 181], 4)!,
    /chunk size 92 of axis 1 is above its length 91/,
  );
  assert.match(chunksProblem([1, 91], [12, 91, 181], 4)!, /2 chunk sizes for 3 axes/);
  assert.match(chunksProblem([0, 91, 181], [12, 91, 181], 4)!, /not an integer >= 1/);
  assert.match(
    chunksProblem([1, 40000, 40000], [1, 40000, 40000], 4)!,
    /above HDF5's limit of 4 GiB/,
  );
});
