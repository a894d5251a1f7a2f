/**
 * Compressing several variables into one `.mrc` file, a collection (SPEC.md §12): each variable
 * (each layer of a 4-D one) coded as a file of its own, with its own bound, and the files framed
 * as the collection's parts.
 *
 * @module
 */

import { VERSION_MINOR_COLLECTION } from "../../format/_constants.ts";
import type { MrcAttributes } from "../../format/attributes.ts";
import { type CollectionHeader, CollectionWriter } from "../../format/collection.ts";
import type { ByteSink } from "../../format/writer.ts";
import { boundedFormatVersion, DEFAULT_REL_ERROR_BOUND } from "./bounded.ts";
import { type CompressResult, compressTo } from "./compress.ts";
import type { CompressOptions } from "./options.ts";
import { validExtent } from "../metrics.ts";

/** One layer of a variable (or the variable, of one layer): what `compress()` takes. */
export interface CollectionField {
  /** `T * H * W` values, snapshot-major. */
  data: Float32Array | Float64Array;
  /** `[T, H, W]` or `[H, W]`. */
  shape: readonly number[];
  /** The source attributes stored with it (`ATTR`), a layer's with its layer as selected. */
  attributes?: MrcAttributes;
}

/** A variable of a collection to write. */
export interface CollectionInput {
  /** Its name, unique in the collection. */
  name: string;
  /** The name of its layer dimension, for a variable of layers (4-D); default none. */
  layer?: string | null;
  /** Its fields: one, or one per layer (with `layer`), in the layer dimension's order. */
  layers: CollectionField[];
  /**
   * Its options, over the collection's: the bound (`errorBound`, `relErrorBound`, `psnr`), and
   * any other. A relative bound is relative to the variable's range, over all its layers.
   */
  options?: CompressOptions;
}

/** What a part is, when {@linkcode CollectionOptions.onPart} hears of it. */
export interface PartEvent {
  /** The variable's name. */
  variable: string;
  /** The layer, from 0 (0 for a variable of one part). */
  layer: number;
  /** The variable's layers. */
  layers: number;
  /** The part's index in the collection. */
  part: number;
}

/** Options of {@linkcode compressCollectionTo}: those of every variable, and the collection's. */
export type CollectionOptions = CompressOptions & {
  /** CRC-32 continued from `crc` (a native one, e.g. `node:zlib`'s), for the parts' frames. */
  crc32?: (bytes: Uint8Array, crc?: number) => number;
  /** Called before each part is coded. */
  onPart?: (event: PartEvent) => void;
};

/** What {@linkcode compressCollectionTo} returns. */
export interface CollectionResult {
  /** The collection's size in bytes. */
  bytes: number;
  /**
   * Per variable, in order: the result of each of its layers' coding, and the range of its
   * valid values over all of them (null when it has none), which a relative bound is relative to.
   */
  variables: { name: string; layers: CompressResult[]; range: number | null }[];
}

/**
 * Compresses several variables into one collection, written to `sink` as it is coded: the
 * header first, then each part (one variable, or one layer of a 4-D variable) as soon as it is
 * coded. Each part is coded as `compressTo()` codes a field; a relative bound (the default: 1e-3
 * of the range) of a variable of layers is relative to the range over all of them, so that every
 * layer has the same bound.
 *
 * @param inputs The variables.
 * @param sink Where the bytes go.
 * @param options Options of every variable (each variable's `options` override them), `signal`,
 *   `crc32` (a native CRC-32 for the parts' frames) and `onPart` (called before each part is coded).
 * @returns Sizes and reports.
 * @throws {TypeError} For duplicate names, an empty variable, several layers without `layer`,
 *   or a PSNR target for a variable of several layers (each layer would get its own bound).
 *
 * @example Two variables in one file, each opened on its own
 * ```ts
 * import assert from "node:assert";
 * import { compressCollectionTo } from "./collection.ts";
 * import { openMrc } from "../read/open.ts";
 *
 * const u = new Float32Array(4 * 8 * 8).map((_, i) => Math.sin(i / 5));
 * const t = new Float32Array(4 * 8 * 8).map((_, i) => 280 + Math.cos(i / 7));
 * const chunks: Uint8Array[] = [];
 * await compressCollectionTo([
 *   { name: "u", layers: [{ data: u, shape: [4, 8, 8] }] },
 *   { name: "t", layers: [{ data: t, shape: [4, 8, 8] }], options: { errorBound: 0.01 } },
 * ], { write: (b) => void chunks.push(b.slice()) });
 * const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
 * chunks.reduce((at, c) => (bytes.set(c, at), at + c.length), 0);
 * const file = await openMrc(bytes, { variable: "t" });
 * const { data } = await file.decode();
 * assert.ok(data.every((x, i) => Math.abs(x - t[i]) <= 0.01));
 * ```
 */
