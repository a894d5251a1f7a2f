// This module is browser compatible.
/**
 * Quantities for people: the one byte-count format of the CLI, the viewer and the bench.
 *
 * @module
 */

/**
 * A byte count for people: `512 B`, `3.4 KiB`, `1.25 MiB` (binary units, 1 KiB = 1024 B).
 *
 * @param n Bytes.
 * @returns The text.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { formatBytes } from "./units.ts";
 *
 * assert.strictEqual(formatBytes(512), "512 B");
 * assert.strictEqual(formatBytes(16384), "16.0 KiB");
 * assert.strictEqual(formatBytes(1.25 * 2 ** 20), "1.25 MiB");
 * ```
 */
export function formatBytes(n: number): string {
  return n < 1024
    ? `${n} B`
    : n < 2 ** 20
    ? `${(n / 1024).toFixed(1)} KiB`
    : `${(n / 2 ** 20).toFixed(2)} MiB`;
}
