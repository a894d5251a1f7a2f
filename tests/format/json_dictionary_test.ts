// The preset dictionary of deflated JSON bodies (1.6, SPEC.md §3.1.1): the one in the code is the
// SPEC's, byte for byte; bodies deflated with it read back; a stream that names another
// dictionary, or that uses one where the format allows none, is refused by name.
import assert from "node:assert";
import { zlibSync } from "npm:fflate@0.8.2/browser";
import { adler32 } from "../../format/_checksum.ts";
import { deflateJson, zlibDecompressExact } from "../../format/_bytes.ts";
import {
  JSON_DICTIONARY,
  JSON_DICTIONARY_ID,
  JSON_DICTIONARY_LINES,
} from "../../format/_json_dictionary.ts";
import { MrcFormatError } from "../../format/error.ts";
import { decodeHeader, decodeMeta, encodeMeta } from "../../format/mod.ts";

const spec = await Deno.readTextFile(new URL("../../format/SPEC.md", import.meta.url));

Deno.test("the dictionary is SPEC.md §3.1.1's block, its size and Adler-32 as the SPEC states", () => {
  const section = spec.slice(spec.indexOf("### 3.1.1"), spec.indexOf("## 4. Chunk types"));
  const from = section.indexOf("```text\n") + "```text\n".length;
  const block = section.slice(from, section.indexOf("\n```", from));
  assert.deepStrictEqual(block.split("\n"), [...JSON_DICTIONARY_LINES]);
  assert.strictEqual(JSON_DICTIONARY.length, JSON_DICTIONARY_LINES.join("").length, "ASCII only");
  const size = section.match(/The one dictionary allowed is `D`, ([\d,]+) bytes/)![1];
  assert.strictEqual(Number(size.replace(/,/g, "")), JSON_DICTIONARY.length);
  const id = section.match(/Its Adler-32 is `0x([0-9a-f]{8})`/)![1];
  assert.strictEqual(parseInt(id, 16), JSON_DICTIONARY_ID);
  assert.strictEqual(JSON_DICTIONARY_ID, adler32(JSON_DICTIONARY));
  // Every line is one the SPEC can show as it is: no blank at either end, no backtick.
  for (const line of JSON_DICTIONARY_LINES) assert.match(line, /^[^\s`][^`]*[^\s`]$/, line);
});

Deno.test("a body deflated with the dictionary (1.6) reads back, smaller than without it", () => {
  const meta = {
    tool: "mrcae",
    mode: "bounded",
    levels: [{ level: 0, grid: [3, 6], rmse: 0.25, psnr: 41.5, maxAbsError: 0.5, bytes: 17 }],
  };
  const plain = encodeMeta(meta);
  const [without, withDict] = [deflateJson(plain), deflateJson(plain, true)];
  assert.deepStrictEqual(decodeMeta(withDict, 1), meta);
  assert.deepStrictEqual(decodeMeta(without, 1), meta, "1.5 bodies still read");
  assert.ok(withDict.length < 0.7 * without.length, `${withDict.length} vs ${without.length}`);
  const stream = withDict.subarray(4);
  assert.strictEqual(stream[1] & 0x20, 0x20, "FDICT set");
  assert.strictEqual(
    new DataView(stream.buffer, stream.byteOffset).getUint32(2),
    JSON_DICTIONARY_ID,
  );
});

Deno.test("another dictionary, or a dictionary outside a JSON body, is refused by name", () => {
  const text = new TextEncoder().encode(JSON.stringify({ shape: [1, 2, 3] }));
  const other = new TextEncoder().encode('{"shape":[1,2,3],"dtype":"float64"}');
  const body = (stream: Uint8Array) => {
    const out = new Uint8Array(4 + stream.length);
    new DataView(out.buffer).setUint32(0, text.length, true);
    out.set(stream, 4);
    return out;
  };
  const foreign = body(zlibSync(text, { level: 9, dictionary: other }));
  assert.throws(
    () => decodeHeader(foreign, 1),
    (e) =>
      e instanceof MrcFormatError &&
      /MHDR.*unknown preset dictionary \(DICTID 0x[0-9a-f]{8}, the format's is 0xe7f7cf54\)/.test(
        e.message,
      ),
  );
  // A stream cut inside its DICTID.
  const cut = body(zlibSync(text, { level: 9, dictionary: JSON_DICTIONARY }).subarray(0, 4));
  assert.throws(() => decodeHeader(cut, 1), MrcFormatError);
  // NANM, MASK and CODE streams take no dictionary, not even D.
  const masked = zlibSync(new Uint8Array(8).fill(0xff), { level: 9, dictionary: JSON_DICTIONARY });
  assert.throws(
    () => zlibDecompressExact(masked, 8, "NANM"),
    (e) =>
      e instanceof MrcFormatError &&
      /NANM.*a preset dictionary, which this chunk may not use/.test(e.message),
  );
  assert.deepStrictEqual(
    zlibDecompressExact(masked, 8, "META", JSON_DICTIONARY),
    new Uint8Array(8).fill(0xff),
  );
});
