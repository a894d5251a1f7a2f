// The shard and merge API as a library user has it: everything from mod.ts alone.
import assert from "node:assert";
import {
  compress,
  compressBlockwise,
  fileSpool,
  fromBytes,
  memorySpool,
  mergeShards,
  openMrc,
  type SnapshotSource,
} from "../../../mod.ts";

const [T, H, W] = [40, 17, 23];
const data = Float32Array.from(
  { length: T * H * W },
  (_, i) => Math.sin(i / 97) + 0.3 * Math.cos(i / 13) + 0.01 * ((i * 7919) % 101),
);

/** Snapshots `first .. first + count - 1` of `data`, read on demand. */
function source(first: number, count: number): SnapshotSource {
  return {
    shape: [count, H, W],
    dtype: "float32",
    read: (t0, t1) => Promise.resolve(data.slice((first + t0) * H * W, (first + t1) * H * W)),
  };
}

/** The bytes a sink received. */
function collector() {
  const parts: Uint8Array[] = [];
  return {
    write: (b: Uint8Array) => void parts.push(b.slice()),
    bytes: () => {
      const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
      let at = 0;
      for (const p of parts) out.set(p, at), at += p.length;
      return out;
    },
  };
}

Deno.test("mod.ts: shards from compressBlockwise, merged by mergeShards, equal one compress byte for byte and decode within the bound", async () => {
  const errorBound = 0.002, blockSize = 8;
  const one = await compress(data, [T, H, W], { errorBound, blockSize, reproducible: true });
  const shards: Uint8Array[] = [];
  // Two shards on block boundaries, coded with different spools, given to merge out of order.
  for (const [first, count] of [[24, 16], [0, 24]]) {
    const sink = collector();
    const dir = await Deno.makeTempDir();
    const spool = first === 0 ? await fileSpool(`${dir}/out.mrc`) : memorySpool();
    try {
      const { report } = await compressBlockwise(source(first, count), sink, {
        errorBound,
        blockSize,
        reproducible: true,
        shard: { first, total: T },
        spool,
      });
      assert.strictEqual(report.bound.abs, errorBound);
    } finally {
      // compressBlockwise closed it; again is harmless. The spool file was unlinked at once.
      await spool.close();
      assert.deepStrictEqual([...Deno.readDirSync(dir)], []);
      await Deno.remove(dir);
    }
    shards.push(sink.bytes());
  }
  const sink = collector();
  const result = await mergeShards(
    shards.map((b, i) => ({ name: `shard${i}.mrc`, source: fromBytes(b) })),
    sink,
    { reproducible: true },
  );
  assert.strictEqual(result.notIdentical, null);
  const merged = sink.bytes();
  assert.strictEqual(result.bytes, merged.length);
  assert.deepStrictEqual(merged, one);
  await using file = await openMrc(merged);
  const { data: out } = await file.decode();
  let max = 0;
  for (let i = 0; i < data.length; i++) max = Math.max(max, Math.abs(out[i] - data[i]));
  assert.ok(max <= errorBound, `max error ${max}`);
});

Deno.test("mod.ts: mergeShards refuses a gap, naming it", async () => {
  const sink = collector();
  await compressBlockwise(source(0, 16), sink, {
    errorBound: 0.01,
    blockSize: 8,
    shard: { first: 0, total: T },
  });
  await assert.rejects(
    mergeShards([{ name: "a.mrc", source: fromBytes(sink.bytes()) }], collector()),
    /^Error: Cannot merge: .*(gap|missing|cover)/i,
  );
});
