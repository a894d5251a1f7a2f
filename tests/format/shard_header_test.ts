// The 1.3 MHDR property "shard" (SPEC.md §4.1.2): what readers accept and refuse.
import assert from "node:assert";
import { decodeHeader, encodeHeader, MrcFormatError, type MrcHeader } from "../../format/mod.ts";

const golden = JSON.parse(
  await Deno.readTextFile(new URL("../testdata/v1.3-bounded-shard.json", import.meta.url)),
).header as MrcHeader;

const withShard = (shard: unknown, change: Partial<MrcHeader> = {}) =>
  new TextEncoder().encode(JSON.stringify({ ...golden, ...change, shard }));

Deno.test("the golden shard's header: snapshots 4..8 of 9, blocks of 4", () => {
  assert.deepStrictEqual(golden.shard, { first: 4, total: 9 });
  assert.deepStrictEqual(golden.shape.slice(0, 1), [5]);
  assert.deepStrictEqual(decodeHeader(encodeHeader(golden)), golden);
});

Deno.test("readers refuse a shard property that does not fit", () => {
  const cases: [unknown, Partial<MrcHeader>, RegExp][] = [
    [[4, 9], {}, /"shard" must be an object/],
    [{ first: 4 }, {}, /"shard\.total" must be an integer/],
    [{ first: 2, total: 9 }, {}, /"shard\.first" must be a multiple of "blockSize" 4/],
    [{ first: 9, total: 9 }, {}, /"shard\.first" must be a multiple of "blockSize" 4 in 0\.\.8/],
    [{ first: 8, total: 9 }, {}, /"shard" snapshots 8\.\.12 run past the whole's 9/],
    [{ first: 0, total: 9 }, {}, /ends before the whole's last snapshot but holds 5 snapshots/],
    [{ first: 4, total: 9 }, { coding: "model" }, /./],
  ];
  for (const [shard, change, pattern] of cases) {
    assert.throws(() => decodeHeader(withShard(shard, change)), (e: Error) => {
      assert.ok(e instanceof MrcFormatError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  }
  // A whole shard of 8 snapshots (2 blocks) ending before a whole of 12 is fine.
  const ok = decodeHeader(withShard({ first: 4, total: 12 }, {
    shape: [8, golden.shape[1], golden.shape[2]],
    missing: { ...golden.missing, count: 0, mode: "nan" },
  }));
  assert.deepStrictEqual(ok.shard, { first: 4, total: 12 });
});
