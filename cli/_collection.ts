/**
 * `compress f.nc --var a,b` or `--all`, and a 4-D variable: several variables (or layers) of a
 * netCDF file coded into one collection (SPEC.md §12), each with its own bound.
 *
 * @module
 */

import type {
  CollectionInput,
  CollectionOptions,
  CollectionResult,
  PartEvent,
} from "../src/encode/collection.ts";
import type { CompressOptions } from "../src/encode/options.ts";
import type { NetcdfSelection } from "../src/io/netcdf/mod.ts";
import type { ProgressReporter } from "./_progress.ts";
import { formatBytes } from "./_args.ts";
import { nativeCrc32 } from "./_files.ts";

/** A bound option given per variable: `--error-bound u=0.5,t=0.1`. */
export type NamedBounds = Map<string, number>;

/**
 * Parses a bound option that names variables (`u=0.5,t=0.1`), or returns null for a plain number.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { parseNamedBounds } from "./_collection.ts";
 *
 * assert.deepStrictEqual(parseNamedBounds("u=0.5, t=1e-2", "error-bound"), new Map([["u", 0.5], ["t", 0.01]]));
 * assert.strictEqual(parseNamedBounds("0.5", "error-bound"), null);
 * assert.throws(() => parseNamedBounds("u=x", "error-bound"), /--error-bound/);
 * ```
 */
export function parseNamedBounds(value: string | undefined, flag: string): NamedBounds | null {
  if (value === undefined || !value.includes("=")) return null;
  const out: NamedBounds = new Map();
  for (const item of value.split(",")) {
    const m = /^\s*([^=]+?)\s*=\s*(\S+)\s*$/.exec(item);
    const x = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(x) || !(x > 0)) {
      throw new Error(
        `--${flag} must be a number or NAME=X,NAME=X (X a positive number per variable), found "${item}"`,
      );
    }
    if (out.has(m[1])) throw new Error(`--${flag} gives variable "${m[1]}" twice`);
    out.set(m[1], x);
  }
  return out;
}

/** The variables `--var a,b` or `--all` names, checked against the file. */
export async function selectedVariables(
  path: string,
  values: { var?: string; all?: boolean },
): Promise<string[]> {
  const { listNetcdfVariables } = await import("../src/io/netcdf/mod.ts");
  const { variables } = await listNetcdfVariables(path);
  if (values.all) {
    if (values.var !== undefined) throw new Error("give one of --var, --all");
    const names = variables.filter((v) => v.compressible).map((v) => v.name);
    if (names.length === 0) throw new Error(`${path}: no compressible variable`);
    return names;
  }
  const names = (values.var ?? "").split(",").map((n) => n.trim());
  if (names.some((n) => n === "")) {
    throw new Error(`--var must be NAME or NAME,NAME, found "${values.var}"`);
  }
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new Error(`--var names "${n}" twice`);
    seen.add(n);
  }
  return names;
}

/**
 * Reads the variables (each layer of a 4-D one as a 3-D field) and codes them into one
 * collection, in memory: the chunks of the file and what was coded. `--select` applies to every
 * variable that has the dimension, and must match a dimension of one of them. A layered variable
 * keeps every layer its selection leaves (a range of the layer dimension, or all of it).
 */
export async function compressCollection(
  path: string,
  names: string[],
  select: Record<string, NetcdfSelection>,
  bounds: { flag: "errorBound" | "relErrorBound"; named: NamedBounds } | null,
  options: CompressOptions,
  progress: ProgressReporter,
  signal: AbortSignal,
): Promise<{ chunks: Uint8Array[]; result: CollectionResult; raw: number }> {
  const { listNetcdfVariables, netcdfLayers, readNetcdf } = await import(
    "../src/io/netcdf/mod.ts"
  );
  const { compressCollectionTo } = await import("../src/encode/collection.ts");
  const { variables } = await listNetcdfVariables(path);
  const dimsOf = (name: string) =>
    (variables.find((v) => v.name === name) ??
      variables.find((v) => v.name.endsWith(`/${name}`)))?.dimensions.map((d) => d.name) ?? [];
  for (const d of Object.keys(select)) {
    if (!names.some((n) => dimsOf(n).includes(d))) {
      throw new Error(`${path}: --select ${d}: none of ${names.join(", ")} has a dimension "${d}"`);
    }
  }
  if (bounds) {
    for (const n of bounds.named.keys()) {
      if (!names.includes(n)) {
        throw new Error(
          `--${
            bounds.flag === "errorBound" ? "error-bound" : "rel-error-bound"
          } names "${n}", which is not compressed (${names.join(", ")})`,
        );
      }
    }
  }
  const inputs: CollectionInput[] = [];
  let raw = 0;
  for (const name of names) {
    const own = Object.fromEntries(
      Object.entries(select).filter(([d]) => dimsOf(name).includes(d)),
    );
    const layers = await netcdfLayers(path, { variable: name, select: own });
    const picks = layers ? layers.indices.map((k) => ({ ...own, [layers.dimension]: k })) : [own];
    const fields = [];
    for (const [k, pick] of picks.entries()) {
      signal.throwIfAborted();
      let reading = false;
      const field = await readNetcdf(path, {
        variable: name,
        select: pick,
        signal,
        onProgress: (done) => {
          if (!reading) {
            progress.phase(
              `reading ${name}${layers ? ` ${layers.dimension} ${k + 1}/${picks.length}` : ""}`,
            );
          }
          reading = true;
          progress.update(done);
        },
      });
      progress.end();
      raw += field.data.length * 4;
      fields.push({ data: field.data, shape: field.shape, attributes: field.attributes });
    }
    // The collection names a variable by its name in its group (as its ATTR does).
    const stored = fields[0].attributes.variable.name;
    const bound = bounds?.named.get(name);
    inputs.push({
      name: inputs.some((v) => v.name === stored) ? name : stored,
      layer: layers?.dimension ?? null,
      layers: fields,
      ...(bound === undefined ? {} : { options: { [bounds!.flag]: bound } as CompressOptions }),
    });
  }
  const chunks: Uint8Array[] = [];
  const parts = inputs.reduce((n, v) => n + v.layers.length, 0);
  const all = {
    ...options,
    signal,
    crc32: await nativeCrc32(),
    onPart: (e: PartEvent) => {
      const field = inputs.find((v) => v.name === e.variable)!.layers[e.layer];
      progress.end();
      progress.phase(
        `coding ${e.variable}${e.layers > 1 ? ` layer ${e.layer + 1}/${e.layers}` : ""} (part ${
          e.part + 1
        }/${parts}, ${formatBytes(field.data.length * field.data.BYTES_PER_ELEMENT)})`,
      );
    },
    ...(options.coding === "model" ? {} : {
      onCodingProgress: (e: { done: number }) => progress.update(e.done),
    }),
  } as CollectionOptions;
  const result = await compressCollectionTo(
    inputs,
    { write: (b) => void chunks.push(b.slice()) },
    all,
  );
  progress.end();
  return { chunks, result, raw };
}
