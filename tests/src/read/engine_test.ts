// The decode engines: the planner (levelRanges) lists exactly the chunks a decode reads, and both
// readers refuse the same over-budget request with the same message.
import assert from "node:assert";
import {
  countingSource,
  encodeAttributes,
  fromBytes,
  MrcFormatError,
} from "../../../format/mod.ts";
import { decodeStream, openMrc } from "../../../decode.ts";
import { levelRanges } from "../../../src/read/level_ranges.ts";
import { joinMrc, splitMrc } from "../../fuzz/_mrc_edit.ts";
import { streamOf } from "../../format/_helpers.ts";
import { build } from "../../testdata/conformance/generate.ts";

const testdata = new URL("../../testdata/", import.meta.url);

/** v1.2-bounded.mrc with an ATTR chunk (as a file compressed from netCDF has), after META. */
async function withAttributes(): Promise<Uint8Array> {
  const file = splitMrc(await Deno.readFile(new URL("v1.2-bounded.mrc", testdata)));
  const body = encodeAttributes({
    variable: { name: "sst", type: "float", attributes: {} },
    dimensions: [
      { name: "time", size: 9, values: null, type: "double", attributes: {} },
      { name: "lat", size: 13, values: null, type: "float", attributes: {} },
      { name: "lon", size: 10, values: null, type: "float", attributes: {} },
    ],
    selected: [],
    global: { title: { type: "char", value: "x".repeat(1000) } },
    source: {},
  });
  const at = file.chunks.findIndex((c) => c.type === "META") + 1;
  file.chunks.splice(at, 0, { type: "ATTR", level: null, block: null, flags: 0, body });
  return joinMrc(file);
}

Deno.test("levelRanges() lists exactly the chunks decode() reads, and no ATTR", async () => {
  const bytes = await withAttributes();
  for (const name of ["v1.0-small", "v1.1-2d", "v1.2-bounded", "v1.2-bounded-linear", null]) {
    const source = name === null
      ? fromBytes(bytes)
      : fromBytes(await Deno.readFile(new URL(`${name}.mrc`, testdata)));
    const file0 = await openMrc(source);
    const T = file0.header.shape[0];
    for (let level = 0; level < file0.levelCount; level++) {
      for (const snapshots of [[0, T], [T - 1, T]] as [number, number][]) {
        const counted = countingSource(source);
        const file = await openMrc(counted);
        // Planned before the decode: after it, a bounded file's coder cache holds the levels.
        const planned = levelRanges(file, { level, snapshots }).map((r) => r.offset);
        counted.reset();
        await file.decode({ level, snapshots });
        const read = counted.log.map((r) => r.offset).sort((a, b) => a - b);
        assert.deepStrictEqual(read, planned, `${name} level ${level} ${snapshots}`);
        const types = new Set(
          planned.map((o) => file.chunks.find((c) => c.offset === o)!.type),
        );
        assert.ok(!types.has("ATTR") && !types.has("META") && !types.has("MHDR"));
      }
    }
    if (name === null) {
      const file = await openMrc(source);
      assert.ok(file.chunks.some((c) => c.type === "ATTR"));
      assert.notStrictEqual(await file.readAttributes(), null);
    }
  }
});

Deno.test("both readers refuse the same over-budget request with the same message", async () => {
  // A model file with missing values: its mask is counted in the first level's budget by both.
  const withMissing = await build({
    shape: [4, 7, 7],
    grid: [7, 7],
    crop: [0, 0],
    levels: 2,
    blockSize: 2,
    missing: (_t, r, c) => r === 0 && c === 0,
    seed: 3,
  });
  for (const name of ["v1.0-small", "v1.2-bounded", null]) {
    const bytes = name === null
      ? withMissing
      : await Deno.readFile(new URL(`${name}.mrc`, testdata));
    const messages: string[] = [];
    const keep = (e: unknown) => {
      assert.ok(e instanceof MrcFormatError && /above maxBytes 2000/.test(e.message), String(e));
      messages.push(e.message);
      return true;
    };
    const file = await openMrc(bytes, { maxBytes: 2000 });
    await assert.rejects(async () => {
      for await (const _ of file.progressive());
    }, keep);
    await assert.rejects(async () => {
      for await (const _ of decodeStream(streamOf(bytes, 256), { maxBytes: 2000 }));
    }, keep);
    assert.strictEqual(messages[0], messages[1], String(name));
    assert.match(messages[0], /^Cannot decode level \d+ of snapshots 0:\d+: it needs \d+ bytes/);
    // And both accept it with room to spare, yielding the same levels.
    const a = [], b = [];
    for await (const d of file.progressive({ maxBytes: 2 ** 24 })) a.push(d);
    for await (const d of decodeStream(streamOf(bytes, 256))) b.push(d);
    assert.deepStrictEqual(a.map((d) => d.data), b.map((d) => d.data));
  }
});

Deno.test("both readers refuse a level chunk longer than maxBytes alike, and pass a large unknown chunk", async () => {
  const file = splitMrc(await Deno.readFile(new URL("v1.2-bounded.mrc", testdata)));
  // A CRC-consistent lie: level 1 block 0's BCOD padded to 33012 bytes, within the size the header
  // allows (33624) and above maxBytes, which is above the whole decode's budget (29664).
  const padded = file.chunks.find((c) => c.type === "BCOD" && c.level === 1 && c.block === 0)!;
  const body = new Uint8Array(33000 - 8);
  body.set(padded.body);
  padded.body = body;
  const lie = joinMrc(file);
  const messages: string[] = [];
  const keep = (e: unknown) => {
    assert.ok(e instanceof MrcFormatError, String(e));
    messages.push(e.message);
    return /Cannot read chunk "BCOD" at offset \d+: chunk of 33012 bytes above maxBytes 31000/
      .test(e.message);
  };
  const opened = await openMrc(lie, { maxBytes: 31000 });
  await assert.rejects(async () => {
    for await (const _ of opened.progressive());
  }, keep);
  await assert.rejects(opened.verify(), keep);
  await assert.rejects(async () => {
    for await (const _ of decodeStream(streamOf(lie, 4096), { maxBytes: 31000 }));
  }, keep);
  assert.strictEqual(new Set(messages).size, 1, messages.join("\n"));
  // A 3 MiB chunk of an unknown type is nobody's to hold: verify() and streams check its CRC in
  // pieces under the same maxBytes, and decode the file.
  const fresh = splitMrc(await Deno.readFile(new URL("v1.2-bounded.mrc", testdata)));
  fresh.chunks.splice(1, 0, {
    type: "ZZZZ",
    level: null,
    block: null,
    flags: 0,
    body: new Uint8Array(3 * 2 ** 20).fill(5),
  });
  const unknown = joinMrc(fresh);
  const f = await openMrc(unknown, { maxBytes: 2 ** 21 });
  await f.verify();
  const a = [], b = [];
  for await (const d of f.progressive()) a.push(d.data);
  for await (const d of decodeStream(streamOf(unknown, 4096), { maxBytes: 2 ** 21 })) {
    b.push(d.data);
  }
  assert.deepStrictEqual(a, b);
  unknown[unknown.length >> 1] ^= 4;
  await assert.rejects(
    (await openMrc(unknown)).verify(),
    /chunk "ZZZZ" at offset \d+: CRC mismatch/,
  );
});
