// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * Writing `.mrc` files chunk by chunk to a byte sink or a `WritableStream`.
 *
 * @module
 */

import {
  ADDRESS_LENGTH,
  CHUNK_TYPES,
  MAX_PAYLOAD_LENGTH,
  VERSION_MAJOR,
  VERSION_MINOR,
} from "./_constants.ts";
import {
  codesMask,
  encodeChunkFor,
  encodeIndexFor,
  encodePreamble,
  encodeTrailer,
  isValidType,
  type MrcChunkEntry,
  type MrcVersion,
} from "./_framing.ts";
import { ChunkOrder } from "./_order.ts";
import { missingCountProblem } from "./chunks.ts";
import { type BoundedBlock, encodeBoundedBlock } from "./bounded_block.ts";
import { type CodeBlock, encodeCodeBlock, type EncodeCodeBlockOptions } from "./code_block.ts";
import { decodeHeader, encodeHeader, type MrcHeader } from "./header.ts";
import { blockSnapshotCount, codeStreamCount, streamLayout } from "./geometry.ts";
import { encodeLevelWeights, type LevelWeights } from "./level_weights.ts";
import { encodeMasks, maskCount } from "./masks.ts";
import { encodeMeta } from "./meta.ts";
import { decodeAttributes, encodeAttributes, type MrcAttributes } from "./attributes.ts";
import { encodeMissingMask } from "./missing_mask.ts";

/** Anything that accepts bytes in order, e.g. `{ write: (b) => parts.push(b) }`. */
export interface ByteSink {
  /** Takes ownership of `bytes` (the writer never modifies them afterwards). */
  write(bytes: Uint8Array): void | Promise<void>;
}

/** Options of {@linkcode MrcWriter}. */
export interface MrcWriterOptions {
  /** Aborts pending and later writes. Default: none. */
  signal?: AbortSignal;
  /**
   * Version written to the preamble and trailer. Default: this implementation's version (1.7,
   * `VERSION_MAJOR`.`VERSION_MINOR`). From 1.5 the `MHDR`, `META` and `ATTR` bodies are written
   * deflated (SPEC.md §3.1), from 1.6 with the preset dictionary (§3.1.1) and the index deflated
   * (§5), from 1.7 the missing mask range-coded (§4.3.1); before, as plain JSON. For older versions (golden files, `formatVersion`) and for
   * testing readers against newer ones; the caller keeps the content to what that version allows.
   */
  version?: MrcVersion;
}

/** Address of a chunk written with {@linkcode MrcWriter.writeChunk}. */
export interface ChunkAddress {
  /** Level index, or `null`/absent for file-level chunks. */
  level?: number | null;
  /** Block index, or `null`/absent. */
  block?: number | null;
}

/**
 * Writes an `.mrc` file in the required order (SPEC.md §7): header, optional metadata, the
 * missing-value mask when the header has missing values, then per level its weights, masks and
 * code blocks, then (in {@linkcode MrcWriter.finish}) the index and trailer. Each chunk is sent
 * to the sink as soon as it is written; only the index entries (24 bytes per chunk) are kept.
 *
 * Every method checks the order and the sizes against the header and rejects with a
 * `TypeError` on a violation, so a finished file is always valid. Writes are queued, so calls
 * need not be awaited one by one, but the first failure makes every later call fail.
 *
 * @example Writing a one-level file to memory
 * ```ts
 * import assert from "node:assert";
 * import { fromBytes, MrcWriter, openContainer, type MrcHeader } from "./mod.ts";
 *
 * const header: MrcHeader = {
 *   shape: [2, 3, 3], dtype: "float32", grid: [3, 3], crop: [0, 0], padMode: "reflect",
 *   normalization: { offset: 0, scale: 1 }, blockSize: 2,
 *   levels: [{ grid: [3, 3], latent: [1, 1], groups: [], quant: { base: 0.5, groups: [] } }],
 *   quantization: "uniform-midtread", missing: { mode: "none", fillValue: null, count: 0 },
 * };
 * const parts: Uint8Array[] = [];
 * const writer = new MrcWriter({ write: (bytes) => void parts.push(bytes) });
 * await writer.writeHeader(header);
 * await writer.writeLevelWeights(0, { deconv: { kernel: new Float32Array(9), bias: 0 }, groups: [] });
 * await writer.writeMasks(0, []);
 * await writer.writeCodeBlock(0, 0, { snapshotCount: 2, streams: [new Int32Array([3, 4])] });
 * const size = await writer.finish();
 *
 * const file = new Uint8Array(size);
 * let at = 0;
 * for (const part of parts) {
 *   file.set(part, at);
 *   at += part.length;
 * }
 * const mrc = await openContainer(fromBytes(file));
 * assert.deepStrictEqual((await mrc.readCodeBlock(0, 0)).streams, [new Int32Array([3, 4])]);
 * ```
 */
