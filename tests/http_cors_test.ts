// Remote files behind ordinary static hosts: servers that send no Access-Control-Expose-Headers
// (so a page of another origin cannot read Content-Range), servers that refuse HEAD or suffix
// ranges, servers that ignore Range, servers without CORS, and `npx http-server --cors` as it
// comes. First as a page of another origin sees the answers (a fetch that keeps only the headers
// CORS lets it read), then in a real headless Chromium across origins.
import assert from "node:assert";
import { HttpError, type MrcFile, openMrc } from "../decode.ts";
import { DEFAULT_READ_AHEAD } from "../src/read/_read_ahead.ts";
import { valuesChecksum } from "../web/_checksum.ts";
import { testFile } from "../bench/_field.ts";
import { Browser, CHROMIUM, decodePage } from "./_chromium.ts";

if (!CHROMIUM) {
  console.warn(
    "note: the Chromium tests of tests/http_cors_test.ts skipped: no chromium installed",
  );
}

/** What a static host does. Defaults: CORS for every origin, no exposed headers. */
interface HostOptions {
  /** `Access-Control-Allow-Origin: *` on every answer, and preflights that allow `Range`. */
  cors?: boolean;
  /** `Access-Control-Expose-Headers: Content-Range`. */
  expose?: boolean;
  /** Answers `HEAD` (else 405). */
  head?: boolean;
  /** Answers a suffix range `bytes=-n` (else 416, as http-server does). */
  suffix?: boolean;
  /** Honours `Range` at all (else a 200 with the whole file). */
  ranges?: boolean;
}

/** A static host on 127.0.0.1 serving `files`, logging `METHOD range` of every request. */
function host(files: Record<string, Uint8Array | string>, options: HostOptions = {}) {
  const { cors = true, expose = false, head = true, suffix = true, ranges = true } = options;
  const log: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const range = req.headers.get("range");
    log.push(`${req.method} ${range ?? ""}`.trim());
    const headers = new Headers({ "Accept-Ranges": "bytes" });
    if (cors) headers.set("Access-Control-Allow-Origin", "*");
    if (cors && expose) headers.set("Access-Control-Expose-Headers", "Content-Range");
    if (req.method === "OPTIONS") {
      if (cors) headers.set("Access-Control-Allow-Headers", "Range");
      return new Response(null, { status: 204, headers });
    }
    const file = files[new URL(req.url).pathname];
    if (file === undefined) return new Response("not found", { status: 404, headers });
    const body = typeof file === "string" ? new TextEncoder().encode(file) : file;
    const name = new URL(req.url).pathname;
    headers.set(
      "Content-Type",
      name.endsWith(".html")
        ? "text/html"
        : name.endsWith(".js")
        ? "text/javascript"
        : "application/octet-stream",
    );
    if (req.method === "HEAD" && !head) {
      return new Response("no HEAD here", { status: 405, headers });
    }
    const m = ranges ? /^bytes=(\d*)-(\d*)$/.exec(range ?? "") : null;
    let start = 0, end = body.length;
    if (m) {
      if (m[1] === "" && !suffix) return new Response(null, { status: 416, headers });
      start = m[1] === "" ? Math.max(0, body.length - Number(m[2])) : Number(m[1]);
      end = m[1] !== "" && m[2] !== "" ? Math.min(body.length, Number(m[2]) + 1) : body.length;
      if (start >= body.length) {
        headers.set("Content-Range", `bytes */${body.length}`);
        return new Response(null, { status: 416, headers });
      }
      headers.set("Content-Range", `bytes ${start}-${end - 1}/${body.length}`);
    }
    headers.set("Content-Length", String(end - start));
    return new Response(req.method === "HEAD" ? null : body.slice(start, end), {
      status: m ? 206 : 200,
      headers,
    });
  });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return { origin, url: (path: string) => origin + path, log, shutdown: () => server.shutdown() };
}

/** The response headers a page may read of an answer from another origin (Fetch, CORS). */
const SAFELISTED = [
  "cache-control",
  "content-language",
  "content-length",
  "content-type",
  "expires",
  "last-modified",
  "pragma",
];

