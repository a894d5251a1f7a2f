/**
 * Headless Chromium for the tests that load a page as a person would: started once, driven over
 * the DevTools protocol, each page read back once it sets `data-state` on `<html>` to `"done"` or
 * `"error"`. `CHROMIUM` is null where no Chromium is installed (`.ci/run` installs Debian's).
 *
 * @module
 */

/** The Chromium binary found on the PATH, or null. */
export const CHROMIUM: string | null = ["chromium", "chromium-browser", "google-chrome"].find(
  (name) => {
    try {
      return new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" })
        .outputSync().success;
    } catch {
      return false;
    }
  },
) ?? null;

/** What a page left in `document.documentElement.dataset` when it was done. */
export type PageData = Record<string, string>;

/** A running headless Chromium. */
export class Browser {
  #process: Deno.ChildProcess;
  #ws: WebSocket;
  #next = 0;
  #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #dir: string;

  private constructor(process: Deno.ChildProcess, ws: WebSocket, dir: string) {
    this.#process = process;
    this.#ws = ws;
    this.#dir = dir;
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      const w = this.#waiting.get(m.id);
      if (!w) return;
      this.#waiting.delete(m.id);
      if (m.error) w.reject(new Error(JSON.stringify(m.error)));
      else w.resolve(m.result);
    };
  }

  /** Starts Chromium with a fresh profile. */
  static async launch(): Promise<Browser> {
    if (!CHROMIUM) throw new Error("no chromium installed");
    const dir = await Deno.makeTempDir({ prefix: "mrcae-chromium-" });
    const process = new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--remote-debugging-port=0",
        `--user-data-dir=${dir}`,
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const stderr = process.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    let wsUrl: string | undefined;
    while (!wsUrl) {
      const { value, done } = await stderr.read();
      if (done) throw new Error(`chromium exited: ${text}`);
      text += value;
      wsUrl = /DevTools listening on (ws:\S+)/.exec(text)?.[1];
    }
    stderr.releaseLock();
    process.stderr.cancel().catch(() => {});
    const ws = new WebSocket(wsUrl);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return new Browser(process, ws, dir);
  }

  // deno-lint-ignore no-explicit-any
  #send(method: string, params: unknown = {}, sessionId?: string): Promise<any> {
    const id = ++this.#next;
    this.#ws.send(JSON.stringify({ id, method, params, sessionId }));
    return new Promise((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
  }

  /**
   * Opens `url` in a new tab and waits (at most `timeoutMs`) until the page sets `data-state`
   * on `<html>` to `"done"` or `"error"`; returns the element's `dataset` and closes the tab.
   */
  async load(url: string, timeoutMs = 30_000): Promise<PageData> {
    const { targetId } = await this.#send("Target.createTarget", { url });
    const { sessionId } = await this.#send("Target.attachToTarget", { targetId, flatten: true });
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { result } = await this.#send("Runtime.evaluate", {
          expression: "JSON.stringify(document.documentElement?.dataset ?? {})",
          returnByValue: true,
        }, sessionId);
        const data: PageData = JSON.parse(result.value ?? "{}");
        if (data.state === "done" || data.state === "error") return data;
        if (Date.now() > deadline) throw new Error(`${url} did not finish: ${result.value}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await this.#send("Target.closeTarget", { targetId }).catch(() => {});
    }
  }

  /** Ends Chromium and removes its profile. */
  async close(): Promise<void> {
    this.#ws.close();
    this.#process.kill("SIGKILL");
    await this.#process.status;
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}

/**
 * The script of a test page: imports `openMrc` from `moduleUrl`, opens the file named by the
 * page's `?url=` (as given: relative URLs stay relative), decodes its finest level and writes
 * into `<html>`'s dataset `state` ("done" or "error"), `shape`, `checksum` (FNV-1a of the float32
 * bytes, as `valuesChecksum()` of `web/_checksum.ts`), `units` and `error`.
 */
export function decodePage(moduleUrl: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>decode</title></head><body>
<script type="module">
const out = document.documentElement.dataset;
try {
  const { openMrc } = await import(${JSON.stringify(moduleUrl)});
  const file = await openMrc(new URLSearchParams(location.search).get("url"));
  const level = await file.decode({ level: file.levelCount - 1 });
  const bytes = new Uint8Array(level.data.buffer, level.data.byteOffset, level.data.byteLength);
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  out.shape = level.shape.join("x");
  out.checksum = (hash >>> 0).toString(16).padStart(8, "0");
  out.units = String(file.units);
  out.state = "done";
} catch (e) {
  out.error = e instanceof Error ? e.message : String(e);
  out.state = "error";
}
</script></body></html>`;
}
