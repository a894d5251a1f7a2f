// A small seeded run of the fuzz harness (tests/fuzz/fuzz.ts); `deno task fuzz` runs a long one.
import assert from "node:assert";
import { type FuzzReport, runFuzz } from "./fuzz/fuzz.ts";

const OPTIONS = {
  count: 300,
  seconds: 60,
  maxBytes: 16 * 2 ** 20,
  timeLimitMs: 3000,
  model: false,
};

Deno.test("openMrc() and decodeStream() agree on 300 mutants: each decoded within the readers' promises or refused with MrcFormatError", async () => {
  const report = await runFuzz({ seed: 10, ...OPTIONS });
  // A failure is any other error type, an accepted mutant whose levels break their promises
  // (order, shape, samples inside the extent) or that the readers decode differently, a typed
  // array over maxBytes, a decode over the time limit, or a mutant one reader accepts and the
  // other refuses.
  assert.deepStrictEqual(report.failures, []);
  assert.strictEqual(report.mutants, 300);
  assert.ok(report.accepted > 0 && report.rejected > 0, JSON.stringify(report));
  assert.strictEqual(report.accepted + report.rejected + report.overBudget, report.mutants);
});

Deno.test("100 mutants read by URL from hostile servers: refused within the budget, or decoded as the bytes are", async () => {
  // Servers that ignore Range, claim 2^53 - 1 bytes and then send an endless body, send more than
  // asked, or an endless body from the start (issue 18): nothing over maxBytes, nothing hangs.
  const report = await runFuzz({ seed: 11, ...OPTIONS, count: 100, server: true });
  assert.deepStrictEqual(report.failures, []);
  assert.strictEqual(report.mutants, 100);
});

Deno.test("runFuzz() is deterministic for a seed", async () => {
  const counts = ({ seconds: _s, slowestMs: _m, ...rest }: FuzzReport) => rest;
  const a = counts(await runFuzz({ seed: 3, ...OPTIONS, count: 100 }));
  const b = counts(await runFuzz({ seed: 3, ...OPTIONS, count: 100 }));
  const c = counts(await runFuzz({ seed: 4, ...OPTIONS, count: 100 }));
  assert.deepStrictEqual(a, b);
  assert.notDeepStrictEqual(a, c);
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
