// This module is browser compatible.
/**
 * Reading `.mrc` files: open a source (bytes, a path, a URL, any range source),
 * read its header, levels and report, decode any level for any frame range,
 * reading only the chunks that hold it, or decode a stream progressively.
 *
 * Nothing here imports TensorFlow.js.
 *
 * @module
 */

import { openMrc as openContainer } from "../../format/reader.ts";
import { readMrcStream } from "../../format/stream_reader.ts";
import { fromBytes, fromFileHandle, fromUrl, type RangeSource } from "../../format/source.ts";
import type { MrcHeader } from "../../format/header.ts";
import type { LevelWeights } from "../../format/level_weights.ts";
import { decodeMasks } from "../../format/masks.ts";
import { decodeLevelWeights } from "../../format/level_weights.ts";
import { decodeCodeBlock } from "../../format/code_block.ts";
import { decodeMissingMask } from "../../format/missing_mask.ts";
import { decodeHeader } from "../../format/header.ts";
import { MrcFormatError } from "../../format/error.ts";
import { decodeLevel, type LevelDecoderParts } from "../codec/level_decoder.ts";
import { maskPositions } from "../codec/ops.ts";
import { finestIndex, levelCrop } from "../encode/prepare.ts";
import type { StoredReport } from "../encode/compress.ts";

/** One decoded level for a range of snapshots, in original units. */
export interface DecodedLevel {
  /** The level, 0 = coarsest. */
  level: number;
  /** `[first, end)` snapshot range. */
  frames: [number, number];
  /** `[frames, rows, cols]`: the original extent sampled at this level's resolution. */
  shape: [number, number, number];
  /** Values, C order. Missing values come back as NaN (or the fill value the file records). */
  data: Float32Array;
  /** The original-grid row that each output row samples (every `2^(N-1-k)`-th row). */
  rows: Int32Array;
  /** The original-grid column that each output column samples. */
  cols: Int32Array;
}

/** Options of {@linkcode MrcFile.decode}. */
export interface DecodeOptions {
  /** Level to decode. Default: the finest. */
  level?: number;
  /** Snapshot range `[start, end)`. Default: all snapshots. */
  frames?: [number, number];
  /** Cancels pending reads. */
  signal?: AbortSignal;
}

/** Summary of one level. */
export interface LevelInfo {
  level: number;
  /** Stored grid of the level `[h, w]`. */
  storedGrid: [number, number];
  /** Decoded grid over the original extent `[rows, cols]`. */
  grid: [number, number];
  /** Channels of each widening group. */
  groups: number[];
  /** Bytes of this level's chunks (weights, masks, codes). */
  bytes: { weights: number; masks: number; codes: number; total: number };
  /** Error after quantization from the file's report, original units (null when absent). */
  rmse: number | null;
  psnr: number | null;
  maxAbsError: number | null;
}

type Container = Awaited<ReturnType<typeof openContainer>>;

/** Everything decoding needs from the chunks read so far. */
class LevelCache {
  parts: LevelDecoderParts[] = [];
  missing: Uint8Array | null | undefined = undefined;
}

/** A `.mrc` file opened for random access. Obtain one with {@linkcode openMrc}. */
export class MrcFile {
  readonly #container: Container;
  readonly #cache = new LevelCache();
  /** The validated header. */
  readonly header: MrcHeader;
  /** The compression report stored in the file, or null. */
  readonly report: StoredReport | null;

  constructor(container: Container) {
    this.#container = container;
    this.header = container.header;
    this.report = (container.meta as StoredReport | null) ?? null;
  }

  /** Total bytes of the file. */
  get totalBytes(): number {
    return this.#container.byteLength;
  }

  /** Every chunk of the file, in file order. */
  get chunks(): {
    type: string;
    level: number | null;
    block: number | null;
    offset: number;
    length: number;
  }[] {
    return this.#container.chunks.map((c) => ({ ...c }));
  }

  /** Number of levels. */
  get levelCount(): number {
    return this.header.levels.length;
  }

