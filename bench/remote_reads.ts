/**
 * Requests and bytes to open a remote `.mrc` file and decode one snapshot at level 0, then at the
 * finest level: with exact reads, with what `openMrc(url)` does by default (the first request
 * brings the first 16 KiB, one more the last 16 KiB, and a cache), and as the viewer does (plus a
 * `levelRanges` prefetch per level, merged into as few requests as possible).
 *
 * `deno run -A bench/remote_reads.ts [FILE.mrc]` (default: the field of bench/_field.ts); prints a table.
 *
 * @module
 */

import { fromUrl } from "../src/transport/mod.ts";
import type { ByteRange } from "../src/transport/mod.ts";
import { openRemote } from "../src/read/open.ts";
import { levelRanges, type MrcFile, openMrc } from "../decode.ts";
import { testFile } from "./_field.ts";
import { fileHandler } from "../web/serve.ts";
import { DEFAULT_READ_AHEAD } from "../src/read/_read_ahead.ts";
import { formatBytes } from "../src/units.ts";

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

async function measure(
  name: string,
  open: () => Promise<{ file: MrcFile; prefetch?: (r: ByteRange[]) => Promise<void> }>,
) {
  requests = received = 0;
  const rows: string[] = [];
  const { file, prefetch } = await open();
  rows.push(`| ${name} | open | ${requests} | ${received} |`);
  const finest = file.levelCount - 1;
  for (const level of [0, finest]) {
    const options = { level, snapshots: [snapshot, snapshot + 1] as [number, number] };
    if (prefetch) await prefetch(levelRanges(file, options));
    await file.decode(options);
    rows.push(`| ${name} | + level ${level} | ${requests} | ${received} |`);
  }
  return rows;
}

console.log(`file: ${bytes.length} bytes; snapshot ${snapshot}; cumulative counts`);
console.log("| source | step | requests | bytes |\n|---|---|---|---|");
for (
  const row of [
    ...await measure(
      "exact reads (`readAhead: 0`, before)",
      async () => ({ file: await openMrc(await fromUrl(url)) }),
    ),
    ...await measure(
      `\`openMrc(url)\` (default: ${formatBytes(DEFAULT_READ_AHEAD)} from each end, cache)`,
      async () => ({ file: await openMrc(url) }),
    ),
    ...await measure("viewer (the same + `levelRanges` prefetch per level)", async () => {
      const s = await openRemote(url);
      return { file: await openMrc(s), prefetch: (r) => s.prefetch(r) };
    }),
  ]
) console.log(row);
await server.shutdown();
