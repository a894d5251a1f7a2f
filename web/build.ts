/**
 * The web build: `deno task build` (or `deno run -A web/build.ts [OUT_DIR]`) writes
 *
 * - `decode.js` (+ `decode.js.map`, `decode.d.ts`): `decode.ts` as one minified ES module for
 *   browsers, with `npm:fflate` inlined;
 * - `viewer/`: the viewer page, its script and its decoding worker (each minified, with a map);
 * - `npm/`: the decoder's npm package (`web/npm_package.ts`), ready for `npm pack` or
 *   `npm publish`.
 *
 * `cli.ts view` serves the same build from a cache folder ({@linkcode cachedViewer}): built once
 * per version of the sources, then read back in a few milliseconds.
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

/** The files whose text makes the viewer: a change to any of them makes a new build. */
const SOURCES = ["decode.ts", "deno.json", "deno.lock", "web/", "src/", "format/"];

/**
 * The key of the current sources: the project's version, Deno's version and a SHA-256 of every
 * file the viewer's build may read (`decode.ts`, `web/`, `src/`, `format/`, `deno.json`,
 * `deno.lock`), or null when the project is not on the local file system (imported from a URL).
 */
export async function sourceKey(): Promise<string | null> {
  if (root.protocol !== "file:") return null;
  const paths: string[] = [];
  const walk = async (path: string) => {
    const url = new URL(path, root);
    if (!path.endsWith("/")) return void paths.push(path);
    const entries: string[] = [];
    for await (const e of Deno.readDir(url)) entries.push(e.isDirectory ? `${e.name}/` : e.name);
    for (const e of entries.sort()) await walk(path + e);
  };
  try {
    for (const s of SOURCES) await walk(s);
    const text = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
    const parts: Uint8Array[] = [
      new TextEncoder().encode(`${text.version}\0${Deno.version.deno}\0`),
    ];
    for (const p of paths) {
      parts.push(new TextEncoder().encode(`${p}\0`), await Deno.readFile(new URL(p, root)));
    }
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) all.set(p, (at += p.length) - p.length);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
    const hex = [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${text.version}-${hex}`;
  } catch {
    return null;
  }
}

/**
 * The cache folder of built viewers: `$MRCAE_CACHE_DIR`, else `$XDG_CACHE_HOME/mrcae`, else
 * `~/.cache/mrcae` (`%LOCALAPPDATA%\\mrcae` on Windows); null when none can be named (no access
 * to the environment).
 */
export function cacheDir(): string | null {
  try {
    const env = (name: string) => Deno.env.get(name) || undefined;
    const own = env("MRCAE_CACHE_DIR");
    if (own) return own;
    const xdg = env("XDG_CACHE_HOME") ??
      (Deno.build.os === "windows" ? env("LOCALAPPDATA") : undefined);
    if (xdg) return `${xdg}/mrcae`;
    const home = env("HOME");
    return home ? `${home}/.cache/mrcae` : null;
  } catch {
    return null;
  }
}

/** What {@linkcode cachedViewer} found or built. */
export interface CachedViewer extends BuildResult {
  /** True when the build was in the cache already. */
  cached: boolean;
}

/**
 * The viewer and the decoder bundle, built at most once per {@linkcode sourceKey}: from
 * `cacheDir()/viewer-KEY/` when it is there, else built into a `mrcae-view-*` folder beside it
 * that is then renamed into place (two processes building at once both end with a complete
 * folder), and the builds of other keys are removed. Null when there is no cache folder or no
 * key; then build into a folder of your own.
 *
 * @param options `onBuildDir` is called with the temporary folder before the build starts, and with
 *   null once it is renamed or removed (so that a signal handler can remove it).
 * @returns The build, or null.
 */
export async function cachedViewer(
  options: { onBuildDir?: (dir: string | null) => void } = {},
): Promise<CachedViewer | null> {
  const cache = cacheDir();
  const key = cache === null ? null : await sourceKey();
  if (cache === null || key === null) return null;
  const dir = `${cache}/viewer-${key}`;
  const list = async (): Promise<BuildResult["files"] | null> => {
    try {
      const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
      return manifest.files;
    } catch {
      return null;
    }
  };
  const files = await list();
  if (files) return { outDir: dir, files, cached: true };
  try {
    await Deno.mkdir(cache, { recursive: true });
  } catch {
    return null;
  }
  const temp = await Deno.makeTempDir({ dir: cache, prefix: "mrcae-view-" });
  options.onBuildDir?.(temp);
  try {
    const built = await buildWeb(temp);
    await Deno.writeTextFile(`${temp}/manifest.json`, JSON.stringify({ key, files: built.files }));
    try {
      await Deno.rename(temp, dir);
    } catch {
      // Another process put its build there first: use that one.
      const theirs = await list();
      if (!theirs) throw new Error(`Cannot put the viewer's build into ${dir}`);
      return { outDir: dir, files: theirs, cached: true };
    }
    // Older builds are no longer used (a running view holds its files in memory): removed.
    for await (const e of Deno.readDir(cache)) {
      if (e.isDirectory && e.name.startsWith("viewer-") && e.name !== `viewer-${key}`) {
        await Deno.remove(`${cache}/${e.name}`, { recursive: true }).catch(() => {});
      }
    }
    return { outDir: dir, files: built.files, cached: false };
  } finally {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    options.onBuildDir?.(null);
  }
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