export async function compressCollectionTo(
  inputs: readonly CollectionInput[],
  sink: ByteSink,
  options: CollectionOptions = {},
): Promise<CollectionResult> {
  const { crc32, onPart, ...shared } = options;
  // A collection is 1.4 (SPEC.md §12): its parts may be older, but not the collection.
  const asked = (shared as { formatVersion?: string }).formatVersion;
  const version = boundedFormatVersion(asked, { predictor: "cubic", shard: false });
  if (version.minor < VERSION_MINOR_COLLECTION) {
    throw new TypeError(
      `Cannot compress: a collection of variables needs format 1.${VERSION_MINOR_COLLECTION} or later, found formatVersion ${
        JSON.stringify(asked)
      }`,
    );
  }
  let part = 0;
  const header: CollectionHeader = {
    variables: inputs.map((v) => {
      const n = v.layers.length;
      if (n < 1) throw new TypeError(`Cannot compress variable "${v.name}": it has no field`);
      if (n > 1 && !v.layer) {
        throw new TypeError(
          `Cannot compress variable "${v.name}": ${n} layers need the name of their dimension (layer)`,
        );
      }
      const parts = Array.from({ length: n }, () => part++);
      return { name: v.name, layer: v.layer ?? null, parts };
    }),
  };
  const writer = new CollectionWriter(sink, { signal: options.signal, crc32 });
  try {
    await writer.begin(header);
  } catch (e) {
    throw new TypeError((e as Error).message.replace("Cannot write collection", "Cannot compress"));
  }
  const results: CollectionResult["variables"] = [];
  part = 0;
  for (const v of inputs) {
    const own: CompressOptions = { ...shared, ...v.options } as CompressOptions;
    const layered = v.layers.length > 1 || !!v.layer;
    const bounded = own.coding !== "model";
    if (bounded && layered && "psnr" in own && own.psnr !== undefined) {
      throw new TypeError(
        `Cannot compress variable "${v.name}": a PSNR target is searched per part, and its ${v.layers.length} layers would each get a bound of their own (give errorBound or relErrorBound)`,
      );
    }
    const range = rangeOf(v.layers, own.fillValue);
    const perLayer = bounded && layered ? layerBound(range, own) : own;
    const layers: CompressResult[] = [];
    for (let k = 0; k < v.layers.length; k++) {
      onPart?.({ variable: v.name, layer: k, layers: v.layers.length, part });
      const field = v.layers[k];
      const chunks: Uint8Array[] = [];
      const result = await compressTo(
        field.data,
        field.shape,
        { write: (b) => void chunks.push(b.slice()) },
        { ...perLayer, attributes: field.attributes } as CompressOptions,
      );
      const bytes = new Uint8Array(result.bytes);
      chunks.reduce((at, c) => (bytes.set(c, at), at + c.length), 0);
      await writer.writePart(bytes);
      layers.push(result);
      part++;
    }
    results.push({ name: v.name, layers, range });
  }
  return { bytes: await writer.finish(), variables: results };
}

/**
 * The options of each layer of a variable of layers: a relative bound (or none: the default)
 * made absolute over the range of all its layers, so that every layer has the variable's bound.
 */
function layerBound(range: number | null, options: CompressOptions): CompressOptions {
  const o = options as CompressOptions & { errorBound?: number; relErrorBound?: number };
  // A constant (or empty) variable: each layer finds its own, as compress() does.
  if (o.errorBound !== undefined || range === null || !(range > 0)) return options;
  const { relErrorBound: _, ...rest } = o;
  return {
    ...rest,
    errorBound: (o.relErrorBound ?? DEFAULT_REL_ERROR_BOUND) * range,
  } as CompressOptions;
}

/** `max - min` of the valid values of every layer (not NaN, not the fill value), or null. */
function rangeOf(layers: readonly CollectionField[], fillValue: number | undefined): number | null {
  let min = Infinity, max = -Infinity;
  for (const { data } of layers) {
    const e = validExtent(data, fillValue);
    if (e) [min, max] = [Math.min(min, e.min), Math.max(max, e.max)];
  }
  return max >= min ? max - min : null;
}
