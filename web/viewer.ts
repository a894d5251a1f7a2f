/// <reference lib="dom" />
// This module is browser compatible.
/**
 * The viewer page's script: asks the decoding worker for the levels the view needs and draws each
 * one as it arrives, north up when the file's Y coordinate increases, with axes in coordinate
 * values, the snapshot's date, one colour range for every level and a hover readout.
 *
 * URL parameters: `?url=` (the file; relative URLs resolve against the page), `&snapshot=`,
 * `&level=` (a level, or `auto`, the default: the coarsest level whose grid covers the canvas at
 * device-pixel resolution, finer on zoom), `&zoom=` (1 = the whole field), `&vmin=`, `&vmax=`
 * (the colour range; default the file's, `valueRange()`), `&mode=stream` (reads the whole file
 * front to back with `decodeStream` instead of range reads of the chosen snapshot), `&var=` and
 * `&layer=` (a file of several variables: the variable, and the layer of a variable of layers).
 *
 * When the current view is drawn, `<body>` gets `data-state="done"` (`"error"` on a failure); a
 * screenshot taken then shows it. For tests, `#status` carries `data-*` attributes: the snapshot
 * and level last drawn, its checksum, the level the view needs, the colour range, and a JSON log
 * of every level drawn with the bytes fetched at that moment.
 *
 * @module
 */

import { colorAt, paint } from "../src/io/colormap.ts";
import { formatBytes } from "../src/units.ts";
import { niceTicks } from "../src/read/coordinates.ts";
import type {
  FromWorker,
  LevelAxes,
  LevelSummary,
  TimeSummary,
  ToWorker,
  Traffic,
} from "./_protocol.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const canvas = $<HTMLCanvasElement>("canvas");
const overlay = $<HTMLCanvasElement>("overlay");
const axesCanvas = $<HTMLCanvasElement>("axes");
const snapshotInput = $<HTMLInputElement>("snapshot");
const levelSelect = $<HTMLSelectElement>("level");
const masksBox = $<HTMLInputElement>("masks");
const status = $<HTMLOutputElement>("status");
/** The longer side of the field on the page, CSS pixels. */
const DISPLAY = 512;
/** Margins of the axes around the field, CSS pixels. */
const MARGIN = { left: 64, right: 16, top: 8, bottom: 44 };
const MAX_ZOOM = 256;

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const send = (message: ToWorker) => worker.postMessage(message);

type LevelMessage = Extract<FromWorker, { type: "level" }>;
type Opened = Extract<FromWorker, { type: "opened" }>;

let info: Opened | null = null;
let levels: LevelSummary[] = [];
let range: [number, number] = [0, 1];
/** The finest level drawn of the current snapshot, and its picture. */
let current:
  | { message: LevelMessage; image: HTMLCanvasElement; mask: HTMLCanvasElement | null }
  | null = null;
/** The level last asked of the worker for the current snapshot (drawn or on its way). */
let asked = -1;
/** Viewport: zoom (1 = the whole field) and centre, as fractions of the drawn picture. */
const view = { zoom: 1, cx: 0.5, cy: 0.5 };
/** Field size on the page, CSS pixels. */
let field = { width: DISPLAY, height: DISPLAY };
const drawn: {
  snapshot: number;
  level: number;
  ms: number;
  bytes: number;
  requests: number;
  checksum: string;
  log?: Traffic["log"];
}[] = [];
const start = performance.now();
const params = new URLSearchParams(location.search);

const fmt = (v: number | null, digits = 3) =>
  v === null ? "-" : Number.isFinite(v) ? v.toPrecision(digits + 1) : String(v);
/**
 * A bound or a maximum error at full precision (the shortest form that reads back as the same
 * double, as the CLI prints them): rounded, a maximum of 0.0357504 next to a bound shown as
 * 0.03575 would look as if it broke the bound.
 */
const exact = (v: number | null) => v === null ? "-" : String(v);
/** A coordinate value: at most 6 significant digits, no trailing zeros. */
const coord = (v: number) => String(Number(v.toPrecision(6)));

