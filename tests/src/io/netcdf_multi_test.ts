// writeNetcdfFile: several variables in one netCDF-4 file sharing their dimensions, 4-D
// variables (time, layer, lat, lon), and the refusals of fields that disagree on a shared name.
// Read back with the tools a climate scientist runs next: ncdump (Debian netcdf-bin), xarray
// (python3-xarray, python3-netcdf4), cdo sinfon (cdo) and ncatted (nco); a check whose tool is
// missing says so and is skipped.
import assert from "node:assert";
import { exec, has, hasXarray, PYTHON } from "../../_tools.ts";
import { writeNetcdfFile } from "../../../src/io/netcdf/mod.ts";
import { transposed } from "../../../src/io/netcdf/write.ts";
import { loadH5wasm } from "../../../src/io/netcdf/hdf5.ts";
import type {
  MrcAttribute,
  MrcAttributes,
  MrcDimension,
  MrcSelectedDimension,
} from "../../../format/mod.ts";
import type { NetcdfOutput } from "../../../src/io/netcdf/mod.ts";

/** Snapshots written (of 4 in the source, from the second), layers (of 3), rows, columns. */
const T = 3, Z = 2, H = 4, W = 5;
const FIRST = 1;
const LAYERS = [0, 2];

const text = (value: string): MrcAttribute => ({ type: "char", value });
const numbers = (type: MrcAttribute["type"], ...value: number[]): MrcAttribute => ({
  type,
  value,
});

const TIME: MrcDimension = {
  name: "time",
  size: 4,
  values: [0, 6, 12, 18],
  type: "double",
  attributes: { units: text("days since 2000-01-01"), standard_name: text("time") },
};
const LEV: MrcDimension = {
  name: "lev",
  size: 3,
  values: [1000, 850, 500],
  type: "double",
  attributes: { units: text("hPa"), positive: text("down"), axis: text("Z") },
};
const LAT: MrcDimension = {
  name: "lat",
  size: H,
  values: [-30, -10, 10, 30],
  type: "float",
  attributes: { units: text("degrees_north") },
};
const LON: MrcDimension = {
  name: "lon",
  size: W,
  values: [0, 60, 120, 180, 240],
  type: "float",
  attributes: { units: text("degrees_east") },
};
/** A scalar coordinate both 3-D fields select: 2 m above ground. */
const HEIGHT: MrcSelectedDimension = {
  name: "height",
  size: 1,
  values: [2],
  type: "double",
  attributes: { units: text("m") },
  index: 0,
};
const LAT2D_VALUES = Array.from({ length: H * W }, (_, k) => -30 + 20 * Math.floor(k / W) + k % W);
/** `source.variables`: a 2-D latitude, and a thickness per layer (along the layer dimension). */
const LAT2D = {
  dims: ["lat", "lon"],
  shape: [H, W],
  type: "float",
  values: LAT2D_VALUES,
  attributes: { units: { type: "char", value: "degrees_north" } },
};
const THICKNESS = {
  dims: ["lev"],
  shape: [3],
  type: "float",
  values: [10, 20, 30],
  attributes: { units: { type: "char", value: "m" } },
};

function attributesOf(
  name: string,
  dimensions: MrcDimension[],
  more: {
    variable?: Record<string, MrcAttribute>;
    selected?: MrcSelectedDimension[];
    source?: Record<string, unknown>;
    global?: Record<string, MrcAttribute>;
  } = {},
): MrcAttributes {
  return {
    variable: { name, type: "float", attributes: more.variable ?? {} },
    dimensions,
    selected: more.selected ?? [],
    global: more.global ?? {},
    source: more.source ?? {},
  };
}

const value3 = (t: number, i: number, j: number) => 100 * t + 10 * i + j;
const value4 = (t: number, z: number, i: number, j: number) => 1 + 20 * t + 5 * z + i + 0.1 * j;

