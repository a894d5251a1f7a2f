// This module is browser compatible.
/**
 * The decode engine interface: one engine per coding (`bounded_engine.ts`, `model_engine.ts`)
 * says which chunks a request reads, checks the memory budget, takes the typed, checked chunk
 * bodies (`format/chunks.ts` `decodeChecked`) in the order it lists them and yields levels.
 * `MrcFile` feeds it by random access, `decodeStream` as chunks arrive, `levelRanges` plans
 * prefetches from its list.
 *
 * @module
 */

import { isBounded, type MrcHeader } from "../../format/header.ts";
import type { DecodeRequest } from "./_budget.ts";
import type { DecodeEngine } from "./_engine.ts";
import { BoundedEngine } from "./bounded_engine.ts";
import { ModelEngine } from "./model_engine.ts";
import type { CoderCache } from "./coder_cache.ts";

export type { DecodeEngine, EngineChunk } from "./_engine.ts";
export type { DecodeRequest } from "./_budget.ts";

/**
 * The engine of `header`'s coding for `request`. A bounded engine checks the budget here; a model
 * engine when each level's masks are in. `cache`: the file's coder cache (bounded files), which a
 * bounded engine takes its blocks' coders from and puts them back in on `release()`.
 *
 * @throws {MrcFormatError} When the request is over `maxBytes`.
 */
export function decodeEngine(
  header: MrcHeader,
  request: DecodeRequest,
  maxBytes: number,
  cache: CoderCache | null = null,
): DecodeEngine {
  return isBounded(header)
    ? new BoundedEngine(header, request, maxBytes, cache)
    : new ModelEngine(header, request, maxBytes);
}
