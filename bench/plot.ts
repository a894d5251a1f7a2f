/**
 * Rate-distortion plots, one panel per dataset, one line per method:
 *
 * - `rdScene`: bits per value (log scale) against PSNR. PSNR is capped at 100 dB:
 *   higher points and lossless runs (infinite PSNR) are drawn on the panel's top edge.
 * - `maxErrorScene`: compression ratio (log) against max abs error relative to the
 *   range (log), with reference series (measured elsewhere) drawn dashed or as
 *   markers only.
 *
 * A figure is built once as a list of drawing primitives, then written as
 * hand-written SVG or rasterized into RGBA (simple line and marker rasterizer,
 * built-in 5x7 font) for `encodePng`.
 *
 * @module
 */
import { drawText, measureText, type RgbaImage } from "../src/io/font.ts";

/** One point of a curve. */
export interface RdPoint {
  bitsPerValue: number;
  psnr: number;
}

/** One line of a panel. */
export interface RdSeries {
  label: string;
  points: RdPoint[];
}

/** One panel (dataset). */
export interface RdPanel {
  title: string;
  series: RdSeries[];
}

type Rgb = [number, number, number];
type Anchor = "start" | "middle" | "end";

/** Drawing primitives in pixel coordinates (y down). */
type Shape =
  | { kind: "line"; x1: number; y1: number; x2: number; y2: number; color: Rgb; width: number }
  | {
    kind: "polyline";
    points: [number, number][];
    color: Rgb;
    width: number;
    /** `[on, off]` pixels along the path; solid when absent. */
    dash?: [number, number];
  }
  | { kind: "marker"; x: number; y: number; color: Rgb; shape: number }
  | { kind: "text"; x: number; y: number; text: string; anchor: Anchor; size: 1 | 2; color: Rgb }
  | { kind: "rect"; x: number; y: number; w: number; h: number; stroke: Rgb };

/** A figure: size plus primitives. */
export interface Scene {
  width: number;
  height: number;
  shapes: Shape[];
}

// Distinct colours (Okabe-Ito palette, colour-blind safe).
const PALETTE: Rgb[] = [
  [0, 114, 178],
  [213, 94, 0],
  [0, 158, 115],
  [204, 121, 167],
  [86, 180, 233],
  [230, 159, 0],
  [0, 0, 0],
  [240, 228, 66],
];
const GREY: Rgb = [200, 200, 200];
const BLACK: Rgb = [0, 0, 0];

const PANEL_W = 420;
const PANEL_H = 320;
const MARGIN = { left: 52, right: 14, top: 30, bottom: 44 };
const LEGEND_ROW = 14;

