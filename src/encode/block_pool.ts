/**
 * Bounded compression on several threads: a pool of workers (`block_worker.ts`) that code blocks
 * in parallel. Blocks are independent and each is coded exactly as on the calling thread, so the
 * file is byte-identical whatever the thread count.
 *
 * @module
 */

import type { BlockParams } from "../bounded/block_coder.ts";
import { codeBlockSplit, type CodedBlock, type SplitBuffers } from "./code_block.ts";

const WORKER_URL = new URL("./block_worker.ts", import.meta.url);

/**
 * Whether workers can start here: in Deno, a worker needs read access to its own module (a
 * `--allow-read` limited to the input does not give it) and to be a local file; elsewhere coding
 * stays on this thread.
 */
export function workersAvailable(): boolean {
  if (typeof Worker === "undefined") return false;
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (!deno) return true;
  // Imported from a URL: the worker's import permission is not known, so none is started.
  if (WORKER_URL.protocol !== "file:") return false;
  return deno.permissions.querySync({ name: "read", path: WORKER_URL }).state === "granted";
}

/** One block to code. */
export interface BlockJob {
  id: number;
  params: BlockParams;
  x: Float32Array | Float64Array;
  missing: Uint8Array | null;
}

/** The coding half of a split coding of one block: its buffers are shared, not copied. */
export interface SplitJob {
  id: number;
  params: BlockParams;
  missing: Uint8Array | null;
  buffers: SplitBuffers;
}

/**
 * A worker's message: a block's share done so far (`progress`), its result (`coded`, or the
 * `chunks` of a split coding's coding half), or its failure.
 */
type Reply = {
  id: number;
  progress?: number;
  coded?: CodedBlock;
  chunks?: Uint8Array<ArrayBuffer>[];
  error?: string;
};

/** A pool of `size` block workers; {@linkcode BlockPool.close} ends them. */
export class BlockPool {
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

  /**
   * Codes one block on the next free worker (the values are copied, the caller keeps its own,
   * unless they lie in a `SharedArrayBuffer`: then the worker reads them in place).
   * `onShare` hears the block's share done (0 to 1) about every 0.2 s while it codes.
   */
  code(
    params: BlockParams,
    x: Float32Array | Float64Array,
    missing: Uint8Array | null,
    signal?: AbortSignal,
    onShare?: (share: number) => void,
  ): Promise<CodedBlock> {
    return this.#run<CodedBlock>(
      signal,
      (id) => {
        const shared = typeof SharedArrayBuffer !== "undefined" &&
          x.buffer instanceof SharedArrayBuffer;
        const copy = shared ? x : x.slice(), mask = missing ? missing.slice() : null;
        const job: BlockJob = { id, params, x: copy, missing: mask };
        const transfer: Transferable[] = shared ? [] : [copy.buffer as ArrayBuffer];
        if (mask) transfer.push(mask.buffer);
        return { job, transfer };
      },
      (reply) => reply.coded!,
      onShare,
    );
  }

  /**
   * Codes one block split in two halves (`codeBlockSplit`): the quantizing half on this thread,
   * the coding half at once on the next free worker, sharing the block's buffers. The same
   * result as {@linkcode code}, byte for byte.
   */
  codeSplit(
    params: BlockParams,
    x: Float32Array | Float64Array,
    missing: Uint8Array | null,
    signal?: AbortSignal,
    onShare?: (share: number) => void,
  ): Promise<CodedBlock> {
    const coderHalf = (buffers: SplitBuffers) =>
      this.#run<Uint8Array<ArrayBuffer>[]>(signal, (id) => {
        const mask = missing ? missing.slice() : null;
        const job: SplitJob = { id, params, missing: mask, buffers };
        return { job, transfer: mask ? [mask.buffer] : [] };
      }, (reply) => reply.chunks!);
    return codeBlockSplit(params, x, missing, coderHalf, signal, onShare);
  }

  /** Runs one job on the next free worker and gives what `result` takes from its reply. */
  async #run<R>(
    signal: AbortSignal | undefined,
    make: (id: number) => { job: BlockJob | SplitJob; transfer: Transferable[] },
    result: (reply: Reply) => R,
    onShare?: (share: number) => void,
  ): Promise<R> {
    while (this.#idle.length === 0) await new Promise<void>((r) => this.#waiting.push(r));
    signal?.throwIfAborted();
    if (this.#closed) throw new Error("Cannot compress: the worker pool is closed");
    const worker = this.#idle.pop()!;
    const id = this.#next++;
    try {
      return await new Promise<R>((resolve, reject) => {
        const onAbort = () => reject(signal!.reason);
        signal?.addEventListener("abort", onAbort, { once: true });
        worker.onmessage = (e: MessageEvent<Reply>) => {
          if (e.data.id !== id) return;
          if (e.data.progress !== undefined) return void onShare?.(e.data.progress);
          signal?.removeEventListener("abort", onAbort);
          if (e.data.error !== undefined) {
            reject(new Error(`Cannot compress: a worker failed: ${e.data.error}`));
          } else resolve(result(e.data));
        };
        worker.onerror = (e) => {
          e.preventDefault();
          signal?.removeEventListener("abort", onAbort);
          reject(new Error(`Cannot compress: a worker failed: ${e.message}`));
        };
        const { job, transfer } = make(id);
        worker.postMessage(job, transfer);
      });
    } finally {
      this.#idle.push(worker);
      this.#waiting.shift()?.();
    }
  }

  /** Ends every worker. */
  close(): void {
    this.#closed = true;
    for (const w of this.#workers) w.terminate();
    for (const r of this.#waiting.splice(0)) r();
  }
}
