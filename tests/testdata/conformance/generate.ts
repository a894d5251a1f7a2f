// Regenerates the conformance vectors of this folder (SPEC.md §10):
//
//   deno run --allow-read --allow-write=tests/testdata/conformance tests/testdata/conformance/generate.ts [--rebuild]
//
// Each vector is a small `.mrc` file and a `.json` with `valid`, `note` and, for a valid file,
// every level's `shape`, `rows`, `cols` and `data` (`null` = missing). Bounded vectors also name
// the wrong readings of the SPEC they catch (`catches`, see naive_bounded.ts).
//
// - Model-coded vectors are written here from deterministic weights and codes. Their expected
//   values come from the naive binary64 decoder below, written from SPEC.md alone (§4.1.1, §4.3,
//   §4.4.1 without groups, §4.6).
// - Bounded vectors (bounded.ts) are the committed `.mrc` files: the reference compressor makes
//   them only when one is missing or with `--rebuild`. Their expected values come from the naive
//   decoder of naive_bounded.ts.
//
// No expected value comes from the reference reader: the conformance test compares the two.
// Invalid vectors are valid files with one lie, CRCs, index and trailer recomputed.

import { type MrcHeader, MrcWriter } from "../../../format/mod.ts";
import { collectingSink, prng } from "../../format/_helpers.ts";
import { type EditableMrc, headerOf, joinMrc, setHeaderText, splitMrc } from "../../fuzz/_mrc_edit.ts";
import { BOUNDED, buildBounded, buildInvalidBounded, INVALID_BOUNDED } from "./bounded.ts";
import { decodeBoundedNaive, type Readings } from "./naive_bounded.ts";

/** What a vector's `.json` holds. */
export interface ConformanceVector {
  valid: boolean;
  note: string;
  /** Bounded vectors: the wrong readings of the SPEC under which this file decodes wrong or fails. */
  catches?: (keyof Readings)[];
  /** Invalid bounded vectors: the wrong readings under which the naive decoder accepts it. */
  acceptedBy?: (keyof Readings)[];
  levels?: { level: number; shape: number[]; rows: number[]; cols: number[]; data: (number | null)[] }[];
}

export interface Spec {
  shape: [number, number, number];
  grid: [number, number];
  crop: [number, number];
  levels: number;
  blockSize: number;
  /** `[t][row][col]` missing elements, or none. */
  missing?: (t: number, r: number, c: number) => boolean;
  seed: number;
}

/** Deterministic weights and codes for a file of `spec`: float32-exact values. */
function contents(spec: Spec) {
  const rand = prng(spec.seed);
  const f32 = (v: number) => Math.fround(v);
  const grids: [number, number][] = [spec.grid];
  for (let k = 1; k < spec.levels; k++) {
    const [h, w] = grids[0];
    grids.unshift([(h - 1) / 2, (w - 1) / 2]);
  }
  const weights = grids.map(() => ({
    kernel: Array.from({ length: 9 }, () => f32(Math.round((rand() - 0.3) * 64) / 64)),
    bias: f32(Math.round((rand() - 0.5) * 32) / 64),
  }));
  const [lh, lw] = [(grids[0][0] - 1) / 2, (grids[0][1] - 1) / 2];
  const T = spec.shape[0];
  const base = Array.from({ length: T * lh * lw }, () => Math.round((rand() - 0.5) * 40));
  return { grids, weights, base, lh, lw, step: 0.125 };
}

function header(spec: Spec, grids: [number, number][], step: number, missingCount: number): MrcHeader {
  return {
    shape: spec.shape,
    dtype: "float32",
    grid: spec.grid,
    crop: spec.crop,
    padMode: "replicate",
    normalization: { offset: 1.5, scale: 2 },
    blockSize: spec.blockSize,
    levels: grids.map((g, k) => ({
      grid: g,
      latent: [(g[0] - 1) / 2, (g[1] - 1) / 2],
      groups: [],
      quant: { base: k === 0 ? step : null, groups: [] },
    })),
    quantization: "uniform-midtread",
    missing: missingCount
      ? { mode: "nan", fillValue: null, count: missingCount }
      : { mode: "none", fillValue: null, count: 0 },
  };
}

function missingMask(spec: Spec): Uint8Array | null {
  if (!spec.missing) return null;
  const [T, H, W] = spec.shape;
  const mask = new Uint8Array(T * H * W);
  for (let t = 0; t < T; t++) {
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) mask[(t * H + r) * W + c] = spec.missing(t, r, c) ? 1 : 0;
  }
  return mask;
}

