// Several variables, and a 4-D variable, in one .mrc file (a collection, SPEC.md §12), through
// the CLI as a user runs it: compress --all / --var a,b / a 4-D --var, info, decompress into one
// netCDF file (read back with this reader, ncdump, ncatted and xarray where installed), .npy of
// one variable, --layer, and the mistakes refused with a message that says what to do.
import assert from "node:assert";
import { exec, has, hasXarray, PYTHON } from "./_tools.ts";
import { readNetcdf } from "../src/io/netcdf/mod.ts";
import { openCollection } from "../decode.ts";

const cli = new URL("../cli.ts", import.meta.url).pathname;
const SOURCE = new URL("./testdata/netcdf/small-nc4.nc", import.meta.url).pathname;

const mrcae = (...args: string[]) => exec(Deno.execPath(), ["run", "-A", cli, ...args]);
const ok = async (...args: string[]) => {
  const r = await mrcae(...args);
  assert.strictEqual(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r;
};
/** The largest |a - b| over values present in both, and whether NaN sits in the same places. */
function compare(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; sameNaN: boolean } {
  assert.strictEqual(a.length, b.length);
  let max = 0, sameNaN = true;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) {
      sameNaN &&= Number.isNaN(a[i]) && Number.isNaN(b[i]);
    } else max = Math.max(max, Math.abs(a[i] - b[i]));
  }
  return { max, sameNaN };
}

const dir = await Deno.makeTempDir();
const at = (name: string) => `${dir}/${name}`;

Deno.test("compress --all: every variable in one file, decompress writes them back into one netCDF file", async () => {
  const c = await ok("compress", SOURCE, "--all", "-o", at("all.mrc"));
  assert.match(c.stdout, /3 variables in 4 parts \(a collection, format 1\.4\)/);
  assert.match(c.stdout, /air: .* in 2 layers/);
  await using collection = await openCollection(at("all.mrc"));
  assert.deepStrictEqual(collection.variables.map((v) => [v.name, v.layer, v.parts.length]), [
    ["uwnd", null, 1],
    ["air", "level", 2],
    ["sst", null, 1],
  ]);
  // The layers of air share one bound: 1e-3 of air's range over both levels.
  const levels = await Promise.all(
    [0, 1].map((k) => readNetcdf(SOURCE, { variable: "air", select: { level: k } })),
  );
  let min = Infinity, max = -Infinity;
  for (const l of levels) {
    for (const x of l.data) {
      if (!Number.isNaN(x)) [min, max] = [Math.min(min, x), Math.max(max, x)];
    }
  }
  const airFiles = await collection.openLayers("air");
  for (const f of airFiles) assert.strictEqual(f.header.bound!.abs, 1e-3 * (max - min));

  const info = await ok("info", at("all.mrc"));
  assert.match(
    info.stdout,
    /a collection \(format 1\.4\) of 3 variables in 4 parts: uwnd, air \(2 layers along level\) and sst/,
  );
  assert.match(info.stdout, /variable "air", layer 1 of 2 along level: .* verified/);
  const json = JSON.parse((await ok("info", at("all.mrc"), "--json")).stdout);
  assert.strictEqual(json.collection, true);
  assert.deepStrictEqual(json.variables.map((v: { name: string }) => v.name), [
    "uwnd",
    "air",
    "sst",
  ]);

  const d = await ok("decompress", at("all.mrc"), "-o", at("all.nc"));
  assert.match(d.stdout, /netCDF-4, 3 variables/);
  assert.match(d.stdout, /air\(time, level, lat, lon\): level 1/);
  // Every variable within its bound of the source, missing cells in place (this reader).
  for (const [name, bound] of [["uwnd", collection], ["sst", collection]] as const) {
    const f = await bound.open(name);
    const back = await readNetcdf(at("all.nc"), { variable: name });
    const src = await readNetcdf(SOURCE, { variable: name });
    assert.deepStrictEqual(back.shape, src.shape);
    const r = compare(back.data, src.data);
    assert.ok(r.sameNaN && r.max <= f.header.bound!.abs, `${name}: ${r.max}`);
  }
  for (const k of [0, 1]) {
    const back = await readNetcdf(at("all.nc"), { variable: "air", select: { level: k } });
    const r = compare(back.data, levels[k].data);
    assert.ok(r.sameNaN && r.max <= airFiles[k].header.bound!.abs, `air level ${k}: ${r.max}`);
    assert.strictEqual(back.attributes.selected[0].values![k], [850, 500][k]);
  }
  if (await has("ncdump")) {
    const h = (await exec("ncdump", ["-h", at("all.nc")])).stdout;
    assert.match(h, /time = UNLIMITED/);
    assert.match(h, /float air\(time, level, lat, lon\)/);
    assert.match(h, /uwnd\(time, lat, lon\)/);
    assert.match(h, /double sst\(lat, lon\)/);
    assert.strictEqual(h.match(/\tfloat level\(level\)/g)?.length, 1);
  }
  if (await has("ncatted")) {
    const r = await exec("ncatted", ["-O", "-a", "comment,air,c,c,edited", at("all.nc")]);
    assert.strictEqual(r.code, 0, r.stderr);
    if (await has("ncdump")) {
      assert.match((await exec("ncdump", ["-h", at("all.nc")])).stdout, /air:comment = "edited"/);
    }
  }
  if (await hasXarray()) {
    const script = `
import sys, json, numpy as np, xarray as xr
a = xr.open_dataset(sys.argv[1]); b = xr.open_dataset(sys.argv[2])
out = {}
for v in ["uwnd", "air", "sst"]:
    x = a[v].values.astype(float); y = b[v].values.astype(float)
    out[v] = [list(a[v].dims), list(b[v].dims), float(np.nanmax(abs(x - y))), bool((np.isnan(x) == np.isnan(y)).all())]
out["level"] = b["level"].values.tolist()
print(json.dumps(out))`;
    const r = await exec(PYTHON, ["-c", script, SOURCE, at("all.nc")]);
    assert.strictEqual(r.code, 0, r.stderr);
    const x = JSON.parse(r.stdout);
    for (const v of ["uwnd", "air", "sst"]) {
      assert.deepStrictEqual(x[v][1], x[v][0], `${v}: dimensions`);
      assert.ok(x[v][3], `${v}: missing cells`);
    }
    assert.ok(x.air[2] <= airFiles[0].header.bound!.abs);
    assert.deepStrictEqual(x.level, [850, 500]);
  }
});

