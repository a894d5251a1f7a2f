// MrcWriter: order rules, size checks, sinks.
import assert from "node:assert";
import { fromBytes, type MrcHeader, MrcWriter, openContainer } from "../../format/mod.ts";
import { collectingSink, concat } from "./_helpers.ts";

function header(missing = false): MrcHeader {
  return {
    shape: [3, 3, 3],
    dtype: "float32",
    grid: [3, 3],
    crop: [0, 0],
    padMode: "reflect",
    normalization: { offset: 0, scale: 1 },
    blockSize: 2,
    levels: [{ grid: [3, 3], latent: [1, 1], groups: [1], quant: { base: 1, groups: [1] } }],
    quantization: "uniform-midtread",
    missing: missing
      ? { mode: "fill", fillValue: -1, count: 3 }
      : { mode: "none", fillValue: null, count: 0 },
  };
}
const weights = {
  deconv: { kernel: new Float32Array(9), bias: 0 },
  groups: [{ deconvKernels: new Float32Array(9), deconvBias: 0 }],
};
const code = (n: number, kept = 1) => ({
  snapshotCount: n,
  streams: [new Int32Array(n), new Int32Array(n * kept)],
});

Deno.test("MrcWriter enforces the chunk order", async () => {
  const writer = new MrcWriter(collectingSink());
  await assert.rejects(writer.writeMeta({}), TypeError);
  await assert.rejects(writer.writeLevelWeights(0, weights), /"MHDR" must be the first chunk/);
  await writer.writeHeader(header());
  await assert.rejects(writer.writeHeader(header()), /duplicate "MHDR"/);
  await assert.rejects(writer.writeMasks(0, [new Uint8Array(1)]), /missing "DECW" level 0/);
  await assert.rejects(writer.writeMissingMask(new Uint8Array(27)), /"NANM"/);
  await writer.writeLevelWeights(0, weights);
  await assert.rejects(writer.writeMeta({}), /"META" must come before every level chunk/);
  await writer.writeMasks(0, [new Uint8Array([1])]);
  await assert.rejects(writer.writeCodeBlock(0, 1, code(1)), /missing "CODE" level 0 block 0/);
  await assert.rejects(writer.finish(), /missing "CODE" level 0 block 0/);
  await writer.writeCodeBlock(0, 0, code(2));
  await assert.rejects(writer.writeCodeBlock(0, 0, code(2)), /duplicate "CODE" level 0 block 0/);
  await assert.rejects(writer.writeCodeBlock(1, 1, code(1)), RangeError);
  await writer.writeCodeBlock(0, 1, code(1));
  await writer.writeChunk("XTRA", new Uint8Array(0), { level: 0 }); // unknown types may follow
  await assert.rejects(writer.writeChunk("INDX", new Uint8Array(0)), /written by finish/);
  await assert.rejects(writer.writeChunk("bad!", new Uint8Array(0)), /4 ASCII letters/);
  const size = await writer.finish();
  assert.strictEqual(size, writer.bytesWritten);
  await assert.rejects(writer.writeChunk("XTRA", new Uint8Array(0)), /the writer is finished/);
  await assert.rejects(writer.finish(), /the writer is finished/);
});

Deno.test("MrcWriter checks sizes against the header", async () => {
  const writer = new MrcWriter(collectingSink());
  await writer.writeHeader(header(true));
  await assert.rejects(writer.writeMissingMask(new Uint8Array(27)), /marks 0 missing values/);
  const mask = new Uint8Array(9);
  mask[4] = 1;
  await writer.writeMissingMask(mask); // shared: 1 x 3 snapshots = 3
  await assert.rejects(
    writer.writeLevelWeights(0, { ...weights, groups: [] }),
    /group channels \[\], the header says \[1\]/,
  );
  await writer.writeLevelWeights(0, weights);
  await assert.rejects(writer.writeMasks(0, []), /0 masks/);
  await writer.writeMasks(0, [new Uint8Array([0])]);
  await assert.rejects(writer.writeCodeBlock(0, 0, code(1)), /1 snapshots, expected 2/);
  await assert.rejects(
    writer.writeCodeBlock(0, 0, code(2, 1)),
    /stream 1 has 2 values, expected 0/,
  );
  await writer.writeCodeBlock(0, 0, code(2, 0));
  await writer.writeCodeBlock(0, 1, code(1, 0));
  await writer.finish();
});

Deno.test("MrcWriter writes to a WritableStream and closes it", async () => {
  const parts: Uint8Array[] = [];
  let closed = false;
  const stream = new WritableStream<Uint8Array>({
    write(chunk) {
      parts.push(chunk);
    },
    close() {
      closed = true;
    },
  });
  const writer = new MrcWriter(stream);
  // Calls need not be awaited one by one: writes are queued in call order.
  const pending = [
    writer.writeHeader(header()),
    writer.writeMeta({ a: 1 }),
    writer.writeLevelWeights(0, weights),
    writer.writeMasks(0, [new Uint8Array([1])]),
    writer.writeCodeBlock(0, 0, code(2)),
    writer.writeCodeBlock(0, 1, code(1)),
  ];
  await Promise.all(pending);
  const size = await writer.finish();
  assert.ok(closed);
  const bytes = concat(parts);
  assert.strictEqual(bytes.length, size);
  const mrc = await openContainer(fromBytes(bytes));
  assert.deepStrictEqual(mrc.meta, { a: 1 });
});

Deno.test("MrcWriter fails every later call after a sink error", async () => {
  let calls = 0;
  const writer = new MrcWriter({
    write() {
      if (++calls === 2) throw new Error("disk full");
    },
  });
  await assert.rejects(writer.writeHeader(header()), /disk full/);
  await assert.rejects(writer.writeLevelWeights(0, weights), /disk full/);
});
