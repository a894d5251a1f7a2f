// This module is browser compatible.
/**
 * Bounded decoding on several threads: a pool of workers (`decode_worker.ts`) that decode whole
 * blocks. A job is one block's `BCOD` coded bytes of the levels it lacks (and, for a block of the
 * coder cache, its decoded state); the worker decodes them exactly as the calling thread would and
 * sends back the requested level's points of the block and the block's state. Started per call,
 * ended by {@linkcode DecodePool.close} (a Deno worker keeps the process alive until it is ended).
 *
 * @module
 */

import type { BlockCoderState, BlockParams } from "../bounded/block_coder.ts";

const WORKER_URL = new URL("./decode_worker.ts", import.meta.url);

/**
 * Whether decode workers can start here: only in Deno, from a local module that exists and that
 * the process may read (a `--allow-read` limited to the input and output does not give it; a
 * module imported from a URL has no known import permission). In browsers the decoder is one bundled file, with no worker
 * module beside it: decoding stays on the calling thread.
 */
export function decodeWorkersAvailable(): boolean {
  if (typeof Worker === "undefined") return false;
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (!deno || WORKER_URL.protocol !== "file:") return false;
  if (deno.permissions.querySync({ name: "read", path: WORKER_URL }).state !== "granted") {
    return false;
  }
  // Bundled (`dist/decode.js` run by Deno): no worker module beside the bundle.
  try {
    return deno.statSync(WORKER_URL).isFile;
  } catch {
    return false;
  }
}

/** One block to decode: what {@linkcode DecodePool.decode} posts to a worker. */
export interface DecodeJob {
  id: number;
  params: BlockParams;
  /** The block's `n * H * W` missing mask (a copy), or null. */
  missing: Uint8Array | null;
  /** The decoded state to continue from (taken from the coder cache), or null: none decoded. */
  state: BlockCoderState | null;
  /** The coded bytes (copies) of levels `state.levelsDone ..` of the block, in level order. */
  chunks: Uint8Array[];
  /** The level's original rows and columns, and the block's snapshots to gather. */
  rows: Int32Array;
  cols: Int32Array;
  from: number;
  count: number;
  /** With `missing`: what a missing point decodes to (the file's fill value), else NaN. */
  fill?: number;
}

/** What a worker sends back: the gathered points and the block's state, or why it failed. */
export interface DecodeReply {
  id: number;
  data?: Float32Array;
  state?: BlockCoderState;
  error?: string;
}

type Pending = {
  resolve: (out: { data: Float32Array; state: BlockCoderState }) => void;
  reject: (error: unknown) => void;
};

/**
 * A pool of `size` decode workers, each taking jobs in the order they are posted (several may
 * wait in its queue); {@linkcode DecodePool.close} ends them.
 */
export class DecodePool {
  readonly #workers: Worker[] = [];
  /** Per worker, its jobs not answered yet, by id. */
  readonly #pending: Map<number, Pending>[] = [];
  #next = 0;
  #closed = false;

  /**
   * Starts `size` workers.
   *
   * @throws When one cannot start (those started are ended first).
   */
  constructor(size: number) {
    try {
      for (let i = 0; i < size; i++) this.#start();
    } catch (error) {
      this.close();
      throw error;
    }
  }

  #start(): void {
    const w = new Worker(WORKER_URL.href, { type: "module" });
    const pending = new Map<number, Pending>();
    const failAll = (error: Error) => {
      for (const p of pending.values()) p.reject(error);
      pending.clear();
    };
    w.onmessage = (e: MessageEvent<DecodeReply>) => {
      const p = pending.get(e.data.id);
      if (p === undefined) return;
      pending.delete(e.data.id);
      if (e.data.error !== undefined) {
        p.reject(new Error(`a decode worker failed: ${e.data.error}`));
      } else p.resolve({ data: e.data.data!, state: e.data.state! });
    };
    w.onerror = (e) => {
      e.preventDefault();
      failAll(new Error(`a decode worker failed: ${e.message}`));
    };
    w.onmessageerror = () => failAll(new Error("a decode worker's reply could not be read"));
    this.#workers.push(w);
    this.#pending.push(pending);
  }

  /**
   * Decodes one block on worker `i`, after the jobs posted to it before. The job's arrays are
   * transferred (the caller gives them up: pass copies of what it keeps).
   *
   * @throws {Error} When the worker fails (its message), the pool is closed, or `signal` aborts
   *   (its reason).
   */
  decode(
    i: number,
    job: Omit<DecodeJob, "id">,
    signal?: AbortSignal,
  ): Promise<{ data: Float32Array; state: BlockCoderState }> {
    if (this.#closed) return Promise.reject(new Error("the decode pool is closed"));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.#next++;
    const pending = this.#pending[i];
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        pending.delete(id);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const done = () => signal?.removeEventListener("abort", onAbort);
      pending.set(id, {
        resolve: (out) => (done(), resolve(out)),
        reject: (error) => (done(), reject(error)),
      });
      const transfer: Transferable[] = job.chunks.map((c) => c.buffer as ArrayBuffer);
      if (job.missing) transfer.push(job.missing.buffer as ArrayBuffer);
      if (job.state) {
        transfer.push(job.state.rec.buffer as ArrayBuffer, job.state.q.buffer as ArrayBuffer);
      }
      this.#workers[i].postMessage({ ...job, id } satisfies DecodeJob, transfer);
    });
  }

  /** Ends every worker (idempotent); unanswered and later jobs fail. */
  close(): void {
    this.#closed = true;
    for (const w of this.#workers) w.terminate();
    const closed = new Error("the decode pool is closed");
    for (const pending of this.#pending) {
      for (const p of pending.values()) p.reject(closed);
      pending.clear();
    }
  }
}
