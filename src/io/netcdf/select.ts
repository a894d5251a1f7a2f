/**
 * Selections by coordinate value: the text form of a selection (`"85000"`, `"850.0"`, `"#3"`,
 * `"1990-01-15"`, `"1990-01:1990-06"`) resolved against a dimension's coordinate variable to an
 * index or a range of indices, CF time coordinates (`"days since 1950-01-01"`, with their
 * calendar) included.
 *
 * @module
 */

import type { MrcAttribute } from "../../../format/attributes.ts";

/** What a dimension offers a selection: its size, and its coordinate variable if it has one. */
export interface SelectableDimension {
  name: string;
  size: number;
  /** The coordinate values, or null. */
  values: number[] | null;
  /** The coordinate variable's attributes (`units`, `calendar`). */
  attributes: Record<string, MrcAttribute>;
}

/** One end (or the whole) of a selection in its text form. */
type Term =
  | { kind: "index"; index: number; text: string }
  | { kind: "integer"; value: number; text: string }
  | { kind: "value"; value: number; text: string }
  | { kind: "date"; start: CivilTime; end: CivilTime; text: string };

/** A date and time of a calendar, as written. */
interface CivilTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const ISO = String
  .raw`-?\d{4}-\d{1,2}(?:-\d{1,2}(?:[T ]\d{1,2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?Z?)?)?`;
const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;
const TERM = `(?:#\\d+|${ISO}|${NUMBER})`;
const FORM = new RegExp(`^(${TERM})?(?:(:)(${TERM})?)?$`);

/** Parses one term: `#I` an index, an integer, a number with a point or an exponent, a date. */
function parseTerm(text: string): Term {
  if (text.startsWith("#")) return { kind: "index", index: Number(text.slice(1)), text };
  const date = new RegExp(`^${ISO}$`).exec(text);
  if (date) return { kind: "date", ...dateWindow(text), text };
  const value = Number(text);
  return /^[-+]?\d+$/.test(text)
    ? { kind: "integer", value, text }
    : { kind: "value", value, text };
}

/** The span of time a date written to some precision covers: `1990-01` is the whole month. */
function dateWindow(text: string): { start: CivilTime; end: CivilTime } {
  const m =
    /^(-?\d{4})-(\d{1,2})(?:-(\d{1,2})(?:[T ](\d{1,2})(?::(\d{2})(?::(\d{2}(?:\.\d+)?))?)?)?)?Z?$/
      .exec(text)!;
  const start: CivilTime = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: m[3] === undefined ? 1 : Number(m[3]),
    hour: m[4] === undefined ? 0 : Number(m[4]),
    minute: m[5] === undefined ? 0 : Number(m[5]),
    second: m[6] === undefined ? 0 : Number(m[6]),
  };
  if (start.month < 1 || start.month > 12 || start.day < 1 || start.day > 31) {
    throw new RangeError(`"${text}" is not a date (YYYY-MM-DD)`);
  }
  const end = { ...start };
  if (m[3] === undefined) {
    end.month++;
    if (end.month > 12) [end.year, end.month] = [end.year + 1, 1];
  } else if (m[4] === undefined) end.day++;
  else if (m[5] === undefined) end.hour++;
  else if (m[6] === undefined) end.minute++;
  else end.second += m[6].includes(".") ? 10 ** -(m[6].length - m[6].indexOf(".") - 1) : 1;
  return { start, end };
}

/** A CF time axis: days of a calendar since an epoch, in the coordinate's units. */
interface TimeAxis {
  /** Days of the unit (`hours` = 1/24). */
  unitDays: number;
  /** Day number of the reference date in the calendar. */
  epoch: number;
  calendar: string;
}

const UNIT_DAYS: Record<string, number> = {
  second: 1 / 86400,
  seconds: 1 / 86400,
  sec: 1 / 86400,
  secs: 1 / 86400,
  s: 1 / 86400,
  minute: 1 / 1440,
  minutes: 1 / 1440,
  min: 1 / 1440,
  mins: 1 / 1440,
  hour: 1 / 24,
  hours: 1 / 24,
  hr: 1 / 24,
  hrs: 1 / 24,
  h: 1 / 24,
  day: 1,
  days: 1,
  d: 1,
};

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Day number of a civil time in `calendar` (fractional: the time of day). */
function dayNumber(t: CivilTime, calendar: string): number {
  const frac = t.hour / 24 + t.minute / 1440 + t.second / 86400;
  // Days and months past their end carry over (a window's end may be "day 32").
  switch (calendar) {
    case "360_day":
      return t.year * 360 + (t.month - 1) * 30 + (t.day - 1) + frac;
    case "noleap":
    case "365_day":
    case "all_leap":
    case "366_day": {
      const leap = calendar === "all_leap" || calendar === "366_day";
      let days = t.year * (leap ? 366 : 365);
      for (let m = 1; m < t.month; m++) days += MONTH_DAYS[m - 1] + (leap && m === 2 ? 1 : 0);
      return days + t.day - 1 + frac;
    }
    default: {
      const d = new Date(0);
      d.setUTCFullYear(t.year, t.month - 1, t.day);
      return Math.floor(d.getTime() / 86400000) + frac;
    }
  }
}

