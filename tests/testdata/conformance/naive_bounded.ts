// A naive decoder of bounded coding (SPEC.md §4.7), written from the SPEC's text alone and
// sharing no code with src/bounded/: plain arrays, one function per rule, binary64 arithmetic with
// `Math.fround` where the SPEC writes f32(v). The conformance generator computes the expected
// levels of the bounded vectors with it, and the conformance test checks the reference readers
// against them bit for bit.
//
// `Readings` switch on the other ways a stranger could read the SPEC's sentences (the points an
// independent decoder got wrong or found ambiguous). Every vector names the readings it must
// expose, and the test checks that each one makes the vector fail: wrong values or an error.

import { unzlibSync } from "npm:fflate@0.8.2";
import { type EditableMrc, splitMrc } from "../../fuzz/_mrc_edit.ts";

/** Other readings of SPEC §4.7, each wrong. */
export interface Readings {
  /** §4.7.4 step 1: `lastMode[fc] = mode` only when a mode bit was coded. */
  lastModeOnlyWhenCoded?: boolean;
  /** §4.7.4 step 3: `par` counts distinct neighbours, not the sum of each point's. */
  parDistinct?: boolean;
  /** §4.7.4 step 3: a row whose points are all missing has no row flag. */
  noFlagForMissingRows?: boolean;
  /** §4.7.4 step 4: `mean` leaves missing neighbours out. */
  meanSkipsMissing?: boolean;
  /** §4.7.3: the axis length `L` is the padded grid's, not H or W. */
  gridLength?: boolean;
  /** §4.7.3: the cubic weights whatever `interpolation` says. */
  alwaysCubic?: boolean;
  /** §4.7.4: an escape's 32 bits least significant first. */
  escapeLowBitFirst?: boolean;
  /** §4.7.2: keyframes other than 0 allow space and time on every level. */
  keyframeTimeOnEveryLevel?: boolean;
  /** §4.7.1: the keyframes are 0, K, 2K, ... only (not `n - 1`). */
  noLastKeyframe?: boolean;
  /** §4.7.1: float64 data keeps a binary64 reconstruction (no f32 rounding). */
  float64Reconstruction?: boolean;
  /** §4.7.4: bytes after the last symbol are allowed (the 1.2 text before this rule). */
  trailingBytesAllowed?: boolean;
  /** §4.7.4 step 4: `alt = 2` when `d` is NaN (an escaped NaN nearby), "else" read literally. */
  nanAltTwo?: boolean;
  /** §3.1: an MHDR body read as JSON whatever its flags (deflated bodies not inflated). */
  deflateIgnored?: boolean;
  /** §3.1.1: a zlib stream with FDICT inflated with no preset dictionary. */
  dictionaryIgnored?: boolean;
  /** §4.7.5: a learned filter applies in mode space only (not time+space). */
  filterSpaceOnly?: boolean;
  /** §4.7.5: a learned filter applies at every point of its pass, its taps clamped to the plane. */
  filterEverywhere?: boolean;
  /** §4.3.1: every row flag with the one context `P[1024]` (the row before not read). */
  maskRowFlagOneContext?: boolean;
  /** §4.3.1: pixel contexts of the plane itself only (the plane before left out). */
  maskNoPlaneBefore?: boolean;
}

/** What the naive decoder returns per level: as a conformance vector's `levels`. */
export interface NaiveLevel {
  level: number;
  shape: number[];
  rows: number[];
  cols: number[];
  data: (number | null)[];
}

interface Header {
  shape: [number, number, number];
  dtype: string;
  blockSize: number;
  levels: unknown[];
  missing: { mode: string; fillValue: number | null; count: number };
  coding?: string;
  bound: { abs: number; keyInterval: number; interpolation: string };
}

// ---- §4.7.4: the range decoder. ----

