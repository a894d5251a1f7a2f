// Coordinates of decoded levels (src/read/coordinates.ts): the source's coordinate values sampled
// at the level's rows and columns, the orientation, and CF dates checked against `ncdump -t` (the
// netCDF-C tools' own calendar code) for every calendar.
import assert from "node:assert";
import { fileURLToPath } from "node:url";
import type { MrcAttributes } from "../../../format/mod.ts";
import { compress, formatTimes, levelCoordinates, openMrc } from "../../../mod.ts";

const root = new URL("../../../", import.meta.url);
const cli = fileURLToPath(new URL("cli.ts", root));
const fixture = fileURLToPath(new URL("tests/testdata/netcdf/small-nc4.nc", root));

function has(tool: string): boolean {
  try {
    return new Deno.Command(tool, { args: ["-h"], stdout: "null", stderr: "null" }).outputSync()
      .code !== 127;
  } catch {
    return false;
  }
}
const NCDUMP = has("ncdump") && has("ncgen");
if (!NCDUMP) {
  console.warn("note: ncdump -t checks skipped: no ncdump/ncgen (apt-get install netcdf-bin)");
}

/** `ncdump -t` of one variable: its values as date strings. */
async function ncdumpDates(path: string, variable: string): Promise<string[]> {
  const out = await new Deno.Command("ncdump", { args: ["-t", "-v", variable, path] }).output();
  const text = new TextDecoder().decode(out.stdout);
  const data = text.slice(text.indexOf(`${variable} =`, text.indexOf("data:")));
  return [...data.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
}

/** A date string (ncdump's "2000-01-01 06", "..:5.999998" or ours) as seconds, for comparison. */
function parts(date: string): number[] {
  const m = /^(-?\d+)-(\d+)-(\d+)(?: (\d+)(?::(\d+)(?::([\d.]+))?)?)?$/.exec(date);
  assert.ok(m, `not a date: ${date}`);
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0));
  return [y, mo, d, h * 3600 + mi * 60 + Math.round(s)];
}

