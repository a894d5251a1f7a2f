/// <reference lib="dom" />
// This module is browser compatible.
/**
 * The viewer page's script: sends what the controls ask for to the decoding worker and draws each
 * level as it arrives. The file's URL is the page's `?url=` parameter (relative URLs resolve
 * against the page); `&mode=stream` reads the whole file front to back with `decodeStream`
 * instead of range reads of the chosen snapshot.
 *
 * For tests, `#status` carries `data-*` attributes: the state, the snapshot and level last drawn,
 * its checksum, and a JSON log of every level drawn with the bytes fetched at that moment.
 *
 * @module
 */

import { colorAt, paint } from "../src/io/colormap.ts";
import { formatBytes } from "../src/units.ts";
import type { FromWorker, LevelSummary, ToWorker, Traffic } from "./_protocol.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const canvas = $<HTMLCanvasElement>("canvas");
const overlay = $<HTMLCanvasElement>("overlay");
const snapshotInput = $<HTMLInputElement>("snapshot");
const levelSelect = $<HTMLSelectElement>("level");
const masksBox = $<HTMLInputElement>("masks");
const status = $<HTMLOutputElement>("status");
const DISPLAY = 512;

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const send = (message: ToWorker) => worker.postMessage(message);

let levels: LevelSummary[] = [];
let bounded = false;
let units: string | null = null;
let range: [number, number] | null = null;
let last: Extract<FromWorker, { type: "level" }> | null = null;
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
/** `?url=` (required), `&snapshot=` and `&level=` (optional). */
const params = new URLSearchParams(location.search);

const fmt = (v: number | null, digits = 3) =>
  v === null ? "-" : Number.isFinite(v) ? v.toPrecision(digits + 1) : String(v);

function showTraffic(t: Traffic): void {
  $("bytes").textContent = `${formatBytes(t.bytes)} of ${formatBytes(t.total)} (${
    (100 * t.bytes / Math.max(1, t.total)).toFixed(1)
  }%) in ${t.requests} requests`;
  status.dataset.bytes = String(t.bytes);
  status.dataset.requests = String(t.requests);
}

function fail(message: string): void {
  $("error").textContent = message;
  status.dataset.state = "error";
  status.dataset.error = message;
}

function request(): void {
  $("snapshot-label").textContent = `${snapshotInput.value} / ${snapshotInput.max}`;
  send({ type: "show", snapshot: Number(snapshotInput.value), level: Number(levelSelect.value) });
}

function drawLegend(): void {
  const bar = $<HTMLCanvasElement>("bar").getContext("2d")!;
  const img = bar.createImageData(256, 1);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = colorAt(i / 255);
    img.data.set([r, g, b, 255], 4 * i);
  }
  bar.putImageData(img, 0, 0);
  $("min").textContent = range ? fmt(range[0]) : "";
  $("max").textContent = range ? fmt(range[1]) : "";
  $("units").textContent = units ? `(${units})` : "";
}

function draw(m: Extract<FromWorker, { type: "level" }>): void {
  const [h, w] = m.shape;
  // The colour range only widens, so a finer level never recolours what the coarser one showed.
  for (const v of m.data) {
    if (!Number.isFinite(v)) continue;
    range = range ? [Math.min(range[0], v), Math.max(range[1], v)] : [v, v];
  }
  // Drawn at the level's own size; CSS scales it up without smoothing (image-rendering).
  const scale = DISPLAY / Math.max(h, w);
  canvas.width = w;
  canvas.height = h;
  for (const c of [canvas, overlay]) {
    c.style.width = `${Math.round(w * scale)}px`;
    c.style.height = `${Math.round(h * scale)}px`;
  }
  overlay.width = Math.round(w * scale);
  overlay.height = Math.round(h * scale);
  canvas.getContext("2d")!.putImageData(new ImageData(paint(m.data, range ?? [0, 1]), w, h), 0, 0);
  drawMask(m);
  drawLegend();
  for (const row of $("levels").querySelectorAll("tbody tr")) {
    const k = Number((row as HTMLElement).dataset.level);
    row.classList.toggle("drawn", k <= m.level);
    row.classList.toggle("current", k === m.level);
  }
}

