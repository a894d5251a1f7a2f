// Round trips and rejections of every chunk body codec, and of the framing.
import assert from "node:assert";
import {
  decodeCodeBlock,
  decodeHeader,
  decodeLevelWeights,
  decodeMasks,
  decodeMeta,
  decodeMissingMask,
  encodeCodeBlock,
  encodeHeader,
  encodeLevelWeights,
  encodeMasks,
  encodeMeta,
  encodeMissingMask,
  hasMrcSignature,
  levelCrop,
  MrcFormatError,
  type MrcHeader,
} from "../../format/mod.ts";
import { deflateJson, zlibCompress } from "../../format/_bytes.ts";
import { crc32 } from "../../format/_checksum.ts";
import {
  decodeChunk,
  decodeIndexBody,
  decodeTrailer,
  encodeChunk,
  encodeIndexBody,
  encodeIndexFor,
  encodeTrailer,
  type MrcChunkEntry,
} from "../../format/_framing.ts";
import { prng, randInt } from "./_helpers.ts";

const SIZES = [0, 1, 9, 100];

function header(): MrcHeader {
  return {
    shape: [5, 13, 10],
    dtype: "float64",
    grid: [15, 11],
    crop: [1, 0],
    padMode: "replicate",
    normalization: { offset: -1.5, scale: 0.25 },
    blockSize: 2,
    levels: [
      { grid: [7, 5], latent: [3, 2], groups: [2], quant: { base: 0.5, groups: [0.1] } },
      { grid: [15, 11], latent: [7, 5], groups: [], quant: { base: null, groups: [] } },
    ],
    quantization: "uniform-midtread",
    missing: { mode: "fill", fillValue: -999, count: 3 },
  };
}

