// Regenerates the golden files of this folder deterministically:
//
//   deno run --allow-read --allow-write=tests/testdata --allow-env tests/testdata/generate.ts
//
// It rewrites every model-coded file (an old one must come out byte-identical: git diff shows
// nothing, otherwise the writer changed what old versions wrote) and writes bounded files that do
// not exist yet (they come from the encoder, which may change; the decoder must not).
//
// `v1.0-small.json` describes everything `v1.0-small.mrc` holds (header, metadata, missing mask,
// weights, masks, codes, and the resulting chunk list); `buildMrc()` turns the description into
// file bytes with the current writer. Keep every old version's files: readers must still read
// them. Values are float32-exact so that the JSON round trip is lossless.

import { type MrcAttributes, type MrcHeader, MrcWriter } from "../../format/mod.ts";
import { collectingSink, prng, randInt } from "../format/_helpers.ts";

/** What a golden file holds, as plain JSON. */
export interface GoldenDescription {
  version: string;
  header: MrcHeader;
  meta: Record<string, unknown> | null;
  /** `H * W` (shared) or `T * H * W` 0/1 values, or null. */
  missingMask: number[] | null;
  levels: {
    weights: {
      deconv: { kernel: number[]; bias: number };
      groups: { deconvKernels: number[]; deconvBias: number }[];
    };
    masks: number[][];
    blocks: { snapshotCount: number; streams: number[][] }[];
  }[];
  /** Filled in by `generate()`: the chunk list and size the writer produced. */
  chunks?: { type: string; level: number | null; block: number | null; offset: number; length: number }[];
  byteLength?: number;
}

/** One golden file: its name and what sets it apart. */
export interface GoldenVariant {
  name: string;
  version: string;
  /** Number of snapshots `T`. */
  snapshotCount: number;
  /** Version 1.1 header property `inputShape`. */
  inputShape?: number[];
  /** Version 1.2: a bounded file (see `generateBounded()`); default: model coding. */
  coding?: "bounded";
  /** Bounded: snapshots between keyframes (1: no time prediction). Default 4. */
  keyInterval?: number;
  /** Bounded: spatial interpolation. Default `"cubic"`. */
  interpolation?: "cubic" | "linear";
  /** Bounded: add values far off the field (`OUTLIERS`), which the coder must escape. */
  outliers?: boolean;
  /** Version 1.3, bounded: the predictor (`"learned"`: filters on every level and pass they fit). */
  predictor?: "learned";
  /** Bounded: the plane `[H, W]`. Default `[13, 10]`. */
  plane?: [number, number];
  /**
   * Version 1.3, bounded: a shard (SPEC.md §4.1.2) of snapshots `first .. first + count - 1` of
   * the variant's `snapshotCount`, written by block-wise compression.
   */
  shard?: { first: number; count: number };
  /** Bounded: with source attributes (`ATTR`, `GOLDEN_ATTRIBUTES`). */
  attributes?: boolean;
}

/** The source attributes of a bounded golden file with `attributes` (9 x 13 x 10). */
export const GOLDEN_ATTRIBUTES = {
  variable: {
    name: "t2m",
    type: "float",
    attributes: {
      units: { type: "char", value: "K" },
      long_name: { type: "char", value: "2 metre temperature" },
    },
  },
  dimensions: [
    { name: "time", size: 9, values: [0, 6, 12, 18, 24, 30, 36, 42, 48], type: "double", attributes: { units: { type: "char", value: "hours since 2026-12-01 00:00" } } },
    { name: "lat", size: 13, values: [60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48], type: "float", attributes: { units: { type: "char", value: "degrees_north" } } },
    { name: "lon", size: 10, values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], type: "float", attributes: { units: { type: "char", value: "degrees_east" } } },
  ],
  selected: [],
  global: { title: { type: "char", value: "golden file" } },
  source: { format: "netCDF-3 classic" },
};

