// Hostile and unlucky servers: bodies larger than asked, stalls, error statuses, absurd sizes,
// and a signal given to openMrc() that must not outlive the open. A reader of remote files must
// neither buffer more than it asked for nor hang on a server that stops answering.
import assert from "node:assert";
import { fromUrl, HttpError, MrcFormatError, openMrc } from "../../../decode.ts";
import { rangeServer } from "../_fixtures.ts";

const golden = await Deno.readFile(new URL("../../testdata/v1.2-bounded.mrc", import.meta.url));

/** A server whose every answer is made by `answer` (a 206 for the size probe by default). */
function server(
  answer: (req: Request, range: [number, number] | null) => Response | Promise<Response>,
) {
  const s = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.get("range") ?? "");
    return answer(req, m ? [Number(m[1]), Number(m[2])] : null);
  });
  return { url: `http://127.0.0.1:${s.addr.port}/f.mrc`, shutdown: () => s.shutdown() };
}

/** An endless body in 64 KiB pieces, counting what the client pulled. */
function endless(counter: { sent: number }): ReadableStream<Uint8Array> {
  const piece = new Uint8Array(65536);
  return new ReadableStream({
    pull(c) {
      counter.sent += piece.length;
      if (counter.sent > 256 * 2 ** 20) return c.close();
      c.enqueue(piece);
    },
  });
}

const SIZE = 1000;
const probe = () =>
  new Response(new Uint8Array(1), {
    status: 206,
    headers: { "content-range": `bytes 0-0/${SIZE}` },
  });

Deno.test("fromUrl() refuses a 206 body larger than asked while it streams", async () => {
  const counter = { sent: 0 };
  const s = server((_, range) =>
    range && range[0] === 0 && range[1] === 0 ? probe() : new Response(endless(counter), {
      status: 206,
      headers: { "content-range": `bytes ${range![0]}-${range![1]}/${SIZE}` },
    })
  );
  try {
    const source = await fromUrl(s.url);
    await assert.rejects(
      source.read(100, 28),
      (e) =>
        e instanceof HttpError && e.status === 206 && e.url === s.url && /sent/.test(e.message),
    );
    // Refused at the first piece, not after the 256 MiB the server would send.
    assert.ok(counter.sent < 4 * 2 ** 20, `pulled ${counter.sent} bytes`);
  } finally {
    await s.shutdown();
  }
});

Deno.test("fromUrl() caps a whole-file fallback at the size it learnt, and at maxWholeBytes", async () => {
  const counter = { sent: 0 };
  const s = server((_, range) =>
    range && range[0] === 0 && range[1] === 0 ? probe() : new Response(endless(counter))
  );
  try {
    const source = await fromUrl(s.url);
    await assert.rejects(source.read(0, 10), (e) => e instanceof HttpError && e.status === 200);
    assert.ok(counter.sent < 4 * 2 ** 20, `pulled ${counter.sent} bytes`);
  } finally {
    await s.shutdown();
  }
  const t = server(() => new Response(new Uint8Array(5000)));
  try {
    await assert.rejects(
      fromUrl(t.url, { maxWholeBytes: 4096 }),
      (e) => e instanceof HttpError && /above the 4096 accepted/.test(e.message),
    );
    assert.strictEqual((await fromUrl(t.url)).byteLength, 5000);
  } finally {
    await t.shutdown();
  }
});

Deno.test("fromUrl() times out a stalled server per request", async () => {
  let release = () => {};
  const released = new Promise<void>((r) => release = r);
  let answered = false;
  const s = server(async (_, range) => {
    if (range && range[0] === 0 && range[1] === 0) return probe();
    await released; // headers never come until the test releases them
    answered = true;
    return new Response("late", { status: 206 });
  });
  try {
    const source = await fromUrl(s.url, { timeout: 200 });
    // The read fails while the server is still holding its answer: the timeout ended it.
    await assert.rejects(
      source.read(0, 10),
      (e) => e instanceof HttpError && e.status === null && /within 200 ms/.test(e.message),
    );
    assert.strictEqual(answered, false);
  } finally {
    release();
    await s.shutdown();
  }
});

Deno.test("fromUrl() times out a body that stalls after its headers", async () => {
  let stop = () => {};
  const s = server((_, range) => {
    if (range && range[0] === 0 && range[1] === 0) return probe();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(3));
        stop = () => c.close();
      },
    });
    return new Response(body, {
      status: 206,
      headers: { "content-range": `bytes ${range![0]}-${range![1]}/${SIZE}` },
    });
  });
  try {
    const source = await fromUrl(s.url, { timeout: 200 });
    await assert.rejects(source.read(0, 10), (e) => e instanceof HttpError && e.status === null);
  } finally {
    stop();
    await s.shutdown();
  }
});

Deno.test("fromUrl() reports error statuses as HttpError with the status and URL", async () => {
  let fail = false;
  const s = server((_, range) =>
    range && range[0] === 0 && range[1] === 0 && !fail
      ? probe()
      : new Response("boom", { status: 500, statusText: "Internal Server Error" })
  );
  try {
    const source = await fromUrl(s.url);
    await assert.rejects(
      source.read(10, 10),
      (e) =>
        e instanceof HttpError && e.status === 500 && e.url === s.url &&
        /HTTP 500 Internal Server Error/.test(e.message),
    );
    fail = true;
    await assert.rejects(fromUrl(s.url), (e) => e instanceof HttpError && e.status === 500);
  } finally {
    await s.shutdown();
  }
});

Deno.test("fromUrl() refuses a Content-Range total above 2^53 with a MrcFormatError", async () => {
  const s = server(() =>
    new Response(new Uint8Array(1), {
      status: 206,
      headers: { "content-range": "bytes 0-0/99999999999999999999" },
    })
  );
  try {
    await assert.rejects(
      fromUrl(s.url),
      (e) => e instanceof MrcFormatError && /2\^53/.test(e.message),
    );
    await assert.rejects(openMrc(s.url), MrcFormatError);
  } finally {
    await s.shutdown();
  }
});

Deno.test("fromUrl() refuses a 206 answer for another range", async () => {
  const s = server((_, range) =>
    range && range[0] === 0 && range[1] === 0 ? probe() : new Response(new Uint8Array(50), {
      status: 206,
      headers: { "content-range": `bytes 0-49/${SIZE}` },
    })
  );
  try {
    const source = await fromUrl(s.url);
    await assert.rejects(source.read(10, 10), (e) => e instanceof HttpError && e.status === 206);
    await assert.rejects(source.read(0, 10), (e) => e instanceof HttpError && e.status === 206);
  } finally {
    await s.shutdown();
  }
});

Deno.test("openMrc(url, { signal }) uses the signal for opening only", async () => {
  const s = rangeServer(golden);
  try {
    const file = await openMrc(s.url("a.mrc"), { signal: AbortSignal.timeout(100) });
    await new Promise((r) => setTimeout(r, 250));
    const decoded = await file.decode({ level: 0 });
    assert.ok(decoded.data.length > 0);
    // A signal of the call itself still cancels it.
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await assert.rejects(file.decode({ signal: controller.signal }), /stop/);
  } finally {
    await s.shutdown();
  }
});