class RangeDecoder {
  code = 0;
  range = 0xFFFFFFFF;
  pos = 0;
  constructor(readonly bytes: Uint8Array) {
    if (bytes.length < 5) throw new Error("fewer than 5 coded bytes");
    if (bytes[0] !== 0) throw new Error("the first coded byte is not 0");
    for (let i = 0; i < 5; i++) this.code = (this.code * 256 + this.next()) % 2 ** 32;
  }
  next(): number {
    if (this.pos >= this.bytes.length) throw new Error("read past the end of the coded bytes");
    return this.bytes[this.pos++];
  }
  normalize(): void {
    while (this.range < 2 ** 24) {
      this.range = (this.range * 256) % 2 ** 32;
      this.code = (this.code * 256 + this.next()) % 2 ** 32;
    }
  }
  /** A modelled bit; `counts` is `[n0, n1]` of the context. */
  bit(counts: number[]): number {
    const [n0, n1] = counts;
    let p = Math.floor(65536 * (n0 + 0.4) / (n0 + n1 + 0.8) + 0.5);
    p = Math.min(65535, Math.max(1, p));
    const bound = Math.floor(this.range / 65536) * p;
    let bit: number;
    if (this.code < bound) {
      bit = 0;
      this.range = bound;
    } else {
      bit = 1;
      this.code -= bound;
      this.range -= bound;
    }
    counts[bit]++;
    if (counts[0] + counts[1] >= 16384) {
      counts[0] = Math.floor((counts[0] + 1) / 2);
      counts[1] = Math.floor((counts[1] + 1) / 2);
    }
    this.normalize();
    return bit;
  }
  direct(): number {
    this.range = Math.floor(this.range / 2);
    let bit = 0;
    if (this.code >= this.range) {
      bit = 1;
      this.code -= this.range;
    }
    this.normalize();
    return bit;
  }
}

const SIZES = { Z: 2880, G: 18, U: 96, M: 576, O: 16, F: 18, R: 162 };
type Models = Record<keyof typeof SIZES, number[][]>;

function freshModels(): Models {
  const out = {} as Models;
  for (const [name, n] of Object.entries(SIZES)) {
    out[name as keyof typeof SIZES] = Array.from({ length: n }, () => [0, 0]);
  }
  return out;
}

// ---- §4.7.1: snapshot order, nodes, weights, reference, class, time level. ----

interface Snapshot {
  t: number;
  key: boolean;
  nodes: number[];
  weights: number[];
  ref: number | null;
  fc: number;
  lt: number;
}

function snapshotOrder(n: number, K: number, r: Readings): Snapshot[] {
  const out: Snapshot[] = [];
  const coded = new Set<number>();
  const keys: number[] = [];
  for (let t = 0; t < n; t += K) keys.push(t);
  if (!r.noLastKeyframe && !keys.includes(n - 1)) keys.push(n - 1);
  const log2 = Math.log2;
  keys.forEach((t, i) => {
    const nodes = i === 0 ? [] : [keys[i - 1]];
    out.push({
      t,
      key: true,
      nodes,
      weights: nodes.map(() => 1),
      ref: i === 0 ? null : keys[i - 1],
      fc: 0,
      lt: log2(K) + 1,
    });
    coded.add(t);
  });
  let HK = 0;
  for (let p = 1; p < K; p *= 2) HK = p;
  for (let h = HK; h >= 1; h /= 2) {
    for (let t = h; t < n; t += 2 * h) {
      if (coded.has(t)) continue;
      let nodes: number[];
      if (coded.has(t - h) && coded.has(t + h)) {
        nodes = [];
        if (t - 3 * h >= 0 && coded.has(t - 3 * h)) nodes.push(t - 3 * h);
        nodes.push(t - h, t + h);
        if (t + 3 * h < n && coded.has(t + 3 * h)) nodes.push(t + 3 * h);
      } else {
        const below = [...coded].filter((u) => u < t), above = [...coded].filter((u) => u > t);
        if (below.length === 0 || above.length === 0) throw new Error(`snapshot ${t} has no nodes`);
        nodes = [Math.max(...below), Math.min(...above)];
      }
      const weights = nodes.map((ni, i) => {
        let w = 1;
        nodes.forEach((nj, j) => {
          if (j !== i) w *= (t - nj) / (ni - nj);
        });
        return w;
      });
      const ref = Math.max(...[...coded].filter((u) => u < t));
      out.push({ t, key: false, nodes, weights, ref, fc: 1, lt: log2(h) + 1 });
      coded.add(t);
    }
  }
  return out;
}

