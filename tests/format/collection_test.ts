// Collections (format 1.4, SPEC.md §12): the golden collection, what readers refuse, what the
// writer refuses, and openMrc / openCollection over them.
import assert from "node:assert";
import {
  CollectionWriter,
  fromBytes,
  MrcFormatError,
  openCollectionContainer,
  openContainer,
  validateCollectionHeader,
} from "../../format/mod.ts";
import {
  encodeChunk,
  encodeIndexBody,
  encodePreamble,
  encodeTrailer,
  type MrcChunkEntry,
} from "../../format/_framing.ts";
import { openCollection, openMrc, VariableChoiceError } from "../../decode.ts";
import {
  type BoundedGoldenDescription,
  buildCollection,
  type CollectionGoldenDescription,
  GOLDEN_COLLECTION,
} from "../testdata/generate.ts";
import { collectingSink, prng } from "./_helpers.ts";

const testdata = new URL("../testdata/", import.meta.url);
const read = (name: string) => Deno.readFile(new URL(`${name}.mrc`, testdata));
const golden: CollectionGoldenDescription = JSON.parse(
  await Deno.readTextFile(new URL(`${GOLDEN_COLLECTION.name}.json`, testdata)),
);
const bytes = await read(GOLDEN_COLLECTION.name);

/** Frames chunks as a file: preamble, the chunks, the index, the trailer (no checks). */
function assemble(
  chunks: { type: string; block?: number | null; level?: number | null; body: Uint8Array }[],
  version = { major: 1, minor: 4 },
): Uint8Array {
  const parts = [encodePreamble(version)];
  const entries: MrcChunkEntry[] = [];
  let offset = parts[0].length;
  for (const c of chunks) {
    const chunk = encodeChunk(c.type, { level: c.level ?? null, block: c.block ?? null }, c.body);
    entries.push({
      type: c.type,
      level: c.level ?? null,
      flags: 0,
      block: c.block ?? null,
      length: chunk.length,
      offset,
    });
    parts.push(chunk);
    offset += chunk.length;
  }
  const index = encodeChunk("INDX", { level: null, block: null }, encodeIndexBody(entries));
  parts.push(index, encodeTrailer({ indexOffset: offset, indexLength: index.length, ...version }));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const two = {
  variables: [{ name: "a", layer: null, parts: [0] }, { name: "b", layer: null, parts: [1] }],
};

Deno.test("the golden collection: the writer's bytes, its variables and parts", async () => {
  const { description, bytes: built } = await buildCollection();
  assert.deepStrictEqual(built, bytes, "the collection writer's output changed");
  assert.deepStrictEqual(description, golden);
  const c = await openCollectionContainer(fromBytes(bytes));
  assert.deepStrictEqual(c.version, { major: 1, minor: 4 });
  assert.deepStrictEqual(c.header, golden.header);
  // Each part is its golden file, byte for byte; its own tests check its values.
  for (const [p, name] of golden.parts.entries()) {
    const source = c.partSource(p);
    assert.deepStrictEqual(await source.read(0, source.byteLength), await read(name));
    await c.checkPart(p);
  }
});

Deno.test("the golden collection decodes as its parts' golden files do", async () => {
  await using collection = await openCollection(bytes);
  assert.ok(collection.isCollection);
  assert.deepStrictEqual(collection.variables.map((v) => [v.name, v.layer, v.parts]), [
    ["t2m", null, [0]],
    ["ta", "plev", [1, 2]],
  ]);
  const layers = await collection.openLayers("ta");
  assert.strictEqual(layers.length, 2);
  for (const [k, name] of ["v1.2-bounded", "v1.2-bounded-linear"].entries()) {
    const want: BoundedGoldenDescription = JSON.parse(
      await Deno.readTextFile(new URL(`${name}.json`, testdata)),
    );
    // One layer through openMrc({ variable, layer }), its finest level against the golden file.
    const file = await openMrc(bytes, { variable: "ta", layer: k });
    const level = await file.decode();
    const expected = want.decoded[want.decoded.length - 1];
    assert.strictEqual(level.data.length, expected.length);
    level.data.forEach((v, i) =>
      assert.ok(Object.is(v, expected[i] ?? NaN), `layer ${k} [${i}]: ${v} vs ${expected[i]}`)
    );
    assert.deepStrictEqual(layers[k].header, want.header);
  }
});

Deno.test("openMrc of a collection without a variable names them; openContainer refuses it", async () => {
  await assert.rejects(openMrc(bytes), (e: Error) => {
    assert.ok(e instanceof VariableChoiceError, String(e));
    assert.match(e.message, /several variables \(t2m and ta \(2 layers along plev\)\)/);
    return true;
  });
  await assert.rejects(
    openMrc(bytes, { variable: "ta" }),
    /has 2 layers along "plev": give a layer/,
  );
  await assert.rejects(openMrc(bytes, { variable: "ta", layer: 2 }), /layer 2 is not in 0\.\.1/);
  await assert.rejects(
    openMrc(bytes, { variable: "q" }),
    /no variable "q" in the file \(it holds t2m and ta/,
  );
  await assert.rejects(openContainer(fromBytes(bytes)), (e: Error) => {
    assert.ok(e instanceof MrcFormatError);
    assert.match(e.message, /a collection of variables \(version 1\.4, SPEC\.md §12\)/);
    return true;
  });
  // A single-variable file opens as a collection of one, and by its variable's name.
  const single = await read("v1.2-bounded");
  await using one = await openCollection(single);
  assert.strictEqual(one.isCollection, false);
  assert.deepStrictEqual(one.variables, [{ name: "data", layer: null, parts: [0] }]);
  assert.strictEqual((await openMrc(single, { variable: "data" })).levelCount, 3);
  await assert.rejects(openMrc(single, { variable: "x" }), /no variable "x"/);
});

Deno.test("readers refuse a COLL body that breaks §12.1", () => {
  const cases: [unknown, RegExp][] = [
    [[], /not a JSON object/],
    [{}, /"variables" must be an array of 1 to 65536/],
    [{ variables: [] }, /"variables" must be an array of 1 to 65536/],
    [{ variables: [{ name: "", layer: null, parts: [0] }] }, /"name" must be a non-empty string/],
    [{ variables: [{ name: "a", parts: [0] }] }, /"layer" must be a non-empty string or null/],
    [{ variables: [{ name: "a", layer: "", parts: [0] }] }, /"layer" must be a non-empty/],
    [{ variables: [{ name: "a", layer: null, parts: [] }] }, /"parts" must be a non-empty array/],
    [{ variables: [{ name: "a", layer: null, parts: [0, 1] }] }, /2 parts need a "layer"/],
    [{ variables: [{ name: "a", layer: null, parts: [1] }] }, /part 1 where part 0 is next/],
    [{ variables: [{ name: "a", layer: "z", parts: [0, 0] }] }, /part 0 where part 1 is next/],
    [{
      variables: [{ name: "a", layer: null, parts: [0] }, { name: "a", layer: null, parts: [1] }],
    }, /the name "a" is taken/],
    [{ variables: [{ name: "a", layer: null, parts: ["0"] }] }, /part "0" where part 0 is next/],
    [{ variables: [{ name: "a", layer: null, parts: [0.5] }] }, /part 0\.5 where/],
  ];
  for (const [body, pattern] of cases) {
    assert.throws(() => validateCollectionHeader(body, 14), (e: Error) => {
      assert.ok(e instanceof MrcFormatError, String(e));
      assert.match(e.message, pattern, JSON.stringify(body));
      return true;
    });
  }
  // Unknown extra properties are allowed (newer minor versions).
  assert.deepStrictEqual(
    validateCollectionHeader({
      variables: [{ name: "a", layer: "z", parts: [0], units: "K" }],
      x: 1,
    }, 14),
    { variables: [{ name: "a", layer: "z", parts: [0] }] },
  );
});

Deno.test("readers refuse a collection whose chunks break §12.2", async () => {
  const part = await read("v1.2-bounded");
  const coll = { type: "COLL", body: json(two) };
  const cases: [Parameters<typeof assemble>[0], RegExp][] = [
    // Parts out of order, missing, too many, with a level.
    [
      [coll, { type: "PART", block: 1, body: part }, { type: "PART", block: 0, body: part }],
      /"PART" block 1.* where "PART" of block 0/,
    ],
    [[coll, { type: "PART", block: 0, body: part }], /1 "PART" chunks, but "COLL" names 2 parts/],
    [[coll, { type: "PART", block: 0, body: part }, { type: "PART", block: 1, body: part }, {
      type: "PART",
      block: 2,
      body: part,
    }], /3 "PART" chunks, but "COLL" names 2/],
    [[coll, { type: "PART", block: 0, level: 0, body: part }, {
      type: "PART",
      block: 1,
      body: part,
    }], /where "PART" of block 0 \(no level\)/],
    // A known chunk of a single-variable file at the top level.
    [[coll, { type: "MHDR", body: json({}) }, { type: "PART", block: 0, body: part }, {
      type: "PART",
      block: 1,
      body: part,
    }], /"MHDR".* in a collection/],
    // A part too short to be a file, a COLL that is not JSON.
    [[coll, { type: "PART", block: 0, body: part.subarray(0, 40) }, {
      type: "PART",
      block: 1,
      body: part,
    }], /cannot hold an \.mrc file/],
    [[{ type: "COLL", body: new Uint8Array([0x7b]) }], /COLL/],
  ];
  for (const [chunks, pattern] of cases) {
    await assert.rejects(openCollection(assemble(chunks)), (e: Error) => {
      assert.ok(e instanceof MrcFormatError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  }
  // Unknown chunk types anywhere after COLL are skipped.
  const ok = assemble([
    coll,
    { type: "XTRA", body: json({}) },
    { type: "PART", block: 0, body: part },
    { type: "ZZZZ", body: new Uint8Array(3) },
    { type: "PART", block: 1, body: part },
  ]);
  await using c = await openCollection(ok);
  assert.strictEqual((await c.open("b")).levelCount, 3);
  // A part that is not a file opens as an invalid file: refused when opened, not before.
  const bad = part.slice();
  bad[0] ^= 0xff;
  await using broken = await openCollection(
    assemble([coll, { type: "PART", block: 0, body: part }, { type: "PART", block: 1, body: bad }]),
  );
  assert.strictEqual((await broken.open("a")).levelCount, 3);
  await assert.rejects(broken.open("b"), /not an \.mrc file \(wrong signature\)/);
  // A collection inside a collection is refused when the part is opened.
  await using nested = await openCollection(
    assemble([
      { type: "COLL", body: json({ variables: [{ name: "a", layer: null, parts: [0] }] }) },
      { type: "PART", block: 0, body: bytes },
    ]),
  );
  await assert.rejects(nested.open("a"), /a collection of variables/);
});

Deno.test("a damaged byte: the part's own CRCs at decode, the PART CRC by checkPart", async () => {
  const c = await openCollectionContainer(fromBytes(bytes));
  const last = c.parts[2];
  // The PART chunk's own CRC (its last 4 bytes): opening and decoding still work, checkPart fails.
  const crc = bytes.slice();
  crc[last.offset + last.length - 1] ^= 1;
  await using a = await openCollection(crc);
  await (await a.open("ta", 1)).decode();
  await assert.rejects(a.checkPart(2), /CRC mismatch \(part 2\)/);
  // A byte inside a part's BCOD chunk: its decode fails on the part's CRC, and checkPart too.
  const inner = bytes.slice();
  const file = await openContainer(c.partSource(2));
  const bcod = file.chunks.find((e) => e.type === "BCOD")!;
  inner[last.offset + 16 + bcod.offset + 20] ^= 1;
  await using b = await openCollection(inner);
  await assert.rejects((await b.open("ta", 1)).decode(), /CRC mismatch/);
  await assert.rejects(b.checkPart(2), /CRC mismatch/);
  await (await b.open("t2m")).decode();
});

Deno.test("layers that disagree on shape or levels are refused when stacked", async () => {
  const sink = collectingSink();
  const w = new CollectionWriter(sink);
  await w.begin({ variables: [{ name: "ta", layer: "plev", parts: [0, 1] }] });
  await w.writePart(await read("v1.2-bounded"));
  await w.writePart(await read("v1.3-bounded-learned"));
  await w.finish();
  await using c = await openCollection(sink.bytes());
  await assert.rejects(c.openLayers("ta"), (e: Error) => {
    assert.ok(e instanceof MrcFormatError);
    assert.match(
      e.message,
      /layer 1 \(part 1\) has shape 9 x 20 x 16 .* the layers of a variable must agree/,
    );
    return true;
  });
  // Each layer still opens on its own.
  assert.strictEqual((await c.open("ta", 1)).header.shape[1], 20);
});

Deno.test("the collection writer refuses what no reader would accept", async () => {
  const part = await read("v1.2-bounded");
  const w = () => new CollectionWriter(collectingSink());
  await assert.rejects(w().writePart(part), /before begin\(\)/);
  await assert.rejects(w().begin({ variables: [] }), TypeError);
  await assert.rejects(
    w().begin({ variables: [{ name: "a", layer: null, parts: [0, 1] }] }),
    /2 parts need a "layer"/,
  );
  const one = w();
  await one.begin({ variables: [{ name: "a", layer: null, parts: [0] }] });
  await assert.rejects(one.finish(), /0 of 1 parts written/);
  await assert.rejects(
    one.writePart(new Uint8Array(100)),
    /Cannot write part 0: .*wrong signature/,
  );
  await assert.rejects(one.writePart(bytes), /its first chunk is "COLL"/);
  await one.writePart(part);
  await assert.rejects(one.writePart(part), /the header names 1/);
  assert.strictEqual(
    await one.finish(),
    14 + 12 + 8 + json({ variables: [{ name: "a", layer: null, parts: [0] }] }).length + 12 + 8 +
      part.length + 12 + 8 + 4 + 48 + 28,
  );
});

Deno.test("300 mutants of the golden collection: each read whole or refused with MrcFormatError", async () => {
  const rand = prng(1404);
  let accepted = 0, refused = 0;
  for (let m = 0; m < 300; m++) {
    const mutant = bytes.slice();
    // Bytes flipped, mostly in the collection's own frames (COLL, the PART prefixes, INDX).
    const c = await openCollectionContainer(fromBytes(bytes));
    const frames = [c.chunks[0], ...c.parts].map((e) => e.offset);
    for (let k = 0, n = 1 + Math.floor(rand() * 3); k < n; k++) {
      const at = rand() < 0.6
        ? frames[Math.floor(rand() * frames.length)] + Math.floor(rand() * 40)
        : Math.floor(rand() * mutant.length);
      mutant[Math.min(at, mutant.length - 1)] ^= 1 << Math.floor(rand() * 8);
    }
    try {
      await using collection = await openCollection(mutant, { maxBytes: 1 << 24 });
      for (let p = 0; p < collection.variables.reduce((n, v) => n + v.parts.length, 0); p++) {
        await collection.checkPart(p);
      }
      for (const v of collection.variables) {
        for (const file of await collection.openLayers(v.name)) {
          for (let k = 0; k < file.levelCount; k++) await file.decode({ level: k });
        }
      }
      accepted++;
    } catch (e) {
      assert.ok(e instanceof MrcFormatError, `mutant ${m}: ${e instanceof Error ? e.stack : e}`);
      refused++;
    }
  }
  // Every byte is covered by a CRC (the collection's frames, the parts' chunks, the trailer):
  // nothing damaged is read whole.
  assert.strictEqual(accepted, 0, `${accepted} mutants read whole`);
  assert.strictEqual(refused, 300);
});
