// This module is browser compatible.
/**
 * Where a decoded level lies: the coordinate value of each output row, column and snapshot, read
 * from the source's coordinate variables (the `ATTR` chunk, SPEC.md §4.8) and sampled exactly as
 * the level samples the original rows and columns ({@linkcode DecodedLevel.rows}), with the
 * orientation a map is drawn in (north up when the Y coordinate increases), and the dates of a
 * CF time coordinate (`units: "days since 1950-01-01"`, `calendar`).
 *
 * @module
 */

import type { MrcAttribute, MrcAttributes, MrcDimension } from "../../format/attributes.ts";
import type { MrcHeader } from "../../format/header.ts";
import { levelExtent } from "./output.ts";

/** One axis of a decoded level: a coordinate value per output row (or column, or snapshot). */
export interface CoordinateAxis {
  /** The dimension's name in the source (`"lat"`, `"COADSY"`), or null without an `ATTR` chunk. */
  name: string | null;
  /** The coordinate variable's `units` (`"degrees_north"`), or null when it has none. */
  units: string | null;
  /**
   * One value per output row, column or snapshot: the coordinate variable's value at the original
   * index it samples, or that index itself when the source has no coordinate variable (`indexed`).
   */
  values: Float64Array;
  /** The original index each value samples (`DecodedLevel.rows`, `.cols`, or the snapshot). */
  indices: Int32Array;
  /** True when `values` are the indices: the file has no coordinate values for this axis. */
  indexed: boolean;
  /**
   * True when the coordinate increases along the axis (its last value of the whole axis is above
   * its first; true for indices and for an axis of one value).
   */
  increasing: boolean;
  /** The coordinate variable's attributes (`axis`, `positive`, `calendar`, ...); empty without. */
  attributes: Record<string, MrcAttribute>;
}

/** The axis of the snapshots, with dates when it is a CF time coordinate. */
export interface TimeAxis extends CoordinateAxis {
  /** The `calendar` attribute, lowercased; `"standard"` when absent. */
  calendar: string;
  /**
   * One date per snapshot (`"1950-01-16"`, `"1950-01-16 06:00"`, `"...:30"`), when the units read
   * `UNIT since DATE` in a calendar this module knows; else null.
   */
  dates: string[] | null;
}

/** The coordinates of one decoded level, from {@linkcode levelCoordinates}. */
export interface LevelCoordinates {
  /** The level. */
  level: number;
  /** The snapshot range `[start, end)` of `time`. */
  snapshots: [number, number];
  /** Rows: the second-to-last dimension (latitude on a map). */
  y: CoordinateAxis;
  /** Columns: the last dimension (longitude on a map). */
  x: CoordinateAxis;
  /**
   * The first dimension of 3-D data (time, or what stands for it: levitus's depth levels), one
   * value per snapshot of `snapshots`; null for a single 2-D field (`inputShape` `[H, W]`).
   */
  time: TimeAxis | null;
  /**
   * How to draw rows: true when the last row goes at the top, because the Y coordinate increases
   * (ascending latitude) and its `positive` attribute is not `"down"`. False for row 0 at the top:
   * a decreasing Y, a depth, or no coordinates (the array's own order).
   */
  northUp: boolean;
  /** How to draw columns: true (column 0 at the left) unless the X coordinate decreases. */
  eastRight: boolean;
}

const text = (a: MrcAttribute | undefined): string | null =>
  a && typeof a.value === "string" && a.value.trim() !== "" ? a.value.trim() : null;

function axis(
  dim: MrcDimension | undefined,
  indices: Int32Array,
): CoordinateAxis {
  const source = dim?.values ?? null;
  const values = new Float64Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    values[i] = source === null ? indices[i] : source[indices[i]];
  }
  const first = source?.[0], last = source?.[source.length - 1];
  return {
    name: dim?.name ?? null,
    units: text(dim?.attributes.units),
    values,
    indices,
    indexed: source === null,
    increasing: source === null || !(last! < first!),
    attributes: dim?.attributes ?? {},
  };
}

