/**
 * The web build: `deno task build` (or `deno run -A web/build.ts [OUT_DIR]`) writes
 *
 * - `decode.js` (+ `decode.js.map`, `decode.d.ts`): `decode.ts` as one minified ES module for
 *   browsers, with `npm:fflate` inlined;
 * - `viewer/`: the viewer page, its script and its decoding worker (each minified, with a map);
 * - `npm/`: the decoder's npm package (`web/npm_package.ts`), ready for `npm pack` or
 *   `npm publish`.
 *
 * `cli.ts view` builds the viewer the same way into a temporary folder.
 *
 * @module
 */

import { basename, dirname, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildNpmPackage, shakeBundleDeclarations } from "./npm_package.ts";

const root = new URL("../", import.meta.url);

/** What {@linkcode buildWeb} wrote. */
export interface BuildResult {
  /** The output folder. */
  outDir: string;
  /** Every file written, relative to `outDir`, with its size in bytes. */
  files: { path: string; bytes: number }[];
}

async function bundle(entry: string, output: string, extra: string[] = []): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "browser",
      "--minify",
      "--sourcemap",
      "linked",
      ...extra,
      "-o",
      output,
      new URL(entry, root).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`Cannot bundle ${entry}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  await relativeSourceMap(`${output}.map`);
}

/**
 * Rewrites a source map's `sources` so that no path of the machine shows: `deno bundle` names
 * them relative to the map, which from a folder outside the project climbs up to `/` and down the
 * project's absolute path. A source of the project is named from the map when the map lies inside
 * the project (`dist/`: `../src/units.ts`), else as `mrcae/` and its path in the project; a source
 * outside the project (a package in Deno's cache) by what follows its last `node_modules/`, or its
 * file name, under `external/`. The sources' text stays in `sourcesContent`.
 */
async function relativeSourceMap(mapPath: string): Promise<void> {
  const map = JSON.parse(await Deno.readTextFile(mapPath));
  const mapUrl = pathToFileURL(resolve(mapPath));
  const inside = (url: URL) => url.href.startsWith(root.href);
  map.sources = (map.sources as string[]).map((source) => {
    const url = new URL(source, new URL(map.sourceRoot ?? "", mapUrl));
    if (url.protocol !== "file:") return source;
    if (inside(url)) {
      const path = url.href.slice(root.href.length);
      return inside(mapUrl)
        ? relative(dirname(fileURLToPath(mapUrl)), fileURLToPath(url)).replaceAll("\\", "/")
        : `mrcae/${decodeURIComponent(path)}`;
    }
    const file = decodeURIComponent(url.pathname);
    const i = file.lastIndexOf("node_modules/");
    return `external/${i >= 0 ? file.slice(i + "node_modules/".length) : basename(file)}`;
  });
  delete map.sourceRoot;
  await Deno.writeTextFile(mapPath, JSON.stringify(map));
}

/**
 * Builds the decoder bundle and the viewer into `outDir`.
 *
 * @param outDir The folder to write (created if missing).
 * @param options `viewerOnly` skips the decoder bundle and its `.d.ts` (what `view` needs).
 * @returns The files written.
 */
export async function buildWeb(
  outDir: string,
  options: { viewerOnly?: boolean } = {},
): Promise<BuildResult> {
  await Deno.mkdir(`${outDir}/viewer`, { recursive: true });
  const jobs = [
    bundle("web/viewer.ts", `${outDir}/viewer/viewer.js`),
    bundle("web/worker.ts", `${outDir}/viewer/worker.js`),
    Deno.copyFile(new URL("web/index.html", root), `${outDir}/viewer/index.html`),
  ];
  if (!options.viewerOnly) jobs.push(bundle("decode.ts", `${outDir}/decode.js`, ["--declaration"]));
  await Promise.all(jobs);
  const files: BuildResult["files"] = [];
  const walk = async (dir: string, prefix: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(`${dir}/${e.name}`, `${prefix}${e.name}/`);
      else files.push({ path: prefix + e.name, bytes: (await Deno.stat(`${dir}/${e.name}`)).size });
    }
  };
  await walk(outDir, "");
  files.sort((a, b) => a.path.localeCompare(b.path));
  return { outDir, files };
}

if (import.meta.main) {
  const outDir = Deno.args[0] ?? new URL("dist", root).pathname;
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  const { files } = await buildWeb(outDir);
  await shakeBundleDeclarations(`${outDir}/decode.d.ts`);
  const dts = files.find((f) => f.path === "decode.d.ts")!;
  dts.bytes = (await Deno.stat(`${outDir}/decode.d.ts`)).size;
  const npm = await buildNpmPackage(`${outDir}/npm`);
  for (const f of files) console.log(`${outDir}/${f.path}  ${f.bytes} B`);
  for (const f of npm.files) console.log(`${npm.outDir}/${f.path}  ${f.bytes} B`);
}
