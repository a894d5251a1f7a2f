// This module is browser compatible.
/**
 * The viewer's decoding worker: opens a remote `.mrc` file through a cached range source and
 * decodes the chosen snapshot level by level, coarse to fine, up to the level the page asks for
 * (the one that covers its canvas), off the page's main thread. Each level's chunks are fetched in
 * as few requests as the cache can merge them into, then decoded from memory; the neighbouring
 * snapshots are prefetched once the level asked for is drawn. In stream mode it reads the file
 * once, front to back: the levels as `decodeStream` yields them, and then the file from memory.
 *
 * @module
 */

import type { CachedSource } from "../src/transport/cache.ts";
import { openMrc, openRemote } from "../src/read/open.ts";
import { decodeStream } from "../src/read/decode_stream.ts";
import type { DecodedLevel } from "../src/read/output.ts";
import { levelExtent } from "../src/read/output.ts";
import { isBounded, type MrcHeader } from "../format/header.ts";
import { CHUNK_TYPES, decodeChecked } from "../format/chunks.ts";
import { readMrcStream } from "../format/stream_reader.ts";
import type { MrcAttributes } from "../format/attributes.ts";
import { fromBytes } from "../format/source.ts";
import { levelRanges } from "../src/read/level_ranges.ts";
import { levelCoordinates } from "../src/read/coordinates.ts";
import { missingTest, rangeOf, valueRange } from "../src/read/value_range.ts";
import { readReport, type StoredReport } from "../src/read/report.ts";
import type { MrcFile } from "../src/read/mrc_file.ts";
import { valuesChecksum } from "./_checksum.ts";
import type {
  FromWorker,
  LevelAxes,
  LevelSummary,
  TimeSummary,
  ToWorker,
  Traffic,
} from "./_protocol.ts";

const scope = globalThis as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

let file: MrcFile | null = null;
/** The range source of range mode; null in stream mode (the file is then in memory). */
let source: CachedSource | null = null;
let generation = 0;
/** Stream mode, while the stream runs: the levels `decodeStream` yielded (every snapshot). */
const streamed: DecodedLevel[] = [];
let streamHeader: MrcHeader | null = null;
let isMissing: (v: number) => boolean = (v) => !Number.isFinite(v);

/** What the network carried: every request's range and the body bytes received. */
const net = { requests: 0, bytes: 0, log: [] as { offset: number; length: number }[] };
let total = 0;

/** `fetch` that counts requests and body bytes, and logs the ranges asked for. */
const countingFetch: typeof fetch = async (input, init) => {
  const range = /bytes=(\d+)-(\d+)/.exec(new Headers(init?.headers).get("Range") ?? "");
  net.requests++;
  if (range) {
    net.log.push({ offset: Number(range[1]), length: Number(range[2]) - Number(range[1]) + 1 });
  }
  const response = await fetch(input, init);
  if (!response.body) return response;
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        net.bytes += chunk.length;
        controller.enqueue(chunk);
      },
    }),
  );
  return new Response(body, { status: response.status, headers: response.headers });
};

function traffic(): Traffic {
  return { requests: net.requests, bytes: net.bytes, total, log: net.log.map((r) => ({ ...r })) };
}

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

const text = (v: unknown) => (typeof v === "string" && v.trim().length > 0 ? v.trim() : null);

/** The levels as the page lists them, with their bytes when the chunk list is known. */
function summaries(
  header: MrcHeader,
  report: StoredReport | null,
  f: MrcFile | null,
): LevelSummary[] {
  return header.levels.map((_, k) => {
    const e = levelExtent(header, k);
    const info = f?.levels[k];
    const err = report?.levels.find((l) => l.level === k);
    return {
      level: k,
      extent: [e.nr, e.nc],
      bytes: info ? info.bytes.total : null,
      bound: isBounded(header) ? header.bound!.abs : null,
      rmse: err?.rmse ?? null,
      psnr: err?.psnr ?? null,
      maxAbsError: err?.maxAbsError ?? null,
    };
  });
}

