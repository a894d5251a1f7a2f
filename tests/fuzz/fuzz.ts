// A seeded fuzz harness for both readers: mutants of golden and fresh files, with raw
// flips and truncations and CRC-consistent lies (header fields, chunk bodies, counts, the chunk
// list: CRCs, index and trailer recomputed after the lie, so that the checks behind the CRC run).
// Each mutant goes to `openMrc` (verify, every level) and to `decodeStream`. A run fails on any
// exception other than MrcFormatError, an accepted file whose levels break the readers' promises
// (order, shape, samples inside the extent) or that the two readers decode to different values, a
// typed array over the budget given to the readers (the typed-array constructors are counted while
// they run), a decode over the time limit, or a mutant one reader accepts and the other refuses.
//
// With `--server`, every fourth mutant is also read by URL from a hostile fake server.
//
//   deno task fuzz [--count 5000] [--seed 1] [--seconds 120] [--model] [--server] [--dump DIR]

import {
  type DecodedLevel,
  decodeStream,
  HttpError,
  MrcFormatError,
  openMrc,
} from "../../decode.ts";
import { compress } from "../../mod.ts";
import { type EditableMrc, headerOf, joinMrc, setHeaderText, splitMrc } from "./_mrc_edit.ts";
import { prng, randInt, streamOf } from "../format/_helpers.ts";

/** Options of {@linkcode runFuzz}. */
export interface FuzzOptions {
  /** Seed of every choice. */
  seed: number;
  /** Mutants to try. */
  count: number;
  /** Stop early after this many seconds. */
  seconds: number;
  /** The readers' `maxBytes`; also the largest typed array a reader may make. */
  maxBytes: number;
  /** Milliseconds one mutant may take in one reader. */
  timeLimitMs: number;
  /** Also fuzz a freshly trained model file (TensorFlow.js, a few seconds). */
  model: boolean;
  /**
   * Also read every fourth mutant by URL from a hostile server (a fake `fetch`): honest, ignoring
   * `Range`, claiming a size of 2^53 - 1 and then sending an endless body, sending more than
   * asked, or an endless body from the start. Honest and Range-ignoring servers must give the
   * outcome of the bytes; the others a refusal, within the budget and the time limit.
   */
  server?: boolean;
  /** A folder to write each failing mutant to (`mutant-<i>.mrc`). Default: none. */
  dump?: string;
}

/** What a run found. */
export interface FuzzReport {
  mutants: number;
  byKind: Record<string, number>;
  accepted: number;
  rejected: number;
  /** Refused by the memory budget (a valid file too large for `maxBytes`), by either reader. */
  overBudget: number;
  failures: string[];
  largestArray: number;
  slowestMs: number;
  seconds: number;
}

type Outcome = "ok" | "reject" | "budget";

const TYPED = [
  "Uint8Array",
  "Int8Array",
  "Uint16Array",
  "Int16Array",
  "Uint32Array",
  "Int32Array",
  "Float32Array",
  "Float64Array",
] as const;

/** Counts the bytes of typed arrays made with a length while `fn` runs (views are not counted). */
async function counting<T>(fn: () => Promise<T>): Promise<{ value: T; largest: number }> {
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = TYPED.map((name) => g[name]);
  let largest = 0;
  TYPED.forEach((name, i) => {
    const ctor = saved[i] as { BYTES_PER_ELEMENT: number } & (new (...a: unknown[]) => object);
    g[name] = new Proxy(ctor, {
      construct(target, args, newTarget) {
        const n = args[0];
        const bytes = typeof n === "number"
          ? n * ctor.BYTES_PER_ELEMENT
          : n !== null && typeof n === "object" && !(n instanceof ArrayBuffer) &&
              typeof (n as ArrayLike<number>).length === "number"
          ? (n as ArrayLike<number>).length * ctor.BYTES_PER_ELEMENT
          : 0;
        if (bytes > largest) largest = bytes;
        return Reflect.construct(target, args, newTarget);
      },
    });
  });
  try {
    return { value: await fn(), largest };
  } finally {
    TYPED.forEach((name, i) => (g[name] = saved[i]));
  }
}

