/**
 * The `preview` picture: one snapshot at every level side by side, and the mask heat maps of
 * every level (how many widening groups cover each latent position), as in the paper's
 * Fig. 5 b/c.
 *
 * @module
 */

import { applyColormap } from "./colormap.ts";
import { composeImage, type Panel } from "./image.ts";
import { encodePng } from "./png.ts";
import type { MrcFile } from "../read/mrc_file.ts";

/**
 * Renders snapshot `snapshot` of every level and the mask heat maps into one PNG.
 *
 * @param file An opened file.
 * @param snapshot The snapshot to show.
 * @returns PNG bytes.
 */
export async function renderPreview(file: MrcFile, snapshot: number): Promise<Uint8Array> {
  const T = file.header.shape[0];
  if (!Number.isInteger(snapshot) || snapshot < 0 || snapshot >= T) {
    throw new RangeError(
      `Cannot preview snapshot ${snapshot}: the file has snapshots 0 to ${T - 1}`,
    );
  }
  const levels: Panel[] = [];
  const masks: Panel[] = [];
  let min = Infinity, max = -Infinity;
  const decoded = [];
  for await (const level of file.progressive({ snapshots: [snapshot, snapshot + 1] })) {
    decoded.push(level);
    for (const v of level.data) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  for (const d of decoded) {
    const [, h, w] = d.shape;
    levels.push({
      rgba: applyColormap(d.data, w, h, { min, max }),
      width: w,
      height: h,
      label: `L${d.level} ${h}x${w}`,
    });
    // Bounded files have no model, hence no masks to show.
    if (file.header.coding === "bounded") continue;
    const lv = file.header.levels[d.level];
    const [lh, lw] = lv.latent;
    const heat = new Float32Array(lh * lw);
    for (const m of await file.masks(d.level)) for (let i = 0; i < m.length; i++) heat[i] += m[i];
    masks.push({
      rgba: applyColormap(heat, lw, lh, { min: 0, max: Math.max(1, lv.groups.length) }),
      width: lw,
      height: lh,
      label: `L${d.level} masks ${lv.groups.length}g`,
    });
  }
  const image = composeImage([...levels, ...masks], { columns: decoded.length, zoom: 2 });
  return encodePng(image.rgba, image.width, image.height);
}
