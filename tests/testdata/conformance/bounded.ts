// The bounded conformance vectors (SPEC.md §4.7, §4.8, §7, §10): files written by the reference
// compressor from small crafted inputs, each aimed at a rule that a decoder could read the other
// way, and invalid files made from them by one edit (CRCs, index and trailer recomputed).
//
// The committed `.mrc` files are the vectors; the compressor only makes them anew with
// `generate.ts --rebuild`, so that a later encoder (other choices, same format) leaves them alone.
// Their expected levels always come from the naive decoder of naive_bounded.ts, never from the
// reference reader.

import { compress } from "../../../mod.ts";
import type { MrcAttributes } from "../../../format/mod.ts";
import { mulberry32 } from "../../../src/random.ts";
import { crc32 } from "../../../format/_checksum.ts";
import { inflateJson } from "../../../format/_bytes.ts";
import { FLAG_DEFLATED } from "../../../format/_constants.ts";
import { type EditableMrc, joinMrc, splitMrc } from "../../fuzz/_mrc_edit.ts";
import type { Readings } from "./naive_bounded.ts";

export interface BoundedVector {
  name: string;
  note: string;
  /** The input and options the reference compressor is given. */
  input: () => { data: Float32Array | Float64Array; shape: number[]; options: Record<string, unknown> };
  /** The other readings of the SPEC under which this vector decodes wrong or fails. */
  catches: (keyof Readings)[];
  /** An edit of the compressor's file (a chunk the compressor does not write). */
  edit?: (f: EditableMrc) => void;
}

export interface InvalidBoundedVector {
  name: string;
  note: string;
  /** The valid vector it is made from. */
  from: string;
  /** The lie, told in the split file (CRCs, index and trailer then written afresh)... */
  edit?: (f: EditableMrc) => void;
  /** ... or in the file's bytes themselves (where the index or the trailer lies). */
  editBytes?: (bytes: Uint8Array) => void;
  /** Readings of the SPEC under which the naive decoder accepts it (wrongly). */
  acceptedBy?: (keyof Readings)[];
}

/** A smooth field with noise of `noise` and the given roughness. */
function field(T: number, H: number, W: number, seed: number, noise: number, change = 0.3) {
  const rand = mulberry32(seed);
  const data = new Float32Array(T * H * W);
  for (let t = 0; t < T; t++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        data[(t * H + y) * W + x] = Math.sin(0.7 * x + change * t) * Math.cos(0.45 * y - change * t) +
          noise * (rand() - 0.5);
      }
    }
  }
  return data;
}

const unknown = (body: string) => ({
  type: "ZZZZ",
  level: null,
  block: null,
  flags: 0,
  body: new TextEncoder().encode(body),
});

const ATTRIBUTES: MrcAttributes = {
  variable: {
    name: "temperature",
    type: "short",
    attributes: {
      units: { type: "char", value: "degC" },
      scale_factor: { type: "float", value: [0.01] },
      _FillValue: { type: "short", value: [-32768] },
    },
  },
  dimensions: [
    {
      name: "time",
      size: 2,
      values: [0, 31],
      type: "double",
      attributes: { units: { type: "char", value: "days since 2000-01-01" } },
    },
    { name: "lat", size: 8, values: [-35, -25, -15, -5, 5, 15, 25, 35], type: "float", attributes: {} },
    { name: "lon", size: 8, values: null, type: "double", attributes: {} },
  ],
  selected: [{
    name: "depth",
    size: 3,
    values: [0, 10, 20],
    type: "float",
    attributes: { units: { type: "char", value: "m" } },
    index: 1,
  }],
  global: { title: { type: "char", value: "conformance" }, version: { type: "int", value: [2] } },
  source: { format: "netCDF-4" },
};

/**
 * The `ATTR` content of a variable on (time, lat, lon) of `shape`, without coordinates but the
 * times given (SPEC.md §4.8).
 */
function gridAttributes(
  variable: { name: string; type: string; attributes: Record<string, unknown> },
  [T, H, W]: number[],
  times: number[] | null,
  global: Record<string, unknown>,
  format: string,
) {
  const dimension = (name: string, size: number, values: number[] | null, type: string) => ({
    name,
    size,
    values,
    type,
    attributes: {},
  });
  return {
    variable,
    dimensions: [
      dimension("time", T, times, "double"),
      dimension("lat", H, null, "float"),
      dimension("lon", W, null, "float"),
    ],
    selected: [],
    global,
    source: { format },
  };
}

