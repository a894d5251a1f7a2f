// The viewer in a real headless Chromium, driven over the DevTools protocol: progressive drawing,
// the decoded values against Deno's, the bytes level 0 costs, and CORS across origins (only for the
// origins a server allows). Skips with
// a note when no Chromium is installed (`.ci/run` installs Debian's `chromium`).
import assert from "node:assert";
import { openMrc } from "../decode.ts";
import { DEFAULT_READ_AHEAD } from "../src/read/_read_ahead.ts";
import { levelRanges } from "../src/read/level_ranges.ts";
import { buildWeb } from "../web/build.ts";
import { valuesChecksum } from "../web/_checksum.ts";
import { fileHandler, type FileHandlerOptions } from "../web/serve.ts";
import { testFile } from "../bench/_field.ts";

const CHROMIUM = ["chromium", "chromium-browser", "google-chrome"].find((name) => {
  try {
    return new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
});
if (!CHROMIUM) {
  console.warn("note: tests/web_test.ts skipped: no chromium installed (apt-get install chromium)");
}

/** A DevTools protocol session over the browser's WebSocket. */
class Cdp {
  #ws: WebSocket;
  #next = 0;
  #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      const w = this.#waiting.get(m.id);
      if (!w) return;
      this.#waiting.delete(m.id);
      if (m.error) w.reject(new Error(JSON.stringify(m.error)));
      else w.resolve(m.result);
    };
  }
  static async connect(url: string): Promise<Cdp> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return new Cdp(ws);
  }
  // deno-lint-ignore no-explicit-any
  send(method: string, params: unknown = {}, sessionId?: string): Promise<any> {
    const id = ++this.#next;
    this.#ws.send(JSON.stringify({ id, method, params, sessionId }));
    return new Promise((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
  }
  close(): void {
    this.#ws.close();
  }
}

/** Serves `options` on a free port of 127.0.0.1; `Host` must name that port, as `view`'s does. */
function serve(options: FileHandlerOptions): { server: Deno.HttpServer; origin: string } {
  let handler = (_: Request) => Promise.resolve(new Response(null, { status: 503 }));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => handler(request),
  );
  handler = fileHandler({ ...options, port: server.addr.port });
  return { server, origin: `http://127.0.0.1:${server.addr.port}` };
}

