// This module is browser compatible ({@linkcode fileSpool} needs Deno).
/**
 * Where coded chunks wait while block-wise compression codes the rest: a file's chunks are
 * written level by level (SPEC.md §7) but coded block by block, and its report (`META`, before
 * every level) is known only after the last block. A spool keeps the coded bytes, not the input.
 *
 * @module
 */

/** A place for byte strings, read back in any order. */
export interface Spool {
  /** Stores `bytes` and resolves with their handle. */
  put(bytes: Uint8Array): Promise<number>;
  /** The bytes of a handle. */
  get(handle: number): Promise<Uint8Array>;
  /** Bytes stored so far. */
  readonly size: number;
  /** Frees everything (removes a spool file); closing again does nothing. */
  close(): Promise<void>;
}

/** A spool in memory: for inputs whose coded size fits, and for browsers. */
export function memorySpool(): Spool {
  const parts: Uint8Array[] = [];
  let size = 0;
  return {
    put(bytes) {
      parts.push(bytes);
      size += bytes.length;
      return Promise.resolve(parts.length - 1);
    },
    get: (handle) => Promise.resolve(parts[handle]),
    get size() {
      return size;
    },
    close() {
      parts.length = 0;
      return Promise.resolve();
    },
  };
}

/**
 * A spool in a temporary file next to `near` (the output, so on the same disk), unlinked as
 * soon as it is open (removed by `close()` where the system cannot). Memory: 16 bytes per
 * stored string.
 *
 * @param near A path whose directory holds the spool file.
 */
export async function fileSpool(near: string): Promise<Spool> {
  const dir = near.replace(/[^\\/]*$/, "") || ".";
  const path = await Deno.makeTempFile({ dir, prefix: ".mrcae-spool-" });
  const file = await Deno.open(path, { read: true, write: true });
  // Unlinked at once where the system allows (the open file stays usable): no spool file is left
  // behind, whatever ends the process.
  const unlinked = await Deno.remove(path).then(() => true, () => false);
  const offsets: number[] = [], lengths: number[] = [];
  let size = 0, closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = queue.then(f);
    queue = p.catch(() => {});
    return p;
  };
  return {
    put(bytes) {
      const handle = offsets.length;
      offsets.push(size);
      lengths.push(bytes.length);
      const at = size;
      size += bytes.length;
      return serial(async () => {
        await file.seek(at, Deno.SeekMode.Start);
        for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
        return handle;
      });
    },
    get(handle) {
      return serial(async () => {
        const out = new Uint8Array(lengths[handle]);
        await file.seek(offsets[handle], Deno.SeekMode.Start);
        for (let off = 0; off < out.length;) {
          const n = await file.read(out.subarray(off));
          if (n === null) throw new Error(`Cannot compress: the spool file ${path} was cut short`);
          off += n;
        }
        return out;
      });
    },
    get size() {
      return size;
    },
    async close() {
      await queue;
      if (closed) return;
      closed = true;
      file.close();
      if (!unlinked) await Deno.remove(path).catch(() => {});
    },
  };
}