Deno.test({
  name: "formatTimes() gives the dates ncdump -t gives, in every CF calendar",
  ignore: !NCDUMP,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mrcae-coords-" });
    try {
      const cases: [string, string, string, number[]][] = [
        ["a", "days since 1582-10-20", "standard", [0, 3, -3, -6, 400, -10000, 1e5]],
        ["b", "hours since 1999-12-31 18:00:00", "noleap", [0, 6, 30, 1416, 8760, 10000.5]],
        ["c", "days since 2000-01-01", "360_day", [0, 29, 30, 359, 360, 725.25]],
        ["d", "minutes since 1900-02-28T23:00Z", "proleptic_gregorian", [0, 59, 60, 1440, 525600]],
        ["e", "days since 1900-02-28", "julian", [0, 1, 2, 366, 730, -70000]],
        ["f", "seconds since 1970-01-01 00:00:00", "all_leap", [0, 59, 86400, 5011200, 1e9]],
        ["g", "hour since 0000-01-01 00:00:00", "standard", [366, 1096.485, 8401.335]],
        ["h", "days since 2000-01-01", "gregorian", [59, 60, 366, -1, -36525]],
        ["i", "weeks since 2020-01-01 12:00", "365_day", [0, 1, 52.5]],
      ];
      const cdl = `netcdf cal {\ndimensions:\n${
        cases.map(([n, , , v]) => `  ${n}d = ${v.length} ;\n`).join("")
      }variables:\n${
        cases.map(([n, u, c]) =>
          `  double ${n}(${n}d) ; ${n}:units = "${u}" ; ${n}:calendar = "${c}" ;\n`
        )
          .join("")
      }data:\n${cases.map(([n, , , v]) => `  ${n} = ${v.join(", ")} ;\n`).join("")}}\n`;
      await Deno.writeTextFile(`${dir}/cal.cdl`, cdl);
      const gen = await new Deno.Command("ncgen", {
        args: ["-o", `${dir}/cal.nc`, `${dir}/cal.cdl`],
      })
        .output();
      assert.ok(gen.success, new TextDecoder().decode(gen.stderr));
      for (const [name, units, calendar, values] of cases) {
        const expected = await ncdumpDates(`${dir}/cal.nc`, name);
        const ours = formatTimes(values, units, calendar);
        assert.ok(ours, `${units} ${calendar}`);
        assert.deepStrictEqual(ours.map(parts), expected.map(parts), `${units} (${calendar})`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("formatTimes() skips the ten days of 1582 in the standard calendar, and refuses what is not a time", () => {
  // cftime: 1582-10-04 (Julian) is followed by 1582-10-15 (Gregorian).
  assert.deepStrictEqual(formatTimes([3, 4, 5], "days since 1582-10-01", "standard"), [
    "1582-10-04",
    "1582-10-15",
    "1582-10-16",
  ]);
  assert.deepStrictEqual(formatTimes([0.5], "days since 2000-01-01 00:00 +6:00"), [
    "2000-01-01 06:00", // 1999-12-31 18:00 UTC + 12 h
  ]);
  assert.strictEqual(formatTimes([1], "days since 2000-01-01", "none"), null);
  assert.strictEqual(formatTimes([1], "months since 2000-01-01", "standard"), null);
  assert.deepStrictEqual(formatTimes([13], "months since 2000-01-01", "360_day"), ["2001-02-01"]);
  assert.strictEqual(formatTimes([1], "days since yesterday"), null);
  assert.strictEqual(formatTimes([1], "METERS"), null);
});

Deno.test({
  name: "MrcFile.coordinates() samples the netCDF coordinates at each level's rows and columns",
  ignore: !NCDUMP,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mrcae-coords-" });
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          cli,
          "compress",
          fixture,
          "--var",
          "air",
          "--select",
          "level=0",
          "-o",
          `${dir}/air.mrc`,
          "--levels",
          "3",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      await using file = await openMrc(`${dir}/air.mrc`);
      // The reference: lat and lon as ncdump prints them, times as ncdump -t does.
      const dump = new TextDecoder().decode(
        (await new Deno.Command("ncdump", { args: ["-v", "lat,lon", fixture] }).output()).stdout,
      );
      const numbers = (name: string) =>
        new RegExp(`^ ${name} = ([^;]*);`, "m").exec(dump)![1].split(",").map(Number);
      const [lat, lon] = [numbers("lat"), numbers("lon")];
      const dates = await ncdumpDates(fixture, "time");
      for (let level = 0; level < file.levelCount; level++) {
        const decoded = await file.decode({ level, snapshots: [2, 5] });
        const c = await file.coordinates(level, { snapshots: [2, 5] });
        assert.strictEqual(c.y.name, "lat");
        assert.strictEqual(c.y.units, "degrees_north");
        assert.strictEqual(c.x.units, "degrees_east");
        assert.deepStrictEqual([...c.y.indices], [...decoded.rows]);
        assert.deepStrictEqual([...c.y.values], [...decoded.rows].map((i) => lat[i]));
        assert.deepStrictEqual([...c.x.values], [...decoded.cols].map((j) => lon[j]));
        assert.strictEqual(c.y.values.length, decoded.shape[1]);
        assert.strictEqual(c.x.values.length, decoded.shape[2]);
        assert.strictEqual(c.northUp, true, "latitude ascends: north up");
        assert.strictEqual(c.eastRight, true);
        assert.strictEqual(c.time!.name, "time");
        assert.strictEqual(c.time!.calendar, "standard");
        assert.deepStrictEqual([...c.time!.values], [12, 18, 24]);
        assert.deepStrictEqual(c.time!.dates!.map(parts), dates.slice(2, 5).map(parts));
      }
      await assert.rejects(() => file.coordinates(3), RangeError);
      await assert.rejects(() => file.coordinates(0, { snapshots: [0, 9] }), RangeError);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("levelCoordinates(): descending latitude and positive down keep row 0 at the top; no ATTR gives indices", async () => {
  const attributes = (lat: number[], positive?: string): MrcAttributes => ({
    variable: { name: "v", type: "float", attributes: {} },
    dimensions: [
      {
        name: "lat",
        size: lat.length,
        values: lat,
        type: "double",
        attributes: positive ? { positive: { type: "char", value: positive } } : {},
      },
      { name: "lon", size: 5, values: [50, 40, 30, 20, 10], type: "double", attributes: {} },
    ],
    selected: [],
    global: {},
    source: {},
  });
  const data = new Float32Array(7 * 5).map((_, i) => i);
  const down = await openMrc(
    await compress(data, [7, 5], {
      levels: 2,
      attributes: attributes([60, 40, 20, 0, -20, -40, -60]),
    }),
  );
  const c = await down.coordinates(0);
  assert.deepStrictEqual([...c.y.values], [40, 0, -40]);
  assert.strictEqual(c.y.increasing, false);
  assert.strictEqual(c.northUp, false);
  assert.strictEqual(c.eastRight, false);
  assert.strictEqual(c.time, null, "a 2-D field has no time axis");
  const depth = await openMrc(
    await compress(data, [7, 5], {
      levels: 2,
      attributes: attributes([0, 10, 20, 30, 40, 50, 60], "down"),
    }),
  );
  assert.strictEqual((await depth.coordinates()).northUp, false);
  const plain = await openMrc(
    await compress(new Float32Array(2 * 7 * 5), [2, 7, 5], { levels: 2 }),
  );
  const p = levelCoordinates(plain.header, null, 1, [1, 2]);
  assert.deepStrictEqual([p.y.name, p.y.indexed, p.northUp], [null, true, false]);
  assert.deepStrictEqual([...p.x.values], [0, 1, 2, 3, 4]);
  assert.deepStrictEqual([...p.time!.values], [1]);
  assert.strictEqual(p.time!.dates, null);
});
