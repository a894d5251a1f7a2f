// The bounded golden files (formats 1.2 to 1.6): exact bytes, exact decoded values, the bound.
import assert from "node:assert";
import { decodeStream, openMrc } from "../../mod.ts";
import { fromBytes, openContainer } from "../../format/mod.ts";
import {
  type BoundedGoldenDescription,
  buildBoundedMrc,
  chunkList,
  GOLDEN_BOUNDED,
} from "../testdata/generate.ts";
import { JSON_DICTIONARY_ID } from "../../format/_json_dictionary.ts";

const testdata = new URL("../testdata/", import.meta.url);

const same = (a: ArrayLike<number>, b: readonly (number | null)[], what: string) => {
  assert.strictEqual(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    const want = b[i] === null ? NaN : b[i];
    assert.ok(Object.is(a[i], want), `${what}: index ${i} is ${a[i]}, golden ${want}`);
  }
};

for (const variant of GOLDEN_BOUNDED) {
  Deno.test(`the bounded golden file ${variant.name}: bytes, decoded values and the bound`, async () => {
    const bytes = await Deno.readFile(new URL(`${variant.name}.mrc`, testdata));
    const golden: BoundedGoldenDescription = JSON.parse(
      await Deno.readTextFile(new URL(`${variant.name}.json`, testdata)),
    );
    assert.deepStrictEqual(await buildBoundedMrc(golden), bytes, "the writer's output changed");
    assert.strictEqual(bytes.length, golden.byteLength);

    const file = await openMrc(bytes);
    assert.deepStrictEqual(file.header, golden.header);
    assert.deepStrictEqual(chunkList(file.chunks), golden.chunks);
    const [, H, W] = golden.header.shape;
    const bound = golden.header.bound!.abs;
    let k = 0, sampled = 0;
    for await (const level of file.progressive()) {
      same(level.data, golden.decoded[k], `level ${k}`);
      // Every value within the bound of the input at the points it samples.
      const [n, h, w] = level.shape;
      for (let t = 0; t < n; t++) {
        for (let i = 0; i < h; i++) {
          for (let j = 0; j < w; j++) {
            const x = golden.input[(t * H + level.rows[i]) * W + level.cols[j]];
            const v = level.data[(t * h + i) * w + j];
            if (x === null) assert.ok(Number.isNaN(v));
            else assert.ok(Math.abs(v - x) <= bound, `level ${k} [${t},${i},${j}]: ${v} vs ${x}`);
          }
        }
      }
      // Outliers are escaped: every level that samples one returns it exactly.
      for (const o of golden.outliers ?? []) {
        const t = Math.floor(o / (H * W)), i = level.rows.indexOf(Math.floor(o / W) % H);
        const j = level.cols.indexOf(o % W);
        if (i < 0 || j < 0) continue;
        sampled++;
        const v = level.data[(t * h + i) * w + j];
        assert.strictEqual(v, golden.input[o], `level ${k}: outlier ${o} is ${v}`);
      }
      k++;
    }
    assert.strictEqual(k, golden.decoded.length);
    if (golden.outliers) {
      // Each outlier is on the finest level, one also on level 0: all were checked.
      assert.ok(sampled > golden.outliers.length, `${sampled} outlier samples`);
      assert.ok(golden.escapes!.reduce((a, b) => a + b, 0) >= golden.outliers.length);
    }
    // The stream decoder and a single-level random access agree with it.
    k = 0;
    for await (const level of decodeStream(new Blob([bytes]).stream())) {
      same(level.data, golden.decoded[k], `stream level ${k}`);
      k++;
    }
    const t = Math.min(5, golden.header.shape[0] - 1); // the shard has 5 snapshots
    const one = await file.decode({ level: 1, snapshots: [t, t + 1] });
    const plane = one.shape[1] * one.shape[2];
    same(one.data, golden.decoded[1].slice(t * plane, (t + 1) * plane), `level 1, snapshot ${t}`);
    // 1.5: the JSON bodies deflated (flag bit 0), the others not; before, no flag at all. 1.6:
    // their zlib streams with the preset dictionary (FDICT, and D's DICTID).
    const container = await openContainer(fromBytes(bytes));
    const deflated = golden.version >= "1.5";
    for (const c of container.chunks) {
      const json = c.type === "MHDR" || c.type === "META" || c.type === "ATTR";
      assert.strictEqual(c.flags, deflated && json ? 1 : 0, `${c.type} flags`);
      if (!(deflated && json)) continue;
      const stream = bytes.subarray(c.offset + 16 + 4, c.offset + c.length - 4);
      const fdict = (stream[1] & 0x20) !== 0;
      assert.strictEqual(fdict, golden.version >= "1.6", `${c.type}: FDICT`);
      if (fdict) {
        const id = new DataView(stream.buffer, stream.byteOffset).getUint32(2, false);
        assert.strictEqual(id, JSON_DICTIONARY_ID, `${c.type}: DICTID`);
      }
    }
    // 1.6: the index deflated too (flag bit 0 of INDX).
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const indexAt = Number(view.getBigUint64(bytes.length - 28, true));
    assert.strictEqual(
      view.getUint16(indexAt + 10, true),
      golden.version >= "1.6" ? 1 : 0,
      "INDX flags",
    );
    assert.deepStrictEqual(container.meta, golden.meta);
    if (golden.attributes) assert.deepStrictEqual(await file.readAttributes(), golden.attributes);
  });
}

