/**
 * Decode throughput: `deno bench -A bench/decode_bench.ts`.
 *
 * Compresses the paper's first toy problem (127 x 127, 200 snapshots, a short training run: the
 * speed of decoding depends on the masks' coverage, not on how well the model was trained), then
 * times decoding each level from bytes in memory, in MB/s of float32 output. Setup runs once,
 * outside the timed region.
 */
import { compress, openMrc } from "../mod.ts";
import { toyOscillatory } from "../src/io/toy.ts";

const { data, shape } = toyOscillatory({ snapshotCount: 200 });
const bytes = await compress(data, shape, { coding: "model", steps: 60, backend: "wasm", seed: 0 });
const file = await openMrc(bytes);
const outputBytes = file.levels.map((l) => shape[0] * l.extent[0] * l.extent[1] * 4);
console.log(
  `file ${bytes.length} bytes; masks kept per level: ${
    (await Promise.all(file.levels.map((l) => file.masks(l.level)))).map((ms) =>
      ms.map((m) => (m.reduce((a, b) => a + b, 0) / m.length * 100).toFixed(0) + "%").join("/")
    ).join(", ")
  }; output MB per level: ${outputBytes.map((b) => (b / 1e6).toFixed(1)).join(", ")}`,
);

for (const info of file.levels) {
  Deno.bench({
    name: `decode level ${info.level} (${info.extent[0]}x${info.extent[1]} x ${shape[0]})`,
    group: "decode",
    baseline: info.level === file.levels.length - 1,
    async fn() {
      // A fresh open each time, so the timing includes reading and inflating the chunks.
      const f = await openMrc(bytes);
      await f.decode({ level: info.level });
    },
  });
}

Deno.bench({
  name: "decode 10 snapshots of the finest level",
  group: "range",
  async fn() {
    const f = await openMrc(bytes);
    await f.decode({ snapshots: [95, 105] });
  },
});
