/**
 * Argument parsing shared by the commands: the options themselves ({@linkcode parseCommand}, the
 * strict `parseArgs` of `node:util` without importing it), numbers, lists, ranges, and byte sizes
 * for output.
 *
 * @module
 */

// Types only: importing `node:util` itself starts Node's compatibility layer, some 6 ms of every
// command (see parseStrict).
import type { parseArgs, ParseArgsConfig } from "node:util";

/** An option of a command: a flag, or an option that takes a value. */
type OptionSpec = { type: "string" | "boolean"; short?: string };

/**
 * `parseArgs` of `node:util` (strict), with negative numbers accepted as option values both as
 * `--fill=-9999` and as `--fill -9999` (see {@linkcode joinNegativeValues}).
 */
export function parseCommand<T extends ParseArgsConfig & { args: string[] }>(
  config: T,
): ReturnType<typeof parseArgs<T>> {
  const options = (config.options ?? {}) as Record<string, OptionSpec>;
  const args = joinNegativeValues(config.args, options);
  checkOptionNames(args, options);
  return parseStrict(args, options, config.allowPositionals ?? false) as ReturnType<
    typeof parseArgs<T>
  >;
}

/** The error `parseArgs` of `node:util` throws for bad arguments (`ERR_PARSE_ARGS_*`). */
function argsError(code: string, message: string): TypeError {
  return Object.assign(new TypeError(message), { code: `ERR_PARSE_ARGS_${code}` });
}

/**
 * `parseArgs({ args, options, allowPositionals, strict: true })` of `node:util` for options of
 * type string or boolean with an optional short name (no `multiple`, `default` or negation, which
 * no command takes): the same values (a null-prototype object, the last of repeated options),
 * positionals and errors, message for message; `tests/cli/args_test.ts` compares them on
 * generated argument lists. Written here because importing `node:util` starts Node's
 * compatibility layer, about 6 ms of every command's start.
 *
 * The reading of each argument, as Node's `argsToTokens`: `--` ends the options; `-f` (a short
 * option) and `--name` take the next argument, whatever it is, as the value of an option of type
 * string; `-abc` is a group of short options, the first one of type string taking the rest of the
 * group as its value (`-ofile`); `--name=value` has its value inline. Then each option is checked
 * in order: known, a value when (and only when) it takes one, and no value that starts with a
 * dash unless given inline.
 */
export function parseStrict(
  args: readonly string[],
  options: Record<string, OptionSpec>,
  allowPositionals: boolean,
): { values: Record<string, string | boolean>; positionals: string[] } {
  const values: Record<string, string | boolean> = Object.create(null);
  const positionals: string[] = [];
  const longOf = (short: string) =>
    Object.keys(options).find((k) => options[k].short === short) ?? short;
  const typeOf = (name: string) => Object.hasOwn(options, name) ? options[name].type : undefined;
  const positional = (value: string) => {
    if (!allowPositionals) {
      throw argsError(
        "UNEXPECTED_POSITIONAL",
        `Unexpected argument '${value}'. This command does not take positional arguments`,
      );
    }
    positionals.push(value);
  };
  const option = (name: string, rawName: string, value: string | undefined, inline: boolean) => {
    if (!Object.hasOwn(options, name)) {
      throw argsError(
        "UNKNOWN_OPTION",
        `Unknown option '${rawName}'${
          allowPositionals
            ? `. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- ${
              JSON.stringify(rawName)
            }`
            : ""
        }`,
      );
    }
    const { type, short } = options[name];
    const shortAndLong = `${short ? `-${short}, ` : ""}--${name}`;
    if (type === "string" && typeof value !== "string") {
      throw argsError("INVALID_OPTION_VALUE", `Option '${shortAndLong} <value>' argument missing`);
    }
    if (type === "boolean" && value !== undefined) {
      throw argsError("INVALID_OPTION_VALUE", `Option '${shortAndLong}' does not take an argument`);
    }
    if (!inline && value !== undefined && value.length > 1 && value[0] === "-") {
      const example = rawName.startsWith("--")
        ? `'${rawName}=-XYZ'`
        : `'--${name}=-XYZ' or '${rawName}-XYZ'`;
      throw argsError(
        "INVALID_OPTION_VALUE",
        `Option '${rawName}' argument is ambiguous.
Did you forget to specify the option argument for '${rawName}'?
To specify an option argument starting with a dash use ${example}.`,
      );
    }
    if (name !== "__proto__") values[name] = value ?? true;
  };
  const rest = [...args];
  while (rest.length > 0) {
    const arg = rest.shift()!;
    if (arg === "--") {
      for (const a of rest) positional(a);
      break;
    }
    const short = arg.length >= 2 && arg[0] === "-" && arg[1] !== "-";
    if (short && arg.length === 2) {
      // -f, its value the next argument when it takes one.
      const name = longOf(arg[1]);
      const value = typeOf(name) === "string" && rest.length > 0 ? rest.shift() : undefined;
      option(name, arg, value, false);
    } else if (short && typeOf(longOf(arg[1])) !== "string") {
      // -abc: -a -b -c, or -a -bFILE when -b takes a value.
      const expanded: string[] = [];
      for (let i = 1; i < arg.length; i++) {
        if (typeOf(longOf(arg[i])) !== "string" || i === arg.length - 1) {
          expanded.push(`-${arg[i]}`);
        } else {
          expanded.push(`-${arg.slice(i)}`);
          break;
        }
      }
      rest.unshift(...expanded);
    } else if (short) {
      // -fFILE.
      option(longOf(arg[1]), `-${arg[1]}`, arg.slice(2), true);
    } else if (arg.length > 2 && arg.startsWith("--") && !arg.includes("=", 3)) {
      // --name, its value the next argument when it takes one.
      const name = arg.slice(2);
      const value = typeOf(name) === "string" && rest.length > 0 ? rest.shift() : undefined;
      option(name, arg, value, false);
    } else if (arg.length > 2 && arg.startsWith("--")) {
      // --name=value.
      const at = arg.indexOf("=");
      option(arg.slice(2, at), arg.slice(0, at), arg.slice(at + 1), true);
    } else {
      positional(arg);
    }
  }
  return { values, positionals };
}

