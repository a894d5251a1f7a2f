// Design study for a format 1.4 entropy coder (issue 17), second part: how many bytes static
// tables keep when they are selected by the context coder's spatial contexts, against the context
// coder of 1.2/1.3 (adaptive binary models). Not product code:
// `deno run -A bench/context_study.ts` (data as in ../shared/DATA.md, unpacked in /tmp/devdata).
//
// Each field is coded once. Its final codes q (clamped as SPEC §4.7.1 keeps them; escapes count as
// 1) and the causal contexts a decoder has at each point (§4.7.4's nS, nP, nT: every neighbour they
// read is coded before the point, so the final q gives the same values) give, per level, the
// empirical entropy of the code given the context. That is what ideal static tables would spend,
// plus their own bytes, estimated at 3 bytes per symbol used per table. Row flags, mode bits and
// the activity context (which needs the prediction) are left out; the escapes' 32 bits are added.
import { BlockCoder } from "../src/bounded/block_coder.ts";
import { blockSchedule } from "../src/bounded/plan.ts";
import { benchBlock, studyFields } from "./_peers.ts";

const sets = studyFields("/tmp/devdata/root/usr/share");

/** Per context, counts of each code. */
class Counts {
  readonly tables = new Map<number, Map<number, number>>();
  add(ctx: number, v: number): void {
    let t = this.tables.get(ctx);
    if (t === undefined) this.tables.set(ctx, t = new Map());
    t.set(v, (t.get(v) ?? 0) + 1);
  }
  /** Bytes of ideal static coding alone (tables free). */
  entropyBytes(): number {
    let bits = 0;
    for (const t of this.tables.values()) {
      let n = 0;
      for (const c of t.values()) n += c;
      for (const c of t.values()) bits -= c * Math.log2(c / n);
    }
    return bits / 8;
  }
  /**
   * Bytes under a two-parameter model per context (4 bytes of table each): P(0), and for a non-zero
   * code an equiprobable sign and a geometric magnitude, P(|v| = a) = (1 - r) r^(a-1), with r
   * fitted by maximum likelihood.
   */
  geometricBytes(): number {
    let bits = 0;
    for (const t of this.tables.values()) {
      let n = 0, nz = 0, sum = 0;
      for (const [v, c] of t) {
        n += c;
        if (v !== 0) {
          nz += c;
          sum += c * Math.abs(v);
        }
      }
      const z = n - nz;
      if (z > 0) bits -= z * Math.log2(z / n);
      if (nz > 0) {
        bits -= nz * Math.log2(nz / n);
        bits += nz; // sign
        const mean = sum / nz, r = 1 - 1 / mean; // ML for a geometric on 1, 2, ...
        for (const [v, c] of t) {
          if (v === 0) continue;
          const a = Math.abs(v);
          bits -= c * (r > 0 ? Math.log2(1 - r) + (a - 1) * Math.log2(r) : 0);
        }
      }
      bits += 32;
    }
    return bits / 8;
  }
  /** Bytes of ideal static coding plus the tables (3 bytes per symbol used). */
  bytes(): number {
    let table = 0;
    for (const t of this.tables.values()) table += 3 * t.size;
    return this.entropyBytes() + table;
  }
}

const rel = Number(Deno.args[0] ?? 1e-3);
console.log(
  "| data | coder bytes | order-0 | (pass) | (pass, nP) | (pass, nS, nP) | (pass, nS, nP, nT) |",
);
console.log("|---|---|---|---|---|---|---|");
for (const [name, load] of sets) {
  const f = await load();
  const [n, H, W] = f.shape;
  const { params, missing } = benchBlock(f.data, f.shape, rel);
  const { levels, keyInterval: K } = params;
  const coder = new BlockCoder(params, missing);
  let coderBytes = 0;
  for (let k = 0; k < levels; k++) coderBytes += coder.encodeLevel(f.data).bytes.length;
  const q = coder.q, plane = H * W;
  const schedule = blockSchedule(n, K);
  // Variants, each one Counts per level (contexts are per level: tables would be too).
  const variants = [0, 1, 2, 3, 4].map(() => [] as Counts[]);
  for (let k = 0; k < levels; k++) {
    const cs = variants.map((v) => (v[k] = new Counts()));
    const s = 2 ** (levels - 1 - k), s2 = 2 * s, sw = s * W, s2w = s2 * W;
    const point = (o0: number, oref: number, y: number, x: number, pass: number) => {
      const g = o0 + y * W + x;
      if (missing !== null && missing[g]) return;
      const v = q[g];
      let nS = 0, nP = 0;
      const step = k === 0 ? s : s2, stepW = k === 0 ? sw : s2w;
      if (x - step >= 0 && q[g - step] !== 0) nS++;
      if (y - step >= 0 && q[g - stepW] !== 0) nS++;
      if (k > 0) {
        if (pass !== 2) {
          if (x - s >= 0 && q[g - s] !== 0) nP++;
          if (x + s < W && q[g + s] !== 0) nP++;
        }
        if (pass !== 1) {
          if (y - s >= 0 && q[g - sw] !== 0) nP++;
          if (y + s < H && q[g + sw] !== 0) nP++;
        }
      }
      const nT = oref >= 0 && q[oref + y * W + x] !== 0 ? 1 : 0;
      cs[0].add(0, v);
      cs[1].add(pass, v);
      cs[2].add(pass * 5 + nP, v);
      cs[3].add((pass * 3 + nS) * 5 + nP, v);
      cs[4].add(((pass * 3 + nS) * 5 + nP) * 2 + nT, v);
    };
    for (const snap of schedule) {
      const o0 = snap.t * plane, oref = snap.ref >= 0 ? snap.ref * plane : -1;
      if (k === 0) {
        for (let y = s - 1; y < H; y += s) {
          for (let x = s - 1; x < W; x += s) point(o0, oref, y, x, 0);
        }
        continue;
      }
      for (let pass = 1; pass <= 3; pass++) {
        const y0 = pass === 1 ? s2 - 1 : s - 1, x0 = pass === 2 ? s2 - 1 : s - 1;
        for (let y = y0; y < H; y += s2) {
          for (let x = x0; x < W; x += s2) point(o0, oref, y, x, pass);
        }
      }
    }
  }
  const total = (v: Counts[]) => v.reduce((a, c) => a + c.bytes(), 0);
  const cell = (v: Counts[]) => {
    const r = (b: number) => (b / coderBytes).toFixed(2);
    const e = v.reduce((a, c) => a + c.entropyBytes(), 0);
    const gm = v.reduce((a, c) => a + c.geometricBytes(), 0);
    return `${r(total(v))} / ${r(e)} / ${r(gm)}`;
  };
  console.log(`| ${name} | ${coderBytes} | ${variants.map(cell).join(" | ")} |`);
}