/** Every golden file, oldest first. Never remove one: later readers must still read them. */
export const GOLDEN: readonly GoldenVariant[] = [
  // 2 levels, 3 blocks, missing values, metadata.
  { name: "v1.0-small", version: "1.0", snapshotCount: 5 },
  // The same kind of file from a single 2-D field: the header records the input shape (1.1).
  { name: "v1.1-2d", version: "1.1", snapshotCount: 1, inputShape: [13, 10] },
  // Bounded coding (1.2): 3 levels, 3 blocks (4, 4, 1 snapshots), key interval 4, NaN holes.
  { name: "v1.2-bounded", version: "1.2", snapshotCount: 9, coding: "bounded" },
  // Bounded coding (1.2) the other way: linear interpolation, key interval 1 (space only), and
  // outliers stored exactly (escapes), one of them on level 0's grid.
  {
    name: "v1.2-bounded-linear",
    version: "1.2",
    snapshotCount: 9,
    coding: "bounded",
    keyInterval: 1,
    interpolation: "linear",
    outliers: true,
  },
  // Learned prediction (1.3): every level above 0 starts with its predictor, filters fitted on
  // the data; a plane of 20 x 16, large enough for interior points on levels 1 and 2.
  {
    name: "v1.3-bounded-learned",
    version: "1.3",
    snapshotCount: 9,
    coding: "bounded",
    predictor: "learned",
    plane: [20, 16],
  },
  // A shard (1.3): snapshots 4..8 of the 9 of v1.2-bounded (blocks 1 and 2 of the whole), with
  // the header property "shard" {first: 4, total: 9}; it decodes as a file of its 5 snapshots.
  {
    name: "v1.3-bounded-shard",
    version: "1.3",
    snapshotCount: 9,
    coding: "bounded",
    shard: { first: 4, count: 5 },
  },
  // Deflated JSON (1.5): v1.2-bounded's coding with source attributes; its MHDR, META and ATTR
  // bodies stored deflated (flag bit 0).
  { name: "v1.5-bounded", version: "1.5", snapshotCount: 9, coding: "bounded", attributes: true },
  // The preset dictionary (1.6): v1.5-bounded's content, its MHDR, META and ATTR streams deflated
  // with the format's dictionary D (SPEC.md §3.1.1).
  { name: "v1.6-bounded", version: "1.6", snapshotCount: 9, coding: "bounded", attributes: true },
  // The range-coded mask (1.7): v1.6-bounded's content, its NANM (a land point in every snapshot,
  // one hole in snapshot 4: layout 3) range-coded (SPEC.md §4.3.1).
  { name: "v1.7-bounded", version: "1.7", snapshotCount: 9, coding: "bounded", attributes: true },
];

/** The model-coded golden files (their description is `GoldenDescription`). */
export const GOLDEN_MODEL: readonly GoldenVariant[] = GOLDEN.filter((v) => v.coding !== "bounded");
/** The bounded golden files (their description is `BoundedGoldenDescription`). */
export const GOLDEN_BOUNDED: readonly GoldenVariant[] = GOLDEN.filter((v) => v.coding === "bounded");

/** What a bounded golden file holds, as plain JSON. */
export interface BoundedGoldenDescription {
  version: string;
  header: MrcHeader;
  meta: Record<string, unknown>;
  /** The input, `T * H * W` (null = NaN), float32-exact. */
  input: (number | null)[];
  /** The body of every `BCOD` chunk, hex, `[level][block]`. */
  levels: { blocks: { snapshotCount: number; hex: string }[] }[];
  /** What a decoder must return for every level, all snapshots (null = NaN). */
  decoded: (number | null)[][];
  /**
   * Indices into `input` of the outliers (`OUTLIERS`), which the compressor escaped (stored
   * exactly): every level that samples one returns it exactly. Absent: none.
   */
  outliers?: number[];
  /** The source attributes (`ATTR`), or absent. */
  attributes?: Record<string, unknown>;
  /** Escapes per level, from the compressor's report. Absent: not recorded. */
  escapes?: number[];
  chunks?: { type: string; level: number | null; block: number | null; offset: number; length: number }[];
  byteLength?: number;
}

/**
 * Outliers of a bounded golden file with `outliers`: `[t, i, j, value]`, residuals far above
 * `2^20` bins of twice the bound 0.01, so the coder must escape them (and, with linear
 * interpolation, the neighbours predicted from them). (3, 7) is a point of level 0 (rows and
 * columns 3, 7, 11 of 3 levels); the others are finest-level points.
 */
export const OUTLIERS: readonly (readonly [number, number, number, number])[] = [
  [2, 3, 7, 100000],
  [6, 9, 4, -60000],
  [7, 4, 8, 250000.5],
];

/**
 * The input of a bounded golden file: a smooth field with noise, NaN holes and a spike (and
 * `OUTLIERS` when the variant has `outliers`).
 */
