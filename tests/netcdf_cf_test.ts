// The netCDF that `decompress -o x.nc` writes, checked with the tools a climate scientist runs
// next: ncatted and ncrcat (Debian nco), cdo, ncdump -hs (netcdf-bin), netCDF4-python and xarray
// (python3-netcdf4, python3-xarray). Inputs are CF files made at test time with ncgen; a test
// whose tool is missing says so and checks what it can without it.
import assert from "node:assert";
import { exec, has, hasXarray, PYTHON } from "./_tools.ts";
import { readNetcdf } from "../src/io/netcdf/mod.ts";

const cli = new URL("../cli.ts", import.meta.url).pathname;
const mrcae = (...args: string[]) =>
  exec(Deno.execPath(), ["run", "--allow-read", "--allow-write", "--allow-env", cli, ...args]);
const T = 6, H = 12, W = 16;
const BOUND = 0.05;

async function python(script: string, ...args: string[]): Promise<string> {
  const r = await exec(PYTHON, ["-c", script, ...args]);
  assert.strictEqual(r.code, 0, r.stderr);
  return r.stdout;
}

/** What the CF input holds. */
interface Input {
  /** The fill attribute(s) of sst. */
  fill: "missing_value" | "_FillValue";
  /** netCDF-4 (chunked, deflate 5) instead of classic. */
  nc4?: boolean;
  /** sst30e's layout: dimensions latitude/longitude, 1-D lat(latitude) and lon(longitude). */
  sst30e?: boolean;
  /** Without sst_err, the variable its `ancillary_variables` names (which is not carried). */
  noAncillary?: boolean;
  /** time a fixed dimension, not UNLIMITED. */
  fixedTime?: boolean;
}

/** The sea surface temperature of the input: sea ice at exactly -1.8, some at 35, a 2 x 2 hole. */
function sst(t: number, i: number, j: number): number | null {
  if (i >= 4 && i < 6 && j >= 6 && j < 8) return null;
  if (i < 2) return -1.8;
  if (i === H - 1) return 35;
  if (t === 1 && i === 6 && j === 3) return 40; // out of range in the source itself
  return 15 + 12 * Math.sin(0.4 * i + 0.3 * t) * Math.cos(0.3 * j) + 0.1 * j;
}