export class MrcWriter {
  #write: (bytes: Uint8Array) => Promise<void>;
  #close: () => Promise<void>;
  #signal: AbortSignal | undefined;
  #version: MrcVersion;
  #queue: Promise<void> = Promise.resolve();
  #failure: unknown = null;
  #offset = 0;
  #entries: MrcChunkEntry[] = [];
  #header: MrcHeader | null = null;
  #order: ChunkOrder | null = null;
  #finished = false;
  /** Kept positions per group of the level whose masks were written last, to check CODE sizes. */
  #maskCounts: { level: number; counts: number[] } | null = null;

  /**
   * Makes a writer. Nothing is written until the first chunk.
   *
   * @param sink A {@linkcode ByteSink} or a `WritableStream<Uint8Array>` (closed by `finish()`);
   *   for a `Deno.FsFile`, pass `file.writable`.
   * @param options Signal and version.
   */
  constructor(sink: ByteSink | WritableStream<Uint8Array>, options: MrcWriterOptions = {}) {
    if (typeof WritableStream !== "undefined" && sink instanceof WritableStream) {
      const writer = sink.getWriter();
      this.#write = (bytes) => writer.write(bytes);
      this.#close = () => writer.close();
    } else if (typeof (sink as ByteSink)?.write === "function") {
      const byteSink = sink as ByteSink;
      this.#write = async (bytes) => await byteSink.write(bytes);
      this.#close = () => Promise.resolve();
    } else {
      throw new TypeError(
        "Cannot make writer: expected a WritableStream or an object with write()",
      );
    }
    this.#signal = options.signal;
    this.#version = options.version ?? { major: VERSION_MAJOR, minor: VERSION_MINOR };
  }

  /** Bytes queued for the sink so far (the file offset of the next chunk). */
  get bytesWritten(): number {
    return this.#offset;
  }

  /** The header, once written. */
  get header(): MrcHeader | null {
    return this.#header;
  }

  #enqueue(bytes: Uint8Array): Promise<void> {
    this.#offset += bytes.length;
    const step = async () => {
      if (this.#failure !== null) throw this.#failure;
      this.#signal?.throwIfAborted();
      try {
        await this.#write(bytes);
      } catch (e) {
        this.#failure = e;
        throw e;
      }
    };
    const result = this.#queue.then(step);
    this.#queue = result.catch(() => {});
    return result;
  }