/** The civil time of a day number in `calendar`, as ISO text (seconds shown when not 0). */
function dayText(n: number, calendar: string): string {
  const whole = Math.floor(n + 1e-9);
  const secondsOfDay = Math.round((n - whole) * 86400);
  let year: number, month: number, day: number;
  if (calendar === "360_day") {
    year = Math.floor(whole / 360);
    const r = whole - year * 360;
    [month, day] = [Math.floor(r / 30) + 1, (r % 30) + 1];
  } else if (["noleap", "365_day", "all_leap", "366_day"].includes(calendar)) {
    const leap = calendar === "all_leap" || calendar === "366_day";
    const yearDays = leap ? 366 : 365;
    year = Math.floor(whole / yearDays);
    let r = whole - year * yearDays;
    month = 1;
    while (r >= MONTH_DAYS[month - 1] + (leap && month === 2 ? 1 : 0)) {
      r -= MONTH_DAYS[month - 1] + (leap && month === 2 ? 1 : 0);
      month++;
    }
    day = r + 1;
  } else {
    const d = new Date(whole * 86400000);
    [year, month, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
  }
  const p = (v: number, n = 2) => String(v).padStart(n, "0");
  const date = `${year < 0 ? "-" : ""}${p(Math.abs(year), 4)}-${p(month)}-${p(day)}`;
  if (secondsOfDay === 0) return date;
  const [h, mi, s] = [
    Math.floor(secondsOfDay / 3600),
    Math.floor(secondsOfDay / 60) % 60,
    secondsOfDay % 60,
  ];
  return `${date}T${p(h)}:${p(mi)}${s ? `:${p(s)}` : ""}`;
}

/** The CF time axis of a coordinate (`units` of the form `"<unit> since <date>"`), or null. */
function timeAxis(d: SelectableDimension): TimeAxis | null {
  const units = d.attributes.units?.value;
  if (typeof units !== "string") return null;
  const m =
    /^\s*(\w+)\s+since\s+(-?\d{1,4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}(?:\.\d*)?))?)?/i
      .exec(units);
  if (!m) return null;
  const unitDays = UNIT_DAYS[m[1].toLowerCase()];
  const cal = d.attributes.calendar?.value;
  const calendar = (typeof cal === "string" ? cal.trim().toLowerCase() : "") || "standard";
  const known = [
    "standard",
    "gregorian",
    "proleptic_gregorian",
    "noleap",
    "365_day",
    "all_leap",
    "366_day",
    "360_day",
  ];
  if (unitDays === undefined || !known.includes(calendar)) {
    throw new RangeError(
      `dimension "${d.name}" has time units "${units}"${
        typeof cal === "string" ? ` and calendar "${cal}"` : ""
      }, which dates cannot be matched against (units: seconds, minutes, hours or days; calendars: ${
        known.join(", ")
      }): select by index (#I) or by value`,
    );
  }
  const ref: CivilTime = {
    year: Number(m[2]),
    month: Number(m[3]),
    day: Number(m[4]),
    hour: Number(m[5] ?? 0),
    minute: Number(m[6] ?? 0),
    second: Number(m[7] ?? 0),
  };
  return { unitDays, epoch: dayNumber(ref, calendar), calendar };
}

/** Whether coordinate `c` is the value `v` (float32 coordinates hold 850.0 exactly, 0.1 not). */
function sameValue(c: number, v: number): boolean {
  return c === v || Math.abs(c - v) <= 1e-6 * Math.max(Math.abs(c), Math.abs(v));
}

/** A coordinate value as the user would write it: a date on a time axis, else the number. */
function describe(d: SelectableDimension, axis: TimeAxis | null, i: number): string {
  const c = d.values![i];
  const text = axis ? dayText(axis.epoch + c * axis.unitDays, axis.calendar) : String(c);
  return `${text} (index ${i})`;
}

