// RangeSource adapters: bytes, file handles, URLs (with and without Range support).
import assert from "node:assert";
import { countingSource, fromBytes, MrcFormatError, openContainer } from "../../../format/mod.ts";
import { cachedSource, fromFileHandle, fromUrl } from "../../../src/transport/mod.ts";

const goldenPath = new URL("../../testdata/v1.0-small.mrc", import.meta.url);
const goldenBytes = await Deno.readFile(goldenPath);

/** Serves `bytes` on 127.0.0.1, honouring Range or not; records the Range headers it saw. */
function serve(bytes: Uint8Array, honourRange: boolean) {
  const ranges: (string | null)[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request) => {
    const range = request.headers.get("Range");
    ranges.push(range);
    if (request.headers.get("X-Token") !== "secret") return new Response("no", { status: 403 });
    const match = /^bytes=(\d+)-(\d+)$/.exec(range ?? "");
    if (!honourRange || !match) return new Response(bytes.slice());
    const first = Number(match[1]);
    const last = Math.min(Number(match[2]), bytes.length - 1);
    if (first >= bytes.length) return new Response(null, { status: 416 });
    return new Response(bytes.slice(first, last + 1), {
      status: 206,
      headers: { "Content-Range": `bytes ${first}-${last}/${bytes.length}` },
    });
  });
  const url = `http://127.0.0.1:${server.addr.port}/small.mrc`;
  return { server, url, ranges };
}

