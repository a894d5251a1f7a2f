// Run by stream_reader_test.ts in its own process (with --expose-gc, so that the measure starts
// from a collected heap): streams a file holding a 128 MiB unknown chunk through readMrcStream()
// in 1 MiB views and prints the resident set before and at its peak, as JSON.
import { readMrcStream } from "../../format/mod.ts";
import { joinMrc, splitMrc } from "../fuzz/_mrc_edit.ts";

const file = splitMrc(
  await Deno.readFile(new URL("../testdata/v1.2-bounded.mrc", import.meta.url)),
);
const body = new Uint8Array(128 * 2 ** 20).fill(7);
file.chunks.splice(1, 0, { type: "ZZZZ", level: null, block: null, flags: 0, body });
const bytes = joinMrc(file);
file.chunks.length = 0;
// Garbage (the body, joinMrc's parts) is unmapped by a background sweeper: collect, let it run.
const { gc } = globalThis as unknown as { gc: () => void };
for (let i = 0; i < 3; i++) {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 100));
}
// Every page of the file resident before the measure starts (reading it must add nothing).
let touched = 0;
for (let i = 0; i < bytes.length; i += 4096) touched += bytes[i];
const start = Deno.memoryUsage().rss;
let peak = start, at = 0;
const stream = new ReadableStream<Uint8Array>({
  pull(controller) {
    peak = Math.max(peak, Deno.memoryUsage().rss);
    if (at >= bytes.length) return controller.close();
    controller.enqueue(bytes.subarray(at, at + 2 ** 20));
    at += 2 ** 20;
  },
}, { highWaterMark: 0 });
const types = [];
for await (const chunk of readMrcStream(stream)) {
  peak = Math.max(peak, Deno.memoryUsage().rss);
  types.push(chunk.type);
}
console.log(JSON.stringify({ start, peak, types, touched }));