/** u and t (3-D, sharing time/lat/lon and height) and w (4-D on time/lev/lat/lon). */
function threeFields(): NetcdfOutput[] {
  const u = Float32Array.from(
    { length: T * H * W },
    (_, k) => value3(Math.floor(k / (H * W)), Math.floor(k / W) % H, k % W),
  );
  const t = Float64Array.from(u, (x) => x + 0.5);
  const w = Float32Array.from(
    { length: T * Z * H * W },
    (_, k) =>
      value4(
        Math.floor(k / (Z * H * W)),
        Math.floor(k / (H * W)) % Z,
        Math.floor(k / W) % H,
        k % W,
      ),
  );
  w[0] = -0.2; // below valid_range by less than the bound: onto it
  w[1] = 100.3; // above it by less than the bound
  w[2] = NaN; // missing: the fill value
  const dims3 = [TIME, LAT, LON];
  return [
    {
      data: u,
      shape: [T, H, W],
      firstSnapshot: FIRST,
      // u does not carry lat2d: t does, so its reference stays.
      attributes: attributesOf("u", dims3, {
        variable: { units: text("m s-1"), coordinates: text("lat2d") },
        selected: [HEIGHT],
        global: { title: text("three fields") },
      }),
    },
    {
      data: t,
      shape: [T, H, W],
      firstSnapshot: FIRST,
      attributes: attributesOf("t", dims3, {
        variable: { units: text("K"), coordinates: text("lat2d") },
        selected: [HEIGHT],
        source: { variables: { lat2d: LAT2D } },
        global: { title: text("ignored: the first field's are the file's") },
      }),
    },
    {
      data: w,
      shape: [T, Z, H, W],
      firstSnapshot: FIRST,
      layers: LAYERS,
      bound: 0.5,
      chunks: [1, 2, 2, W],
      attributes: attributesOf("w", [TIME, LEV, LAT, LON], {
        variable: {
          units: text("Pa s-1"),
          coordinates: text("lat2d"),
          _FillValue: numbers("float", -999),
          valid_range: numbers("float", 0, 100),
        },
        source: { variables: { lat2d: LAT2D, thickness: THICKNESS } },
      }),
    },
  ];
}

/** What a reader sees of the written w: on the valid range, NaN where missing. */
function writtenW(w: Float32Array): (number | null)[] {
  return Array.from(w, (x) => Number.isNaN(x) ? null : Math.min(100, Math.max(0, x)));
}