export const BOUNDED: BoundedVector[] = [
  {
    name: "bounded-deflated",
    note: "§3.1 (1.5): the MHDR, META and ATTR bodies deflated (flag bit 0): the JSON's u32 length, then its zlib stream",
    input: () => {
      const T = 3, H = 12, W = 12;
      const data = field(T, H, W, 21, 0.4);
      const attributes = gridAttributes(
        { name: "sst", type: "float", attributes: { units: { type: "char", value: "K" } } },
        [T, H, W],
        null,
        { title: { type: "char", value: "conformance" } },
        "netCDF-3 classic",
      );
      return { data, shape: [T, H, W], options: { errorBound: 0.01, keyInterval: 2, attributes } };
    },
    catches: ["deflateIgnored"],
  },
  {
    name: "bounded-dictionary",
    note: "§3.1.1 (1.6): the MHDR, META and ATTR zlib streams use the preset dictionary D (FDICT set, DICTID 0xe7f7cf54): matches reach back into D",
    input: () => {
      const T = 3, H = 12, W = 12;
      const data = field(T, H, W, 23, 0.4);
      const attributes = gridAttributes(
        {
          name: "tas",
          type: "float",
          attributes: {
            units: { type: "char", value: "K" },
            standard_name: { type: "char", value: "air_temperature" },
          },
        },
        [T, H, W],
        [0, 1, 2],
        { Conventions: { type: "char", value: "CF-1.6" } },
        "netCDF-4",
      );
      return { data, shape: [T, H, W], options: { errorBound: 0.01, keyInterval: 2, attributes } };
    },
    catches: ["dictionaryIgnored"],
  },
  {
    name: "bounded-keyframes",
    note: "§4.7.4 step 1: lastMode[fc] is set for every (snapshot, level), also when no mode bit is coded (keyframe 0 sets lastMode[0] = 0); 3 keyframes in one block, K = 4",
    input: () => {
      // Snapshots unrelated in time, so that keyframe 4 codes space (after keyframe 0's lastMode 0).
      const T = 9, H = 12, W = 12, rand = mulberry32(11);
      const data = new Float32Array(T * H * W).map(() => rand() * 4 - 2);
      return { data, shape: [T, H, W], options: { errorBound: 0.05, keyInterval: 4, blockSize: 9 } };
    },
    catches: ["lastModeOnlyWhenCoded"],
  },
  {
    name: "bounded-missing",
    note: "§4.7.4 steps 3-4: a row whose points are all missing still has its row flag; mean averages every neighbour, missing ones included (their rec is f32(pred))",
    input: () => {
      const T = 3, H = 16, W = 16;
      const data = field(T, H, W, 12, 0.6);
      const rand = mulberry32(13);
      for (let t = 0; t < T; t++) {
        for (let x = 0; x < W; x++) data[(t * H + 5) * W + x] = NaN; // original row 5, whole
        for (let i = 0; i < 30; i++) {
          data[(t * H + Math.floor(rand() * H)) * W + Math.floor(rand() * W)] = NaN;
        }
      }
      return { data, shape: [T, H, W], options: { errorBound: 0.01, keyInterval: 2 } };
    },
    catches: ["noFlagForMissingRows", "meanSkipsMissing"],
  },
  {
    name: "bounded-sparse",
    note: "§4.7.4 step 3: par is the sum over the row's points of their non-zero neighbours, so an isolated non-zero code between two points of a row counts twice",
    input: () => {
      // A smooth field where most codes are 0, with isolated spikes.
      const H = 32, W = 32, data = new Float32Array(H * W);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) data[y * W + x] = Math.sin(0.05 * x) * Math.cos(0.035 * y);
      }
      for (const [y, x] of [[3, 7], [11, 19], [19, 3], [27, 27], [7, 23], [15, 11]]) {
        data[y * W + x] += 1;
      }
      return { data, shape: [1, H, W], options: { errorBound: 0.01 } };
    },
    catches: ["parDistinct"],
  },
  {
    name: "bounded-escapes",
    note: "§4.7.4: escapes (magnitude 2^20): the value's 32 bits follow, most significant first",
    input: () => {
      const T = 2, H = 10, W = 10;
      const data = field(T, H, W, 14, 0.05);
      data[3 * W + 4] = 1e9;
      data[7 * W + 2] = -3e8;
      data[H * W + 5 * W + 5] = 2.5e9;
      return { data, shape: [T, H, W], options: { errorBound: 1e-3 } };
    },
    catches: ["escapeLowBitFirst"],
  },
  {
    name: "bounded-mask-coded",
    note: "§4.3.1 (1.7): a range-coded mask of layout 3 (per snapshot): a coast that moves, so that some rows of a plane repeat the plane before and others do not; row flags with the previous row's flag as context, pixels with the plane before's",
    input: () => {
      const T = 4, H = 16, W = 20;
      const data = field(T, H, W, 17, 0.4);
      for (let t = 0; t < T; t++) {
        for (let y = 0; y < H; y++) {
          // Land west of a coast that moves east on rows 6-11 only; an island on snapshot 2.
          const coast = 4 + (y >= 6 && y < 12 ? t : 0) + (y % 3 === 0 ? 1 : 0);
          for (let x = 0; x < coast; x++) data[(t * H + y) * W + x] = NaN;
        }
      }
      for (const [y, x] of [[3, 14], [3, 15], [4, 14]]) data[(2 * H + y) * W + x] = NaN;
      return { data, shape: [T, H, W], options: { errorBound: 0.01, keyInterval: 2 } };
    },
    catches: ["maskRowFlagOneContext", "maskNoPlaneBefore"],
  },
  {
    name: "bounded-mask-shared",
    note: "§4.3.1 (1.7): a range-coded mask of layout 2: one plane, shared by every snapshot, with pixel contexts of the plane itself",
    input: () => {
      const T = 3, H = 12, W = 12;
      const data = field(T, H, W, 19, 0.4);
      for (let t = 0; t < T; t++) {
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) if ((x - 3) ** 2 + (y - 8) ** 2 < 7) data[(t * H + y) * W + x] = NaN;
        }
      }
      return { data, shape: [T, H, W], options: { errorBound: 0.01 } };
    },
    catches: [],
  },
  {
    name: "bounded-nan-values",
    note: '§4.3, §4.7.4: mode "fill": NaN is a value, an escape holding its bits (null in data); predictions and activities that read it are NaN: act = 3 and alt = 0 where d is NaN',
    input: () => {
      const T = 3, H = 12, W = 12;
      const data = field(T, H, W, 21, 0.1);
      const bits = new Uint32Array(data.buffer);
      for (let t = 0; t < T; t++) {
        for (let x = 2; x < 6; x++) data[(t * H + 4) * W + x] = -999; // missing
        bits[(t * H + 5) * W + 3] = 0x7fc00000; // NaN values next to missing ones
        bits[(t * H + 8) * W + 7 + t] = 0xffc00001;
        bits[(t * H + 1) * W + 9] = 0x7fd00000;
      }
      return { data, shape: [T, H, W], options: { errorBound: 0.01, fillValue: -999, keyInterval: 2 } };
    },
    catches: ["nanAltTwo"],
  },
  {
    name: "bounded-linear",
    note: '§4.7.3: "interpolation": "linear" takes the linear weights (the cubic ones differ wherever 3 neighbours exist)',
    input: () => ({
      data: field(2, 20, 20, 15, 0.2),
      shape: [2, 20, 20],
      options: { errorBound: 0.01, interpolation: "linear" },
    }),
    catches: ["alwaysCubic"],
  },
  {
    name: "bounded-key-interval-1",
    note: "§4.7.1-§4.7.2: K = 1: every snapshot a keyframe with nodes its predecessor; keyframes other than 0 choose space or time on level 0, space alone (no mode bit) on finer levels",
    input: () => ({
      data: field(4, 12, 12, 16, 0.3, 0.05),
      shape: [4, 12, 12],
      options: { errorBound: 0.01, keyInterval: 1 },
    }),
    catches: ["keyframeTimeOnEveryLevel"],
  },
  {
    name: "bounded-blocks",
    note: "§4 and §4.7.1: 14 snapshots in blocks of 6 (6, 6, 2), K = 4: each block restarts, its keyframes are 0, 4 and n - 1 = 5",
    input: () => ({
      data: field(14, 8, 8, 17, 0.2, 0.1),
      shape: [14, 8, 8],
      options: { errorBound: 0.01, keyInterval: 4, blockSize: 6 },
    }),
    catches: ["noLastKeyframe"],
  },
  {
    name: "bounded-float64",
    note: '§4.7.1, §10: "dtype": "float64": the reconstruction is still binary32 (f32 of every coded value), escapes hold binary32 bits',
    input: () => {
      const f = field(3, 9, 11, 18, 0.3);
      const data = Float64Array.from(f, (v, i) => v + i * 1e-9);
      data[40] = 1e9;
      return { data, shape: [3, 9, 11], options: { errorBound: 1e-3 } };
    },
    catches: ["float64Reconstruction"],
  },
  {
    name: "bounded-grid-length",
    note: "§4.7.3: the axis length L is H (or W), not the padded grid's 15 rows: 12 x 20 with 3 levels",
    input: () => ({ data: field(2, 12, 20, 19, 0.3), shape: [2, 12, 20], options: { errorBound: 0.01 } }),
    catches: ["gridLength"],
  },
  {
    name: "bounded-attr",
    note: "§4.8: an ATTR chunk with coordinates and a selected dimension (values: its size values, index the kept one); decoding does not depend on it",
    input: () => ({
      data: field(2, 8, 8, 20, 0.1),
      shape: [2, 8, 8],
      options: { errorBound: 0.01, attributes: ATTRIBUTES },
    }),
    catches: [],
  },
  {
    name: "unknown-chunk-before-meta",
    note: "§7 rule 4: chunks of unknown types may come anywhere after MHDR, also before META, ATTR and NANM; readers skip them",
    input: () => {
      const data = field(2, 8, 8, 21, 0.1);
      data[10] = NaN;
      return { data, shape: [2, 8, 8], options: { errorBound: 0.01, attributes: ATTRIBUTES } };
    },
    catches: [],
    edit: (f) => {
      f.chunks.splice(1, 0, unknown("before META"));
      const nanm = f.chunks.findIndex((c) => c.type === "NANM");
      f.chunks.splice(nanm, 0, unknown("before NANM"));
      const bcod = f.chunks.findIndex((c) => c.type === "BCOD" && c.level === 1);
      f.chunks.splice(bcod, 0, { ...unknown("level 1"), level: 1 });
    },
  },
  {
    name: "bounded-learned",
    note: "§4.7.5 (1.3): learned prediction: every level above 0 starts with its predictor (interpolation byte, filter flags, int16 weights in units of 2^-14); filters apply at interior points in modes space and time+space, the level's interpolation elsewhere",
    input: () => {
      // A smooth field with a front, 6 snapshots, K = 4: modes space and time+space both occur.
      const T = 6, H = 40, W = 48, rand = mulberry32(23);
      const data = new Float32Array(T * H * W);
      for (let t = 0; t < T; t++) {
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            data[(t * H + y) * W + x] = 10 * Math.sin(0.21 * y + 0.13 * x + 0.5 * t) * Math.cos(0.17 * x - 0.3 * t) +
              (x > W / 2 + 3 * Math.sin(0.2 * y) ? 4 : 0) + 0.2 * rand();
          }
        }
      }
      return {
        data,
        shape: [T, H, W],
        options: { errorBound: 0.02, keyInterval: 4, predictor: "learned", reproducible: true },
      };
    },
    catches: ["filterSpaceOnly", "filterEverywhere"],
  },
];