/** An accepted mutant whose decode breaks what the readers promise (a failure of the run). */
class InvariantError extends Error {
  override name = "InvariantError";
}

/**
 * What a reader promises of every level it yields for a file it accepts: levels 0, 1, ... in
 * order, every snapshot of the header's `[T, H, W]`, sample rows and columns inside the extent and
 * increasing, the finest level at full size, and as many values as the shape says. Returns a digest
 * of the level's values (their bits, NaN included), so that the two readers can be compared.
 */
function checkLevel(
  d: DecodedLevel,
  expected: number,
  [T, H, W]: readonly number[],
  finest: boolean,
): string {
  const fail = (what: string) => {
    throw new InvariantError(`level ${d.level} (${expected} expected): ${what}`);
  };
  if (d.level !== expected) fail("out of order");
  const [n, rows, cols] = d.shape;
  if (d.snapshots[0] !== 0 || d.snapshots[1] !== T || n !== T) fail(`snapshots ${d.snapshots}`);
  if (d.data.length !== n * rows * cols) fail(`${d.data.length} values for ${d.shape}`);
  if (d.rows.length !== rows || d.cols.length !== cols) fail("rows/cols do not match the shape");
  const inside = (xs: Int32Array, size: number) =>
    xs.every((x, i) => x >= 0 && x < size && (i === 0 || x > xs[i - 1]));
  if (!inside(d.rows, H) || !inside(d.cols, W)) fail("samples outside the extent");
  if (finest && (rows !== H || cols !== W)) fail(`finest level is ${rows}x${cols}, not ${H}x${W}`);
  const bits = new Uint32Array(d.data.buffer, d.data.byteOffset, d.data.length);
  let hash = 0x811c9dc5;
  for (let i = 0; i < bits.length; i++) hash = Math.imul(hash ^ bits[i], 0x01000193);
  return `${d.shape}:${hash >>> 0}`;
}

/** What openMrc found in a file it accepted: the shape, the level count, a digest per level. */
interface Decoded {
  shape: readonly number[];
  levels: number;
  digests: string[];
}

async function randomAccess(
  bytes: Uint8Array | string,
  maxBytes: number,
  fetch?: typeof globalThis.fetch,
): Promise<Decoded> {
  const file = await openMrc(bytes, { maxBytes, fetch, timeout: 0 });
  // What `info` reads: the report and the per-level summary must never throw.
  void file.report;
  void file.levels;
  await file.verify();
  const { shape } = file.header, levels = file.levelCount, digests: string[] = [];
  for await (const d of file.progressive()) {
    digests.push(checkLevel(d, digests.length, shape, d.level === levels - 1));
  }
  if (digests.length !== levels) {
    throw new InvariantError(`progressive() yielded ${digests.length} of ${levels} levels`);
  }
  await file.decode({ level: 0, snapshots: [0, 1] });
  return { shape, levels, digests };
}

/** The stream reader's levels, checked against what openMrc found (when it accepted the file). */
async function streaming(
  bytes: Uint8Array,
  maxBytes: number,
  expected: Decoded | null,
): Promise<Decoded | null> {
  const digests: string[] = [];
  for await (const d of decodeStream(streamOf(bytes, 997), { maxBytes })) {
    if (expected) {
      digests.push(checkLevel(d, digests.length, expected.shape, d.level === expected.levels - 1));
    }
  }
  if (!expected) return null;
  if (digests.length !== expected.levels) {
    throw new InvariantError(
      `decodeStream() yielded ${digests.length} of ${expected.levels} levels`,
    );
  }
  return { ...expected, digests };
}

const INTERESTING = [
  0,
  1,
  -1,
  2,
  3,
  7,
  15,
  255,
  65535,
  65536,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  1e6,
  1e9,
  0.5,
  2.5,
  1e300,
];
const WEIRD: unknown[] = [null, "x", [], {}, true, "1"];

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)];
}

