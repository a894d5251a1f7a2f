// The viewer in a real headless Chromium, driven over the DevTools protocol: progressive drawing,
// the decoded values against Deno's, the bytes level 0 costs, CORS across origins (only for the
// origins a server allows), stream mode's bytes, and on a map with ascending latitude: north up,
// one colour per value at every level, the level that covers the canvas, zoom, the hover readout.
// Skips with a note when no Chromium is installed (`.ci/run` installs Debian's `chromium`).
import assert from "node:assert";
import { openMrc } from "../decode.ts";
import { DEFAULT_READ_AHEAD } from "../src/read/_read_ahead.ts";
import { levelRanges } from "../src/read/level_ranges.ts";
import { buildWeb } from "../web/build.ts";
import { valuesChecksum } from "../web/_checksum.ts";
import { fileHandler, type FileHandlerOptions } from "../web/serve.ts";
import { testFile } from "../bench/_field.ts";
import { Browser, findChromium, type Page } from "../web/screenshot.ts";
import { compress } from "../mod.ts";
import { paint } from "../src/io/colormap.ts";
import { valueRange } from "../src/read/value_range.ts";

const CHROMIUM = findChromium();
if (!CHROMIUM) {
  console.warn("note: tests/web_test.ts skipped: no chromium installed (apt-get install chromium)");
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
    let browser: Browser | null = null;
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
      // Level 0 of every snapshot: the colour range needs it (valueRange()).
      const level0Share = sum(levelRanges(file, { level: 0 }));
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

      browser = await Browser.launch({ size: [1200, 720] });

      /** Opens the viewer on `fileUrl` and waits until it is done or failed. */
      const view = async (fileUrl: string, extra = "") => {
        const url = `${page.origin}/viewer/?url=${
          encodeURIComponent(fileUrl)
        }&snapshot=${snapshot}${extra}`;
        const opened = await browser!.open(url);
        await browser!.waitDone(opened, 15_000);
        const data = JSON.parse(
          await browser!.evaluate<string>(
            opened,
            "JSON.stringify(document.getElementById('status').dataset)",
          ),
        );
        return { data, sessionId: opened.sessionId, targetId: opened.targetId };
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
      const shot = await browser.capture(same as Page);
      await Deno.writeFile(Deno.env.get("MRCAE_SCREENSHOT") ?? `${dir}/viewer.png`, shot);
      // Controls only where they mean something: a slider for 24 snapshots, no masks (bounded).
      const hidden = await browser.evaluate<boolean[]>(
        same as Page,
        "['.snapshot-control', '.masks-control'].map((s) => document.querySelector(s).hidden)",
      );
      assert.deepStrictEqual(hidden, [false, true]);
      // No coordinates in this file: the snapshot's place, axes in indices, row 0 at the top.
      const labels = await browser.evaluate<string[]>(
        same as Page,
        "[document.getElementById('time').textContent, document.getElementById('status').dataset.northUp]",
      );
      assert.deepStrictEqual(labels, ["snapshot 11 of 24", "false"]);

      await browser.cdp.send("Target.closeTarget", { targetId: same.targetId });
      // Stream mode: the whole file front to back through decodeStream, every level in order.
      const streamed = await view("/f.mrc", "&mode=stream");
      assert.strictEqual(streamed.data.state, "done", streamed.data.error);
      const streamedLevels: { level: number; checksum: string }[] = JSON.parse(streamed.data.drawn);
      assert.deepStrictEqual(streamedLevels.map((d) => d.level), [...Array(finest + 1).keys()]);
      assert.strictEqual(streamedLevels.at(-1)!.checksum, expected);
      // One request, each byte of the file counted once.
      assert.strictEqual(Number(streamed.data.bytes), bytes.length);
      assert.strictEqual(Number(streamed.data.requests), 1);

      // Another origin that sends the documented headers.
      const cross = await view(`${other.origin}/f.mrc`);
      assert.strictEqual(cross.data.state, "done", cross.data.error);
      assert.strictEqual(cross.data.checksum, expected);

      // Another origin that does not expose Content-Range: the size from HEAD's Content-Length.
      const unexposed = await view(`${noExpose.origin}/f.mrc`);
      assert.strictEqual(unexposed.data.state, "done", unexposed.data.error);
      assert.strictEqual(unexposed.data.checksum, expected);

      // Another origin that allows no other origin: the page reads nothing.
      const refused = await view(`${closed.origin}/f.mrc`);
      assert.strictEqual(refused.data.state, "error");
      assert.strictEqual(refused.data.checksum, undefined);
    } finally {
      await browser?.close();
      for (const s of servers) await s.shutdown();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

/** A 513 x 1025 map (one snapshot) with ascending latitude, warmer to the north. */
async function mapFile(): Promise<Uint8Array> {
  const [H, W] = [513, 1025];
  const lat = Array.from({ length: H }, (_, i) => -90 + 180 * i / (H - 1));
  const lon = Array.from({ length: W }, (_, j) => 360 * j / W);
  const data = new Float32Array(H * W);
  let seed = 7;
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      data[i * W + j] = lat[i] / 3 + 4 * Math.sin(lon[j] * Math.PI / 45) * Math.cos(lat[i] / 30) +
        0.2 * (seed / 2 ** 32);
    }
  }
  const units = (value: string) => ({ units: { type: "char" as const, value } });
  return await compress(data, [H, W], {
    errorBound: 0.01,
    levels: 6,
    attributes: {
      variable: { name: "t", type: "float", attributes: units("K") },
      dimensions: [
        { name: "lat", size: H, values: lat, type: "double", attributes: units("degrees_north") },
        { name: "lon", size: W, values: lon, type: "double", attributes: units("degrees_east") },
      ],
      selected: [],
      global: {},
      source: {},
    },
  });
}

