/**
 * The `preview` picture: one snapshot at every level side by side, north up when the file's Y
 * coordinate increases, with axes ticked in coordinate values, one colour range for every level
 * (the file's, {@linkcode valueRange}, or the caller's), a title with the variable, its units and
 * the snapshot's date, a colour bar, and for model coding the mask heat maps of every level (how
 * many widening groups cover each latent position), as in the paper's Fig. 5 b/c.
 *
 * @module
 */

import { applyColormap, colorAt } from "./colormap.ts";
import { composeImage, type Panel, type Tick } from "./image.ts";
import { drawText, GLYPH_HEIGHT, measureText, type RgbaImage } from "./font.ts";
import { encodePng } from "./png.ts";
import type { MrcFile } from "../read/mrc_file.ts";
import { type CoordinateAxis, type LevelCoordinates, niceTicks } from "../read/coordinates.ts";
import { missingTest, valueRange } from "../read/value_range.ts";

/** Options of {@linkcode renderPreview}. */
export interface PreviewOptions {
  /** Value of the first colour. Default: the file's range, `valueRange()`. */
  vmin?: number;
  /** Value of the last colour. Default: the file's range. */
  vmax?: number;
}

/** A coordinate value for a label: at most 4 significant digits. */
const short = (v: number) => String(Number(v.toPrecision(4)));

/** Ticks of an axis drawn in `flip`ped order: at pixel centres, interpolated between samples. */
function axisTicks(axis: CoordinateAxis, flip: boolean, count: number): Tick[] {
  const values = flip ? [...axis.values].reverse() : [...axis.values];
  const n = values.length;
  if (n === 1) return [{ at: 0.5, label: short(values[0]) }];
  const lo = Math.min(values[0], values[n - 1]), hi = Math.max(values[0], values[n - 1]);
  const ticks: Tick[] = [];
  for (const v of niceTicks(lo, hi, count)) {
    for (let k = 0; k + 1 < n; k++) {
      const [a, b] = [values[k], values[k + 1]];
      if (a === b || v < Math.min(a, b) || v > Math.max(a, b)) continue;
      ticks.push({ at: (k + (v - a) / (b - a) + 0.5) / n, label: short(v) });
      break;
    }
  }
  return ticks;
}

/** The values of a level in the orientation of its coordinates (north up, east right). */
function oriented(data: Float32Array, h: number, w: number, c: LevelCoordinates): Float32Array {
  const out = new Float32Array(h * w);
  for (let r = 0; r < h; r++) {
    const i = c.northUp ? h - 1 - r : r;
    for (let j = 0; j < w; j++) out[r * w + j] = data[i * w + (c.eastRight ? j : w - 1 - j)];
  }
  return out;
}

/** Copies `src` into `dst` at `(x, y)`. */
function blit(dst: RgbaImage, src: RgbaImage, x: number, y: number): void {
  for (let r = 0; r < src.height; r++) {
    dst.rgba.set(
      src.rgba.subarray(4 * r * src.width, 4 * (r + 1) * src.width),
      4 * ((y + r) * dst.width + x),
    );
  }
}

/** The title's snapshot part: the date (or coordinate value) and its place among the snapshots. */
function timeText(c: LevelCoordinates, snapshot: number, T: number): string {
  const t = c.time;
  const count = `snapshot ${snapshot + 1} of ${T}`;
  if (!t || t.indexed) return T > 1 ? count : "";
  const what = t.dates?.[0] ?? `${short(t.values[0])}${t.units ? ` ${t.units}` : ""}`;
  return `${t.name ?? "time"} ${what} (${count})`;
}

/** What {@linkcode previewPanels} lays out. */
export interface PreviewPanels {
  /** One panel per level, coarse to fine, in the orientation of the coordinates. */
  levels: Panel[];
  /** Model coding: the mask heat map of each level; empty for bounded files. */
  masks: Panel[];
  /** The colour range, `[vmin, vmax]`. */
  range: [number, number];
  /** The title: variable, units, the snapshot's date, the axes. */
  title: string;
  /** The units of the values, or null. */
  units: string | null;
}

/**
 * The panels of {@linkcode renderPreview}: snapshot `snapshot` of every level in colour, flipped
 * north up when the file's Y coordinate increases, with ticks, and the title.
 *
 * @param file An opened file.
 * @param snapshot The snapshot to show.
 * @param options The colour range (`vmin`, `vmax`); default the file's.
 * @returns The panels, the range and the title.
 * @throws {RangeError} For a snapshot the file does not have, or `vmin >= vmax`.
 */