  /** Per-level summary: grids, bytes, errors from the report. */
  get levels(): LevelInfo[] {
    const h = this.header;
    const n = h.levels.length;
    return h.levels.map((lv, k) => {
      const bytes = { weights: 0, masks: 0, codes: 0, total: 0 };
      for (const c of this.#container.chunks) {
        if (c.level !== k) continue;
        if (c.type === "DECW") bytes.weights += c.length;
        else if (c.type === "MASK") bytes.masks += c.length;
        else if (c.type === "CODE") bytes.codes += c.length;
        bytes.total += c.length;
      }
      const s = 2 ** (n - 1 - k);
      const err = this.report?.levels?.[k];
      return {
        level: k,
        storedGrid: lv.grid,
        grid: [levelCrop(h.crop[0], h.shape[1], s)[1], levelCrop(h.crop[1], h.shape[2], s)[1]],
        groups: lv.groups,
        bytes,
        rmse: err?.rmse ?? null,
        psnr: err?.psnr ?? null,
        maxAbsError: err?.maxAbsError ?? null,
      };
    });
  }

  /** Masks of every group of `level` (latent grid, row-major), read on demand. */
  async masks(level: number, options: { signal?: AbortSignal } = {}): Promise<Uint8Array[]> {
    this.#checkLevel(level);
    return await this.#container.readMasks(level, options);
  }

  /** Reads every chunk and verifies its checksum and contents; rejects with MrcFormatError on the first bad one. */
  async verify(options: { signal?: AbortSignal } = {}): Promise<void> {
    for (const entry of this.#container.chunks) {
      await this.#container.readChunk(entry, options);
    }
    await this.#missing(options);
    for (let k = 0; k < this.levelCount; k++) {
      await this.#parts(k, options);
      for (let b = 0; b < blockCount(this.header); b++) {
        await this.#container.readCodeBlock(k, b, options);
      }
    }
  }

  /**
   * Decodes one level for a snapshot range, reading only the chunks of levels `<= level`
   * and the code blocks that hold the range.
   */
  async decode(options: DecodeOptions = {}): Promise<DecodedLevel> {
    const level = options.level ?? this.levelCount - 1;
    this.#checkLevel(level);
    const [start, end] = this.#checkFrames(options.frames);
    const { signal } = options;
    const parts: LevelDecoderParts[] = [];
    for (let k = 0; k <= level; k++) parts.push(await this.#parts(k, { signal }));
    const missing = await this.#missing(options);
    // One snapshot at a time through every level, so that the coarse planes (and the finest one,
    // until it is de-normalized) stay in cache: the finest level is written to memory once,
    // instead of once per pass (deconv, scatter, crop and de-normalize) over every snapshot.
    const e = levelExtent(this.header, level);
    const frames = end - start;
    const data = new Float32Array(frames * e.nr * e.nc);
    const planeOut = e.nr * e.nc;
    const scratch = parts.map((p) => new Float32Array(p.grid[0] * p.grid[1]));
    const bs = this.header.blockSize;
    for (let b = Math.floor(start / bs); b * bs < end; b++) {
      const blocks: Int32Array[][] = [];
      for (let k = 0; k <= level; k++) {
        const block = await this.#container.readCodeBlock(k, b, { signal });
        checkStreams(block.streams, block.snapshots, parts[k], k, b);
        blocks.push(block.streams);
      }
      const first = Math.max(start, b * bs), last = Math.min(end, (b + 1) * bs);
      for (let t = first; t < last; t++) {
        const dst = data.subarray((t - start) * planeOut, (t - start + 1) * planeOut);
        for (let k = 0; k <= level; k++) {
          // A whole finest plane is decoded in place in the output.
          const out = k === level && e.whole ? dst : scratch[k];
          decodeLevel(parts[k], k, k === 0 ? null : scratch[k - 1], blocks[k], t - b * bs, 1, out);
        }
        denormalize(this.header, e, e.whole ? dst : scratch[level], dst, 1);
      }
    }
    if (missing) restoreMissing(this.header, e, data, start, frames, missing);
    return {
      level,
      frames: [start, end],
      shape: [frames, e.nr, e.nc],
      data,
      rows: e.rows,
      cols: e.cols,
    };
  }

  /** Decodes every level in turn, coarse to fine, for a snapshot range (each level reuses the previous one). */
  async *progressive(options: Omit<DecodeOptions, "level"> = {}): AsyncGenerator<DecodedLevel> {
    const [start, end] = this.#checkFrames(options.frames);
    let prev: Float32Array | null = null;
    for (let k = 0; k < this.levelCount; k++) {
      prev = await this.#decodeNormalized(k, prev, start, end, options.signal);
      yield finishLevel(this.header, k, prev, start, end, await this.#missing(options));
    }
  }

  async #decodeNormalized(
    level: number,
    prev: Float32Array | null,
    start: number,
    end: number,
    signal?: AbortSignal,
  ): Promise<Float32Array> {
    const parts = await this.#parts(level, { signal });
    const bs = this.header.blockSize;
    const plane = parts.grid[0] * parts.grid[1];
    const prevPlane = parts.latent[0] * parts.latent[1];
    const out = new Float32Array((end - start) * plane);
    for (let b = Math.floor(start / bs); b * bs < end; b++) {
      const block = await this.#container.readCodeBlock(level, b, { signal });
      const first = Math.max(start, b * bs), last = Math.min(end, (b + 1) * bs);
      checkStreams(block.streams, block.snapshots, parts, level, b);
      decodeLevel(
        parts,
        level,
        prev === null
          ? null
          : prev.subarray((first - start) * prevPlane, (last - start) * prevPlane),
        block.streams,
        first - b * bs,
        last - first,
        out.subarray((first - start) * plane, (last - start) * plane),
      );
    }
    return out;
  }

  async #parts(level: number, options: { signal?: AbortSignal }): Promise<LevelDecoderParts> {
    const cached = this.#cache.parts[level];
    if (cached) return cached;
    const weights = await this.#container.readLevelWeights(level, options);
    const masks = await this.#container.readMasks(level, options);
    const parts = makeParts(this.header, level, weights, masks);
    this.#cache.parts[level] = parts;
    return parts;
  }

