// This module is browser compatible (fileSpool needs Deno).
/**
 * Archives larger than one machine, for library users: snapshots compressed block by block from
 * a source read on demand (a shard of a whole, or all of it), coded chunks spooled in memory or
 * a temporary file, and shards merged into the whole without recoding. The CLI's
 * `compress --stream`/`--shard` and `merge` are built on these.
 *
 * @module
 */
export { type BlockwiseOptions, compressBlockwise, type SnapshotSource } from "./blockwise.ts";
export { fileSpool, memorySpool, type Spool } from "./spool.ts";
export { type MergeInput, type MergeOptions, type MergeResult, mergeShards } from "./merge.ts";
export type { ShardPlace } from "../../format/header.ts";