/** The two coordinate values nearest `target`, as `describe` writes them. */
function nearest(d: SelectableDimension, axis: TimeAxis | null, target: number): string {
  const order = d.values!.map((c, i) => [Math.abs(c - target), i] as const)
    .sort((a, b) => a[0] - b[0]).slice(0, 2).map(([, i]) => i).sort((a, b) => a - b);
  return order.map((i) => describe(d, axis, i)).join(", ");
}

/**
 * Indices `[a, b)` a term covers: its index, its coordinate value, or the coordinates within its
 * date's span; `end` says whether it ends a range (then a value or a date includes what it
 * names).
 */
function resolveTerm(
  d: SelectableDimension,
  term: Term,
  where: string,
): { first: number; last: number } {
  const { name, size } = d;
  const outside = (i: number) =>
    new RangeError(`${where}: index ${i} of dimension "${name}" is outside 0..${size - 1}`);
  if (term.kind === "index") {
    if (term.index >= size) throw outside(term.index);
    return { first: term.index, last: term.index };
  }
  const values = d.values;
  if (term.kind === "integer") {
    const i = term.value;
    const valueAt = values ? values.findIndex((c) => sameValue(c, i)) : -1;
    const isIndex = i >= 0 && i < size;
    if (isIndex && valueAt >= 0 && valueAt !== i) {
      throw new RangeError(
        `${where}: ${name}=${term.text} is both index ${i} (${name} ${
          values![i]
        }) and the ${name} value ${term.text} (index ${valueAt}): write ${name}=#${i} for the index or ${name}=${term.text}.0 for the value`,
      );
    }
    if (isIndex) return { first: i, last: i };
    if (valueAt >= 0) return { first: valueAt, last: valueAt };
    if (!values) throw outside(i);
    const axis = timeAxisOrNull(d);
    const near = axis
      ? `its times run from ${describe(d, axis, 0)} to ${
        describe(d, axis, size - 1)
      }; a date is written YYYY-MM or YYYY-MM-DD`
      : `nearest: ${nearest(d, null, i)}`;
    throw new RangeError(
      `${where}: ${name}=${term.text} is neither an index (0..${
        size - 1
      }) nor a ${name} value (${near})`,
    );
  }
  if (!values) {
    throw new RangeError(
      `${where}: dimension "${name}" has no coordinate variable to match ${term.text} against: select by index`,
    );
  }
  if (term.kind === "value") {
    const at = values.findIndex((c) => sameValue(c, term.value));
    if (at < 0) {
      throw new RangeError(
        `${where}: no ${name} value is ${term.text} (nearest: ${
          nearest(d, timeAxisOrNull(d), term.value)
        })`,
      );
    }
    return { first: at, last: at };
  }
  const axis = timeAxis(d);
  if (!axis) {
    throw new RangeError(
      `${where}: dimension "${name}" is not a CF time axis (units "<unit> since <date>"), so ${term.text} cannot be matched: select by index or value`,
    );
  }
  const lo = (dayNumber(term.start, axis.calendar) - axis.epoch) / axis.unitDays;
  const hi = (dayNumber(term.end, axis.calendar) - axis.epoch) / axis.unitDays;
  const inside = values.flatMap((c, i) => c >= lo - 1e-9 && c < hi - 1e-9 ? [i] : []);
  if (inside.length === 0) {
    throw new RangeError(
      `${where}: no ${name} value on ${term.text} (nearest: ${nearest(d, axis, lo)})`,
    );
  }
  return { first: inside[0], last: inside[inside.length - 1] };
}

function axisOf(d: SelectableDimension, axis: TimeAxis | null): TimeAxis | null {
  return axis ?? timeAxisOrNull(d);
}

function timeAxisOrNull(d: SelectableDimension): TimeAxis | null {
  try {
    return timeAxis(d);
  } catch {
    return null;
  }
}

