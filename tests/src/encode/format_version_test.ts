// compress's formatVersion: a file for the readers of an older release. The coded bytes and the
// decoded values are the newest version's; only how the metadata is stored differs (1.5: JSON
// deflated; 1.6: with the preset dictionary, and the index deflated; 1.7: the missing mask
// range-coded); what a version cannot hold is refused by name.
import assert from "node:assert";
import { compress, openMrc } from "../../../mod.ts";
import { fromBytes, openContainer } from "../../../format/mod.ts";
import { compressCollectionTo } from "../../../src/encode/collection.ts";
import { concat } from "../../../format/_bytes.ts";
import { type Dims, gauss, prng, smooth } from "../_bounded.ts";

const dims: Dims = [6, 20, 24];

/** A smooth field with noise: most codes non-zero at a bound of 1e-3 of its range. */
function noisy(seed: number): Float32Array {
  const rand = prng(seed);
  return smooth(dims, seed / 10).map((v) => v + 0.02 * gauss(rand));
}

/** The flags of every chunk, the index included, and whether each JSON stream uses `D`. */
async function storage(bytes: Uint8Array) {
  const c = await openContainer(fromBytes(bytes));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const indexAt = Number(view.getBigUint64(bytes.length - 28, true));
  const json = c.chunks.filter((e) => e.type === "MHDR" || e.type === "META" || e.type === "ATTR");
  return {
    version: `${c.version.major}.${c.version.minor}`,
    jsonFlags: json.map((e) => e.flags),
    dictionary: json.map((e) => e.flags === 1 && (bytes[e.offset + 16 + 5] & 0x20) !== 0),
    indexFlags: view.getUint16(indexAt + 10, true),
    maskLayout: bytes[c.chunks.find((e) => e.type === "NANM")!.offset + 16],
    codes: c.chunks.filter((e) => e.type === "BCOD").map((e) =>
      bytes.subarray(e.offset + 16, e.offset + e.length - 4)
    ),
  };
}

Deno.test("formatVersion 1.2 to 1.7: the same codes and values, the metadata stored as that version stores it", async () => {
  const x = noisy(5);
  x[7] = NaN;
  const options = { relErrorBound: 1e-3, blockSize: 4, reproducible: true };
  const newest = await compress(x, dims, options);
  const base = await storage(newest);
  assert.deepStrictEqual(base.version, "1.7");
  const want = [];
  for await (const level of (await openMrc(newest)).progressive()) want.push(level.data);
  // JSON flags, the dictionary, index flags and the layout of the mask (one hole in snapshot 0:
  // per snapshot, zlib 1, range-coded 3).
  const expect: Record<string, [number, boolean, number, number]> = {
    "1.2": [0, false, 0, 1],
    "1.3": [0, false, 0, 1],
    "1.4": [0, false, 0, 1],
    "1.5": [1, false, 0, 1],
    "1.6": [1, true, 1, 1],
    "1.7": [1, true, 1, 3],
  };
  for (const [version, [jsonFlag, dictionary, indexFlag, maskLayout]] of Object.entries(expect)) {
    const bytes = await compress(x, dims, { ...options, formatVersion: version });
    const s = await storage(bytes);
    assert.strictEqual(s.version, version);
    assert.ok(s.jsonFlags.every((f) => f === jsonFlag), `${version}: JSON flags ${s.jsonFlags}`);
    assert.ok(s.dictionary.every((d) => d === dictionary), `${version}: dictionary`);
    assert.strictEqual(s.indexFlags, indexFlag, `${version}: index flags`);
    assert.strictEqual(s.maskLayout, maskLayout, `${version}: mask layout`);
    assert.deepStrictEqual(s.codes, base.codes, `${version}: the coded bytes`);
    const file = await openMrc(bytes);
    assert.deepStrictEqual(file.version, { major: 1, minor: Number(version.slice(2)) });
    let k = 0;
    for await (const level of file.progressive()) {
      assert.deepStrictEqual(level.data, want[k++], `${version}: level ${k - 1}`);
    }
    if (version < "1.7") assert.ok(bytes.length > newest.length, `${version} is larger`);
  }
  // Learned prediction from 1.3 on.
  const learned = await compress(x, dims, {
    ...options,
    predictor: "learned",
    formatVersion: "1.3",
  });
  assert.strictEqual((await storage(learned)).version, "1.3");
});

Deno.test("a formatVersion that cannot hold the file is refused by name, before any coding", async () => {
  const x = noisy(6);
  const refused = async (formatVersion: unknown, pattern: RegExp, more = {}) =>
    await assert.rejects(
      compress(x, dims, { errorBound: 0.01, formatVersion, ...more } as never),
      (e) => e instanceof TypeError && pattern.test(e.message),
      String(formatVersion),
    );
  const range = /formatVersion must be "1\.2" to "1\.7" \(bounded files are 1\.2 or later\)/;
  for (const v of ["1.1", "1.0", "1.8", "2.0", "1.10", "1", " 1.5", 1.5]) await refused(v, range);
  await refused("1.2", /predictor "auto" needs format 1\.3 or later/, { predictor: "auto" });
  await refused("1.2", /predictor "learned" needs format 1\.3 or later/, { predictor: "learned" });
  await assert.rejects(
    compress(x, dims, { coding: "model", formatVersion: "1.5" } as never),
    TypeError,
  );
});

Deno.test("a collection is 1.4 or later; with formatVersion its parts are that version", async () => {
  const a = noisy(7), b = noisy(8);
  const inputs = [
    { name: "a", layers: [{ data: a, shape: dims }] },
    { name: "b", layers: [{ data: b, shape: dims }] },
  ];
  const write = async (formatVersion?: string) => {
    const parts: Uint8Array[] = [];
    await compressCollectionTo(inputs, { write: (c) => void parts.push(c.slice()) }, {
      errorBound: 0.01,
      reproducible: true,
      ...(formatVersion ? { formatVersion } : {}),
    });
    return concat(parts);
  };
  await assert.rejects(write("1.3"), /a collection of variables needs format 1\.4 or later/);
  const old = await write("1.5");
  for (const name of ["a", "b"]) {
    const file = await openMrc(old, { variable: name });
    assert.deepStrictEqual(file.version, { major: 1, minor: 5 });
    const now = await openMrc(await write(), { variable: name });
    assert.deepStrictEqual(now.version, { major: 1, minor: 7 });
    assert.deepStrictEqual((await file.decode()).data, (await now.decode()).data);
  }
});