export function boundedInput(variant: GoldenVariant): { data: Float32Array; shape: [number, number, number] } {
  const rand = prng(20261129);
  const [h, w] = variant.plane ?? [13, 10];
  const shape: [number, number, number] = [variant.snapshotCount, h, w];
  const [T, H, W] = shape;
  const data = new Float32Array(T * H * W);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const v = Math.sin(0.4 * i + 0.3 * t) * Math.cos(0.5 * j - 0.2 * t) + 0.05 * (rand() - 0.5);
        data[(t * H + i) * W + j] = Math.round(v * 4096) / 4096;
      }
    }
  }
  for (let t = 0; t < T; t++) data[t * H * W + 2 * W + 3] = NaN; // a land point
  data[4 * H * W + 7 * W + 5] = NaN; // one hole in one snapshot
  data[6 * H * W + 5 * W + 2] = 3; // a spike
  if (variant.outliers) for (const [t, i, j, v] of OUTLIERS) data[(t * H + i) * W + j] = v;
  return { data, shape };
}

const hex = (b: Uint8Array) => Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
const unhex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));

/** Writes the file a bounded description describes, with the current writer. */
export async function buildBoundedMrc(description: BoundedGoldenDescription): Promise<Uint8Array> {
  const sink = collectingSink();
  const [major, minor] = description.version.split(".").map(Number);
  const writer = new MrcWriter(sink, { version: { major, minor } });
  await writer.writeHeader(description.header);
  await writer.writeMeta(description.meta);
  if (description.attributes) await writer.writeAttributes(description.attributes as unknown as MrcAttributes);
  const [T, H, W] = description.header.shape;
  const mask = new Uint8Array(T * H * W);
  description.input.forEach((v, i) => mask[i] = v === null ? 1 : 0);
  await writer.writeMissingMask(mask);
  for (const [k, level] of description.levels.entries()) {
    for (const [b, block] of level.blocks.entries()) {
      await writer.writeBoundedBlock(k, b, { snapshotCount: block.snapshotCount, bytes: unhex(block.hex) });
    }
  }
  await writer.finish();
  return sink.bytes();
}

/**
 * A bounded golden file: the compressor's chunks for `boundedInput()` at bound 0.01 (3 levels,
 * blocks of 4, the variant's key interval and interpolation), rewritten with a fixed `META` (the
 * compressor's report holds the time of writing), and every level's decoded values.
 */
export async function generateBounded(
  variant: GoldenVariant,
): Promise<{ description: BoundedGoldenDescription; bytes: Uint8Array }> {
  const { compress, openMrc } = await import("../../mod.ts");
  const { fromBytes, openContainer } = await import("../../format/mod.ts");
  const whole = boundedInput(variant);
  const options = {
    errorBound: 0.01,
    levels: 3,
    blockSize: 4,
    keyInterval: variant.keyInterval ?? 4,
    predictor: variant.predictor ?? variant.interpolation ?? "cubic",
    reproducible: true,
  };
  let data = whole.data, shape = whole.shape, compressed: Uint8Array;
  if (variant.shard) {
    const { compressBlockwise } = await import("../../src/encode/blockwise.ts");
    const { first, count } = variant.shard;
    const plane = shape[1] * shape[2];
    data = whole.data.slice(first * plane, (first + count) * plane);
    shape = [count, shape[1], shape[2]];
    const sink = collectingSink();
    await compressBlockwise(
      { shape, dtype: "float32", read: (a, b) => Promise.resolve(data.slice(a * plane, b * plane)) },
      sink,
      { ...options, shard: { first, total: whole.shape[0] } },
    );
    compressed = sink.bytes();
  } else compressed = await compress(data, shape, options);
  const source = await openContainer(fromBytes(compressed));
  const report = source.meta as { levels: { escapes: number }[] };
  const escapes = report.levels.map((l) => l.escapes);
  const levels = [];
  for (let k = 0; k < source.header.levels.length; k++) {
    const blocks = [];
    for (let b = 0; b * source.header.blockSize < shape[0]; b++) {
      const code = await source.readBoundedBlock(k, b);
      blocks.push({ snapshotCount: code.snapshotCount, hex: hex(code.bytes) });
    }
    levels.push({ blocks });
  }
  const description: BoundedGoldenDescription = {
    version: variant.version,
    header: source.header,
    meta: { tool: "mrcae tests/testdata/generate.ts", note: "golden file, do not edit" },
    input: Array.from(data, (v) => Number.isNaN(v) ? null : v),
    levels,
    decoded: [],
  };
  if (variant.attributes) description.attributes = GOLDEN_ATTRIBUTES;
  if (variant.outliers) {
    const [, H, W] = shape;
    description.outliers = OUTLIERS.map(([t, i, j]) => (t * H + i) * W + j);
    description.escapes = escapes;
    const total = escapes.reduce((a, b) => a + b, 0);
    if (total < OUTLIERS.length) throw new Error(`${variant.name}: ${total} escapes, expected ${OUTLIERS.length}+`);
  }
  const bytes = await buildBoundedMrc(description);
  const file = await openMrc(bytes);
  for await (const level of file.progressive()) {
    description.decoded.push(Array.from(level.data, (v) => Number.isNaN(v) ? null : v));
  }
  const mrc = await openContainer(fromBytes(bytes));
  description.chunks = chunkList(mrc.chunks);
  description.byteLength = bytes.length;
  return { description, bytes };
}

