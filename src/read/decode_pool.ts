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

/** A pool of `size` decode workers; {@linkcode DecodePool.close} ends them. */
export class DecodePool {
  readonly #workers: Worker[] = [];
  readonly #idle: Worker[] = [];
  readonly #waiting: (() => void)[] = [];
  #next = 0;
  #closed = false;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(WORKER_URL.href, { type: "module" });
      this.#workers.push(w);
      this.#idle.push(w);
    }
  }

  /** Workers in the pool. */
  get size(): number {
    return this.#workers.length;
  }

  /**
   * Decodes one block on the next free worker. The job's arrays are transferred (the caller
   * gives them up: pass copies of what it keeps).
   *
   * @throws {Error} When the worker fails (its message), the pool is closed, or `signal` aborts
   *   (its reason).
   */
  async decode(
    job: Omit<DecodeJob, "id">,
    signal?: AbortSignal,
  ): Promise<{ data: Float32Array; state: BlockCoderState }> {
    while (this.#idle.length === 0 && !this.#closed) {
      await new Promise<void>((r) => this.#waiting.push(r));
    }
    signal?.throwIfAborted();
    if (this.#closed) throw new Error("the decode pool is closed");
    const worker = this.#idle.pop()!;
    const id = this.#next++;
    try {
      return await new Promise((resolve, reject) => {
        const onAbort = () => reject(signal!.reason);
        signal?.addEventListener("abort", onAbort, { once: true });
        worker.onmessage = (e: MessageEvent<DecodeReply>) => {
          if (e.data.id !== id) return;
          signal?.removeEventListener("abort", onAbort);
          if (e.data.error !== undefined) {
            reject(new Error(`a decode worker failed: ${e.data.error}`));
          } else resolve({ data: e.data.data!, state: e.data.state! });
        };
        worker.onerror = (e) => {
          e.preventDefault();
          signal?.removeEventListener("abort", onAbort);
          reject(new Error(`a decode worker failed: ${e.message}`));
        };
        worker.onmessageerror = () => {
          signal?.removeEventListener("abort", onAbort);
          reject(new Error("a decode worker's reply could not be read"));
        };
        const transfer: Transferable[] = job.chunks.map((c) => c.buffer as ArrayBuffer);
        if (job.missing) transfer.push(job.missing.buffer as ArrayBuffer);
        if (job.state) {
          transfer.push(job.state.rec.buffer as ArrayBuffer, job.state.q.buffer as ArrayBuffer);
        }
        worker.postMessage({ ...job, id } satisfies DecodeJob, transfer);
      });
    } finally {
      // A worker whose job was abandoned may still be busy: it is not reused.
      if (!signal?.aborted) this.#idle.push(worker);
      this.#waiting.shift()?.();
    }
  }

  /** Ends every worker (idempotent); pending and later calls fail. */
  close(): void {
    this.#closed = true;
    for (const w of this.#workers) w.terminate();
    for (const r of this.#waiting.splice(0)) r();
  }
}
