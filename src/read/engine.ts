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

import type { ChunkType, ChunkValues } from "../../format/chunks.ts";
import { isBounded, type MrcHeader } from "../../format/header.ts";
import type { DecodeRequest } from "./_budget.ts";
import { BoundedEngine } from "./bounded_engine.ts";
import { ModelEngine } from "./model_engine.ts";
import type { DecodedLevel } from "./output.ts";

export type { DecodeRequest } from "./_budget.ts";

/** A chunk an engine reads: a level chunk of the file's coding. */
export interface EngineChunk {
  /** Chunk type. */
  type: ChunkType;
  /** Its level. */
  level: number;
  /** Its block, or null for a per-level chunk. */
  block: number | null;
}

/** Decodes one request of one coding from the chunks it lists. */
export interface DecodeEngine {
  /** What is decoded. */
  readonly request: DecodeRequest;
  /** The level chunks the request reads, in the order `accept` takes them (the file's order for `every`). */
  readonly needs: readonly EngineChunk[];
  /**
   * The file's expanded `T * H * W` missing mask, or null; set before the first chunk with
   * block (the budget is checked first, so a caller reads the mask after the first refusal point).
   */
  missing: Uint8Array | null;
  /**
   * Takes the next chunk of `needs` (checks the budget once it can), decoded and checked.
   *
   * @returns The level it completes, or null.
   */
  accept(chunk: EngineChunk, value: ChunkValues[ChunkType]): DecodedLevel | null;
}

/**
 * The engine of `header`'s coding for `request`. A bounded engine checks the budget here; a model
 * engine when each level's masks are in.
 *
 * @throws {MrcFormatError} When the request is over `maxBytes`.
 */
export function decodeEngine(
  header: MrcHeader,
  request: DecodeRequest,
  maxBytes: number,
): DecodeEngine {
  return isBounded(header)
    ? new BoundedEngine(header, request, maxBytes)
    : new ModelEngine(header, request, maxBytes);
}

/** The blocks holding snapshots `start..end - 1`: `[first, last]`. */
export function blockRange(header: MrcHeader, start: number, end: number): [number, number] {
  const bs = header.blockSize;
  return [Math.floor(start / bs), Math.floor((Math.max(start, end - 1)) / bs)];
}