function setState(state: "loading" | "opened" | "drawing" | "done" | "error"): void {
  document.body.dataset.state = state;
  status.dataset.state = state;
}

function showTraffic(t: Traffic): void {
  $("bytes").textContent = `${formatBytes(t.bytes)} of ${formatBytes(t.total)} (${
    (100 * t.bytes / Math.max(1, t.total)).toFixed(1)
  }%) in ${t.requests} requests`;
  status.dataset.bytes = String(t.bytes);
  status.dataset.requests = String(t.requests);
  status.dataset.log = JSON.stringify(t.log);
}

function fail(message: string): void {
  $("error").textContent = message;
  status.dataset.error = message;
  setState("error");
}

const snapshot = () => Number(snapshotInput.value);

/** The coarsest level whose grid covers the visible part of the field at device resolution. */
function levelThatCovers(): number {
  const dpr = globalThis.devicePixelRatio || 1;
  const needW = field.width * dpr * view.zoom, needH = field.height * dpr * view.zoom;
  for (const l of levels) {
    if (l.extent[1] >= needW && l.extent[0] >= needH) return l.level;
  }
  return levels.length - 1;
}

/** The level the view needs: the one asked for in the level selector, or the one that covers it. */
function wanted(): number {
  return levelSelect.value === "auto" ? levelThatCovers() : Number(levelSelect.value);
}

/** Asks the worker for what the view lacks; `done` when nothing is missing. */
function request(): void {
  if (!info) return;
  const target = wanted();
  status.dataset.target = String(target);
  const have = current && current.message.snapshot === snapshot() ? current.message.level : -1;
  if (levelSelect.value === "auto") {
    // A finer level drawn already serves.
    if (have >= target) return void setState("done");
    if (asked >= target) return;
    asked = target;
    setState("drawing");
    return send({ type: "show", snapshot: snapshot(), level: target, from: have + 1 });
  }
  if (have === target) return void setState("done");
  asked = target;
  setState("drawing");
  // Coarse to fine on a new snapshot; a coarser level than the one drawn comes alone.
  const from = have < 0 ? 0 : target > have ? have + 1 : target;
  send({ type: "show", snapshot: snapshot(), level: target, from });
}

function timeLabel(t: number): string {
  const T = info!.shape[0];
  const time: TimeSummary | null = info!.time;
  const count = `snapshot ${t + 1} of ${T}`;
  if (!time || time.indexed) return T > 1 ? count : "";
  const what = time.dates?.[t] ??
    `${coord(time.values[t])}${time.units ? ` ${time.units}` : ""}`;
  return `${time.name ?? "time"} ${what} (${count})`;
}

/** The picture of a level: its values in colour, flipped to the orientation of its axes. */
function picture(m: LevelMessage, axes: LevelAxes): HTMLCanvasElement {
  const [h, w] = m.shape;
  const oriented = new Float32Array(h * w);
  for (let r = 0; r < h; r++) {
    const i = axes.northUp ? h - 1 - r : r;
    for (let c = 0; c < w; c++) {
      oriented[r * w + c] = m.data[i * w + (axes.eastRight ? c : w - 1 - c)];
    }
  }
  const image = document.createElement("canvas");
  image.width = w;
  image.height = h;
  image.getContext("2d")!.putImageData(new ImageData(paint(oriented, range), w, h), 0, 0);
  return image;
}

/** The masks' overlay of a model-coded level, in the picture's orientation (crop ignored). */
function maskPicture(m: LevelMessage, axes: LevelAxes): HTMLCanvasElement | null {
  if (!m.mask) return null;
  const [lh, lw] = m.mask.grid;
  const image = document.createElement("canvas");
  image.width = lw;
  image.height = lh;
  const pixels = new ImageData(lw, lh);
  for (let r = 0; r < lh; r++) {
    const i = axes.northUp ? lh - 1 - r : r;
    for (let c = 0; c < lw; c++) {
      if (!m.mask.data[i * lw + (axes.eastRight ? c : lw - 1 - c)]) continue;
      pixels.data.set([255, 60, 60, 90], 4 * (r * lw + c));
    }
  }
  image.getContext("2d")!.putImageData(pixels, 0, 0);
  return image;
}