/**
 * The bytes of golden files `older` and `newer` of the same content, after checking that their
 * descriptions differ in the version and the chunk list only.
 */
async function sameContent(older: string, newer: string): Promise<[Uint8Array, Uint8Array]> {
  const [a, b]: BoundedGoldenDescription[] = await Promise.all(
    [older, newer].map(async (name) =>
      JSON.parse(await Deno.readTextFile(new URL(`${name}.json`, testdata)))
    ),
  );
  const content = (g: BoundedGoldenDescription) => ({
    ...g,
    version: "",
    chunks: [],
    byteLength: 0,
  });
  assert.deepStrictEqual(content(b), content(a));
  const [x, y] = await Promise.all(
    [older, newer].map((n) => Deno.readFile(new URL(`${n}.mrc`, testdata))),
  );
  return [x, y];
}

Deno.test("the 1.6 golden file is the 1.5 one with its JSON deflated with the dictionary and its index deflated", async () => {
  // The same content: only the version differs, and so only the JSON chunks' bytes.
  const [b5, b6] = await sameContent("v1.5-bounded", "v1.6-bounded");
  const jsonBytes = async (bytes: Uint8Array) =>
    (await openContainer(fromBytes(bytes))).chunks
      .filter((c) => c.type === "MHDR" || c.type === "META" || c.type === "ATTR")
      .reduce((n, c) => n + c.length, 0);
  const [j5, j6] = [await jsonBytes(b5), await jsonBytes(b6)];
  assert.ok(j6 < 0.7 * j5, `JSON ${j6} bytes with the dictionary, ${j5} without`);
  // And the index, deflated (§5): the trailer's index length.
  const indexLength = (b: Uint8Array) => new DataView(b.buffer).getUint32(b.length - 20, true);
  const [i5, i6] = [indexLength(b5), indexLength(b6)];
  assert.ok(i6 < i5, `index ${i6} bytes deflated, ${i5} not`);
  assert.strictEqual(
    b5.length - b6.length,
    j5 - j6 + i5 - i6,
    "only the JSON and the index differ",
  );
});

Deno.test("the 1.7 golden file is the 1.6 one with its missing mask range-coded", async () => {
  const [b6, b7] = await sameContent("v1.6-bounded", "v1.7-bounded");
  const mask = async (bytes: Uint8Array) => {
    const c = (await openContainer(fromBytes(bytes))).chunks.find((c) => c.type === "NANM")!;
    return { length: c.length, layout: bytes[c.offset + 16] };
  };
  const [m6, m7] = [await mask(b6), await mask(b7)];
  // A land point in every snapshot and one hole in snapshot 4: the per-snapshot layout, zlib in
  // 1.6 (1), range-coded in 1.7 (3).
  assert.deepStrictEqual([m6.layout, m7.layout], [1, 3]);
  assert.ok(m7.length < m6.length, `mask ${m7.length} bytes range-coded, ${m6.length} zlib`);
  assert.strictEqual(b6.length - b7.length, m6.length - m7.length, "only the mask differs");
});

Deno.test("the 1.5 golden file written with plain JSON (1.2) decodes the same, its JSON larger", async () => {
  const golden: BoundedGoldenDescription = JSON.parse(
    await Deno.readTextFile(new URL("v1.5-bounded.json", testdata)),
  );
  const compact = await Deno.readFile(new URL("v1.5-bounded.mrc", testdata));
  const plain = await buildBoundedMrc({ ...golden, version: "1.2" });
  const [a, b] = [await openMrc(compact), await openMrc(plain)];
  assert.deepStrictEqual(a.header, b.header);
  assert.deepStrictEqual(a.meta, b.meta);
  assert.deepStrictEqual(await a.readAttributes(), await b.readAttributes());
  const levels = [];
  for await (const level of b.progressive()) levels.push(level.data);
  levels.forEach((data, k) => same(data, golden.decoded[k], `plain level ${k}`));
  const jsonBytes = async (bytes: Uint8Array) =>
    (await openContainer(fromBytes(bytes))).chunks
      .filter((c) => c.type === "MHDR" || c.type === "META" || c.type === "ATTR")
      .reduce((n, c) => n + c.length, 0);
  const [small, large] = [await jsonBytes(compact), await jsonBytes(plain)];
  assert.ok(small < 0.6 * large, `deflated JSON ${small} bytes, plain ${large}`);
  assert.strictEqual(plain.length - compact.length, large - small, "only the JSON differs");
});