/** Paths of the numbers and arrays inside a header object. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []) {
  if (v !== null && typeof v === "object") {
    out.push(at);
    for (const [k, x] of Object.entries(v)) {
      paths(x, [...at, Array.isArray(v) ? Number(k) : k], out);
    }
  } else out.push(at);
  return out;
}

function setPath(root: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let o = root as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) o = o[path[i]] as Record<string | number, unknown>;
  o[path[path.length - 1]] = value;
}

function getPath(root: unknown, path: (string | number)[]): unknown {
  let o = root as Record<string | number, unknown>;
  for (const p of path) o = o?.[p] as Record<string | number, unknown>;
  return o;
}

function lieValue(rand: () => number, old: unknown): unknown {
  const r = rand();
  if (typeof old === "number" && r < 0.4) {
    return pick(rand, [old + 1, old - 1, old * 2, old * 1000, -old, Math.floor(old / 2)]);
  }
  if (r < 0.85) return pick(rand, INTERESTING);
  return pick(rand, WEIRD);
}

/** One mutant of `source` and the kind of mutation (`maxBytes`: the readers' budget). */
function mutate(
  rand: () => number,
  source: Uint8Array,
  maxBytes: number,
): { kind: string; bytes: Uint8Array } {
  const r = rand();
  if (r < 0.02) {
    // A valid file with an unknown chunk larger than the budget: no reader may hold it.
    const file = splitMrc(source);
    file.chunks.splice(randInt(rand, 1, file.chunks.length), 0, {
      type: "ZZZZ",
      level: null,
      block: null,
      flags: 0,
      body: new Uint8Array(maxBytes + 4096).fill(randInt(rand, 0, 255)),
    });
    return { kind: "big unknown chunk", bytes: joinMrc(file) };
  }
  if (r < 0.15) {
    const bytes = source.slice();
    const flips = randInt(rand, 1, 4);
    for (let i = 0; i < flips; i++) {
      bytes[randInt(rand, 0, bytes.length - 1)] ^= 1 << randInt(rand, 0, 7);
    }
    return { kind: "raw flip", bytes };
  }
  if (r < 0.22) {
    return { kind: "truncation", bytes: source.slice(0, randInt(rand, 0, source.length - 1)) };
  }
  const file = splitMrc(source);
  let kind: string;
  const s = rand();
  if (s < 0.4) {
    kind = "header lie";
    const h = headerOf(file);
    const all = paths(h).filter((p) => p.length > 0);
    const lies = randInt(rand, 1, 2);
    for (let i = 0; i < lies; i++) {
      const p = pick(rand, all);
      try {
        setPath(h, p, lieValue(rand, getPath(h, p)));
      } catch { /* a path under a replaced value */ }
    }
    setHeaderText(file, JSON.stringify(h));
  } else if (s < 0.5) {
    kind = "header attack";
    attack(rand, file);
  } else if (s < 0.8) {
    kind = "chunk body lie";
    const chunks = file.chunks.filter((c) => c.type !== "MHDR");
    const c = pick(rand, chunks);
    const body = c.body.slice();
    const t = rand();
    if (t < 0.4 && body.length >= 4) {
      // A count: u32 at a small aligned offset (CODE: n, S, v_s, L; BCOD: n).
      const at = 4 * randInt(rand, 0, Math.min(4, (body.length >> 2) - 1));
      new DataView(body.buffer).setUint32(at, pick(rand, INTERESTING) >>> 0, true);
      c.body = body;
    } else if (t < 0.7 && body.length > 0) {
      body[randInt(rand, 0, body.length - 1)] ^= 1 << randInt(rand, 0, 7);
      c.body = body;
    } else if (t < 0.85) c.body = body.slice(0, randInt(rand, 0, body.length));
    else {
      const longer = new Uint8Array(body.length + randInt(rand, 1, 64));
      longer.set(body);
      c.body = longer;
    }
    if (c.type === "META" && rand() < 0.5) {
      c.body = new TextEncoder().encode(JSON.stringify(pick(rand, [
        { tool: "mrcae", mode: "bounded", levels: "x" },
        { tool: "mrcae", levels: [{ level: 0, rmse: "1" }], trainSeconds: "2" },
        { any: [1, 2, 3] },
        [1],
        "text",
      ])));
    }
  } else {
    kind = "chunk list lie";
    const t = rand();
    const i = randInt(rand, 1, file.chunks.length - 1);
    const c = file.chunks[i];
    if (t < 0.2) file.chunks.splice(i, 1);
    else if (t < 0.4) file.chunks.splice(i, 0, { ...c });
    else if (t < 0.55) {
      const j = randInt(rand, 1, file.chunks.length - 1);
      [file.chunks[i], file.chunks[j]] = [file.chunks[j], file.chunks[i]];
    } else if (t < 0.8) {
      const field = pick(rand, ["level", "block", "flags"] as const);
      (c as unknown as Record<string, number | null>)[field] = pick(rand, [null, 0, 1, 2, 0xfffe]);
      if (field === "flags" && c.flags === null) c.flags = 1;
    } else {
      file.chunks.splice(i, 0, {
        type: "ZZZZ",
        level: pick(rand, [null, 0, 1, 5]),
        block: null,
        flags: 0,
        body: new Uint8Array(randInt(rand, 0, 100)),
      });
    }
  }
  return { kind, bytes: joinMrc(file) };
}

