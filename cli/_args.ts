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
 * that read as numbers are joined; arguments after `--` are left alone.
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
      /^-(\d|\.\d|inf)/i.test(next) && !Number.isNaN(Number(next))
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
  const m = /^(\d*):(\d*)$/.exec(value);
  if (!m) throw new Error(`--${what} must be A:B, found "${value}"`);
  return [m[1] === "" ? 0 : Number(m[1]), m[2] === "" ? Infinity : Number(m[2])];
}

export { formatBytes } from "../src/units.ts";