Deno.test("crc32() matches zlib's check value", () => {
  assert.strictEqual(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.strictEqual(crc32(new Uint8Array(0)), 0);
});

Deno.test("hasMrcSignature() accepts only the signature", () => {
  const bytes = new Uint8Array([0x8a, 0x4d, 0x52, 0x43, 0x41, 0x45, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(hasMrcSignature(bytes));
  assert.ok(!hasMrcSignature(bytes.subarray(0, 9)));
  // A cryo-EM MRC file starts with three int32 dimensions.
  assert.ok(!hasMrcSignature(new Uint8Array([64, 0, 0, 0, 64, 0, 0, 0, 64, 0, 0, 0])));
});

Deno.test("encodeHeader() round trips and keeps unknown properties", () => {
  const h = header();
  assert.deepStrictEqual(decodeHeader(encodeHeader(h)), h);
  const extended = { ...h, future: { x: 1 } } as MrcHeader;
  assert.deepStrictEqual(decodeHeader(encodeHeader(extended)), extended);
});

Deno.test("deflated JSON bodies (1.5): read with flag bit 0, each bad one refused by name", () => {
  const meta = { tool: "test", levels: [{ rmse: 0.5 }], note: "x".repeat(300) };
  const plain = encodeMeta(meta), body = deflateJson(plain);
  assert.ok(body.length < plain.length / 3);
  assert.strictEqual(new DataView(body.buffer).getUint32(0, true), plain.length, "u32 length");
  assert.deepStrictEqual(body.subarray(4), zlibCompress(plain), "then the zlib stream");
  assert.deepStrictEqual(decodeMeta(body, 1), meta);
  assert.deepStrictEqual(decodeMeta(plain, 2), meta, "other flag bits mean nothing");
  assert.throws(() => decodeMeta(body), /META.*invalid JSON/, "deflated, read as plain");
  const bad = (b: Uint8Array, message: RegExp) =>
    assert.throws(
      () => decodeMeta(b, 1),
      (e) => e instanceof MrcFormatError && message.test(e.message),
    );
  bad(body.subarray(0, 3), /deflated JSON body of 3 bytes, at least 4/);
  const long = body.slice();
  new DataView(long.buffer).setUint32(0, 16 * 2 ** 20 + 1, true);
  bad(long, /deflated JSON of 16777217 bytes exceeds the 16777216-byte limit/);
  const short = body.slice();
  new DataView(short.buffer).setUint32(0, plain.length - 1, true);
  bad(short, /inflates to more than/);
  const over = body.slice();
  new DataView(over.buffer).setUint32(0, plain.length + 1, true);
  bad(over, /inflates to \d+ bytes, expected/);
  const broken = body.slice();
  broken[6] ^= 0xff;
  bad(broken, /META/);
  bad(Uint8Array.of(...body, 0), /META/);
  // A stream of 1 MiB of zeros claiming 16 MiB: refused, never inflated past what it states.
  const bomb = deflateJson(new Uint8Array(2 ** 20).fill(32));
  new DataView(bomb.buffer).setUint32(0, 16 * 2 ** 20, true);
  bad(bomb, /META/);
});

Deno.test("decodeHeader() rejects schema violations", () => {
  const cases: [string, (h: Record<string, unknown> & MrcHeader) => void][] = [
    ["shape", (h) => (h.shape = [0, 13, 10])],
    ["dtype", (h) => ((h as Record<string, unknown>).dtype = "int8")],
    ["grid", (h) => (h.grid = [14, 11])],
    ["grid", (h) => (h.grid = [11, 11])],
    ["crop", (h) => (h.crop = [3, 0])],
    ["padMode", (h) => ((h as Record<string, unknown>).padMode = "zero")],
    ["normalization", (h) => (h.normalization = { offset: 0, scale: 0 })],
    ["blockSize", (h) => (h.blockSize = 1.5)],
    ["levels", (h) => (h.levels = [])],
    ["levels[0].grid", (h) => (h.levels[0].grid = [5, 5])],
    ["levels[1].latent", (h) => (h.levels[1].latent = [7, 6])],
    ["levels[0].groups", (h) => (h.levels[0].groups = [0])],
    ["levels[1].quant.base", (h) => (h.levels[1].quant.base = 1)],
    ["levels[0].quant.base", (h) => (h.levels[0].quant.base = null)],
    ["levels[0].quant.groups", (h) => (h.levels[0].quant.groups = [])],
    ["quantization", (h) => ((h as Record<string, unknown>).quantization = "x")],
    ["missing.fillValue", (h) => (h.missing.fillValue = null)],
    ["missing.count", (h) => (h.missing.count = 1e9)],
    ["grid", (h) => (h.grid = [7, 5])], // 2 levels need a finest grid of at least 7x7
  ];
  for (const [field, mutate] of cases) {
    const h = structuredClone(header()) as Record<string, unknown> & MrcHeader;
    mutate(h);
    const body = new TextEncoder().encode(JSON.stringify(h));
    assert.throws(
      () => decodeHeader(body),
      (e) => e instanceof MrcFormatError && e.chunkType === "MHDR" && e.message.includes(field),
      field,
    );
    assert.throws(() => encodeHeader(h), TypeError, field);
  }
  assert.throws(() => decodeHeader(new Uint8Array([0xff])), MrcFormatError);
  assert.throws(() => decodeHeader(new TextEncoder().encode("[]")), MrcFormatError);
});

Deno.test("levelCrop() maps the original extent to every level", () => {
  const h = header();
  assert.deepStrictEqual(levelCrop(h, 1), { top: 1, left: 0, height: 13, width: 10 });
  // s = 2 samples finest pixel 2i + 1: rows with 1 <= 2i+1 <= 13 are 0..6; columns 0..4.
  assert.deepStrictEqual(levelCrop(h, 0), { top: 0, left: 0, height: 7, width: 5 });
  assert.throws(() => levelCrop(h, 2), RangeError);
});

Deno.test("encodeMeta() round trips", () => {
  const meta = { tool: "mrcae", timings: { train: 1.5 }, list: [1, "a", null], unicode: "µm ✓" };
  assert.deepStrictEqual(decodeMeta(encodeMeta(meta)), meta);
  assert.deepStrictEqual(decodeMeta(encodeMeta({})), {});
  assert.throws(() => decodeMeta(new TextEncoder().encode("nope")), MrcFormatError);
});

Deno.test("encodeMissingMask() round trips shared and per-snapshot masks, range-coded and zlib", () => {
  const rand = prng(1);
  for (const coded of [true, false]) {
    const [sharedLayout, varyingLayout] = coded ? [2, 3] : [0, 1];
    for (const [t, h, w] of [[1, 1, 1], [1, 3, 3], [4, 5, 7], [3, 17, 9], [5, 1, 6], [3, 6, 1]]) {
      for (const density of [0, 0.1, 1]) {
        const plane = Array.from({ length: h * w }, () => (rand() < density ? 1 : 0));
        const shared = new Uint8Array(t * h * w);
        for (let i = 0; i < t; i++) shared.set(plane, i * h * w);
        const body = encodeMissingMask(shared, [t, h, w], coded);
        assert.strictEqual(body[0], sharedLayout);
        const got = decodeMissingMask(body, [t, h, w]);
        assert.deepStrictEqual(got, { shared: true, mask: new Uint8Array(plane) });
        if (t > 1) {
          const varying = Uint8Array.from(shared, () => (rand() < 0.3 ? 1 : 0));
          varying[h * w] = varying[0] ? 0 : 1; // snapshot 1 differs from snapshot 0
          const body = encodeMissingMask(varying, [t, h, w], coded);
          assert.strictEqual(body[0], varyingLayout);
          const decoded = decodeMissingMask(body, [t, h, w]);
          assert.deepStrictEqual(decoded, { shared: false, mask: varying });
        }
      }
    }
  }
  assert.throws(() => encodeMissingMask(new Uint8Array(5), [2, 2, 2]), TypeError);
  // A zlib mask inflates to its shape's size only. (A range-coded stream may decode under another
  // shape: the count of SPEC.md §4.3, checked with the header, refuses it, `invalid-missing-count`.)
  const body = encodeMissingMask(new Uint8Array(4), [1, 2, 2], false);
  assert.throws(() => decodeMissingMask(body, [1, 20, 20]), MrcFormatError);
  assert.throws(
    () => decodeMissingMask(new Uint8Array([4, 0, 0, 0, 0, 0]), [1, 2, 2]),
    (e) => e instanceof MrcFormatError && /unknown layout 4 \(expected 0 to 3\)/.test(e.message),
  );
  assert.throws(() => decodeMissingMask(new Uint8Array(0), [1, 2, 2]), MrcFormatError);
});

Deno.test("a range-coded mask (1.7) codes a moving coast in far fewer bytes than zlib, and any mask's bits", () => {
  // A coast that moves east by a column every 4 snapshots, rows 20-39 only: most rows repeat
  // the snapshot before (one row flag each), the others are coded by their neighbours.
  const [t, h, w] = [24, 60, 90];
  const mask = new Uint8Array(t * h * w);
  for (let s = 0; s < t; s++) {
    for (let y = 0; y < h; y++) {
      const coast = 30 + Math.round(8 * Math.sin(y / 7)) + (y >= 20 && y < 40 ? s >> 2 : 0);
      for (let x = 0; x < coast; x++) mask[(s * h + y) * w + x] = 1;
    }
  }
  const coded = encodeMissingMask(mask, [t, h, w]);
  const zlib = encodeMissingMask(mask, [t, h, w], false);
  assert.deepStrictEqual(decodeMissingMask(coded, [t, h, w]).mask, mask);
  assert.ok(
    3 * coded.length < zlib.length,
    `range-coded ${coded.length} bytes, zlib ${zlib.length}`,
  );
  // Random bits: nothing to model, about one bit per pixel either way, and still exact.
  const rand = prng(7);
  const noise = Uint8Array.from({ length: 6 * 33 * 17 }, () => (rand() < 0.5 ? 1 : 0));
  assert.deepStrictEqual(
    decodeMissingMask(encodeMissingMask(noise, [6, 33, 17]), [6, 33, 17]).mask,
    noise,
  );
});

Deno.test("a range-coded mask cut short, with a byte left over, or not starting with 0 is refused by name", () => {
  const mask = new Uint8Array(3 * 8 * 8);
  for (let i = 0; i < mask.length; i += 5) mask[i] = 1;
  const body = encodeMissingMask(mask, [3, 8, 8]);
  assert.strictEqual(body[0], 3);
  const refused = (b: Uint8Array, pattern: RegExp) =>
    assert.throws(
      () => decodeMissingMask(b, [3, 8, 8]),
      (e) => e instanceof MrcFormatError && pattern.test(e.message),
    );
  refused(body.slice(0, -1), /range-coded mask ends after \d+ of its \d+ bytes/);
  refused(Uint8Array.of(...body, 0), /range-coded mask ends after \d+ of its \d+ bytes/);
  refused(Uint8Array.of(3, 1, ...body.subarray(2)), /first byte is 1, not 0/);
  refused(Uint8Array.of(3, 0, 0, 0), /has 3 bytes, at least 5 expected/);
});

Deno.test("encodeLevelWeights() round trips float32 weights", () => {
  const rand = prng(2);
  const f = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
  for (const groups of [[], [1], [3, 1, 7]]) {
    const weights = {
      deconv: { kernel: f(9), bias: Math.fround(rand()) },
      groups: groups.map((m) => ({ deconvKernels: f(m * 9), deconvBias: Math.fround(-rand()) })),
    };
    const body = encodeLevelWeights(weights);
    assert.strictEqual(body.length, 4 * (10 + groups.reduce((n, m) => n + 9 * m + 1, 0)));
    assert.deepStrictEqual(decodeLevelWeights(body, groups), weights);
    assert.throws(() => decodeLevelWeights(body, [...groups, 1]), MrcFormatError);
  }
  assert.throws(
    () => encodeLevelWeights({ deconv: { kernel: new Float32Array(8), bias: 0 }, groups: [] }),
    TypeError,
  );
});

Deno.test("encodeMasks() round trips masks of every size", () => {
  const rand = prng(3);
  for (const latent of [[0, 0], [1, 1], [3, 2], [7, 5], [31, 17]] as [number, number][]) {
    for (const groupCount of [0, 1, 3]) {
      const masks = Array.from(
        { length: groupCount },
        () => Uint8Array.from({ length: latent[0] * latent[1] }, () => (rand() < 0.5 ? 1 : 0)),
      );
      assert.deepStrictEqual(decodeMasks(encodeMasks(masks, latent), latent, groupCount), masks);
    }
  }
  const body = encodeMasks([new Uint8Array(6)], [2, 3]);
  assert.throws(() => decodeMasks(body, [2, 3], 2), MrcFormatError);
  // Non-zero padding bits are rejected: 6 bits used of 8.
  assert.throws(() => decodeMasks(zlibCompress(new Uint8Array([0xff])), [2, 3], 1), MrcFormatError);
  assert.throws(() => encodeMasks([new Uint8Array(5)], [2, 3]), TypeError);
});

Deno.test("encodeCodeBlock() round trips with every predictor", () => {
  const rand = prng(4);
  for (const snapshotCount of SIZES) {
    for (const positions of SIZES) {
      const streams = [positions, Math.floor(positions / 2), 1].map((n) => {
        const values = new Int32Array(n * snapshotCount);
        for (let p = 0; p < n; p++) {
          let v = randInt(rand, -1000, 1000);
          for (let t = 0; t < snapshotCount; t++) {
            values[t * n + p] = v;
            v += randInt(rand, -5, 5);
          }
        }
        return values;
      });
      const block = { snapshotCount, streams };
      for (const predictor of [undefined, 0, 1, 2] as const) {
        const decoded = decodeCodeBlock(encodeCodeBlock(block, { predictor }));
        assert.deepStrictEqual(decoded.streams, streams);
        assert.strictEqual(decoded.snapshotCount, snapshotCount);
        if (predictor !== undefined) assert.strictEqual(decoded.predictor, predictor);
      }
    }
  }
});

Deno.test("encodeCodeBlock() handles int32 extremes and keeps the smallest predictor", () => {
  const extremes = new Int32Array([2147483647, -2147483648, 2147483647, -2147483648, 0, -1]);
  for (const predictor of [0, 1, 2] as const) {
    const block = { snapshotCount: 6, streams: [extremes] };
    assert.deepStrictEqual(decodeCodeBlock(encodeCodeBlock(block, { predictor })).streams, [
      extremes,
    ]);
  }
  const ramp = Int32Array.from({ length: 200 }, (_, i) => 1000 * (i >> 2) + (i & 3) * 7);
  const block = { snapshotCount: 50, streams: [ramp] };
  const sizes = [0, 1, 2].map((p) => encodeCodeBlock(block, { predictor: p as 0 | 1 | 2 }).length);
  const chosen = encodeCodeBlock(block);
  assert.strictEqual(chosen.length, Math.min(...sizes));
});

Deno.test("decodeCodeBlock() rejects inconsistent or garbage bodies", () => {
  const good = encodeCodeBlock({ snapshotCount: 2, streams: [new Int32Array([1, 2, 3, 4])] });
  const view = new DataView(good.buffer);
  const mutate = (f: (copy: Uint8Array, v: DataView) => void) => {
    const copy = good.slice();
    f(copy, new DataView(copy.buffer));
    return copy;
  };
  const bad = [
    good.subarray(0, 5),
    mutate((_, v) => v.setUint32(4, 1e6, true)), // 1e6 streams, 4 MB of header not present
    mutate((_, v) => v.setUint32(0, 3, true)), // n disagrees with uncompressed length
    mutate((c) => (c[12] = 7)), // unknown predictor
    mutate((_, v) => v.setUint32(13, view.getUint32(13, true) + 1, true)), // raw length
    mutate((_, v) => v.setUint32(0, 0xffffffff, true)), // absurd value count
    mutate((c) => (c[c.length - 1] ^= 1)), // Adler-32
    good.subarray(0, good.length - 3),
  ];
  for (const body of bad) assert.throws(() => decodeCodeBlock(body), MrcFormatError);

  // Hand-made bodies: one stream of 1 value per snapshot, 1 snapshot, predictor 0.
  const withVarints = (varints: number[]) => {
    const raw = new Uint8Array(varints);
    const z = zlibCompress(raw);
    const body = new Uint8Array(17 + z.length);
    const v = new DataView(body.buffer);
    v.setUint32(0, 1, true);
    v.setUint32(4, 1, true);
    v.setUint32(8, 1, true);
    body[12] = 0;
    v.setUint32(13, raw.length, true);
    body.set(z, 17);
    return body;
  };
  assert.deepStrictEqual(decodeCodeBlock(withVarints([0x03])).streams, [new Int32Array([-2])]);
  assert.deepStrictEqual(
    decodeCodeBlock(withVarints([0xff, 0xff, 0xff, 0xff, 0x0f])).streams,
    [new Int32Array([-2147483648])],
  );
  // 5-byte varint above int32 after zigzag, 6-byte varint, trailing bytes, truncated varint.
  assert.throws(() => decodeCodeBlock(withVarints([0xff, 0xff, 0xff, 0xff, 0x1f])), MrcFormatError);
  assert.throws(() => decodeCodeBlock(withVarints([0x80, 0x80, 0x80, 0x80, 0x80])), MrcFormatError);
  assert.throws(() => decodeCodeBlock(withVarints([0x01, 0x01])), MrcFormatError);
  assert.throws(() => decodeCodeBlock(withVarints([0x81])), MrcFormatError);
  assert.throws(
    () => encodeCodeBlock({ snapshotCount: 2, streams: [new Int32Array(3)] }),
    TypeError,
  );
});

Deno.test("encodeChunk() frames, and decodeChunk() verifies, chunks of every size", () => {
  const rand = prng(5);
  for (const size of SIZES) {
    const body = Uint8Array.from({ length: size }, () => randInt(rand, 0, 255));
    for (const address of [{ level: null, block: null }, { level: 3, block: 70000 }]) {
      const bytes = encodeChunk("TEST", address, body);
      assert.strictEqual(bytes.length, 20 + size);
      const chunk = decodeChunk(bytes, 100);
      assert.deepStrictEqual(chunk, { type: "TEST", ...address, flags: 0, body });
      const broken = bytes.slice();
      broken[broken.length - 5] ^= 0x40;
      assert.throws(
        () => decodeChunk(broken, 100),
        (e) =>
          e instanceof MrcFormatError && e.offset === 100 && e.chunkType === "TEST" &&
          /^Cannot read chunk "TEST" at offset 100: CRC mismatch \(expected 0x[0-9a-f]{8}, found 0x[0-9a-f]{8}\)$/
            .test(e.message),
      );
    }
  }
});

Deno.test("a deflated index (1.6, SPEC.md §5) reads back; a wrong or impossible length is refused by name", () => {
  const entries: MrcChunkEntry[] = Array.from({ length: 40 }, (_, i) => ({
    type: i ? "BCOD" : "MHDR",
    level: i ? i % 8 : null,
    block: i ? i >> 3 : null,
    flags: i ? 0 : 1,
    offset: 14 + 100 * i,
    length: 100,
  }));
  const at = 14 + 100 * 40;
  const plain = decodeChunk(encodeIndexFor({ major: 1, minor: 5 }, entries), at);
  const deflated = decodeChunk(encodeIndexFor({ major: 1, minor: 6 }, entries), at);
  assert.strictEqual(plain.flags, 0);
  assert.strictEqual(deflated.flags, 1);
  assert.ok(deflated.body.length < plain.body.length / 2, `${deflated.body.length} bytes`);
  assert.deepStrictEqual(decodeIndexBody(deflated.body, at, 1), entries);
  assert.deepStrictEqual(decodeIndexBody(plain.body, at, 0), entries);
  assert.throws(() => decodeIndexBody(deflated.body, at, 0), /INDX.*entries need/);
  const bad = (body: Uint8Array, offset: number, message: RegExp) =>
    assert.throws(
      () => decodeIndexBody(body, offset, 1),
      (e) => e instanceof MrcFormatError && message.test(e.message),
    );
  const withLength = (L: number) => {
    const b = deflated.body.slice();
    new DataView(b.buffer).setUint32(0, L, true);
    return b;
  };
  bad(withLength(plain.body.length - 24), at, /INDX.*inflates to more than 940 bytes/);
  bad(withLength(plain.body.length + 24), at, /INDX.*inflates to 964 bytes, expected 988/);
  // 40 entries need 4 + 40 * 24 bytes; before offset 14 + 39 * 20 no 40 chunks fit.
  bad(
    deflated.body,
    14 + 39 * 20,
    /deflated body of 964 bytes, more than the 940 an index at offset 794 can need/,
  );
  bad(deflated.body.subarray(0, 3), at, /INDX.*deflated body of 3 bytes, at least 4/);
  bad(Uint8Array.of(...deflated.body, 0), at, /INDX/);
});

Deno.test("encodeIndexBody() and encodeTrailer() round trip", () => {
  const rand = prng(6);
  for (const count of SIZES) {
    const entries: MrcChunkEntry[] = Array.from({ length: count }, (_, i) => ({
      type: ["CODE", "MASK", "Xy12"][i % 3],
      level: i % 2 ? null : randInt(rand, 0, 65534),
      block: i % 3 ? null : randInt(rand, 0, 2 ** 32 - 2),
      flags: 0,
      offset: randInt(rand, 0, 2 ** 50),
      length: randInt(rand, 20, 2 ** 32 - 1),
    }));
    assert.deepStrictEqual(decodeIndexBody(encodeIndexBody(entries), 0), entries);
  }
  const trailer = { indexOffset: 2 ** 40, indexLength: 1234, major: 1, minor: 7 };
  const size = trailer.indexOffset + trailer.indexLength + 28;
  assert.deepStrictEqual(decodeTrailer(encodeTrailer(trailer), size - 28, size), trailer);
  assert.throws(() => decodeTrailer(encodeTrailer(trailer), size - 27, size + 1), MrcFormatError);
  assert.throws(
    () => decodeTrailer(encodeTrailer({ ...trailer, major: 2 }), size - 28, size),
    /version 2\.7 is newer than the supported version 1\.7/,
  );
});