Deno.test("--var a,b with a bound per variable; a 4-D variable alone; --layer; .npy of one variable", async () => {
  const c = await ok(
    "compress",
    SOURCE,
    "--var",
    "uwnd,air",
    "--error-bound",
    "uwnd=0.5",
    "--select",
    "level=1",
    "-o",
    at("ua.mrc"),
  );
  assert.match(c.stdout, /2 variables in 2 parts/);
  await using ua = await openCollection(at("ua.mrc"));
  assert.strictEqual((await ua.open("uwnd")).header.bound!.abs, 0.5);
  // --select level=1 fixes air's level: one part, no layer dimension, level kept as selected.
  assert.deepStrictEqual(ua.variable("air"), { name: "air", layer: null, parts: [1] });
  assert.strictEqual((await (await ua.open("air")).readAttributes())!.selected[0].index, 1);

  // A 4-D variable alone is a collection of one variable of layers; a range keeps some layers.
  await ok("compress", SOURCE, "--var", "air", "-o", at("air.mrc"));
  await ok("compress", SOURCE, "--var", "air", "--select", "level=1:2", "-o", at("air1.mrc"));
  await using one = await openCollection(at("air1.mrc"));
  assert.deepStrictEqual(one.variables, [{ name: "air", layer: "level", parts: [0] }]);
  const nc1 = await ok("decompress", at("air1.mrc"), "-o", at("air1.nc"));
  assert.match(nc1.stdout, /air\(time, level, lat, lon\)/);
  const back1 = await readNetcdf(at("air1.nc"), { variable: "air", select: { level: 0 } });
  assert.strictEqual(back1.attributes.selected[0].values![0], 500);

  // --layer 1: one layer, 3-D with its level as a scalar coordinate.
  const l = await ok(
    "decompress",
    at("air.mrc"),
    "-o",
    at("air-l1.nc"),
    "--layer",
    "1",
    "--level",
    "0",
  );
  assert.match(l.stdout, /air\(time, lat, lon\): level 0/);
  const back = await readNetcdf(at("air-l1.nc"), { variable: "air" });
  assert.deepStrictEqual(back.shape, [8, 4, 6]);
  assert.match(JSON.stringify(back.attributes.variable.attributes.coordinates), /level/);

  // .npy: one variable, its layers stacked second; the same values as the netCDF output.
  const n = await ok("decompress", at("air.mrc"), "-o", at("air.npy"), "--var", "air");
  assert.match(n.stdout, /shape \(8, 2, 9, 12\).*layers along level second/);
  await ok("decompress", at("air.mrc"), "-o", at("air.nc"));
  const npy = await Deno.readFile(at("air.npy"));
  const { parseNpy } = await import("../src/io/npy.ts");
  const arr = parseNpy(npy);
  assert.deepStrictEqual(arr.shape, [8, 2, 9, 12]);
  for (const k of [0, 1]) {
    const nc = await readNetcdf(at("air.nc"), { variable: "air", select: { level: k } });
    const plane = 9 * 12;
    for (let t = 0; t < 8; t++) {
      const a = arr.data.subarray((t * 2 + k) * plane, (t * 2 + k + 1) * plane);
      const b = nc.data.subarray(t * plane, (t + 1) * plane);
      assert.ok(a.every((x, i) => Object.is(x, b[i])), `layer ${k}, snapshot ${t}`);
    }
  }
});

