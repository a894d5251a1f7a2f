/**
 * Argument parsing shared by the commands: numbers, lists, ranges, and byte sizes for output.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";

/**
 * `parseArgs` of `node:util`, with negative numbers accepted as option values both as
 * `--fill=-9999` and as `--fill -9999` (see {@linkcode joinNegativeValues}).
 */
export function parseCommand<T extends ParseArgsConfig & { args: string[] }>(
  config: T,
): ReturnType<typeof parseArgs<T>> {
  const options = (config.options ?? {}) as Record<
    string,
    { type: "string" | "boolean"; short?: string }
  >;
  return parseArgs({ ...config, args: joinNegativeValues(config.args, options) });
}

/** Options every command that writes a file takes: `-o FILE`, `--force`, `--help`. */
export const OUTPUT_OPTIONS = {
  output: { type: "string", short: "o" },
  force: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Joins `--name -9999` into `--name=-9999` for options that take a value, so that negative
 * numbers work both ways (`parseArgs` calls a value starting with `-` "ambiguous"). Only values
 * that start with a minus and a digit (`-1`, `-.5`, `-1:2`, which no flag does) or read as
 * `-Infinity` are joined, so that the option's own check names what is wrong with them;
 * arguments after `--` are left alone.
 */
export function joinNegativeValues(
  args: readonly string[],
  options: Record<string, { type: "string" | "boolean"; short?: string }>,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") return out.concat(args.slice(i));
    const name = a.startsWith("--")
      ? a.slice(2)
      : /^-[a-zA-Z]$/.test(a)
      ? Object.keys(options).find((k) => options[k].short === a[1])
      : undefined;
    const next = args[i + 1];
    if (
      name !== undefined && options[name]?.type === "string" && next !== undefined &&
      (/^-\.?\d/.test(next) || (/^-inf/i.test(next) && !Number.isNaN(Number(next))))
    ) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** A comma-separated list of numbers, or undefined when the option is absent. */
export function parseList(value: string | undefined, what: string): number[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(",").map((v) => Number(v.trim()));
  if (list.some((v) => !Number.isFinite(v))) {
    throw new Error(`--${what} must be a comma-separated list of numbers, found "${value}"`);
  }
  return list;
}

/** A finite number (an integer with `integer`), or undefined when the option is absent. */
export function parseNumber(
  value: string | undefined,
  what: string,
  integer = false,
): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new Error(`--${what} must be ${integer ? "an integer" : "a number"}, found "${value}"`);
  }
  return v;
}

/** `"1,1;1,1;2"`: channels of each widening group, levels separated by `;`. */
export function parseGroups(value: string | undefined): number[][] | undefined {
  if (value === undefined) return undefined;
  return value.split(";").map((level) =>
    level.trim() === "" ? [] : level.split(",").map((v) => {
      const n = Number(v.trim());
      if (!Number.isInteger(n) || n < 1) {
        throw new Error(`--groups must be like "1,1;1,1;2,2", found "${value}"`);
      }
      return n;
    })
  );
}

/** `A:B` (either end may be empty): a snapshot range, with `Infinity` for an open end. */
export function parseRange(value: string | undefined, what: string): [number, number] | undefined {
  if (value === undefined) return undefined;
  const m = /^(-?\d*):(-?\d*)$/.exec(value);
  if (!m) throw new Error(`--${what} must be A:B, found "${value}"`);
  const [start, end] = [m[1] === "" ? 0 : Number(m[1]), m[2] === "" ? Infinity : Number(m[2])];
  if (m[1] === "-" || m[2] === "-") throw new Error(`--${what} must be A:B, found "${value}"`);
  if (start < 0) throw new Error(`--${what} start must be >= 0, found ${start}`);
  if (end <= start) {
    throw new Error(`--${what} end must be above its start (A:B is [A, B)), found "${value}"`);
  }
  return [start, end];
}

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 2 ** 10,
  kib: 2 ** 10,
  m: 2 ** 20,
  mib: 2 ** 20,
  g: 2 ** 30,
  gib: 2 ** 30,
  t: 2 ** 40,
  tib: 2 ** 40,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
};

/**
 * A byte count: a number with an optional unit, `K`, `M`, `G`, `T` or `KiB`, `MiB`, `GiB`, `TiB`
 * (powers of 1024), `kB`, `MB`, `GB`, `TB` (powers of 1000), case-insensitive: `4G`, `512MiB`,
 * `1.5GB`. Undefined when the option is absent.
 */
export function parseBytes(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? BYTE_UNITS[m[2].toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!(bytes >= 1) || !Number.isSafeInteger(bytes)) {
    throw new Error(
      `--${what} must be a positive number of bytes, optionally with a unit (4G, 512M, 64KiB), found "${value}"`,
    );
  }
  return bytes;
}

export { formatBytes } from "../src/units.ts";