const SERVERS = [
  "honest",
  "ignores Range",
  "huge then endless",
  "more than asked",
  "endless",
] as const;
type Server = typeof SERVERS[number];

/** An endless body of zeros, made as it is read. */
function endlessBody(): ReadableStream<Uint8Array> {
  let made = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (made >= 2 ** 40) return controller.close();
      controller.enqueue(new Uint8Array(65536));
      made += 65536;
    },
  }, { highWaterMark: 0 });
}

/** A fake `fetch` serving `bytes` the way `server` does. */
function hostileFetch(bytes: Uint8Array, server: Server): typeof globalThis.fetch {
  let requests = 0;
  return (_input: string | URL | Request, init?: RequestInit) => {
    requests++;
    const range = /^bytes=(\d+)-(\d+)$/.exec(new Headers(init?.headers).get("Range") ?? "");
    const first = Number(range?.[1] ?? 0),
      last = Math.min(Number(range?.[2] ?? 0), bytes.length - 1);
    const partial = (body: BodyInit, total: number | string) =>
      new Response(body, {
        status: 206,
        headers: { "Content-Range": `bytes ${first}-${last}/${total}` },
      });
    let answer: Response;
    if (server === "endless" || (server === "huge then endless" && requests > 1)) {
      answer = new Response(endlessBody(), { status: 200 });
    } else if (server === "huge then endless") {
      answer = partial(bytes.slice(first, last + 1), 2 ** 53 - 1);
    } else if (server === "ignores Range" || !range) answer = new Response(bytes.slice());
    else if (server === "more than asked") {
      const body = new Uint8Array(last - first + 1 + 4096);
      body.set(bytes.subarray(first, last + 1));
      answer = partial(body, bytes.length);
    } else answer = partial(bytes.slice(first, last + 1), bytes.length);
    return Promise.resolve(answer);
  };
}

/**
 * Targeted lies that a size check must catch: huge T and block size, planes many times larger
 * (grids consistent), many levels on a tiny field.
 */