export async function build(spec: Spec): Promise<Uint8Array> {
  const { grids, weights, base, lh, lw, step } = contents(spec);
  const mask = missingMask(spec);
  const count = mask ? mask.reduce((n, v) => n + v, 0) : 0;
  const sink = collectingSink();
  const writer = new MrcWriter(sink, { version: { major: 1, minor: 2 } }); // the vectors are 1.2 files
  await writer.writeHeader(header(spec, grids, step, count));
  await writer.writeMeta({ tool: "conformance" });
  if (count) await writer.writeMissingMask(mask!);
  const T = spec.shape[0], bs = spec.blockSize;
  for (let k = 0; k < spec.levels; k++) {
    await writer.writeLevelWeights(k, {
      deconv: { kernel: new Float32Array(weights[k].kernel), bias: weights[k].bias },
      groups: [],
    });
    await writer.writeMasks(k, []);
    for (let b = 0; b * bs < T; b++) {
      const n = Math.min(bs, T - b * bs);
      const streams = k === 0 ? [new Int32Array(base.slice(b * bs * lh * lw, (b * bs + n) * lh * lw))] : [];
      await writer.writeCodeBlock(k, b, { snapshotCount: n, streams });
    }
  }
  await writer.finish();
  return sink.bytes();
}

// ---- The naive decoder, from SPEC.md (binary64). ----

/** §4.4.1 `deconvPadded`. */
function deconvPadded(K: number[], b: number, y: number[][]): number[][] {
  const h = y.length, w = y[0].length;
  const p = (i: number, j: number) => y[Math.min(Math.max(i - 1, 0), h - 1)][Math.min(Math.max(j - 1, 0), w - 1)];
  const F = Array.from({ length: 2 * h + 5 }, () => new Array(2 * w + 5).fill(0));
  for (let i = 0; i < h + 2; i++) {
    for (let j = 0; j < w + 2; j++) {
      for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) F[2 * i + dy][2 * j + dx] += K[dy * 3 + dx] * p(i, j);
    }
  }
  return Array.from({ length: 2 * h + 1 }, (_, r) => Array.from({ length: 2 * w + 1 }, (_, c) => b + F[r + 2][c + 2]));
}

/** §4.1.1: the kept rows (or columns) of one axis, clamped fallback, `round` half up. */
function axis(start: number, length: number, s: number, size: number): number[] {
  const first = Math.ceil((start + 1) / s) - 1, last = Math.floor((start + length) / s) - 1;
  if (last >= first) return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  return [Math.min(size - 1, Math.max(0, Math.floor((start + (length - 1) / 2 + 1) / s + 0.5) - 1))];
}

function expected(spec: Spec): ConformanceVector["levels"] {
  const { grids, weights, base, lh, lw, step } = contents(spec);
  const mask = missingMask(spec);
  const [T, H, W] = spec.shape;
  const N = spec.levels;
  const out: NonNullable<ConformanceVector["levels"]> = [];
  const planes: number[][][][] = []; // [t][k] plane
  for (let t = 0; t < T; t++) {
    const z = Array.from({ length: lh }, (_, i) => Array.from({ length: lw }, (_, j) => base[t * lh * lw + i * lw + j] * step));
    const ys: number[][][] = [];
    let y = deconvPadded(weights[0].kernel, weights[0].bias, z);
    ys.push(y);
    for (let k = 1; k < N; k++) ys.push(y = deconvPadded(weights[k].kernel, weights[k].bias, y));
    planes.push(ys);
  }
  for (let k = 0; k < N; k++) {
    const s = 2 ** (N - 1 - k);
    const rowsK = axis(spec.crop[0], H, s, grids[k][0]), colsK = axis(spec.crop[1], W, s, grids[k][1]);
    const clamp = (v: number, n: number) => Math.min(Math.max(v, 0), n - 1);
    const rows = rowsK.map((i) => clamp(s * (i + 1) - 1 - spec.crop[0], H));
    const cols = colsK.map((j) => clamp(s * (j + 1) - 1 - spec.crop[1], W));
    const data: (number | null)[] = [];
    for (let t = 0; t < T; t++) {
      rowsK.forEach((i, a) =>
        colsK.forEach((j, b) => {
          const gone = mask !== null && mask[(t * H + rows[a]) * W + cols[b]] === 1;
          data.push(gone ? null : planes[t][k][i][j] * 2 + 1.5);
        })
      );
    }
    out.push({ level: k, shape: [T, rows.length, cols.length], rows, cols, data });
  }
  return out;
}

// ---- The vectors. ----