/** Keeps the viewport inside the picture. */
function clampView(): void {
  view.zoom = Math.min(MAX_ZOOM, Math.max(1, view.zoom));
  const half = 0.5 / view.zoom;
  view.cx = Math.min(1 - half, Math.max(half, view.cx));
  view.cy = Math.min(1 - half, Math.max(half, view.cy));
}

/** Draws the current level through the viewport, its axes and the mask overlay. */
function redraw(): void {
  if (!current) return;
  const { image, mask } = current;
  const half = 0.5 / view.zoom;
  for (const [target, source] of [[canvas, image], [overlay, mask]] as const) {
    const ctx = target.getContext("2d")!;
    ctx.clearRect(0, 0, target.width, target.height);
    if (!source || (target === overlay && !masksBox.checked)) continue;
    ctx.imageSmoothingEnabled = false;
    const [w, h] = [source.width, source.height];
    ctx.drawImage(
      source,
      (view.cx - half) * w,
      (view.cy - half) * h,
      w / view.zoom,
      h / view.zoom,
      0,
      0,
      target.width,
      target.height,
    );
  }
  drawAxes();
  $("zoom").textContent = view.zoom === 1 ? "whole field" : `${view.zoom.toFixed(2)}x`;
}

/**
 * Where the coordinate `v` lies along displayed positions `0..n-1` (pixel centres), by linear
 * interpolation in the monotonic `values` (in displayed order); null outside them.
 */
function positionOf(values: number[], v: number): number | null {
  const n = values.length;
  if (n === 1) return values[0] === v ? 0 : null;
  const up = values[n - 1] >= values[0];
  for (let k = 0; k + 1 < n; k++) {
    const [a, b] = [values[k], values[k + 1]];
    if ((up ? a <= v && v <= b : b <= v && v <= a) && a !== b) return k + (v - a) / (b - a);
  }
  return null;
}

function drawAxes(): void {
  if (!current || !info) return;
  const dpr = globalThis.devicePixelRatio || 1;
  const ctx = axesCanvas.getContext("2d")!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, axesCanvas.width, axesCanvas.height);
  const axes = info.axes[current.message.level];
  const [h, w] = current.message.shape;
  const half = 0.5 / view.zoom;
  const { left, top } = MARGIN;
  const { width: fw, height: fh } = field;
  ctx.strokeStyle = "#444";
  ctx.fillStyle = "#222";
  ctx.lineWidth = 1;
  ctx.font = "12px system-ui, sans-serif";
  ctx.strokeRect(left - 0.5, top - 0.5, fw + 1, fh + 1);
  // Displayed order: row 0 at the top, column 0 at the left.
  const ys = axes.northUp ? [...axes.y.values].reverse() : axes.y.values;
  const xs = axes.eastRight ? axes.x.values : [...axes.x.values].reverse();
  // Page position of a displayed row (column) position p of n.
  const toPage = (p: number, n: number, c: number, size: number) =>
    ((p + 0.5) / n - (c - half)) * view.zoom * size;
  const visible = (vals: number[], c: number) => {
    const n = vals.length;
    const a = vals[Math.max(0, Math.min(n - 1, Math.floor((c - half) * n)))];
    const b = vals[Math.max(0, Math.min(n - 1, Math.ceil((c + half) * n) - 1))];
    return [Math.min(a, b), Math.max(a, b)];
  };
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const v of niceTicks(...visible(ys, view.cy) as [number, number], 6)) {
    const p = positionOf(ys, v);
    if (p === null) continue;
    const y = top + toPage(p, h, view.cy, fh);
    if (y < top - 0.5 || y > top + fh + 0.5) continue;
    ctx.beginPath();
    ctx.moveTo(left - 5, Math.round(y) + 0.5);
    ctx.lineTo(left, Math.round(y) + 0.5);
    ctx.stroke();
    ctx.fillText(coord(v), left - 7, y);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const v of niceTicks(...visible(xs, view.cx) as [number, number], 6)) {
    const p = positionOf(xs, v);
    if (p === null) continue;
    const x = left + toPage(p, w, view.cx, fw);
    if (x < left - 0.5 || x > left + fw + 0.5) continue;
    ctx.beginPath();
    ctx.moveTo(Math.round(x) + 0.5, top + fh);
    ctx.lineTo(Math.round(x) + 0.5, top + fh + 5);
    ctx.stroke();
    ctx.fillText(coord(v), x, top + fh + 7);
  }
  const title = (a: LevelAxes["x"], fallback: string) =>
    a.indexed
      ? `${a.name ?? fallback} (index)`
      : `${a.name ?? fallback}${a.units ? ` (${a.units})` : ""}`;
  ctx.fillText(title(axes.x, "column"), left + fw / 2, top + fh + 24);
  ctx.save();
  ctx.translate(14, top + fh / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(title(axes.y, "row"), 0, 0);
  ctx.restore();
}

