// Streaming reads: chunk by chunk, truncation after a level, corruption.
import assert from "node:assert";
import {
  decodeCodeBlock,
  fromBytes,
  MrcFormatError,
  type MrcStreamChunk,
  openContainer,
  readMrcStream,
} from "../../format/mod.ts";
import { streamOf } from "./_helpers.ts";

const goldenBytes = await Deno.readFile(new URL("../testdata/v1.0-small.mrc", import.meta.url));
const mrc = await openContainer(fromBytes(goldenBytes));

async function collect(stream: ReadableStream<Uint8Array>): Promise<MrcStreamChunk[]> {
  const chunks: MrcStreamChunk[] = [];
  for await (const chunk of readMrcStream(stream)) chunks.push(chunk);
  return chunks;
}

Deno.test("readMrcStream() yields every chunk in order, then INDX", async () => {
  for (const piece of [1, 7, 4096]) {
    const chunks = await collect(streamOf(goldenBytes, piece));
    assert.deepStrictEqual(chunks.map((c) => c.type).at(-1), "INDX");
    const listed = chunks.slice(0, -1).map(({ type, level, block, flags, offset, length }) => ({
      type,
      level,
      block,
      flags,
      offset,
      length,
    }));
    assert.deepStrictEqual(listed, mrc.chunks);
    for (const chunk of chunks.slice(0, -1)) {
      const entry = mrc.chunks.find((e) => e.offset === chunk.offset)!;
      assert.deepStrictEqual(chunk.body, await mrc.readChunk(entry));
      assert.deepStrictEqual(chunk.version, { major: 1, minor: 0 });
    }
  }
});

Deno.test("readMrcStream() yields each chunk before the rest of the stream arrives", async () => {
  // Deliver the bytes up to the end of the first CODE chunk of level 0, then stall.
  const code = mrc.findChunk("CODE", 0, 0)!;
  const end = code.offset + code.length;
  let pulls = 0;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(goldenBytes.slice(0, end));
    },
    pull() {
      pulls++;
      return new Promise(() => {}); // never delivers more
    },
  });
  const seen: string[] = [];
  for await (const chunk of readMrcStream(stream)) {
    seen.push(chunk.type);
    if (chunk.type === "CODE") {
      assert.strictEqual(decodeCodeBlock(chunk.body).snapshotCount, 2);
      break; // cancels the stream
    }
  }
  assert.deepStrictEqual(seen, ["MHDR", "META", "NANM", "DECW", "MASK", "CODE"]);
});

Deno.test("readMrcStream() yields a complete level, then rejects a stream cut after it", async () => {
  const firstOfLevel1 = mrc.findChunk("DECW", 1)!;
  for (const cut of [firstOfLevel1.offset, firstOfLevel1.offset + 5]) {
    const seen: MrcStreamChunk[] = [];
    await assert.rejects(
      async () => {
        for await (const chunk of readMrcStream(streamOf(goldenBytes.slice(0, cut), 100))) {
          seen.push(chunk);
        }
      },
      (e) => e instanceof MrcFormatError && /truncated/.test(e.message),
    );
    assert.deepStrictEqual(
      seen.filter((c) => c.level === 0).map((c) => `${c.type}${c.block ?? ""}`),
      ["DECW", "MASK", "CODE0", "CODE1", "CODE2"],
    );
    assert.ok(seen.every((c) => c.level !== 1));
  }
});

Deno.test("readMrcStream() rejects every flipped byte and every truncation of the golden file", async () => {
  const failures: string[] = [];
  const check = async (bytes: Uint8Array, what: string) => {
    try {
      await collect(streamOf(bytes, 512));
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
  for (let n = 0; n < goldenBytes.length; n++) await check(goldenBytes.slice(0, n), `cut ${n}`);
  const extended = new Uint8Array(goldenBytes.length + 1);
  extended.set(goldenBytes);
  await check(extended, "one extra byte");
  assert.deepStrictEqual(failures.slice(0, 10), []);
});

Deno.test("readMrcStream() rejects an absurd chunk length before allocating", async () => {
  const bytes = goldenBytes.slice(0, 64);
  new DataView(bytes.buffer).setUint32(14, 0xfffffff0, true); // MHDR payload length
  await assert.rejects(collect(streamOf(bytes)), /absurd payload length/);
});

Deno.test("readMrcStream() honours an abort signal", async () => {
  const controller = new AbortController();
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(goldenBytes.slice(0, 100));
    },
    pull: () => new Promise(() => {}),
  });
  const pending = (async () => {
    for await (const _ of readMrcStream(stream, { signal: controller.signal })) { /* drain */ }
  })();
  setTimeout(() => controller.abort(new Error("stop")), 10);
  await assert.rejects(pending, /stop/);
});

/** A pull stream over `bytes` in pieces of `piece` (views, no copies), counting what it gave. */
function viewStream(
  bytes: Uint8Array,
  piece: number,
): { stream: ReadableStream<Uint8Array>; given: () => number } {
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + piece));
      at += piece;
    },
  }, { highWaterMark: 0 });
  return { stream, given: () => Math.min(at, bytes.length) };
}

Deno.test("readMrcStream() streams a 128 MiB unknown chunk through without holding it, CRC checked", async () => {
  // The resident set, measured in a process of its own from a collected heap: 1 MiB of growth
  // now, 270 MiB before (the chunk buffered in the queue, copied out, copied again).
  const script = new URL("./_stream_memory.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--v8-flags=--expose-gc", script],
    stderr: "inherit",
  }).output();
  assert.strictEqual(out.code, 0);
  const { start, peak, types } = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.strictEqual(types[1], "ZZZZ");
  assert.ok(peak - start < 32 * 2 ** 20, `the reader grew by ${peak - start} bytes`);
  // A flipped byte deep inside such a chunk is found; the chunk comes with an empty body.
  const { joinMrc, splitMrc } = await import("../fuzz/_mrc_edit.ts");
  const file = splitMrc(goldenBytes);
  file.chunks.splice(1, 0, {
    type: "ZZZZ",
    level: null,
    block: null,
    flags: 0,
    body: new Uint8Array(2 ** 20).fill(3),
  });
  const bytes = joinMrc(file);
  const chunks = await collect(viewStream(bytes, 4096).stream);
  assert.deepStrictEqual([chunks[1].type, chunks[1].length, chunks[1].body.length], [
    "ZZZZ",
    2 ** 20 + 20,
    0,
  ]);
  bytes[bytes.length >> 1] ^= 1;
  await assert.rejects(
    collect(viewStream(bytes, 4096).stream),
    /Cannot read chunk "ZZZZ" at offset \d+: CRC mismatch/,
  );
});

Deno.test("readMrcStream() refuses a level chunk above maxChunkBytes before reading it", async () => {
  const first = mrc.chunks.find((e) => e.level !== null)!;
  const { stream, given } = viewStream(goldenBytes.slice(), 256);
  const chunks: string[] = [];
  await assert.rejects(
    async () => {
      for await (const c of readMrcStream(stream, { maxChunkBytes: first.length - 1 })) {
        chunks
          .push(c.type);
      }
    },
    new RegExp(
      `Cannot read chunk "${first.type}" at offset ${first.offset}: chunk of ${first.length} bytes above maxBytes ${
        first.length - 1
      }`,
    ),
  );
  // The file-level chunks before it came through: JSON and the mask are not held to the limit.
  assert.deepStrictEqual(
    chunks,
    mrc.chunks.filter((e) => e.offset < first.offset).map((e) => e.type),
  );
  assert.ok(given() <= first.offset + 512, `${given()} bytes read`);
});
