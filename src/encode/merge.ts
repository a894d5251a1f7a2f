// This module is browser compatible.
/**
 * Merging shards (SPEC.md §4.1.2) into the whole without decoding: every `BCOD` chunk is copied
 * as it is, its block renumbered and its CRC-32 checked and remade; the header, the report
 * (`META`), the source attributes and the missing-value mask of the whole are made from the
 * shards'. Shards of block-aligned ranges, coded with the same options, merge into the bytes one
 * compression of the whole writes (with `reproducible`).
 *
 * @module
 */

import { openContainer } from "../../format/reader.ts";
import { crc32, crc32Combine } from "../../format/_checksum.ts";
import type { MrcContainer } from "../../format/reader.ts";
import type { RangeSource } from "../../format/source.ts";
import type { MrcHeader } from "../../format/header.ts";
import { decodeAttributes, encodeAttributes, type MrcAttributes } from "../../format/attributes.ts";
import { encodeHeader } from "../../format/header.ts";
import { encodeMeta } from "../../format/meta.ts";
import {
  encodeChunk,
  encodeChunkFor,
  encodeIndexFor,
  encodePreamble,
  encodeTrailer,
  type MrcChunkEntry,
} from "../../format/_framing.ts";
import { CHUNK_TYPES, VERSION_MAJOR, VERSION_MINOR } from "../../format/_constants.ts";
import { encodePredictor, fixedPredictor } from "../bounded/learned.ts";
import { type BlockFigures, fromLevelFigures, keepsLearned, levelReports } from "./block_report.ts";
import { boundedHeader, type BoundedReport, boundedReport, roundReport } from "./bounded.ts";
import { MaskBuilder, type ShardFigures } from "./blockwise.ts";

/** One shard to merge: a name for messages and its bytes. */
export interface MergeInput {
  /** How messages name it (its path). */
  name: string;
  /** Its bytes. */
  source: RangeSource;
}

/** Options of {@linkcode mergeShards}. */
export interface MergeOptions {
  /** Leaves the date and the timing out of the report, as `compress` does. Default false. */
  reproducible?: boolean;
  /** Aborts between chunks. */
  signal?: AbortSignal;
  /**
   * CRC-32 of `bytes` continued from `crc` (zlib's `crc32()`, as `node:zlib`'s): a native one
   * makes the merge as fast as the disk. Default: the format's, in JavaScript
   * (`format/_checksum.ts`).
   */
  crc32?: (bytes: Uint8Array, crc?: number) => number;
  /**
   * The sink is done with the bytes of each `write()` when it resolves (a file writes them), and
   * a source may hand back, for a large read, the buffer of its read before the last: merge
   * starts a read before writing out the one before it, and writes out all it holds of a read
   * before starting the one after next, so that two buffers per source can be reused. Default
   * false.
   */
  transient?: boolean;
}

/** What {@linkcode mergeShards} returns. */
export interface MergeResult {
  /** The whole's report, as stored (rounded). */
  report: Record<string, unknown>;
  /** Bytes written. */
  bytes: number;
  /** Bytes of `BCOD` chunks copied. */
  copied: number;
  /**
   * Why the whole differs from one compression of it, or null when it does not: only where
   * predictor `"auto"` shards chose learned prediction differently from how the whole would.
   */
  notIdentical: string | null;
}

function fail(message: string): never {
  throw new Error(`Cannot merge: ${message}`);
}

/** An open shard and what merging needs of it. */
interface Shard {
  name: string;
  source: RangeSource;
  file: MrcContainer;
  header: MrcHeader;
  first: number;
  count: number;
  figures: ShardFigures;
  report: Record<string, unknown>;
  attributes: MrcAttributes | null;
}

async function openShard(input: MergeInput, signal?: AbortSignal): Promise<Shard> {
  const { name, source } = input;
  let file: MrcContainer;
  try {
    file = await openContainer(source, { signal });
  } catch (e) {
    fail(`${name}: ${(e as Error).message}`);
  }
  const header = file.header;
  if (header.shard === undefined) {
    fail(
      `${name} is not a shard (its header has no "shard"): write shards with compress --snapshots A:B or --shard I/N`,
    );
  }
  const figures = file.meta?.shard as ShardFigures | undefined;
  const blocks = Math.ceil(header.shape[0] / header.blockSize);
  if (
    typeof figures !== "object" || figures === null || !Array.isArray(figures.blocks) ||
    figures.blocks.length !== blocks || figures.first !== header.shard.first ||
    figures.total !== header.shard.total ||
    !figures.blocks.every((b) =>
      Array.isArray(b?.levels) && b.levels.length === header.levels.length &&
      b.levels.every((l) => Array.isArray(l) && l.length === 10 && l.every(Number.isFinite))
    )
  ) {
    fail(
      `${name} has no per-block figures for its ${blocks} blocks (META "shard", SPEC.md §4.1.2): it was not written by compress --snapshots`,
    );
  }
  return {
    name,
    source,
    file,
    header,
    first: header.shard.first,
    count: header.shape[0],
    figures,
    report: file.meta!,
    attributes: await file.readAttributes({ signal }),
  };
}