const VALID: { name: string; note: string; spec: Spec; edit?: (f: EditableMrc) => void }[] = [
  {
    name: "fallback-row-clamp",
    note: "§4.1.1: H = 1 in the last row of the grid: the fallback row of levels 0 and 1 is clamped to the level grid",
    spec: { shape: [2, 1, 6], grid: [15, 15], crop: [14, 4], levels: 3, blockSize: 2, seed: 1 },
  },
  {
    name: "fallback-column-clamp",
    note: "§4.1.1: W = 1 in the last column of the grid: the fallback column is clamped to the level grid",
    spec: { shape: [2, 6, 1], grid: [15, 15], crop: [4, 14], levels: 3, blockSize: 1, seed: 2 },
  },
  {
    name: "round-half-up",
    note: "§4.1.1: round((4 + 0 + 1) / 2) = round(2.5) = 3 (half up): level 0 keeps row 2",
    spec: { shape: [1, 1, 3], grid: [7, 7], crop: [4, 2], levels: 2, blockSize: 1, seed: 3 },
  },
  {
    name: "missing-coarse-level",
    note: "§4.3: a coarse pixel is missing iff the mask element at the original row and column it samples is set",
    spec: {
      shape: [2, 5, 6],
      grid: [7, 7],
      crop: [1, 0],
      levels: 2,
      blockSize: 2,
      seed: 4,
      missing: (t, r, c) => (t === 0 && r === 1 && c === 1) || (t === 1 && r === 2 && c === 3) || (r === 0 && c === 0),
    },
  },
  {
    name: "integer-2.0-overlong-varint",
    note: '§4.1, §4.6: "blockSize": 2.0 is the integer 2, and a varint of 2 bytes for a 1-byte value (80 00) is accepted',
    spec: { shape: [3, 3, 3], grid: [3, 3], crop: [0, 0], levels: 1, blockSize: 2, seed: 5 },
    edit: (f) => {
      setHeaderText(f, JSON.stringify(headerOf(f)).replace('"blockSize":2,', '"blockSize":2.0,'));
      // Block 0 of level 0, rewritten by hand: predictor 0, every varint padded to 2 bytes.
      const code = f.chunks.find((c) => c.type === "CODE" && c.block === 0)!;
      const { base } = contents(VALID[4].spec);
      const values = base.slice(0, 2 * 1 * 1); // 2 snapshots x 1 latent position
      const raw: number[] = [];
      for (const v of [values[0], values[1]]) { // position-major, then time
        const z = v >= 0 ? 2 * v : -2 * v - 1;
        raw.push((z & 0x7f) | 0x80, z >> 7);
      }
      code.body = codeBody(2, [1], raw);
    },
  },
];

/** A `CODE` body with predictor 0 around the given varint bytes (zlib via CompressionStream-free fflate). */
function codeBody(snapshots: number, vps: number[], raw: number[], trailing = 0): Uint8Array {
  const z = zlibSync(new Uint8Array(raw));
  const body = new Uint8Array(13 + 4 * vps.length + z.length + trailing);
  const view = new DataView(body.buffer);
  view.setUint32(0, snapshots, true);
  view.setUint32(4, vps.length, true);
  vps.forEach((v, i) => view.setUint32(8 + 4 * i, v, true));
  body[8 + 4 * vps.length] = 0;
  view.setUint32(9 + 4 * vps.length, raw.length, true);
  body.set(z, 13 + 4 * vps.length);
  return body;
}

import { zlibSync } from "npm:fflate@0.8.2";

const BASE: Spec = { shape: [3, 3, 3], grid: [3, 3], crop: [0, 0], levels: 1, blockSize: 2, seed: 6 };
const text = (f: EditableMrc) => JSON.stringify(headerOf(f));

const INVALID: { name: string; note: string; spec?: Spec; edit: (f: EditableMrc) => void }[] = [
  {
    name: "invalid-header-bom",
    note: "§4.1: a byte order mark before the header JSON",
    edit: (f) => setHeaderText(f, new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text(f))])),
  },
  {
    name: "invalid-step-1e999",
    note: "§4.1: a step written 1e999 is not finite",
    edit: (f) => setHeaderText(f, text(f).replace('"base":0.125', '"base":1e999')),
  },
  {
    name: "invalid-meta-not-json",
    note: "§4.2: a META body that is not a JSON object makes the file invalid",
    edit: (f) => (f.chunks.find((c) => c.type === "META")!.body = new TextEncoder().encode("{tool")),
  },
  {
    name: "invalid-zlib-trailing-bytes",
    note: "§4.6: bytes after the zlib stream of a CODE body",
    edit: (f) => {
      const code = f.chunks.find((c) => c.type === "CODE" && c.block === 1)!;
      const extra = new Uint8Array(code.body.length + 2);
      extra.set(code.body);
      code.body = extra;
    },
  },
  {
    name: "invalid-grid-too-large",
    note: "§4.1: a 3 x 3 field with 1 level and a 7 x 7 grid (at most max(2^2, 3 + 2) - 1 = 4)",
    spec: { ...BASE, grid: [7, 7], crop: [2, 2] },
    edit: () => {},
  },
  {
    name: "invalid-missing-count",
    note: "§4.3: the NANM mask marks one value more than missing.count",
    spec: { ...BASE, missing: (t, r, c) => t === 0 && r === 1 && c === 2 },
    edit: (f) => setHeaderText(f, text(f).replace('"count":1', '"count":2')),
  },
  {
    name: "invalid-snapshots-no-chunk-holds",
    note: "§9: T = 131072 in blocks of 65536 (2 blocks, as the file has): a CODE chunk of 77 bytes cannot hold 65536 x 16 base codes (at least 1028 bytes)",
    spec: { shape: [3, 8, 8], grid: [9, 9], crop: [0, 0], levels: 1, blockSize: 2, seed: 7 },
    edit: (f) => setHeaderText(f, text(f).replace('"shape":[3,', '"shape":[131072,').replace('"blockSize":2', '"blockSize":65536')),
  },
];