function attack(rand: () => number, file: EditableMrc): void {
  const h = headerOf(file) as Record<string, unknown> & {
    inputShape?: number[];
    shape: number[];
    blockSize: number;
    grid: number[];
    crop: number[];
    levels: { grid: number[]; latent: number[] }[];
  };
  const r = rand();
  if (r < 0.4) {
    const big = pick(rand, [2 ** 31 - 1, 3e7, 1e6, 65537, 65536]);
    h.shape[0] = big;
    if (rand() < 0.7) h.blockSize = pick(rand, [big, 65536, 65537]);
    if (Array.isArray(h.inputShape) && h.inputShape.length === 3) h.inputShape = [...h.shape];
    else delete h.inputShape;
  } else if (r < 0.6) {
    // A plane 16 to 4096 times larger, its grids made consistent (smallest odd level-0 grid).
    const f = pick(rand, [4, 16, 64]);
    const N = h.levels.length;
    h.shape[1] *= f;
    h.shape[2] *= f;
    const fit = (n: number) => {
      let g0 = 3;
      while (2 ** (N - 1) * (g0 + 1) - 1 < n) g0 += 2;
      return g0;
    };
    let g = [fit(h.shape[1]), fit(h.shape[2])];
    for (let k = 0; k < N; k++) {
      h.levels[k] = { ...h.levels[k], grid: g, latent: [(g[0] - 1) / 2, (g[1] - 1) / 2] };
      g = [2 * g[0] + 1, 2 * g[1] + 1];
    }
    h.grid = h.levels[N - 1].grid;
    if (Array.isArray(h.inputShape)) {
      h.inputShape = h.inputShape.length === 3 ? [...h.shape] : h.shape.slice(1);
    }
  } else {
    // More levels on the same data: every grid grows, the header stays self-consistent.
    const extra = randInt(rand, 1, 12);
    for (let i = 0; i < extra; i++) {
      const [gh, gw] = h.levels[h.levels.length - 1].grid;
      const g = [2 * gh + 1, 2 * gw + 1];
      h.levels.push({ ...h.levels[h.levels.length - 1], grid: g, latent: [gh, gw] });
    }
    h.grid = h.levels[h.levels.length - 1].grid;
  }
  setHeaderText(file, JSON.stringify(h));
}

async function fresh(model: boolean): Promise<{ name: string; bytes: Uint8Array }[]> {
  const rand = prng(7);
  const shape: [number, number, number] = [6, 9, 11];
  const data = new Float32Array(6 * 9 * 11).map((_, i) => Math.sin(i / 7) + 0.1 * rand());
  data[17] = NaN;
  const out = [
    // Reproducible: no timings or date in the report, so that a seed fixes every mutant.
    {
      name: "fresh bounded",
      bytes: await compress(data, shape, { errorBound: 1e-2, levels: 2, reproducible: true }),
    },
  ];
  if (model) {
    out.push({
      name: "fresh model",
      bytes: await compress(data.map((v) => (Number.isNaN(v) ? 0 : v)), shape, {
        coding: "model",
        steps: 5,
        levels: 2,
        backend: "cpu",
        reproducible: true,
      }),
    });
  }
  return out;
}

