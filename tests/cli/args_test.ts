// cli/_args.ts parseStrict() against the parseArgs() of node:util it stands in for.
import assert from "node:assert";
import { parseArgs } from "node:util";
import { parseCommand, parseStrict } from "../../cli/_args.ts";
import { mulberry32 } from "../../src/random.ts";

const OPTIONS = {
  output: { type: "string", short: "o" },
  force: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  quiet: { type: "boolean", short: "q" },
  levels: { type: "string" },
  var: { type: "string", short: "v" },
} as const;

/** Arguments that exercise every reading: short, grouped, inline, missing and dashed values. */
const TOKENS = [
  "-o",
  "x.mrc",
  "--output",
  "--output=y",
  "--output=",
  "--output=-1",
  "-ofile",
  "-o-x",
  "-o=x",
  "--force",
  "--force=1",
  "--force=",
  "-h",
  "-q",
  "-hq",
  "-qh",
  "-ho",
  "-hoz",
  "-hqo",
  "-qv",
  "--",
  "-",
  "--levels",
  "3",
  "-3",
  "--levels=-3",
  "--nope",
  "-z",
  "-zo",
  "-hz",
  "pos",
  "--=x",
  "--=",
  "---x",
  "--help",
  "--var",
  "-v",
  "a,b",
  "--__proto__",
  "--constructor",
  "-",
  "--x=a=b",
];

type Outcome = { values: [string, unknown][]; proto: unknown; positionals: string[] } | {
  error: string;
  code: unknown;
  message: string;
};

function outcome(f: () => { values: object; positionals: string[] }): Outcome {
  try {
    const { values, positionals } = f();
    return {
      values: Object.entries(values).sort(),
      proto: Object.getPrototypeOf(values),
      positionals,
    };
  } catch (e) {
    const err = e as Error & { code?: unknown };
    return { error: err.constructor.name, code: err.code, message: err.message };
  }
}

Deno.test("parseStrict() gives the values, positionals and errors of node:util parseArgs()", () => {
  const random = mulberry32(17);
  const cases: string[][] = TOKENS.map((t) => [t]);
  for (let n = 0; n < 4000; n++) {
    const length = Math.floor(random() * 6);
    cases.push(Array.from({ length }, () => TOKENS[Math.floor(random() * TOKENS.length)]));
  }
  for (const args of cases) {
    for (const allowPositionals of [true, false]) {
      const theirs = outcome(() => parseArgs({ args, options: OPTIONS, allowPositionals }));
      const ours = outcome(() => parseStrict(args, OPTIONS, allowPositionals));
      assert.deepStrictEqual(ours, theirs, `${JSON.stringify(args)} ${allowPositionals}`);
    }
  }
});

Deno.test("parseCommand() joins negative values and names unknown options before parsing", () => {
  const { values, positionals } = parseCommand({
    args: ["in.npy", "--levels", "-3", "-o", "out.mrc", "--force"],
    allowPositionals: true,
    options: OPTIONS,
  });
  assert.deepStrictEqual({ ...values }, { levels: "-3", output: "out.mrc", force: true });
  assert.deepStrictEqual(positionals, ["in.npy"]);
  assert.throws(
    () => parseCommand({ args: ["--levls", "3"], allowPositionals: true, options: OPTIONS }),
    /unknown option --levls; did you mean --levels\?/,
  );
});