/**
 * The coordinates of `level` of a file: the values its output rows, columns and snapshots sample.
 * {@linkcode MrcFile.coordinates} is the usual way to call it.
 *
 * @param header The file's header.
 * @param attributes The file's `ATTR` chunk (`readAttributes()`), or null: then every axis is
 *   its indices, unnamed, and rows are drawn top down.
 * @param level The level (0 = coarsest).
 * @param snapshots The snapshot range `[start, end)` of the time axis. Default all.
 * @returns The axes and the orientation.
 * @throws {RangeError} For a level or a snapshot range the file does not have.
 *
 * @example Latitudes of a level, and north up when they ascend
 * ```ts
 * import assert from "node:assert";
 * import { compress, openMrc } from "../../mod.ts";
 *
 * const lat = [-40, -30, -20, -10, 0, 10, 20, 30, 40];
 * const bytes = await compress(new Float32Array(2 * 9 * 9).map((_, i) => i % 7), [2, 9, 9], {
 *   levels: 2,
 *   attributes: {
 *     variable: { name: "t", type: "float", attributes: {} },
 *     dimensions: [
 *       { name: "time", size: 2, values: [0, 31], type: "double", attributes: { units: { type: "char", value: "days since 2000-01-01" } } },
 *       { name: "lat", size: 9, values: lat, type: "double", attributes: { units: { type: "char", value: "degrees_north" } } },
 *       { name: "lon", size: 9, values: lat.map((v) => v + 40), type: "double", attributes: {} },
 *     ],
 *     selected: [], global: {}, source: {},
 *   },
 * });
 * const file = await openMrc(bytes);
 * const coarse = await file.coordinates(0);
 * assert.deepStrictEqual([...coarse.y.values], [-30, -10, 10, 30]); // rows 1, 3, 5, 7
 * assert.strictEqual(coarse.northUp, true);
 * assert.deepStrictEqual(coarse.time?.dates, ["2000-01-01", "2000-02-01"]);
 * ```
 */
export function levelCoordinates(
  header: MrcHeader,
  attributes: MrcAttributes | null,
  level: number,
  snapshots?: [number, number],
): LevelCoordinates {
  if (!Number.isInteger(level) || level < 0 || level >= header.levels.length) {
    throw new RangeError(
      `Cannot give the coordinates of level ${level}: the file has levels 0 to ${
        header.levels.length - 1
      }`,
    );
  }
  const T = header.shape[0];
  const [start, end] = snapshots ?? [0, T];
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > T || start >= end) {
    throw new RangeError(
      `Cannot give the coordinates of snapshots [${start}, ${end}): the file has 0 to ${T}`,
    );
  }
  const e = levelExtent(header, level);
  const dims = attributes?.dimensions ?? [];
  const rank = (header.inputShape ?? header.shape).length;
  // The dimensions name the input's axes in order: [H, W] or [T, H, W].
  const [yDim, xDim] = dims.length >= 2 ? dims.slice(-2) : [undefined, undefined];
  const y = axis(yDim, e.rows);
  const x = axis(xDim, e.cols);
  let time: TimeAxis | null = null;
  if (rank === 3) {
    const t = axis(dims.length === 3 ? dims[0] : undefined, range(start, end));
    const calendar = (text(t.attributes.calendar) ?? "standard").toLowerCase();
    const dates = t.units && !t.indexed ? formatTimes(t.values, t.units, calendar) : null;
    time = { ...t, calendar, dates };
  }
  const positive = text(y.attributes.positive)?.toLowerCase();
  return {
    level,
    snapshots: [start, end],
    y,
    x,
    time,
    northUp: !y.indexed && y.increasing && positive !== "down",
    eastRight: x.increasing,
  };
}

function range(start: number, end: number): Int32Array {
  const out = new Int32Array(end - start);
  for (let i = 0; i < out.length; i++) out[i] = start + i;
  return out;
}

// ---------------------------------------------------------------------------------------------
// CF time: "UNIT since REFERENCE" in a calendar (CF conventions §4.4.1).

const UNIT_SECONDS: Record<string, number> = {};
for (
  const [names, seconds] of [
    [["second", "seconds", "sec", "secs", "s"], 1],
    [["minute", "minutes", "min", "mins"], 60],
    [["hour", "hours", "hr", "hrs", "h"], 3600],
    [["day", "days", "d"], 86400],
    [["week", "weeks"], 7 * 86400],
  ] as const
) {
  for (const name of names) UNIT_SECONDS[name] = seconds;
}