  #fail(message: string): never {
    throw new TypeError(`Cannot write chunk: ${message}`);
  }

  #append(
    type: string,
    level: number | null,
    block: number | null,
    body: Uint8Array,
  ): Promise<void> {
    if (this.#finished) this.#fail("the writer is finished");
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (!isValidType(type)) {
      this.#fail(`type ${JSON.stringify(type)} is not 4 ASCII letters or digits`);
    }
    if (body.length > MAX_PAYLOAD_LENGTH - ADDRESS_LENGTH) {
      this.#fail(`"${type}" body of ${body.length} bytes exceeds the 4 GiB chunk limit`);
    }
    if (type === CHUNK_TYPES.index) this.#fail(`"${CHUNK_TYPES.index}" is written by finish()`);
    if (type === CHUNK_TYPES.header && (level !== null || block !== null)) {
      this.#fail(`"${CHUNK_TYPES.header}" must not have a level or block`);
    }
    if (this.#header === null) {
      if (type !== CHUNK_TYPES.header) {
        this.#fail(`"${CHUNK_TYPES.header}" must be the first chunk, found "${type}"`);
      }
    } else {
      const problem = this.#order!.accept({ type, level, block });
      if (problem !== null) this.#fail(problem);
    }
    const { chunk, flags } = encodeChunkFor(this.#version, type, { level, block }, body);
    const preamble = this.#offset === 0 ? this.#enqueue(encodePreamble(this.#version)) : null;
    this.#entries.push({
      type,
      level,
      block,
      flags,
      offset: this.#offset,
      length: chunk.length,
    });
    const written = this.#enqueue(chunk);
    return preamble ? preamble.then(() => written) : written;
  }

  #levelHeader(level: number, what: string) {
    const header = this.#header;
    if (header === null) {
      this.#fail(`"${CHUNK_TYPES.header}" must be the first chunk, found ${what}`);
    }
    if (!Number.isInteger(level) || level < 0 || level >= header.levels.length) {
      throw new RangeError(
        `Cannot write ${what} of level ${level}: the header has levels 0..${
          header.levels.length - 1
        }`,
      );
    }
    return header.levels[level];
  }

  /**
   * Writes the `MHDR` chunk; must be first.
   *
   * @param header A valid header.
   * @returns Resolves when the sink has taken the bytes.
   */
  async writeHeader(header: MrcHeader): Promise<void> {
    if (this.#header !== null) this.#fail(`duplicate "${CHUNK_TYPES.header}" chunk`);
    const body = encodeHeader(header);
    const written = this.#append(CHUNK_TYPES.header, null, null, body);
    this.#start(decodeHeader(body));
    await written;
  }

  #start(header: MrcHeader): void {
    this.#header = header;
    this.#order = new ChunkOrder(header);
  }

  /**
   * Writes the optional `META` chunk (free-form JSON), right after the header.
   *
   * @param meta A JSON-serializable object.
   * @returns Resolves when the sink has taken the bytes.
   */
  async writeMeta(meta: Record<string, unknown>): Promise<void> {
    await this.#append(CHUNK_TYPES.meta, null, null, encodeMeta(meta));
  }

  /**
   * Writes the optional `ATTR` chunk (version 1.2): the source variable's name, type, attributes,
   * dimensions and coordinates. After `META` (if any), before `NANM` and the levels.
   *
   * @param attributes The description of the source; its dimensions must match the header's
   *   `inputShape` (or `shape`).
   * @returns Resolves when the sink has taken the bytes.
   */
  async writeAttributes(attributes: MrcAttributes): Promise<void> {
    const header = this.#header;
    if (header === null) {
      this.#fail(
        `"${CHUNK_TYPES.header}" must be the first chunk, found "${CHUNK_TYPES.attributes}"`,
      );
    }
    const body = encodeAttributes(attributes);
    try {
      decodeAttributes(body, header);
    } catch (e) {
      const prefix = `Cannot read chunk "${CHUNK_TYPES.attributes}": `;
      const message = (e as Error).message;
      this.#fail(
        `"${CHUNK_TYPES.attributes}" ${
          message.startsWith(prefix) ? message.slice(prefix.length) : message
        }`,
      );
    }
    await this.#append(CHUNK_TYPES.attributes, null, null, body);
  }

  /**
   * Writes the `NANM` chunk; required when `header.missing.mode` is not `"none"`.
   *
   * @param mask `T * H * W` (or `H * W`, shared) bytes, non-zero where values are missing; the
   *   number of missing values must equal `header.missing.count`.
   * @returns Resolves when the sink has taken the bytes.
   */
  async writeMissingMask(mask: Uint8Array): Promise<void> {
    const header = this.#header;
    if (header === null) {
      this.#fail(
        `"${CHUNK_TYPES.header}" must be the first chunk, found "${CHUNK_TYPES.missingMask}"`,
      );
    }
    const [t, h, w] = header.shape;
    const problem = missingCountProblem(header, mask, mask.length === h * w && t * h * w !== h * w);
    if (problem !== null) this.#fail(`"${CHUNK_TYPES.missingMask}" ${problem}`);
    await this.#append(
      CHUNK_TYPES.missingMask,
      null,
      null,
      encodeMissingMask(mask, header.shape, codesMask(this.#version)),
    );
  }

  /**
   * Writes the `DECW` chunk of a level. A `LevelModel` from `src/model/model.ts` fits as is.
   *
   * @param level Level index.
   * @param weights Decoder weights; group channel counts must match the header.
   * @returns Resolves when the sink has taken the bytes.
   */
  async writeLevelWeights(level: number, weights: LevelWeights): Promise<void> {
    const groups = this.#levelHeader(level, `"${CHUNK_TYPES.levelWeights}"`).groups;
    const found = weights.groups.map((g) => g.deconvKernels.length / 9);
    if (JSON.stringify(found) !== JSON.stringify(groups)) {
      this.#fail(
        `"${CHUNK_TYPES.levelWeights}" level ${level} has group channels ${
          JSON.stringify(found)
        }, the header says ${JSON.stringify(groups)}`,
      );
    }
    await this.#append(CHUNK_TYPES.levelWeights, level, null, encodeLevelWeights(weights));
  }

  /**
   * Writes the `MASK` chunk of a level.
   *
   * @param level Level index.
   * @param masks One latent-grid mask per group of the level.
   * @returns Resolves when the sink has taken the bytes.
   */
  async writeMasks(level: number, masks: readonly Uint8Array[]): Promise<void> {
    const { latent, groups } = this.#levelHeader(level, `"${CHUNK_TYPES.masks}"`);
    if (masks.length !== groups.length) {
      this.#fail(
        `"${CHUNK_TYPES.masks}" level ${level} has ${masks.length} masks, the header has ${groups.length} groups`,
      );
    }
    const body = encodeMasks(masks, latent);
    const counts = masks.map(maskCount);
    const written = this.#append(CHUNK_TYPES.masks, level, null, body);
    this.#maskCounts = { level, counts };
    await written;
  }

  /**
   * Writes one `CODE` chunk. Streams: the base stream (level 0 only, all latent positions), then
   * for each group and channel the positions its mask keeps.
   *
   * @param level Level index.
   * @param block Block index; blocks are written in order.
   * @param code The block's snapshot count and streams.
   * @param options Predictor choice.
   * @returns Resolves when the sink has taken the bytes.
   */
  async writeCodeBlock(
    level: number,
    block: number,
    code: CodeBlock,
    options?: EncodeCodeBlockOptions,
  ): Promise<void> {
    const levelHeader = this.#levelHeader(level, `"${CHUNK_TYPES.code}"`);
    const header = this.#header!;
    const snapshotCount = blockSnapshotCount(header, block);
    if (code.snapshotCount !== snapshotCount) {
      this.#fail(
        `"${CHUNK_TYPES.code}" level ${level} block ${block} has ${code.snapshotCount} snapshots, expected ${snapshotCount}`,
      );
    }
    const streams = codeStreamCount(header, level);
    if (code.streams.length !== streams) {
      this.#fail(
        `"${CHUNK_TYPES.code}" level ${level} block ${block} has ${code.streams.length} streams, expected ${streams}`,
      );
    }
    const counts = this.#maskCounts?.level === level ? this.#maskCounts.counts : null;
    const expected = streamLayout(levelHeader.groups, level === 0).groupOf.map((g) =>
      g < 0 ? levelHeader.latent[0] * levelHeader.latent[1] : counts ? counts[g] : NaN
    );
    code.streams.forEach((stream, s) => {
      const want = expected[s] * snapshotCount;
      if (!Number.isNaN(want) && stream.length !== want) {
        this.#fail(
          `"${CHUNK_TYPES.code}" level ${level} block ${block} stream ${s} has ${stream.length} values, expected ${want}`,
        );
      }
    });
    await this.#append(CHUNK_TYPES.code, level, block, encodeCodeBlock(code, options));
  }

  /**
   * Writes one `BCOD` chunk (version 1.2): the bounded codes of one level of one block.
   *
   * @param level Level index; levels are written coarse to fine, blocks in order within a level.
   * @param block Block index.
   * @param code The block's snapshot count and range-coded bytes.
   * @returns Resolves when the sink has taken the bytes.
   */
  async writeBoundedBlock(level: number, block: number, code: BoundedBlock): Promise<void> {
    this.#levelHeader(level, `"${CHUNK_TYPES.bounded}"`);
    const snapshotCount = blockSnapshotCount(this.#header!, block);
    if (code.snapshotCount !== snapshotCount) {
      this.#fail(
        `"${CHUNK_TYPES.bounded}" level ${level} block ${block} has ${code.snapshotCount} snapshots, expected ${snapshotCount}`,
      );
    }
    await this.#append(CHUNK_TYPES.bounded, level, block, encodeBoundedBlock(code));
  }

  /**
   * Writes a chunk from a ready body, e.g. a chunk type of a newer minor version or a chunk
   * copied from another file. Order rules still apply.
   *
   * @param type 4 ASCII letters or digits.
   * @param body The body (after the address).
   * @param address Level and block; default none.
   * @returns Resolves when the sink has taken the bytes.
   */
  async writeChunk(type: string, body: Uint8Array, address: ChunkAddress = {}): Promise<void> {
    const level = address.level ?? null;
    const block = address.block ?? null;
    if (level !== null && (!Number.isInteger(level) || level < 0 || level >= 0xffff)) {
      throw new RangeError(`Cannot write chunk "${type}": level ${level} is not in 0..65534`);
    }
    if (block !== null && (!Number.isInteger(block) || block < 0 || block >= 0xffffffff)) {
      throw new RangeError(`Cannot write chunk "${type}": block ${block} is not in 0..4294967294`);
    }
    if (type === CHUNK_TYPES.header) {
      if (this.#header !== null) this.#fail(`duplicate "${CHUNK_TYPES.header}" chunk`);
      let header: MrcHeader;
      try {
        header = decodeHeader(body);
      } catch (e) {
        throw new TypeError(`Cannot write chunk "${CHUNK_TYPES.header}": ${(e as Error).message}`, {
          cause: e,
        });
      }
      const written = this.#append(type, level, block, body);
      this.#start(header);
      await written;
      return;
    }
    await this.#append(type, level, block, body);
  }

  /**
   * Writes the index and the trailer, closes a `WritableStream` sink, and resolves with the file
   * size. Rejects with a `TypeError` when a required chunk is missing.
   *
   * @returns Total bytes written.
   */
  async finish(): Promise<number> {
    if (this.#finished) this.#fail("the writer is finished");
    if (this.#header === null) this.#fail(`missing "${CHUNK_TYPES.header}" chunk`);
    const problem = this.#order!.finish();
    if (problem !== null) this.#fail(problem);
    this.#finished = true;
    const indexOffset = this.#offset;
    const index = encodeIndexFor(this.#version, this.#entries);
    this.#enqueue(index).catch(() => {});
    const trailer = encodeTrailer({ indexOffset, indexLength: index.length, ...this.#version });
    await this.#enqueue(trailer);
    await this.#close();
    return this.#offset;
  }
}