  async #missing(options: { signal?: AbortSignal }): Promise<Uint8Array | null> {
    if (this.#cache.missing !== undefined) return this.#cache.missing;
    let mask: Uint8Array | null = null;
    if (this.header.missing.mode !== "none") {
      const stored = await this.#container.readMissingMask(options);
      if (stored === null) {
        throw new MrcFormatError(
          "Cannot read the missing-value mask: the header counts missing values but the file has no NANM chunk",
          { chunkType: "NANM" },
        );
      }
      mask = expandMissing(this.header, stored);
    }
    this.#cache.missing = mask;
    return mask;
  }

  #checkLevel(level: number): void {
    if (!Number.isInteger(level) || level < 0 || level >= this.levelCount) {
      throw new RangeError(
        `Cannot decode level ${level}: the file has levels 0 to ${this.levelCount - 1}`,
      );
    }
  }

  #checkFrames(frames?: [number, number]): [number, number] {
    const T = this.header.shape[0];
    if (frames === undefined) return [0, T];
    const [a, b] = frames;
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b > T || a >= b) {
      throw new RangeError(`Cannot decode frames ${a}:${b}: the file has frames 0:${T}`);
    }
    return [a, b];
  }
}

function blockCount(h: MrcHeader): number {
  return Math.ceil(h.shape[0] / h.blockSize);
}

function makeParts(
  h: MrcHeader,
  level: number,
  weights: LevelWeights,
  masks: Uint8Array[],
): LevelDecoderParts {
  const lv = h.levels[level];
  return {
    grid: lv.grid,
    latent: lv.latent,
    deconv: weights.deconv,
    groups: weights.groups.map((g, i) => ({
      channels: lv.groups[i],
      deconvKernels: g.deconvKernels,
      deconvBias: g.deconvBias,
      positions: maskPositions(masks[i]),
    })),
    baseStep: lv.quant.base,
    groupSteps: lv.quant.groups,
  };
}

/** Checks a decoded CODE block against what the header and masks say it must hold. */
function checkStreams(
  streams: Int32Array[],
  snapshots: number,
  parts: LevelDecoderParts,
  level: number,
  block: number,
): void {
  const sizes: number[] = [];
  if (level === 0) sizes.push(parts.latent[0] * parts.latent[1]);
  for (const g of parts.groups) for (let c = 0; c < g.channels; c++) sizes.push(g.positions.length);
  const ok = streams.length === sizes.length &&
    streams.every((s, i) => s.length === sizes[i] * snapshots);
  if (!ok) {
    throw new MrcFormatError(
      `Cannot decode chunk "CODE" of level ${level}, block ${block}: its streams disagree with the header and masks (expected ${sizes.length} streams of ${
        sizes.join(", ")
      } values per snapshot)`,
      { chunkType: "CODE" },
    );
  }
}

/** The missing mask as `T * H * W` (or `H * W` shared). */
function expandMissing(h: MrcHeader, m: { shared: boolean; mask: Uint8Array }): Uint8Array {
  if (!m.shared) return m.mask;
  const [T, H, W] = h.shape;
  const out = new Uint8Array(T * H * W);
  for (let t = 0; t < T; t++) out.set(m.mask, t * H * W);
  return out;
}

