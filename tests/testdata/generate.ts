// Regenerates the golden files of this folder deterministically:
//
//   deno run --allow-write=tests/testdata tests/testdata/generate.ts
//
// `v1.0-small.json` describes everything `v1.0-small.mrc` holds (header, metadata, missing mask,
// weights, masks, codes, and the resulting chunk list); `buildMrc()` turns the description into
// file bytes with the current writer. Keep every old version's files: readers must still read
// them. Values are float32-exact so that the JSON round trip is lossless.

import { type MrcHeader, MrcWriter } from "../../format/mod.ts";
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
    blocks: { snapshots: number; streams: number[][] }[];
  }[];
  /** Filled in by `generate()`: the chunk list and size the writer produced. */
  chunks?: { type: string; level: number | null; block: number | null; offset: number; length: number }[];
  byteLength?: number;
}

/** One golden file: its name and what sets it apart. */
export interface GoldenVariant {
  name: string;
  version: string;
  snapshots: number;
  /** Version 1.1 header property `inputShape`. */
  inputShape?: number[];
}

/** Every golden file, oldest first. Never remove one: later readers must still read them. */
export const GOLDEN: readonly GoldenVariant[] = [
  // 2 levels, 3 blocks, missing values, metadata.
  { name: "v1.0-small", version: "1.0", snapshots: 5 },
  // The same kind of file from a single 2-D field: the header records the input shape (1.1).
  { name: "v1.1-2d", version: "1.1", snapshots: 1, inputShape: [13, 10] },
];

/** The description of a small golden file (default: `v1.0-small`). */
export function describeSmall(variant: GoldenVariant = GOLDEN[0]): GoldenDescription {
  const rand = prng(20240601);
  const f32 = () => Math.fround(Math.round((rand() * 2 - 1) * 256) / 256);
  const header: MrcHeader = {
    shape: [variant.snapshots, 13, 10],
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
      const snapshots = Math.min(header.blockSize, t - b * header.blockSize);
      blocks.push({
        snapshots,
        streams: perStream.map((n) => {
          // A random walk in time per position: what real codes of smooth fields look like.
          const values: number[] = new Array(n * snapshots);
          for (let p = 0; p < n; p++) {
            let v = randInt(rand, -200, 200);
            for (let s = 0; s < snapshots; s++) {
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
        snapshots: block.snapshots,
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
  description.chunks = mrc.chunks.map(({ type, level, block, offset, length }) => ({
    type,
    level,
    block,
    offset,
    length,
  }));
  description.byteLength = bytes.length;
  return { description, bytes };
}

if (import.meta.main) {
  const dir = new URL(".", import.meta.url);
  for (const variant of GOLDEN) {
    const { description, bytes } = await generate(variant);
    await Deno.writeFile(new URL(`${variant.name}.mrc`, dir), bytes);
    // Arrays of numbers on one line keep the JSON readable.
    const json = JSON.stringify(description, null, 1).replace(
      /\[([-\d.e,\s]+)\]/g,
      (_, inner: string) => `[${inner.replace(/\s+/g, "")}]`,
    );
    await Deno.writeTextFile(new URL(`${variant.name}.json`, dir), json + "\n");
    console.log(`wrote ${variant.name}.mrc (${bytes.length} bytes) and ${variant.name}.json`);
  }
}
