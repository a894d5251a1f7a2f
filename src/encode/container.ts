// This module is browser compatible.
/**
 * The last step of model coding: the header that describes what was encoded, and the chunks of
 * the `.mrc` container in the order progressive readers need (SPEC.md §5).
 *
 * @module
 */

import type { MrcHeader } from "../../format/header.ts";
import type { MrcAttributes } from "../../format/attributes.ts";
import { type ByteSink, MrcWriter } from "../../format/writer.ts";
import { streamQuant } from "../model/level_decoder.ts";
import type { MrcaeModel } from "../model/model.ts";
import type { Prepared } from "./prepare.ts";
import type { Steps } from "./rate_control.ts";

/** What the header records besides the model and the prepared data. */
export interface HeaderOptions {
  blockSize: number;
  dtype: "float32" | "float64";
  /** The value that marked missing data, if one did (besides NaN). */
  fillValue?: number;
  /** The shape as the caller gave it: `[H, W]` is recorded (version 1.1), `[T, H, W]` is implied. */
  inputShape: readonly number[];
}

/** The `MHDR` header of a compressed file. */
export function makeHeader(
  model: MrcaeModel,
  prepared: Prepared,
  steps: Steps,
  options: HeaderOptions,
): MrcHeader {
  const g = prepared.geometry;
  const missingMode = prepared.missingCount === 0
    ? "none"
    : options.fillValue !== undefined
    ? "fill"
    : "nan";
  const header: MrcHeader = {
    shape: g.shape,
    dtype: options.dtype,
    grid: g.grid,
    crop: g.crop,
    padMode: g.padMode,
    normalization: prepared.normalization,
    blockSize: options.blockSize,
    levels: model.levels.map((lv, k) => {
      const groups = lv.groups.map((gr) => gr.channels);
      return {
        grid: lv.grid,
        latent: lv.latent,
        groups,
        quant: streamQuant(steps[k], groups, k === 0),
      };
    }),
    quantization: "uniform-midtread",
    missing: {
      mode: missingMode,
      fillValue: missingMode === "fill" ? options.fillValue! : null,
      count: prepared.missingCount,
    },
  };
  if (options.inputShape.length !== 3) header.inputShape = [...options.inputShape];
  return header;
}

/**
 * Writes the whole file: header, report, missing mask, then per level its weights, masks and
 * code blocks.
 *
 * @returns The file size in bytes.
 */
export async function writeContainer(
  sink: ByteSink | WritableStream<Uint8Array>,
  header: MrcHeader,
  meta: Record<string, unknown>,
  model: MrcaeModel,
  missing: Uint8Array | null,
  quantized: Int32Array[][],
  attributes?: MrcAttributes,
): Promise<number> {
  const writer = new MrcWriter(sink);
  await writer.writeHeader(header);
  await writer.writeMeta(meta);
  if (attributes) await writer.writeAttributes(attributes);
  if (missing) await writer.writeMissingMask(missing);
  const T = header.shape[0];
  const blockSize = header.blockSize;
  for (let k = 0; k < model.levels.length; k++) {
    const lv = model.levels[k];
    await writer.writeLevelWeights(k, lv);
    await writer.writeMasks(k, lv.groups.map((g) => g.mask));
    const streams = quantized[k];
    const sizes = streams.map((s) => s.length / T);
    for (let b = 0, first = 0; first < T; b++, first += blockSize) {
      const n = Math.min(blockSize, T - first);
      const block = streams.map((s, i) => s.subarray(first * sizes[i], (first + n) * sizes[i]));
      await writer.writeCodeBlock(k, b, { snapshotCount: n, streams: block });
    }
  }
  return await writer.finish();
}