export async function previewPanels(
  file: MrcFile,
  snapshot: number,
  options: PreviewOptions = {},
): Promise<PreviewPanels> {
  const T = file.header.shape[0];
  if (!Number.isInteger(snapshot) || snapshot < 0 || snapshot >= T) {
    throw new RangeError(
      `Cannot preview snapshot ${snapshot}: the file has snapshots 0 to ${T - 1}`,
    );
  }
  const fileRange = options.vmin === undefined || options.vmax === undefined
    ? await valueRange(file)
    : null;
  const min = options.vmin ?? fileRange!.min, max = options.vmax ?? fileRange!.max;
  if (!(max > min)) {
    throw new RangeError(
      `Cannot preview with vmin ${min} and vmax ${max}: vmin must be below vmax`,
    );
  }
  const missing = missingTest(file.header);
  const levels: Panel[] = [];
  const masks: Panel[] = [];
  const snapshots: [number, number] = [snapshot, snapshot + 1];
  let last: LevelCoordinates | null = null;
  for await (const d of file.progressive({ snapshots })) {
    const [, h, w] = d.shape;
    const c = await file.coordinates(d.level, { snapshots });
    last = c;
    const data = oriented(d.data, h, w, c);
    for (let i = 0; i < data.length; i++) if (missing(data[i])) data[i] = NaN;
    levels.push({
      rgba: applyColormap(data, w, h, { min, max }),
      width: w,
      height: h,
      label: `L${d.level} ${h}x${w}`,
      ticks: {
        left: levels.length === 0 ? axisTicks(c.y, c.northUp, 4) : [],
        bottom: axisTicks(c.x, !c.eastRight, 4),
      },
    });
    // Bounded files have no model, hence no masks to show.
    if (file.header.coding === "bounded") continue;
    const lv = file.header.levels[d.level];
    const [lh, lw] = lv.latent;
    const heat = new Float32Array(lh * lw);
    for (const m of await file.masks(d.level)) for (let i = 0; i < m.length; i++) heat[i] += m[i];
    const flipped = oriented(heat, lh, lw, c);
    masks.push({
      rgba: applyColormap(flipped, lw, lh, { min: 0, max: Math.max(1, lv.groups.length) }),
      width: lw,
      height: lh,
      label: `L${d.level} masks ${lv.groups.length}g`,
    });
  }
  const attributes = await file.readAttributes();
  const variable = attributes?.variable;
  const longName = variable?.attributes.long_name?.value;
  const unitsValue = variable?.attributes.units?.value;
  const units = typeof unitsValue === "string" && unitsValue.trim() ? unitsValue.trim() : null;
  const name = typeof longName === "string" && longName.trim() ? longName.trim() : variable?.name;
  const axesText = last && !last.y.indexed
    ? `  y: ${last.y.name}${last.y.units ? ` (${last.y.units})` : ""}, x: ${last.x.name}${
      last.x.units ? ` (${last.x.units})` : ""
    }`
    : "";
  const title = [name, units ? `[${units}]` : null, last ? timeText(last, snapshot, T) : null]
    .filter(Boolean).join(" ") + axesText;
  return { levels, masks, range: [min, max], title, units };
}

/**
 * Renders snapshot `snapshot` of every level (and the mask heat maps of model coding) into one
 * PNG: {@linkcode previewPanels} side by side, the title above, a colour bar below.
 *
 * @param file An opened file.
 * @param snapshot The snapshot to show.
 * @param options The colour range (`vmin`, `vmax`); default the file's.
 * @returns PNG bytes.
 * @throws {RangeError} For a snapshot the file does not have, or `vmin >= vmax`.
 */
export async function renderPreview(
  file: MrcFile,
  snapshot: number,
  options: PreviewOptions = {},
): Promise<Uint8Array> {
  const { levels, masks, range: [min, max], title, units } = await previewPanels(
    file,
    snapshot,
    options,
  );
  const grid = composeImage([...levels, ...masks], { columns: levels.length, zoom: 2 });
  // Title above, colour bar below, in the grid's font size.
  const zoom = grid.width >= 400 ? 2 : 1;
  const line = GLYPH_HEIGHT * zoom + 8;
  const barW = 128 * zoom;
  const lo = `${short(min)}`, hi = `${short(max)}${units ? ` ${units}` : ""}`;
  const x0 = 8 + measureText(lo, zoom) + 6;
  const width = Math.max(
    grid.width,
    measureText(title, zoom) + 16,
    x0 + barW + 6 + measureText(hi, zoom) + 8,
  );
  const height = line + grid.height + line + 8;
  const image: RgbaImage = { rgba: new Uint8Array(width * height * 4).fill(255), width, height };
  drawText(image, title, 8, 4, { zoom });
  blit(image, grid, 0, line);
  const y0 = line + grid.height + 2;
  drawText(image, lo, 8, y0, { zoom });
  for (let x = 0; x < barW; x++) {
    const [r, g, b] = colorAt(x / Math.max(1, barW - 1));
    for (let y = 0; y < GLYPH_HEIGHT * zoom; y++) {
      image.rgba.set([r, g, b, 255], 4 * ((y0 + y) * width + x0 + x));
    }
  }
  drawText(image, hi, x0 + barW + 6, y0, { zoom });
  return encodePng(image.rgba, image.width, image.height);
}