/** Lay out the rate-distortion figure. Non-finite points (lossless runs) are left out. */
export function rdScene(panels: RdPanel[]): Scene {
  const labels = [...new Set(panels.flatMap((p) => p.series.map((s) => s.label)))];
  const colorOf = new Map(labels.map((l, i) => [l, PALETTE[i % PALETTE.length]]));
  const shapeOf = new Map(labels.map((l, i) => [l, i % 4]));
  const legendRows = Math.ceil(labels.length / 4);
  const width = Math.max(1, panels.length) * PANEL_W;
  const height = PANEL_H + legendRows * LEGEND_ROW + 10;
  const shapes: Shape[] = [];

  panels.forEach((panel, n) => {
    const ox = n * PANEL_W;
    const x0 = ox + MARGIN.left, x1 = ox + PANEL_W - MARGIN.right;
    const y0 = MARGIN.top, y1 = PANEL_H - MARGIN.bottom;
    const pts = panel.series.flatMap((s) => s.points).filter(finitePoint)
      .map((p) => ({ ...p, psnr: Math.min(p.psnr, PSNR_CAP) }));
    const bpvs = pts.map((p) => p.bitsPerValue);
    const psnrs = pts.map((p) => p.psnr);
    const lx0 = Math.floor(Math.log10(Math.min(...bpvs, 1)));
    const lx1 = Math.max(lx0 + 1, Math.ceil(Math.log10(Math.max(...bpvs, 1))));
    const py0 = Math.floor(Math.min(...psnrs, 30) / 10) * 10;
    const py1 = Math.max(py0 + 10, Math.ceil(Math.max(...psnrs, 60) / 10) * 10);
    if (
      pts.length < panel.series.flatMap((s) => s.points).length || Math.max(...psnrs) >= PSNR_CAP
    ) {
      shapes.push({
        kind: "text",
        x: ox + PANEL_W - MARGIN.right,
        y: y1 + 30,
        text: `top edge: >=${py1} dB / lossless`,
        anchor: "end",
        size: 1,
        color: BLACK,
      });
    }
    const px = (b: number) => x0 + ((Math.log10(b) - lx0) / (lx1 - lx0)) * (x1 - x0);
    // Lossless (infinite PSNR) and very high PSNR points sit on the top edge.
    const py = (v: number) => y1 - ((Math.min(v, py1) - py0) / (py1 - py0)) * (y1 - y0);

    // Grid and ticks: decades on x, every 10 dB on y.
    for (let e = lx0; e <= lx1; e++) {
      const x = px(10 ** e);
      shapes.push({ kind: "line", x1: x, y1: y0, x2: x, y2: y1, color: GREY, width: 1 });
      const label = e >= 0 ? `${10 ** e}` : `${(10 ** e).toFixed(-e)}`;
      shapes.push({
        kind: "text",
        x,
        y: y1 + 6,
        text: label,
        anchor: "middle",
        size: 1,
        color: BLACK,
      });
    }
    for (let v = py0; v <= py1; v += 10) {
      const y = py(v);
      shapes.push({ kind: "line", x1: x0, y1: y, x2: x1, y2: y, color: GREY, width: 1 });
      shapes.push({
        kind: "text",
        x: x0 - 5,
        y: y - 3,
        text: `${v}`,
        anchor: "end",
        size: 1,
        color: BLACK,
      });
    }
    shapes.push({ kind: "rect", x: x0, y: y0, w: x1 - x0, h: y1 - y0, stroke: BLACK });
    shapes.push({
      kind: "text",
      x: (x0 + x1) / 2,
      y: 8,
      text: panel.title,
      anchor: "middle",
      size: 2,
      color: BLACK,
    });
    shapes.push({
      kind: "text",
      x: (x0 + x1) / 2,
      y: y1 + 20,
      text: "bits per value (log)",
      anchor: "middle",
      size: 1,
      color: BLACK,
    });
    shapes.push({
      kind: "text",
      x: ox + 4,
      y: y0 - 12,
      text: "PSNR dB",
      anchor: "start",
      size: 1,
      color: BLACK,
    });

    for (const s of panel.series) {
      const points = s.points.filter(finitePoint).sort((a, b) => a.bitsPerValue - b.bitsPerValue);
      const color = colorOf.get(s.label)!;
      const xy = points.map((p): [number, number] => [px(p.bitsPerValue), py(p.psnr)]);
      if (xy.length > 1) shapes.push({ kind: "polyline", points: xy, color, width: 2 });
      for (const [x, y] of xy) {
        shapes.push({ kind: "marker", x, y, color, shape: shapeOf.get(s.label)! });
      }
    }
  });

  // Legend under the panels, 4 entries per row.
  const colW = Math.floor(width / 4);
  labels.forEach((label, i) => {
    const x = 10 + (i % 4) * colW;
    const y = PANEL_H + Math.floor(i / 4) * LEGEND_ROW + 6;
    const color = colorOf.get(label)!;
    shapes.push({ kind: "line", x1: x, y1: y, x2: x + 18, y2: y, color, width: 2 });
    legendLabel(shapes, x, y, label, color, shapeOf.get(label)!);
  });
  return { width, height, shapes };
}

/** PSNR above this (including lossless runs) is drawn on the panel's top edge. */
const PSNR_CAP = 100;

function finitePoint(p: RdPoint): boolean {
  return Number.isFinite(p.bitsPerValue) && p.bitsPerValue > 0 && !Number.isNaN(p.psnr);
}

