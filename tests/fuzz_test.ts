// A small seeded run of the fuzz harness (tests/fuzz/fuzz.ts); `deno task fuzz` runs a long one.
import assert from "node:assert";
import { runFuzz } from "./fuzz/fuzz.ts";

Deno.test("openMrc() and decodeStream() refuse 300 mutants alike, in budget and in time", async () => {
  const report = await runFuzz({
    seed: 10,
    count: 300,
    seconds: 15,
    maxBytes: 16 * 2 ** 20,
    timeLimitMs: 3000,
    model: false,
  });
  assert.deepStrictEqual(report.failures, []);
  assert.strictEqual(report.mutants, 300);
  assert.ok(report.accepted > 0 && report.rejected > 0, JSON.stringify(report));
});

Deno.test("cli info prints any file whose META is a JSON object, report or not", async () => {
  const { run } = await import("../cli/info.ts");
  const { joinMrc, splitMrc } = await import("./fuzz/_mrc_edit.ts");
  const metas: unknown[] = [
    { tool: "mrcae", mode: "bounded", bound: { abs: 1, rel: "0.1", requested: {} }, levels: "x" },
    { tool: "mrcae", trainSeconds: "3", backend: 5, levels: [{ level: 0, rmse: "1" }] },
    { tool: "mrcae", levels: [null], inputShape: "x" },
    {},
  ];
  const dir = await Deno.makeTempDir();
  const log = console.log;
  try {
    for (const name of ["v1.0-small", "v1.2-bounded"]) {
      for (const [i, meta] of metas.entries()) {
        const file = splitMrc(
          await Deno.readFile(new URL(`testdata/${name}.mrc`, import.meta.url)),
        );
        const chunk = file.chunks.find((c) => c.type === "META");
        if (chunk === undefined) continue;
        chunk.body = new TextEncoder().encode(JSON.stringify(meta));
        const path = `${dir}/${name}-${i}.mrc`;
        await Deno.writeFile(path, joinMrc(file));
        console.log = () => {};
        await run([path]);
        await run([path, "--json"]);
        console.log = log;
      }
    }
  } finally {
    console.log = log;
    await Deno.remove(dir, { recursive: true });
  }
});