/**
 * `fetch` as a page of `pageOrigin` sees another origin: a request that is not simple (a suffix
 * range, another header) is preceded by a preflight; an answer without a matching
 * `Access-Control-Allow-Origin` fails with the browser's bare `TypeError`; and of the answer's
 * headers only the safelisted ones and those listed in `Access-Control-Expose-Headers` remain.
 */
function browserView(pageOrigin = "http://page.example"): typeof fetch {
  const allowed = (r: Response) => {
    const allow = r.headers.get("access-control-allow-origin");
    return allow === "*" || allow === pageOrigin;
  };
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    const method = init?.method ?? "GET";
    const names = [...headers.keys()];
    const simple = (method === "GET" || method === "HEAD") &&
      names.every((n) => n === "range" && /^bytes=\d+-\d*$/.test(headers.get("range")!));
    if (!simple) {
      const preflight = await fetch(input, {
        method: "OPTIONS",
        headers: {
          Origin: pageOrigin,
          "Access-Control-Request-Method": method,
          "Access-Control-Request-Headers": names.join(","),
        },
      });
      await preflight.body?.cancel();
      const granted = (preflight.headers.get("access-control-allow-headers") ?? "")
        .toLowerCase().split(",").map((s) => s.trim());
      if (!preflight.ok || !allowed(preflight) || !names.every((n) => granted.includes(n))) {
        throw new TypeError("Failed to fetch");
      }
    }
    headers.set("Origin", pageOrigin);
    const response = await fetch(input, { ...init, headers });
    if (!allowed(response)) {
      await response.body?.cancel();
      throw new TypeError("Failed to fetch");
    }
    const exposed = (response.headers.get("access-control-expose-headers") ?? "")
      .toLowerCase().split(",").map((s) => s.trim());
    const visible = new Headers();
    for (const [name, value] of response.headers) {
      if (SAFELISTED.includes(name) || exposed.includes(name)) visible.set(name, value);
    }
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: visible,
    });
  };
}

const bytes = await testFile();
const local = await openMrc(bytes);
const finest = local.levelCount - 1;
const expected = valuesChecksum((await local.decode({ level: finest })).data);
const size = bytes.length;
const head = `GET bytes=0-${DEFAULT_READ_AHEAD - 1}`;
const tail = `GET bytes=${size - DEFAULT_READ_AHEAD}-${size - 1}`;

/** Every level of `file` equals the one decoded from the bytes. */
async function assertSameLevels(file: MrcFile): Promise<void> {
  for (let level = 0; level <= finest; level++) {
    const [a, b] = await Promise.all([file.decode({ level }), local.decode({ level })]);
    assert.strictEqual(valuesChecksum(a.data), valuesChecksum(b.data), `level ${level}`);
  }
}

Deno.test("openMrc(url) opens in 2 requests where Content-Range is exposed, 3 where it is hidden", async () => {
  assert.ok(size > 2 * DEFAULT_READ_AHEAD, `the test file has ${size} bytes`);
  const exposing = host({ "/f.mrc": bytes }, { expose: true });
  const hiding = host({ "/f.mrc": bytes });
  try {
    const fetch = browserView();
    const a = await openMrc(exposing.url("/f.mrc"), { fetch });
    assert.deepStrictEqual(exposing.log, [head, tail]);
    const b = await openMrc(hiding.url("/f.mrc"), { fetch });
    // The first answer shows Content-Length, not Content-Range: HEAD gives the size.
    assert.deepStrictEqual(hiding.log, [head, "HEAD", tail]);
    assert.strictEqual(b.totalBytes, size);
    await assertSameLevels(a);
    await assertSameLevels(b);
    // The chunk reads: explicit ranges, no preflight, no suffix range.
    assert.ok(hiding.log.slice(3).every((r) => /^GET bytes=\d+-\d+$/.test(r)), hiding.log.join());
  } finally {
    await exposing.shutdown();
    await hiding.shutdown();
  }
});

