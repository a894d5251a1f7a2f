// The npm package as a web developer gets it: `deno task build`'s dist/npm/ packed with `npm pack`,
// installed from the tarball into a scratch project (its dependency, fflate, from the npm
// registry), type-checked there with tsc (strict, no skipLibCheck), bundled with esbuild from a
// TypeScript page that imports the package by name, and run: the page in headless Chromium (a
// relative URL, waiting for the page to say it is done), and Node on the same file. Skips with a
// note where npm, the registry or Chromium is missing.
import assert from "node:assert";
import { openMrc } from "../decode.ts";
import { valuesChecksum } from "../web/_checksum.ts";
import { buildNpmPackage } from "../web/npm_package.ts";
import { Browser, CHROMIUM } from "./_chromium.ts";

const ESBUILD = "esbuild@0.28.2";
const TYPESCRIPT = "typescript@5.9.3";
const root = new URL("../", import.meta.url);
const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));

async function sh(
  cmd: string,
  args: string[],
  cwd: string,
): Promise<{ ok: boolean; out: string; err: string }> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder();
  return { ok: out.success, out: text.decode(out.stdout), err: text.decode(out.stderr) };
}

const hasNpm = await sh("npm", ["--version"], ".").then((r) => r.ok, () => false);
if (!hasNpm) console.warn("note: tests/npm_package_test.ts skipped: no npm installed");

/** A file compressed from netCDF (so it has units), through the CLI. */
async function netcdfFile(dir: string): Promise<Uint8Array> {
  const out = `${dir}/air.mrc`;
  const r = await sh(Deno.execPath(), [
    "run",
    "-A",
    new URL("cli.ts", root).pathname,
    "compress",
    new URL("tests/testdata/netcdf/small-nc4.nc", root).pathname,
    "--var",
    "air",
    "--select",
    "level=0",
    "-o",
    out,
  ], dir);
  assert.ok(r.ok, r.err);
  return await Deno.readFile(out);
}

const PAGE = `import { type DecodedLevel, HttpError, openMrc } from "${config.name}";

const out = document.documentElement.dataset;
function checksum(level: DecodedLevel): string {
  const bytes = new Uint8Array(level.data.buffer, level.data.byteOffset, level.data.byteLength);
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}
try {
  const file = await openMrc("./data/air.mrc");
  const levels: number[] = [];
  let last: DecodedLevel | null = null;
  for await (const level of file.progressive()) {
    levels.push(level.level);
    last = level;
  }
  out.levels = levels.join(",");
  out.shape = last!.shape.join("x");
  out.checksum = checksum(last!);
  out.units = file.units ?? "none";
  out.variable = file.variable?.name ?? "none";
  out.state = "done";
} catch (e) {
  out.error = e instanceof HttpError ? "http: " + e.message : String(e);
  out.state = "error";
}
`;

const NODE = `import { readFile } from "node:fs/promises";
import { openMrc } from "${config.name}";

function checksum(level) {
  const bytes = new Uint8Array(level.data.buffer, level.data.byteOffset, level.data.byteLength);
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}
const fromBytes = await openMrc(await readFile("data/air.mrc"));
const fromPath = await openMrc("data/air.mrc");
const fromUrl = await openMrc(new URL("./data/air.mrc", import.meta.url));
const out = {
  bytes: checksum(await fromBytes.decode()),
  path: checksum(await fromPath.decode()),
  url: checksum(await fromUrl.decode()),
  level0: (await fromPath.decode({ level: 0 })).shape.join("x"),
  units: fromPath.units,
};
await fromPath.close();
await fromUrl.close();
out.missing = await openMrc("data/none.mrc").then(() => "opened", (e) => e.code);
console.log(JSON.stringify(out));
`;

