/**
 * A screenshot of a page once it says it is drawn: headless Chromium over the DevTools protocol,
 * waiting for `<body data-state="done">` (what the viewer sets when the current view is drawn)
 * before it captures. A plain `chromium --headless --screenshot` fires on the page's `load`
 * event, before the viewer's worker has drawn anything, and shows an empty canvas.
 *
 * ```sh
 * deno run -A web/screenshot.ts "http://127.0.0.1:8080/viewer/?url=/data/f.mrc" viewer.png
 * deno run -A web/screenshot.ts URL out.png --size 1400x800 --timeout 60
 * ```
 *
 * `tests/web_test.ts` drives the viewer with the same {@linkcode Browser}.
 *
 * @module
 */

/** Chromium's command on this machine, or null. */
export function findChromium(): string | null {
  for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
    try {
      const ok = new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" })
        .outputSync().success;
      if (ok) return name;
    } catch {
      // not installed
    }
  }
  return null;
}

/** A DevTools protocol session over the browser's WebSocket. */
export class Cdp {
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
  /** Connects to a browser's `ws://` DevTools address. */
  static async connect(url: string): Promise<Cdp> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return new Cdp(ws);
  }
  /** Sends one command (to a page's session when `sessionId` is given) and waits for its result. */
  // deno-lint-ignore no-explicit-any
  send(method: string, params: unknown = {}, sessionId?: string): Promise<any> {
    const id = ++this.#next;
    this.#ws.send(JSON.stringify({ id, method, params, sessionId }));
    return new Promise((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
  }
  /** Closes the connection. */
  close(): void {
    this.#ws.close();
  }
}

/** A page opened by {@linkcode Browser.open}. */
export interface Page {
  /** Its DevTools session. */
  sessionId: string;
  /** Its target (for `Target.closeTarget`). */
  targetId: string;
}

/** A headless Chromium with a DevTools connection, in a profile folder of its own. */
export class Browser {
  private constructor(
    readonly cdp: Cdp,
    readonly process: Deno.ChildProcess,
    readonly profile: string,
  ) {}

  /**
   * Starts Chromium headless.
   *
   * @param options `chromium` (default: the first found), window `size` `[width, height]`.
   * @returns The browser.
   * @throws {Error} When no Chromium is installed or it exits before listening.
   */
  static async launch(
    options: { chromium?: string; size?: [number, number] } = {},
  ): Promise<Browser> {
    const chromium = options.chromium ?? findChromium();
    if (!chromium) throw new Error("Cannot take a screenshot: no chromium installed");
    const [width, height] = options.size ?? [1200, 720];
    const profile = await Deno.makeTempDir({ prefix: "mrcae-chromium-" });
    const process = new Deno.Command(chromium, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--remote-debugging-port=0",
        `--user-data-dir=${profile}`,
        `--window-size=${width},${height}`,
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
      if (done) throw new Error(`Cannot start chromium: ${text.trim()}`);
      text += value;
      wsUrl = /DevTools listening on (ws:\S+)/.exec(text)?.[1];
    }
    stderr.releaseLock();
    process.stderr.cancel().catch(() => {});
    return new Browser(await Cdp.connect(wsUrl), process, profile);
  }

  /** Opens `url` in a new page. */
  async open(url: string, size?: [number, number]): Promise<Page> {
    const { targetId } = await this.cdp.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.cdp.send("Target.attachToTarget", { targetId, flatten: true });
    if (size) {
      await this.cdp.send("Emulation.setDeviceMetricsOverride", {
        width: size[0],
        height: size[1],
        deviceScaleFactor: 1,
        mobile: false,
      }, sessionId);
    }
    await this.cdp.send("Page.navigate", { url }, sessionId);
    return { sessionId, targetId };
  }

  /** Evaluates `expression` in the page and returns its value (JSON-able). */
  async evaluate<T = unknown>(page: Page, expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.cdp.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    }, page.sessionId);
    if (exceptionDetails) throw new Error(`In the page: ${JSON.stringify(exceptionDetails)}`);
    return result.value as T;
  }

  /**
   * Waits until `<body>` has `data-state` `"done"` or `"error"`, polling every 50 ms.
   *
   * @returns The state reached.
   * @throws {Error} After `timeoutMs` (default 30 s), with the state then.
   */
  async waitDone(page: Page, timeoutMs = 30_000): Promise<"done" | "error"> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await this.evaluate<string | null>(
        page,
        "document.body?.dataset.state ?? null",
      ).catch(() => null);
      if (state === "done" || state === "error") return state;
      if (Date.now() > deadline) {
        const where = await this.evaluate<string>(page, "location.href").catch(() => "?");
        throw new Error(
          `The page did not finish in ${timeoutMs} ms (data-state "${state}", at ${where})`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** A PNG of the page as it is now. */
  async capture(page: Page): Promise<Uint8Array> {
    const shot = await this.cdp.send("Page.captureScreenshot", { format: "png" }, page.sessionId);
    return Uint8Array.from(atob(shot.data), (c) => c.charCodeAt(0));
  }

  /** Ends the browser and removes its profile. */
  async close(): Promise<void> {
    this.cdp.close();
    try {
      this.process.kill("SIGKILL");
    } catch {
      // exited
    }
    await this.process.status;
    await Deno.remove(this.profile, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const args = [...Deno.args];
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : args.splice(i, 2)[1];
  };
  const size = (option("--size") ?? "1200x720").split("x").map(Number) as [number, number];
  const timeout = Number(option("--timeout") ?? 30);
  if (args.length !== 2 || !size.every((v) => Number.isInteger(v) && v > 0)) {
    console.error("Usage: web/screenshot.ts URL OUT.png [--size WxH] [--timeout SECONDS]");
    Deno.exit(2);
  }
  const browser = await Browser.launch({ size });
  try {
    const page = await browser.open(args[0], size);
    const state = await browser.waitDone(page, timeout * 1000);
    await Deno.writeFile(args[1], await browser.capture(page));
    console.log(`${args[1]}: ${state === "done" ? "drawn" : "the page reported an error"}`);
    if (state === "error") Deno.exitCode = 1;
  } finally {
    await browser.close();
  }
}