Deno.test("openMrc(url) reads a file smaller than the read-ahead in one request, Content-Range hidden", async () => {
  const small = await Deno.readFile(new URL("./testdata/v1.2-bounded.mrc", import.meta.url));
  assert.ok(small.length < DEFAULT_READ_AHEAD);
  const s = host({ "/s.mrc": small });
  try {
    const file = await openMrc(s.url("/s.mrc"), { fetch: browserView() });
    assert.deepStrictEqual(s.log, [head]);
    const want = await (await openMrc(small)).decode();
    assert.deepStrictEqual((await file.decode()).data, want.data);
    assert.strictEqual(s.log.length, 1);
  } finally {
    await s.shutdown();
  }
});

Deno.test("openMrc(url) falls back to a suffix range where HEAD is refused, and holds its bytes", async () => {
  const s = host({ "/f.mrc": bytes }, { head: false });
  try {
    const file = await openMrc(s.url("/f.mrc"), { fetch: browserView() });
    // The suffix range needs a preflight; its bytes are the tail, whose trailer gives the size,
    // so the tail is not fetched again.
    assert.deepStrictEqual(s.log, [head, "HEAD", "OPTIONS", `GET bytes=-${DEFAULT_READ_AHEAD}`]);
    assert.strictEqual(file.totalBytes, size);
    await assertSameLevels(file);
    // Exact reads (no read-ahead): the suffix still asks for enough to hold the trailer.
    s.log.length = 0;
    const exact = await openMrc(s.url("/f.mrc"), { fetch: browserView(), readAhead: 0 });
    assert.deepStrictEqual(s.log.slice(0, 4), [
      "GET bytes=0-0",
      "HEAD",
      "OPTIONS",
      "GET bytes=-1024",
    ]);
    assert.strictEqual(exact.totalBytes, size);
    await assertSameLevels(exact);
  } finally {
    await s.shutdown();
  }
});

