/**
 * `cli.ts view FILE_OR_URL`: serves the browser viewer, the decoder bundle and the file on
 * 127.0.0.1, and prints the address to open.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { basename } from "node:path";
import { buildWeb, cachedViewer } from "../web/build.ts";
import { fileHandler } from "../web/serve.ts";
import { hasMrcSignature } from "../format/signature.ts";

/** Help text of the command. */
export const HELP =
  `Usage: cli.ts view FILE_OR_URL [--port N] [--latency MS] [--allow-origin ORIGIN]... [--var NAME [--layer K]]

Serves a viewer that decodes the file in the browser level by level, coarse to fine, with range
requests: level 0 appears as soon as its bytes arrive, then each finer level. Open the printed
address. A URL is read by the browser directly: its server must answer Range requests and, being
on another origin, send "Access-Control-Allow-Origin" and
"Access-Control-Expose-Headers: Content-Range" (see the README). Also served: /decode.js (the
decoder bundle), /decode.js.map (its sources named relative to the project) and /decode.d.ts.

A FILE must be an .mrc file (its first bytes are checked; a netCDF file is refused with the
command that compresses it). A file of several variables (a collection) needs --var NAME, and
--layer K (from 0) for a variable of layers (the page's &var= and &layer=).

Only this machine's own pages read what it serves: a request whose Host is not 127.0.0.1,
localhost or [::1] with the port, or that comes from a page of another origin, is refused (403).
The file is read by range, only the bytes asked for. Ctrl-C (SIGINT) or SIGTERM stops the server.

The viewer is built once per version of the sources into a cache folder ($MRCAE_CACHE_DIR, else
$XDG_CACHE_HOME/mrcae, else ~/.cache/mrcae) and served from it; a later start takes well under a
second. Without a cache folder it is built for each start in a temporary folder, removed before the
server starts.

Options:
  --port N              port on 127.0.0.1 (default 8080; 0 picks a free one)
  --latency MS          wait MS milliseconds before each answer, to watch the refinement (default 0)
  --allow-origin ORIGIN let pages of ORIGIN (e.g. http://localhost:3000) read the files across
                        origins, with the CORS headers; repeatable (default: none)`;

/** Checks an `--allow-origin` value: an origin exactly as a browser sends it. */
function checkOrigin(value: string): string {
  let origin: string | null = null;
  try {
    origin = new URL(value).origin;
  } catch {
    // refused below
  }
  if (origin !== value || !/^https?:/.test(value)) {
    throw new Error(
      `--allow-origin takes an origin such as http://localhost:3000 (scheme, host and port, no path), found "${value}"`,
    );
  }
  return value;
}

/** What a file's first bytes say it is, for the error that refuses it. */
function kindOf(head: Uint8Array): string | null {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));
  if (starts(...ascii("CDF")) && [1, 2, 5].includes(head[3])) return "a netCDF file";
  if (starts(0x89, ...ascii("HDF\r\n"), 0x1a, 0x0a)) return "a netCDF-4/HDF5 file";
  if (starts(0x93, ...ascii("NUMPY"))) return "a .npy file";
  return null;
}

/** Refuses what is not a regular `.mrc` file, by its first bytes (the signature, SPEC.md §2). */
async function checkMrc(path: string): Promise<void> {
  const info = await Deno.stat(path).catch(() => null);
  if (!info) throw new Error(`Cannot view "${path}": no such file`);
  if (!info.isFile) throw new Error(`Cannot view "${path}": not a regular file`);
  const head = new Uint8Array(16);
  {
    using file = await Deno.open(path, { read: true });
    let at = 0;
    for (let n: number | null = 0; n !== null && at < head.length; at += n ?? 0) {
      n = await file.read(head.subarray(at));
    }
  }
  if (hasMrcSignature(head)) return;
  const kind = kindOf(head);
  throw new Error(
    `Cannot view "${path}": not an .mrc file (its first bytes are not the .mrc signature)${
      kind ? `; it is ${kind}: compress it first, cli.ts compress ${path} -o OUT.mrc` : ""
    }`,
  );
}

