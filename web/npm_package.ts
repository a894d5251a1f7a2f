/**
 * The npm package of the decoder (`deno task build` writes it to `dist/npm/`): `decode.ts` as one
 * ES module that imports its npm dependencies by their package names (`fflate`, a dependency in
 * `package.json`, so no bundler needs an alias), its source map, a `.d.ts` that declares the
 * reading API and what its types name (nothing else), and a `package.json` whose `name` and
 * `version` are `deno.json`'s, with `exports` and `types`. `tests/npm_package_test.ts` packs it,
 * installs the tarball into a scratch project, type-checks and bundles a page there and decodes a
 * file with it in headless Chromium and in Node.
 *
 * @module
 */

const root = new URL("../", import.meta.url);

/** What {@linkcode buildNpmPackage} wrote. */
export interface NpmPackageResult {
  /** The package folder. */
  outDir: string;
  /** The package's `package.json`. */
  manifest: Record<string, unknown>;
  /** Every file written, relative to `outDir`, with its size in bytes. */
  files: { path: string; bytes: number }[];
}

async function run(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder();
  if (!out.success) {
    throw new Error(`Cannot run deno ${args[0]}: ${text.decode(out.stderr).trim()}`);
  }
  return text.decode(out.stdout);
}

/** A top-level statement of a declaration file, with the comments before it. */
interface Statement {
  comments: string[];
  code: string;
  /** The name it declares, or null (an import, an export list). */
  name: string | null;
  kind: "declaration" | "import" | "export-list";
}

const STATEMENT_START =
  /^(?:export\b|declare\b|import\b|interface\b|type\b|function\b|const\b|class\b|enum\b|namespace\b|abstract\b)/;
const DECLARATION =
  /^(?:export\s+)?(?:declare\s+)?(?:abstract\s+)?(?:function|class|const|let|var|interface|type|enum|namespace)\s+([A-Za-z_$][\w$]*)/;

/**
 * Splits a declaration file as `deno bundle --declaration` writes it: each statement starts at
 * column 0 with a keyword, its other lines are indented or close a bracket, comments stand on
 * lines of their own.
 */
function statements(text: string): Statement[] {
  const out: Statement[] = [];
  let comments: string[] = [];
  let current: Statement | null = null;
  let comment: string[] | null = null;
  for (const [i, line] of text.split("\n").entries()) {
    if (comment) {
      comment.push(line);
      if (line.includes("*/")) {
        comments.push(comment.join("\n"));
        comment = null;
      }
      continue;
    }
    if (/^\/\*/.test(line)) {
      current = null;
      if (line.includes("*/")) comments.push(line);
      else comment = [line];
      continue;
    }
    if (/^\/\//.test(line)) {
      current = null;
      comments.push(line);
      continue;
    }
    if (STATEMENT_START.test(line)) {
      const kind = /^import\b/.test(line)
        ? "import"
        : /^export\s+(?:type\s+)?\{/.test(line)
        ? "export-list"
        : "declaration";
      const name = kind === "declaration" ? DECLARATION.exec(line)?.[1] ?? null : null;
      if (kind === "declaration" && name === null) {
        throw new Error(`Cannot read the declarations: line ${i + 1} declares nothing: ${line}`);
      }
      current = { comments, code: line, name, kind };
      comments = [];
      out.push(current);
      continue;
    }
    if (line.trim() === "") continue;
    if (!current) throw new Error(`Cannot read the declarations: line ${i + 1} belongs to nothing`);
    current.code += "\n" + line;
  }
  return out;
}

/** The identifiers a statement's code names (string literals and comments left out). */
function identifiers(code: string): Set<string> {
  const bare = code.replace(/\/\*[\s\S]*?\*\//g, "").replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/'(?:[^'\\]|\\.)*'/g, "''");
  return new Set(bare.match(/[A-Za-z_$][\w$]*/g) ?? []);
}

/**
 * A JSDoc comment for the package: `@example` blocks that import through relative `.ts` paths
 * import the package instead (and name the test files they open by their file name), and an
 * example that uses `Deno` or a name the package does not export is left out; a module's doc
 * goes (null).
 */
function packageDoc(comment: string, name: string, exported: Set<string>): string | null {
  if (/@module\b/.test(comment)) return null;
  const close = /\n([ \t]*)\*\/$/.exec(comment)?.[1] ?? "";
  const parts = comment.split(/(?=^[ \t]*\* @)/m);
  const kept = parts.filter((part, i) => {
    if (i === 0 || !/^[ \t]*\* @example\b/.test(part)) return true;
    if (/\bDeno\./.test(part)) return false;
    for (const m of part.matchAll(/import\s*\{([^}]*)\}\s*from\s*"(\.[^"]*)"/g)) {
      const names = m[1].split(",").map((s) => s.replace(/^\s*type\s+/, "").trim()).filter(
        Boolean,
      );
      if (!names.every((n) => exported.has(n))) return false;
    }
    return true;
  }).map((part) =>
    part.replace(/(from\s*)"\.[^"]*\.ts"/g, `$1"${name}"`)
      .replace(/new URL\("(?:\.\.?\/)+tests\/testdata\/([^"]+)", import\.meta\.url\)/g, '"./$1"')
  );
  let text = kept.join("");
  if (!text.trimEnd().endsWith("*/")) text = `${text.trimEnd()}\n${close} */`;
  return text;
}

