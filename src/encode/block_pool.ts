/**
 * Bounded compression on several threads: a pool of workers (`block_worker.ts`) that code blocks
 * in parallel. Blocks are independent and each is coded exactly as on the calling thread, so the
 * file is byte-identical whatever the thread count.
 *
 * @module
 */

import type { BlockParams } from "../bounded/block_coder.ts";
import type { CodedBlock } from "./code_block.ts";

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

/** A worker's message: a block's share done so far (`progress`), its result, or its failure. */
type Reply = { id: number; progress?: number; coded?: CodedBlock; error?: string };

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
   * Codes one block on the next free worker (the values are copied, the caller keeps its own).
   * `onShare` hears the block's share done (0 to 1) about every 0.2 s while it codes.
   */
  async code(
    params: BlockParams,
    x: Float32Array | Float64Array,
    missing: Uint8Array | null,
    signal?: AbortSignal,
    onShare?: (share: number) => void,
  ): Promise<CodedBlock> {
    while (this.#idle.length === 0) await new Promise<void>((r) => this.#waiting.push(r));
    signal?.throwIfAborted();
    if (this.#closed) throw new Error("Cannot compress: the worker pool is closed");
    const worker = this.#idle.pop()!;
    const id = this.#next++;
    try {
      return await new Promise<CodedBlock>((resolve, reject) => {
        const onAbort = () => reject(signal!.reason);
        signal?.addEventListener("abort", onAbort, { once: true });
        worker.onmessage = (e: MessageEvent<Reply>) => {
          if (e.data.id !== id) return;
          if (e.data.progress !== undefined) return void onShare?.(e.data.progress);
          signal?.removeEventListener("abort", onAbort);
          if (e.data.error !== undefined) {
            reject(new Error(`Cannot compress: a worker failed: ${e.data.error}`));
          } else resolve(e.data.coded!);
        };
        worker.onerror = (e) => {
          e.preventDefault();
          signal?.removeEventListener("abort", onAbort);
          reject(new Error(`Cannot compress: a worker failed: ${e.message}`));
        };
        const copy = x.slice(), mask = missing ? missing.slice() : null;
        const job: BlockJob = { id, params, x: copy, missing: mask };
        worker.postMessage(job, mask ? [copy.buffer, mask.buffer] : [copy.buffer]);
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