/** Where a level's stored grid meets the original extent. */
interface LevelExtent {
  /** Stored grid `[gh, gw]`. */
  grid: [number, number];
  /** First stored row and column inside the extent, and how many. */
  r0: number;
  nr: number;
  c0: number;
  nc: number;
  /** Original-grid row (column) that each output row (column) samples. */
  rows: Int32Array;
  cols: Int32Array;
  /** True when the stored grid is exactly the extent (no crop). */
  whole: boolean;
}

function levelExtent(h: MrcHeader, level: number): LevelExtent {
  const s = 2 ** (h.levels.length - 1 - level);
  const [, H, W] = h.shape;
  const [top, left] = h.crop;
  const [gh, gw] = h.levels[level].grid;
  const [r0, nr] = levelCrop(top, H, s);
  const [c0, nc] = levelCrop(left, W, s);
  const rows = new Int32Array(nr);
  for (let i = 0; i < nr; i++) rows[i] = clamp(finestIndex(r0 + i, s) - top, H);
  const cols = new Int32Array(nc);
  for (let j = 0; j < nc; j++) cols[j] = clamp(finestIndex(c0 + j, s) - left, W);
  const whole = r0 === 0 && c0 === 0 && nr === gh && nc === gw;
  return { grid: [gh, gw], r0, nr, c0, nc, rows, cols, whole };
}

/**
 * Crops `frames` stored planes of `normalized` to the extent and de-normalizes them into `data`
 * (which may be `normalized` itself when the level is whole).
 */
function denormalize(
  h: MrcHeader,
  e: LevelExtent,
  normalized: Float32Array,
  data: Float32Array,
  frames: number,
): void {
  const { offset, scale } = h.normalization;
  if (e.whole) {
    // No crop: one pass over contiguous planes.
    const n = frames * e.nr * e.nc;
    for (let i = 0; i < n; i++) data[i] = normalized[i] * scale + offset;
    return;
  }
  const { r0, nr, c0, nc } = e;
  const [gh, gw] = e.grid;
  for (let t = 0; t < frames; t++) {
    for (let i = 0; i < nr; i++) {
      const src = t * gh * gw + (r0 + i) * gw + c0;
      const dst = (t * nr + i) * nc;
      for (let j = 0; j < nc; j++) data[dst + j] = normalized[src + j] * scale + offset;
    }
  }
}

/** Puts the hole value (NaN or the file's fill value) wherever the original data was missing. */
function restoreMissing(
  h: MrcHeader,
  e: LevelExtent,
  data: Float32Array,
  start: number,
  frames: number,
  missing: Uint8Array,
): void {
  const [, H, W] = h.shape;
  const { nr, nc, rows, cols } = e;
  const hole = h.missing.mode === "fill" ? h.missing.fillValue! : NaN;
  for (let t = 0; t < frames; t++) {
    for (let i = 0; i < nr; i++) {
      const m = (start + t) * H * W + rows[i] * W;
      const dst = (t * nr + i) * nc;
      for (let j = 0; j < nc; j++) if (missing[m + cols[j]]) data[dst + j] = hole;
    }
  }
}

/** Crops the level to the original extent, de-normalizes and restores missing values. */
function finishLevel(
  h: MrcHeader,
  level: number,
  normalized: Float32Array,
  start: number,
  end: number,
  missing: Uint8Array | null,
): DecodedLevel {
  const e = levelExtent(h, level);
  const frames = end - start;
  const data = new Float32Array(frames * e.nr * e.nc);
  denormalize(h, e, normalized, data, frames);
  if (missing) restoreMissing(h, e, data, start, frames, missing);
  return {
    level,
    frames: [start, end],
    shape: [frames, e.nr, e.nc],
    data,
    rows: e.rows,
    cols: e.cols,
  };
}

function clamp(v: number, n: number): number {
  return v < 0 ? 0 : v >= n ? n - 1 : v;
}

/** What {@linkcode openMrc} accepts. */
export type MrcInput = Uint8Array | URL | string | RangeSource;

/**
 * Opens a `.mrc` file: reads the trailer, the index and the header (three small reads).
 *
 * @param input The file's bytes, a URL (`http:`, `https:` or `file:`), a local path (Deno), or a
 *   range source.
 * @param options `signal` cancels reads; `fetch` replaces the global fetch for URLs.
 * @returns The opened file.
 */