/** `code` with each JSDoc comment inside it made the package's ({@linkcode packageDoc}). */
function packageDocs(code: string, name: string, exported: Set<string>): string {
  return code.replace(/\/\*\*[\s\S]*?\*\//g, (c) => packageDoc(c, name, exported) ?? "");
}

/**
 * Cuts a bundled declaration file down to what `exported` names and what their declarations name
 * in turn: each other name keeps its declaration without `export` (a consumer can use such a
 * type but not import it), everything else goes. A kept name declared nowhere in the file (an
 * import the bundler left pointing at a module that is not there) is an error.
 *
 * @param text The declaration file.
 * @param exported The names the entry point exports.
 * @param packageName The name examples import from.
 * @returns The declaration file of the package.
 */
export function shakeDeclarations(
  text: string,
  exported: Set<string>,
  packageName: string,
): string {
  const all = statements(text);
  const declared = new Map<string, Statement[]>();
  for (const s of all) {
    if (s.kind === "declaration") declared.set(s.name!, [...declared.get(s.name!) ?? [], s]);
  }
  const imported = new Set<string>();
  for (const s of all) {
    if (s.kind !== "import") continue;
    for (const n of /\{([^}]*)\}/.exec(s.code)?.[1].split(",") ?? []) {
      imported.add(n.replace(/^\s*type\s+/, "").trim());
    }
  }
  const kept = new Set<string>();
  const stack = [...exported];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (kept.has(name)) continue;
    const found = declared.get(name);
    if (!found) {
      if (exported.has(name) || imported.has(name)) {
        throw new Error(`Cannot write the package's declarations: "${name}" is declared nowhere`);
      }
      continue;
    }
    kept.add(name);
    for (const s of found) {
      for (const id of identifiers(s.code)) if (declared.has(id) && !kept.has(id)) stack.push(id);
    }
  }
  const out: string[] = [];
  for (const s of all) {
    if (s.kind !== "declaration" || !kept.has(s.name!)) continue;
    for (const c of s.comments) {
      const doc = packageDoc(c, packageName, exported);
      if (doc !== null) out.push(doc);
    }
    const code = packageDocs(s.code, packageName, exported);
    out.push(exported.has(s.name!) ? code : code.replace(/^export\s+/, ""));
  }
  // Without it, a declaration file's top-level declarations would all be exports.
  out.push("export {};");
  // `await using` (Symbol.asyncDispose) is in TypeScript's esnext lib only: a project compiled
  // for ES2022 would not know the symbol.
  if (out.some((code) => /\bSymbol\.(?:asyncDispose|dispose)\b/.test(code))) {
    out.unshift('/// <reference lib="esnext.disposable" />');
  }
  return out.join("\n") + "\n";
}

/** The names `decode.ts` exports (types included), by `deno doc`. */
async function decodeExports(): Promise<Set<string>> {
  const entry = new URL("decode.ts", root);
  const doc = JSON.parse(await run(["doc", "--json", entry.pathname]));
  return new Set((doc.nodes[entry.href].symbols as { name: string }[]).map((s) => s.name));
}

/**
 * Cuts the `.d.ts` that `deno bundle --declaration decode.ts` wrote (every declaration of every
 * module it reached, and imports of modules that are not beside it) down to `decode.ts`'s API,
 * in place ({@linkcode shakeDeclarations}); its examples import `./decode.js`.
 *
 * @param path The declaration file.
 */
export async function shakeBundleDeclarations(path: string): Promise<void> {
  const text = await Deno.readTextFile(path);
  await Deno.writeTextFile(path, shakeDeclarations(text, await decodeExports(), "./decode.js"));
}

/**
 * The `npm:` specifiers a bundle imports, as `[specifier, package name, version range, import
 * path]`: the path is the package name and its subpath, if any (`npm:fflate@0.8.2/browser` is
 * `fflate/browser`).
 */