/**
 * Refuses an option the command does not take, with the nearest one it does take (`unknown
 * option --eb; did you mean --error-bound?`), before `parseArgs`, whose own message suggests
 * quoting the option as a positional argument.
 */
function checkOptionNames(
  args: readonly string[],
  options: Record<string, { type: "string" | "boolean"; short?: string }>,
): void {
  const names = Object.keys(options);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") return;
    if (a.startsWith("--")) {
      const name = a.slice(2).split("=")[0];
      if (Object.hasOwn(options, name)) {
        if (options[name].type === "string" && !a.includes("=")) i++; // its value
        continue;
      }
      const near = closest(name, names);
      throw new Error(
        `unknown option --${name}${near ? `; did you mean --${near}?` : ""} (see --help)`,
      );
    }
    if (/^-[^-\d.]/.test(a)) {
      const short = a[1];
      const name = names.find((k) => options[k].short === short);
      if (name === undefined) {
        const near = closest(a.slice(1), names);
        throw new Error(
          `unknown option -${a.slice(1)}${near ? `; did you mean --${near}?` : ""} (see --help)`,
        );
      }
      if (options[name].type === "string" && a.length === 2) i++;
    }
  }
}

/** Edit distance of `a` and `b`, a swap of two neighbours counting one (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => {
    const row = new Array<number>(b.length + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The name of `names` that `typed` most likely meant, or undefined when none is near: its
 * initials (`eb` for `error-bound`), a prefix (`err`), or within a few typing errors (`eror-bound`,
 * one per three letters, at least one).
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { closest } from "./_args.ts";
 *
 * const names = ["error-bound", "rel-error-bound", "psnr", "levels"];
 * assert.strictEqual(closest("eb", names), "error-bound");
 * assert.strictEqual(closest("reb", names), "rel-error-bound");
 * assert.strictEqual(closest("levles", names), "levels");
 * assert.strictEqual(closest("zzz", names), undefined);
 * ```
 */
export function closest(typed: string, names: readonly string[]): string | undefined {
  const t = typed.toLowerCase();
  if (t === "") return undefined;
  const initials = (n: string) => n.split("-").map((p) => p[0]).join("");
  const byInitials = names.find((n) => n.includes("-") && initials(n) === t);
  if (byInitials) return byInitials;
  const prefixed = names.filter((n) => n.startsWith(t));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined, bestDistance = Math.max(1, Math.floor(t.length / 3)) + 1;
  for (const n of names) {
    const d = editDistance(t, n);
    if (d < bestDistance) [best, bestDistance] = [n, d];
  }
  return best;
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

/**
 * The output format `path` names by its extension, one of `formats` (extensions with the dot, per
 * format, case-insensitive), checked before any work: an unknown extension (`x.zarr`, `x.h5`,
 * `x.tif`, or none) is refused with the supported ones, never written in another format.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { outputFormat } from "./_args.ts";
 *
 * const formats = { npy: [".npy"], netcdf: [".nc", ".nc4"] };
 * assert.strictEqual(outputFormat("out/X.NC", formats, "decompress"), "netcdf");
 * assert.throws(() => outputFormat("x.zarr", formats, "decompress"), /\.zarr/);
 * ```
 */
export function outputFormat<F extends string>(
  path: string,
  formats: Record<F, readonly string[]>,
  command: string,
): F {
  const base = path.replace(/^.*[\\/]/, "");
  const dot = base.lastIndexOf(".");
  const ext = dot > 0 ? base.slice(dot).toLowerCase() : "";
  for (const [format, exts] of Object.entries(formats) as [F, readonly string[]][]) {
    if (exts.includes(ext)) return format;
  }
  const all = (Object.values(formats) as readonly string[][]).flat();
  throw new Error(
    `cannot write ${path}: ${
      ext === "" ? "no extension" : `unknown output extension "${ext}"`
    }; ${command} writes ${all.join(", ")}`,
  );
}
