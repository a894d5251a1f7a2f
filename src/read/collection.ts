// This module is browser compatible.
/**
 * Several variables in one `.mrc` file (a collection, SPEC.md §12): {@linkcode openCollection}
 * lists them and opens each as an {@linkcode MrcFile}, with the random access of a file of its
 * own. A single-variable file opens as a collection of one, so that tools handle both alike.
 *
 * @module
 */

import {
  type CollectionVariable,
  type MrcCollectionContainer,
  openCollectionContainer,
} from "../../format/collection.ts";
import { COLLECTION_TYPE } from "../../format/_constants.ts";
import {
  type FileIndex,
  type MrcContainer,
  openContainer,
  readFileIndex,
} from "../../format/reader.ts";
import type { MrcVersion } from "../../format/_framing.ts";
import type { RangeSource } from "../../format/source.ts";
import { MrcFile } from "./mrc_file.ts";
import { checkMaxBytes } from "./_budget.ts";

export type { CollectionVariable } from "../../format/collection.ts";

/** What opening a part takes: the memory limits of {@linkcode MrcFile}. */
export interface PartOptions {
  /** Aborts the reads of opening. */
  signal?: AbortSignal;
  /** As `openMrc`'s `maxBytes`. */
  maxBytes?: number;
  /** As `openMrc`'s `cacheBytes`. */
  cacheBytes?: number;
}

/**
 * The variables of a `.mrc` file, each opened on demand. From {@linkcode openCollection} (or
 * `openMrc`'s source, internally); closing it closes the source it opened, and the files of its
 * variables with it.
 */
export class MrcCollection {
  /** The variables, in file order. A single-variable file has one, of one part. */
  readonly variables: readonly CollectionVariable[];
  /** The file's version (1.4 or later for a collection). */
  readonly version: MrcVersion;
  /** Whether the file is a collection (SPEC.md §12) rather than a single-variable file. */
  readonly isCollection: boolean;
  /** The file's size in bytes. */
  readonly byteLength: number;
  #container: MrcCollectionContainer | null;
  #single: MrcContainer | null;
  #options: PartOptions;
  #close: (() => void | Promise<void>) | undefined;
  #closed = false;

  /** @internal Use {@linkcode openCollection}. */
  constructor(
    source: RangeSource,
    opened: { container: MrcCollectionContainer } | { single: MrcContainer; name: string | null },
    options: PartOptions & { close?: () => void | Promise<void> },
  ) {
    this.#options = options;
    this.#close = options.close;
    this.byteLength = source.byteLength;
    if ("container" in opened) {
      this.#container = opened.container;
      this.#single = null;
      this.variables = opened.container.header.variables;
      this.version = opened.container.version;
      this.isCollection = true;
    } else {
      this.#container = null;
      this.#single = opened.single;
      this.variables = [{ name: opened.name ?? "data", layer: null, parts: [0] }];
      this.version = opened.single.version;
      this.isCollection = false;
    }
  }

  /**
   * The variable named `name`.
   *
   * @throws {RangeError} Naming the variables there are, when none has that name.
   */
  variable(name: string): CollectionVariable {
    const v = this.variables.find((x) => x.name === name);
    if (v === undefined) {
      throw new RangeError(
        `no variable ${JSON.stringify(name)} in the file (it holds ${
          describeVariables(this.variables)
        })`,
      );
    }
    return v;
  }

  /**
   * Opens one part of a variable: the variable itself, or one layer of a layered one.
   *
   * @param name The variable.
   * @param layer The layer, 0 .. `parts.length - 1` (the order of the layer dimension as kept):
   *   required for a variable of several layers, else 0.
   * @param options `signal` aborts the reads of opening; `close` is called by the file's close
   *   (`openMrc` passes the source's).
   * @returns The part as a file of its own; closing it is optional (the collection's close does).
   * @throws {RangeError} For an unknown variable or layer; {@linkcode MrcFormatError} when the
   *   part is not a valid single-variable file.
   */
  async open(
    name: string,
    layer?: number,
    options: { signal?: AbortSignal; close?: () => void | Promise<void> } = {},
  ): Promise<MrcFile> {
    this.#check();
    const v = this.variable(name);
    if (layer === undefined && v.parts.length > 1) {
      throw new VariableChoiceError(
        `variable ${
          JSON.stringify(name)
        } has ${v.parts.length} layers along "${v.layer}": give a layer (0..${v.parts.length - 1})`,
        [v],
        true,
      );
    }
    const k = layer ?? 0;
    if (!(Number.isInteger(k) && k >= 0 && k < v.parts.length)) {
      throw new RangeError(
        `variable ${JSON.stringify(name)}: layer ${k} is not in 0..${v.parts.length - 1}`,
      );
    }
    const container = this.#single ??
      await openContainer(this.#container!.partSource(v.parts[k]), {
        signal: options.signal,
        maxBytes: checkMaxBytes(this.#options.maxBytes),
      });
    const file = new MrcFile(container, {
      close: options.close,
      maxBytes: this.#options.maxBytes,
      cacheBytes: this.#options.cacheBytes,
    });
    await file.readAttributes();
    return file;
  }

