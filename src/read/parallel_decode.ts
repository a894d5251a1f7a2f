// This module is browser compatible.
/**
 * One level of a bounded file decoded on several threads (`decode({ threads })`): the blocks the
 * range touches are decoded whole, by this thread and by the workers of a {@linkcode DecodePool}
 * started for the call and ended before it returns (`threads - 1` of them: this thread's
 * compiled code is warm, a new worker's is not). This thread reads every chunk (one source read
 * each), posts the workers their blocks' chunks, decodes blocks itself between their replies and
 * copies each worker's points of the level into the output. The values are those of the
 * one-thread decode (`bounded_engine.ts`): the same coder on the same bytes.
 *
 * The coder cache is used as on one thread: a block it holds with the level is read out of it
 * here, a block it holds with fewer levels is continued from its state (sent to a worker or
 * decoded here), and every block's state comes back to the cache at the end.
 *
 * @module
 */

import type { MrcHeader } from "../../format/header.ts";
import { BlockCoder } from "../bounded/block_coder.ts";
import { boundedBudget, type DecodeRequest, needsBudget } from "./_budget.ts";
import { gatherLevel } from "./_gather.ts";
import { blockMissing, blockParams } from "./bounded_engine.ts";
import type { CoderCache } from "./coder_cache.ts";
import { DecodePool, decodeWorkersAvailable } from "./decode_pool.ts";
import { type DecodedLevel, decodedLevel, levelExtent, restoreMissing } from "./output.ts";

/** Most threads a decode takes (as compression). */
export const MAX_THREADS = 1024;

/** Checks a `threads` option: an integer from 1 to 1024. */
export function checkThreads(threads: number): number {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new TypeError(
      `Cannot decode: threads must be an integer from 1 to ${MAX_THREADS}, found ${threads}`,
    );
  }
  return threads;
}

