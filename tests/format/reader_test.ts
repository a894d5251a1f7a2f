// Random-access reading: golden files, read counts, versions, corruption.
import assert from "node:assert";
import {
  blockCount,
  countingSource,
  fromBytes,
  type MrcContainer,
  MrcFormatError,
  MrcWriter,
  openContainer,
} from "../../format/mod.ts";
import { buildMrc, chunkList, GOLDEN_MODEL, type GoldenDescription } from "../testdata/generate.ts";
import { collectingSink } from "./_helpers.ts";

const testdata = new URL("../testdata/", import.meta.url);
const goldenBytes = await Deno.readFile(new URL("v1.0-small.mrc", testdata));
const golden: GoldenDescription = JSON.parse(
  await Deno.readTextFile(new URL("v1.0-small.json", testdata)),
);

/** Opens and reads and decodes every chunk, so that any corruption surfaces. */
async function readEverything(bytes: Uint8Array): Promise<MrcContainer> {
  const mrc = await openContainer(fromBytes(bytes));
  for (const entry of mrc.chunks) await mrc.readChunk(entry);
  await mrc.readMissingMask();
  for (let k = 0; k < mrc.header.levels.length; k++) {
    await mrc.readLevelWeights(k);
    await mrc.readMasks(k);
    for (let b = 0; b < blockCount(mrc.header); b++) await mrc.readCodeBlock(k, b);
  }
  return mrc;
}

/** Writes a file shaped like the golden one, with a chosen version and extra chunks. */
async function variant(
  version: { major: number; minor: number },
  extra: (writer: MrcWriter, step: string) => Promise<void> = () => Promise.resolve(),
): Promise<Uint8Array> {
  const sink = collectingSink();
  const writer = new MrcWriter(sink, { version });
  const d = golden;
  await writer.writeHeader(d.header);
  await extra(writer, "header");
  await writer.writeMissingMask(new Uint8Array(d.missingMask!));
  for (const [k, level] of d.levels.entries()) {
    await writer.writeLevelWeights(k, {
      deconv: { kernel: new Float32Array(level.weights.deconv.kernel), bias: 0 },
      groups: level.weights.groups.map((g) => ({
        deconvKernels: new Float32Array(g.deconvKernels),
        deconvBias: g.deconvBias,
      })),
    });
    await extra(writer, `weights ${k}`);
    await writer.writeMasks(k, level.masks.map((m) => new Uint8Array(m)));
    for (const [b, block] of level.blocks.entries()) {
      await writer.writeCodeBlock(k, b, {
        snapshotCount: block.snapshotCount,
        streams: block.streams.map((s) => new Int32Array(s)),
      });
    }
  }
  await extra(writer, "end");
  await writer.finish();
  return sink.bytes();
}

for (const variant of GOLDEN_MODEL) {
  Deno.test(`openContainer() reads the golden file ${variant.name} and its bytes match the current writer`, async () => {
    const goldenBytes = await Deno.readFile(new URL(`${variant.name}.mrc`, testdata));
    const golden: GoldenDescription = JSON.parse(
      await Deno.readTextFile(new URL(`${variant.name}.json`, testdata)),
    );
    const rebuilt = await buildMrc(golden);
    assert.strictEqual(rebuilt.length, golden.byteLength);
    assert.deepStrictEqual(rebuilt, goldenBytes, "the writer's output changed: bump the version?");

    const mrc = await readEverything(goldenBytes);
    const [major, minor] = golden.version.split(".").map(Number);
    assert.deepStrictEqual(mrc.version, { major, minor });
    assert.deepStrictEqual(mrc.header, golden.header);
    assert.deepStrictEqual(mrc.meta, golden.meta);
    assert.deepStrictEqual(
      chunkList(mrc.chunks),
      golden.chunks,
    );
    const missing = await mrc.readMissingMask();
    assert.deepStrictEqual(missing, { shared: true, mask: new Uint8Array(golden.missingMask!) });
    for (const [k, level] of golden.levels.entries()) {
      const weights = await mrc.readLevelWeights(k);
      assert.deepStrictEqual(Array.from(weights.deconv.kernel), level.weights.deconv.kernel);
      assert.strictEqual(weights.deconv.bias, level.weights.deconv.bias);
      assert.deepStrictEqual(
        weights.groups.map((g) => ({
          deconvKernels: Array.from(g.deconvKernels),
          deconvBias: g.deconvBias,
        })),
        level.weights.groups,
      );
      assert.deepStrictEqual((await mrc.readMasks(k)).map((m) => Array.from(m)), level.masks);
      for (const [b, block] of level.blocks.entries()) {
        const code = await mrc.readCodeBlock(k, b);
        assert.strictEqual(code.snapshotCount, block.snapshotCount);
        assert.deepStrictEqual(code.streams.map((s) => Array.from(s)), block.streams);
      }
    }
  });
}

