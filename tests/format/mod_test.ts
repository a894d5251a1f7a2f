// The public API of format/mod.ts, and its browser compatibility.
import assert from "node:assert";
import * as format from "../../format/mod.ts";

Deno.test("format/mod.ts exports the public API", () => {
  assert.deepStrictEqual(Object.keys(format).sort(), [
    "CollectionWriter",
    "MAX_BLOCK_SIZE",
    "MAX_BOUND",
    "MAX_PARTS",
    "MAX_PART_BYTES",
    "MrcFormatError",
    "MrcWriter",
    "axisCrop",
    "blockCount",
    "blockSnapshotCount",
    "checkRange",
    "codeStreamCount",
    "countingSource",
    "decodeAttributes",
    "decodeBoundedBlock",
    "decodeCodeBlock",
    "decodeHeader",
    "decodeLevelWeights",
    "decodeMasks",
    "decodeMeta",
    "decodeMissingMask",
    "encodeAttributes",
    "encodeBoundedBlock",
    "encodeCodeBlock",
    "encodeHeader",
    "encodeLevelWeights",
    "encodeMasks",
    "encodeMeta",
    "encodeMissingMask",
    "encodePackedMask",
    "finestIndex",
    "fromBytes",
    "hasMrcSignature",
    "isBounded",
    "levelCrop",
    "maskCount",
    "openCollectionContainer",
    "openContainer",
    "partCount",
    "readFileIndex",
    "readMrcStream",
    "streamLayout",
    "validateCollectionHeader",
    "validateHeader",
  ]);
});

Deno.test("src/transport/mod.ts exports the sources over files and URLs and the cache", async () => {
  const transport = await import("../../src/transport/mod.ts");
  assert.deepStrictEqual(Object.keys(transport).sort(), [
    "HttpError",
    "cachedSource",
    "fromFileHandle",
    "fromUrl",
  ]);
});

Deno.test("format/ files are browser compatible", async () => {
  const dir = new URL("../../format/", import.meta.url);
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".ts")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, dir));
    assert.ok(text.startsWith("// This module is browser compatible."), entry.name);
    // Code only: doc comments may show `Deno.open` and `node:assert` in examples.
    const code = text.replace(/^\s*(\/\*|\*|\/\/).*$/gm, "");
    assert.ok(!/\bDeno\./.test(code), `${entry.name} uses Deno.*`);
    assert.ok(!/from "\.\.\/|@tensorflow/.test(code), `${entry.name} imports outside format/`);
    for (const [, spec] of code.matchAll(/from "([^"]+)"/g)) {
      assert.ok(
        spec.startsWith("./") || spec === "npm:fflate@0.8.2/browser",
        `${entry.name}: ${spec}`,
      );
    }
  }
});