export async function openMrc(
  input: MrcInput,
  options: { signal?: AbortSignal; fetch?: typeof fetch } = {},
): Promise<MrcFile> {
  const source = await toSource(input, options);
  return new MrcFile(await openContainer(source, { signal: options.signal }));
}

async function toSource(
  input: MrcInput,
  options: { signal?: AbortSignal; fetch?: typeof fetch },
): Promise<RangeSource> {
  if (input instanceof Uint8Array) return fromBytes(input);
  if (typeof input === "object" && input !== null && "read" in input && "byteLength" in input) {
    return input as RangeSource;
  }
  const url = input instanceof URL
    ? input
    : /^[a-z][a-z0-9+.-]*:\/\//i.test(input)
    ? new URL(input)
    : null;
  if (url && (url.protocol === "http:" || url.protocol === "https:")) {
    return await fromUrl(url, { fetch: options.fetch, signal: options.signal });
  }
  // A local file: only where a file system API exists (Deno).
  const deno = (globalThis as { Deno?: { open(p: string | URL): Promise<unknown> } }).Deno;
  if (!deno) {
    throw new TypeError(
      `Cannot open ${String(input)}: no file system here; pass bytes or an http(s) URL`,
    );
  }
  const handle = await deno.open(url ?? (input as string));
  return await fromFileHandle(handle as Parameters<typeof fromFileHandle>[0]);
}

const LEVEL_CHUNKS = new Set(["DECW", "MASK", "CODE"]);

/**
 * Decodes a `.mrc` file arriving as a stream, level by level: yields level 0 for every snapshot as
 * soon as the chunks of level 0 have arrived, then level 1, and so on. A stream cut short yields
 * the complete levels and then rejects with MrcFormatError.
 */
export async function* decodeStream(
  stream: ReadableStream<Uint8Array>,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<DecodedLevel> {
  let header: MrcHeader | null = null;
  let missing: Uint8Array | null = null;
  let current = -1;
  let weights: LevelWeights | null = null;
  let masks: Uint8Array[] | null = null;
  let codes: Int32Array[][] = [];
  let prev: Float32Array | null = null;
  const flush = (): DecodedLevel => {
    const h = header!;
    if (weights === null || masks === null || codes.length !== blockCount(h)) {
      throw new MrcFormatError(`Cannot decode level ${current}: its chunks are incomplete`, {
        chunkType: null,
      });
    }
    const parts = makeParts(h, current, weights, masks);
    const T = h.shape[0];
    const out = new Float32Array(T * parts.grid[0] * parts.grid[1]);
    const plane = parts.grid[0] * parts.grid[1], prevPlane = parts.latent[0] * parts.latent[1];
    codes.forEach((streams, b) => {
      const first = b * h.blockSize, n = Math.min(h.blockSize, T - first);
      checkStreams(streams, n, parts, current, b);
      decodeLevel(
        parts,
        current,
        prev === null ? null : prev.subarray(first * prevPlane, (first + n) * prevPlane),
        streams,
        0,
        n,
        out.subarray(first * plane, (first + n) * plane),
      );
    });
    prev = out;
    return finishLevel(h, current, out, 0, T, missing);
  };
  let received = 0;
  for await (const chunk of readMrcStream(stream, { signal: options.signal })) {
    if (chunk.type === "MHDR") {
      header = decodeHeader(chunk.body);
      continue;
    }
    if (header === null) continue;
    if (chunk.type === "NANM") {
      missing = expandMissing(header, decodeMissingMask(chunk.body, header.shape));
      continue;
    }
    // Chunk types of a newer minor version, and file-level chunks, carry nothing to decode.
    if (!LEVEL_CHUNKS.has(chunk.type) || chunk.level === null || chunk.level === undefined) {
      continue;
    }
    if (chunk.level !== current) {
      current = chunk.level;
      weights = null;
      masks = null;
      codes = [];
      received = 0;
    }
    const lv = header.levels[current];
    if (chunk.type === "DECW") weights = decodeLevelWeights(chunk.body, lv.groups);
    else if (chunk.type === "MASK") masks = decodeMasks(chunk.body, lv.latent, lv.groups.length);
    else {
      codes[chunk.block!] = decodeCodeBlock(chunk.body).streams;
      received++;
    }
    // A level is shown as soon as its last chunk is in (the writer puts them in order).
    if (weights !== null && masks !== null && received === blockCount(header)) yield flush();
  }
}
