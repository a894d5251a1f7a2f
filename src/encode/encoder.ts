// This module is browser compatible.
/**
 * Model coding's encoding with a trained model: the real-valued latent codes of every snapshot, in stream order.
 *
 * @module
 */

import { conv3s2, maskPositions } from "../model/ops.ts";
import type { MrcaeModel } from "../model/model.ts";
import { type LevelDecoderParts, levelDecoderParts } from "../model/level_decoder.ts";
import { streamLayout } from "../../format/geometry.ts";

/**
 * Runs the encoder over `T` snapshots on the finest grid and returns the real
 * valued codes of every level, one array per stream (see `streamSizes()`),
 * each snapshot-major.
 */
export function encodeCodes(
  model: MrcaeModel,
  data: Float32Array,
  count: number,
): Float32Array[][] {
  const levels = model.levels;
  const n = levels.length;
  const positions = levels.map((lv) => lv.groups.map((g) => maskPositions(g.mask)));
  const layouts = levels.map((lv, k) => streamLayout(lv.groups.map((g) => g.channels), k === 0));
  const streams: Float32Array[][] = levels.map((lv, k) =>
    layouts[k].groupOf.map((g) =>
      new Float32Array(count * (g < 0 ? lv.latent[0] * lv.latent[1] : positions[k][g].length))
    )
  );
  const [fh, fw] = levels[n - 1].grid;
  const hs = levels.map((lv) => new Float32Array(lv.grid[0] * lv.grid[1]));
  const latent = levels.map((lv) => new Float32Array(lv.latent[0] * lv.latent[1]));
  for (let t = 0; t < count; t++) {
    hs[n - 1].set(data.subarray(t * fh * fw, (t + 1) * fh * fw));
    for (let k = n - 1; k >= 0; k--) {
      const lv = levels[k];
      const [h, w] = lv.grid;
      const [lh, lw] = lv.latent;
      const layout = layouts[k];
      if (layout.base === null) conv3s2(hs[k], h, w, lv.conv.kernel, lv.conv.bias, hs[k - 1]);
      else {
        conv3s2(hs[0], h, w, lv.conv.kernel, lv.conv.bias, latent[0]);
        streams[0][layout.base].set(latent[0], t * lh * lw);
      }
      lv.groups.forEach((g, gi) => {
        const pos = positions[k][gi];
        for (let c = 0; c < g.channels; c++) {
          conv3s2(hs[k], h, w, g.convKernels.subarray(9 * c, 9 * c + 9), g.convBias[c], latent[k]);
          const dst = streams[k][layout.groupStart[gi] + c];
          const off = t * pos.length;
          for (let i = 0; i < pos.length; i++) dst[off + i] = latent[k][pos[i]];
        }
      });
    }
  }
  return streams;
}

/** Decoder parts of a model, for real-valued codes (every step 1). */
export function decoderParts(model: MrcaeModel): LevelDecoderParts[] {
  return model.levels.map((lv, k) =>
    levelDecoderParts(lv, { base: k === 0 ? 1 : null, groups: lv.groups.map(() => 1) })
  );
}