const bcod = (f: EditableMrc, level: number, block: number) =>
  f.chunks.find((c) => c.type === "BCOD" && c.level === level && c.block === block)!;

const attr = (f: EditableMrc) => f.chunks.find((c) => c.type === "ATTR")!;

/** Edits the `ATTR` JSON of a split file, written back as plain JSON (flag bit 0 clear). */
function editAttributes(f: EditableMrc, change: (json: Record<string, unknown>) => void): void {
  const chunk = attr(f);
  const body = chunk.flags & FLAG_DEFLATED ? inflateJson(chunk.body, "ATTR") : chunk.body;
  const json = JSON.parse(new TextDecoder().decode(body));
  change(json);
  chunk.body = new TextEncoder().encode(JSON.stringify(json));
  chunk.flags &= ~FLAG_DEFLATED;
}

export const INVALID_BOUNDED: InvalidBoundedVector[] = [
  {
    name: "invalid-bounded-deflated-length",
    note: "§3.1: a deflated MHDR whose stated JSON length is one byte short of what its stream inflates to",
    from: "bounded-deflated",
    edit: (f) => {
      const body = f.chunks[0].body, view = new DataView(body.buffer, body.byteOffset);
      view.setUint32(0, view.getUint32(0, true) - 1, true);
    },
  },
  {
    name: "invalid-bounded-deflated-trailing",
    note: "§3.1: a byte after the zlib stream of a deflated MHDR (the stream inflates to its stated length)",
    from: "bounded-deflated",
    edit: (f) => void (f.chunks[0].body = Uint8Array.of(...f.chunks[0].body, 0)),
  },
  {
    name: "invalid-bounded-dictionary-id",
    note: "§3.1.1: a deflated MHDR whose zlib stream names another preset dictionary (its DICTID one more than D's)",
    from: "bounded-dictionary",
    edit: (f) => {
      const body = f.chunks[0].body, view = new DataView(body.buffer, body.byteOffset);
      view.setUint32(6, (view.getUint32(6, false) + 1) >>> 0, false);
    },
  },
  {
    name: "invalid-index-deflated-length",
    note: "§5 (1.6): a deflated INDX whose stated length is one entry short of what its stream inflates to (its CRC remade)",
    from: "bounded-dictionary",
    editBytes: (bytes) => {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const at = Number(view.getBigUint64(bytes.length - 28, true));
      const length = view.getUint32(bytes.length - 20, true);
      if ((view.getUint16(at + 10, true) & 1) === 0) throw new Error("the index is not deflated");
      view.setUint32(at + 16, view.getUint32(at + 16, true) - 24, true);
      view.setUint32(at + length - 4, crc32(bytes.subarray(at + 4, at + length - 4)), true);
    },
  },
  {
    name: "invalid-bounded-mask-trailing",
    note: "§4.3.1: a byte after a range-coded mask's stream (the decoder must end exactly at the chunk's end)",
    from: "bounded-mask-coded",
    edit: (f) => {
      const c = f.chunks.find((c) => c.type === "NANM")!;
      c.body = Uint8Array.of(...c.body, 0);
    },
  },
  {
    name: "invalid-bounded-mask-first-byte",
    note: "§4.3.1: the first byte of a range-coded mask's stream is not 0",
    from: "bounded-mask-coded",
    edit: (f) => void (f.chunks.find((c) => c.type === "NANM")!.body[1] = 1),
  },
  {
    name: "invalid-bounded-trailing-byte",
    note: "§4.7.4: a byte after the last symbol (the decoder must end exactly at the chunk's end)",
    from: "bounded-blocks",
    edit: (f) => {
      const c = bcod(f, 1, 2);
      c.body = Uint8Array.of(...c.body, 0);
    },
    acceptedBy: ["trailingBytesAllowed"],
  },
  {
    name: "invalid-bounded-cut-short",
    note: "§4.7.4: the last byte of a chunk's coded bytes missing (the decoder would read past the end)",
    from: "bounded-blocks",
    edit: (f) => {
      const c = bcod(f, 1, 0);
      c.body = c.body.slice(0, -1);
    },
  },
  {
    name: "invalid-bounded-first-byte",
    note: "§4.7.4: the first of the coded bytes is not 0",
    from: "bounded-blocks",
    edit: (f) => void (bcod(f, 0, 1).body[4] = 1),
  },
  {
    name: "invalid-bounded-learned-flags",
    note: "§4.7.5: a level predictor with a reserved filter flag bit set",
    from: "bounded-learned",
    edit: (f) => void (bcod(f, 1, 0).body[5] |= 0x08),
  },
  {
    name: "invalid-bounded-learned-cut-short",
    note: "§4.7.5: a level predictor whose weights end inside the chunk's coded bytes' room: flags claim all three filters, the body holds two",
    from: "bounded-learned",
    edit: (f) => {
      const c = bcod(f, 2, 0);
      c.body = c.body.slice(0, 6 + 2 * (12 + 16) + 2);
      c.body[5] = 7;
    },
  },
  {
    name: "invalid-attr-selected-values",
    note: "§4.8: a selected dimension whose values hold the kept coordinate alone, not its size values; every reader refuses it, also one that decodes without reading ATTR",
    from: "bounded-attr",
    edit: (f) =>
      editAttributes(f, (j) => {
        const [depth] = j.selected as { values: number[] }[];
        depth.values = [10];
      }),
  },
  {
    name: "invalid-attr-no-global",
    note: "§4.8: an ATTR body without its required global member",
    from: "bounded-attr",
    edit: (f) => editAttributes(f, (j) => delete j.global),
  },
];

/** The reference compressor's file for `v`, with `v.edit` applied. */
export async function buildBounded(v: BoundedVector): Promise<Uint8Array> {
  const { data, shape, options } = v.input();
  let bytes = await compress(data, shape, { ...options, reproducible: true });
  if (v.edit) {
    const f = splitMrc(bytes);
    v.edit(f);
    bytes = joinMrc(f);
  }
  return bytes;
}

/** The invalid vector `v` made from the bytes of its valid vector. */
export function buildInvalidBounded(v: InvalidBoundedVector, from: Uint8Array): Uint8Array {
  if (v.editBytes) {
    const bytes = from.slice();
    v.editBytes(bytes);
    return bytes;
  }
  const f = splitMrc(from);
  v.edit!(f);
  return joinMrc(f);
}
