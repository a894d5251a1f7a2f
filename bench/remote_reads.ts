/**
 * Requests and bytes to open a remote `.mrc` file and decode one snapshot at level 0, then at the
 * finest level, with the plain URL source (`fromUrl`) and with the cached one that `openMrc` uses
 * for URLs (`cachedSource` + `endRanges`, plus `levelRanges` prefetches as the viewer does).
 *
 * `deno run -A bench/remote_reads.ts [FILE.mrc]` (default: the web tests' field); prints a table.
 *
 * @module
 */

import { cachedSource, endRanges, fromUrl, type RangeSource } from "../format/mod.ts";
import { levelRanges, openMrc } from "../decode.ts";
import { testFile } from "../tests/web/_field.ts";
import { fileHandler } from "../web/serve.ts";

const bytes = Deno.args[0] ? await Deno.readFile(Deno.args[0]) : await testFile();
let requests = 0, received = 0;
const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  fileHandler({
    files: { "/f.mrc": bytes },
    onRequest: (r) => {
      requests++;
      received += r.bytes;
    },
  }),
);
const url = `http://127.0.0.1:${server.addr.port}/f.mrc`;
const snapshot = 10;

async function measure(name: string, make: () => Promise<RangeSource>, prefetch: boolean) {
  requests = received = 0;
  const rows: string[] = [];
  const source = await make();
  const file = await openMrc(source);
  rows.push(`| ${name} | open | ${requests} | ${received} |`);
  const finest = file.levelCount - 1;
  for (const level of [0, finest]) {
    const options = { level, snapshots: [snapshot, snapshot + 1] as [number, number] };
    if (prefetch) {
      await (source as ReturnType<typeof cachedSource>).prefetch(levelRanges(file, options));
    }
    await file.decode(options);
    rows.push(`| ${name} | + level ${level} | ${requests} | ${received} |`);
  }
  return rows;
}

console.log(`file: ${bytes.length} bytes; snapshot ${snapshot}; cumulative counts`);
console.log("| source | step | requests | bytes |\n|---|---|---|---|");
for (
  const row of [
    ...await measure("fromUrl (before)", () => fromUrl(url), false),
    ...await measure("cached, no level prefetch", async () => {
      const s = cachedSource(await fromUrl(url));
      await s.prefetch(endRanges(s.byteLength));
      return s;
    }, false),
    ...await measure("cached + levelRanges (viewer)", async () => {
      const s = cachedSource(await fromUrl(url));
      await s.prefetch(endRanges(s.byteLength));
      return s;
    }, true),
  ]
) console.log(row);
await server.shutdown();
