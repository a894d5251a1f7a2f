// decodeCodeBlock() against a naive reference decoder (the SPEC §4.6 loop as first written: one
// varint, zigzag and predictor step per value), on hand-made bodies with varints of every length.
import assert from "node:assert";
import { decodeCodeBlock, MrcFormatError } from "../../format/mod.ts";
import { zlibCompress } from "../../format/_bytes.ts";
import { prng, randInt } from "./_helpers.ts";

/** The reference: returns the streams, or the error message. */
function naiveDecode(
  raw: Uint8Array,
  vps: number[],
  n: number,
  predictor: number,
): Int32Array[] | string {
  let pos = 0;
  const streams: Int32Array[] = [];
  for (let s = 0; s < vps.length; s++) {
    const stride = vps[s];
    const values = new Int32Array(stride * n);
    for (let p = 0; p < stride; p++) {
      for (let t = 0; t < n; t++) {
        let z = 0, scale = 1;
        for (let i = 0;; i++) {
          if (i === 5) return `varint longer than 5 bytes at ${pos}`;
          if (pos >= raw.length) return "varints end early";
          const byte = raw[pos++];
          z += (byte & 0x7f) * scale;
          if (byte < 0x80) break;
          scale *= 0x80;
        }
        const r = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
        const at = p + t * stride;
        let x = r;
        if (predictor === 1 || (predictor === 2 && t === 1)) {
          if (t > 0) x = r + values[at - stride];
        } else if (predictor === 2 && t > 1) {
          x = r + 2 * values[at - stride] - values[at - 2 * stride];
        }
        if (x < -0x80000000 || x > 0x7fffffff) return `value ${x} of stream ${s} overflows int32`;
        values[at] = x;
      }
    }
    streams.push(values);
  }
  if (pos !== raw.length) return `${raw.length - pos} bytes left`;
  return streams;
}

function varint(out: number[], z: number): void {
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
}

function body(raw: Uint8Array, vps: number[], n: number, predictor: number): Uint8Array {
  const z = zlibCompress(raw);
  const head = 13 + 4 * vps.length;
  const out = new Uint8Array(head + z.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, n, true);
  view.setUint32(4, vps.length, true);
  vps.forEach((v, s) => view.setUint32(8 + 4 * s, v, true));
  out[8 + 4 * vps.length] = predictor;
  view.setUint32(9 + 4 * vps.length, raw.length, true);
  out.set(z, head);
  return out;
}

function check(raw: Uint8Array, vps: number[], n: number, predictor: number): void {
  const total = vps.reduce((a, v) => a + v * n, 0);
  // Bodies whose raw length does not fit the value count are rejected before any varint is read.
  if (raw.length < total || raw.length > 5 * total) return;
  const want = naiveDecode(raw, vps, n, predictor);
  const what = `vps ${vps}, ${n} snapshots, predictor ${predictor}`;
  if (typeof want === "string") {
    assert.throws(
      () => decodeCodeBlock(body(raw, vps, n, predictor)),
      (e) => e instanceof MrcFormatError && e.message.includes(want),
      `${what}: expected "${want}"`,
    );
  } else {
    const got = decodeCodeBlock(body(raw, vps, n, predictor));
    assert.deepStrictEqual(got.streams, want, what);
  }
}

Deno.test("decodeCodeBlock() equals the naive decoder for varints of 1 to 5 bytes and every predictor", () => {
  const rand = prng(21);
  // Zigzag magnitudes by varint length: 1 byte < 2^7, 2 < 2^14, 3 < 2^21, 4 < 2^28, 5 < 2^35.
  const limits = [0x80, 0x4000, 0x200000, 0x10000000, 2 ** 32];
  for (const n of [0, 1, 2, 3, 64, 65]) {
    for (const vps of [[0], [1], [7, 3], [5, 0, 2]]) {
      for (const predictor of [0, 1, 2]) {
        for (const longest of [1, 2, 3, 4, 5]) {
          const bytes: number[] = [];
          const total = vps.reduce((a, v) => a + v * n, 0);
          for (let i = 0; i < total; i++) {
            varint(bytes, randInt(rand, 0, limits[randInt(rand, 0, longest - 1)] - 1));
          }
          check(Uint8Array.from(bytes), vps, n, predictor);
        }
      }
    }
  }
});

Deno.test("decodeCodeBlock() reconstructs int32 extremes and rejects overflow after prediction", () => {
  const zig = (r: number) => (r >= 0 ? 2 * r : -2 * r - 1);
  const cases: [number[], number][] = [
    [[0x7fffffff, -1, 1], 1], // 2^31 - 1, then 2^31 - 2, then back
    [[0x7fffffff, 1], 1], // 2^31: overflow
    [[-0x80000000, -1], 1], // -2^31 - 1: overflow
    [[0, 0x7fffffff, 0], 2], // 2 * (2^31 - 1) - 0: overflow
    [[-0x80000000, 0x7fffffff, -0x7fffffff], 2], // -1, then 2 * -1 + 2^31 - 2^31 + 1 = -1
    [[2 ** 33, 0], 0], // above int32 without a predictor
    [[-(2 ** 33), 0], 1],
  ];
  for (const [residuals, predictor] of cases) {
    const bytes: number[] = [];
    for (const r of residuals) varint(bytes, zig(r));
    check(Uint8Array.from(bytes), [1], residuals.length, predictor);
  }
});

Deno.test("decodeCodeBlock() rejects long, truncated and trailing varints as the naive decoder does", () => {
  const cases: number[][] = [
    [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // 6 bytes
    [0x81], // truncated after 1 byte
    [0x81, 0x81], // truncated after 2
    [0x81, 0x81, 0x81, 0x81], // truncated after 4
    [0x01, 0x81, 0x01, 0x02], // trailing byte
  ];
  for (const raw of cases) {
    for (const n of [1, 2]) check(Uint8Array.from(raw), [1], n, 1);
  }
});