/** The description of a small golden file (default: `v1.0-small`). */
export function describeSmall(variant: GoldenVariant = GOLDEN[0]): GoldenDescription {
  const rand = prng(20240601);
  const f32 = () => Math.fround(Math.round((rand() * 2 - 1) * 256) / 256);
  const header: MrcHeader = {
    shape: [variant.snapshotCount, 13, 10],
    dtype: "float32",
    grid: [15, 11],
    crop: [1, 0],
    padMode: "reflect",
    normalization: { offset: 273.25, scale: 12.5 },
    blockSize: 2,
    levels: [
      { grid: [7, 5], latent: [3, 2], groups: [2, 1], quant: { base: 0.05, groups: [0.02, 0.01] } },
      { grid: [15, 11], latent: [7, 5], groups: [1, 2], quant: { base: null, groups: [0.01, 0.005] } },
    ],
    quantization: "uniform-midtread",
    missing: { mode: "nan", fillValue: null, count: 0 },
  };
  if (variant.inputShape) header.inputShape = variant.inputShape;
  const [t, h, w] = header.shape;
  const missingMask = Array.from({ length: h * w }, () => (rand() < 0.05 ? 1 : 0) as number);
  header.missing.count = t * missingMask.reduce((a, b) => a + b, 0);
  const levels = header.levels.map((level, k) => {
    const positions = level.latent[0] * level.latent[1];
    const masks = level.groups.map(() => Array.from({ length: positions }, () => (rand() < 0.5 ? 1 : 0) as number));
    const counts = masks.map((m) => m.reduce((a, b) => a + b, 0));
    const perStream = [...(k === 0 ? [positions] : []), ...level.groups.flatMap((m, g) => Array(m).fill(counts[g]))];
    const blocks = [];
    for (let b = 0; b * header.blockSize < t; b++) {
      const snapshotCount = Math.min(header.blockSize, t - b * header.blockSize);
      blocks.push({
        snapshotCount,
        streams: perStream.map((n) => {
          // A random walk in time per position: what real codes of smooth fields look like.
          const values: number[] = new Array(n * snapshotCount);
          for (let p = 0; p < n; p++) {
            let v = randInt(rand, -200, 200);
            for (let s = 0; s < snapshotCount; s++) {
              values[s * n + p] = v;
              v += randInt(rand, -3, 3);
            }
          }
          return values;
        }),
      });
    }
    return {
      weights: {
        deconv: { kernel: Array.from({ length: 9 }, f32), bias: f32() },
        groups: level.groups.map((m) => ({
          deconvKernels: Array.from({ length: m * 9 }, f32),
          deconvBias: f32(),
        })),
      },
      masks,
      blocks,
    };
  });
  return {
    version: variant.version,
    header,
    meta: { tool: "mrcae tests/testdata/generate.ts", note: "golden file, do not edit" },
    missingMask,
    levels,
  };
}

/** The chunk list a golden description records. */
export function chunkList(
  chunks: readonly { type: string; level: number | null; block: number | null; offset: number; length: number }[],
): { type: string; level: number | null; block: number | null; offset: number; length: number }[] {
  return chunks.map(({ type, level, block, offset, length }) => ({ type, level, block, offset, length }));
}

/** Writes the file a description describes, with the current writer. */
export async function buildMrc(description: GoldenDescription): Promise<Uint8Array> {
  const sink = collectingSink();
  const [major, minor] = description.version.split(".").map(Number);
  const writer = new MrcWriter(sink, { version: { major, minor } });
  await writer.writeHeader(description.header);
  if (description.meta) await writer.writeMeta(description.meta);
  if (description.missingMask) await writer.writeMissingMask(new Uint8Array(description.missingMask));
  for (const [k, level] of description.levels.entries()) {
    await writer.writeLevelWeights(k, {
      deconv: { kernel: new Float32Array(level.weights.deconv.kernel), bias: level.weights.deconv.bias },
      groups: level.weights.groups.map((g) => ({
        deconvKernels: new Float32Array(g.deconvKernels),
        deconvBias: g.deconvBias,
      })),
    });
    await writer.writeMasks(k, level.masks.map((m) => new Uint8Array(m)));
    for (const [b, block] of level.blocks.entries()) {
      await writer.writeCodeBlock(k, b, {
        snapshotCount: block.snapshotCount,
        streams: block.streams.map((s) => new Int32Array(s)),
      });
    }
  }
  await writer.finish();
  return sink.bytes();
}