/** Writes the input as CDL and builds it with ncgen. */
async function makeInput(dir: string, name: string, input: Input): Promise<string> {
  const [y, x] = input.sst30e ? ["latitude", "longitude"] : ["lat", "lon"];
  const list = (f: (t: number, i: number, j: number) => number | null, n = T) =>
    Array.from({ length: n * H * W }, (_, k) => {
      const v = f(Math.floor(k / (H * W)), Math.floor(k / W) % H, k % W);
      return v === null ? "-999" : v.toFixed(4);
    }).join(", ");
  const lats = Array.from({ length: H }, (_, i) => -55 + 10 * i);
  const lons = Array.from({ length: W }, (_, j) => 20 * j);
  const coords = input.sst30e
    ? `\tfloat lat(latitude) ;\n\t\tlat:units = "degrees_north" ;\n` +
      `\tfloat lon(longitude) ;\n\t\tlon:units = "degrees_east" ;\n`
    : `\tfloat lat(lat) ;\n\t\tlat:units = "degrees_north" ;\n\t\tlat:bounds = "lat_bnds" ;\n` +
      `\tfloat lon(lon) ;\n\t\tlon:units = "degrees_east" ;\n` +
      `\tfloat lat_bnds(lat, nv) ;\n` +
      `\tfloat lat2d(lat, lon) ;\n\t\tlat2d:units = "degrees_north" ;\n` +
      `\tfloat lon2d(lat, lon) ;\n\t\tlon2d:units = "degrees_east" ;\n` +
      (input.noAncillary ? "" : `\tfloat sst_err(time, lat, lon) ;\n`);
  const nc4 = input.nc4
    ? `\t\tsst:_ChunkSizes = 2, 6, 8 ;\n\t\tsst:_DeflateLevel = 5 ;\n\t\tsst:_Shuffle = "true" ;\n`
    : "";
  const cdl = `netcdf ${name} {
dimensions:
\ttime = ${input.fixedTime ? T : "UNLIMITED"} ;
\t${y} = ${H} ;
\t${x} = ${W} ;
\tnv = 2 ;
variables:
\tdouble time(time) ;
\t\ttime:units = "days since 2000-01-01" ;
\t\ttime:standard_name = "time" ;
\t\ttime:bounds = "time_bnds" ;
\tdouble time_bnds(time, nv) ;
${coords}\tfloat sst(time, ${y}, ${x}) ;
\t\tsst:units = "degC" ;
\t\tsst:valid_range = -1.8f, 35.f ;
\t\tsst:${input.fill} = -999.f ;
${input.sst30e ? "" : `\t\tsst:coordinates = "lat2d lon2d" ;\n`}${
    input.sst30e || input.noAncillary ? "" : `\t\tsst:ancillary_variables = "sst_err" ;\n`
  }${nc4}
// global attributes:
\t\t:Conventions = "CF-1.8" ;
\t\t:title = "mrcae CF test" ;
data:
 time = ${Array.from({ length: T }, (_, t) => 30 * t + 15).join(", ")} ;
 time_bnds = ${Array.from({ length: T }, (_, t) => `${30 * t}, ${30 * t + 30}`).join(", ")} ;
 lat = ${lats.join(", ")} ;
 lon = ${lons.join(", ")} ;
${
    input.sst30e ? "" : ` lat_bnds = ${lats.map((l) => `${l - 5}, ${l + 5}`).join(", ")} ;
 lat2d = ${list((_, i, j) => lats[i] + 0.01 * j, 1)} ;
 lon2d = ${list((_, i, j) => lons[j] + 0.01 * i, 1)} ;
 ${input.noAncillary ? "" : `sst_err = ${list(() => 0.5)} ;`}
`
  } sst = ${list(sst)} ;
}
`;
  const base = `${dir}/${name}`;
  await Deno.writeTextFile(`${base}.cdl`, cdl);
  const r = await exec("ncgen", [
    "-k",
    input.nc4 ? "nc4" : "classic",
    "-o",
    `${base}.nc`,
    `${base}.cdl`,
  ]);
  assert.strictEqual(r.code, 0, r.stderr);
  return `${base}.nc`;
}

/** Compresses `sst` of an input with the test's bound. */
async function compress(input: string, mrc: string): Promise<void> {
  const r = await mrcae(
    "compress",
    input,
    "--var",
    "sst",
    "--error-bound",
    String(BOUND),
    "-o",
    mrc,
    "--quiet",
  );
  assert.strictEqual(r.code, 0, r.stderr);
}

async function decompress(...args: string[]) {
  const r = await mrcae("decompress", ...args);
  assert.strictEqual(r.code, 0, r.stderr);
  return r;
}