const rgb = ([r, g, b]: Rgb) => `rgb(${r},${g},${b})`;
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Write a scene as SVG text. Text `y` is the top of the glyph box, as in the raster. */
export function sceneToSvg(scene: Scene): string {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" ` +
    `viewBox="0 0 ${scene.width} ${scene.height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  const f = (v: number) => v.toFixed(1);
  for (const s of scene.shapes) {
    switch (s.kind) {
      case "line":
        out.push(
          `<line x1="${f(s.x1)}" y1="${f(s.y1)}" x2="${f(s.x2)}" y2="${f(s.y2)}" stroke="${
            rgb(s.color)
          }" stroke-width="${s.width}"/>`,
        );
        break;
      case "polyline":
        out.push(
          `<polyline fill="none" stroke="${rgb(s.color)}" stroke-width="${s.width}"${
            s.dash ? ` stroke-dasharray="${s.dash.join(" ")}"` : ""
          } points="${s.points.map(([x, y]) => `${f(x)},${f(y)}`).join(" ")}"/>`,
        );
        break;
      case "marker": {
        const c = rgb(s.color);
        if (s.shape === 0) out.push(`<circle cx="${f(s.x)}" cy="${f(s.y)}" r="3.5" fill="${c}"/>`);
        else if (s.shape === 1) {
          out.push(`<rect x="${f(s.x - 3)}" y="${f(s.y - 3)}" width="6" height="6" fill="${c}"/>`);
        } else if (s.shape === 2) {
          out.push(
            `<polygon points="${f(s.x)},${f(s.y - 4)} ${f(s.x + 4)},${f(s.y + 3)} ${f(s.x - 4)},${
              f(s.y + 3)
            }" fill="${c}"/>`,
          );
        } else {
          out.push(
            `<polygon points="${f(s.x)},${f(s.y - 4)} ${f(s.x + 4)},${f(s.y)} ${f(s.x)},${
              f(s.y + 4)
            } ${f(s.x - 4)},${f(s.y)}" fill="${c}"/>`,
          );
        }
        break;
      }
      case "text": {
        const size = s.size === 2 ? 14 : 10;
        out.push(
          `<text x="${f(s.x)}" y="${
            f(s.y + size * 0.85)
          }" font-size="${size}" text-anchor="${s.anchor}" fill="${rgb(s.color)}">${
            esc(s.text)
          }</text>`,
        );
        break;
      }
      case "rect":
        out.push(
          `<rect x="${f(s.x)}" y="${f(s.y)}" width="${f(s.w)}" height="${
            f(s.h)
          }" fill="none" stroke="${rgb(s.stroke)}"/>`,
        );
    }
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** Rasterize a scene into an RGBA image on white. */
export function sceneToRgba(scene: Scene): RgbaImage {
  const { width, height } = scene;
  const image: RgbaImage = { rgba: new Uint8Array(width * height * 4).fill(255), width, height };
  const plot = (x: number, y: number, c: Rgb) => {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = 4 * (y * width + x);
    image.rgba[i] = c[0];
    image.rgba[i + 1] = c[1];
    image.rgba[i + 2] = c[2];
  };
  // A line as a sequence of square brush stamps, one per pixel step along the major axis.
  const line = (xa: number, ya: number, xb: number, yb: number, c: Rgb, w: number) => {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(xb - xa), Math.abs(yb - ya))));
    const r = (w - 1) / 2;
    for (let k = 0; k <= steps; k++) {
      const x = xa + ((xb - xa) * k) / steps;
      const y = ya + ((yb - ya) * k) / steps;
      for (let dy = -Math.floor(r); dy <= Math.ceil(r); dy++) {
        for (let dx = -Math.floor(r); dx <= Math.ceil(r); dx++) plot(x + dx, y + dy, c);
      }
    }
  };
  for (const s of scene.shapes) {
    switch (s.kind) {
      case "line":
        line(s.x1, s.y1, s.x2, s.y2, s.color, s.width);
        break;
      case "polyline":
        if (!s.dash) {
          for (let k = 1; k < s.points.length; k++) {
            const [a, b] = [s.points[k - 1], s.points[k]];
            line(a[0], a[1], b[0], b[1], s.color, s.width);
          }
        } else {
          // Dashes follow the path length, carried across vertices as SVG's dasharray does.
          for (const [a, b] of dashSegments(s.points, s.dash)) {
            line(a[0], a[1], b[0], b[1], s.color, s.width);
          }
        }
        break;
      case "marker":
        for (let dy = -4; dy <= 4; dy++) {
          for (let dx = -4; dx <= 4; dx++) {
            const inside = s.shape === 0
              ? dx * dx + dy * dy <= 12
              : s.shape === 1
              ? Math.abs(dx) <= 3 && Math.abs(dy) <= 3
              : s.shape === 2
              ? dy >= -4 && dy <= 3 && Math.abs(dx) <= (dy + 4) / 2
              : Math.abs(dx) + Math.abs(dy) <= 4;
            if (inside) plot(s.x + dx, s.y + dy, s.color);
          }
        }
        break;
      case "text": {
        const w = measureText(s.text, s.size);
        const x = s.anchor === "start" ? s.x : s.anchor === "middle" ? s.x - w / 2 : s.x - w;
        drawText(image, s.text, x, s.y, { color: s.color, zoom: s.size });
        break;
      }
      case "rect":
        line(s.x, s.y, s.x + s.w, s.y, s.stroke, 1);
        line(s.x + s.w, s.y, s.x + s.w, s.y + s.h, s.stroke, 1);
        line(s.x + s.w, s.y + s.h, s.x, s.y + s.h, s.stroke, 1);
        line(s.x, s.y + s.h, s.x, s.y, s.stroke, 1);
    }
  }
  return image;
}