Deno.test("openContainer() opens with 3 reads and reads one CODE chunk with 1 read of its bytes", async () => {
  const source = countingSource(fromBytes(goldenBytes));
  const mrc = await openContainer(source);
  const index = mrc.chunks.at(-1)!;
  const indexOffset = index.offset + index.length;
  const header = mrc.chunks[0];
  const meta = mrc.chunks[1];
  assert.strictEqual(meta.type, "META");
  assert.deepStrictEqual(source.log, [
    { offset: goldenBytes.length - 28, length: 28 },
    { offset: indexOffset, length: goldenBytes.length - 28 - indexOffset },
    { offset: 0, length: meta.offset + meta.length },
  ]);
  assert.strictEqual(header.offset, 14);

  source.reset();
  const entry = mrc.findChunk("CODE", 1, 2)!;
  const code = await mrc.readCodeBlock(1, 2);
  assert.strictEqual(code.snapshotCount, 1);
  assert.deepStrictEqual(source.log, [{ offset: entry.offset, length: entry.length }]);
  assert.ok(source.bytesRead < goldenBytes.length / 4);
});

Deno.test("openContainer() reads a newer minor version and skips unknown chunk types", async () => {
  const bytes = await variant({ major: 1, minor: 3 }, async (writer, step) => {
    if (step === "header") {
      await writer.writeChunk("FUTR", new Uint8Array([1, 2, 3]));
      await writer.writeMeta({ after: "FUTR" });
    }
    if (step === "weights 1") await writer.writeChunk("LVLX", new Uint8Array(5), { level: 1 });
    if (step === "end") await writer.writeChunk("TAIL", new Uint8Array(0), { level: 1, block: 0 });
  });
  const mrc = await readEverything(bytes);
  assert.deepStrictEqual(mrc.version, { major: 1, minor: 3 });
  assert.deepStrictEqual(mrc.meta, { after: "FUTR" });
  assert.deepStrictEqual(
    mrc.chunks.filter((c) => !["MHDR", "META", "NANM", "DECW", "MASK", "CODE"].includes(c.type))
      .map((c) => c.type),
    ["FUTR", "LVLX", "TAIL"],
  );
  assert.deepStrictEqual(await mrc.readChunk(mrc.findChunk("FUTR")!), new Uint8Array([1, 2, 3]));
  assert.deepStrictEqual(
    (await mrc.readCodeBlock(1, 2)).streams.map((s) => Array.from(s)),
    golden.levels[1].blocks[2].streams,
  );
});

Deno.test("openContainer() rejects a newer major version, naming both versions", async () => {
  const bytes = await variant({ major: 2, minor: 1 });
  await assert.rejects(
    openContainer(fromBytes(bytes)),
    (e) =>
      e instanceof MrcFormatError &&
      /version 2\.1 is newer than the supported version 1\.7/.test(e.message),
  );
});

