/**
 * `cli.ts view FILE_OR_URL`: serves the browser viewer, the decoder bundle and the file on
 * 127.0.0.1, and prints the address to open.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { basename } from "node:path";
import { buildWeb } from "../web/build.ts";
import { fileHandler } from "../web/serve.ts";

/** Help text of the command. */
export const HELP =
  `Usage: cli.ts view FILE_OR_URL [--port N] [--latency MS] [--allow-origin ORIGIN]...

Serves a viewer that decodes the file in the browser level by level, coarse to fine, with range
requests: level 0 appears as soon as its bytes arrive, then each finer level. Open the printed
address. A URL is read by the browser directly: its server must answer Range requests and, being
on another origin, send "Access-Control-Allow-Origin" and
"Access-Control-Expose-Headers: Content-Range" (see the README). Also served: /decode.js (the
decoder bundle), /decode.js.map (its sources named relative to the project) and /decode.d.ts.

Only this machine's own pages read what it serves: a request whose Host is not 127.0.0.1,
localhost or [::1] with the port, or that comes from a page of another origin, is refused (403).
The file is read by range, only the bytes asked for. Ctrl-C (SIGINT) or SIGTERM stops the server;
nothing is left in the temporary folder.

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

/** Runs the command. */
export async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      latency: { type: "string" },
      "allow-origin": { type: "string", multiple: true },
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
  if (!remote) {
    const info = await Deno.stat(input).catch(() => null);
    if (!info?.isFile) throw new Error(`Cannot view "${input}": no such file`);
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
    // The viewer is built into a temporary folder, read into memory and the folder removed
    // before anything is served.
    dir = await Deno.makeTempDir({ prefix: "mrcae-view-" });
    try {
      const { files: built } = await buildWeb(dir);
      for (const f of built) files[`/${f.path}`] = await Deno.readFile(`${dir}/${f.path}`);
    } catch (e) {
      if (stopped) return;
      throw e;
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      dir = null;
    }
    if (stopped) return;
    const page = `/viewer/?url=${encodeURIComponent(fileUrl)}`;
    let handler: (request: Request) => Promise<Response> = () => {
      throw new Error("not listening yet");
    };
    server = Deno.serve({
      hostname: "127.0.0.1",
      port,
      onListen: ({ port }) => console.log(`viewing ${input} at http://127.0.0.1:${port}${page}`),
    }, (request) => handler(request));
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