Deno.test({
  name:
    "the npm package packs, installs from its tarball, type-checks, bundles with esbuild and decodes in Chromium and Node",
  ignore: !hasNpm,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mrcae-npm-test-" });
    let browser: Browser | null = null;
    let server: Deno.HttpServer<Deno.NetAddr> | null = null;
    try {
      const pkg = `${dir}/pkg`, app = `${dir}/app`;
      const [built, bytes] = await Promise.all([buildNpmPackage(pkg), netcdfFile(dir)]);
      const manifest = built.manifest as {
        name: string;
        version: string;
        dependencies: Record<string, string>;
        exports: Record<string, unknown>;
      };
      assert.strictEqual(manifest.name, config.name);
      assert.strictEqual(manifest.version, config.version);
      assert.deepStrictEqual(Object.keys(manifest.dependencies), ["fflate"]);
      const js = await Deno.readTextFile(`${pkg}/decode.js`);
      assert.ok(!js.includes('"npm:'), "the bundle still imports an npm: specifier");
      assert.match(js, /from\s*"fflate\/browser"/);
      const dts = await Deno.readTextFile(`${pkg}/decode.d.ts`);
      console.log(
        `decode.d.ts: ${(dts.length / 1000).toFixed(1)} KB, decode.js ${
          (js.length / 1000).toFixed(1)
        } KB`,
      );
      for (
        const internal of ["encodeHeader", "encodeBoundedBlock", "restoreMissing", "MrcWriter"]
      ) {
        assert.ok(!new RegExp(`\\b${internal}\\b`).test(dts), `decode.d.ts declares ${internal}`);
      }
      assert.ok(!/^import\b/m.test(dts), "decode.d.ts imports a module that is not there");

      const pack = await sh("npm", ["pack", "--json", "--pack-destination", dir], pkg);
      assert.ok(pack.ok, pack.err);
      const [{ filename, files }] = JSON.parse(pack.out);
      assert.deepStrictEqual(
        (files as { path: string }[]).map((f) => f.path).sort(),
        ["LICENSE", "README.md", "decode.d.ts", "decode.js", "decode.js.map", "package.json"],
      );

      await Deno.mkdir(`${app}/data`, { recursive: true });
      await Deno.writeTextFile(
        `${app}/package.json`,
        JSON.stringify({ name: "scratch", private: true, type: "module" }),
      );
      const install = await sh("npm", [
        "install",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        `${dir}/${filename}`,
        ESBUILD,
        TYPESCRIPT,
      ], app);
      if (!install.ok) {
        console.warn(
          `note: npm package test stopped before installing: npm install failed:\n${install.err}`,
        );
        return;
      }
      await Deno.writeFile(`${app}/data/air.mrc`, bytes);
      await Deno.writeTextFile(`${app}/main.ts`, PAGE);
      await Deno.writeTextFile(`${app}/node.mjs`, NODE);
      // A name the package does not export is a type error in the user's project.
      await Deno.writeTextFile(
        `${app}/internal.ts`,
        `import { encodeHeader } from "${config.name}";\nconsole.log(encodeHeader);\n`,
      );
      const tsc = (file: string) =>
        sh("npx", [
          "--no-install",
          "tsc",
          "--noEmit",
          "--strict",
          "--target",
          "es2022",
          "--module",
          "esnext",
          "--moduleResolution",
          "bundler",
          "--lib",
          "es2022,dom,dom.iterable",
          file,
        ], app);
      const typed = await tsc("main.ts");
      assert.ok(typed.ok, `tsc main.ts:\n${typed.out}${typed.err}`);
      const internal = await tsc("internal.ts");
      assert.ok(!internal.ok, "importing encodeHeader type-checked");
      assert.match(internal.out, /has no exported member 'encodeHeader'/);

      const bundle = await sh("npx", [
        "--no-install",
        "esbuild",
        "main.ts",
        "--bundle",
        "--format=esm",
        "--platform=browser",
        "--target=es2022",
        "--minify",
        "--outfile=dist/main.js",
      ], app);
      assert.ok(bundle.ok, bundle.err);
      await Deno.writeTextFile(
        `${app}/index.html`,
        '<!doctype html><html><head><meta charset="utf-8"><script type="module" src="./dist/main.js"></script></head><body></body></html>',
      );

      const local = await openMrc(bytes);
      const finest = await local.decode();
      const expected = valuesChecksum(finest.data);
      const node = await sh("node", ["node.mjs"], app);
      assert.ok(node.ok, node.err);
      const level0 = (await local.decode({ level: 0 })).shape.join("x");
      assert.deepStrictEqual(JSON.parse(node.out), {
        bytes: expected,
        path: expected,
        url: expected,
        level0,
        units: "K",
        missing: "ENOENT",
      });

      if (!CHROMIUM) {
        console.warn("note: the Chromium part of tests/npm_package_test.ts skipped: no chromium");
        return;
      }
      server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
        const path = new URL(req.url).pathname;
        const file = path === "/" ? "/index.html" : path;
        if (file.includes("..")) return new Response("no", { status: 400 });
        try {
          const body = await Deno.readFile(`${app}${file}`);
          const type = file.endsWith(".js")
            ? "text/javascript"
            : file.endsWith(".html")
            ? "text/html"
            : "application/octet-stream";
          return new Response(body, { headers: { "content-type": type } });
        } catch {
          return new Response("not found", { status: 404 });
        }
      });
      browser = await Browser.launch();
      const page = await browser.load(`http://127.0.0.1:${server.addr.port}/index.html`);
      assert.strictEqual(page.state, "done", page.error);
      assert.strictEqual(page.levels, [...Array(local.levelCount).keys()].join(","));
      assert.strictEqual(page.shape, finest.shape.join("x"));
      assert.strictEqual(page.checksum, expected);
      assert.strictEqual(page.units, "K");
      assert.strictEqual(page.variable, "air");
    } finally {
      await browser?.close();
      await server?.shutdown();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