/**
 * Split a polyline into the visible pieces of a `[on, off]` dash pattern measured along
 * its length (the pattern continues across vertices, as SVG's `stroke-dasharray`).
 */
export function dashSegments(
  points: [number, number][],
  [on, off]: [number, number],
): [[number, number], [number, number]][] {
  const out: [[number, number], [number, number]][] = [];
  const period = on + off;
  let phase = 0; // distance into the current period at the segment start
  for (let k = 1; k < points.length; k++) {
    const [ax, ay] = points[k - 1];
    const [bx, by] = points[k];
    const length = Math.hypot(bx - ax, by - ay);
    let t = 0;
    while (t < length) {
      const inDash = phase < on;
      const step = Math.min(length - t, inDash ? on - phase : period - phase);
      if (inDash && step > 0) {
        const f0 = t / length, f1 = (t + step) / length;
        out.push([
          [ax + (bx - ax) * f0, ay + (by - ay) * f0],
          [ax + (bx - ax) * f1, ay + (by - ay) * f1],
        ]);
      }
      t += step;
      phase = (phase + step) % period;
    }
  }
  return out;
}

/** Ticks of a log axis: its decade bounds, labelled ticks, and unlabelled minor ticks. */
export interface LogTicks {
  /** Axis ends, powers of ten around the data. */
  lo: number;
  hi: number;
  /** Labelled positions: every decade, plus 2 and 5 times each when the axis spans at most two decades. */
  major: number[];
  /** Unlabelled positions: 2..9 times each decade when not labelled. */
  minor: number[];
}

/**
 * Ticks of a log axis covering `[min, max]` (positive): decades, with 2x and 5x labelled
 * too on axes of at most two decades. A single value gets the decade around it.
 */
export function logTicks(min: number, max: number): LogTicks {
  if (!(min > 0 && max >= min && Number.isFinite(max))) {
    throw new RangeError(`Cannot lay out a log axis over [${min}, ${max}]: needs 0 < min <= max`);
  }
  // A little slack so that a value on a decade (up to rounding) does not add a decade.
  const e0 = Math.floor(Math.log10(min) + 1e-9);
  const e1 = Math.max(e0 + 1, Math.ceil(Math.log10(max) - 1e-9));
  const dense = e1 - e0 <= 2;
  const major: number[] = [];
  const minor: number[] = [];
  for (let e = e0; e <= e1; e++) {
    major.push(decade(1, e));
    if (e === e1) break;
    for (let m = 2; m <= 9; m++) {
      if (dense && (m === 2 || m === 5)) major.push(decade(m, e));
      else minor.push(decade(m, e));
    }
  }
  return { lo: decade(1, e0), hi: decade(1, e1), major, minor };
}