/**
 * Resolves the text form of a selection along dimension `d` to an index (the dimension is
 * dropped) or a range `[a, b)` of indices (kept). The text form:
 * - an integer: an index (`level=0`); one outside the indices that is a coordinate value is that
 *   value (`plev=85000`); one that is both an index and, at another index, a coordinate value is
 *   refused as ambiguous;
 * - `#I`: the index I;
 * - a number with a point or an exponent (`850.0`, `8.5e4`): the coordinate value;
 * - an ISO 8601 date or time on a CF time axis (`1990-01-15`, `1990-01`, `1990-01-15T12:00`):
 *   the one time within it (all of them within a range);
 * - `A:B`: with two indices, the indices `[A, B)`; with values or dates, every index whose
 *   coordinate lies from A to B, both included; an end may be left out (`1990-01:`).
 *
 * @param d The dimension, with its coordinate variable.
 * @param text The selection's text.
 * @param where Names the file and the variable in errors.
 * @returns An index or a range `[start, end)`.
 * @throws {RangeError} When nothing matches (naming the nearest values), the text is not of the
 *   form, or an index is out of range.
 */
export function resolveSelection(
  d: SelectableDimension,
  text: string,
  where: string,
): number | [number, number] {
  const m = FORM.exec(text.trim());
  if (!m || (m[1] === undefined && m[2] === undefined)) {
    throw new RangeError(
      `${where}: cannot read the selection ${d.name}=${text}: expected an index, #INDEX, a value, a date (YYYY-MM-DD) or A:B`,
    );
  }
  if (m[2] === undefined) {
    const term = parseTerm(m[1]);
    const { first, last } = resolveTerm(d, term, where);
    if (first !== last) {
      const axis = timeAxisOrNull(d);
      throw new RangeError(
        `${where}: ${d.name}=${text} matches ${last - first + 1} values (${
          describe(d, axis, first)
        } to ${describe(d, axis, last)}): give one, or a range ${d.name}=A:B`,
      );
    }
    return first;
  }
  const a = m[1] === undefined ? null : parseTerm(m[1]);
  const b = m[3] === undefined ? null : parseTerm(m[3]);
  const size = d.size;
  // Indices [A, B) when both ends are indices (`#I`, or integers within 0..size), as before
  // values could be given.
  const asIndex = (t: Term | null, open: number) =>
    t === null
      ? open
      : t.kind === "index"
      ? t.index
      : t.kind === "integer" && t.value >= 0 && t.value <= size
      ? t.value
      : null;
  const [start, end] = [asIndex(a, 0), asIndex(b, size)];
  if (start !== null && end !== null && (a?.kind !== "date" && b?.kind !== "date")) {
    if (start >= end || end > size) {
      throw new RangeError(
        `${where}: range ${start}:${end} of dimension "${d.name}" is not within 0:${size} or is empty`,
      );
    }
    return [start, end];
  }
  if (a?.kind === "index" || b?.kind === "index") {
    throw new RangeError(
      `${where}: ${d.name}=${text} mixes an index (#I) with a value: give two indices or two values`,
    );
  }
  const values = d.values;
  if (!values) {
    throw new RangeError(
      `${where}: dimension "${d.name}" has no coordinate variable to match ${text} against: select by index`,
    );
  }
  // Values: every coordinate from A to B, both included, whichever way the axis runs; dates:
  // from the start of A's span to the end of B's.
  const axis = a?.kind === "date" || b?.kind === "date" ? timeAxis(d) : null;
  if ((a?.kind === "date" || b?.kind === "date") && !axis) {
    throw new RangeError(
      `${where}: dimension "${d.name}" is not a CF time axis (units "<unit> since <date>"), so ${text} cannot be matched: select by index or value`,
    );
  }
  const bound = (t: Term | null, atEnd: boolean): number => {
    if (t === null) return atEnd ? Infinity : -Infinity;
    if (t.kind === "date") {
      const day = dayNumber(atEnd ? t.end : t.start, axis!.calendar);
      return (day - axis!.epoch) / axis!.unitDays - (atEnd ? 1e-9 : 0);
    }
    return (t as { value: number }).value;
  };
  let lo = bound(a, false), hi = bound(b, true);
  if (lo > hi && a?.kind !== "date" && b?.kind !== "date") [lo, hi] = [hi, lo];
  const inside = values.flatMap((c, i) =>
    (c >= lo || sameValue(c, lo)) && (c <= hi || sameValue(c, hi)) ? [i] : []
  );
  if (inside.length === 0) {
    const near = Number.isFinite(lo) ? lo : hi;
    throw new RangeError(
      `${where}: no ${d.name} value within ${text} (nearest: ${nearest(d, axisOf(d, axis), near)})`,
    );
  }
  const first = inside[0], last = inside[inside.length - 1];
  if (last - first + 1 !== inside.length) {
    throw new RangeError(
      `${where}: the ${d.name} values within ${text} are not contiguous (the coordinate is not monotonic): select by index`,
    );
  }
  return [first, last + 1];
}