function drawLegend(): void {
  const bar = $<HTMLCanvasElement>("bar").getContext("2d")!;
  const img = bar.createImageData(256, 1);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = colorAt(i / 255);
    img.data.set([r, g, b, 255], 4 * i);
  }
  bar.putImageData(img, 0, 0);
  $("min").textContent = fmt(range[0]);
  $("max").textContent = fmt(range[1]);
  $("units").textContent = info?.units ? `(${info.units})` : "";
}

/** Sizes the field, its overlay and the axes canvas for the field's aspect, at device pixels. */
function layout(shape: [number, number, number]): void {
  const [, H, W] = shape;
  const scale = DISPLAY / Math.max(H, W);
  field = { width: Math.max(1, Math.round(W * scale)), height: Math.max(1, Math.round(H * scale)) };
  const dpr = globalThis.devicePixelRatio || 1;
  for (const c of [canvas, overlay]) {
    c.style.width = `${field.width}px`;
    c.style.height = `${field.height}px`;
    c.style.left = `${MARGIN.left}px`;
    c.style.top = `${MARGIN.top}px`;
    c.width = Math.round(field.width * dpr);
    c.height = Math.round(field.height * dpr);
  }
  const [aw, ah] = [
    MARGIN.left + field.width + MARGIN.right,
    MARGIN.top + field.height + MARGIN.bottom,
  ];
  const stage = $("stage");
  stage.style.width = `${aw}px`;
  stage.style.height = `${ah}px`;
  axesCanvas.style.width = `${aw}px`;
  axesCanvas.style.height = `${ah}px`;
  axesCanvas.width = Math.round(aw * dpr);
  axesCanvas.height = Math.round(ah * dpr);
}

function showLevel(m: LevelMessage): void {
  const axes = info!.axes[m.level];
  current = { message: m, image: picture(m, axes), mask: maskPicture(m, axes) };
  redraw();
  $("masks-note").textContent = m.mask ? "widening masks of this level" : "none at this level";
  for (const row of $("levels").querySelectorAll("tbody tr")) {
    const k = Number((row as HTMLElement).dataset.level);
    row.classList.toggle("drawn", k <= m.level);
    row.classList.toggle("current", k === m.level);
  }
  $("time").textContent = timeLabel(m.snapshot);
}

function levelRows(): string {
  return levels.map((l) =>
    `<tr data-level="${l.level}"><td>${l.level}</td><td>${l.extent.join("x")}</td><td>${
      l.bytes === null ? "-" : formatBytes(l.bytes)
    }</td>` +
    `<td>${exact(l.bound)}</td><td>${fmt(l.rmse)}</td><td>${
      l.psnr === null ? "-" : l.psnr.toFixed(2) + " dB"
    }</td><td>${exact(l.maxAbsError)}</td></tr>`
  ).join("");
}

/** The colour range: `&vmin=` and `&vmax=` over the file's. */
function colourRange(file: Opened["range"]): [number, number] {
  const read = (name: string) => {
    const v = params.get(name);
    if (v === null || v === "") return null;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`&${name}= must be a number, found "${v}"`);
    return n;
  };
  const lo = read("vmin") ?? file.min, hi = read("vmax") ?? file.max;
  if (!(hi > lo)) throw new Error(`&vmin= must be below &vmax=, found ${lo} and ${hi}`);
  return [lo, hi];
}