/** Days of each month in the fixed-length calendars; null: the calendar has leap years. */
const FIXED: Record<string, number[]> = {
  noleap: [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
  "365_day": [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
  all_leap: [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
  "366_day": [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
  "360_day": Array(12).fill(30),
};
const LEAP = new Set(["standard", "gregorian", "proleptic_gregorian", "julian"]);

interface Civil {
  year: number;
  month: number;
  day: number;
  /** Seconds into the day. */
  seconds: number;
}

/** "1950-01-01", "1950-1-1 6:00", "1950-01-01T00:00:00Z", "2000-01-01 00:00:00.0 -6:00". */
function parseReference(text: string): Civil | null {
  const m =
    /^\s*(-?\d{1,6})-(\d{1,2})-(\d{1,2})(?:[T\s]+(\d{1,2})(?::(\d{1,2})(?::(\d{1,2}(?:\.\d*)?))?)?)?\s*(Z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?)?\s*$/i
      .exec(text);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let seconds = Number(m[4] ?? 0) * 3600 + Number(m[5] ?? 0) * 60 + Number(m[6] ?? 0);
  const zone = m[7] && /^[+-]/.test(m[7]) ? /^([+-])(\d{1,2}):?(\d{2})?$/.exec(m[7]) : null;
  if (zone) {
    // A reference in a zone east of UTC is earlier in UTC.
    const offset = Number(zone[2]) * 3600 + Number(zone[3] ?? 0) * 60;
    seconds -= zone[1] === "+" ? offset : -offset;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  return { year, month, day, seconds };
}

const floorDiv = (a: number, b: number) => Math.floor(a / b);

/** Julian day number of a date of the Gregorian (or Julian) calendar, astronomical years. */
function dayNumber(c: Civil, julian: boolean): number {
  const a = floorDiv(14 - c.month, 12);
  const y = c.year + 4800 - a;
  const m = c.month + 12 * a - 3;
  const days = c.day + floorDiv(153 * m + 2, 5) + 365 * y + floorDiv(y, 4);
  return julian ? days - 32083 : days - floorDiv(y, 100) + floorDiv(y, 400) - 32045;
}

/** The date of a Julian day number, in the Gregorian (or Julian) calendar. */
function civilOf(jdn: number, julian: boolean): Omit<Civil, "seconds"> {
  let c: number, b: number;
  if (julian) {
    b = 0;
    c = jdn + 32082;
  } else {
    const a = jdn + 32044;
    b = floorDiv(4 * a + 3, 146097);
    c = a - floorDiv(146097 * b, 4);
  }
  const d = floorDiv(4 * c + 3, 1461);
  const e = c - floorDiv(1461 * d, 4);
  const m = floorDiv(5 * e + 2, 153);
  return {
    day: e - floorDiv(153 * m + 2, 5) + 1,
    month: m + 3 - 12 * floorDiv(m, 10),
    year: 100 * b + d - 4800 + floorDiv(m, 10),
  };
}

/** The first day of the Gregorian calendar in the "standard" calendar: 1582-10-15. */
const GREGORIAN_START = 2299161;

/** Day count and its inverse in one calendar. */
function calendarOf(name: string): {
  toDays: (c: Civil) => number;
  fromDays: (d: number) => Omit<Civil, "seconds">;
} | null {
  const months = FIXED[name];
  if (months) {
    const yearLength = months.reduce((a, b) => a + b, 0);
    const before = months.map((_, i) => months.slice(0, i).reduce((a, b) => a + b, 0));
    return {
      toDays: (c) => c.year * yearLength + before[c.month - 1] + c.day - 1,
      fromDays(d) {
        const year = floorDiv(d, yearLength);
        let rest = d - year * yearLength, month = 0;
        while (month < 11 && rest >= months[month]) rest -= months[month++];
        return { year, month: month + 1, day: rest + 1 };
      },
    };
  }
  if (!LEAP.has(name)) return null;
  if (name === "julian") {
    return { toDays: (c) => dayNumber(c, true), fromDays: (d) => civilOf(d, true) };
  }
  if (name === "proleptic_gregorian") {
    return { toDays: (c) => dayNumber(c, false), fromDays: (d) => civilOf(d, false) };
  }
  // "standard" (= "gregorian"): Julian before 1582-10-15, Gregorian from it.
  return {
    toDays(c) {
      const g = dayNumber(c, false);
      return g >= GREGORIAN_START ? g : dayNumber(c, true);
    },
    fromDays: (d) => civilOf(d, d < GREGORIAN_START),
  };
}

const pad = (v: number, n = 2) => String(Math.abs(v)).padStart(n, "0");

/**
 * Dates of CF time values: `values` in `units` (`"hours since 1800-01-01 00:00"`) and `calendar`
 * (`standard`/`gregorian` (Julian before 1582-10-15), `proleptic_gregorian`, `julian`, `noleap`/
 * `365_day`, `all_leap`/`366_day`, `360_day`). A date is `YYYY-MM-DD`, with ` hh:mm` when not
 * midnight and `:ss` when the seconds are not 0, rounded to the second. A reference in year 0
 * (climatologies: `"hour since 0000-01-01"`) counts year 0 as a year of the Julian or Gregorian
 * rules (a leap year), as udunits does.
 *
 * @param values The time values.
 * @param units `UNIT since DATE`; UNIT one of seconds, minutes, hours, days, weeks (and their
 *   abbreviations); `months` and `years` only in the `360_day` calendar (30 and 360 days).
 * @param calendar The calendar, any case. Default `"standard"`.
 * @returns One date per value, or null when the units or the calendar are not of this kind.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { formatTimes } from "./coordinates.ts";
 *
 * assert.deepStrictEqual(formatTimes([0, 36.5], "hours since 2000-02-28 12:00"), ["2000-02-28 12:00", "2000-03-01 00:30"]);
 * assert.deepStrictEqual(formatTimes([59], "days since 2001-01-01", "noleap"), ["2001-03-01"]);
 * assert.strictEqual(formatTimes([1], "meters"), null);
 * ```
 */
export function formatTimes(
  values: ArrayLike<number>,
  units: string,
  calendar = "standard",
): string[] | null {
  const m = /^\s*([a-z]+)\s+(?:since|after|from)\s+(.+)$/i.exec(units);
  if (!m) return null;
  const name = calendar.toLowerCase() === "gregorian" ? "standard" : calendar.toLowerCase();
  const cal = calendarOf(name);
  const reference = parseReference(m[2]);
  if (!cal || !reference) return null;
  const unit = m[1].toLowerCase();
  let seconds: number | undefined = UNIT_SECONDS[unit];
  if (seconds === undefined && name === "360_day") {
    seconds = { month: 30, months: 30, year: 360, years: 360 }[unit]! * 86400;
  }
  if (!seconds) return null;
  const base = cal.toDays(reference) * 86400 + reference.seconds;
  const out: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out.push(String(v));
      continue;
    }
    const total = Math.round(base + v * seconds);
    const days = floorDiv(total, 86400);
    const s = total - days * 86400;
    const { year, month, day } = cal.fromDays(days);
    let date = `${year < 0 ? "-" : ""}${pad(year, 4)}-${pad(month)}-${pad(day)}`;
    if (s !== 0) {
      date += ` ${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}`;
      if (s % 60 !== 0) date += `:${pad(s % 60)}`;
    }
    out.push(date);
  }
  return out;
}

/**
 * Tick values for an axis from `lo` to `hi`: multiples of a step of 1, 2, 2.5 or 5 times a power
 * of ten, about `count` of them (the viewer's and `preview`'s axes).
 *
 * @param lo The lower end.
 * @param hi The upper end.
 * @param count About how many ticks.
 * @returns The ticks in `[lo, hi]`, ascending; `[lo]` when `hi <= lo`.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { niceTicks } from "./coordinates.ts";
 *
 * assert.deepStrictEqual(niceTicks(-89, 89, 6), [-50, 0, 50]);
 * assert.deepStrictEqual(niceTicks(0, 1, 4), [0, 0.25, 0.5, 0.75, 1]);
 * assert.deepStrictEqual(niceTicks(21, 379, 4), [100, 200, 300]);
 * ```
 */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return Number.isFinite(lo) ? [lo] : [];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return out;
}