Deno.test("openContainer() rejects a bad CRC", async () => {
  const mrc = await openContainer(fromBytes(goldenBytes));
  const entry = mrc.findChunk("CODE", 0, 1)!;
  const bytes = goldenBytes.slice();
  bytes[entry.offset + 20] ^= 1;
  const broken = await openContainer(fromBytes(bytes));
  await assert.rejects(
    broken.readCodeBlock(0, 1),
    (e) =>
      e instanceof MrcFormatError && e.chunkType === "CODE" && e.offset === entry.offset &&
      new RegExp(
        `^Cannot read chunk "CODE" at offset ${entry.offset}: CRC mismatch \\(expected 0x[0-9a-f]{8}, found 0x[0-9a-f]{8}\\)$`,
      ).test(e.message),
  );
});

Deno.test("openContainer() rejects a wrong signature and a file that is not .mrc", async () => {
  const bytes = goldenBytes.slice();
  bytes[1] = 0x4e;
  await assert.rejects(openContainer(fromBytes(bytes)), /wrong signature/);
  await assert.rejects(
    openContainer(fromBytes(new TextEncoder().encode("x".repeat(200)))),
    MrcFormatError,
  );
});

Deno.test("openContainer() rejects files missing required chunks", async () => {
  // Hand-assemble a file without its MASK chunk of level 1: the writer refuses to.
  const mrc = await openContainer(fromBytes(goldenBytes));
  const { encodeChunk, encodeIndexBody, encodePreamble, encodeTrailer } = await import(
    "../../format/_framing.ts"
  );
  const kept = mrc.chunks.filter((c) => !(c.type === "MASK" && c.level === 1));
  const parts: Uint8Array[] = [encodePreamble({ major: 1, minor: 0 })];
  const entries = [];
  let offset = 14;
  for (const c of kept) {
    const bytes = goldenBytes.subarray(c.offset, c.offset + c.length);
    parts.push(bytes);
    entries.push({ ...c, offset });
    offset += c.length;
  }
  const index = encodeChunk("INDX", { level: null, block: null }, encodeIndexBody(entries));
  parts.push(
    index,
    encodeTrailer({ indexOffset: offset, indexLength: index.length, major: 1, minor: 0 }),
  );
  const bytes = new Uint8Array(await new Blob(parts as Uint8Array<ArrayBuffer>[]).arrayBuffer());
  await assert.rejects(
    openContainer(fromBytes(bytes)),
    (e) =>
      e instanceof MrcFormatError && e.chunkType === "INDX" &&
      /missing "MASK" level 1/.test(e.message),
  );
});

Deno.test("openContainer() rejects every flipped byte and every truncation of the golden file", async () => {
  const failures: string[] = [];
  const check = async (bytes: Uint8Array, what: string) => {
    try {
      await readEverything(bytes);
      failures.push(`${what}: no error`);
    } catch (e) {
      if (!(e instanceof MrcFormatError)) failures.push(`${what}: ${e}`);
    }
  };
  for (let i = 0; i < goldenBytes.length; i++) {
    const bytes = goldenBytes.slice();
    bytes[i] ^= 0xff;
    await check(bytes, `flip ${i}`);
  }
  for (let n = 0; n < goldenBytes.length; n++) await check(goldenBytes.subarray(0, n), `cut ${n}`);
  const extended = new Uint8Array(goldenBytes.length + 1);
  extended.set(goldenBytes);
  await check(extended, "one extra byte");
  assert.deepStrictEqual(failures.slice(0, 10), []);
});

Deno.test("MrcContainer rejects bad arguments with TypeError or RangeError", async () => {
  const mrc = await openContainer(fromBytes(goldenBytes));
  await assert.rejects(mrc.readLevelWeights(2), RangeError);
  await assert.rejects(mrc.readCodeBlock(0, 3), RangeError);
  await assert.rejects(mrc.readChunk({ ...mrc.chunks[0] }), TypeError);
  await assert.rejects(openContainer({} as never), TypeError);
});