/** Builds the description and the file, with the chunk list filled in from the file. */
export async function generate(
  variant: GoldenVariant = GOLDEN[0],
): Promise<{ description: GoldenDescription; bytes: Uint8Array }> {
  const { fromBytes, openContainer } = await import("../../format/mod.ts");
  const description = describeSmall(variant);
  const bytes = await buildMrc(description);
  const mrc = await openContainer(fromBytes(bytes));
  description.chunks = chunkList(mrc.chunks);
  description.byteLength = bytes.length;
  return { description, bytes };
}

/**
 * The golden collection (1.4, SPEC.md §12): golden files of earlier versions as its parts, so that
 * their tests check the parts' values: a variable `t2m` of one part, and a variable `ta` of two
 * layers along `plev` (two files of the same shape and levels).
 */
export const GOLDEN_COLLECTION = {
  name: "v1.4-collection",
  version: "1.4",
  variables: [
    { name: "t2m", layer: null, parts: ["v1.3-bounded-learned"] },
    { name: "ta", layer: "plev", parts: ["v1.2-bounded", "v1.2-bounded-linear"] },
  ],
} as const;

/** What the golden collection holds: its `COLL` body, its parts' golden files, its chunks. */
export interface CollectionGoldenDescription {
  version: string;
  header: { variables: { name: string; layer: string | null; parts: number[] }[] };
  /** The golden file each part is, byte for byte, in part order. */
  parts: string[];
  chunks: { type: string; level: number | null; block: number | null; offset: number; length: number }[];
  byteLength: number;
}

/** Builds the golden collection from its parts' golden files with the current writer. */
export async function buildCollection(): Promise<{ description: CollectionGoldenDescription; bytes: Uint8Array }> {
  const { CollectionWriter, fromBytes, openCollectionContainer } = await import("../../format/mod.ts");
  const dir = new URL(".", import.meta.url);
  let next = 0;
  const header = {
    variables: GOLDEN_COLLECTION.variables.map((v) => ({
      name: v.name,
      layer: v.layer,
      parts: v.parts.map(() => next++),
    })),
  };
  const parts = GOLDEN_COLLECTION.variables.flatMap((v) => [...v.parts]);
  const sink = collectingSink();
  const writer = new CollectionWriter(sink);
  await writer.begin(header);
  for (const name of parts) await writer.writePart(await Deno.readFile(new URL(`${name}.mrc`, dir)));
  await writer.finish();
  const bytes = sink.bytes();
  const c = await openCollectionContainer(fromBytes(bytes));
  return {
    description: {
      version: GOLDEN_COLLECTION.version,
      header,
      parts,
      chunks: chunkList(c.chunks),
      byteLength: bytes.length,
    },
    bytes,
  };
}

if (import.meta.main) {
  const dir = new URL(".", import.meta.url);
  for (const variant of GOLDEN) {
    // A bounded file comes from the encoder, which may improve: an existing one is never rewritten.
    if (variant.coding === "bounded") {
      const exists = await Deno.stat(new URL(`${variant.name}.mrc`, dir)).then(() => true, () => false);
      if (exists) {
        console.log(`kept ${variant.name}.mrc (encoder output, written once)`);
        continue;
      }
    }
    const { description, bytes } = variant.coding === "bounded"
      ? await generateBounded(variant)
      : await generate(variant);
    await Deno.writeFile(new URL(`${variant.name}.mrc`, dir), bytes);
    // Arrays of numbers on one line keep the JSON readable.
    const json = JSON.stringify(description, null, 1).replace(
      /\[([-\d.e,\snul]+)\]/g,
      (_, inner: string) => `[${inner.replace(/\s+/g, "")}]`,
    );
    await Deno.writeTextFile(new URL(`${variant.name}.json`, dir), json + "\n");
    console.log(`wrote ${variant.name}.mrc (${bytes.length} bytes) and ${variant.name}.json`);
  }
  // The collection frames golden files: the same bytes each time (the test checks it).
  const { description, bytes } = await buildCollection();
  await Deno.writeFile(new URL(`${GOLDEN_COLLECTION.name}.mrc`, dir), bytes);
  await Deno.writeTextFile(
    new URL(`${GOLDEN_COLLECTION.name}.json`, dir),
    JSON.stringify(description, null, 1) + "\n",
  );
  console.log(`wrote ${GOLDEN_COLLECTION.name}.mrc (${bytes.length} bytes)`);
}
