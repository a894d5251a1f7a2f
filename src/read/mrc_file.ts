// This module is browser compatible.
/**
 * Random access to an opened `.mrc` file: its header, levels and report, and the decoding of any
 * level for any snapshot range, reading only the chunks that hold it.
 *
 * @module
 */

import type { MrcContainer } from "../../format/reader.ts";
import type { MrcAttributes } from "../../format/attributes.ts";
import { isBounded, type MrcHeader } from "../../format/header.ts";
import { blockCount } from "../../format/geometry.ts";
import { MrcFormatError } from "../../format/error.ts";
import { maskCount } from "../../format/masks.ts";
import {
  checkStreams,
  decodeLevel,
  fileLevelParts,
  type LevelDecoderParts,
  streamSizes,
} from "../model/level_decoder.ts";
import {
  type DecodedLevel,
  decodedLevel,
  denormalize,
  expandMissing,
  finishLevel,
  levelExtent,
  restoreMissing,
} from "./output.ts";
import { type MrcReport, readReport } from "./report.ts";
import { boundedBlock, decodeBoundedLevel, gatherLevel } from "./bounded.ts";
import {
  boundedBytes,
  checkMaxBytes,
  codeBytes,
  missingBytes,
  outputBytes,
  planeBytes,
  requireBudget,
} from "./_budget.ts";
import type { BlockCoder } from "../bounded/block_coder.ts";

/** Options of {@linkcode MrcFile.decode}. */
export interface DecodeOptions {
  /** Level to decode. Default: the finest. */
  level?: number;
  /** Snapshot range `[start, end)`. Default: all snapshots. */
  snapshots?: [number, number];
  /** Cancels pending reads. */
  signal?: AbortSignal;
  /**
   * Most bytes of typed arrays the call may hold at once (output, planes, codes, masks), checked
   * against what the header implies before anything is allocated; a larger request is refused with
   * a `MrcFormatError`. Default: the file's (`openMrc()` option `maxBytes`, 1 GiB).
   */
  maxBytes?: number;
}

/** Summary of one level. */
export interface LevelInfo {
  /** The level, 0 = coarsest. */
  level: number;
  /** Stored grid of the level `[h, w]`. */
  storedGrid: [number, number];
  /** Decoded grid over the original extent `[rows, cols]`. */
  grid: [number, number];
  /** Channels of each widening group. */
  groups: number[];
  /** Bytes of this level's chunks (weights, masks, codes; bounded files: codes only). */
  bytes: { weights: number; masks: number; codes: number; total: number };
  /** Bounded files: the guaranteed maximum absolute error of the level (the file's bound); else null. */
  bound: number | null;
  /** RMSE after quantization from the file's report, original units (null without a report). */
  rmse: number | null;
  /** PSNR from the file's report, dB (null without a report, or for constant data). */
  psnr: number | null;
  /** Largest absolute error from the file's report, original units (null without a report). */
  maxAbsError: number | null;
}

/** One chunk of a file, as its index lists it. */
export interface ChunkInfo {
  /** Four-character chunk type (`MHDR`, `CODE`, ...). */
  type: string;
  /** The level it belongs to, or null for file-level chunks. */
  level: number | null;
  /** The block of snapshots (`CODE` chunks), or null. */
  block: number | null;
  /** Byte offset of the chunk in the file. */
  offset: number;
  /** Bytes of the whole chunk (length, type, payload, CRC). */
  length: number;
}

/**
 * A `.mrc` file opened for random access. Obtain one with `openMrc()`.
 *
 * @example Decode the coarsest level of one snapshot, then every level progressively
 * ```ts
 * import assert from "node:assert";
 * import { openMrc } from "./open.ts";
 *
 * const file = await openMrc(new URL("../../tests/testdata/v1.0-small.mrc", import.meta.url));
 * const coarse = await file.decode({ level: 0, snapshots: [0, 1] });
 * assert.strictEqual(coarse.shape[0], 1);
 * const levels = [];
 * for await (const decoded of file.progressive()) levels.push(decoded.level);
 * assert.deepStrictEqual(levels, [...Array(file.levelCount).keys()]);
 * ```
 */
export class MrcFile {
  readonly #container: MrcContainer;
  readonly #parts: LevelDecoderParts[] = [];
  #missing: Uint8Array | null | undefined = undefined;
  #close: (() => void | Promise<void>) | undefined;
  #closed = false;
  readonly #maxBytes: number;
  #attributes: MrcAttributes | null | undefined = undefined;
  /** The validated header. */
  readonly header: MrcHeader;
  /** The compression report stored in the file's `META`, or null when it has none (or another kind). */
  readonly report: MrcReport | null;