/** The attributes with the leading dimension's size and values left out, as JSON. */
function attributesKey(a: MrcAttributes | null): string {
  if (a === null) return "null";
  return JSON.stringify({
    ...a,
    dimensions: a.dimensions.map((d, i) => i === 0 ? { ...d, size: 0, values: null } : d),
  });
}

const show = (v: unknown) => JSON.stringify(v);

/** Checks that `s` agrees with the reference shard `r` on everything but its place. */
function checkAgree(r: Shard, s: Shard): void {
  const pair = `${r.name} and ${s.name}`;
  const a = r.header, b = s.header;
  if (a.shard!.total !== b.shard!.total) {
    fail(
      `${pair} are shards of different files: the whole has ${
        a.shard!.total
      } snapshots in ${r.name}, ${b.shard!.total} in ${s.name}`,
    );
  }
  if (a.shape[1] !== b.shape[1] || a.shape[2] !== b.shape[2]) {
    fail(
      `${pair} have different grids: ${a.shape[1]}x${a.shape[2]} and ${b.shape[1]}x${b.shape[2]}`,
    );
  }
  if (a.dtype !== b.dtype) fail(`${pair} have different data types: ${a.dtype} and ${b.dtype}`);
  if (a.bound!.abs !== b.bound!.abs) {
    fail(`${pair} have different bounds: ${a.bound!.abs} and ${b.bound!.abs}`);
  }
  if (a.levels.length !== b.levels.length) {
    fail(`${pair} have different level counts: ${a.levels.length} and ${b.levels.length}`);
  }
  if (a.blockSize !== b.blockSize) {
    fail(`${pair} have different block sizes: ${a.blockSize} and ${b.blockSize}`);
  }
  if (a.bound!.keyInterval !== b.bound!.keyInterval) {
    fail(
      `${pair} have different key intervals: ${a.bound!.keyInterval} and ${b.bound!.keyInterval}`,
    );
  }
  if (r.figures.predictor !== s.figures.predictor) {
    fail(
      `${pair} have different predictors: ${r.figures.predictor} and ${s.figures.predictor}`,
    );
  }
  const ra = r.report.bound as BoundedReport["bound"] | undefined;
  const sa = s.report.bound as BoundedReport["bound"] | undefined;
  if (show(ra?.requested) !== show(sa?.requested)) {
    fail(
      `${pair} were given different bounds: ${show(ra?.requested)} and ${show(sa?.requested)}`,
    );
  }
  if (show(r.figures.range) !== show(s.figures.range)) {
    fail(
      `${pair} were given different ranges: ${show(r.figures.range)} and ${show(s.figures.range)}`,
    );
  }
  if (r.figures.fillValue !== s.figures.fillValue) {
    fail(
      `${pair} mark missing values differently: ${
        r.figures.fillValue === null ? "NaN" : `fill value ${r.figures.fillValue}`
      } and ${s.figures.fillValue === null ? "NaN" : `fill value ${s.figures.fillValue}`}`,
    );
  }
  if (attributesKey(r.attributes) !== attributesKey(s.attributes)) {
    const what = r.attributes === null || s.attributes === null
      ? `only ${r.attributes === null ? s.name : r.name} has source attributes (ATTR)`
      : r.attributes.variable.name !== s.attributes.variable.name
      ? `variables "${r.attributes.variable.name}" and "${s.attributes.variable.name}"`
      : "their source attributes differ";
    fail(`${pair} are shards of different files: ${what}`);
  }
}

/** Checks that the shards, sorted by first snapshot, cover 0 .. total - 1 exactly once. */
function checkCover(shards: Shard[], total: number): void {
  let next = 0, last: Shard | null = null;
  for (const s of shards) {
    if (s.first > next) {
      fail(
        `snapshots ${next}..${s.first - 1} are in no shard (a gap ${
          last ? `between ${last.name} and ${s.name}` : `before ${s.name}`
        })`,
      );
    }
    if (s.first < next) {
      fail(
        `${last!.name} and ${s.name} overlap: both hold snapshots ${s.first}..${
          Math.min(next, s.first + s.count) - 1
        }`,
      );
    }
    next = s.first + s.count;
    last = s;
  }
  if (next < total) {
    fail(`snapshots ${next}..${total - 1} are in no shard (a gap after ${last!.name})`);
  }
}

