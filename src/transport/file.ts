// This module is browser compatible.
// Copyright the mrcae authors. MIT license.
/**
 * A range source over an open file handle (`Deno.FsFile` or anything with `seek` and `read`).
 *
 * @module
 */

import { checkRange, type RangeSource, type ReadOptions } from "../../format/source.ts";

/** The part of a `Deno.FsFile` (or similar handle) that {@linkcode fromFileHandle} uses. */
export interface FileHandleLike {
  /** Moves the position; `whence` 0 = from the start (`Deno.SeekMode.Start`). */
  seek(offset: number | bigint, whence: 0): Promise<number>;
  /** Reads into `buffer`; resolves with the byte count or `null` at end of file. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** File information; only `size` is used. */
  stat(): Promise<{ size: number }>;
  /** Closes the handle; called once by the source's `close()`. Optional. */
  close?(): void;
}

/**
 * A source over an open file handle, such as a `Deno.FsFile`. The size is taken once from
 * `stat()`. Reads are serialized (each is a seek plus reads), so concurrent calls are safe. The
 * caller keeps ownership of the handle: it closes the handle itself, or calls the source's
 * `close()`, which closes the handle once (after the read in progress) and makes later reads fail.
 *
 * @param handle An open, readable handle.
 * @returns The source.
 *
 * @example Reading a file
 * ```ts ignore
 * import { openContainer } from "../../format/mod.ts";
 * import { fromFileHandle } from "./mod.ts";
 *
 * using file = await Deno.open("data.mrc");
 * const mrc = await openContainer(await fromFileHandle(file));
 * ```
 */
export async function fromFileHandle(handle: FileHandleLike): Promise<RangeSource> {
  if (typeof handle?.seek !== "function" || typeof handle.read !== "function") {
    throw new TypeError("Cannot make source: expected a handle with seek(), read() and stat()");
  }
  const { size } = await handle.stat();
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  return {
    byteLength: size,
    read(offset: number, length: number, options?: ReadOptions): Promise<Uint8Array> {
      const run = async () => {
        if (closed) throw new TypeError("Cannot read from a closed file source");
        options?.signal?.throwIfAborted();
        checkRange(size, offset, length);
        const out = new Uint8Array(length);
        await handle.seek(offset, 0);
        let filled = 0;
        while (filled < length) {
          options?.signal?.throwIfAborted();
          const n = await handle.read(out.subarray(filled));
          if (n === null || n === 0) return out.subarray(0, filled);
          filled += n;
        }
        return out;
      };
      const result = queue.then(run, run);
      queue = result.catch(() => {});
      return result;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await queue;
      handle.close?.();
    },
  };
}