  /**
   * Wraps an opened container; `openMrc()` is the usual way to get one.
   *
   * @param container The container, from `openContainer()` of `format/`.
   * @param options `close`: releases what the file holds (its file handle), called once by
   *   {@linkcode MrcFile.close}. Default: nothing to release. `maxBytes`: the default memory
   *   budget of each decode (see {@linkcode DecodeOptions.maxBytes}), 1 GiB.
   */
  constructor(
    container: MrcContainer,
    options: { close?: () => void | Promise<void>; maxBytes?: number } = {},
  ) {
    this.#container = container;
    this.#maxBytes = checkMaxBytes(options.maxBytes);
    this.#close = options.close;
    this.header = container.header;
    this.report = readReport(container.meta);
  }

  /** True once {@linkcode MrcFile.close} has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Releases the file handle of a file opened from a path (files opened from bytes, a URL or the
   * caller's own source hold nothing to release). Idempotent. Reads started later (`decode`,
   * `progressive`, `masks`, `verify`) fail with a `TypeError`; the header and index stay readable.
   *
   * @example Close a file, or let `await using` close it
   * ```ts
   * import assert from "node:assert";
   * import { openMrc } from "./open.ts";
   *
   * const path = new URL("../../tests/testdata/v1.0-small.mrc", import.meta.url);
   * const file = await openMrc(path);
   * await file.close();
   * await file.close();
   * await assert.rejects(file.decode(), TypeError);
   * {
   *   await using scoped = await openMrc(path);
   *   assert.ok(!scoped.closed);
   * }
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const close = this.#close;
    this.#close = undefined;
    await close?.();
  }

  /** Same as {@linkcode MrcFile.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new TypeError("Cannot read the file: it is closed");
  }

  /** The `META` record as stored (any JSON object), or null. */
  get meta(): Record<string, unknown> | null {
    return this.#container.meta;
  }

  /**
   * The source's variable, dimensions, coordinates and attributes (the `ATTR` chunk of a file
   * compressed from netCDF, SPEC.md §4.8), or null when the file has none. One read on the first
   * call, then cached.
   *
   * @param options Signal.
   * @returns The attributes, or null.
   *
   * @example A file compressed from an array has none
   * ```ts
   * import assert from "node:assert";
   * import { openMrc } from "./open.ts";
   *
   * const file = await openMrc(new URL("../../tests/testdata/v1.2-bounded.mrc", import.meta.url));
   * assert.strictEqual(await file.readAttributes(), null);
   * ```
   */
  async readAttributes(options?: { signal?: AbortSignal }): Promise<MrcAttributes | null> {
    if (this.#attributes === undefined) {
      this.#attributes = await this.#container.readAttributes(options);
    }
    return this.#attributes;
  }

  /** The shape the data was given in: `[H, W]` for a single 2-D field, else `[T, H, W]`. */
  get inputShape(): number[] {
    return this.header.inputShape ?? [...this.header.shape];
  }

  /** Total bytes of the file. */
  get totalBytes(): number {
    return this.#container.byteLength;
  }

  /** Every chunk of the file, in file order. */
  get chunks(): ChunkInfo[] {
    return this.#container.chunks.map((c) => ({ ...c }));
  }

  /** Number of levels. */
  get levelCount(): number {
    return this.header.levels.length;
  }

  /** Per-level summary: grids, bytes, errors from the report. */
  get levels(): LevelInfo[] {
    return this.header.levels.map((lv, k) => {
      const bytes = { weights: 0, masks: 0, codes: 0, total: 0 };
      for (const c of this.#container.chunks) {
        if (c.level !== k) continue;
        if (c.type === "DECW") bytes.weights += c.length;
        else if (c.type === "MASK") bytes.masks += c.length;
        else if (c.type === "CODE" || c.type === "BCOD") bytes.codes += c.length;
        bytes.total += c.length;
      }
      const e = levelExtent(this.header, k);
      const err = this.report?.levels.find((l) => l.level === k);
      return {
        level: k,
        storedGrid: lv.grid,
        grid: [e.nr, e.nc],
        groups: lv.groups,
        bytes,
        bound: this.header.bound?.abs ?? null,
        rmse: err?.rmse ?? null,
        psnr: err?.psnr ?? null,
        maxAbsError: err?.maxAbsError ?? null,
      };
    });
  }