/** Runs the command. */
export async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      latency: { type: "string" },
      "allow-origin": { type: "string", multiple: true },
      var: { type: "string" },
      layer: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return void console.log(HELP);
  if (positionals.length !== 1) throw new Error("view takes one FILE_OR_URL (see --help)");
  const port = Number(values.port ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be an integer in 0..65535, found "${values.port}"`);
  }
  const delayMs = Number(values.latency ?? 0);
  if (!(delayMs >= 0)) throw new Error(`--latency must be >= 0, found "${values.latency}"`);
  const allowOrigins = (values["allow-origin"] ?? []).map(checkOrigin);
  const input = positionals[0];
  const remote = /^https?:\/\//i.test(input);
  const files: Record<string, string | Uint8Array> = {};
  let fileUrl = input;
  if (values.layer !== undefined && !/^\d+$/.test(values.layer)) {
    throw new Error(`--layer must be an integer from 0, found "${values.layer}"`);
  }
  if (!remote) {
    await checkMrc(input);
    // A file of several variables: the one to view, checked before the server starts (a file
    // that does not open is the page's to report, as before).
    const { openCollectionFile, openFile } = await import("./_files.ts");
    if (values.var !== undefined || values.layer !== undefined) {
      await (await openFile(input, {
        variable: values.var,
        layer: values.layer === undefined ? undefined : Number(values.layer),
      })).close();
    } else {
      const collection = await openCollectionFile(input).catch(() => null);
      await collection?.close();
      if (collection?.isCollection) await openFile(input); // throws, naming the variables
    }
    fileUrl = `/data/${encodeURIComponent(basename(input))}`;
    files[decodeURIComponent(fileUrl)] = input;
  }

  // SIGINT and SIGTERM stop the server. Before the server runs, a signal ends the command once
  // the build's temporary folder is removed; a second signal removes it and exits at once.
  let server: Deno.HttpServer<Deno.NetAddr> | null = null;
  let stopped = false;
  let dir: string | null = null;
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const stop = () => {
    if (stopped) {
      try {
        if (dir) Deno.removeSync(dir, { recursive: true });
      } catch { /* removed already */ }
      Deno.exit(130);
    }
    stopped = true;
    server?.shutdown();
  };
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  try {
    // The viewer from the cache folder (built there once per version of the sources), or built
    // into a temporary folder; read into memory, the temporary folder removed before serving.
    try {
      const cached = await cachedViewer({ onBuildDir: (d) => (dir = d) });
      if (cached) {
        for (const f of cached.files) {
          files[`/${f.path}`] = await Deno.readFile(`${cached.outDir}/${f.path}`);
        }
      } else {
        dir = await Deno.makeTempDir({ prefix: "mrcae-view-" });
        try {
          const { files: built } = await buildWeb(dir);
          for (const f of built) files[`/${f.path}`] = await Deno.readFile(`${dir}/${f.path}`);
        } finally {
          await Deno.remove(dir, { recursive: true }).catch(() => {});
          dir = null;
        }
      }
    } catch (e) {
      if (stopped) return;
      throw e;
    }
    if (stopped) return;
    const page = `/viewer/?url=${encodeURIComponent(fileUrl)}${
      values.var === undefined ? "" : `&var=${encodeURIComponent(values.var)}`
    }${values.layer === undefined ? "" : `&layer=${encodeURIComponent(values.layer)}`}`;
    let handler: (request: Request) => Promise<Response> = () => {
      throw new Error("not listening yet");
    };
    try {
      server = Deno.serve({
        hostname: "127.0.0.1",
        port,
        onListen: ({ port }) => console.log(`viewing ${input} at http://127.0.0.1:${port}${page}`),
      }, (request) => handler(request));
    } catch (e) {
      if (e instanceof Deno.errors.AddrInUse) {
        throw new Error(
          `Cannot listen on 127.0.0.1:${port}: the port is in use (another view?); pass --port 0 to pick a free one, or another --port`,
        );
      }
      throw e;
    }
    handler = fileHandler({
      files,
      redirects: { "/": page },
      allowOrigins,
      port: server.addr.port,
      delayMs,
    });
    await server.finished;
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, stop);
  }
}
