// This module is browser compatible.
// The decode engine interface and what every engine shares: the request, the blocks it touches,
// the chunk list and the missing mask (the engines are `bounded_engine.ts` and `model_engine.ts`).

import type { ChunkType, ChunkValues } from "../../format/chunks.ts";
import type { MrcHeader } from "../../format/header.ts";
import { type DecodeRequest, needsBudget } from "./_budget.ts";
import type { DecodedLevel } from "./output.ts";

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
  /**
   * The next level that needs no more chunks, or null: a caller asks before the first chunk and
   * after each, as long as it answers a level (a bounded engine over `MrcFile`'s coder cache
   * finishes levels its blocks had decoded without a chunk). Needs `missing` set.
   */
  ready(): DecodedLevel | null;
  /** Ends the request (done or not): hands what it decoded back (the coder cache). Idempotent. */
  release(): void;
}

/** What every engine holds: the request, its header, the blocks `first..last` it touches. */
export abstract class EngineBase implements DecodeEngine {
  readonly request: DecodeRequest;
  readonly needs: readonly EngineChunk[];
  missing: Uint8Array | null = null;
  protected readonly header: MrcHeader;
  protected readonly first: number;
  protected readonly last: number;

  constructor(
    header: MrcHeader,
    request: DecodeRequest,
    maxBytes: number,
    needs: (first: number, last: number) => EngineChunk[],
  ) {
    needsBudget(header, request, maxBytes);
    this.header = header;
    this.request = request;
    const bs = header.blockSize;
    this.first = Math.floor(request.start / bs);
    this.last = Math.floor((Math.max(request.start, request.end - 1)) / bs);
    this.needs = needs(this.first, this.last);
  }

  abstract accept(chunk: EngineChunk, value: ChunkValues[ChunkType]): DecodedLevel | null;

  /** Every level needs chunks: none is ever ready before its last. */
  ready(): DecodedLevel | null {
    return null;
  }

  /** Nothing to hand back. */
  release(): void {}
}