/** What the parallel decode reads of its file (`MrcFile` gives it its own reads). */
export interface BlockReads {
  /**
   * The coded bytes of block `block`'s `BCOD` chunk of level `level`: one source read, checked
   * (and refused above `maxBytes`) as on one thread.
   */
  coded(level: number, block: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** Bytes of that chunk in the file, from the index. */
  length(level: number, block: number): number;
  /** The file's expanded `T * H * W` missing mask, or null. */
  missing(signal?: AbortSignal): Promise<Uint8Array | null>;
}

/**
 * Bytes a worker's share of the decode holds besides the coders (which the one-thread budget
 * counts): for each of the two jobs it may have (one decoding, one waiting in its queue), a copy
 * of the block's missing mask, its coded bytes and the block's points of the level it sends back.
 */
function workerBytes(
  header: MrcHeader,
  level: number,
  jobs: readonly number[],
  reads: Pick<BlockReads, "length">,
  levelsDone: (block: number) => number,
): number {
  const [, H, W] = header.shape;
  const bs = Math.min(header.blockSize, header.shape[0]);
  const e = levelExtent(header, level);
  const mask = header.missing.mode === "none" ? 0 : bs * H * W;
  let coded = 0;
  for (const b of jobs) {
    let sum = 0;
    for (let k = levelsDone(b); k <= level; k++) sum += reads.length(k, b);
    coded = Math.max(coded, sum);
  }
  return QUEUE * (mask + coded + 4 * bs * e.nr * e.nc);
}

/** Most jobs a worker has at once: one it decodes, one in its queue for when it is done. */
const QUEUE = 2;

/** How a parallel decode runs: see {@linkcode planParallel}. */
export interface ParallelPlan {
  /** Workers to start besides this thread (0: decode on this thread alone). */
  workers: number;
  /** The blocks to decode, in order (those the cache does not hold with the level). */
  jobs: number[];
  /** Bytes of the one-thread budget: every block's coder, the output, the missing mask. */
  bytes: number;
  /** Bytes each worker's share holds besides the coders. */
  each: number;
}

/**
 * Plans `request` (one level) on up to `threads` threads, this one included: checks the budget of
 * the one-thread decode first (the same requests are refused), then takes at most one thread per
 * block to decode and only as many workers as fit with it in `maxBytes`
 * (`bytes + workers * each <= maxBytes`).
 *
 * @throws {MrcFormatError} When the request is over `maxBytes`.
 */
export function planParallel(
  header: MrcHeader,
  request: DecodeRequest,
  maxBytes: number,
  threads: number,
  cache: CoderCache,
  reads: Pick<BlockReads, "length">,
): ParallelPlan {
  const { level, start, end } = request;
  // The one-thread engine's checks, in its order.
  const bytes = boundedBudget(header, request, maxBytes);
  needsBudget(header, request, maxBytes);
  const bs = header.blockSize;
  const first = Math.floor(start / bs), last = Math.floor((end - 1) / bs);
  const jobs: number[] = [];
  for (let b = first; b <= last; b++) if (cache.levelsDone(b) <= level) jobs.push(b);
  let workers = Math.max(0, Math.min(threads, jobs.length) - 1);
  const each = workerBytes(header, level, jobs, reads, (b) => cache.levelsDone(b));
  while (workers > 0 && bytes + workers * each > maxBytes) workers--;
  return { workers, jobs, bytes, each };
}

/**
 * Decodes `request` (one level) on the workers of {@linkcode planParallel}.
 *
 * @returns The level, or null where the caller should decode on one thread: workers cannot start
 *   here, fewer than two blocks need decoding or fit, or a worker or a read failed (the one-thread
 *   decode then gives the same values, or the error it would have given).
 * @throws {MrcFormatError} When the request is over `maxBytes`.
 * @throws The reason of `signal` once it aborts.
 */
export async function decodeParallel(
  header: MrcHeader,
  request: DecodeRequest,
  maxBytes: number,
  threads: number,
  cache: CoderCache,
  reads: BlockReads,
  signal?: AbortSignal,
): Promise<DecodedLevel | null> {
  const { level, start, end } = request;
  const { workers, jobs, bytes, each } = planParallel(
    header,
    request,
    maxBytes,
    threads,
    cache,
    reads,
  );
  if (workers === 0 || !decodeWorkersAvailable()) return null;
  const bs = header.blockSize;
  const first = Math.floor(start / bs), last = Math.floor((end - 1) / bs);

  const coders: (BlockCoder | undefined)[] = [];
  for (let b = first; b <= last; b++) coders.push(cache.take(b));
  cache.shrink(maxBytes - bytes - workers * each);
  const [, H, W] = header.shape;
  const e = levelExtent(header, level);
  const plane = e.nr * e.nc;
  const data = new Float32Array((end - start) * plane);
  const fill = header.missing.mode === "fill" ? header.missing.fillValue! : undefined;
  /** Block `b`'s snapshots of the range: its first in the block, how many, where they go. */
  const span = (b: number) => {
    const lo = Math.max(start, b * bs), hi = Math.min(end, (b + 1) * bs);
    return { from: lo - b * bs, count: hi - lo, at: (lo - start) * plane };
  };
  // Stops every job at the first failure, and with the caller's signal.
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal!.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  let pool: DecodePool | null = null;
  try {
    signal?.throwIfAborted();
    const missing = await reads.missing(signal);
    try {
      pool = new DecodePool(workers);
    } catch {
      // A worker refused at its start (a permission denied after all): one thread.
      return null;
    }
    const running = pool;
    let next = 0;
    /** Reads block `b`'s chunks of the levels its coder lacks (the coder, taken, is the job's). */
    const read = async (b: number) => {
      const coder = coders[b - first];
      coders[b - first] = undefined;
      const chunks: Uint8Array[] = [];
      for (let k = coder?.levelsDone ?? 0; k <= level; k++) {
        chunks.push(await reads.coded(k, b, stop.signal));
      }
      return { coder, chunks };
    };
    /** Puts block `b`'s decoded points (and missing values) in place; keeps its coder. */
    const place = (b: number, coder: BlockCoder, points: Float32Array | null) => {
      const { from, count, at } = span(b);
      const part = data.subarray(at, at + count * plane);
      if (points === null) {
        gatherLevel(coder.rec, H, W, e.rows, e.cols, from, count, part);
        if (missing) restoreMissing(header, e, part, b * bs + from, count, missing);
      } else {
        if (points.length !== part.length || coder.levelsDone !== level + 1) {
          throw new Error(`internal: a decode worker sent back the wrong level of block ${b}`);
        }
        part.set(points);
      }
      coders[b - first] = coder;
    };
    /** Block `b` on worker `w`, its reads and its reply handled as they come. */
    const post = async (w: number, b: number) => {
      const { coder, chunks } = await read(b);
      const params = blockParams(header, b);
      const mask = blockMissing(header, b, missing);
      const { from, count } = span(b);
      const out = await running.decode(w, {
        params,
        // Exact copies: a view would post its whole buffer (all of a file opened from bytes).
        missing: mask === null ? null : mask.slice(),
        state: coder === undefined
          ? null
          : { rec: coder.rec, q: coder.q, levelsDone: coder.levelsDone },
        chunks: chunks.map((c) => c.slice()),
        rows: e.rows,
        cols: e.cols,
        from,
        count,
        fill,
      }, stop.signal);
      place(b, new BlockCoder(params, mask, out.state), out.data);
    };
    /** Block `b` on this thread, as the one-thread decode does it. */
    const here = async (b: number) => {
      const { coder, chunks } = await read(b);
      const c = coder ?? new BlockCoder(blockParams(header, b), blockMissing(header, b, missing));
      for (const bytes of chunks) {
        // The one-thread decode, run again on failure, says what is wrong.
        if (c.decodeLevel(bytes) !== bytes.length) throw new Error("the coded bytes are wrong");
      }
      place(b, c, null);
    };
    // The blocks the cache holds with the level: read out of it.
    for (let b = first; b <= last; b++) {
      const coder = coders[b - first];
      if (coder !== undefined && coder.levelsDone > level) place(b, coder, null);
    }
    const tasks: Promise<void>[] = [];
    /** Per worker, the jobs given to it (being read, waiting or decoding). */
    const given = new Array<number>(workers).fill(0);
    let failed = false;
    try {
      while (!failed) {
        // A second job per worker (for when it is done, while this thread decodes a block)
        // while more remain than one each; then one at a time, so that none is left waiting.
        // The last job is this thread's: its code is warm and its block needs no copy, where a
        // worker would start it only after the one it is decoding.
        const depth = jobs.length - next > workers + 1 ? QUEUE : 1;
        for (let w = 0; w < workers; w++) {
          while (given[w] < depth && jobs.length - next > 1) {
            given[w]++;
            tasks.push(
              post(w, jobs[next++]).then(() => void given[w]--, (error) => {
                failed = true;
                stop.abort(error);
              }),
            );
          }
        }
        if (next === jobs.length) break;
        await here(jobs[next++]);
        // Lets the workers' replies in before the next block.
        await new Promise((r) => setTimeout(r, 0));
      }
    } catch (error) {
      failed = true;
      stop.abort(error);
    }
    await Promise.all(tasks);
    if (failed) {
      signal?.throwIfAborted();
      // A corrupt chunk, an unreadable source, a worker that could not start: the one-thread
      // decode says which (or decodes what a worker could not).
      return null;
    }
    return decodedLevel(level, start, end, e, data);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    pool?.close();
    coders.forEach((coder, i) => {
      if (coder !== undefined) cache.put(first + i, coder);
    });
  }
}