/** Runs a test in a temporary directory with the CF input compressed, or skips without ncgen. */
function cfTest(
  name: string,
  input: Input,
  fn: (dir: string, mrc: string, src: string) => Promise<void>,
) {
  Deno.test(name, async () => {
    if (!await has("ncgen", "Debian netcdf-bin, builds the CF input")) return;
    const dir = await Deno.makeTempDir();
    try {
      const src = await makeInput(dir, "src", input);
      await compress(src, `${dir}/x.mrc`);
      await fn(dir, `${dir}/x.mrc`, src);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

cfTest(
  "decompress -o .nc: ncatted edits the output in place and netCDF4 opens it for appending",
  { fill: "_FillValue" },
  async (dir, mrc) => {
    await decompress(mrc, "-o", `${dir}/x.nc`);
    if (await has("ncatted", "Debian nco")) {
      const r = await exec("ncatted", ["-O", "-a", "c,global,c,c,hi", `${dir}/x.nc`]);
      assert.strictEqual(r.code, 0, `ncatted: ${r.stderr}`);
      const dump = await exec("ncdump", ["-h", `${dir}/x.nc`]);
      assert.match(dump.stdout, /\t\t:c = "hi" ;/);
    }
    if (await hasXarray()) {
      await python(
        `import netCDF4, sys
d = netCDF4.Dataset(sys.argv[1], "a")
d.note = "appended"
d["sst"].comment = "edited"
d.close()
d = netCDF4.Dataset(sys.argv[1])
assert d.note == "appended" and d["sst"].comment == "edited"`,
        `${dir}/x.nc`,
      );
    }
  },
);

cfTest(
  "decompress -o .nc keeps time unlimited: ncrcat joins two snapshot ranges into the whole",
  { fill: "_FillValue" },
  async (dir, mrc) => {
    await decompress(mrc, "-o", `${dir}/all.nc`);
    await decompress(mrc, "-o", `${dir}/a.nc`, "--snapshots", "0:2");
    const b = await decompress(mrc, "-o", `${dir}/b.nc`, "--snapshots", "2:6");
    assert.match(b.stdout, /netCDF-4 variable "sst", deflate 1, chunks 1x12x16, time unlimited/);
    const dump = await exec("ncdump", ["-h", `${dir}/b.nc`]);
    assert.match(dump.stdout, /\ttime = UNLIMITED ; \/\/ \(4 currently\)/);
    if (!await has("ncrcat", "Debian nco")) return;
    const r = await exec("ncrcat", ["-O", `${dir}/a.nc`, `${dir}/b.nc`, `${dir}/ab.nc`]);
    assert.strictEqual(r.code, 0, `ncrcat: ${r.stderr}`);
    const joined = await readNetcdf(`${dir}/ab.nc`, { variable: "sst" });
    const whole = await readNetcdf(`${dir}/all.nc`, { variable: "sst" });
    assert.deepStrictEqual(joined.shape, [T, H, W]);
    assert.deepStrictEqual(joined.data, whole.data);
    assert.deepStrictEqual(joined.attributes.dimensions[0].values, [15, 45, 75, 105, 135, 165]);
    // time_bnds is a record variable too: ncrcat joined it.
    const bnds = await exec("ncdump", ["-v", "time_bnds", `${dir}/ab.nc`]);
    assert.match(
      bnds.stdout,
      /time_bnds =\s+0, 30,\s+30, 60,\s+60, 90,\s+90, 120,\s+120, 150,\s+150, 180 ;/,
    );
  },
);

cfTest(
  "decompress -o .nc chunks and deflates (the source's, --deflate, --chunks), and refuses bad values",
  { fill: "_FillValue", nc4: true },
  async (dir, mrc) => {
    const hs = async (path: string) => (await exec("ncdump", ["-hs", path])).stdout;
    // By default the source's chunks and deflate level (2, 6, 8 and 5, made by ncgen).
    await decompress(mrc, "-o", `${dir}/d.nc`);
    let text = await hs(`${dir}/d.nc`);
    assert.match(
      text,
      /sst:_Storage = "chunked" ;\n\t\tsst:_ChunkSizes = 2, 6, 8 ;\n\t\tsst:_DeflateLevel = 5 ;/,
    );
    // At a coarse level, each cut to its axis (the level's grid is 6 x 8 or smaller).
    await decompress(mrc, "-o", `${dir}/l.nc`, "--level", "0");
    assert.match(
      await hs(`${dir}/l.nc`),
      /sst:_ChunkSizes = 2, \d, \d ;\n\t\tsst:_DeflateLevel = 5 ;/,
    );
    await decompress(mrc, "-o", `${dir}/c.nc`, "--deflate", "6", "--chunks", "1,12,16");
    text = await hs(`${dir}/c.nc`);
    assert.match(text, /sst:_ChunkSizes = 1, 12, 16 ;\n\t\tsst:_DeflateLevel = 6 ;/);
    await decompress(mrc, "-o", `${dir}/n.nc`, "--deflate", "0");
    text = await hs(`${dir}/n.nc`);
    // The source's chunks without deflate.
    assert.match(text, /sst:_ChunkSizes = 2, 6, 8 ;\n\t\tsst:_Endianness/);
    assert.doesNotMatch(text, /sst:_DeflateLevel/);
    for (
      const [args, message] of [
        [["--deflate", "10"], /--deflate must be a level from 0 \(none\) to 9, found "10"/],
        [["--deflate", "fast"], /--deflate must be a level from 0 \(none\) to 9, found "fast"/],
        [
          ["--chunks", "1,0,4"],
          /--chunks must be T,H,W \(or H,W for a 2-D output\), integers >= 1, found "1,0,4"/,
        ],
        [["--chunks", "1x4x4"], /--chunks must be T,H,W/],
        [
          ["--chunks", "1,13,16"],
          /--chunks 1,13,16 does not fit the output: chunk size 13 of axis 1 is above its length 12 \(shape 6 x 12 x 16\)/,
        ],
        [
          ["--chunks", "6,12"],
          /--chunks 6,12 does not fit the output: 2 chunk sizes for 3 axes \(shape 6 x 12 x 16\)/,
        ],
        [
          ["--level", "0", "--chunks", "1,12,16"],
          /does not fit the output: chunk size 12 of axis 1 is above its length \d+ \(shape 6 x \d+ x \d+\)/,
        ],
      ] as const
    ) {
      const r = await mrcae("decompress", mrc, "-o", `${dir}/bad.nc`, ...args);
      assert.strictEqual(r.code, 1, args.join(" "));
      assert.match(r.stderr, message);
      assert.strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr);
      await assert.rejects(Deno.stat(`${dir}/bad.nc`), Deno.errors.NotFound);
    }
    const npy = await mrcae("decompress", mrc, "-o", `${dir}/x.npy`, "--deflate", "4");
    assert.strictEqual(npy.code, 1);
    assert.match(npy.stderr, /--deflate applies to a netCDF output \(-o OUT\.nc\) only/);
    if (await hasXarray()) {
      const enc = JSON.parse(
        await python(
          `import json, sys, xarray as xr
e = xr.open_dataset(sys.argv[1])["sst"].encoding
print(json.dumps({k: e[k] for k in ["zlib", "complevel", "chunksizes", "contiguous"]}))`,
          `${dir}/c.nc`,
        ),
      );
      assert.deepStrictEqual(enc, {
        zlib: true,
        complevel: 6,
        chunksizes: [1, 12, 16],
        contiguous: false,
      });
    }
  },
);

cfTest(
  "decompress -o .nc moves values onto valid_range within the bound: netCDF4 masks only the missing cells",
  { fill: "_FillValue" },
  async (dir, mrc, src) => {
    await decompress(mrc, "-o", `${dir}/x.nc`);
    await decompress(mrc, "-o", `${dir}/x.npy`);
    const { parseNpy } = await import("../src/io/npy.ts");
    const raw = parseNpy(await Deno.readFile(`${dir}/x.npy`)).data;
    const source = await readNetcdf(src, { variable: "sst" });
    const back = await readNetcdf(`${dir}/x.nc`, { variable: "sst" });
    const lo = Math.fround(-1.8), hi = 35;
    let below = 0, max = 0;
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] < lo) below++;
      const [a, b] = [source.data[i], back.data[i]];
      assert.strictEqual(Number.isNaN(a), Number.isNaN(b), `missing at ${i}`);
      if (Number.isNaN(a)) continue;
      max = Math.max(max, Math.abs(a - b));
      // Moved onto the range where the source was in it; the 40 out of range stays out.
      if (a <= hi) assert.ok(b >= lo && b <= hi, `value ${i}: ${b} outside [${lo}, ${hi}]`);
      else assert.ok(b > hi, `value ${i}: ${b} was ${a}`);
      // Never further from the source than the plain decode.
      assert.ok(Math.abs(a - b) <= Math.abs(a - raw[i]) + 1e-7, `value ${i}`);
    }
    assert.ok(below > 0, "the decode itself lands below valid_min: the check would catch no clamp");
    assert.ok(max <= BOUND, `max error ${max}`);
    if (await hasXarray()) {
      const masked = await python(
        `import sys, netCDF4, numpy as np
v = netCDF4.Dataset(sys.argv[1])["sst"][:]
print(int(np.ma.count_masked(v)))`,
        `${dir}/x.nc`,
      );
      // The 2 x 2 hole of each snapshot, and the source's own out-of-range value.
      assert.strictEqual(Number(masked), 4 * T + 1);
    }
  },
);

