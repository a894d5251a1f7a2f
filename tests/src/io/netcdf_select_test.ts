import assert from "node:assert";
import { resolveSelection, type SelectableDimension } from "../../../src/io/netcdf/select.ts";

const where = 'f.nc: variable "v"';

function dim(
  name: string,
  values: number[] | null,
  attributes: Record<string, string> = {},
): SelectableDimension {
  return {
    name,
    size: values?.length ?? 5,
    values,
    attributes: Object.fromEntries(
      Object.entries(attributes).map(([k, v]) => [k, { type: "char" as const, value: v }]),
    ),
  };
}

Deno.test("resolveSelection() takes indices, #indices and coordinate values", () => {
  const plev = dim("plev", [100000, 92500, 85000, 50000]);
  assert.strictEqual(resolveSelection(plev, "2", where), 2);
  assert.strictEqual(resolveSelection(plev, "#2", where), 2);
  assert.strictEqual(resolveSelection(plev, "85000", where), 2);
  assert.strictEqual(resolveSelection(plev, "8.5e4", where), 2);
  assert.deepStrictEqual(resolveSelection(plev, "1:3", where), [1, 3]);
  assert.deepStrictEqual(resolveSelection(plev, ":2", where), [0, 2]);
  // Values: both ends included, whichever way the axis runs.
  assert.deepStrictEqual(resolveSelection(plev, "92500:50000", where), [1, 4]);
  assert.deepStrictEqual(resolveSelection(plev, "50000.0:92500.0", where), [1, 4]);
  // float32 coordinates: 0.1 is stored as 0.10000000149.
  const sigma = dim("sigma", [Math.fround(0.1), Math.fround(0.2)]);
  assert.strictEqual(resolveSelection(sigma, "0.2", where), 1);
  assert.throws(
    () => resolveSelection(plev, "85001", where),
    /plev=85001 is neither an index \(0\.\.3\) nor a plev value \(nearest: 92500 \(index 1\), 85000 \(index 2\)\)/,
  );
  assert.throws(
    () => resolveSelection(plev, "#4", where),
    /index 4 of dimension "plev" is outside 0\.\.3/,
  );
  assert.throws(() => resolveSelection(plev, "a=b", where), /cannot read the selection plev=a=b/);
  assert.throws(() => resolveSelection(dim("x", null), "3.5", where), /no coordinate variable/);
});

Deno.test("resolveSelection() refuses an integer that is an index and another index's value", () => {
  const level = dim("level", [1, 2, 3, 4]);
  assert.throws(
    () => resolveSelection(level, "1", where),
    /level=1 is both index 1 \(level 2\) and the level value 1 \(index 0\): write level=#1 for the index or level=1\.0 for the value/,
  );
  assert.strictEqual(resolveSelection(level, "#1", where), 1);
  assert.strictEqual(resolveSelection(level, "1.0", where), 0);
  // Value and index agree: no ambiguity.
  assert.strictEqual(resolveSelection(dim("k", [0, 1, 2]), "1", where), 1);
});

Deno.test("resolveSelection() matches ISO dates on CF time axes of every calendar", () => {
  // Mid-month, standard calendar: 14 = 1990-01-15, 44 = 1990-02-14, 74 = 1990-03-16.
  const time = dim("time", [14, 44, 74], { units: "days since 1990-01-01", calendar: "standard" });
  assert.strictEqual(resolveSelection(time, "1990-02-14", where), 1);
  assert.strictEqual(resolveSelection(time, "1990-02", where), 1);
  assert.strictEqual(resolveSelection(time, "1990-02-14T00", where), 1);
  assert.deepStrictEqual(resolveSelection(time, "1990-01:1990-02", where), [0, 2]);
  assert.deepStrictEqual(resolveSelection(time, "1990-02-01:", where), [1, 3]);
  assert.throws(
    () => resolveSelection(time, "1990-02-15", where),
    /no time value on 1990-02-15 \(nearest: 1990-02-14 \(index 1\), 1990-03-16 \(index 2\)\)/,
  );
  assert.throws(
    () =>
      resolveSelection(
        dim("t", [0, 1, 2, 3], { units: "days since 2000-01-01" }),
        "2000-01",
        where,
      ),
    /t=2000-01 matches 4 values \(2000-01-01 \(index 0\) to 2000-01-04 \(index 3\)\): give one/,
  );
  // Hours since, with a time of day in the reference date.
  const hours = dim("time", [0, 6, 12, 18, 24], { units: "hours since 2020-02-28 00:00:00" });
  assert.strictEqual(resolveSelection(hours, "2020-02-28T12:00", where), 2);
  assert.strictEqual(resolveSelection(hours, "2020-02-29", where), 4);
  assert.throws(() => resolveSelection(hours, "2020-02-28T13", where), /nearest: 2020-02-28T12:00/);
  // noleap: 2001-03-01 is day 59 after 2001-01-01 (as in the standard calendar), 2000 has no Feb 29.
  const noleap = dim("time", [58, 59], { units: "days since 2000-01-01", calendar: "noleap" });
  assert.strictEqual(resolveSelection(noleap, "2000-03-01", where), 1);
  // 360_day: every month has 30 days, so 2000-02-30 exists: day 59.
  const d360 = dim("time", [59, 60], { units: "days since 2000-01-01", calendar: "360_day" });
  assert.strictEqual(resolveSelection(d360, "2000-02-30", where), 0);
  assert.strictEqual(resolveSelection(d360, "2000-03-01", where), 1);
  // all_leap: 2001-02-29 exists (day 366 + 59).
  const leap = dim("time", [425], { units: "days since 2000-01-01", calendar: "all_leap" });
  assert.strictEqual(resolveSelection(leap, "2001-02-29", where), 0);
  assert.throws(
    () =>
      resolveSelection(dim("time", [0], { units: "months since 2000-01-01" }), "2000-01", where),
    /time units "months since 2000-01-01".* select by index/,
  );
  assert.throws(
    () => resolveSelection(dim("lat", [0, 10]), "2000-01", where),
    /"lat" is not a CF time axis/,
  );
});