function drawMask(m: Extract<FromWorker, { type: "level" }>): void {
  const ctx = overlay.getContext("2d")!;
  ctx.clearRect(0, 0, overlay.width, overlay.height);
  $("masks-note").textContent = m.mask
    ? "widening masks of this level"
    : bounded
    ? "none (bounded file)"
    : "none (no widening group at this level)";
  if (!m.mask || !masksBox.checked) return;
  // A latent cell covers a 2 x 2 step of the level's stored grid (the crop is ignored here).
  const [lh, lw] = m.mask.grid;
  const cw = overlay.width / lw, ch = overlay.height / lh;
  ctx.fillStyle = "rgba(255, 60, 60, 0.35)";
  for (let i = 0; i < lh; i++) {
    for (let j = 0; j < lw; j++) if (m.mask.data[i * lw + j]) ctx.fillRect(j * cw, i * ch, cw, ch);
  }
}

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  if (m.type === "error") return fail(m.message);
  if (m.type === "traffic") return showTraffic(m.traffic);
  if (m.type === "opened") {
    levels = m.levels;
    bounded = m.bounded;
    units = m.units;
    $("title").textContent = `${m.name ?? ""} ${m.shape.join(" x ")} ${
      m.bounded ? "bounded" : "model"
    }`;
    snapshotInput.max = String(m.shape[0] - 1);
    levelSelect.innerHTML = levels.map((l) =>
      `<option value="${l.level}">${l.level}: ${l.extent.join("x")}</option>`
    ).join("");
    levelSelect.value = params.get("level") ?? String(levels.length - 1);
    snapshotInput.value = params.get("snapshot") ?? "0";
    $("levels").querySelector("tbody")!.innerHTML = levels.map((l) =>
      `<tr data-level="${l.level}"><td>${l.level}</td><td>${l.extent.join("x")}</td><td>${
        formatBytes(l.bytes)
      }</td>` +
      `<td>${fmt(l.bound)}</td><td>${fmt(l.rmse)}</td><td>${
        l.psnr === null ? "-" : l.psnr.toFixed(2) + " dB"
      }</td><td>${fmt(l.maxAbsError)}</td></tr>`
    ).join("");
    showTraffic(m.traffic);
    status.dataset.state = "opened";
    status.dataset.openBytes = String(m.traffic.bytes);
    status.dataset.openRequests = String(m.traffic.requests);
    if (params.get("mode") === "stream") {
      // The whole file front to back: each level as soon as its chunks are in (decodeStream).
      $("snapshot-label").textContent = `${snapshotInput.value} / ${snapshotInput.max}`;
      levelSelect.value = String(levels.length - 1);
      send({ type: "stream", url: params.get("url")!, snapshot: Number(snapshotInput.value) });
    } else request();
    return;
  }
  last = m;
  draw(m);
  showTraffic(m.traffic);
  drawn.push({
    snapshot: m.snapshot,
    level: m.level,
    ms: Math.round(performance.now() - start),
    bytes: m.traffic.bytes,
    requests: m.traffic.requests,
    checksum: m.checksum,
    log: m.level === 0 ? m.traffic.log : undefined,
  });
  status.dataset.snapshot = String(m.snapshot);
  status.dataset.level = String(m.level);
  status.dataset.checksum = m.checksum;
  status.dataset.drawn = JSON.stringify(drawn);
  status.textContent = `snapshot ${m.snapshot}, level ${m.level} drawn`;
  if (m.level === Number(levelSelect.value)) status.dataset.state = "done";
};

snapshotInput.addEventListener("input", request);
levelSelect.addEventListener("change", request);
masksBox.addEventListener("change", () => last && drawMask(last));

const url = params.get("url");
if (url) {
  send({ type: "open", url });
} else {
  const form = $<HTMLFormElement>("pick");
  form.hidden = false;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    location.search = `?url=${encodeURIComponent($<HTMLInputElement>("url").value)}`;
  });
}
