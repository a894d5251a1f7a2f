// This module is browser compatible.
/**
 * Lay several RGBA images out in one: {@linkcode composeImage} puts panels (a colormapped field
 * from `./colormap.ts`, say) on a grid, each stretched to a common cell and titled with the
 * built-in font of `./font.ts`. The output feeds `encodePng` from `./png.ts`.
 *
 * @example A labelled preview of two fields
 * ```ts
 * import { applyColormap } from "./colormap.ts";
 * import { composeImage } from "./image.ts";
 * import assert from "node:assert";
 *
 * const coarse = applyColormap(new Float32Array(9).map((_, i) => i), 3, 3);
 * const fine = applyColormap(new Float32Array(49).map((_, i) => i), 7, 7);
 * const image = composeImage([
 *   { rgba: coarse, width: 3, height: 3, label: "level 0 3x3" },
 *   { rgba: fine, width: 7, height: 7, label: "level 1 7x7" },
 * ], { columns: 2, gap: 4, zoom: 10 });
 * assert.strictEqual(image.rgba.length, image.width * image.height * 4);
 * ```
 *
 * @module
 */

import { drawText, GLYPH_HEIGHT, measureText, type RgbaImage } from "./font.ts";

/** One tick of a panel's axis: where (a fraction of the panel, 0 = top or left) and its label. */
export interface Tick {
  /** Position along the axis, 0 (top, left edge) to 1 (bottom, right edge). */
  at: number;
  /** The text beside the tick. */
  label: string;
}

/** One panel of {@linkcode composeImage}. */
export interface Panel extends RgbaImage {
  /** A title drawn above the panel with the built-in font. */
  label?: string;
  /** Ticks of a vertical axis on the left of the panel and a horizontal one below it. */
  ticks?: { left?: Tick[]; bottom?: Tick[] };
}

/** Options of {@linkcode composeImage}. */
export interface ComposeOptions {
  /** Panels per row. Default: `min(panels.length, 4)`. */
  columns?: number;
  /** Pixels of white between panels and around the edge. Default 8. */
  gap?: number;
  /**
   * Every panel is stretched (nearest neighbour) to fit a cell of
   * `zoom * (largest panel width) x zoom * (largest panel height)`, so a
   * coarse level shows as large as the finest one. Default 1.
   */
  zoom?: number;
  /** Magnification of the label font (glyphs are 5x7 at 1). Default 1, or 2 when cells are >= 200 px wide. */
  textZoom?: number;
}

/**
 * Lay panels out in a grid on a white background, each stretched
 * (nearest-neighbour) to a common cell size and optionally titled.
 *
 * @param panels The panels (RGBA), in reading order.
 * @param options Columns, gap, cell zoom and font size.
 * @returns The composed RGBA image.
 * @throws {TypeError} When a panel's buffer does not match its size, or there are no panels.
 *
 * @example A 31x31 panel is shown as large as a 127x127 one
 * ```ts
 * import { composeImage } from "./image.ts";
 * import assert from "node:assert";
 *
 * const image = composeImage([
 *   { rgba: new Uint8Array(31 * 31 * 4), width: 31, height: 31 },
 *   { rgba: new Uint8Array(127 * 127 * 4), width: 127, height: 127 },
 * ], { columns: 2, gap: 0, zoom: 1 });
 * assert.strictEqual(image.width, 254);
 * assert.strictEqual(image.height, 127);
 * ```
 */