Deno.test("the mistakes of several variables are refused, saying what to do", async () => {
  await ok("compress", SOURCE, "--all", "-o", at("all2.mrc"));
  const cases: [string[], RegExp][] = [
    [
      ["compress", SOURCE, "--var", "uwnd", "--error-bound", "uwnd=0.5", "-o", at("x.mrc")],
      /--error-bound NAME=X names variables: it takes several/,
    ],
    [
      ["compress", SOURCE, "--all", "--stream", "-o", at("x.mrc")],
      /take one variable of three dimensions/,
    ],
    [["compress", SOURCE, "--var", "uwnd,nope", "-o", at("x.mrc")], /no variable "nope"/],
    [["compress", SOURCE, "--var", "uwnd,uwnd", "-o", at("x.mrc")], /--var names "uwnd" twice/],
    [
      ["compress", SOURCE, "--all", "--select", "depth=0", "-o", at("x.mrc")],
      /none of uwnd, air, sst has a dimension "depth"/,
    ],
    [
      ["compress", SOURCE, "--all", "--error-bound", "air=1,q=2", "-o", at("x.mrc")],
      /names "q", which is not compressed/,
    ],
    [
      ["compress", SOURCE, "--var", "air", "--psnr", "50", "-o", at("x.mrc")],
      /a PSNR target is searched per part/,
    ],
    [["decompress", at("all2.mrc"), "-o", at("x.npy")], /a \.npy file holds one, give --var NAME/],
    [["decompress", at("all2.mrc"), "-o", at("x.nc"), "--var", "q"], /no variable "q" in the file/],
    [
      ["decompress", at("all2.mrc"), "-o", at("x.nc"), "--chunks", "1,9,12"],
      /--chunks applies to one variable/,
    ],
    [
      ["decompress", at("all2.mrc"), "-o", at("x.nc"), "--level", "5"],
      /--level must be 0\.\.1 \(variable "uwnd"/,
    ],
    [
      ["preview", at("all2.mrc"), "-o", at("x.png")],
      /holds 3 variables: uwnd, air \(2 layers along level\) and sst: give --var NAME \(and --layer K/,
    ],
    [
      ["preview", at("all2.mrc"), "-o", at("x.png"), "--var", "air"],
      /variable "air" has 2 layers along level: give --layer K \(0\.\.1\)/,
    ],
  ];
  cases.push(
    [["view", at("all2.mrc"), "--port", "0"], /holds 3 variables: .*give --var NAME/],
    [["view", at("all2.mrc"), "--port", "0", "--var", "air"], /give --layer K \(0\.\.1\)/],
  );
  for (const [args, pattern] of cases) {
    const r = await mrcae(...args);
    assert.strictEqual(r.code, 1, `${args.join(" ")}: ${r.stdout}`);
    assert.match(r.stderr, pattern, args.join(" "));
    assert.doesNotMatch(r.stderr, / {4}at /, "no stack trace");
  }
  for (const name of ["x.mrc", "x.npy", "x.nc", "x.png"]) {
    assert.ok(!(await Deno.stat(at(name)).then(() => true, () => false)), `${name} was written`);
  }
  // preview of one layer works.
  await ok("preview", at("all2.mrc"), "-o", at("air.png"), "--var", "air", "--layer", "1");
});

Deno.test({
  name: "cleanup",
  fn: async () => await Deno.remove(dir, { recursive: true }),
});