function onOpened(m: Opened): void {
  info = m;
  levels = m.levels;
  range = colourRange(m.range);
  status.dataset.range = JSON.stringify(range);
  status.dataset.northUp = String(m.axes[0].northUp);
  $("title").textContent = `${m.name ?? ""} ${m.shape.join(" x ")} ${
    m.bounded ? "bounded" : "model"
  }`;
  const T = m.shape[0];
  snapshotInput.max = String(T - 1);
  const t = Number(params.get("snapshot") ?? 0);
  snapshotInput.value = String(Number.isInteger(t) && t >= 0 && t < T ? t : 0);
  // Controls only where they mean something: no slider for one snapshot, no masks when bounded.
  for (const el of document.querySelectorAll<HTMLElement>(".snapshot-control")) el.hidden = T < 2;
  for (const el of document.querySelectorAll<HTMLElement>(".masks-control")) el.hidden = m.bounded;
  levelSelect.innerHTML = `<option value="auto">auto (fits the canvas)</option>` +
    levels.map((l) => `<option value="${l.level}">${l.level}: ${l.extent.join("x")}</option>`).join(
      "",
    );
  const chosen = params.get("level");
  levelSelect.value = chosen !== null && levels.some((l) => String(l.level) === chosen)
    ? chosen
    : "auto";
  $("levels").querySelector("tbody")!.innerHTML = levelRows();
  layout(m.shape);
  const zoom = Number(params.get("zoom") ?? 1);
  view.zoom = Number.isFinite(zoom) ? zoom : 1;
  clampView();
  drawLegend();
  showTraffic(m.traffic);
  status.dataset.openBytes = String(m.traffic.bytes);
  status.dataset.openRequests = String(m.traffic.requests);
  setState("opened");
  $("time").textContent = timeLabel(snapshot());
  // Stream mode draws every level as it arrives; range mode asks for what the view needs.
  if (params.get("mode") === "stream") {
    asked = levels.length - 1;
    setState("drawing");
  } else request();
}

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  if (m.type === "error") return fail(m.message);
  if (m.type === "traffic") return showTraffic(m.traffic);
  if (m.type === "opened") {
    try {
      return onOpened(m);
    } catch (e) {
      return fail((e as Error).message);
    }
  }
  if (m.type === "complete") {
    levels = m.levels;
    $("levels").querySelector("tbody")!.innerHTML = levelRows();
    showTraffic(m.traffic);
    if (current) showLevel(current.message);
    return;
  }
  if (m.snapshot !== snapshot()) return;
  showLevel(m);
  showTraffic(m.traffic);
  drawn.push({
    snapshot: m.snapshot,
    level: m.level,
    ms: Math.round(performance.now() - start),
    bytes: m.traffic.bytes,
    requests: m.traffic.requests,
    checksum: m.checksum,
    log: drawn.length === 0 ? m.traffic.log : undefined,
  });
  status.dataset.snapshot = String(m.snapshot);
  status.dataset.level = String(m.level);
  status.dataset.checksum = m.checksum;
  status.dataset.drawn = JSON.stringify(drawn);
  status.textContent = `snapshot ${m.snapshot}, level ${m.level} drawn`;
  const stream = params.get("mode") === "stream" && drawn.length <= levels.length;
  const target = stream ? levels.length - 1 : wanted();
  const fixed = !stream && levelSelect.value !== "auto";
  if (fixed ? m.level === target : m.level >= target) {
    asked = -1;
    setState("done");
  }
};

