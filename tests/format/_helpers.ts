// Shared test helpers: a seeded PRNG, byte concatenation and a collecting sink.

/** The seeded PRNG of the tests: mulberry32 of `src/random.ts`. */
export { mulberry32 as prng } from "../../src/random.ts";

/** Random integer in `[lo, hi]`. */
export function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

import { concat } from "../../format/_bytes.ts";

/** Concatenates byte arrays (the format's own). */
export { concat };

/** A sink that keeps everything written to it. */
export function collectingSink(): { write(bytes: Uint8Array): void; bytes(): Uint8Array } {
  const parts: Uint8Array[] = [];
  return {
    write(bytes: Uint8Array) {
      parts.push(bytes.slice());
    },
    bytes: () => concat(parts),
  };
}

/** A stream that delivers `bytes` in pieces of `piece` bytes. */
export function streamOf(bytes: Uint8Array, piece = 7): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(at, at + piece));
      at += piece;
    },
  });
}