Deno.test({
  name:
    "viewer draws level 0 first, then the finest level exactly as Deno decodes it, across origins",
  ignore: !CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mrcae-web-test-" });
    const servers: Deno.HttpServer[] = [];
    let browser: Deno.ChildProcess | null = null;
    let cdp: Cdp | null = null;
    try {
      const [bytes] = await Promise.all([
        testFile(),
        buildWeb(`${dir}/dist`, { viewerOnly: true }),
      ]);
      // No coder cache: levelRanges() below must list every chunk of a level, decoded or not.
      const file = await openMrc(bytes, { cacheBytes: 0 });
      const snapshot = 10, finest = file.levelCount - 1;
      const snapshots: [number, number] = [snapshot, snapshot + 1];
      const expected = valuesChecksum((await file.decode({ level: finest, snapshots })).data);
      const sum = (r: { length: number }[]) => r.reduce((a, x) => a + x.length, 0);
      const level0Share = sum(levelRanges(file, { level: 0, snapshots }));
      // The first request brings the first DEFAULT_READ_AHEAD bytes, one more the last.
      const openCost = Math.min(bytes.length, 2 * DEFAULT_READ_AHEAD);

      const files: Record<string, string | Uint8Array> = { "/f.mrc": bytes };
      for (const name of ["index.html", "viewer.js", "worker.js"]) {
        files[`/viewer/${name}`] = `${dir}/dist/viewer/${name}`;
      }
      // Every answer waits 100 ms: each round trip is visible in the timings.
      const page = serve({ files, delayMs: 100 });
      // The other origins let exactly the page's origin read across origins; `closed` lets none.
      const allowOrigins = [page.origin];
      const other = serve({ files: { "/f.mrc": bytes }, delayMs: 100, allowOrigins });
      const noExpose = serve({ files: { "/f.mrc": bytes }, cors: "no-expose", allowOrigins });
      const closed = serve({ files: { "/f.mrc": bytes } });
      servers.push(page.server, other.server, noExpose.server, closed.server);

      browser = new Deno.Command(CHROMIUM!, {
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--remote-debugging-port=0",
          `--user-data-dir=${dir}/profile`,
          "--window-size=1200,720",
          "about:blank",
        ],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const stderr = browser.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      let wsUrl: string | undefined;
      while (!wsUrl) {
        const { value, done } = await stderr.read();
        if (done) throw new Error(`chromium exited: ${text}`);
        text += value;
        wsUrl = /DevTools listening on (ws:\S+)/.exec(text)?.[1];
      }
      stderr.releaseLock();
      browser.stderr.cancel().catch(() => {});
      cdp = await Cdp.connect(wsUrl);

      /** Opens the viewer on `fileUrl` and waits until it is done or failed. */
      const view = async (fileUrl: string, extra = "") => {
        const url = `${page.origin}/viewer/?url=${
          encodeURIComponent(fileUrl)
        }&snapshot=${snapshot}${extra}`;
        const { targetId } = await cdp!.send("Target.createTarget", { url });
        const { sessionId } = await cdp!.send("Target.attachToTarget", { targetId, flatten: true });
        const deadline = Date.now() + 15_000;
        for (;;) {
          const { result } = await cdp!.send("Runtime.evaluate", {
            expression: "JSON.stringify(document.getElementById('status')?.dataset ?? {})",
            returnByValue: true,
          }, sessionId);
          const data = JSON.parse(result.value ?? "{}");
          if (data.state === "done" || data.state === "error") {
            return { data, sessionId, targetId };
          }
          if (Date.now() > deadline) throw new Error(`the viewer did not finish: ${result.value}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };

      // Same origin.
      const same = await view("/f.mrc");
      assert.strictEqual(same.data.state, "done", same.data.error);
      const drawn: {
        level: number;
        ms: number;
        bytes: number;
        checksum: string;
        log?: { offset: number; length: number }[];
      }[] = JSON.parse(same.data.drawn);
      assert.deepStrictEqual(drawn.map((d) => d.level), [...Array(finest + 1).keys()]);
      const [first, last] = [drawn[0], drawn[drawn.length - 1]];
      assert.strictEqual(last.checksum, expected, "the finest level differs from Deno's decode");
      // Level 0 was drawn while chunks of the finest level had not been fetched yet, and at least
      // one more (100 ms) round trip before the finest level.
      const fetched = first.log!;
      const covered = (c: { offset: number; length: number }) =>
        fetched.some((r) => r.offset <= c.offset && c.offset + c.length <= r.offset + r.length);
      assert.ok(
        !levelRanges(file, { level: finest, snapshots }).every(covered),
        "every byte of the finest level had arrived when level 0 was drawn",
      );
      assert.ok(last.ms - first.ms >= 90, `finest drawn ${last.ms - first.ms} ms after level 0`);
      // Level 0 cost: its share of the file plus the open cost (+ the gaps the cache may merge).
      assert.ok(
        first.bytes <= openCost + level0Share + 4096 * fetched.length,
        `level 0 fetched ${first.bytes} bytes; share ${level0Share}, open ${openCost}`,
      );
      assert.ok(
        first.bytes < bytes.length / 4,
        `level 0 fetched ${first.bytes} of ${bytes.length}`,
      );
      const shot = await cdp.send("Page.captureScreenshot", { format: "png" }, same.sessionId);
      const shotPath = Deno.env.get("MRCAE_SCREENSHOT") ?? `${dir}/viewer.png`;
      await Deno.writeFile(shotPath, Uint8Array.from(atob(shot.data), (c) => c.charCodeAt(0)));

      // Stream mode: the whole file front to back through decodeStream, every level in order.
      const streamed = await view("/f.mrc", "&mode=stream");
      assert.strictEqual(streamed.data.state, "done", streamed.data.error);
      const streamedLevels: { level: number; checksum: string }[] = JSON.parse(streamed.data.drawn);
      assert.deepStrictEqual(streamedLevels.map((d) => d.level), [...Array(finest + 1).keys()]);
      assert.strictEqual(streamedLevels.at(-1)!.checksum, expected);

      // Another origin that sends the documented headers.
      const cross = await view(`${other.origin}/f.mrc`);
      assert.strictEqual(cross.data.state, "done", cross.data.error);
      assert.strictEqual(cross.data.checksum, expected);

      // Another origin that does not expose Content-Range: the size from HEAD's Content-Length.
      const hidden = await view(`${noExpose.origin}/f.mrc`);
      assert.strictEqual(hidden.data.state, "done", hidden.data.error);
      assert.strictEqual(hidden.data.checksum, expected);

      // Another origin that allows no other origin: the page reads nothing.
      const refused = await view(`${closed.origin}/f.mrc`);
      assert.strictEqual(refused.data.state, "error");
      assert.strictEqual(refused.data.checksum, undefined);
    } finally {
      cdp?.close();
      if (browser) {
        browser.kill("SIGKILL");
        await browser.status;
      }
      for (const s of servers) await s.shutdown();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