for (const fill of ["missing_value", "_FillValue"] as const) {
  cfTest(
    `decompress -o .nc keeps the source's fill convention: ${fill} only, and xarray does not warn`,
    { fill },
    async (dir, mrc) => {
      await decompress(mrc, "-o", `${dir}/x.nc`);
      const text = (await exec("ncdump", ["-h", `${dir}/x.nc`])).stdout;
      assert.match(text, new RegExp(`\\t\\tsst:${fill} = -999.f ;`));
      const other = fill === "_FillValue" ? "missing_value" : "_FillValue";
      assert.doesNotMatch(text, new RegExp(`sst:${other}`));
      const back = await readNetcdf(`${dir}/x.nc`, { variable: "sst" });
      assert.strictEqual(back.missing, 4 * T);
      if (await hasXarray()) {
        const out = await python(
          `import sys, warnings, netCDF4, xarray as xr
warnings.simplefilter("error")  # after the imports (numpy may warn on import)
d = xr.open_dataset(sys.argv[1])
print(int(d["sst"].isnull().sum()), d["sst"].encoding.get("${fill}"), "${other}" in d["sst"].encoding)`,
          `${dir}/x.nc`,
        );
        assert.strictEqual(out.trim(), `${4 * T} -999.0 False`);
      }
    },
  );
}

