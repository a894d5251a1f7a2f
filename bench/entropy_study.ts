// Design study for a format 1.4 entropy coder (issue 17): what a static order-0 rANS per level
// would cost in bytes against the context coder of 1.2/1.3, and how fast it codes in JS. Not product
// code: `deno run -A bench/entropy_study.ts` (data as in ../shared/DATA.md, unpacked in /tmp/devdata).
import { BlockCoder, type CodeLog } from "../src/bounded/block_coder.ts";
import { benchBlock, studyFields } from "./_peers.ts";

const sets = studyFields("/tmp/devdata/root/usr/share");
const PB = 12, PT = 1 << PB, L = 1 << 23;
// Symbol of a code: 0 for 0, then zigzag up to 254, 255 = escape (magnitude bits follow, raw).
const LIM = 127;
function sym(v: number) {
  if (v === 0) return 0;
  const a = Math.abs(v);
  if (a > LIM) return 255;
  return v > 0 ? 2 * a - 1 : 2 * a;
}
function buildTable(codes: Int32Array) {
  const cnt = new Float64Array(256);
  for (const v of codes) cnt[sym(v)]++;
  const freq = new Uint32Array(256);
  let tot = 0;
  const n = codes.length;
  for (let s = 0; s < 256; s++) {
    if (cnt[s] > 0) {
      freq[s] = Math.max(1, Math.round(cnt[s] / n * PT));
      tot += freq[s];
    }
  }
  // fix total to PT on the largest
  let big = 0;
  for (let s = 0; s < 256; s++) if (freq[s] > freq[big]) big = s;
  freq[big] += PT - tot;
  const cum = new Uint32Array(257);
  for (let s = 0; s < 256; s++) cum[s + 1] = cum[s] + freq[s];
  const slot = new Uint8Array(PT);
  for (let s = 0; s < 256; s++) slot.fill(s, cum[s], cum[s + 1]);
  let used = 0;
  for (let s = 0; s < 256; s++) if (freq[s]) used++;
  return { freq, cum, slot, tableBytes: 1 + used * 3 };
}
/** Class of the previous code in coding order (a context any decoder has): 0, 1, 2 or more. */
function cls(prev: number): number {
  const a = prev < 0 ? -prev : prev;
  return a > 2 ? 2 : a;
}
function buildTables(codes: Int32Array) {
  const parts: number[][] = [[], [], []];
  for (let i = 0; i < codes.length; i++) parts[cls(i > 0 ? codes[i - 1] : 0)].push(codes[i]);
  return parts.map((p) => buildTable(Int32Array.from(p.length ? p : [0])));
}
/** rANS-codes `codes` backwards, each with the table of its previous code's class. */
function encode1(codes: Int32Array, ts: ReturnType<typeof buildTable>[]): Uint8Array {
  const out = new Uint8Array(codes.length * 4 + 16);
  let p = out.length;
  let x = L;
  for (let i = codes.length - 1; i >= 0; i--) {
    const t = ts[cls(i > 0 ? codes[i - 1] : 0)];
    const v = codes[i], s = sym(v);
    const f = t.freq[s];
    const xmax = ((L >>> PB) << 8) * f;
    while (x >= xmax) {
      out[--p] = x & 255;
      x >>>= 8;
    }
    x = Math.floor(x / f) * PT + (x % f) + t.cum[s];
  }
  for (let k = 0; k < 4; k++) {
    out[--p] = x & 255;
    x >>>= 8;
  }
  return out.subarray(p);
}
function decode1(
  buf: Uint8Array,
  n: number,
  ts: ReturnType<typeof buildTable>[],
  outCodes: Int32Array,
) {
  let p = 0;
  let x = 0;
  for (let k = 0; k < 4; k++) x = x * 256 + buf[p++];
  const M = PT - 1;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const { slot, freq, cum } = ts[cls(prev)];
    const r = x & M, s = slot[r];
    x = freq[s] * (x >>> PB) + r - cum[s];
    while (x < L) x = ((x << 8) | buf[p++]) >>> 0;
    prev = outCodes[i] = s === 0 ? 0 : (s & 1 ? (s + 1) >> 1 : -(s >> 1));
  }
}
console.log(
  "| data | values | coder bytes | order-0 rANS bytes | / coder | order-1 (3 tables) bytes | / coder | coder enc MB/s | coder dec MB/s | rANS-0 enc MB/s | rANS-0 dec MB/s | rANS-1 dec MB/s |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const [name, load] of sets) {
  const f = await load();
  const { params, missing } = benchBlock(f.data, f.shape, 1e-3);
  const c = new BlockCoder(params, missing);
  const perLevel: Int32Array[] = [];
  let coderBytes = 0;
  let t0 = performance.now();
  const streams: Uint8Array[] = [];
  for (let k = 0; k < params.levels; k++) {
    const log: CodeLog = { codes: [], side: [] };
    c.log = log;
    const b = c.encodeLevel(f.data).bytes;
    streams.push(b);
    coderBytes += b.length;
    perLevel.push(Int32Array.from(log.codes));
  }
  // timing of the coder without the log
  let encBest = Infinity, decBest = Infinity;
  for (let r = 0; r < 3; r++) {
    t0 = performance.now();
    const cc = new BlockCoder(params, missing);
    for (let k = 0; k < params.levels; k++) cc.encodeLevel(f.data);
    encBest = Math.min(encBest, performance.now() - t0);
    t0 = performance.now();
    const d = new BlockCoder(params, missing);
    for (const b of streams) d.decodeLevel(b);
    decBest = Math.min(decBest, performance.now() - t0);
  }
  let ansBytes = 0, aEnc = Infinity, aDec = Infinity;
  const tables = perLevel.map(buildTable);
  const bufs: Uint8Array[] = [];
  for (let k = 0; k < perLevel.length; k++) {
    const b = encode1(perLevel[k], [tables[k], tables[k], tables[k]]);
    bufs.push(b);
    ansBytes += b.length + tables[k].tableBytes;
    let esc = 0;
    for (const v of perLevel[k]) if (Math.abs(v) > LIM) esc += v === (1 << 20) ? 4 : 3;
    ansBytes += esc;
  }
  let ans1Bytes = 0, a1Dec = Infinity;
  const tables1 = perLevel.map(buildTables);
  const bufs1 = perLevel.map((c, k) => encode1(c, tables1[k]));
  for (let k = 0; k < perLevel.length; k++) {
    ans1Bytes += bufs1[k].length + tables1[k].reduce((a, t) => a + t.tableBytes, 0);
    for (const v of perLevel[k]) if (Math.abs(v) > LIM) ans1Bytes += v === (1 << 20) ? 4 : 3;
  }
  for (let r = 0; r < 5; r++) {
    t0 = performance.now();
    for (let k = 0; k < perLevel.length; k++) {
      const o = new Int32Array(perLevel[k].length);
      decode1(bufs1[k], o.length, tables1[k], o);
      if (r === 0) {
        for (let i = 0; i < o.length; i++) {
          if (Math.abs(perLevel[k][i]) <= LIM && o[i] !== perLevel[k][i]) {
            throw new Error(`order-1 mismatch ${name} ${k} ${i}`);
          }
        }
      }
    }
    a1Dec = Math.min(a1Dec, performance.now() - t0);
  }
  for (let r = 0; r < 5; r++) {
    t0 = performance.now();
    for (let k = 0; k < perLevel.length; k++) {
      const t = buildTable(perLevel[k]);
      encode1(perLevel[k], [t, t, t]);
    }
    aEnc = Math.min(aEnc, performance.now() - t0);
    t0 = performance.now();
    for (let k = 0; k < perLevel.length; k++) {
      const o = new Int32Array(perLevel[k].length);
      decode1(bufs[k], o.length, [tables[k], tables[k], tables[k]], o);
      if (r === 0) {
        for (let i = 0; i < o.length; i++) {
          if (Math.abs(perLevel[k][i]) <= LIM && o[i] !== perLevel[k][i]) {
            throw new Error(`mismatch ${name} ${k} ${i}`);
          }
        }
      }
    }
    aDec = Math.min(aDec, performance.now() - t0);
  }
  const mb = f.data.length * 4 / 1e6;
  console.log(
    `| ${name} | ${f.data.length} | ${coderBytes} | ${ansBytes} | ${
      (ansBytes / coderBytes).toFixed(2)
    } | ${ans1Bytes} | ${(ans1Bytes / coderBytes).toFixed(2)} | ${
      (mb / encBest * 1e3).toFixed(1)
    } | ${(mb / decBest * 1e3).toFixed(1)} | ${(mb / aEnc * 1e3).toFixed(0)} | ${
      (mb / aDec * 1e3).toFixed(0)
    } | ${(mb / a1Dec * 1e3).toFixed(0)} |`,
  );
}