/** The "opened" message: levels, coordinates of every level, the value range. */
function opened(
  header: MrcHeader,
  attributes: MrcAttributes | null,
  report: StoredReport | null,
  f: MrcFile | null,
  range: { min: number; max: number; source: string },
): FromWorker {
  isMissing = missingTest(header);
  const axes: LevelAxes[] = header.levels.map((_, k) => {
    const c = levelCoordinates(header, attributes, k, [0, 1]);
    const plain = (a: typeof c.y) => ({
      name: a.name,
      units: a.units,
      values: [...a.values],
      indexed: a.indexed,
    });
    return { y: plain(c.y), x: plain(c.x), northUp: c.northUp, eastRight: c.eastRight };
  });
  const t = levelCoordinates(header, attributes, 0).time;
  const time: TimeSummary | null = t && {
    name: t.name,
    units: t.units,
    values: [...t.values],
    indexed: t.indexed,
    calendar: t.calendar,
    dates: t.dates,
  };
  const variable = attributes?.variable.attributes ?? {};
  return {
    type: "opened",
    shape: header.shape,
    bounded: isBounded(header),
    levels: summaries(header, report, f),
    axes,
    time,
    range,
    units: text(variable.units?.value),
    name: text(variable.long_name?.value) ?? text(attributes?.variable.name),
    traffic: traffic(),
  };
}

async function open(url: string, variable?: string, layer?: number): Promise<void> {
  // Two round trips to open (the first and last 16 KiB), and a source the level prefetches use.
  source = await openRemote(new URL(url, location.href), { fetch: countingFetch });
  total = source.byteLength;
  file = await openMrc(source, { variable, layer });
  const attributes = await file.readAttributes();
  // Bounded files: the colour range needs level 0 of every snapshot (a small share of the file),
  // decoded by a second reader of the same source with no coder cache, so that the blocks it
  // decodes are not kept.
  if (isBounded(file.header)) await source.prefetch(levelRanges(file, { level: 0 }));
  const range = await valueRange(await openMrc(source, { cacheBytes: 0, variable, layer }));
  post(opened(file.header, attributes, file.report, file, range));
}

async function maskOf(
  f: MrcFile | null,
  header: MrcHeader,
  level: number,
): Promise<Extract<FromWorker, { type: "level" }>["mask"]> {
  if (f === null || isBounded(header)) return null;
  const masks = await f.masks(level);
  if (masks.length === 0) return null;
  const [h, w] = header.levels[level].grid;
  const grid: [number, number] = [(h - 1) / 2, (w - 1) / 2];
  const union = new Uint8Array(grid[0] * grid[1]);
  for (const m of masks) for (let i = 0; i < union.length && i < m.length; i++) union[i] |= m[i];
  return { grid, data: union };
}

/** Posts one snapshot of a level decoded for a range of snapshots. */
async function postLevel(
  f: MrcFile | null,
  header: MrcHeader,
  decoded: DecodedLevel,
  snapshot: number,
): Promise<void> {
  const [, h, w] = decoded.shape;
  const from = (snapshot - decoded.snapshots[0]) * h * w;
  const data = decoded.data.slice(from, from + h * w);
  const checksum = valuesChecksum(data);
  for (let i = 0; i < data.length; i++) if (isMissing(data[i])) data[i] = NaN;
  post({
    type: "level",
    snapshot,
    level: decoded.level,
    shape: [h, w],
    data,
    checksum,
    mask: await maskOf(f, header, decoded.level),
    traffic: traffic(),
  }, [data.buffer]);
}

/**
 * Stream mode: one request for the whole file. Its bytes go to `decodeStream` (the levels) and are
 * kept: the header, report and attributes are read off their front once the first level is in,
 * and once the stream has ended they are the file every later `show` decodes, with no more
 * requests.
 */