/** Runs the harness. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const dir = new URL("../testdata/", import.meta.url);
  const sources: { name: string; bytes: Uint8Array }[] = [];
  // v1.7-bounded: a range-coded missing mask (layout 3) among the chunks mutated.
  for (const name of ["v1.0-small", "v1.1-2d", "v1.2-bounded", "v1.7-bounded"]) {
    sources.push({ name, bytes: await Deno.readFile(new URL(`${name}.mrc`, dir)) });
  }
  // A bounded file with an ATTR chunk: both readers must refuse the same ATTR mutants.
  const attr = "conformance/bounded-attr";
  sources.push({ name: attr, bytes: await Deno.readFile(new URL(`${attr}.mrc`, dir)) });
  sources.push(...await fresh(options.model));
  const rand = prng(options.seed);
  const report: FuzzReport = {
    mutants: 0,
    byKind: {},
    accepted: 0,
    rejected: 0,
    overBudget: 0,
    failures: [],
    largestArray: 0,
    slowestMs: 0,
    seconds: 0,
  };
  const run = async <T>(
    what: string,
    fn: () => Promise<T>,
    fail: (m: string) => void,
    refusals: (abstract new (...a: never[]) => Error)[] = [],
  ): Promise<{ outcome: Outcome | null; value: T | null }> => {
    const t0 = performance.now();
    let outcome: Outcome | null = "ok";
    let value: T | null = null;
    const { largest } = await counting(async () => {
      try {
        value = await fn();
      } catch (e) {
        if (refusals.some((type) => e instanceof type)) outcome = "reject";
        else if (!(e instanceof MrcFormatError)) {
          fail(`${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
          outcome = null;
        } else outcome = /above maxBytes/.test(e.message) ? "budget" : "reject";
      }
    });
    const ms = performance.now() - t0;
    report.largestArray = Math.max(report.largestArray, largest);
    report.slowestMs = Math.max(report.slowestMs, ms);
    if (largest > options.maxBytes) fail(`${what}: made a typed array of ${largest} bytes`);
    if (ms > options.timeLimitMs) fail(`${what}: took ${ms.toFixed(0)} ms`);
    return { outcome, value };
  };
  for (let i = 0; i < options.count; i++) {
    if ((performance.now() - started) / 1000 > options.seconds) break;
    const source = sources[i % sources.length];
    const { kind, bytes } = mutate(rand, source.bytes, options.maxBytes);
    report.mutants++;
    report.byKind[kind] = (report.byKind[kind] ?? 0) + 1;
    const tag = `mutant ${i} (${kind} of ${source.name})`;
    const failuresBefore = report.failures.length;
    const fail = (m: string) => report.failures.push(`${tag} ${m}`);
    const ra = await run("openMrc", () => randomAccess(bytes, options.maxBytes), fail);
    const st = await run("decodeStream", () => streaming(bytes, options.maxBytes, ra.value), fail);
    const a = ra.outcome, b = st.outcome;
    if (a === "ok" && b === "ok" && ra.value?.digests.join() !== st.value?.digests.join()) {
      fail("openMrc and decodeStream decode it to different values");
    }
    if (options.server && i % 4 === 0) {
      const server = pick(rand, SERVERS);
      const url = `http://fuzz.example/${i}.mrc`;
      const hostile = await run(
        `openMrc over a server that ${server === "honest" ? "is honest" : server}`,
        () => randomAccess(url, options.maxBytes, hostileFetch(bytes, server)),
        fail,
        [HttpError],
      );
      const h = hostile.outcome;
      // A server that ignores Range makes the reader hold the whole file: above maxBytes, refused.
      const whole = server === "ignores Range" && bytes.length > options.maxBytes;
      if (whole && h === "ok") {
        fail(`accepted whole from a server that ignores Range, above maxBytes`);
      } else if (!whole && (server === "honest" || server === "ignores Range")) {
        if (h !== null && a !== null && h !== a && h !== "budget" && a !== "budget") {
          fail(
            `read by URL from a server that ${server}, it is ${
              h === "ok" ? "accepted" : "refused"
            }, as bytes ${a === "ok" ? "accepted" : "refused"}`,
          );
        } else if (
          h === "ok" && a === "ok" && hostile.value?.digests.join() !== ra.value?.digests.join()
        ) {
          fail(`read by URL from a server that ${server}, it decodes to other values`);
        }
      } else if (h === "ok" && server !== "more than asked") {
        fail(
          `accepted from a server that sends ${
            server === "endless"
              ? "an endless body"
              : "an endless body after claiming 2^53 - 1 bytes"
          }`,
        );
      }
    }
    if (options.dump && report.failures.length > failuresBefore) {
      await Deno.writeFile(`${options.dump}/mutant-${i}.mrc`, bytes);
    }
    if (a === "budget" || b === "budget") report.overBudget++;
    else if (a !== null && b !== null && a !== b) {
      fail(
        `openMrc ${a === "ok" ? "accepts" : "refuses"} it, decodeStream ${
          b === "ok" ? "accepts" : "refuses"
        } it`,
      );
    } else if (a === "ok") report.accepted++;
    else if (a === "reject") report.rejected++;
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

if (import.meta.main) {
  const args = Deno.args;
  const arg = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const report = await runFuzz({
    seed: arg("seed", 1),
    count: arg("count", 5000),
    seconds: arg("seconds", 120),
    maxBytes: arg("max-bytes", 64 * 2 ** 20),
    timeLimitMs: arg("time-limit", 5000),
    model: args.includes("--model"),
    server: args.includes("--server"),
    dump: args.includes("--dump") ? args[args.indexOf("--dump") + 1] : undefined,
  });
  const { failures, ...counts } = report;
  console.log(JSON.stringify(counts, null, 2));
  for (const f of failures.slice(0, 50)) console.log(`FAIL ${f}`);
  if (failures.length > 0) {
    console.log(`${failures.length} failures`);
    Deno.exit(1);
  }
}
