// The chunk descriptor table (format/chunks.ts): every known type has one row, the order rules
// and both readers follow it.
import assert from "node:assert";
import { CHUNK_TYPES, KNOWN_TYPES } from "../../format/_constants.ts";
import {
  chunkCategory,
  chunkDescriptor,
  CHUNKS,
  decodeChecked,
  FILE_CHUNKS,
  levelChunks,
} from "../../format/chunks.ts";
import { encodeMissingMask, MrcFormatError, openContainer } from "../../format/mod.ts";
import { fromBytes } from "../../format/source.ts";

const testdata = new URL("../testdata/", import.meta.url);

Deno.test("the descriptor table has one row per known chunk type, keyed by its id", () => {
  assert.deepStrictEqual(new Set(Object.keys(CHUNKS)), KNOWN_TYPES);
  for (const [type, d] of Object.entries(CHUNKS)) {
    assert.strictEqual(d.type, type);
    assert.strictEqual(chunkDescriptor(type), d);
    // File-level chunks belong to no coding; level and block chunks to exactly one.
    assert.strictEqual(d.scope === "file", d.coding === null, type);
  }
  assert.strictEqual(chunkDescriptor("ZZZZ"), null);
  assert.strictEqual(chunkDescriptor("toString"), null);
  assert.strictEqual(chunkCategory("ZZZZ"), "header");
  assert.deepStrictEqual(FILE_CHUNKS.map((d) => d.type), ["META", "ATTR", "NANM"]);
});

Deno.test("levelChunks() gives each coding's level sequence, the block chunk last", async () => {
  const model = (await openContainer(fromBytes(
    await Deno.readFile(
      new URL("v1.0-small.mrc", testdata),
    ),
  ))).header;
  const bounded = (await openContainer(fromBytes(
    await Deno.readFile(
      new URL("v1.2-bounded.mrc", testdata),
    ),
  ))).header;
  assert.deepStrictEqual(levelChunks(model).map((d) => [d.type, d.scope]), [
    ["DECW", "level"],
    ["MASK", "level"],
    ["CODE", "block"],
  ]);
  assert.deepStrictEqual(levelChunks(bounded).map((d) => [d.type, d.scope]), [["BCOD", "block"]]);
  // Byte summaries: both codings' block chunks count as codes.
  assert.strictEqual(chunkCategory(CHUNK_TYPES.code), chunkCategory(CHUNK_TYPES.bounded));
});

Deno.test("decodeChecked() checks a body against the header and adds the offset", async () => {
  const file = await openContainer(fromBytes(
    await Deno.readFile(
      new URL("v1.2-bounded.mrc", testdata),
    ),
  ));
  const header = file.header;
  // BCOD: block 2 of 9 snapshots in blocks of 4 holds 1 snapshot, not 4.
  const body = new Uint8Array([4, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.throws(
    () =>
      decodeChecked(CHUNK_TYPES.bounded, body, {
        header,
        level: 0,
        block: 2,
        offset: 99,
        flags: 0,
      }),
    (e) =>
      e instanceof MrcFormatError && e.offset === 99 &&
      e.message ===
        `Cannot read chunk "BCOD" at offset 99: block has 4 snapshots, the header implies 1`,
  );
  assert.strictEqual(
    decodeChecked(CHUNK_TYPES.bounded, body, { header, level: 0, block: 0, flags: 0 })
      .snapshotCount,
    4,
  );
  // NANM: the count must match the header's.
  const [t, h, w] = header.shape;
  const mask = new Uint8Array(t * h * w);
  mask[5] = 1;
  assert.throws(
    () =>
      decodeChecked(CHUNK_TYPES.missingMask, encodeMissingMask(mask, header.shape), {
        header,
        flags: 0,
      }),
    new RegExp(`mask marks 1 missing values, the header says ${header.missing.count}$`),
  );
  mask.fill(1, 0, header.missing.count);
  const stored = decodeChecked(CHUNK_TYPES.missingMask, encodeMissingMask(mask, header.shape), {
    header,
    flags: 0,
  });
  assert.strictEqual(stored.mask.length, t * h * w);
});