// The grid-too-large vector needs its header written around the writer's check.
async function buildLoose(spec: Spec): Promise<Uint8Array> {
  const fit: Spec = { ...spec, grid: [3, 3], crop: [0, 0] };
  const file = splitMrc(await build(fit));
  const h = headerOf(file) as unknown as MrcHeader;
  h.grid = spec.grid;
  h.crop = spec.crop;
  h.levels[0].grid = spec.grid;
  h.levels[0].latent = [(spec.grid[0] - 1) / 2, (spec.grid[1] - 1) / 2];
  setHeaderText(file, JSON.stringify(h));
  const lh = h.levels[0].latent[0] * h.levels[0].latent[1];
  for (const c of file.chunks) {
    if (c.type !== "CODE") continue;
    const n = new DataView(c.body.buffer, c.body.byteOffset).getUint32(0, true);
    c.body = codeBody(n, [lh], new Array(n * lh).fill(2));
  }
  return joinMrc(file);
}

/**
 * Every vector: name, bytes, expectation. Bounded vectors are read from `dir` unless `rebuild`
 * (or the file is missing there).
 */
export async function vectors(
  { dir = new URL("./", import.meta.url), rebuild = false }: { dir?: URL; rebuild?: boolean } = {},
): Promise<{ name: string; bytes: Uint8Array; json: ConformanceVector }[]> {
  const out = [];
  for (const v of VALID) {
    let bytes = await build(v.spec);
    if (v.edit) {
      const f = splitMrc(bytes);
      v.edit(f);
      bytes = joinMrc(f);
    }
    out.push({ name: v.name, bytes, json: { valid: true, note: v.note, levels: expected(v.spec) } });
  }
  for (const v of INVALID) {
    const spec = v.spec ?? BASE;
    let bytes: Uint8Array;
    if (v.name === "invalid-grid-too-large") bytes = await buildLoose(spec);
    else {
      const f = splitMrc(await build(spec));
      v.edit(f);
      bytes = joinMrc(f);
    }
    out.push({ name: v.name, bytes, json: { valid: false, note: v.note } });
  }
  const bounded = new Map<string, Uint8Array>();
  for (const v of BOUNDED) {
    const bytes = rebuild ? await buildBounded(v) : await readOr(new URL(`${v.name}.mrc`, dir), () => buildBounded(v));
    bounded.set(v.name, bytes);
    const json: ConformanceVector = { valid: true, note: v.note, catches: v.catches, levels: decodeBoundedNaive(bytes) };
    out.push({ name: v.name, bytes, json });
  }
  for (const v of INVALID_BOUNDED) {
    const bytes = buildInvalidBounded(v, bounded.get(v.from)!);
    const json: ConformanceVector = { valid: false, note: v.note };
    if (v.acceptedBy) json.acceptedBy = v.acceptedBy;
    out.push({ name: v.name, bytes, json });
  }
  return out;
}

async function readOr(url: URL, make: () => Promise<Uint8Array>): Promise<Uint8Array> {
  try {
    return await Deno.readFile(url);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return await make();
    throw e;
  }
}

if (import.meta.main) {
  const dir = new URL("./", import.meta.url);
  for (const v of await vectors({ dir, rebuild: Deno.args.includes("--rebuild") })) {
    await Deno.writeFile(new URL(`${v.name}.mrc`, dir), v.bytes);
    await Deno.writeTextFile(new URL(`${v.name}.json`, dir), JSON.stringify(v.json, null, 1) + "\n");
    console.log(`${v.name}: ${v.bytes.length} bytes`);
  }
}