/** `m * 10^e` without the binary rounding of `m * 10 ** e` for negative `e`. */
function decade(m: number, e: number): number {
  return e >= 0 ? m * 10 ** e : m / 10 ** -e;
}

/** A short tick label: plain between 0.01 and 99999, else `2e-4` style. */
export function tickLabel(v: number): string {
  if (v >= 0.01 && v < 1e5) return `${Number(v.toPrecision(6))}`;
  const e = Math.floor(Math.log10(v) + 1e-9);
  const m = Number((v / 10 ** e).toPrecision(3));
  return `${m}e${e}`;
}

/** One point of a max-error chart. */
export interface ChartPoint {
  x: number;
  y: number;
}

/** One series of a max-error chart. */
export interface ChartSeries {
  label: string;
  points: ChartPoint[];
  /** `solid` (default) or `dashed` line with markers, or `markers` alone. */
  style?: "solid" | "dashed" | "markers";
}

/** One panel (dataset) of a max-error chart. */
export interface ChartPanel {
  title: string;
  series: ChartSeries[];
}

/**
 * Lay out ratio (log y) against max abs error relative to the range (log x), one panel per
 * dataset. Points that are not positive and finite on both axes (lossless runs) are left out.
 */
export function maxErrorScene(panels: ChartPanel[]): Scene {
  return logLogScene(panels, {
    x: "max abs error / range (log)",
    y: "ratio (log)",
  });
}

/** Colours of reference series: black, then greys. */
const REFERENCE_COLORS: Rgb[] = [[0, 0, 0], [130, 130, 130], [90, 90, 90]];