async function stream(url: string, snapshot: number): Promise<void> {
  const mine = ++generation;
  const response = await countingFetch(new URL(url, location.href));
  if (!response.ok || !response.body) {
    throw new Error(`Cannot stream ${url}: HTTP ${response.status} ${response.statusText}`);
  }
  total = Number(response.headers.get("Content-Length") ?? 0);
  const parts: Uint8Array[] = [];
  const concat = () => {
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) bytes.set(p, (at += p.length) - p.length);
    return bytes;
  };
  const levels = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        parts.push(chunk);
        controller.enqueue(chunk);
      },
    }),
  );
  // The front of the file (header, report, attributes), read off the bytes received once the
  // first level is in: they hold it, and it comes before every level chunk.
  const readFront = async () => {
    const received = concat();
    const copy = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(received);
        controller.close();
      },
    });
    let header: MrcHeader | null = null, meta: unknown = null;
    let attributes: MrcAttributes | null = null;
    for await (const chunk of readMrcStream(copy)) {
      if (chunk.type === CHUNK_TYPES.header) {
        header = decodeChecked(CHUNK_TYPES.header, chunk.body, chunk);
      } else if (chunk.type === CHUNK_TYPES.meta) {
        meta = decodeChecked(CHUNK_TYPES.meta, chunk.body, chunk);
      } else if (chunk.type === CHUNK_TYPES.attributes) {
        attributes = decodeChecked(CHUNK_TYPES.attributes, chunk.body, {
          ...chunk,
          header: header!,
        });
      } else if (header !== null) break;
    }
    if (header === null) throw new Error(`Cannot stream ${url}: no header`);
    return { header, report: readReport(meta), attributes };
  };
  let header: MrcHeader | null = null;
  streamed.length = 0;
  for await (const level of decodeStream(levels)) {
    if (header === null) {
      const f = await readFront();
      header = streamHeader = f.header;
      // Level 0 of every snapshot comes first: the colour range, as valueRange() computes it.
      const range = rangeOf(f.header, f.attributes, f.report, level.data);
      post(opened(f.header, f.attributes, f.report, null, range));
    }
    streamed.push(level);
    if (mine === generation) await postLevel(null, header, level, snapshot);
  }
  const bytes = concat();
  parts.length = 0;
  total = bytes.length;
  file = await openMrc(fromBytes(bytes));
  streamed.length = 0;
  post({ type: "complete", levels: summaries(file.header, file.report, file), traffic: traffic() });
}

async function show(snapshot: number, target: number, from: number): Promise<void> {
  const mine = ++generation;
  if (file === null) {
    // Stream mode, while the stream runs: the levels it has brought.
    for (let level = from; level <= target && level < streamed.length; level++) {
      await postLevel(null, streamHeader!, streamed[level], snapshot);
    }
    return;
  }
  const f = file, s = source;
  const snapshots: [number, number] = [snapshot, snapshot + 1];
  for (let level = from; level <= target; level++) {
    if (s) await s.prefetch(levelRanges(f, { level, snapshots }));
    if (mine !== generation) return;
    const decoded = await f.decode({ level, snapshots });
    if (mine !== generation) return;
    await postLevel(f, f.header, decoded, snapshot);
  }
  if (!s) return;
  // Neighbours: their bytes only (decoding is fast once they are here).
  const T = f.header.shape[0];
  const around = [snapshot - 1, snapshot + 1].filter((t) => t >= 0 && t < T);
  await Promise.all(
    around.map((t) => s.prefetch(levelRanges(f, { level: target, snapshots: [t, t + 1] }))),
  );
  if (mine === generation) post({ type: "traffic", traffic: traffic() });
}

scope.onmessage = (event) => {
  const message = event.data;
  const run = message.type === "open"
    ? (message.stream
      ? stream(message.url, message.snapshot)
      : open(message.url, message.variable, message.layer))
    : show(message.snapshot, message.level, message.from);
  run.catch((e) => post({ type: "error", message: e instanceof Error ? e.message : String(e) }));
};