export function composeImage(panels: Panel[], options: ComposeOptions = {}): RgbaImage {
  if (panels.length === 0) throw new TypeError("Cannot compose image: no panels");
  for (const p of panels) {
    if (p.rgba.length !== p.width * p.height * 4) {
      throw new TypeError(
        `Cannot compose image: panel ${p.width}x${p.height} needs ${
          p.width * p.height * 4
        } RGBA bytes, found ${p.rgba.length}`,
      );
    }
  }
  const columns = Math.max(1, Math.floor(options.columns ?? Math.min(panels.length, 4)));
  const gap = Math.max(0, Math.floor(options.gap ?? 8));
  const zoom = options.zoom ?? 1;
  const cellW = Math.max(1, Math.round(zoom * Math.max(...panels.map((p) => p.width))));
  const cellH = Math.max(1, Math.round(zoom * Math.max(...panels.map((p) => p.height))));
  const textZoom = options.textZoom ?? (cellW >= 200 ? 2 : 1);
  const hasLabels = panels.some((p) => p.label);
  const labelH = hasLabels ? GLYPH_HEIGHT * textZoom + 2 * textZoom + 2 : 0;
  // Axes: room for the widest left label and a line of bottom labels, with 4 px ticks.
  const lefts = panels.flatMap((p) => p.ticks?.left ?? []);
  const bottoms = panels.flatMap((p) => p.ticks?.bottom ?? []);
  const axisLeft = lefts.length
    ? Math.max(...lefts.map((t) => measureText(t.label, textZoom))) + 8
    : 0;
  const axisBottom = bottoms.length ? GLYPH_HEIGHT * textZoom + 8 : 0;
  const rows = Math.ceil(panels.length / columns);
  const width = columns * (axisLeft + cellW) + (columns + 1) * gap;
  const height = rows * (cellH + labelH + axisBottom) + (rows + 1) * gap;
  const image: RgbaImage = { rgba: new Uint8Array(width * height * 4).fill(255), width, height };
  const dot = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    image.rgba.set([0, 0, 0, 255], 4 * (y * width + x));
  };

  panels.forEach((panel, n) => {
    const x0 = gap + (n % columns) * (axisLeft + cellW + gap) + axisLeft;
    const y0 = gap + Math.floor(n / columns) * (cellH + labelH + axisBottom + gap);
    if (panel.label) drawText(image, panel.label, x0, y0 + 1, { zoom: textZoom });
    // Fit the panel into the cell keeping its aspect ratio, then sample nearest neighbours.
    const fit = Math.min(cellW / panel.width, cellH / panel.height);
    const w = Math.max(1, Math.round(panel.width * fit));
    const h = Math.max(1, Math.round(panel.height * fit));
    const top = y0 + labelH;
    for (let y = 0; y < h; y++) {
      const sy = Math.min(panel.height - 1, Math.floor((y * panel.height) / h));
      for (let x = 0; x < w; x++) {
        const sx = Math.min(panel.width - 1, Math.floor((x * panel.width) / w));
        const src = 4 * (sy * panel.width + sx);
        const dst = 4 * ((top + y) * width + x0 + x);
        image.rgba[dst] = panel.rgba[src];
        image.rgba[dst + 1] = panel.rgba[src + 1];
        image.rgba[dst + 2] = panel.rgba[src + 2];
        image.rgba[dst + 3] = panel.rgba[src + 3];
      }
    }
    const glyphH = GLYPH_HEIGHT * textZoom;
    for (const t of panel.ticks?.left ?? []) {
      const y = Math.min(top + h - 1, Math.round(top + t.at * h));
      for (let x = x0 - 4; x < x0; x++) dot(x, y);
      const x = x0 - 6 - measureText(t.label, textZoom);
      drawText(image, t.label, x, y - Math.floor(glyphH / 2), { zoom: textZoom });
    }
    for (const t of panel.ticks?.bottom ?? []) {
      const x = Math.min(x0 + w - 1, Math.round(x0 + t.at * w));
      for (let y = top + h; y < top + h + 4; y++) dot(x, y);
      const tw = measureText(t.label, textZoom);
      const left = Math.max(x0 - axisLeft, Math.min(x0 + cellW - tw, x - Math.floor(tw / 2)));
      drawText(image, t.label, left, top + h + 6, { zoom: textZoom });
    }
  });
  return image;
}
