// This module is browser compatible.
/**
 * The decode engine of model files: per level its `DECW` and `MASK` (the decoder), then the
 * `CODE` blocks of the range, through `decodeLevel()` of `src/model/`.
 *
 * @module
 */

import {
  CHUNK_TYPES,
  type ChunkValues,
  type DecodedCodeBlock,
  type LevelWeights,
} from "../../format/chunks.ts";
import type { MrcHeader } from "../../format/header.ts";
import {
  checkStreams,
  decodeLevel,
  fileLevelParts,
  type LevelDecoderParts,
  streamSizes,
} from "../model/level_decoder.ts";
import { type DecodeRequest, modelBudget } from "./_budget.ts";
import { EngineBase, type EngineChunk } from "./_engine.ts";
import {
  type DecodedLevel,
  decodedLevel,
  denormalize,
  finishLevel,
  type LevelExtent,
  levelExtent,
  restoreMissing,
} from "./output.ts";

/**
 * Level decoders already built, by the `DECW` value they come from: `MrcFile` reads a level's
 * `DECW` and `MASK` once and hands the same values to every request's engine, so the decoder
 * (its mask positions) is built once per file, not once per decode.
 */
const built = new WeakMap<LevelWeights, { masks: Uint8Array[]; parts: LevelDecoderParts }>();

/** The decoder of level `k` from its weights and masks, reused when they were seen before. */
function levelParts(
  header: MrcHeader,
  k: number,
  weights: LevelWeights,
  masks: Uint8Array[],
): LevelDecoderParts {
  const hit = built.get(weights);
  if (hit !== undefined && hit.masks === masks) return hit.parts;
  const parts = fileLevelParts(header, k, weights, masks);
  built.set(weights, { masks, parts });
  return parts;
}

/**
 * Decodes a model file's request. Every level (`every`): level by level, each block of the range
 * decoded as it arrives on the previous level's output. One level: the decoders of levels
 * `0..level`, then per block the `CODE` chunks of every level, one snapshot at a time through
 * every level so that the coarse planes stay in cache and the finest is written once.
 */
export class ModelEngine extends EngineBase {
  #maxBytes: number;
  #weights: LevelWeights[] = [];
  #parts: LevelDecoderParts[] = [];
  #values: number[] = [];
  /** `every`: the previous level's normalized output, and this level's. */
  #prev: Float32Array | null = null;
  #out: Float32Array | null = null;
  /** One level: the output, one scratch plane per level and the current block's streams. */
  #extent: LevelExtent | null = null;
  #data: Float32Array | null = null;
  #scratch: Float32Array[] = [];
  #blocks: Int32Array[][] = [];

  constructor(header: MrcHeader, request: DecodeRequest, maxBytes: number) {
    super(header, request, maxBytes, (first, last) => {
      const needs: EngineChunk[] = [];
      const decoder = (k: number) =>
        needs.push(
          { type: CHUNK_TYPES.levelWeights, level: k, block: null },
          { type: CHUNK_TYPES.masks, level: k, block: null },
        );
      const code = (k: number, b: number) =>
        needs.push({ type: CHUNK_TYPES.code, level: k, block: b });
      if (request.every) {
        for (let k = 0; k <= request.level; k++) {
          decoder(k);
          for (let b = first; b <= last; b++) code(k, b);
        }
      } else {
        for (let k = 0; k <= request.level; k++) decoder(k);
        for (let b = first; b <= last; b++) {
          for (let k = 0; k <= request.level; k++) code(k, b);
        }
      }
      return needs;
    });
    this.#maxBytes = maxBytes;
  }

  accept(chunk: EngineChunk, value: ChunkValues[keyof ChunkValues]): DecodedLevel | null {
    const k = chunk.level;
    if (chunk.type === CHUNK_TYPES.levelWeights) {
      this.#weights[k] = value as LevelWeights;
      return null;
    }
    if (chunk.type === CHUNK_TYPES.masks) {
      this.#levelDecoder(k, value as Uint8Array[]);
      return null;
    }
    const block = value as DecodedCodeBlock;
    checkStreams(block.streams, block.snapshotCount, this.#parts[k], k, chunk.block!);
    return this.request.every
      ? this.#everyLevel(k, chunk.block!, block.streams)
      : this.#oneLevel(k, chunk.block!, block.streams);
  }

  /** A level's decoder from its weights and masks; then what it will hold is checked. */
  #levelDecoder(k: number, masks: Uint8Array[]): void {
    const h = this.header;
    const parts = levelParts(h, k, this.#weights[k], masks);
    this.#parts[k] = parts;
    this.#values[k] = streamSizes(parts, k).reduce((a, b) => a + b, 0);
    // Everything below is sized by the header and masks: checked before it is allocated.
    modelBudget(h, this.request, this.#values, k, this.#maxBytes);
    const { level, start, end, every } = this.request;
    if (every) {
      this.#out = new Float32Array((end - start) * parts.grid[0] * parts.grid[1]);
    } else if (k === level) {
      const e = levelExtent(h, level);
      this.#extent = e;
      this.#data = new Float32Array((end - start) * e.nr * e.nc);
      this.#scratch = this.#parts.map((p) => new Float32Array(p.grid[0] * p.grid[1]));
    }
  }

  #everyLevel(k: number, b: number, streams: Int32Array[]): DecodedLevel | null {
    const h = this.header, bs = h.blockSize;
    const { start, end } = this.request;
    const parts = this.#parts[k];
    const plane = parts.grid[0] * parts.grid[1];
    const prevPlane = parts.latent[0] * parts.latent[1];
    const first = Math.max(start, b * bs), last = Math.min(end, (b + 1) * bs);
    const prev = this.#prev;
    decodeLevel(
      parts,
      k,
      prev === null ? null : prev.subarray((first - start) * prevPlane, (last - start) * prevPlane),
      streams,
      first - b * bs,
      last - first,
      this.#out!.subarray((first - start) * plane, (last - start) * plane),
    );
    if (b !== this.last) return null;
    this.#prev = this.#out;
    return finishLevel(h, k, this.#out!, start, end, this.missing);
  }

  #oneLevel(k: number, b: number, streams: Int32Array[]): DecodedLevel | null {
    const { level, start, end } = this.request;
    this.#blocks[k] = streams;
    if (k !== level) return null;
    const h = this.header, bs = h.blockSize;
    const e = this.#extent!, data = this.#data!, scratch = this.#scratch;
    const planeOut = e.nr * e.nc;
    const first = Math.max(start, b * bs), last = Math.min(end, (b + 1) * bs);
    for (let t = first; t < last; t++) {
      const dst = data.subarray((t - start) * planeOut, (t - start + 1) * planeOut);
      for (let j = 0; j <= level; j++) {
        // A whole finest plane is decoded in place in the output.
        const out = j === level && e.whole ? dst : scratch[j];
        decodeLevel(
          this.#parts[j],
          j,
          j === 0 ? null : scratch[j - 1],
          this.#blocks[j],
          t - b * bs,
          1,
          out,
        );
      }
      denormalize(h, e, e.whole ? dst : scratch[level], dst, 1);
    }
    if (b !== this.last) return null;
    if (this.missing) restoreMissing(h, e, data, start, end - start, this.missing);
    return decodedLevel(level, start, end, e, data);
  }
}