/** Buffers output into pieces of about 8 MiB. */
class Output {
  #parts: Uint8Array[] = [];
  #held = 0;
  offset = 0;
  constructor(readonly sink: { write(bytes: Uint8Array): void | Promise<void> }) {}
  /** Queues `bytes` (kept as they are, not copied: the caller must not change them). */
  async put(bytes: Uint8Array): Promise<void> {
    this.offset += bytes.length;
    if (bytes.length >= 1 << 20) {
      // Large pieces go as they are, with no copy.
      await this.flush();
      await this.sink.write(bytes);
      return;
    }
    this.#parts.push(bytes);
    this.#held += bytes.length;
    if (this.#held >= 8 << 20) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.#held === 0) return;
    const out = new Uint8Array(this.#held);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    this.#parts = [];
    this.#held = 0;
    await this.sink.write(out);
  }
}

/** Largest span of a shard read at once while copying. */
const SPAN = 32 << 20;

/**
 * Merges shards into the whole and writes it into `sink`, in the newest format version of the
 * shards (at most this release's): shards written for an older release merge into a file it
 * reads.
 *
 * @param inputs The shards, in any order.
 * @param sink Where the whole goes.
 * @param options Reproducible report, signal.
 * @returns The stored report, the sizes, and whether the whole equals one compression of it.
 * @throws {Error} `Cannot merge: ...` naming the shard and what does not fit: not a shard, a
 *   damaged or truncated one, a different bound, grid, level count, block size, key interval,
 *   predictor, missing-value rule or source, a gap, an overlap.
 */
export async function mergeShards(
  inputs: readonly MergeInput[],
  sink: { write(bytes: Uint8Array): void | Promise<void> },
  options: MergeOptions = {},
): Promise<MergeResult> {
  return await (await prepareMerge(inputs, options)).write(sink);
}

/** Shards checked and ready to merge: {@linkcode PreparedMerge.write} writes the whole. */
export interface PreparedMerge {
  /** The whole's header. */
  header: MrcHeader;
  /** Why the whole will differ from one compression of it, or null (see {@linkcode MergeResult}). */
  notIdentical: string | null;
  /** Writes the whole into `sink`. */
  write(sink: { write(bytes: Uint8Array): void | Promise<void> }): Promise<MergeResult>;
}

/**
 * Opens and checks the shards and makes the whole's header, report, attributes and mask: every
 * refusal of {@linkcode mergeShards} happens here, before anything is written, except a damaged
 * chunk, found while copying.
 *
 * @param inputs The shards, in any order.
 * @param options Reproducible report, signal.
 * @returns What writes the whole.
 */
export async function prepareMerge(
  inputs: readonly MergeInput[],
  options: MergeOptions = {},
): Promise<PreparedMerge> {
  const { signal } = options;
  const crc = options.crc32 ?? crc32;
  if (inputs.length === 0) fail("no shards given");
  const shards: Shard[] = [];
  for (const input of inputs) shards.push(await openShard(input, signal));
  shards.sort((a, b) => a.first - b.first || a.count - b.count);
  const ref = shards[0];
  for (const s of shards.slice(1)) checkAgree(ref, s);
  const total = ref.header.shard!.total;
  checkCover(shards, total);

  const [, H, W] = ref.header.shape;
  const N = ref.header.levels.length;
  const { blockSize } = ref.header;
  const { abs: eb, keyInterval } = ref.header.bound!;
  const predictor = ref.figures.predictor;
  const cubic = predictor !== "linear";
  const dims: [number, number, number] = [total, H, W];

  // Learned prediction: the whole's choice from every block's own coding, as codeAll() makes it.
  const all = shards.flatMap((s) => s.figures.blocks);
  const wholeLearned = keepsLearned(
    all.map((b) => ({ learned: b.learned, size: b.size, fixedSize: b.fixedSize })),
    N,
  );
  const learnedShard = (s: Shard) => s.header.bound!.interpolation === "learned";
  const learned = shards.some(learnedShard);
  const differ = shards.filter((s) =>
    learnedShard(s) !== wholeLearned && (learnedShard(s) || s.figures.blocks.some((b) => b.learned))
  );
  const notIdentical = differ.length === 0
    ? null
    : `${differ[0].name} chose ${
      learnedShard(differ[0]) ? "learned" : "fixed"
    } prediction where one compression of the whole would choose ${
      wholeLearned ? "learned" : "fixed"
    } (predictor auto): the whole is valid, within the bound, but not byte-identical to one compression`;
  // Shards without learned prediction in a learned whole: records of their fixed interpolation.
  const convert = (s: Shard) => learned && !learnedShard(s);

  // The report, from the blocks' figures in order.
  const figures: BlockFigures[] = [];
  for (const s of shards) {
    for (const b of s.figures.blocks) {
      const f = fromLevelFigures(b.levels);
      if (convert(s)) f.bytes = f.bytes.map((v, k) => v + (k > 0 ? 2 : 0));
      figures.push(f);
    }
  }
  const mins = shards.map((s) => s.figures.min).filter((v): v is number => v !== null);
  const maxs = shards.map((s) => s.figures.max).filter((v): v is number => v !== null);
  if (mins.length === 0) fail("every value of every shard is missing or NaN");
  const min = Math.min(...mins), max = Math.max(...maxs);
  const range = max - min;
  const levels = levelReports(figures, dims, N, range);
  const interpolation = learned ? "learned" : cubic ? "cubic" : "linear";
  const refBound = ref.report.bound as BoundedReport["bound"];
  const requested = { ...refBound.requested } as Record<string, unknown>;
  // The whole's own range given: as one compression with relErrorBound writes it.
  const given = ref.figures.range;
  if (given !== null && given[0] === min && given[1] === max) delete requested.range;
  const inputShape = total === 1 && ref.header.inputShape?.length === 2
    ? ref.header.inputShape
    : dims;
  const encodeSeconds = shards.reduce(
    (a, s) => a + (typeof s.report.encodeSeconds === "number" ? s.report.encodeSeconds : 0),
    0,
  );
  const report = boundedReport({
    inputShape,
    eb,
    range,
    requested: requested as BoundedReport["bound"]["requested"],
    trials: 1,
    keyInterval,
    interpolation,
    predictor,
    blockSize,
    encodeSeconds,
    levels,
  });
  const meta = roundReport(report, options.reproducible ?? false);

  // The missing-value mask of the whole, from the shards'.
  const fill = ref.figures.fillValue ?? undefined;
  const mask = new MaskBuilder(total, H, W);
  for (const s of shards) {
    const m = await s.file.readMissingMask({ signal }).catch((e) =>
      fail(`${s.name}: ${(e as Error).message}`)
    );
    let bits: Uint8Array | null = null;
    if (m !== null) {
      if (m.shared) {
        bits = new Uint8Array(s.count * H * W);
        for (let t = 0; t < s.count; t++) bits.set(m.mask, t * H * W);
      } else bits = m.mask;
    }
    mask.add(s.first, s.count, bits);
  }
  const header = boundedHeader(
    dims,
    inputShape,
    { levels: N, blockSize, keyInterval },
    eb,
    interpolation,
    {
      dtype: ref.header.dtype,
      missingCount: mask.count,
      fillValue: fill,
    },
  );
  let attributes: Uint8Array | null = null;
  if (ref.attributes !== null) {
    const lead = ref.attributes.dimensions[0];
    const values = shards.every((s) => s.attributes!.dimensions[0].values !== null)
      ? shards.flatMap((s) => s.attributes!.dimensions[0].values!)
      : null;
    const whole: MrcAttributes = {
      ...ref.attributes,
      dimensions: ref.attributes.dimensions.map((d, i) =>
        i === 0 ? { ...lead, size: inputShape.length === 3 ? total : lead.size, values } : d
      ),
    };
    attributes = encodeAttributes(whole);
    decodeAttributes(attributes, header); // the whole's attributes fit the whole's header
  }

  const write = async (sink: { write(bytes: Uint8Array): void | Promise<void> }) => {
    // Write: preamble, file-level chunks, the levels' chunks copied, index, trailer. The version
    // is the newest of the shards' that this one writes: shards written for an older release
    // (compress --format-version) merge into a file that release reads.
    const newest = Math.max(...shards.map((s) => s.file.version.minor));
    const version = { major: VERSION_MAJOR, minor: Math.min(newest, VERSION_MINOR) };
    const out = new Output(sink);
    const entries: MrcChunkEntry[] = [];
    const chunk = async (type: string, body: Uint8Array) => {
      const { chunk: framed, flags } = encodeChunkFor(
        version,
        type,
        { level: null, block: null },
        body,
      );
      entries.push({
        type,
        level: null,
        block: null,
        flags,
        offset: out.offset,
        length: framed.length,
      });
      await out.put(framed);
    };
    await out.put(encodePreamble(version));
    await chunk(CHUNK_TYPES.header, encodeHeader(header));
    await chunk(CHUNK_TYPES.meta, encodeMeta(meta));
    if (attributes) await chunk(CHUNK_TYPES.attributes, attributes);
    if (mask.count > 0) {
      await chunk(
        CHUNK_TYPES.missingMask,
        mask.body(version),
      );
    }
    const record = encodePredictor(fixedPredictor(cubic));
    let copied = 0;
    // The reads, in output order: runs of chunks back to back in a shard, up to SPAN bytes each.
    const reads: { s: Shard; k: number; list: MrcChunkEntry[]; from: number; span: number }[] = [];
    for (let k = 0; k < N; k++) {
      for (const s of shards) {
        const all = s.file.chunks.filter((c) => c.type === CHUNK_TYPES.bounded && c.level === k);
        all.sort((a, b) => a.block! - b.block!);
        for (let i = 0; i < all.length;) {
          let j = i + 1;
          while (
            j < all.length && all[j].offset === all[j - 1].offset + all[j - 1].length &&
            all[j].offset + all[j].length - all[i].offset <= SPAN
          ) j++;
          const from = all[i].offset;
          reads.push({
            s,
            k,
            list: all.slice(i, j),
            from,
            span: all[j - 1].offset + all[j - 1].length - from,
          });
          i = j;
        }
      }
    }
    // Each read is started before the chunks of the one before are written: disk and copy overlap.
    const start = (r: typeof reads[number]) => r.s.source.read(r.from, r.span, { signal });
    let next = reads.length > 0 ? start(reads[0]) : null;
    for (let r = 0; r < reads.length; r++) {
      signal?.throwIfAborted();
      const { s, k, list, from, span } = reads[r];
      const base = s.first / blockSize;
      const bytes = await next!;
      next = r + 1 < reads.length ? start(reads[r + 1]) : null;
      if (bytes.length !== span) {
        next?.catch(() => {});
        fail(`${s.name}: file truncated at offset ${from + bytes.length}`);
      }
      for (let e = 0; e < list.length; e++) {
        const entry = list[e];
        const at = entry.offset - from;
        let framed = bytes.subarray(at, at + entry.length);
        const view = new DataView(framed.buffer, framed.byteOffset, framed.byteLength);
        const stored = view.getUint32(framed.length - 4, true);
        // The CRC covers type, address and body: the body's is computed once, for the check and
        // for the renumbered chunk (crc32Combine).
        const body = framed.subarray(16, framed.length - 4);
        const bodyCrc = crc(body, 0) >>> 0;
        if (crc32Combine(crc(framed.subarray(4, 16), 0), bodyCrc, body.length) !== stored) {
          next?.catch(() => {});
          fail(
            `${s.name}: chunk "${CHUNK_TYPES.bounded}" level ${k} block ${entry.block} at offset ${entry.offset} is damaged (CRC-32 mismatch)`,
          );
        }
        const block = base + entry.block!;
        if (convert(s) && k > 0) {
          // The record goes after the snapshot count: a new body, framed anew.
          const next = new Uint8Array(body.length + record.length);
          next.set(body.subarray(0, 4));
          next.set(record, 4);
          next.set(body.subarray(4), 4 + record.length);
          framed = encodeChunk(
            CHUNK_TYPES.bounded,
            { level: k, block, flags: entry.flags },
            next,
          );
        }
        entries.push({
          type: CHUNK_TYPES.bounded,
          level: k,
          block,
          flags: entry.flags,
          offset: out.offset,
          length: framed.length,
        });
        copied += framed.length;
        if (convert(s) && k > 0) await out.put(framed);
        else {
          // The body is copied as it is (a view, no copy): a new prefix with the block
          // renumbered, and the CRC of the new type, address and body.
          const prefix = framed.slice(0, 16);
          new DataView(prefix.buffer).setUint32(12, block, true);
          const tail = new Uint8Array(4);
          new DataView(tail.buffer).setUint32(
            0,
            crc32Combine(crc(prefix.subarray(4), 0), bodyCrc, body.length),
            true,
          );
          await out.put(prefix);
          await out.put(body);
          await out.put(tail);
        }
      }
      if (options.transient) await out.flush();
    }
    const indexOffset = out.offset;
    const index = encodeIndexFor(version, entries);
    await out.put(index);
    await out.put(encodeTrailer({ indexOffset, indexLength: index.length, ...version }));
    await out.flush();
    return { report: meta, bytes: out.offset, copied, notIdentical };
  };
  return { header, notIdentical, write };
}