cfTest(
  "decompress -o .nc carries coordinates and bounds, sampled at the level, and removes dangling names",
  { fill: "_FillValue" },
  async (dir, mrc) => {
    const fine = await decompress(mrc, "-o", `${dir}/fine.nc`);
    assert.match(
      fine.stderr,
      /note: .*fine\.nc: removed sst:ancillary_variables: sst_err \(named variables that the \.mrc file does not hold\)/,
    );
    assert.strictEqual(fine.stderr.trim().split("\n").length, 1, fine.stderr);
    let text = (await exec("ncdump", ["-h", `${dir}/fine.nc`])).stdout;
    assert.match(text, /\t\tsst:coordinates = "lat2d lon2d" ;/);
    assert.doesNotMatch(text, /ancillary_variables/);
    assert.match(text, /\t\ttime:bounds = "time_bnds" ;/);
    assert.match(text, /\t\tlat:bounds = "lat_bnds" ;/);
    assert.match(text, /\tdouble time_bnds\(time, nv\) ;/);
    assert.match(text, /\tfloat lat2d\(lat, lon\) ;/);
    // A coarse level: the 2-D coordinates sampled at its rows and columns, lat_bnds not (a
    // sampled row's bounds are not the coarse cell's), and lat:bounds removed with it.
    const coarse = await decompress(mrc, "-o", `${dir}/coarse.nc`, "--level", "1");
    assert.match(coarse.stderr, /removed lat:bounds: lat_bnds/);
    text = (await exec("ncdump", ["-h", `${dir}/coarse.nc`])).stdout;
    assert.doesNotMatch(text, /lat_bnds/);
    const field = await readNetcdf(`${dir}/coarse.nc`, { variable: "sst" });
    const lat = field.attributes.dimensions[1].values!;
    const lon = field.attributes.dimensions[2].values!;
    assert.ok(lat.length < H && lon.length < W);
    const lat2d = await readNetcdf(`${dir}/coarse.nc`, { variable: "lat2d" });
    const lon2d = await readNetcdf(`${dir}/coarse.nc`, { variable: "lon2d" });
    for (let i = 0; i < lat.length; i++) {
      for (let j = 0; j < lon.length; j++) {
        const row = (lat[i] + 55) / 10, col = lon[j] / 20;
        assert.ok(Math.abs(lat2d.data[i * lon.length + j] - (lat[i] + 0.01 * col)) < 1e-4);
        assert.ok(Math.abs(lon2d.data[i * lon.length + j] - (lon[j] + 0.01 * row)) < 1e-4);
      }
    }
    // cdo sees the curvilinear grid of lat2d/lon2d, and the time bounds. (cdo 2.1 crashes on the
    // 1-D lat_bnds next to 2-D coordinates, source and fine level alike: the coarse level has none.)
    if (await has("cdo", "Debian cdo")) {
      const r = await exec("cdo", ["sinfon", `${dir}/coarse.nc`]);
      assert.strictEqual(r.code, 0, r.stderr);
      const points = lat.length * lon.length;
      assert.match(
        r.stdout,
        new RegExp(`curvilinear\\s+: points=${points} \\(${lon.length}x${lat.length}\\)`),
      );
      assert.match(r.stdout, /lat2d : -4\d\.\d+ to \d+\.\d+ degrees_north/);
      assert.match(r.stdout, /time : 6 steps\n.*Bounds = true/);
      assert.match(r.stdout, /2000-01-16 00:00:00/);
    }
  },
);