Deno.test("fromUrl() reads with explicit Range requests from a server that honours them", async () => {
  const { server, url, ranges } = serve(goldenBytes, true);
  try {
    const source = await fromUrl(url, { headers: { "X-Token": "secret" } });
    assert.strictEqual(source.byteLength, goldenBytes.length);
    const mrc = await openContainer(source);
    const code = await mrc.readCodeBlock(1, 0);
    assert.strictEqual(code.snapshotCount, 2);
    const entry = mrc.findChunk("CODE", 1, 0)!;
    assert.strictEqual(ranges.length, 5); // size probe, trailer, index, head, one chunk
    assert.strictEqual(ranges[0], "bytes=0-0");
    assert.strictEqual(ranges[4], `bytes=${entry.offset}-${entry.offset + entry.length - 1}`);
    assert.ok(ranges.every((r) => r !== null && !r.startsWith("bytes=-")));
    await assert.rejects(fromUrl(url), /HTTP 403/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("fromUrl() returns the head of its first request and keeps no cache: cachedSource() holds it", async () => {
  const { server, url, ranges } = serve(goldenBytes, true);
  try {
    const headers = { "X-Token": "secret" };
    const source = await fromUrl(url, { headers, prefix: 100 });
    assert.deepStrictEqual(source.head, goldenBytes.subarray(0, 100));
    assert.deepStrictEqual(ranges, ["bytes=0-99"]);
    // The source itself asks the server again; the cache given the head does not.
    assert.deepStrictEqual(await source.read(10, 20), goldenBytes.subarray(10, 30));
    assert.strictEqual(ranges.length, 2);
    const cached = cachedSource(source, { held: [{ offset: 0, bytes: source.head }] });
    assert.deepStrictEqual(await cached.read(10, 20), goldenBytes.subarray(10, 30));
    assert.strictEqual(ranges.length, 2);
    // A read that starts in the head fetches only the rest.
    assert.deepStrictEqual(await cached.read(90, 20), goldenBytes.subarray(90, 110));
    assert.deepStrictEqual(ranges.at(-1), "bytes=100-109");
  } finally {
    await server.shutdown();
  }
});

Deno.test("fromUrl() falls back to one whole download when the server ignores Range", async () => {
  const { server, url, ranges } = serve(goldenBytes, false);
  try {
    const source = await fromUrl(url, { headers: { "X-Token": "secret" } });
    assert.strictEqual(source.byteLength, goldenBytes.length);
    const mrc = await openContainer(source);
    for (const entry of mrc.chunks) await mrc.readChunk(entry);
    assert.strictEqual(ranges.length, 1);
  } finally {
    await server.shutdown();
  }
});

/** A body of `total` bytes (byte i is i mod 251), made as it is read, in `piece`-byte reads. */
function endless(
  total: number,
  piece: number,
): { body: ReadableStream<Uint8Array>; made: () => number } {
  let made = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (made >= total) return controller.close();
      const n = Math.min(piece, total - made);
      controller.enqueue(Uint8Array.from({ length: n }, (_, i) => (made + i) % 251));
      made += n;
    },
  }, { highWaterMark: 0 });
  return { body, made: () => made };
}

Deno.test("fromUrl() caps a whole body at maxWholeBytes also after claiming a 2^53 - 1 byte size", async () => {
  // The audit's server: a 206 for the size probe claiming 2^53 - 1 bytes, then a 200 with an
  // endless body for the next read, which was buffered up to the claimed size (4-7 GB).
  const size = Number.MAX_SAFE_INTEGER;
  let later: ReturnType<typeof endless> | null = null;
  const fetch = (_: string | URL | Request, init?: RequestInit) => {
    const range = new Headers(init?.headers).get("Range");
    if (range === "bytes=0-0") {
      return Promise.resolve(
        new Response(Uint8Array.of(0x8a), {
          status: 206,
          headers: { "Content-Range": `bytes 0-0/${size}` },
        }),
      );
    }
    later = endless(2 ** 40, 65536);
    return Promise.resolve(new Response(later.body, { status: 200 }));
  };
  const source = await fromUrl("http://hostile.example/x.mrc", { fetch, maxWholeBytes: 2 ** 20 });
  assert.strictEqual(source.byteLength, size);
  await assert.rejects(
    source.read(size - 28, 28),
    /the server sent the whole file \(\d+ bytes or more\), above the 1048576 accepted/,
  );
  assert.ok(later!.made() <= 2 ** 20 + 2 * 65536, `${later!.made()} bytes read`);
});

Deno.test("fromUrl() keeps a whole body as received, reads across its pieces exact", async () => {
  // No Content-Length, 1000-byte pieces: the body is kept piece by piece (it was copied into a
  // buffer grown by doubling, 2.1 GB at the peak for a 1 GiB cap).
  const total = 123_457;
  const fetch = () => Promise.resolve(new Response(endless(total, 1000).body, { status: 200 }));
  const source = await fromUrl("http://norange.example/x.mrc", { fetch, maxWholeBytes: total });
  assert.strictEqual(source.byteLength, total);
  const want = (offset: number, length: number) =>
    Uint8Array.from({ length }, (_, i) => (offset + i) % 251);
  for (
    const [offset, length] of [[0, 1], [999, 2], [1000, 1000], [5, 3000], [total - 7, 7], [
      0,
      total,
    ], [17, 0]]
  ) {
    assert.deepStrictEqual(
      await source.read(offset, length),
      want(offset, length),
      `${offset}+${length}`,
    );
  }
  await assert.rejects(source.read(total - 1, 2), RangeError);
  const small = () => Promise.resolve(new Response(endless(total, 1000).body, { status: 200 }));
  await assert.rejects(
    fromUrl("http://norange.example/x.mrc", { fetch: small, maxWholeBytes: total - 1 }),
    /above the 123456 accepted/,
  );
});

Deno.test("fromFileHandle() reads a Deno.FsFile", async () => {
  using file = await Deno.open(goldenPath);
  const source = countingSource(await fromFileHandle(file));
  const mrc = await openContainer(source);
  // Concurrent reads on one handle are serialized, so each gets its own bytes.
  const blocks = await Promise.all([0, 1, 2].map((b) => mrc.readCodeBlock(0, b)));
  assert.deepStrictEqual(blocks.map((b) => b.snapshotCount), [2, 2, 1]);
  assert.strictEqual(source.reads, 6);
});

Deno.test("fromFileHandle() reports a file shorter than its stat as truncated", async () => {
  const bytes = goldenBytes;
  let position = 0;
  const handle = {
    seek: (offset: number | bigint) => Promise.resolve(position = Number(offset)),
    read: (buffer: Uint8Array) => {
      const available = bytes.length - 100 - position; // the last 100 bytes are gone
      if (available <= 0) return Promise.resolve(null);
      const n = Math.min(buffer.length, available);
      buffer.set(bytes.subarray(position, position + n));
      position += n;
      return Promise.resolve(n);
    },
    stat: () => Promise.resolve({ size: bytes.length }),
  };
  await assert.rejects(openContainer(await fromFileHandle(handle)), MrcFormatError);
});

Deno.test("fromBytes() rejects reads outside the bytes and honours a signal", async () => {
  const source = fromBytes(new Uint8Array(4));
  await assert.rejects(source.read(3, 2), RangeError);
  await assert.rejects(source.read(-1, 1), TypeError);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(source.read(0, 1, { signal: controller.signal }));
});