Deno.test("writeNetcdfFile() writes 3-D and 4-D variables sharing their dimensions once", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/x.nc`;
  try {
    const fields = threeFields();
    const report = await writeNetcdfFile(path, fields, {
      extraGlobal: { history: text("written by the test") },
    });
    assert.deepStrictEqual(report.dimensions, ["time", "lat", "lon", "lev"]);
    assert.deepStrictEqual(report.unlimited, ["time"]);
    assert.deepStrictEqual(report.removed, []); // lat2d is in the file: u's reference stays
    assert.deepStrictEqual(
      report.variables.map((v) => [v.name, v.dimensions, v.chunks, v.unlimited, v.clamped]),
      [
        ["u", ["time", "lat", "lon"], [1, H, W], ["time"], 0],
        ["t", ["time", "lat", "lon"], [1, H, W], ["time"], 0],
        ["w", ["time", "lev", "lat", "lon"], [1, 2, 2, W], ["time"], 2],
      ],
    );

    if (await has("ncdump", "Debian netcdf-bin")) {
      const r = await exec("ncdump", ["-h", path]);
      assert.strictEqual(r.code, 0, r.stderr);
      const header = r.stdout;
      for (
        const line of [
          "time = UNLIMITED ; // (3 currently)",
          "lat = 4 ;",
          "lon = 5 ;",
          "lev = 2 ;",
          "float u(time, lat, lon) ;",
          "double t(time, lat, lon) ;",
          "float w(time, lev, lat, lon) ;",
          'u:coordinates = "lat2d height" ;',
          "float lat2d(lat, lon) ;",
          "float thickness(lev) ;",
          "double height ;",
          ':title = "three fields" ;',
          ':history = "written by the test" ;',
        ]
      ) assert.ok(header.includes(line), `ncdump -h lacks ${line}:\n${header}`);
      // Each shared name once.
      for (const name of ["lat2d(", "height ;", "lev(lev)"]) {
        assert.strictEqual(header.split(name).length - 1, 1, `${name} in\n${header}`);
      }
      const lev = await exec("ncdump", ["-v", "lev,time,thickness", path]);
      assert.match(lev.stdout, /lev = 1000, 500 ;/);
      assert.match(lev.stdout, /time = 6, 12, 18 ;/);
      assert.match(lev.stdout, /thickness = 10, 30 ;/);
    }

    if (await hasXarray()) {
      const script = `
import json, math, sys
import xarray as xr
ds = xr.open_dataset(sys.argv[1], decode_times=False)
def values(v):
    return [None if isinstance(x, float) and math.isnan(x) else x for x in v.values.ravel().tolist()]
out = {"unlimited": sorted(ds.encoding.get("unlimited_dims", [])), "variables": {}}
for name, v in ds.variables.items():
    e = v.encoding
    out["variables"][name] = {
        "dims": list(v.dims),
        "values": values(v),
        "chunks": list(e["chunksizes"]) if e.get("chunksizes") else None,
        "zlib": bool(e.get("zlib", False)),
    }
out["coords"] = {name: sorted(ds[name].coords) for name in ds.data_vars}
print(json.dumps(out))
`;
      const r = await exec(PYTHON, ["-c", script, path]);
      assert.strictEqual(r.code, 0, r.stderr);
      const got = JSON.parse(r.stdout);
      assert.deepStrictEqual(got.unlimited, ["time"]);
      const v = got.variables;
      assert.deepStrictEqual(
        Object.keys(v).sort(),
        ["height", "lat", "lat2d", "lev", "lon", "t", "thickness", "time", "u", "w"],
      );
      assert.deepStrictEqual(v.time.values, [6, 12, 18]);
      assert.deepStrictEqual(v.lev.values, [1000, 500]);
      assert.deepStrictEqual(v.lat.values, LAT.values);
      assert.deepStrictEqual(v.lon.values, LON.values);
      assert.deepStrictEqual(v.height.values, [2]);
      assert.deepStrictEqual(v.thickness.dims, ["lev"]);
      assert.deepStrictEqual(v.thickness.values, [10, 30]);
      assert.deepStrictEqual(v.lat2d.values, LAT2D_VALUES);
      assert.deepStrictEqual(v.u.dims, ["time", "lat", "lon"]);
      assert.deepStrictEqual(v.u.values, Array.from(fields[0].data));
      assert.deepStrictEqual(v.t.values, Array.from(fields[1].data));
      assert.deepStrictEqual(v.w.dims, ["time", "lev", "lat", "lon"]);
      assert.deepStrictEqual(v.w.values, writtenW(fields[2].data as Float32Array));
      assert.deepStrictEqual(v.u.chunks, [1, H, W]);
      assert.deepStrictEqual(v.w.chunks, [1, 2, 2, W]);
      assert.deepStrictEqual([v.u.zlib, v.t.zlib, v.w.zlib], [true, true, true]);
      // xarray makes a scalar coordinate that any variable names a coordinate of every one.
      assert.deepStrictEqual(got.coords.w, ["height", "lat", "lat2d", "lev", "lon", "time"]);
      assert.deepStrictEqual(got.coords.u, ["height", "lat", "lat2d", "lon", "time"]);
    }

    if (await has("cdo", "Debian cdo")) {
      const r = await exec("cdo", ["sinfon", path]);
      assert.strictEqual(r.code, 0, `cdo sinfon: ${r.stderr}`);
      // u and t on one level, w on the two layers, all three on the 3 steps of one time axis.
      for (const [name, levels] of [["u", 1], ["t", 1], ["w", 2]]) {
        assert.match(r.stdout, new RegExp(`instant\\s+${levels}\\s.*: ${name}\\s*$`, "m"));
      }
      assert.match(r.stdout, /pressure\s*: levels=2\s+lev : 1000 to 500 hPa/);
      assert.match(r.stdout, /time : 3 steps/);
    }

    if (await has("ncatted", "Debian nco")) {
      const r = await exec("ncatted", ["-O", "-a", "comment,w,c,c,edited", path]);
      assert.strictEqual(r.code, 0, `ncatted: ${r.stderr}`);
      const header = (await exec("ncdump", ["-h", path])).stdout;
      assert.ok(header.includes('w:comment = "edited" ;'), header);
      assert.ok(header.includes("time = UNLIMITED ; // (3 currently)"), header);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeNetcdfFile() makes a dimension unlimited for every field when it is for one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = new Float32Array(T * H * W);
    const report = await writeNetcdfFile(`${dir}/x.nc`, [
      // Time fixed in a's source, stored contiguous without deflate there.
      {
        data,
        shape: [T, H, W],
        attributes: attributesOf("a", [TIME, LAT, LON], {
          source: { unlimited: [], chunks: null, deflate: 0 },
        }),
      },
      { data, shape: [T, H, W], attributes: attributesOf("b", [TIME, LAT, LON]) },
    ]);
    assert.deepStrictEqual(report.unlimited, ["time"]);
    // a needs chunks now: the default ones.
    assert.deepStrictEqual(
      report.variables.map((v) => [v.name, v.unlimited, v.chunks, v.deflate]),
      [["a", ["time"], [1, H, W], 0], ["b", ["time"], [1, H, W], 1]],
    );
    const h5wasm = await loadH5wasm();
    const file = new h5wasm.File(`${dir}/x.nc`, "r");
    try {
      const max = file.get("a").metadata.maxshape as number[];
      assert.ok(Number(max[0]) > Number.MAX_SAFE_INTEGER, `maxshape ${max}`);
    } finally {
      file.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeNetcdfFile() refuses fields that disagree on a name, before writing anything", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/x.nc`;
  const field = (
    name: string,
    dimensions: MrcDimension[],
    more: Partial<NetcdfOutput> & { selected?: MrcSelectedDimension[]; source?: object } = {},
  ): NetcdfOutput => {
    const { selected, source, ...rest } = more;
    const shape = rest.shape ?? dimensions.map((d) => d.size);
    return {
      data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
      shape,
      attributes: attributesOf(name, dimensions, {
        selected,
        source: source as Record<string, unknown>,
      }),
      ...rest,
    };
  };
  const lat3: MrcDimension = { ...LAT, size: 3, values: [-20, 0, 20] };
  const latMoved: MrcDimension = { ...LAT, values: [-30, -10, 10, 31] };
  const cases: [string, NetcdfOutput[], RegExp][] = [
    [
      "sizes",
      [field("u", [TIME, LAT, LON]), field("v", [TIME, lat3, LON])],
      /^.*x\.nc: variables "u" and "v" disagree on dimension "lat" \(4 vs 3 values\): write them to separate files$/,
    ],
    [
      "coordinate values",
      [field("u", [TIME, LAT, LON]), field("v", [TIME, latMoved, LON])],
      /x\.nc: variables "u" and "v" disagree on dimension "lat" \(coordinate 3 is 30 in "u", 31 in "v"\): write them to separate files$/,
    ],
    [
      "coordinate values after sampling at rows",
      [
        field("u", [TIME, LAT, LON], { shape: [4, 2, W], rows: [0, 2] }),
        field("v", [TIME, LAT, LON], { shape: [4, 2, W], rows: [1, 3] }),
      ],
      /variables "u" and "v" disagree on dimension "lat" \(coordinate 0 is -30 in "u", -10 in "v"\)/,
    ],
    [
      "coordinate values after the first snapshot",
      [
        field("u", [TIME, LAT, LON], { shape: [2, H, W] }),
        field("v", [TIME, LAT, LON], { shape: [2, H, W], firstSnapshot: 1 }),
      ],
      /variables "u" and "v" disagree on dimension "time" \(coordinate 0 is 0 in "u", 6 in "v"\)/,
    ],
    [
      "coordinate values after sampling at layers",
      [
        field("w", [TIME, LEV, LAT, LON], { shape: [4, 2, H, W], layers: [0, 2] }),
        field("q", [TIME, LEV, LAT, LON], { shape: [4, 2, H, W], layers: [0, 1] }),
      ],
      /variables "w" and "q" disagree on dimension "lev" \(coordinate 1 is 500 in "w", 850 in "q"\)/,
    ],
    [
      "a dimension of one, a scalar coordinate of the other",
      [
        field("u", [TIME, LAT, LON], { selected: [{ ...LEV, index: 0 }] }),
        field("w", [TIME, LEV, LAT, LON]),
      ],
      /x\.nc: variables "u" and "w" disagree on "lev" \(a scalar coordinate of "u", a dimension of "w"\): write them to separate files$/,
    ],
    [
      "a dimension of one, an auxiliary variable of the other",
      [
        field("u", [TIME, LAT, LON]),
        field("v", [TIME, { ...LAT, name: "y" }, LON], {
          source: { variables: { lat: { ...LAT2D, dims: ["y", "lon"] } } },
        }),
      ],
      /variables "u" and "v" disagree on "lat" \(a dimension of "u", an auxiliary variable of "v"\)/,
    ],
    [
      "scalar coordinates of other values",
      [
        field("u", [TIME, LAT, LON], { selected: [HEIGHT] }),
        field("v", [TIME, LAT, LON], { selected: [{ ...HEIGHT, values: [10] }] }),
      ],
      /variables "u" and "v" disagree on scalar coordinate "height" \(2 in "u", 10 in "v"\)/,
    ],
    [
      "auxiliary variables of other values",
      [
        field("u", [TIME, LAT, LON], { source: { variables: { lat2d: LAT2D } } }),
        field("v", [TIME, LAT, LON], {
          source: { variables: { lat2d: { ...LAT2D, values: LAT2D_VALUES.map((x) => -x) } } },
        }),
      ],
      /variables "u" and "v" disagree on auxiliary variable "lat2d" \(their values differ\)/,
    ],
    [
      "two variables of one name",
      [field("u", [TIME, LAT, LON]), field("u", [TIME, LAT, LON])],
      /x\.nc: cannot write two variables named "u": write them to separate files$/,
    ],
  ];
  try {
    for (const [what, fields, message] of cases) {
      await assert.rejects(writeNetcdfFile(path, fields), message, what);
      await assert.rejects(Deno.stat(path), Deno.errors.NotFound, `${what}: a file was written`);
    }
    // Arguments that are not usable at all: TypeErrors, nothing written either.
    const [u] = [field("u", [TIME, LAT, LON])];
    const bad: [Partial<NetcdfOutput>, RegExp][] = [
      [{ layers: [0] }, /layers are for a shape \[T, Z, H, W\]/],
      [{ rows: [0, 1] }, /2 rows for axis 1 of length 4/],
      [{ extraGlobal: { history: text("h") } }, /pass writeNetcdfFile's options\.extraGlobal/],
      [{ data: new Float32Array(2 * 2 * 2 * 2 * 2), shape: [2, 2, 2, 2, 2] }, /shape must be/],
    ];
    for (const [change, message] of bad) {
      await assert.rejects(writeNetcdfFile(path, [{ ...u, ...change }]), TypeError);
      await assert.rejects(writeNetcdfFile(path, [{ ...u, ...change }]), message);
      await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    }
    await assert.rejects(
      writeNetcdfFile(path, [field("w", [TIME, LEV, LAT, LON], { layers: [0, 1] })]),
      /2 layers for axis 1 of length 3/,
    );
    await assert.rejects(writeNetcdfFile(path, []), /no fields to write/);
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The naive transpose: every output index from its source index, one by one. */
function naiveTransposed(values: Float32Array, shape: number[], perm: number[]): Float32Array {
  const written = perm.map((a) => shape[a]);
  const out = new Float32Array(values.length);
  for (let o = 0; o < values.length; o++) {
    // The output's multi-index, then the source's: source axis perm[k] is output axis k.
    const index = new Array<number>(shape.length);
    let rest = o;
    for (let k = written.length - 1; k >= 0; k--) {
      index[perm[k]] = rest % written[k];
      rest = Math.floor(rest / written[k]);
    }
    let offset = 0;
    for (let a = 0; a < shape.length; a++) offset = offset * shape[a] + index[a];
    out[o] = values[offset];
  }
  return out;
}

/** Every permutation of 0..n-1. */
function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)])
  );
}

