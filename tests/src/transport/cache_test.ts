// cachedSource(): reads served from held bytes, merged requests, partial hits.
import assert from "node:assert";
import { countingSource, fromBytes } from "../../../format/mod.ts";
import { cachedSource } from "../../../src/transport/mod.ts";

const bytes = new Uint8Array(1000).map((_, i) => i % 251);

Deno.test("cachedSource() fetches only the part of a read that it does not hold", async () => {
  const counted = countingSource(fromBytes(bytes));
  const source = cachedSource(counted, { coalesceGap: 0 });
  await source.read(0, 100);
  await source.read(200, 100);
  assert.strictEqual(counted.bytesRead, 200);
  // Starts in the first piece, ends in the second: only 100..199 is new.
  const got = await source.read(50, 200);
  assert.deepStrictEqual(got, bytes.subarray(50, 250));
  assert.strictEqual(counted.bytesRead, 300);
  assert.deepStrictEqual(counted.log.at(-1), { offset: 100, length: 100 });
  // Now held whole, from three pieces: no request.
  assert.deepStrictEqual(await source.read(0, 300), bytes.subarray(0, 300));
  assert.strictEqual(counted.bytesRead, 300);
  // A read that only starts in a held piece.
  assert.deepStrictEqual(await source.read(250, 100), bytes.subarray(250, 350));
  assert.deepStrictEqual(counted.log.at(-1), { offset: 300, length: 50 });
});

Deno.test("cachedSource() reads a range whole again when its pieces were evicted", async () => {
  const counted = countingSource(fromBytes(bytes));
  const source = cachedSource(counted, { coalesceGap: 0, maxBytes: 150 });
  await source.read(0, 100);
  await source.read(150, 100); // evicts the first piece
  assert.deepStrictEqual(await source.read(50, 150), bytes.subarray(50, 200));
});