/** 3 x 33 x 65 with a time axis in days since 2001-01-01 of the noleap calendar. */
async function monthlyFile(): Promise<Uint8Array> {
  const [T, H, W] = [3, 33, 65];
  const text = (value: string) => ({ type: "char" as const, value });
  const data = new Float32Array(T * H * W).map((_, i) => Math.sin(i / 17));
  return await compress(data, [T, H, W], {
    errorBound: 0.01,
    levels: 3,
    attributes: {
      variable: { name: "v", type: "float", attributes: {} },
      dimensions: [
        {
          name: "time",
          size: T,
          values: [0, 31, 59],
          type: "double",
          attributes: { units: text("days since 2001-01-01"), calendar: text("noleap") },
        },
        { name: "y", size: H, values: null, type: "double", attributes: {} },
        { name: "x", size: W, values: null, type: "double", attributes: {} },
      ],
      selected: [],
      global: {},
      source: {},
    },
  });
}

Deno.test({
  name:
    "viewer on a map with ascending latitude: north at the top, one colour per value at every level, the level that covers a 512-px canvas, finer on zoom, the hover readout, the date of a time axis",
  ignore: !CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mrcae-web-test-" });
    let browser: Browser | null = null;
    let server: Deno.HttpServer | null = null;
    try {
      const [bytes] = await Promise.all([mapFile(), buildWeb(`${dir}/dist`, { viewerOnly: true })]);
      const file = await openMrc(bytes, { cacheBytes: 0 });
      const range = await valueRange(file);
      const files: Record<string, string | Uint8Array> = {
        "/map.mrc": bytes,
        "/monthly.mrc": await monthlyFile(),
      };
      for (const name of ["index.html", "viewer.js", "worker.js"]) {
        files[`/viewer/${name}`] = `${dir}/dist/viewer/${name}`;
      }
      const served = serve({ files });
      server = served.server;
      browser = await Browser.launch({ size: [1200, 800] });
      // One page at a time: a page left open in the background may not be drawn.
      let last: Page | null = null;
      const open = async (extra: string, path = "/map.mrc") => {
        if (last) await browser!.cdp.send("Target.closeTarget", { targetId: last.targetId });
        const page: Page = last = await browser!.open(
          `${served.origin}/viewer/?url=${path}${extra}`,
          [1200, 800],
        );
        assert.strictEqual(await browser!.waitDone(page, 30_000), "done");
        const data = JSON.parse(
          await browser!.evaluate<string>(
            page,
            "JSON.stringify(document.getElementById('status').dataset)",
          ),
        );
        return { page, data };
      };
      /** Rows `rows` of the field canvas, RGBA. */
      const pixels = async (page: Page, rows: number[]) =>
        await browser!.evaluate<{ width: number; height: number; rows: number[][] }>(
          page,
          `(() => { const c = document.getElementById('canvas'); const g = c.getContext('2d');
            return { width: c.width, height: c.height, rows: ${JSON.stringify(rows)}.map((r) =>
              Array.from(g.getImageData(0, r < 0 ? c.height + r : r, c.width, 1).data)) }; })()`,
        );
      const rangeOf = (data: Record<string, string>) => JSON.parse(data.range) as [number, number];

      // The 512 x 256 canvas (device pixel ratio 1) is covered by level 4, 256 x 512: level 5,
      // 513 x 1025, is neither decoded nor fetched.
      const auto = await open("");
      const drawn = JSON.parse(auto.data.drawn) as { level: number }[];
      assert.deepStrictEqual(drawn.map((d) => d.level), [0, 1, 2, 3, 4]);
      assert.strictEqual(auto.data.target, "4");
      // Past the open's two requests (its first and last 16 KiB).
      const log = (JSON.parse(auto.data.log) as { offset: number; length: number }[]).slice(2);
      const level5 = levelRanges(file, { level: 5 }).filter((c) =>
        !levelRanges(file, { level: 4 }).some((d) => d.offset === c.offset)
      );
      for (const c of level5) {
        assert.ok(
          !log.some((r) => r.offset < c.offset + c.length && c.offset < r.offset + r.length),
          `a chunk of level 5 was fetched (${c.offset}+${c.length})`,
        );
      }
      // North up: the canvas's top row is the northernmost row of level 4, its bottom row the
      // southernmost, each pixel the colour of the value it shows with the file's range.
      assert.deepStrictEqual(rangeOf(auto.data), [range.min, range.max]);
      const level4 = await file.decode({ level: 4 });
      const [, h4, w4] = level4.shape;
      const shot = await pixels(auto.page, [0, -1]);
      assert.strictEqual(shot.width, 512);
      assert.strictEqual(shot.height, 256);
      const colourAt = (
        data: Float32Array,
        w: number,
        i: number,
        j: number,
      ) => [...paint(data.subarray(i * w + j, i * w + j + 1), [range.min, range.max])];
      for (const [k, i] of [[0, h4 - 1], [1, 0]]) {
        for (let j = 0; j < w4; j += 37) {
          const x = Math.floor((j + 0.5) * shot.width / w4);
          assert.deepStrictEqual(
            shot.rows[k].slice(4 * x, 4 * x + 4),
            colourAt(level4.data, w4, i, j),
            `canvas row ${k === 0 ? "top" : "bottom"}, column ${j}: level 4's row ${i}`,
          );
        }
      }
      // The hover readout names the value, the coordinates and the bound under the pointer.
      const rect = await browser.evaluate<{ x: number; y: number }>(
        auto.page,
        "(() => { const r = document.getElementById('canvas').getBoundingClientRect(); return { x: r.left, y: r.top }; })()",
      );
      await browser.cdp.send("Input.dispatchMouseEvent", {
        type: "mouseMoved",
        x: rect.x + 100.5,
        y: rect.y + 0.5,
      }, auto.page.sessionId);
      const readout = JSON.parse(
        await browser.evaluate<string>(
          auto.page,
          "document.getElementById('status').dataset.readout",
        ),
      );
      const j = Math.floor(100.5 * w4 / 512);
      assert.deepStrictEqual([readout.row, readout.col], [h4 - 1, j]);
      assert.strictEqual(readout.value, level4.data[(h4 - 1) * w4 + j]);
      const lat = (await file.coordinates(4)).y.values[h4 - 1].toPrecision(6);
      assert.match(
        readout.text,
        new RegExp(`at lat ${Number(lat)} degrees_north, lon [\\d.]+ degrees_east`),
      );
      assert.match(readout.text, /level 4 \(256x512\) within ±0\.01(?![0-9])/);

      // A single 2-D field: no snapshot slider, no masks, no time label.
      const hidden = await browser.evaluate<boolean[]>(
        auto.page,
        "['.snapshot-control', '.masks-control'].map((s) => document.querySelector(s).hidden)",
      );
      assert.deepStrictEqual(hidden, [true, true]);
      await Deno.writeFile(`${dir}/map.png`, await browser.capture(auto.page));
      if (Deno.env.get("MRCAE_MAP_SCREENSHOT")) {
        await Deno.copyFile(`${dir}/map.png`, Deno.env.get("MRCAE_MAP_SCREENSHOT")!);
      }
      // A time axis in days of a noleap calendar: the snapshot's date above the map; a slider.
      const monthly = await open("&snapshot=2", "/monthly.mrc");
      const shown = await browser.evaluate<[string, boolean]>(
        monthly.page,
        "[document.getElementById('time').textContent, document.querySelector('.snapshot-control').hidden]",
      );
      assert.deepStrictEqual(shown, ["time 2001-03-01 (snapshot 3 of 3)", false]);
      // One colour range for every level: level 0 alone is drawn with the same range, so a value
      // has the same colour at level 0 as at level 4.
      const coarse = await open("&level=0");
      assert.deepStrictEqual(rangeOf(coarse.data), rangeOf(auto.data));
      const level0 = await file.decode({ level: 0 });
      const [, h0, w0] = level0.shape;
      const top0 = await pixels(coarse.page, [0]);
      for (let j = 0; j < w0; j++) {
        const x = Math.floor((j + 0.5) * top0.width / w0);
        assert.deepStrictEqual(
          top0.rows[0].slice(4 * x, 4 * x + 4),
          colourAt(level0.data, w0, h0 - 1, j),
        );
      }
      // &vmin= and &vmax= set the range.
      const fixed = await open("&vmin=-10&vmax=40");
      assert.deepStrictEqual(rangeOf(fixed.data), [-10, 40]);

      // Zoomed twice, level 5 covers the canvas: it is fetched and drawn.
      const zoomed = await open("&zoom=2");
      assert.strictEqual(zoomed.data.target, "5");
      assert.strictEqual(zoomed.data.level, "5");
    } finally {
      await browser?.close();
      await server?.shutdown();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
