// A byte-exact vector of the BCOD range coder (SPEC.md §4.7.4), checked against the 1.2 coder.
import assert from "node:assert";
import { BitModels, RangeDecoder, RangeEncoder } from "../../format/_range_coder.ts";
import { mulberry32 } from "../../src/random.ts";

/**
 * 60,000 modelled bits in 3 contexts (always 0, so its counts are halved; 90% ones; fair) with 16
 * direct bits every 1,000th: the sequence and what the 1.2 coder wrote for it (SHA-256 of 3,798
 * bytes, computed with the coder of format 1.2 before the table form of p0).
 */
function sequence(): { ctx: number; bit: number; direct: number | null }[] {
  const random = mulberry32(11);
  const out = [];
  for (let i = 0; i < 60000; i++) {
    const ctx = i % 3;
    const bit = ctx === 0 ? 0 : ctx === 1 ? (random() < 0.9 ? 1 : 0) : (random() < 0.5 ? 1 : 0);
    out.push({ ctx, bit, direct: i % 1000 === 0 ? i & 0xFFFF : null });
  }
  return out;
}

const SHA256 = "d397381ecdadb5f5cadfbd9db919810d2b408cdf780b710effd1de8e92fb1d2d";

Deno.test("the range coder writes the 1.2 bytes of a fixed sequence and reads it back", async () => {
  const seq = sequence();
  const e = new RangeEncoder(), m = new BitModels(3);
  for (const s of seq) {
    e.encode(m, s.ctx, s.bit);
    if (s.direct !== null) e.encodeDirect(s.direct, 16);
  }
  const bytes = e.finish();
  assert.strictEqual(bytes.length, 3798);
  assert.deepStrictEqual(
    Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join(""),
    "0000004e419b9260",
  );
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  assert.strictEqual(Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""), SHA256);
  const d = new RangeDecoder(bytes), dm = new BitModels(3);
  for (const [i, s] of seq.entries()) {
    if (d.decode(dm, s.ctx) !== s.bit) assert.fail(`bit ${i} differs`);
    if (s.direct !== null) assert.strictEqual(d.decodeDirect(16), s.direct);
  }
  assert.ok(d.position <= bytes.length, "the decoder read no byte past the end");
  // The always-0 context was halved: its counts stay below the limit.
  assert.ok(m.counts[0] < 16384 && m.counts[0] > 8000);
});