  /**
   * Opens every layer of a variable (one file for a variable of one part), checked to agree on
   * what stacking them needs: shape, type, levels and their grids.
   *
   * @throws {MrcFormatError} When the layers disagree (the file is invalid, SPEC.md §12.1).
   */
  async openLayers(name: string, options: { signal?: AbortSignal } = {}): Promise<MrcFile[]> {
    const v = this.variable(name);
    const files: MrcFile[] = [];
    for (let k = 0; k < v.parts.length; k++) files.push(await this.open(name, k, options));
    const key = (f: MrcFile) =>
      JSON.stringify([f.header.shape, f.header.dtype, f.header.levels.map((l) => l.grid)]);
    const first = key(files[0]);
    const bad = files.findIndex((f) => key(f) !== first);
    if (bad >= 0) {
      const { MrcFormatError } = await import("../../format/error.ts");
      throw new MrcFormatError(
        `Cannot read variable ${JSON.stringify(name)}: layer ${bad} (part ${
          v.parts[bad]
        }) has shape ${files[bad].header.shape.join(" x ")} and ${
          files[bad].levelCount
        } levels, layer 0 ${files[0].header.shape.join(" x ")} and ${
          files[0].levelCount
        }: the layers of a variable must agree`,
      );
    }
    return files;
  }

  /** Checks the `PART` chunk of part `p` whole (its CRC): what `verify` adds to the part's own. */
  async checkPart(p: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#check();
    if (this.#container) await this.#container.checkPart(p, options);
  }

  #check(): void {
    if (this.#closed) throw new TypeError("Cannot read the file: it is closed");
  }

  /** Closes the source the collection opened (nothing when the caller gave it). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const close = this.#close;
    this.#close = undefined;
    await close?.();
  }

  /** Same as {@linkcode MrcCollection.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Thrown where one variable was to be opened and the file holds several (a collection opened
 * without `variable`), or a variable of several layers without `layer`.
 */
export class VariableChoiceError extends TypeError {
  /** The file's variables. */
  readonly variables: readonly CollectionVariable[];
  /** What to choose from: `3 variables: u, v and ta (2 layers along plev)`. */
  readonly summary: string;
  /** Whether a layer is to be chosen (else a variable). */
  readonly layered: boolean;

  /**
   * Makes the error.
   *
   * @param message The message.
   * @param variables The file's variables.
   * @param layered Whether the choice missing is a layer's.
   */
  constructor(message: string, variables: readonly CollectionVariable[], layered: boolean) {
    super(message);
    this.name = "VariableChoiceError";
    this.variables = variables;
    this.layered = layered;
    this.summary = layered
      ? describeVariables(variables)
      : `${variables.length} variable${variables.length === 1 ? "" : "s"}: ${
        describeVariables(variables)
      }`;
  }
}

/** `u, v and ta (3 layers along plev)`. */
export function describeVariables(variables: readonly CollectionVariable[]): string {
  const one = (v: CollectionVariable) =>
    v.layer === null ? v.name : `${v.name} (${v.parts.length} layers along ${v.layer})`;
  const names = variables.map(one);
  return names.length === 1
    ? names[0]
    : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/**
 * Opens a source as a collection: a collection file (SPEC.md §12), or a single-variable file as a
 * collection of one. Three reads, as either kind's opening.
 *
 * @internal `openCollection` and `openMrc` call it with the source they made.
 */
export async function collectionOf(
  source: RangeSource,
  options: PartOptions & { close?: () => void | Promise<void>; index?: FileIndex },
): Promise<MrcCollection> {
  const index = options.index ??
    await readFileIndex(source, options.signal, checkMaxBytes(options.maxBytes));
  if (index.entries[0]?.type === COLLECTION_TYPE) {
    const container = await openCollectionContainer(source, { signal: options.signal, index });
    return new MrcCollection(source, { container }, options);
  }
  const single = await openContainer(source, { signal: options.signal, index });
  const name = (await single.readAttributes())?.variable.name ?? null;
  return new MrcCollection(source, { single, name }, options);
}