function logLogScene(panels: ChartPanel[], axisLabels: { x: string; y: string }): Scene {
  const usable = (p: ChartPoint) =>
    Number.isFinite(p.x) && Number.isFinite(p.y) && p.x > 0 && p.y > 0;
  // The legend lists the series that have something to draw.
  const entries = new Map<string, ChartSeries["style"]>();
  for (const p of panels) {
    for (const s of p.series) {
      if (!entries.has(s.label) && s.points.some(usable)) entries.set(s.label, s.style);
    }
  }
  const labels = [...entries.keys()];
  // Measured series take the palette in order; reference series (dashed or markers only)
  // are black, then greys, so that they never share a colour with a measured one.
  const colorOf = new Map<string, Rgb>();
  let measured = 0, references = 0;
  for (const label of labels) {
    const solid = (entries.get(label) ?? "solid") === "solid";
    colorOf.set(
      label,
      solid
        ? PALETTE.filter((c) => c !== PALETTE[6])[measured++ % (PALETTE.length - 1)]
        : REFERENCE_COLORS[references++ % REFERENCE_COLORS.length],
    );
  }
  const shapeOf = new Map(labels.map((l, i) => [l, i % 4]));
  const legendRows = Math.ceil(labels.length / 4);
  const width = Math.max(1, panels.length) * PANEL_W;
  const height = PANEL_H + legendRows * LEGEND_ROW + 10;
  const shapes: Shape[] = [];
  const DASH: [number, number] = [6, 4];

  panels.forEach((panel, n) => {
    const ox = n * PANEL_W;
    const x0 = ox + MARGIN.left, x1 = ox + PANEL_W - MARGIN.right;
    const y0 = MARGIN.top, y1 = PANEL_H - MARGIN.bottom;
    const pts = panel.series.flatMap((s) => s.points).filter(usable);
    // An empty panel still gets axes: 1e-3..1e-1 by 1..10.
    const xv = pts.length > 0 ? pts.map((p) => p.x) : [1e-3, 1e-1];
    const yv = pts.length > 0 ? pts.map((p) => p.y) : [1, 10];
    const xs = logTicks(Math.min(...xv), Math.max(...xv));
    const ys = logTicks(Math.min(...yv), Math.max(...yv));
    const lx0 = Math.log10(xs.lo), lx1 = Math.log10(xs.hi);
    const ly0 = Math.log10(ys.lo), ly1 = Math.log10(ys.hi);
    const px = (v: number) => x0 + ((Math.log10(v) - lx0) / (lx1 - lx0)) * (x1 - x0);
    const py = (v: number) => y1 - ((Math.log10(v) - ly0) / (ly1 - ly0)) * (y1 - y0);
    const text = (x: number, y: number, t: string, anchor: Anchor, size: 1 | 2 = 1) =>
      shapes.push({ kind: "text", x, y, text: t, anchor, size, color: BLACK });

    const LIGHT: Rgb = [232, 232, 232];
    for (const v of xs.minor) {
      shapes.push({ kind: "line", x1: px(v), y1: y0, x2: px(v), y2: y1, color: LIGHT, width: 1 });
    }
    for (const v of ys.minor) {
      shapes.push({ kind: "line", x1: x0, y1: py(v), x2: x1, y2: py(v), color: LIGHT, width: 1 });
    }
    // Labels that would overlap the previous one are skipped (dense decades on narrow axes).
    let lastRight = -Infinity;
    for (const v of xs.major) {
      const x = px(v);
      shapes.push({ kind: "line", x1: x, y1: y0, x2: x, y2: y1, color: GREY, width: 1 });
      const label = tickLabel(v);
      const w = measureText(label, 1);
      if (x - w / 2 > lastRight + 4) {
        text(x, y1 + 6, label, "middle");
        lastRight = x + w / 2;
      }
    }
    let lastTop = Infinity;
    for (const v of ys.major) {
      const y = py(v);
      shapes.push({ kind: "line", x1: x0, y1: y, x2: x1, y2: y, color: GREY, width: 1 });
      if (y + 4 < lastTop - 2) {
        text(x0 - 5, y - 3, tickLabel(v), "end");
        lastTop = y - 3;
      }
    }
    shapes.push({ kind: "rect", x: x0, y: y0, w: x1 - x0, h: y1 - y0, stroke: BLACK });
    text((x0 + x1) / 2, 8, panel.title, "middle", 2);
    text((x0 + x1) / 2, y1 + 20, axisLabels.x, "middle");
    text(ox + 4, y0 - 12, axisLabels.y, "start");

    for (const s of panel.series) {
      const points = s.points.filter(usable).sort((a, b) => a.x - b.x);
      const color = colorOf.get(s.label)!;
      const xy = points.map((p): [number, number] => [px(p.x), py(p.y)]);
      const style = s.style ?? "solid";
      if (xy.length > 1 && style !== "markers") {
        shapes.push({
          kind: "polyline",
          points: xy,
          color,
          width: 2,
          ...(style === "dashed" ? { dash: DASH } : {}),
        });
      }
      for (const [x, y] of xy) {
        shapes.push({ kind: "marker", x, y, color, shape: shapeOf.get(s.label)! });
      }
    }
  });

  const colW = Math.floor(width / 4);
  labels.forEach((label, i) => {
    const x = 10 + (i % 4) * colW;
    const y = PANEL_H + Math.floor(i / 4) * LEGEND_ROW + 6;
    const color = colorOf.get(label)!;
    const style = entries.get(label) ?? "solid";
    if (style !== "markers") {
      shapes.push({
        kind: "polyline",
        points: [[x, y], [x + 18, y]],
        color,
        width: 2,
        ...(style === "dashed" ? { dash: DASH } : {}),
      });
    }
    legendLabel(shapes, x, y, label, color, shapeOf.get(label)!);
  });
  return { width, height, shapes };
}

/** A legend entry's marker and label, right of the line sample at `(x, y)`. */
function legendLabel(
  shapes: Shape[],
  x: number,
  y: number,
  label: string,
  color: Rgb,
  shape: number,
): void {
  shapes.push({ kind: "marker", x: x + 9, y, color, shape });
  shapes.push({
    kind: "text",
    x: x + 24,
    y: y - 3,
    text: label,
    anchor: "start",
    size: 1,
    color: BLACK,
  });
}