function npmImports(js: string): [string, string, string, string][] {
  const found = new Map<string, [string, string, string, string]>();
  for (
    const m of js.matchAll(
      /(?:from\s*|import\s*\(\s*|import\s*)"(npm:([^"@/]+|@[^"@/]+\/[^"@/]+)@([^"/]+)(\/[^"]*)?)"/g,
    )
  ) {
    found.set(m[1], [m[1], m[2], m[3], m[2] + (m[4] ?? "")]);
  }
  return [...found.values()];
}

/**
 * Writes the decoder's npm package into `outDir` (created; files of an earlier build replaced).
 *
 * @param outDir The folder to write, e.g. `dist/npm`.
 * @returns The files written and the manifest.
 */
export async function buildNpmPackage(outDir: string): Promise<NpmPackageResult> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const name: string = config.name;
  const version: string = config.version;
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(outDir, { recursive: true });
  const entry = new URL("decode.ts", root).pathname;
  // npm packages stay imports (the package's dependencies); everything else is inlined.
  await run([
    "bundle",
    "--quiet",
    "--platform",
    "browser",
    "--format",
    "esm",
    "--external",
    "npm:*",
    "--minify",
    "--sourcemap",
    "linked",
    "--declaration",
    "-o",
    `${outDir}/decode.js`,
    entry,
  ]);
  let js = await Deno.readTextFile(`${outDir}/decode.js`);
  const dependencies: Record<string, string> = {};
  for (const [specifier, pkg, range, path] of npmImports(js)) {
    js = js.replaceAll(`"${specifier}"`, `"${path}"`);
    dependencies[pkg] = /^\d+\.\d+\.\d+$/.test(range) ? `^${range}` : range;
  }
  if (/"npm:/.test(js)) throw new Error("Cannot write the package: an npm: specifier is left");
  await Deno.writeTextFile(`${outDir}/decode.js`, js);
  await relativeSources(`${outDir}/decode.js.map`);

  const exported = await decodeExports();
  const dts = await Deno.readTextFile(`${outDir}/decode.d.ts`);
  await Deno.writeTextFile(`${outDir}/decode.d.ts`, shakeDeclarations(dts, exported, name));

  const manifest = {
    name,
    version,
    description:
      "Decoder of mrcae's .mrc files: gridded spatio-temporal data decoded level by level of resolution, from bytes, a stream or a URL (HTTP range requests)",
    license: "MIT",
    type: "module",
    exports: {
      ".": { types: "./decode.d.ts", default: "./decode.js" },
      "./package.json": "./package.json",
    },
    types: "./decode.d.ts",
    files: ["decode.js", "decode.js.map", "decode.d.ts", "README.md", "LICENSE"],
    sideEffects: false,
    dependencies,
    keywords: ["compression", "scientific-data", "netcdf", "multiresolution", "error-bounded"],
  };
  await Deno.writeTextFile(`${outDir}/package.json`, JSON.stringify(manifest, null, 2) + "\n");
  await Deno.copyFile(new URL("LICENSE", root), `${outDir}/LICENSE`);
  const readme = await Deno.readTextFile(new URL("web/npm_readme.md", root));
  await Deno.writeTextFile(
    `${outDir}/README.md`,
    readme.replaceAll("{{name}}", name).replaceAll("{{version}}", version),
  );
  const files: NpmPackageResult["files"] = [];
  for await (const e of Deno.readDir(outDir)) {
    if (e.isFile) {
      files.push({ path: e.name, bytes: (await Deno.stat(`${outDir}/${e.name}`)).size });
    }
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  return { outDir, manifest, files };
}

/**
 * Names the map's sources by their path in the project (`mrcae/src/read/open.ts`) or, outside
 * it, after their last `node_modules/` (`external/fflate/esm/browser.js`): never by a path of the
 * machine that built it.
 */
async function relativeSources(mapPath: string): Promise<void> {
  const map = JSON.parse(await Deno.readTextFile(mapPath));
  const mapUrl = new URL(`file://${await Deno.realPath(mapPath)}`);
  map.sources = (map.sources as string[]).map((source) => {
    const url = new URL(source, new URL(map.sourceRoot ?? "", mapUrl));
    if (url.protocol !== "file:") return source;
    if (url.href.startsWith(root.href)) {
      return `mrcae/${decodeURIComponent(url.href.slice(root.href.length))}`;
    }
    const file = decodeURIComponent(url.pathname);
    const i = file.lastIndexOf("node_modules/");
    return `external/${i >= 0 ? file.slice(i + "node_modules/".length) : file.split("/").pop()}`;
  });
  delete map.sourceRoot;
  await Deno.writeTextFile(mapPath, JSON.stringify(map));
}
