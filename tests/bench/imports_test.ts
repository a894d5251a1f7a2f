// bench/ is a client of the library, not of its tests: what a bench needs lives in bench/ or src/.
import assert from "node:assert";

Deno.test("bench/ imports nothing from tests/", async () => {
  const dir = new URL("../../bench/", import.meta.url);
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, dir));
    for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
      assert.ok(!/(^|\/)tests\//.test(spec), `bench/${entry.name} imports ${spec}`);
    }
  }
});