  /**
   * Masks of every group of `level` (latent grid, row-major), read on demand.
   *
   * @param level The level.
   * @param options `signal` cancels the read.
   * @returns One mask per group.
   */
  async masks(level: number, options: { signal?: AbortSignal } = {}): Promise<Uint8Array[]> {
    this.#checkOpen();
    this.#checkLevel(level);
    if (isBounded(this.header)) return [];
    return await this.#container.readMasks(level, options);
  }

  /**
   * Share of latent positions each group of `level` covers, from its masks.
   *
   * @param level The level.
   * @param options `signal` cancels the read.
   * @returns One fraction in [0, 1] per group.
   */
  async maskCoverage(level: number, options: { signal?: AbortSignal } = {}): Promise<number[]> {
    const masks = await this.masks(level, options);
    return masks.map((m) => maskCount(m) / Math.max(1, m.length));
  }

  /**
   * Reads every chunk and verifies its checksum and contents.
   *
   * @param options `signal` cancels the reads.
   * @throws {MrcFormatError} On the first bad chunk.
   */
  async verify(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#checkOpen();
    for (const entry of this.#container.chunks) {
      await this.#container.readChunk(entry, options);
    }
    await this.#missingMask(options);
    if (isBounded(this.header)) {
      // Decoding every block checks the range-coded bytes too.
      for await (const _ of this.progressive(options));
      return;
    }
    for (let k = 0; k < this.levelCount; k++) {
      await this.#levelParts(k, options);
      for (let b = 0; b < blockCount(this.header); b++) {
        await this.#container.readCodeBlock(k, b, options);
      }
    }
  }