/** The value, coordinates and bound under the pointer. */
function readout(event: PointerEvent): void {
  if (!current || !info) return;
  const rect = canvas.getBoundingClientRect();
  const fx = view.cx - 0.5 / view.zoom + (event.clientX - rect.left) / rect.width / view.zoom;
  const fy = view.cy - 0.5 / view.zoom + (event.clientY - rect.top) / rect.height / view.zoom;
  const m = current.message, axes = info.axes[m.level];
  const [h, w] = m.shape;
  const r = Math.min(h - 1, Math.max(0, Math.floor(fy * h)));
  const c = Math.min(w - 1, Math.max(0, Math.floor(fx * w)));
  const i = axes.northUp ? h - 1 - r : r, j = axes.eastRight ? c : w - 1 - c;
  const v = m.data[i * w + j];
  const where = (a: LevelAxes["x"], k: number, fallback: string) =>
    `${a.name ?? fallback} ${coord(a.values[k])}${a.units && !a.indexed ? ` ${a.units}` : ""}`;
  const l = levels[m.level];
  const quality = l.bound !== null ? `within ±${exact(l.bound)}` : `rmse ${fmt(l.rmse)}`;
  const value = Number.isNaN(v) ? "missing" : `${fmt(v, 5)}${info.units ? ` ${info.units}` : ""}`;
  const text = `${value} at ${where(axes.y, i, "row")}, ${where(axes.x, j, "column")}` +
    ` · level ${m.level} (${l.extent.join("x")}) ${quality}`;
  $("readout").textContent = text;
  status.dataset.readout = JSON.stringify({
    row: i,
    col: j,
    value: Number.isNaN(v) ? null : v,
    text,
  });
}

let pending: ReturnType<typeof setTimeout> | undefined;
/** After a zoom or a pan: draw now, ask for a finer level once the view rests. */
function viewChanged(): void {
  clampView();
  redraw();
  clearTimeout(pending);
  pending = setTimeout(request, 120);
}

canvas.addEventListener("wheel", (event) => {
  event.preventDefault();
  const rect = canvas.getBoundingClientRect();
  const px = (event.clientX - rect.left) / rect.width,
    py = (event.clientY - rect.top) / rect.height;
  // The point under the pointer stays where it is.
  const fx = view.cx - 0.5 / view.zoom + px / view.zoom;
  const fy = view.cy - 0.5 / view.zoom + py / view.zoom;
  view.zoom *= Math.exp(-event.deltaY / 400);
  view.zoom = Math.min(MAX_ZOOM, Math.max(1, view.zoom));
  view.cx = fx + 0.5 / view.zoom - px / view.zoom;
  view.cy = fy + 0.5 / view.zoom - py / view.zoom;
  viewChanged();
}, { passive: false });
let drag: { x: number; y: number } | null = null;
canvas.addEventListener("pointerdown", (event) => {
  drag = { x: event.clientX, y: event.clientY };
  canvas.setPointerCapture(event.pointerId);
});
canvas.addEventListener("pointermove", (event) => {
  readout(event);
  if (!drag) return;
  const rect = canvas.getBoundingClientRect();
  view.cx -= (event.clientX - drag.x) / rect.width / view.zoom;
  view.cy -= (event.clientY - drag.y) / rect.height / view.zoom;
  drag = { x: event.clientX, y: event.clientY };
  viewChanged();
});
canvas.addEventListener("pointerup", () => (drag = null));
canvas.addEventListener("dblclick", () => {
  Object.assign(view, { zoom: 1, cx: 0.5, cy: 0.5 });
  viewChanged();
});
$("reset").addEventListener("click", () => {
  Object.assign(view, { zoom: 1, cx: 0.5, cy: 0.5 });
  viewChanged();
});

snapshotInput.addEventListener("input", () => {
  asked = -1;
  $("time").textContent = timeLabel(snapshot());
  request();
});
levelSelect.addEventListener("change", () => {
  asked = -1;
  request();
});
masksBox.addEventListener("change", redraw);

const url = params.get("url");
if (url) {
  send({
    type: "open",
    url,
    stream: params.get("mode") === "stream",
    snapshot: Number(params.get("snapshot") ?? 0),
    ...(params.get("var") === null ? {} : { variable: params.get("var")! }),
    ...(params.get("layer") === null ? {} : { layer: Number(params.get("layer")) }),
  });
} else {
  const form = $<HTMLFormElement>("pick");
  form.hidden = false;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    location.search = `?url=${encodeURIComponent($<HTMLInputElement>("url").value)}`;
  });
}
