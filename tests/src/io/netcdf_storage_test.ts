// How the source stored a variable: recorded by compress (storageRecord), read back by the writer
// (storageOfSource), which takes a stranger's members as they come, and what writeNetcdf makes
// of them (ncdump -hs where netcdf-bin is installed, else h5wasm's own view).
import assert from "node:assert";
import { storageOfSource, storageRecord } from "../../../src/io/netcdf/storage.ts";
import { writeNetcdf } from "../../../src/io/netcdf/mod.ts";
import { loadH5wasm } from "../../../src/io/netcdf/hdf5.ts";
import type { MrcAttributes } from "../../../format/mod.ts";
import type { Variable } from "../../../src/io/netcdf/source.ts";

const variable = (extra: Partial<Variable>): Variable => ({
  name: "ta",
  type: "float",
  typeName: "float",
  dims: ["time", "plev", "lat", "lon"],
  shape: [10, 3, 20, 30],
  attributes: {},
  ...extra,
});

Deno.test("storageRecord() keeps the selected dimensions' storage; classic: unlimited only", () => {
  const nc4 = variable({
    chunks: [1, 1, 20, 15],
    unlimited: [true, false, false, false],
    deflate: 4,
    shuffle: true,
  });
  // plev fixed by a selection: kept axes 0, 2, 3.
  assert.deepStrictEqual(storageRecord(nc4, [0, 2, 3]), {
    unlimited: ["time"],
    chunks: { time: 1, lat: 20, lon: 15 },
    deflate: 4,
    shuffle: true,
  });
  const contiguous = variable({
    chunks: null,
    unlimited: [false, false, false, false],
    deflate: 0,
  });
  assert.deepStrictEqual(storageRecord(contiguous, [0, 2, 3]), {
    unlimited: [],
    chunks: null,
    deflate: 0,
    shuffle: false,
  });
  const classic = variable({ unlimited: [true, false, false, false] });
  assert.deepStrictEqual(storageRecord(classic, [0, 2, 3]), { unlimited: ["time"] });
});

Deno.test("storageOfSource() cuts chunks to the axes and ignores members in another form", () => {
  const dims = ["time", "lat", "lon"], shape = [4, 10, 12];
  assert.deepStrictEqual(
    storageOfSource(
      {
        unlimited: ["time", "plev"],
        chunks: { time: 8, lat: 5, lon: 30 },
        deflate: 3,
        shuffle: true,
      },
      dims,
      shape,
    ),
    { unlimited: new Set(["time"]), chunks: [4, 5, 12], deflate: 3, shuffle: true },
  );
  assert.deepStrictEqual(storageOfSource({ chunks: null, unlimited: [] }, dims, shape), {
    chunks: null,
    unlimited: new Set(),
  });
  // A file written before these members, or by a stranger.
  assert.deepStrictEqual(storageOfSource(undefined, dims, shape), {});
  assert.deepStrictEqual(storageOfSource({}, dims, shape), {});
  for (
    const bad of [
      { unlimited: "time", chunks: [1, 10, 12], deflate: 10, shuffle: "yes" },
      { unlimited: [1], chunks: { time: 1, lat: 0, lon: 12 }, deflate: -1 },
      { unlimited: null, chunks: { time: 1, lat: 2.5, lon: 12 }, deflate: 1.5 },
      { chunks: { time: 1, lat: 10 }, deflate: "9" }, // lon missing
      { chunks: { time: 1, lat: 10, lon: 2 ** 60 }, deflate: null },
    ]
  ) assert.deepStrictEqual(storageOfSource(bad, dims, shape), {}, JSON.stringify(bad));
});

const T = 4, H = 10, W = 12;
const attributes = (source: Record<string, unknown>): MrcAttributes => ({
  variable: { name: "v", type: "float", attributes: {} },
  dimensions: [
    {
      name: "time",
      size: T,
      values: [0, 1, 2, 3],
      type: "double",
      attributes: { units: { type: "char", value: "days since 2000-01-01" } },
    },
    { name: "lat", size: H, values: null, type: "double", attributes: {} },
    { name: "lon", size: W, values: null, type: "double", attributes: {} },
  ],
  selected: [],
  global: {},
  source,
});

/** The stored variable's layout as h5wasm reads it back. */
async function layout(path: string) {
  const h5wasm = await loadH5wasm();
  const file = new h5wasm.File(path, "r");
  try {
    const ds = file.get("v");
    const m = ds.metadata;
    return {
      chunks: m.chunks ?? null,
      unlimited: (m.maxshape as number[]).map((n) => Number(n) > Number.MAX_SAFE_INTEGER),
      deflate: (ds.filters as { id: number; cd_values: number[] }[]).find((f) => f.id === 1)
        ?.cd_values[0] ?? 0,
    };
  } finally {
    file.close();
  }
}

Deno.test("writeNetcdf() stores the variable as its source did, unless told otherwise", async () => {
  const data = Float32Array.from({ length: T * H * W }, (_, i) => Math.sin(i));
  const path = await Deno.makeTempFile({ suffix: ".nc" });
  try {
    const cases: [Record<string, unknown>, { deflate?: number; chunks?: number[] }, unknown][] = [
      // The source's chunks and level; time fixed there, so fixed here.
      [{ unlimited: [], chunks: { time: 2, lat: 5, lon: 12 }, deflate: 6 }, {}, {
        chunks: [2, 5, 12],
        unlimited: [false, false, false],
        deflate: 6,
        report: { chunks: [2, 5, 12], deflate: 6, unlimited: [] },
      }],
      // Contiguous and without deflate, as the source.
      [{ unlimited: [], chunks: null, deflate: 0 }, {}, {
        chunks: null,
        unlimited: [false, false, false],
        deflate: 0,
        report: { chunks: null, deflate: 0, unlimited: [] },
      }],
      // A contiguous source asked for deflate: chunked (HDF5 needs it), the default chunks.
      [{ unlimited: [], chunks: null, deflate: 0 }, { deflate: 2 }, {
        chunks: [1, H, W],
        unlimited: [false, false, false],
        deflate: 2,
        report: { chunks: [1, H, W], deflate: 2, unlimited: [] },
      }],
      // An unlimited dimension that is not time, and the caller's chunks over the source's.
      [{ unlimited: ["lon"], chunks: { time: 2, lat: 5, lon: 12 }, deflate: 6 }, {
        chunks: [1, 2, 3],
      }, {
        chunks: [1, 2, 3],
        unlimited: [false, false, true],
        deflate: 6,
        report: { chunks: [1, 2, 3], deflate: 6, unlimited: ["lon"] },
      }],
      // Members a stranger wrote wrong: the defaults (leading time unlimited, deflate 1).
      [{ unlimited: "lat", chunks: { time: -1 }, deflate: 99 }, {}, {
        chunks: [1, H, W],
        unlimited: [true, false, false],
        deflate: 1,
        report: { chunks: [1, H, W], deflate: 1, unlimited: ["time"] },
      }],
    ];
    for (const [source, given, expected] of cases) {
      const report = await writeNetcdf(path, {
        data,
        shape: [T, H, W],
        attributes: attributes(source),
        ...given,
      });
      const got = {
        ...(await layout(path)),
        report: { chunks: report.chunks, deflate: report.deflate, unlimited: report.unlimited },
      };
      assert.deepStrictEqual(got, expected, JSON.stringify(source));
    }
  } finally {
    await Deno.remove(path);
  }
});