  /**
   * Decodes one level for a snapshot range, reading only the chunks of levels `<= level`
   * and the code blocks that hold the range.
   *
   * @param options Level (default: finest), snapshot range (default: all) and signal.
   * @returns The decoded level in original units.
   * @throws {RangeError} For a level or snapshot range the file does not have.
   * @throws {MrcFormatError} When a chunk it reads is corrupt.
   *
   * @example Level 0 of snapshots 1 to 3, reading only the chunks that hold them
   * ```ts
   * import assert from "node:assert";
   * import { openMrc } from "./open.ts";
   *
   * const file = await openMrc(new URL("../../tests/testdata/v1.0-small.mrc", import.meta.url));
   * const level0 = await file.decode({ level: 0, snapshots: [1, 3] });
   * assert.deepStrictEqual(level0.snapshots, [1, 3]);
   * assert.strictEqual(level0.shape[0], 2);
   * assert.strictEqual(level0.rows.length, level0.shape[1]);
   * ```
   */
  async decode(options: DecodeOptions = {}): Promise<DecodedLevel> {
    this.#checkOpen();
    const level = options.level ?? this.levelCount - 1;
    this.#checkLevel(level);
    const [start, end] = this.#checkSnapshots(options.snapshots);
    const { signal } = options;
    const maxBytes = checkMaxBytes(options.maxBytes ?? this.#maxBytes);
    if (isBounded(this.header)) {
      let out: DecodedLevel | null = null;
      for await (const d of this.#boundedLevels(start, end, level, signal, false, maxBytes)) {
        out = d;
      }
      return out!;
    }
    const parts: LevelDecoderParts[] = [];
    for (let k = 0; k <= level; k++) parts.push(await this.#levelParts(k, { signal }));
    // Everything below is sized by the header and masks: checked before it is allocated.
    let planes = 0, values = 0;
    for (let k = 0; k <= level; k++) {
      planes += planeBytes(this.header, k);
      values += streamSizes(parts[k], k).reduce((a, b) => a + b, 0);
    }
    requireBudget(
      outputBytes(this.header, level, end - start) + planes + missingBytes(this.header) +
        codeBytes(values, Math.min(this.header.blockSize, this.header.shape[0])),
      maxBytes,
      `level ${level} of snapshots ${start}:${end}`,
    );
    const missing = await this.#missingMask(options);
    // One snapshot at a time through every level, so that the coarse planes (and the finest one,
    // until it is de-normalized) stay in cache: the finest level is written to memory once,
    // instead of once per pass (deconv, scatter, crop and de-normalize) over every snapshot.
    const e = levelExtent(this.header, level);
    const count = end - start;
    const data = new Float32Array(count * e.nr * e.nc);
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
    if (missing) restoreMissing(this.header, e, data, start, count, missing);
    return decodedLevel(level, start, end, e, data);
  }

  /**
   * Decodes every level in turn, coarse to fine, for a snapshot range (each level reuses the
   * previous one).
   *
   * @param options Snapshot range (default: all) and signal.
   * @returns The levels, coarsest first.
   */
  async *progressive(options: Omit<DecodeOptions, "level"> = {}): AsyncGenerator<DecodedLevel> {
    this.#checkOpen();
    const [start, end] = this.#checkSnapshots(options.snapshots);
    const maxBytes = checkMaxBytes(options.maxBytes ?? this.#maxBytes);
    if (isBounded(this.header)) {
      yield* this.#boundedLevels(start, end, this.levelCount - 1, options.signal, true, maxBytes);
      return;
    }
    let prev: Float32Array | null = null;
    for (let k = 0; k < this.levelCount; k++) {
      const parts = await this.#levelParts(k, { signal: options.signal });
      const count = end - start;
      requireBudget(
        (k === 0 ? 0 : count * planeBytes(this.header, k - 1)) +
          count * planeBytes(this.header, k) + outputBytes(this.header, k, count) +
          missingBytes(this.header) +
          codeBytes(
            streamSizes(parts, k).reduce((a, b) => a + b, 0),
            Math.min(this.header.blockSize, this.header.shape[0]),
          ),
        maxBytes,
        `level ${k} of snapshots ${start}:${end}`,
      );
      prev = await this.#decodeNormalized(k, prev, start, end, options.signal);
      yield finishLevel(this.header, k, prev, start, end, await this.#missingMask(options));
    }
  }

  async #decodeNormalized(
    level: number,
    prev: Float32Array | null,
    start: number,
    end: number,
    signal?: AbortSignal,
  ): Promise<Float32Array> {
    const parts = await this.#levelParts(level, { signal });
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

  /**
   * Bounded files: decodes the blocks holding `start..end` up to `level`, yielding level `level`
   * (or, with `every`, each level from 0) over the range.
   */
  async *#boundedLevels(
    start: number,
    end: number,
    level: number,
    signal: AbortSignal | undefined,
    every: boolean,
    maxBytes: number,
  ): AsyncGenerator<DecodedLevel> {
    const bs = this.header.blockSize;
    // The blocks' coders and one level's output, sized by the header before anything is made.
    requireBudget(
      boundedBytes(this.header, Math.floor(start / bs), Math.ceil(end / bs)) +
        outputBytes(this.header, level, end - start) + missingBytes(this.header),
      maxBytes,
      `level ${level} of snapshots ${start}:${end}`,
    );
    const missing = await this.#missingMask({ signal });
    const coders: { b: number; coder: BlockCoder }[] = [];
    for (let b = Math.floor(start / bs); b * bs < end; b++) {
      coders.push({ b, coder: boundedBlock(this.header, b, missing) });
    }
    for (let k = 0; k <= level; k++) {
      for (const { b, coder } of coders) {
        const code = await this.#container.readBoundedBlock(k, b, { signal });
        decodeBoundedLevel(coder, code.bytes, b);
      }
      if (!every && k < level) continue;
      const e = levelExtent(this.header, k);
      const data = new Float32Array((end - start) * e.nr * e.nc);
      const plane = e.nr * e.nc;
      for (const { b, coder } of coders) {
        const first = Math.max(start, b * bs), last = Math.min(end, (b + 1) * bs);
        gatherLevel(
          this.header,
          e,
          coder.rec,
          first - b * bs,
          last - first,
          data.subarray((first - start) * plane, (last - start) * plane),
        );
      }
      if (missing) restoreMissing(this.header, e, data, start, end - start, missing);
      yield decodedLevel(k, start, end, e, data);
    }
  }

  async #levelParts(level: number, options: { signal?: AbortSignal }): Promise<LevelDecoderParts> {
    const cached = this.#parts[level];
    if (cached) return cached;
    const weights = await this.#container.readLevelWeights(level, options);
    const masks = await this.#container.readMasks(level, options);
    const parts = fileLevelParts(this.header, level, weights, masks);
    this.#parts[level] = parts;
    return parts;
  }

  async #missingMask(options: { signal?: AbortSignal }): Promise<Uint8Array | null> {
    if (this.#missing !== undefined) return this.#missing;
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
    this.#missing = mask;
    return mask;
  }

  #checkLevel(level: number): void {
    if (!Number.isInteger(level) || level < 0 || level >= this.levelCount) {
      throw new RangeError(
        `Cannot decode level ${level}: the file has levels 0 to ${this.levelCount - 1}`,
      );
    }
  }

  #checkSnapshots(snapshots?: [number, number]): [number, number] {
    const T = this.header.shape[0];
    if (snapshots === undefined) return [0, T];
    const [a, b] = snapshots;
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b > T || a >= b) {
      throw new RangeError(`Cannot decode snapshots ${a}:${b}: the file has snapshots 0:${T}`);
    }
    return [a, b];
  }
}
