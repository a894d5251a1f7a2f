/**
 * The web build: `deno task build` (or `deno run -A web/build.ts [OUT_DIR]`) writes
 *
 * - `decode.js` (+ `decode.js.map`, `decode.d.ts`): `decode.ts` as one minified ES module for
 *   browsers, with `npm:fflate` inlined;
 * - `viewer/`: the viewer page, its script and its decoding worker (each minified, with a map).
 *
 * `cli.ts view` builds the viewer the same way into a temporary folder.
 *
 * @module
 */

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
  for (const f of files) console.log(`${outDir}/${f.path}  ${f.bytes} B`);
}