Deno.test("openMrc(url) says what to fix where the size is hidden every way", async () => {
  // http-server's behaviour: no suffix ranges (416); here without HEAD too.
  const s = host({ "/f.mrc": bytes }, { head: false, suffix: false });
  try {
    await assert.rejects(openMrc(s.url("/f.mrc"), { fetch: browserView() }), (e) => {
      assert.ok(e instanceof HttpError, String(e));
      assert.match(e.message, /Access-Control-Expose-Headers: Content-Range/);
      assert.match(e.message, /HEAD \(HTTP 405/);
      assert.match(e.message, /a suffix range \(HTTP 416/);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  } finally {
    await s.shutdown();
  }
  // Bytes that end in no .mrc trailer: the suffix range cannot say the size.
  const junk = new Uint8Array(3 * DEFAULT_READ_AHEAD).fill(7);
  const t = host({ "/j.mrc": junk }, { head: false });
  try {
    await assert.rejects(
      openMrc(t.url("/j.mrc"), { fetch: browserView() }),
      /they do not say the file's size/,
    );
  } finally {
    await t.shutdown();
  }
});

Deno.test("openMrc(url) takes the whole body from a host that ignores Range, within maxBytes", async () => {
  const s = host({ "/f.mrc": bytes }, { ranges: false });
  try {
    const file = await openMrc(s.url("/f.mrc"), { fetch: browserView() });
    await assertSameLevels(file);
    assert.deepStrictEqual(s.log, [head]);
    await assert.rejects(
      openMrc(s.url("/f.mrc"), { fetch: browserView(), maxBytes: size - 1 }),
      new RegExp(
        `the server sent the whole file \\(${size} bytes or more\\), above the ${
          size - 1
        } accepted`,
      ),
    );
  } finally {
    await s.shutdown();
  }
});

/**
 * http-server 14.1.1 (what `npx http-server` runs) serving `dir` with `--cors`, or null (with a
 * note) where npm cannot install it. It is installed into a folder of its own and run with node
 * directly, so that stopping it stops the server (`npx` would leave its child running).
 */
async function httpServer(
  dir: string,
): Promise<{ origin: string; stop: () => Promise<void> } | null> {
  const prefix = await Deno.makeTempDir({ prefix: "mrcae-http-server-npm-" });
  const skip = async (why: string) => {
    console.warn(`note: the http-server check of tests/http_cors_test.ts skipped: ${why}`);
    await Deno.remove(prefix, { recursive: true }).catch(() => {});
    return null;
  };
  try {
    const install = await new Deno.Command("npm", {
      args: [
        "install",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        "--prefix",
        prefix,
        "http-server@14.1.1",
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!install.success) {
      return await skip(`npm install failed: ${new TextDecoder().decode(install.stderr)}`);
    }
  } catch (e) {
    return await skip(`cannot run npm (${e})`);
  }
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const child = new Deno.Command("node", {
    args: [
      `${prefix}/node_modules/http-server/bin/http-server`,
      dir,
      "-a",
      "127.0.0.1",
      "-p",
      String(port),
      "--cors",
      "-s",
    ],
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
  let exited = false;
  const status = child.status.finally(() => exited = true);
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited) child.kill("SIGTERM");
    await status;
    await Deno.remove(prefix, { recursive: true }).catch(() => {});
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !exited) {
    try {
      const r = await fetch(`${origin}/`, { method: "HEAD" });
      await r.body?.cancel();
      return { origin, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await stop();
  return await skip("http-server did not start");
}

Deno.test({
  name: "openMrc(url) reads from `npx http-server --cors` as it comes, as another origin sees it",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mrcae-http-server-" });
    await Deno.writeFile(`${dir}/f.mrc`, bytes);
    const server = await httpServer(dir);
    if (!server) return;
    try {
      const raw = await fetch(`${server.origin}/f.mrc`, { headers: { Range: "bytes=0-0" } });
      await raw.body?.cancel();
      // What the README used to rely on is absent: nothing exposed, and .mrc as MARC records.
      assert.strictEqual(raw.status, 206);
      assert.strictEqual(raw.headers.get("access-control-expose-headers"), null);
      assert.strictEqual(raw.headers.get("access-control-allow-origin"), "*");
      assert.match(raw.headers.get("content-type") ?? "", /application\/marc/);
      const file = await openMrc(`${server.origin}/f.mrc`, { fetch: browserView() });
      await assertSameLevels(file);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a page decodes across origins in Chromium without Expose-Headers, from http-server too, and from a relative URL",
  ignore: !CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mrcae-cors-test-" });
    const stops: (() => Promise<void>)[] = [];
    let browser: Browser | null = null;
    try {
      const bundled = await new Deno.Command(Deno.execPath(), {
        args: [
          "bundle",
          "--quiet",
          "--platform",
          "browser",
          "-o",
          `${dir}/decode.js`,
          new URL("../decode.ts", import.meta.url).pathname,
        ],
        stderr: "piped",
      }).output();
      assert.ok(bundled.success, new TextDecoder().decode(bundled.stderr));
      const page = host({
        "/app/index.html": decodePage("../lib/decode.js"),
        "/lib/decode.js": await Deno.readTextFile(`${dir}/decode.js`),
        "/app/data/f.mrc": bytes,
      });
      const hiding = host({ "/f.mrc": bytes });
      const noHead = host({ "/f.mrc": bytes }, { head: false });
      const closed = host({ "/f.mrc": bytes }, { cors: false });
      stops.push(page.shutdown, hiding.shutdown, noHead.shutdown, closed.shutdown);
      await Deno.writeFile(`${dir}/f.mrc`, bytes);
      const httpServerHost = await httpServer(dir);
      if (httpServerHost) stops.push(httpServerHost.stop);
      browser = await Browser.launch();
      const load = (url: string) =>
        browser!.load(`${page.origin}/app/index.html?url=${encodeURIComponent(url)}`);
      const shape = `${local.header.shape.join("x")}`;

      // A relative URL, resolved against the page.
      const relative = await load("./data/f.mrc");
      assert.strictEqual(relative.state, "done", relative.error);
      assert.deepStrictEqual([relative.shape, relative.checksum], [shape, expected]);

      // Another origin that hides Content-Range: HEAD gives the size, no preflight.
      const cross = await load(hiding.url("/f.mrc"));
      assert.strictEqual(cross.state, "done", cross.error);
      assert.strictEqual(cross.checksum, expected);
      assert.deepStrictEqual(hiding.log.slice(0, 3), [head, "HEAD", tail]);
      assert.ok(!hiding.log.includes("OPTIONS"), hiding.log.join());

      // ... and where HEAD is refused, a suffix range after Chromium's preflight.
      const suffix = await load(noHead.url("/f.mrc"));
      assert.strictEqual(suffix.state, "done", suffix.error);
      assert.strictEqual(suffix.checksum, expected);
      assert.deepStrictEqual(noHead.log.slice(0, 4), [
        head,
        "HEAD",
        "OPTIONS",
        `GET bytes=-${DEFAULT_READ_AHEAD}`,
      ]);

      // No CORS at all: the error says what the server must send, not a bare "Failed to fetch".
      const refused = await load(closed.url("/f.mrc"));
      assert.strictEqual(refused.state, "error");
      assert.match(refused.error, /Failed to fetch/);
      assert.match(
        refused.error,
        new RegExp(
          `does not let ${page.origin} read ${closed.origin}: .*"Access-Control-Allow-Origin: ${page.origin}" \\(or "\\*"\\)`,
        ),
      );

      if (httpServerHost) {
        const fromHttpServer = await load(`${httpServerHost.origin}/f.mrc`);
        assert.strictEqual(fromHttpServer.state, "done", fromHttpServer.error);
        assert.strictEqual(fromHttpServer.checksum, expected);
      }
    } finally {
      await browser?.close();
      for (const stop of stops) await stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test("openMrc(relative string) in Deno is a path, also where Deno has a location", async () => {
  const dir = new URL("./testdata/", import.meta.url).pathname;
  const decode = new URL("../decode.ts", import.meta.url).href;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--location",
      "http://127.0.0.1:9/app/",
      `const { openMrc } = await import(${JSON.stringify(decode)});
      const file = await openMrc("./v1.2-bounded.mrc");
      console.log(file.totalBytes);`,
    ],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  assert.ok(out.success, text.decode(out.stderr));
  const want = (await Deno.stat(`${dir}/v1.2-bounded.mrc`)).size;
  assert.strictEqual(text.decode(out.stdout).trim(), String(want));
});

Deno.test("openMrc(url) refuses a host that hides Content-Range and lies about the size in HEAD", async () => {
  let claim = "";
  let sent = 0;
  // Deno.serve sets a HEAD answer's Content-Length itself: a fetch that lies instead.
  const fetch = (_: string | URL | Request, init?: RequestInit) => {
    if (init?.method === "HEAD") {
      return Promise.resolve(new Response(null, { headers: { "Content-Length": claim } }));
    }
    const m = /^bytes=(\d*)-(\d+)$/.exec(new Headers(init?.headers).get("range") ?? "")!;
    // Whatever was asked, the first bytes of the file: only the CRCs can tell.
    const body = bytes.slice(0, m[1] === "" ? Number(m[2]) : Number(m[2]) - Number(m[1]) + 1);
    sent += body.length;
    return Promise.resolve(new Response(body, { status: 206 }));
  };
  const url = "http://liar.example/f.mrc";
  claim = "99999999999999999999";
  await assert.rejects(
    openMrc(url, { fetch }),
    /a size of 99999999999999999999 bytes \(Content-Length of HEAD\), above 2\^53/,
  );
  claim = "100";
  await assert.rejects(
    openMrc(url, { fetch }),
    /HEAD \(Content-Length 100, below the 16384 bytes already read\); a suffix range \(they do not say the file's size\)/,
  );
  claim = String(2 ** 40);
  sent = 0;
  await assert.rejects(
    openMrc(url, { fetch }),
    (e) => e instanceof Error && e.name === "MrcFormatError",
  );
  assert.ok(sent <= 2 * DEFAULT_READ_AHEAD, `${sent} bytes read`);
});
