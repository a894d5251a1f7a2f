// This module is browser compatible.
/**
 * Random access to an opened `.mrc` file: its header, levels and report, and the decoding of any
 * level for any snapshot range, reading only the chunks that hold it.
 *
 * @module
 */

import type { MrcContainer, MrcVersion } from "../../format/reader.ts";
import type { MrcAttributes } from "../../format/attributes.ts";
import {
  type BoundedBlock,
  CHUNK_TYPES,
  chunkAboveLimit,
  chunkCategory,
  chunkDescriptor,
  type ChunkType,
  type ChunkValues,
  isHeldChunk,
} from "../../format/chunks.ts";
import { isBounded, type MrcHeader } from "../../format/header.ts";
import { MrcFormatError } from "../../format/error.ts";
import { maskCount } from "../../format/masks.ts";
import { type DecodedLevel, expandMissing, levelExtent, widenLevel } from "./output.ts";
import { readReport, type StoredReport } from "./report.ts";
import { checkMaxBytes, type DecodeRequest, float64OutputBudget } from "./_budget.ts";
import { decodeEngine, type EngineChunk } from "./engine.ts";
import { checkCacheBytes, CoderCache } from "./coder_cache.ts";
import { type BlockReads, checkThreads, decodeParallel } from "./parallel_decode.ts";
import { type LevelCoordinates, levelCoordinates } from "./coordinates.ts";

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
  /**
   * Element type of the returned `data`: `"float32"` (the default, a `Float32Array`: what the
   * decoders compute) or `"float64"` (a `Float64Array`: the same values widened, and missing
   * values as the file's fill value exactly, which float32 may not hold: `-9999.99` of a float64
   * file, not `-9999.990234375`). The float64 copy counts against `maxBytes`.
   */
  dtype?: "float32" | "float64";
  /**
   * Bounded files: threads that decode the range's blocks in parallel, an integer from 1 to 1024:
   * this thread and `threads - 1` Web Workers, started for the call and terminated before it
   * returns. Default 1 (this thread alone). The values are those of one thread, bit for bit; the
   * request is refused above `maxBytes` as on one thread, and fewer workers run where their share
   * (two blocks' jobs each) would not fit in it. At most one thread per block to decode; a range
   * within one block, a model-coded file, and a platform where workers cannot start (a browser's
   * bundle, Deno without read access to `src/read/decode_worker.ts`, a module imported from a URL)
   * decode on this thread, with the same values.
   */
  threads?: number;
}

/** Summary of one level. */
export interface LevelInfo {
  /** The level, 0 = coarsest. */
  level: number;
  /** Stored grid of the level `[h, w]`. */
  storedGrid: [number, number];
  /** Decoded extent over the original `[rows, cols]`. */
  extent: [number, number];
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

/** What {@linkcode MrcFile.coderCache} reports. */
export interface CoderCacheInfo {
  /** Bytes of typed arrays the cached coders hold. */
  bytes: number;
  /** Most bytes the cache holds between calls (`openMrc()` option `cacheBytes`). */
  limit: number;
  /** Blocks whose decoded state is held. */
  blocks: number;
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
  /** The `DECW` and `MASK` bodies read so far, by `type/level`: read once per file. */
  readonly #decoders = new Map<string, ChunkValues[ChunkType]>();
  #missing: Uint8Array | null | undefined = undefined;
  #close: (() => void | Promise<void>) | undefined;
  #closed = false;
  readonly #maxBytes: number;
  /** Bounded files: the decoded state of blocks, kept between calls. */
  readonly #coders: CoderCache;
  #attributes: MrcAttributes | null | undefined = undefined;
  /** The validated header. */
  readonly header: MrcHeader;
  /** The compression report stored in the file's `META`, or null when it has none (or another kind). */
  readonly report: StoredReport | null;

