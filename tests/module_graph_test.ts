// What each entry point pulls in: the read path owns nothing of the write path, not even a type.
import assert from "node:assert";
import { shakeBundleDeclarations } from "../web/npm_package.ts";

interface Dep {
  specifier: string;
  code?: { specifier: string };
  type?: { specifier: string };
}
interface Info {
  roots: string[];
  modules: { specifier: string; dependencies?: Dep[] }[];
  redirects?: Record<string, string>;
}

const root = new URL("../", import.meta.url);

async function deno(args: string[], options: Deno.CommandOptions = {}): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    ...options,
  }).output();
  const dec = new TextDecoder();
  assert.ok(out.success, `deno ${args.join(" ")}\n${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

async function info(entry: string): Promise<Info> {
  return JSON.parse(await deno(["info", "--json", new URL(entry, root).pathname]));
}

/** Every module reached from the roots through code, type-only and dynamic (literal) imports. */
function reachable(graph: Info): string[] {
  const bySpecifier = new Map(graph.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const stack = [...graph.roots];
  while (stack.length > 0) {
    let s = stack.pop()!;
    s = graph.redirects?.[s] ?? s;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of bySpecifier.get(s)?.dependencies ?? []) {
      if (d.code) stack.push(d.code.specifier);
      if (d.type) stack.push(d.type.specifier);
    }
  }
  return [...seen];
}

/** A module's code without comments (doc examples may show `Deno.readFile`). */
async function codeOf(specifier: string): Promise<string> {
  const text = await Deno.readTextFile(new URL(specifier));
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

Deno.test("decode.ts reaches no TensorFlow.js, no encoder and no Deno global, type-only imports included", async () => {
  const reached = reachable(await info("decode.ts"));
  assert.ok(reached.some((s) => s.includes("fflate")), "the graph walk found no dependency at all");
  assert.deepStrictEqual(
    reached.filter((s) => /tensorflow|\/src\/(encode|train|io)\//.test(s)),
    [],
  );
  for (const s of reached.filter((s) => s.startsWith("file:"))) {
    assert.ok(!/\bDeno\./.test(await codeOf(s)), `${s} uses the Deno global`);
  }
});

Deno.test("mod.ts reaches no TensorFlow.js module, not even through a dynamic import", async () => {
  const reached = reachable(await info("mod.ts"));
  assert.ok(reached.some((s) => s.endsWith("/src/encode/compress.ts")));
  assert.deepStrictEqual(
    reached.filter((s) => /tensorflow|\/src\/train\/(?!(types|options)\.ts)/.test(s)),
    [],
  );
});

Deno.test("format/ never imports src/, TensorFlow.js or the Deno global", async () => {
  const reached = reachable(await info("format/mod.ts"));
  assert.deepStrictEqual(reached.filter((s) => /tensorflow|\/src\//.test(s)), []);
});

/** What decode.ts exports: the reading API, its types and errors; encoders live in mod.ts and format/. */
const DECODE_API = [
  "BoundParams",
  "CollectionVariable",
  "MrcCollection",
  "PartOptions",
  "VariableChoiceError",
  "openCollection",
  "BoundedLevelError",
  "ByteRange",
  "CachedSource",
  "CachedSourceOptions",
  "ChunkInfo",
  "CoordinateAxis",
  "CoderCacheInfo",
  "DecodeOptions",
  "DecodeStreamOptions",
  "DecodedLevel",
  "FileHandleLike",
  "FromUrlOptions",
  "HttpError",
  "HttpErrorOptions",
  "LevelCoordinates",
  "LevelError",
  "LevelInfo",
  "LevelMetrics",
  "LevelRangesOptions",
  "MissingMask",
  "MrcAttribute",
  "MrcAttributeType",
  "MrcAttributes",
  "MrcContainer",
  "MrcDimension",
  "MrcFile",
  "MrcFormatError",
  "MrcFormatErrorOptions",
  "MrcHeader",
  "MrcInput",
  "MrcLevelHeader",
  "MrcSelectedDimension",
  "OpenMrcOptions",
  "RangeSource",
  "ReadOptions",
  "StoredBoundedReport",
  "StoredModelReport",
  "StoredReport",
  "TimeAxis",
  "UrlSource",
  "cachedSource",
  "decodeStream",
  "fromBytes",
  "fromFileHandle",
  "fromUrl",
  "formatTimes",
  "hasMrcSignature",
  "levelCoordinates",
  "levelMetrics",
  "levelRanges",
  "niceTicks",
  "openMrc",
  "openRemote",
  "psnr",
];

Deno.test("decode.ts exports the reading API only: no encoder, no container internals", async () => {
  const doc = JSON.parse(await deno(["doc", "--json", new URL("decode.ts", root).pathname]));
  const names = (doc.nodes[new URL("decode.ts", root).href].symbols as { name: string }[])
    .map((s) => s.name);
  assert.deepStrictEqual(names.sort(), [...DECODE_API].sort());
  const values = Object.keys(await import("../decode.ts")).sort();
  assert.deepStrictEqual(values, [
    "HttpError",
    "MrcCollection",
    "MrcFile",
    "MrcFormatError",
    "VariableChoiceError",
    "cachedSource",
    "decodeStream",
    "formatTimes",
    "fromBytes",
    "fromFileHandle",
    "fromUrl",
    "hasMrcSignature",
    "levelCoordinates",
    "levelMetrics",
    "levelRanges",
    "niceTicks",
    "openCollection",
    "openMrc",
    "openRemote",
    "psnr",
  ]);
  // mod.ts adds compression; the container's codecs stay in format/mod.ts.
  const mod = Object.keys(await import("../mod.ts"));
  for (const name of ["compress", "compressTo", ...values]) assert.ok(mod.includes(name), name);
  const format = Object.keys(await import("../format/mod.ts"));
  for (const name of ["encodeHeader", "encodeBoundedBlock", "MrcWriter", "countingSource"]) {
    assert.ok(format.includes(name) && !values.includes(name), name);
  }
});

Deno.test("decode.ts bundles for browsers with a .d.ts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await deno([
      "bundle",
      "--platform",
      "browser",
      "--declaration",
      "--minify",
      "-o",
      `${dir}/decode.js`,
      new URL("decode.ts", root).pathname,
    ]);
    const js = await Deno.readTextFile(`${dir}/decode.js`);
    assert.ok(!/tensorflow/i.test(js), "the bundle holds TensorFlow.js");
    assert.ok(js.length < 200_000, `the bundle is ${js.length} bytes`);
    // What deno bundle writes declares every module it reached; the build cuts it to the API.
    await shakeBundleDeclarations(`${dir}/decode.d.ts`);
    const dts = await Deno.readTextFile(`${dir}/decode.d.ts`);
    const declared = [...dts.matchAll(
      /^export (?:declare )?(?:abstract )?(?:class|function|const|interface|type) (\w+)/gm,
    )].map((m) => m[1]);
    assert.deepStrictEqual([...new Set(declared)].sort(), [...DECODE_API].sort());
    assert.ok(!/^import\b/m.test(dts), "the .d.ts imports a module that is not beside it");
    // About 66 KB since 1.4 added the collection API (openCollection, MrcCollection), all of it documented.
    assert.ok(dts.length < 72_000, `the .d.ts is ${dts.length} bytes`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("importing mod.ts to decode downloads no TensorFlow.js package (fresh cache)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const golden = new URL("tests/testdata/v1.0-small.mrc", root).pathname;
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { openMrc } from "${new URL("mod.ts", root).href}";
      const file = await openMrc(await Deno.readFile(${JSON.stringify(golden)}));
      console.log((await file.decode({ level: 0 })).shape.join("x"));`,
    );
    const cache = `${dir}/deno_dir`;
    const out = await deno(["run", "--no-config", "--no-lock", "--allow-read", "main.ts"], {
      cwd: dir,
      env: { DENO_DIR: cache, NO_COLOR: "1" },
    });
    assert.strictEqual(out.trim(), "5x7x5");
    const npm = `${cache}/npm/registry.npmjs.org`;
    const packages = [...Deno.readDirSync(npm)].map((e) => e.name).sort();
    assert.ok(packages.includes("fflate"), `cached: ${packages}`);
    assert.deepStrictEqual(packages.filter((p) => p.includes("tensorflow")), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