cfTest(
  "decompress -o .nc keeps the 1-D lat and lon of an sst30e-style file (on latitude, longitude)",
  { fill: "_FillValue", sst30e: true },
  async (dir, mrc) => {
    await decompress(mrc, "-o", `${dir}/x.nc`, "--level", "1");
    const text = (await exec("ncdump", ["-h", `${dir}/x.nc`])).stdout;
    assert.match(text, /\tfloat lat\(latitude\) ;\n\t\tlat:units = "degrees_north" ;/);
    assert.match(text, /\tfloat lon\(longitude\) ;/);
    const dump = (await exec("ncdump", ["-v", "lat", `${dir}/x.nc`])).stdout;
    const values = /lat = ([^;]*);/.exec(dump)![1].split(",").map(Number);
    const sst = await readNetcdf(`${dir}/x.nc`, { variable: "sst" });
    assert.strictEqual(values.length, sst.shape[1]);
    for (const v of values) assert.strictEqual((v + 55) % 10, 0, `lat ${v} is a row of the source`);
  },
);

cfTest(
  "decompress -o .nc of a classic source: its fixed time stays fixed; chunks and deflate by default",
  { fill: "_FillValue", fixedTime: true },
  async (dir, mrc, src) => {
    const hs = async (path: string) => (await exec("ncdump", ["-hs", path])).stdout;
    assert.match(await hs(src), /\ttime = 6 ;/);
    const r = await decompress(mrc, "-o", `${dir}/x.nc`);
    assert.doesNotMatch(r.stdout, /unlimited/);
    const text = await hs(`${dir}/x.nc`);
    assert.match(text, /\ttime = 6 ;/);
    assert.doesNotMatch(text, /UNLIMITED/);
    // A classic file has no chunks or filters to restore: the defaults.
    assert.match(text, /sst:_ChunkSizes = 1, 12, 16 ;\n\t\tsst:_DeflateLevel = 1 ;/);
  },
);

