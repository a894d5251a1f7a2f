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
export const HELP = `Usage: cli.ts view FILE_OR_URL [--port N]

Serves a viewer that decodes the file in the browser level by level, coarse to fine, with range
requests: level 0 appears as soon as its bytes arrive, then each finer level. Open the printed
address. A URL is read by the browser directly: its server must answer Range requests and, being
on another origin, send "Access-Control-Allow-Origin" and
"Access-Control-Expose-Headers: Content-Range" (see the README). Also served: /decode.js (the
decoder bundle), /decode.js.map and /decode.d.ts. Stop with Ctrl-C.

Options:
  --port N      port on 127.0.0.1 (default 8080; 0 picks a free one)
  --latency MS  wait MS milliseconds before each answer, to watch the refinement (default 0)`;

/** Runs the command. */
export async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      latency: { type: "string" },
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
  const input = positionals[0];
  const remote = /^https?:\/\//i.test(input);
  const files: Record<string, string> = {};
  let fileUrl = input;
  if (!remote) {
    const info = await Deno.stat(input).catch(() => null);
    if (!info?.isFile) throw new Error(`Cannot view "${input}": no such file`);
    fileUrl = `/data/${encodeURIComponent(basename(input))}`;
    files[decodeURIComponent(fileUrl)] = input;
  }
  const dir = await Deno.makeTempDir({ prefix: "mrcae-view-" });
  const { files: built } = await buildWeb(dir);
  for (const f of built) files[`/${f.path}`] = `${dir}/${f.path}`;
  const page = `/viewer/?url=${encodeURIComponent(fileUrl)}`;
  const handler = fileHandler({ files, delayMs });
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: ({ port }) => console.log(`viewing ${input} at http://127.0.0.1:${port}${page}`),
  }, (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/") return Response.redirect(new URL(page, url), 302);
    return handler(request);
  });
  try {
    await server.finished;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