  /**
   * Wraps an opened container; `openMrc()` is the usual way to get one.
   *
   * @param container The container, from `openContainer()` of `format/`.
   * @param options `close`: releases what the file holds (its file handle), called once by
   *   {@linkcode MrcFile.close}. Default: nothing to release. `maxBytes`: the default memory
   *   budget of each decode (see {@linkcode DecodeOptions.maxBytes}), 1 GiB. `cacheBytes`: most
   *   bytes of decoded block state kept between calls (bounded files; see `openMrc()`), default
   *   half of `maxBytes`, at most 512 MiB; 0 = none.
   */
  constructor(
    container: MrcContainer,
    options: { close?: () => void | Promise<void>; maxBytes?: number; cacheBytes?: number } = {},
  ) {
    this.#container = container;
    this.#maxBytes = checkMaxBytes(options.maxBytes);
    this.#coders = new CoderCache(
      Math.min(checkCacheBytes(options.cacheBytes, this.#maxBytes), this.#maxBytes),
    );
    this.#close = options.close;
    this.header = container.header;
    this.report = readReport(container.meta);
  }

  /**
   * The file's format version (SPEC.md §2): a reader of an older minor version refuses what a
   * newer one added (a 1.6 reader refuses a 1.7 file, whose missing mask may be range-coded), so
   * this says which releases can read the file.
   *
   * @example The version of a golden file
   * ```ts
   * import assert from "node:assert";
   * import { openMrc } from "./open.ts";
   *
   * const file = await openMrc(new URL("../../tests/testdata/v1.6-bounded.mrc", import.meta.url));
   * assert.deepStrictEqual(file.version, { major: 1, minor: 6 });
   * ```
   */
  get version(): MrcVersion {
    return { ...this.#container.version };
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
    this.#coders.clear();
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

  /**
   * The coder cache of a bounded file: the decoded state of blocks kept between calls, so that a
   * decode reuses what an earlier one decoded (levels `0..j-1` of a block are not decoded again;
   * a level below `j` is read out of the block's reconstruction, no chunk read). Least recently
   * used blocks are evicted to stay within `limit`, and to leave each request room under its
   * `maxBytes`. Model files keep none (their level decoders are kept instead).
   *
   * @example Decode level 2, then the finest: the second decodes only levels 3 and up
   * ```ts
   * import assert from "node:assert";
   * import { openMrc } from "./open.ts";
   *
   * const file = await openMrc(new URL("../../tests/testdata/v1.2-bounded.mrc", import.meta.url));
   * await file.decode({ level: 1, snapshots: [0, 1] });
   * assert.strictEqual(file.cachedLevels(0), 2);
   * assert.ok(file.coderCache.bytes > 0 && file.coderCache.blocks === 1);
   * ```
   */
  get coderCache(): CoderCacheInfo {
    const c = this.#coders;
    return { bytes: c.bytes, limit: c.limit, blocks: c.size };
  }

  /**
   * Levels of block `block` that the coder cache holds decoded (0 when none; always 0 for model
   * files): a decode of any level reads only that block's chunks of the levels above.
   *
   * @param block A block index.
   * @returns The number of levels, from 0.
   */
  cachedLevels(block: number): number {
    return this.#coders.levelsDone(block);
  }

  /** The `META` record as stored (any JSON object), or null. */
  get meta(): Record<string, unknown> | null {
    return this.#container.meta;
  }

  /**
   * The compressed variable of the source (a file compressed from netCDF: its name, type and
   * attributes as stored, `_FillValue` and `scale_factor` included; the `ATTR` chunk, SPEC.md
   * §4.8), or null when the file was compressed from an array. Read at open: no request. A
   * file made with `new MrcFile()` rather than {@linkcode openMrc} has it once
   * {@linkcode MrcFile.readAttributes} has resolved.
   *
   * @throws {TypeError} On a file made with `new MrcFile()` before `readAttributes()` resolved.
   *
   * @example A file compressed from an array has none
   * ```ts
   * import assert from "node:assert";
   * import { openMrc } from "./open.ts";
   *
   * const file = await openMrc(new URL("../../tests/testdata/v1.2-bounded.mrc", import.meta.url));
   * assert.strictEqual(file.variable, null);
   * assert.strictEqual(file.units, null);
   * ```
   */
  get variable(): MrcAttributes["variable"] | null {
    if (this.#attributes === undefined) {
      throw new TypeError(
        "Cannot read the variable of an MrcFile made with new MrcFile() before readAttributes() resolved",
      );
    }
    return this.#attributes?.variable ?? null;
  }

  /**
   * The units of the decoded values: the source variable's `units` attribute (e.g. `"K"`,
   * `"degC"`, `"m/s"`), or null when it has none or the file has no `ATTR` chunk (see
   * {@linkcode MrcFile.variable}).
   *
   * @throws {TypeError} On a file made with `new MrcFile()` before `readAttributes()` resolved.
   */
  get units(): string | null {
    const units = this.variable?.attributes.units;
    return units !== undefined && typeof units.value === "string" ? units.value : null;
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

  /**
   * The coordinate value of each output row, column and snapshot of `level` (from the source's
   * coordinate variables in `ATTR`, sampled as `decode({ level })` samples rows and columns), the
   * units, the dates of a CF time axis, and the orientation to draw it in (`northUp` when the Y
   * coordinate increases). Without an `ATTR` chunk every axis is its indices.
   *
   * @param level The level. Default: the finest.
   * @param options `snapshots` (default all) for the time axis; `signal` cancels the read.
   * @returns The axes and orientation ({@linkcode LevelCoordinates}).
   * @throws {RangeError} For a level or a snapshot range the file does not have.
   *
   * @example A file compressed from an array: indices, row 0 at the top
   * ```ts
   * import assert from "node:assert";
   * import { openMrc } from "./open.ts";
   *
   * const file = await openMrc(new URL("../../tests/testdata/v1.2-bounded.mrc", import.meta.url));
   * const c = await file.coordinates(0);
   * assert.deepStrictEqual([...c.y.values], [...(await file.decode({ level: 0 })).rows]);
   * assert.strictEqual(c.northUp, false);
   * ```
   */
  async coordinates(
    level: number = this.levelCount - 1,
    options: { snapshots?: [number, number]; signal?: AbortSignal } = {},
  ): Promise<LevelCoordinates> {
    const attributes = await this.readAttributes({ signal: options.signal });
    return levelCoordinates(this.header, attributes, level, options.snapshots);
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
        const category = chunkCategory(c.type);
        if (category === "weights" || category === "masks" || category === "codes") {
          bytes[category] += c.length;
        }
        bytes.total += c.length;
      }
      const e = levelExtent(this.header, k);
      const err = this.report?.levels.find((l) => l.level === k);
      return {
        level: k,
        storedGrid: lv.grid,
        extent: [e.nr, e.nc],
        groups: lv.groups,
        bytes,
        bound: isBounded(this.header) ? this.header.bound!.abs : null,
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
      // Unknown types in pieces, kept by no one; held chunks within the budget, as decodeStream.
      if (chunkDescriptor(entry.type) === null) await this.#container.checkChunk(entry, options);
      else {
        this.#checkHeld(entry.type, entry.level, entry.block, this.#maxBytes);
        await this.#container.readChunk(entry, options);
      }
    }
    await this.#missingMask(options);
    if (isBounded(this.header)) {
      // Decoding every block checks the range-coded bytes too: all of them, none from the cache.
      const request = {
        level: this.levelCount - 1,
        start: 0,
        end: this.header.shape[0],
        every: true,
      };
      for await (const _ of this.#run(request, options.signal, this.#maxBytes, false));
      return;
    }
    // Every chunk a progressive decode reads, decoded and checked against the header.
    const request = {
      level: this.levelCount - 1,
      start: 0,
      end: this.header.shape[0],
      every: true,
    };
    for (const chunk of decodeEngine(this.header, request, Infinity).needs) {
      await this.#read(chunk, this.#maxBytes, options.signal);
    }
  }

  /**
   * Decodes one level for a snapshot range, reading only the chunks of levels `<= level`
   * and the code blocks that hold the range.
   *
   * @param options Level (default: finest), snapshot range (default: all), signal, memory budget,
   *   and `dtype`: `"float64"` returns a `Float64Array` with the fill value exactly.
   * @returns The decoded level in original units.
   * @throws {RangeError} For a level or snapshot range the file does not have.
   * @throws {TypeError} For a `dtype` other than `"float32"` and `"float64"`.
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
  decode(options: DecodeOptions & { dtype: "float64" }): Promise<DecodedLevel<Float64Array>>;
  /** Decodes one level as float32 (see the signature above). */
  decode(options?: DecodeOptions & { dtype?: "float32" }): Promise<DecodedLevel>;
  /** Decodes one level as float32 or float64 (see the signature above). */
  decode(options?: DecodeOptions): Promise<DecodedLevel<Float32Array | Float64Array>>;
  async decode(options: DecodeOptions = {}): Promise<DecodedLevel<Float32Array | Float64Array>> {
    this.#checkOpen();
    const level = options.level ?? this.levelCount - 1;
    this.#checkLevel(level);
    const [start, end] = this.#checkSnapshots(options.snapshots);
    const { signal, dtype = "float32" } = options;
    if (dtype !== "float32" && dtype !== "float64") {
      throw new TypeError(
        `Cannot decode: dtype must be "float32" or "float64", found ${JSON.stringify(dtype)}`,
      );
    }
    const threads = checkThreads(options.threads ?? 1);
    let maxBytes = checkMaxBytes(options.maxBytes ?? this.#maxBytes);
    if (dtype === "float64") {
      maxBytes = float64OutputBudget(this.header, level, end - start, maxBytes);
    }
    const request = { level, start, end, every: false };
    let out: DecodedLevel | null = null;
    if (threads > 1 && isBounded(this.header)) {
      const reads = this.#blockReads(maxBytes);
      out = await decodeParallel(
        this.header,
        request,
        maxBytes,
        threads,
        this.#coders,
        reads,
        signal,
      );
    }
    if (out === null) { for await (const d of this.#run(request, signal, maxBytes)) out = d; }
    if (dtype === "float32") return out!;
    return widenLevel(this.header, out!, await this.#missingMask({ signal }));
  }

  /**
   * Decodes every level in turn, coarse to fine, for a snapshot range (each level reuses the
   * previous one).
   *
   * @param options Snapshot range (default: all) and signal.
   * @returns The levels, coarsest first.
   */
  async *progressive(
    options: Omit<DecodeOptions, "level" | "threads"> = {},
  ): AsyncGenerator<DecodedLevel> {
    this.#checkOpen();
    const [start, end] = this.#checkSnapshots(options.snapshots);
    const maxBytes = checkMaxBytes(options.maxBytes ?? this.#maxBytes);
    const request = { level: this.levelCount - 1, start, end, every: true };
    yield* this.#run(request, options.signal, maxBytes);
  }

  /**
   * Feeds the engine of the file's coding the chunks it lists, read by random access (bounded
   * files: over the coder cache, unless `cached` is false).
   */
  async *#run(
    request: DecodeRequest,
    signal: AbortSignal | undefined,
    maxBytes: number,
    cached = true,
  ): AsyncGenerator<DecodedLevel> {
    const bounded = isBounded(this.header);
    const engine = decodeEngine(
      this.header,
      request,
      maxBytes,
      bounded && cached ? this.#coders : null,
    );
    try {
      // A bounded engine has checked its budget; its first level may need no chunk (cached).
      let missingRead = bounded;
      if (bounded) engine.missing = await this.#missingMask({ signal });
      for (let d = engine.ready(); d !== null; d = engine.ready()) yield d;
      for (const chunk of engine.needs) {
        // After the budget checks of the decoders, before the first block is decoded.
        if (chunk.block !== null && !missingRead) {
          engine.missing = await this.#missingMask({ signal });
          missingRead = true;
        }
        const out = engine.accept(chunk, await this.#read(chunk, maxBytes, signal));
        if (out !== null) yield out;
        for (let d = engine.ready(); d !== null; d = engine.ready()) yield d;
      }
    } finally {
      engine.release();
    }
  }

  /** The reads of a parallel decode: the one-thread decode's, chunk by chunk. */
  #blockReads(maxBytes: number): BlockReads {
    const type = CHUNK_TYPES.bounded;
    return {
      coded: async (level, block, signal) =>
        (await this.#read({ type, level, block }, maxBytes, signal) as BoundedBlock).bytes,
      length: (level, block) => this.#container.findChunk(type, level, block)?.length ?? 0,
      missing: (signal) => this.#missingMask({ signal }),
    };
  }

  /**
   * One chunk an engine lists, refused first when longer than `maxBytes` (as streams do); a
   * level's `DECW` and `MASK` are read once per file.
   */
  async #read(
    chunk: EngineChunk,
    maxBytes: number,
    signal?: AbortSignal,
  ): Promise<ChunkValues[ChunkType]> {
    const { type, level, block } = chunk;
    this.#checkHeld(type, level, block, maxBytes);
    if (block !== null) return await this.#container.readDecoded(type, level, block, { signal });
    const key = `${type}/${level}`;
    let value = this.#decoders.get(key);
    if (value === undefined) {
      value = await this.#container.readDecoded(type, level, null, { signal });
      this.#decoders.set(key, value);
    }
    return value;
  }

  /** Refuses a chunk the decoder would hold whole that is longer than `maxBytes` (as streams do). */
  #checkHeld(type: string, level: number | null, block: number | null, maxBytes: number): void {
    const entry = this.#container.findChunk(type, level, block);
    if (entry !== null && entry.length > maxBytes && isHeldChunk(type)) {
      throw chunkAboveLimit(type, entry.offset, entry.length, maxBytes);
    }
  }

  async #missingMask(options: { signal?: AbortSignal }): Promise<Uint8Array | null> {
    if (this.#missing !== undefined) return this.#missing;
    let mask: Uint8Array | null = null;
    if (this.header.missing.mode !== "none") {
      this.#checkHeld(CHUNK_TYPES.missingMask, null, null, this.#maxBytes);
      const stored = await this.#container.readMissingMask(options);
      if (stored === null) {
        throw new MrcFormatError(
          `Cannot read the missing-value mask: the header counts missing values but the file has no ${CHUNK_TYPES.missingMask} chunk`,
          { chunkType: CHUNK_TYPES.missingMask },
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