const D = [1, 1.5, 2.25, 3.375, 4];

// ---- §4.7.3: interpolation weights on offsets -3s, -s, +s, +3s. ----

function axisWeights(i: number, s: number, L: number, cubic: boolean): number[] {
  const m1 = i - s >= 0, p1 = i + s < L, m3 = i - 3 * s >= 0, p3 = i + 3 * s < L;
  if (m1 && p1) {
    if (!cubic) return [0, 1 / 2, 1 / 2, 0];
    if (m3 && p3) return [-1 / 16, 9 / 16, 9 / 16, -1 / 16];
    if (p3) return [0, 3 / 8, 3 / 4, -1 / 8];
    if (m3) return [-1 / 8, 3 / 4, 3 / 8, 0];
    return [0, 1 / 2, 1 / 2, 0];
  }
  if (p1) return p3 ? [0, 0, 3 / 2, -1 / 2] : [0, 0, 1, 0];
  if (m1) return m3 ? [-1 / 2, 3 / 2, 0, 0] : [0, 1, 0, 0];
  throw new Error(`coordinate ${i} has no neighbour at spacing ${s}`);
}

/** RFC 1950's Adler-32. */
function adler(bytes: Uint8Array): number {
  let a = 1, b = 0;
  for (const v of bytes) {
    a = (a + v) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * §3.1.1: the preset dictionary `D`, read out of SPEC.md itself: the lines of the first `text`
 * block after the section's heading, joined with nothing between them.
 */
const DICTIONARY = (() => {
  const spec = Deno.readTextFileSync(new URL("../../../format/SPEC.md", import.meta.url));
  const from = spec.indexOf("```text\n", spec.indexOf("### 3.1.1")) + "```text\n".length;
  return new TextEncoder().encode(spec.slice(from, spec.indexOf("\n```", from)).split("\n").join(""));
})();

/**
 * §3.1: the JSON text of a chunk, its body itself, or with flag bit 0 a u32 length `L` and a zlib
 * stream that inflates to exactly `L` bytes (at most 16 MiB) with nothing after it; §3.1.1: with
 * FDICT set, inflated with `D` as its history, its DICTID `D`'s Adler-32.
 */
function jsonText(chunk: EditableMrc["chunks"][number], r: Readings): string {
  let body = chunk.body;
  if (chunk.flags & 1 && !r.deflateIgnored) {
    if (body.length < 4) throw new Error(`${chunk.type}: deflated body of ${body.length} bytes`);
    const L = new DataView(body.buffer, body.byteOffset).getUint32(0, true);
    if (L > 16 * 2 ** 20) throw new Error(`${chunk.type}: deflated JSON of ${L} bytes`);
    const out = new Uint8Array(L + 1);
    const stream = body.subarray(4);
    const fdict = stream.length >= 6 && (stream[1] & 0x20) !== 0;
    if (fdict) {
      const id = new DataView(stream.buffer, stream.byteOffset).getUint32(2, false);
      if (id !== adler(DICTIONARY)) throw new Error(`${chunk.type}: unknown dictionary ${id}`);
    }
    const inflated = unzlibSync(
      stream,
      fdict && !r.dictionaryIgnored ? { out, dictionary: DICTIONARY } : { out },
    );
    if (inflated.length !== L) throw new Error(`${chunk.type}: inflates to ${inflated.length}, not ${L}`);
    // The stream's own end: its Adler-32 must be the body's last 4 bytes (nothing after it).
    const tail = new DataView(body.buffer, body.byteOffset + body.length - 4).getUint32(0, false);
    if (tail !== adler(inflated)) throw new Error(`${chunk.type}: bytes after the zlib stream`);
    body = inflated;
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(body);
}

/** Decodes every level of every snapshot of a bounded file. */
export function decodeBoundedNaive(bytes: Uint8Array, r: Readings = {}): NaiveLevel[] {
  const file = splitMrc(bytes);
  const mhdr = file.chunks[0];
  if (mhdr?.type !== "MHDR") throw new Error("the first chunk is not MHDR");
  const header = JSON.parse(jsonText(mhdr, r)) as Header & { grid: [number, number] };
  if (header.coding !== "bounded") throw new Error("not a bounded file");
  const [T, H, W] = header.shape;
  const N = header.levels.length;
  const { abs: eb, keyInterval: K, interpolation } = header.bound;
  const cubic = r.alwaysCubic || interpolation === "cubic";
  const [LH, LW] = r.gridLength ? header.grid : [H, W];
  const missing = readMissing(file, header, r);
  const f32 = r.float64Reconstruction && header.dtype === "float64" ? (v: number) => v : Math.fround;
  const B = Math.ceil(T / header.blockSize);
  // rec[t][y][x] and q[t][y][x] of the whole file, block by block.
  const rec = Array.from({ length: T }, () => Array.from({ length: H }, () => new Array(W).fill(0)));
  const q = Array.from({ length: T }, () => Array.from({ length: H }, () => new Array(W).fill(0)));
  for (let b = 0; b < B; b++) {
    const t0 = b * header.blockSize, n = Math.min(T, (b + 1) * header.blockSize) - t0;
    const R = rec.slice(t0, t0 + n), Q = q.slice(t0, t0 + n);
    const miss = (t: number, y: number, x: number) => missing(t0 + t, y, x);
    for (let k = 0; k < N; k++) {
      const chunk = file.chunks.find((c) => c.type === "BCOD" && c.level === k && c.block === b);
      if (!chunk) throw new Error(`no BCOD chunk for level ${k} block ${b}`);
      const body = chunk.body;
      const count = new DataView(body.buffer, body.byteOffset).getUint32(0, true);
      if (count !== n) throw new Error(`BCOD level ${k} block ${b}: n = ${count}, expected ${n}`);
      // §4.7.5 (1.3): a learned file's level k > 0 starts with its predictor.
      let start = 4, levelCubic = cubic, filters: (number[] | null)[] = [null, null, null];
      if (interpolation === "learned" && k > 0) {
        ({ start, levelCubic, filters } = readPredictor(body, k, b));
      }
      if (body[start] !== 0) throw new Error(`BCOD level ${k} block ${b}: first coded byte ${body[start]}`);
      const dec = new RangeDecoder(body.subarray(start));
      decodeLevel(dec, k, n, R, Q, miss, levelCubic, filters);
      if (!r.trailingBytesAllowed && dec.pos !== dec.bytes.length) {
        throw new Error(`BCOD level ${k} block ${b}: ${dec.bytes.length - dec.pos} bytes unread`);
      }
    }
  }

  function decodeLevel(
    dec: RangeDecoder,
    k: number,
    n: number,
    rec: number[][][],
    q: number[][][],
    missing: (t: number, y: number, x: number) => boolean,
    cubic: boolean,
    filters: (number[] | null)[],
  ): void {
    const m = freshModels();
    const lastMode = [3, 3], lastFlag = [2, 2];
    const s = 2 ** (N - 1 - k);
    for (const f of snapshotOrder(n, K, r)) {
      const { t, fc } = f;
      // §4.7.2: the allowed modes (space 0, time 1, time+space 2).
      let allowed: number[];
      if (f.key && f.t === 0) allowed = [0];
      else if (f.key) allowed = k === 0 || r.keyframeTimeOnEveryLevel ? [0, 1] : [0];
      else allowed = [0, 1, 2];
      let mode = 0;
      if (allowed.length > 1) {
        let idx = 0;
        for (let j = 0; j < allowed.length - 1; j++) {
          if (!dec.bit(m.O[(fc * 4 + lastMode[fc]) * 2 + j])) break;
          idx++;
        }
        mode = allowed[idx];
        if (r.lastModeOnlyWhenCoded) lastMode[fc] = mode;
      }
      if (!r.lastModeOnlyWhenCoded) lastMode[fc] = mode;
      const allZero = dec.bit(m.F[(fc * 3 + mode) * 3 + lastFlag[fc]]);
      lastFlag[fc] = allZero;
      // §4.7.2: the time base at every point of levels 0..k.
      const bs = Array.from({ length: H }, () => new Array(W).fill(0));
      if (mode !== 0) {
        for (let y = s - 1; y < H; y += s) {
          for (let x = s - 1; x < W; x += s) {
            let v = 0;
            f.nodes.forEach((ni, i) => (v += f.weights[i] * rec[ni][y][x]));
            bs[y][x] = v;
          }
        }
      }
      const eb_l = eb / D[Math.min(Math.min(N - k, f.lt), 5) - 1];
      const step = 2 * eb_l;
      const R = rec[t], Q = q[t];
      const ref = f.ref === null ? null : q[f.ref];
      const rr = (y: number, x: number) => R[y][x] - bs[y][x];
      const sign = (v: number) => (v > 0 ? 1 : v < 0 ? 2 : 0);
      /** Codes (or zeroes) one point given its prediction and contexts. */
      const point = (y: number, x: number, pred: number, code: () => number | "escape") => {
        if (missing(t, y, x)) {
          R[y][x] = f32(pred);
          Q[y][x] = 0;
          return;
        }
        const c = code();
        if (c === "escape") {
          let bits = 0;
          if (r.escapeLowBitFirst) for (let i = 0; i < 32; i++) bits += dec.direct() * 2 ** i;
          else for (let i = 0; i < 32; i++) bits = bits * 2 + dec.direct();
          const view = new DataView(new ArrayBuffer(4));
          view.setUint32(0, bits);
          R[y][x] = view.getFloat32(0);
          Q[y][x] = 1;
          return;
        }
        R[y][x] = f32(pred + step * c);
        Q[y][x] = Math.min(32767, Math.max(-32767, c));
      };
      /** §4.7.4 step 4: zero flag, sign, magnitude, escape. */
      const symbol = (
        pass: number,
        nS: number,
        nP: number,
        nT: number,
        act: number,
        sc: number,
        alt: number,
      ): number | "escape" => {
        const z = (((((pass * 2 + fc) * 3 + mode) * 3 + nS) * 5 + nP) * 2 + nT) * 4 + act;
        if (!dec.bit(m.Z[z])) return 0;
        const negative = dec.bit(m.G[(fc * 3 + sc) * 3 + alt]);
        const u = (fc * 2 + (nP > 1 ? 1 : 0)) * 24;
        let nb = 0;
        while (nb < 20 && dec.bit(m.U[u + nb])) nb++;
        let mag = 1;
        for (let j = nb - 1; j >= 0; j--) {
          let bit: number;
          if (j >= nb - 2) {
            const e = j === nb - 2 ? mag % 2 : 0;
            bit = dec.bit(m.M[nb * 24 + (nb - 1 - j) * 2 + e]);
          } else bit = dec.direct();
          mag = 2 * mag + bit;
        }
        if (mag === 2 ** 20) return "escape";
        return negative ? -mag : mag;
      };
      if (k === 0) {
        const S = s;
        for (let y = S - 1; y < H; y += S) {
          for (let x = S - 1; x < W; x += S) {
            let pred: number;
            if (mode === 1) pred = bs[y][x];
            else if (x >= S && y >= S) pred = bs[y][x] + ((rr(y, x - S) + rr(y - S, x)) - rr(y - S, x - S));
            else if (x >= S) pred = bs[y][x] + rr(y, x - S);
            else if (y >= S) pred = bs[y][x] + rr(y - S, x);
            else pred = bs[y][x];
            point(y, x, pred, () => {
              if (allZero) return 0;
              const nS = (x >= S && Q[y][x - S] !== 0 ? 1 : 0) + (y >= S && Q[y - S][x] !== 0 ? 1 : 0);
              const sc = x >= S ? sign(Q[y][x - S]) : 0;
              const nT = ref !== null && ref[y][x] !== 0 ? 1 : 0;
              return symbol(0, nS, 0, nT, 0, sc, 0);
            });
          }
        }
        continue;
      }
      const sum = (w: number[], at: (o: number) => number) => {
        let a = 0;
        [-3, -1, 1, 3].forEach((o, i) => {
          if (w[i] !== 0) a += w[i] * at(o);
        });
        return a;
      };
      for (let pass = 1; pass <= 3; pass++) {
        const horizontal = pass !== 2, vertical = pass !== 1;
        const ys: number[] = [], xs: number[] = [];
        for (let y = pass === 1 ? 2 * s - 1 : s - 1; y < H; y += 2 * s) ys.push(y);
        for (let x = pass === 2 ? 2 * s - 1 : s - 1; x < W; x += 2 * s) xs.push(x);
        let prev = 0;
        for (const y of ys) {
          /** The neighbours of (y, x) that exist, in the order left, right, up, down. */
          const neighbours = (x: number): [number, number][] => {
            const out: [number, number][] = [];
            if (horizontal) {
              if (x - s >= 0) out.push([y, x - s]);
              if (x + s < W) out.push([y, x + s]);
            }
            if (vertical) {
              if (y - s >= 0) out.push([y - s, x]);
              if (y + s < H) out.push([y + s, x]);
            }
            return out;
          };
          const pred = (x: number): number => {
            if (mode === 1) return bs[y][x];
            // §4.7.5: an interior point of a pass with a filter.
            const w = filters[pass - 1];
            const [a, bb] = pass === 1 ? [2, 3] : pass === 2 ? [3, 2] : [3, 3];
            const interior = y - a * s >= 0 && y + a * s < H && x - bb * s >= 0 && x + bb * s < W;
            if (w !== null && (interior || r.filterEverywhere) && !(r.filterSpaceOnly && mode === 2)) {
              let acc = 0;
              const clampY = (v: number) => Math.min(Math.max(v, s - 1), Math.floor((H - s) / s) * s + s - 1);
              const clampX = (v: number) => Math.min(Math.max(v, s - 1), Math.floor((W - s) / s) * s + s - 1);
              TAPS[pass - 1].forEach(([dy, dx], i) => (acc += w[i] * rr(clampY(y + dy * s), clampX(x + dx * s))));
              return bs[y][x] + acc;
            }
            const ax = () => sum(axisWeights(x, s, LW, cubic), (o) => rr(y, x + o * s));
            const ay = () => sum(axisWeights(y, s, LH, cubic), (o) => rr(y + o * s, x));
            if (pass === 1) return bs[y][x] + ax();
            if (pass === 2) return bs[y][x] + ay();
            return bs[y][x] + 0.5 * (ax() + ay());
          };
          const preds = xs.map(pred);
          let rowZero = allZero;
          if (!allZero) {
            const allMissing = xs.every((x) => missing(t, y, x));
            if (r.noFlagForMissingRows && allMissing) rowZero = 1;
            else {
              let par = 0;
              if (r.parDistinct) {
                const seen = new Set<string>();
                for (const x of xs) for (const [a, c] of neighbours(x)) seen.add(`${a},${c}`);
                for (const key of seen) {
                  const [a, c] = key.split(",").map(Number);
                  if (Q[a][c] !== 0) par++;
                }
              } else {
                for (const x of xs) {
                  for (const [a, c] of neighbours(x)) {
                    if (Q[a][c] !== 0) par++;
                  }
                }
              }
              const ctx = ((((pass - 1) * 2 + fc) * 3 + mode) * 3 + prev) * 3 + Math.min(par, 2);
              rowZero = dec.bit(m.R[ctx]);
              prev = rowZero ? 1 : 2;
            }
          }
          xs.forEach((x, i) => {
            point(y, x, preds[i], () => {
              if (rowZero) return 0;
              const nS = (x - 2 * s >= 0 && Q[y][x - 2 * s] !== 0 ? 1 : 0) +
                (y - 2 * s >= 0 && Q[y - 2 * s][x] !== 0 ? 1 : 0);
              const nb = neighbours(x);
              const nP = nb.filter(([a, c]) => Q[a][c] !== 0).length;
              let sc = 0;
              if (horizontal && x - s >= 0 && Q[y][x - s] !== 0) sc = sign(Q[y][x - s]);
              else if (vertical && y - s >= 0) sc = sign(Q[y - s][x]);
              const used = r.meanSkipsMissing ? nb.filter(([a, c]) => !missing(t, a, c)) : nb;
              let total = 0;
              for (const [a, c] of used) total += R[a][c];
              const mean = total / used.length;
              const d = Math.abs(mean - preds[i]) / eb_l;
              const act = d < 0.125 ? 0 : d < 0.5 ? 1 : d < 1.5 ? 2 : 3;
              const alt = d < 0.125 || (Number.isNaN(d) && !r.nanAltTwo) ? 0 : mean > preds[i] ? 1 : 2;
              const nT = ref !== null && ref[y][x] !== 0 ? 1 : 0;
              return symbol(pass, nS, nP, nT, act, sc, alt);
            });
          });
        }
      }
    }
  }

  // §4.1.1 with crop [0, 0] and §4.7: level k returns rec at rows s(i+1)-1, columns s(j+1)-1.
  const out: NaiveLevel[] = [];
  const fill = header.missing.mode === "fill" ? header.missing.fillValue : null;
  for (let k = 0; k < N; k++) {
    const s = 2 ** (N - 1 - k);
    const rows = Array.from({ length: Math.floor(H / s) }, (_, i) => s * (i + 1) - 1);
    const cols = Array.from({ length: Math.floor(W / s) }, (_, j) => s * (j + 1) - 1);
    const data: (number | null)[] = [];
    for (let t = 0; t < T; t++) {
      for (const y of rows) {
        for (const x of cols) {
          data.push(missing(t, y, x) ? fill : rec[t][y][x]);
        }
      }
    }
    out.push({ level: k, shape: [T, rows.length, cols.length], rows, cols, data });
  }
  return out;
}

/** §4.3: the missing mask as a function of `(t, row, col)`. */
function readMissing(
  file: ReturnType<typeof splitMrc>,
  header: Header,
  r: Readings,
): (t: number, y: number, x: number) => boolean {
  const chunk = file.chunks.find((c) => c.type === "NANM");
  if (header.missing.mode === "none" || !chunk) return () => false;
  const [T, H, W] = header.shape;
  const layout = chunk.body[0];
  if (layout === 2 || layout === 3) {
    const m = readCodedMask(chunk.body.subarray(1), layout === 2 ? 1 : T, H, W, r);
    return (t, y, x) => m[layout === 2 ? 0 : t][y][x] === 1;
  }
  if (layout > 3) throw new Error(`NANM: layout ${layout}`);
  const bits = unzlibSync(chunk.body.subarray(1));
  const n = layout === 0 ? H * W : T * H * W;
  if (bits.length !== Math.ceil(n / 8)) throw new Error("NANM: wrong mask size");
  return (t, y, x) => {
    const i = (layout === 0 ? 0 : t * H * W) + y * W + x;
    return ((bits[Math.floor(i / 8)] >> (i % 8)) & 1) === 1;
  };
}

/** §4.3.1: the `m` planes of a range-coded mask, `b[t][y][x]`. */
function readCodedMask(stream: Uint8Array, m: number, H: number, W: number, r: Readings): number[][][] {
  const d = new RangeDecoder(stream);
  const P = Array.from({ length: 1026 }, () => [0, 0]);
  const b: number[][][] = [];
  const at = (t: number, y: number, x: number) =>
    y < 0 || y >= H || x < 0 || x >= W ? 0 : b[t][y][x];
  for (let t = 0; t < m; t++) {
    b.push(Array.from({ length: H }, () => new Array(W).fill(0)));
    let flag = 0;
    for (let y = 0; y < H; y++) {
      if (t >= 1) {
        flag = d.bit(P[1024 + (r.maskRowFlagOneContext ? 0 : flag)]);
        if (flag === 1) {
          b[t][y] = [...b[t - 1][y]];
          continue;
        }
      }
      for (let x = 0; x < W; x++) {
        let i = at(t, y, x - 1) + 2 * at(t, y - 1, x) + 4 * at(t, y - 1, x - 1) +
          8 * at(t, y - 1, x + 1) + 16 * at(t, y, x - 2) + 32 * at(t, y - 2, x);
        if (t > 0 && !r.maskNoPlaneBefore) {
          i += 64 * (1 + at(t - 1, y, x)) + 256 * at(t - 1, y, x + 1) + 512 * at(t - 1, y + 1, x);
        }
        b[t][y][x] = d.bit(P[i]);
      }
    }
  }
  if (d.pos !== stream.length) throw new Error("NANM: bytes left after the coded mask");
  return b;
}

/** §4.7.5: the taps of passes 1, 2, 3 as (dy, dx) in units of s, in sum order. */
const TAPS: [number, number][][] = [
  [[-2, -3], [-2, -1], [-2, 1], [-2, 3], [0, -3], [0, -1], [0, 1], [0, 3], [2, -3], [2, -1], [2, 1], [2, 3]],
  [
    [-3, -2], [-3, 0], [-3, 2], [-1, -2], [-1, 0], [-1, 2], [1, -2], [1, 0], [1, 2], [3, -2], [3, 0], [3, 2],
    [-1, -1], [-1, 1], [1, -1], [1, 1],
  ],
  [[0, -3], [0, -1], [0, 1], [0, 3], [-3, 0], [-1, 0], [1, 0], [3, 0], [-1, -1], [-1, 1], [1, -1], [1, 1]],
];

/** §4.7.5: the level predictor at the start of a BCOD body's coded bytes (after n). */
function readPredictor(
  body: Uint8Array,
  k: number,
  b: number,
): { start: number; levelCubic: boolean; filters: (number[] | null)[] } {
  const where = `BCOD level ${k} block ${b}`;
  if (body.length < 6) throw new Error(`${where}: no predictor`);
  if (body[4] > 1) throw new Error(`${where}: interpolation ${body[4]}`);
  if (body[5] > 7) throw new Error(`${where}: flags ${body[5]}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let o = 6;
  const filters = [0, 1, 2].map((p) => {
    if (!(body[5] & (1 << p))) return null;
    const w: number[] = [];
    for (let i = 0; i < TAPS[p].length; i++, o += 2) {
      if (o + 2 > body.length) throw new Error(`${where}: filter ${p + 1} cut short`);
      w.push(view.getInt16(o, true) / 16384);
    }
    return w;
  });
  return { start: o, levelCubic: body[4] === 1, filters };
}