Deno.test("transposed() agrees with a naive index loop at every rank and permutation", () => {
  for (const shape of [[7], [3, 4], [2, 3, 4], [2, 3, 4, 5], [1, 3, 1, 2], [2, 0, 3, 1]]) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: size }, (_, i) => i);
    for (const perm of permutations(shape.length)) {
      const got = transposed(values, shape, perm);
      assert.deepStrictEqual(got, naiveTransposed(values, shape, perm), `${shape} / ${perm}`);
      if (perm.some((a, k) => a !== k) && size > 1 && shape.filter((n) => n > 1).length > 1) {
        assert.notStrictEqual(got, values);
      }
    }
  }
  // The reference itself, on a matrix: its transpose.
  assert.deepStrictEqual(
    naiveTransposed(Float32Array.from([0, 1, 2, 3, 4, 5]), [2, 3], [1, 0]),
    Float32Array.from([0, 3, 1, 4, 2, 5]),
  );
});

Deno.test("writeNetcdfFile() writes a 4-D variable in the order asked, time unlimited only when leading", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const shape = [T, Z, H, W];
    const data = Float32Array.from({ length: T * Z * H * W }, (_, i) => i);
    const w: NetcdfOutput = {
      data,
      shape,
      layers: LAYERS,
      attributes: attributesOf("w", [{ ...TIME, size: T, values: [0, 6, 12] }, LEV, LAT, LON]),
    };
    const order = ["time", "lat", "lev", "lon"];
    const report = await writeNetcdfFile(`${dir}/x.nc`, [{ ...w, order }]);
    const v = report.variables[0];
    assert.deepStrictEqual(v.dimensions, order);
    assert.deepStrictEqual(v.unlimited, ["time"]);
    // The default chunks: one snapshot and one layer, in the written order.
    assert.deepStrictEqual(v.chunks, [1, H, 1, W]);
    const h5wasm = await loadH5wasm();
    const file = new h5wasm.File(`${dir}/x.nc`, "r");
    try {
      const ds = file.get("w");
      assert.deepStrictEqual(ds.shape, [T, H, Z, W]);
      // (t, i, z, j) of the file is (t, z, i, j) of data.
      const back = ds.value as Float32Array;
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < H; i++) {
          for (let z = 0; z < Z; z++) {
            for (let j = 0; j < W; j++) {
              assert.strictEqual(
                back[((t * H + i) * Z + z) * W + j],
                data[((t * Z + z) * H + i) * W + j],
              );
            }
          }
        }
      }
      assert.deepStrictEqual(Array.from(file.get("lev").value as Float64Array), [1000, 500]);
    } finally {
      file.close();
    }
    if (await has("ncdump", "Debian netcdf-bin")) {
      const header = (await exec("ncdump", ["-h", `${dir}/x.nc`])).stdout;
      assert.ok(header.includes("float w(time, lat, lev, lon) ;"), header);
      assert.ok(header.includes("time = UNLIMITED ; // (3 currently)"), header);
    }
    // Time not leading: fixed, as at rank 3.
    const moved = await writeNetcdfFile(`${dir}/y.nc`, [{
      ...w,
      order: ["lev", "time", "lat", "lon"],
    }]);
    assert.deepStrictEqual(moved.variables[0].unlimited, []);
    assert.deepStrictEqual(moved.variables[0].dimensions, ["lev", "time", "lat", "lon"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