cfTest(
  "xarray round trip: variables, coordinates, attributes, encoding and dimensions as the source's",
  { fill: "missing_value", nc4: true, noAncillary: true },
  async (dir, mrc, src) => {
    await decompress(mrc, "-o", `${dir}/x.nc`);
    if (!await hasXarray()) return;
    const script = `import json, sys, warnings, netCDF4, numpy as np, xarray as xr
warnings.simplefilter("error")  # after the imports (numpy may warn on import)
def describe(path):
    d = xr.open_dataset(path)
    v = d["sst"]
    e = v.encoding
    return {
        "variables": sorted(d.data_vars), "coords": sorted(d.coords), "dims": dict(d.sizes),
        "unlimited": sorted(d.encoding.get("unlimited_dims", [])),
        "attrs": {k: str(x) for k, x in v.attrs.items()},
        "global": sorted(d.attrs), "fill": [k for k in ("_FillValue", "missing_value") if k in e],
        "dtype": str(e["dtype"]), "values": np.nan_to_num(v.values, nan=-1e30).ravel().tolist(),
        "encoding": {k: (list(e[k]) if k == "chunksizes" else e[k]) for k in ("chunksizes", "zlib", "complevel", "contiguous") if k in e},
        "time": [str(t) for t in d["time"].values],
    }
a, b = describe(sys.argv[1]), describe(sys.argv[2])
print(json.dumps([a, b]))`;
    const [a, b] = JSON.parse(await python(script, src, `${dir}/x.nc`));
    for (
      const key of [
        "variables",
        "coords",
        "dims",
        "unlimited",
        "attrs",
        "fill",
        "dtype",
        "time",
        "encoding",
      ]
    ) {
      assert.deepStrictEqual(b[key], a[key], key);
    }
    assert.deepStrictEqual(b.unlimited, ["time"]);
    assert.deepStrictEqual(b.encoding, {
      chunksizes: [2, 6, 8],
      zlib: true,
      complevel: 5,
      contiguous: false,
    });
    assert.deepStrictEqual(b.coords, ["lat", "lat2d", "lon", "lon2d", "time"]);
    assert.deepStrictEqual(b.global, [...a.global, "history"].sort());
    let max = 0;
    for (let i = 0; i < a.values.length; i++) {
      assert.strictEqual(a.values[i] === -1e30, b.values[i] === -1e30, `missing at ${i}`);
      if (a.values[i] !== -1e30 && a.values[i] <= 35) {
        max = Math.max(max, Math.abs(a.values[i] - b.values[i]));
      }
    }
    assert.ok(max <= BOUND * (1 + 1e-6), `max error ${max}`);
  },
);

Deno.test("decompress -o .nc: coordinates too large to carry are removed with a note, whole", async () => {
  if (!await has("ncgen", "Debian netcdf-bin, builds the CF input")) return;
  const dir = await Deno.makeTempDir();
  try {
    // 2 x 363 x 363 coordinate values: above the 2^18 carried; lat2d alone would fit.
    const n = 363;
    const grid = (f: (i: number, j: number) => number) =>
      Array.from({ length: n * n }, (_, k) => f(Math.floor(k / n), k % n).toFixed(2)).join(",");
    await Deno.writeTextFile(
      `${dir}/big.cdl`,
      `netcdf big {
dimensions:
\ty = ${n} ;
\tx = ${n} ;
variables:
\tfloat lat2d(y, x) ;
\tfloat lon2d(y, x) ;
\tfloat t(y, x) ;
\t\tt:coordinates = "lat2d lon2d" ;
data:
 lat2d = ${grid((i, j) => i * 0.1 + j * 0.01)} ;
 lon2d = ${grid((i, j) => j * 0.1 + i * 0.01)} ;
 t = ${grid((i, j) => Math.sin(i / 30) * Math.cos(j / 40))} ;
}
`,
    );
    const g = await exec("ncgen", ["-k", "classic", "-o", `${dir}/big.nc`, `${dir}/big.cdl`]);
    assert.strictEqual(g.code, 0, g.stderr);
    const c = await mrcae(
      "compress",
      `${dir}/big.nc`,
      "--var",
      "t",
      "-o",
      `${dir}/big.mrc`,
      "--quiet",
    );
    assert.strictEqual(c.code, 0, c.stderr);
    const d = await decompress(`${dir}/big.mrc`, "-o", `${dir}/big-out.nc`);
    assert.match(
      d.stderr,
      /note: .*big-out\.nc: removed t:coordinates: lat2d lon2d \(named variables/,
    );
    const text = (await exec("ncdump", ["-h", `${dir}/big-out.nc`])).stdout;
    assert.doesNotMatch(text, /lat2d|lon2d|coordinates/);
    assert.match(text, /\tfloat t\(y, x\) ;/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
