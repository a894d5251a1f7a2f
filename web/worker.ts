// This module is browser compatible.
/**
 * The viewer's decoding worker: opens a remote `.mrc` file through a cached range source and
 * decodes the chosen snapshot level by level, coarse to fine, off the page's main thread. Each
 * level's chunks are fetched in as few requests as the cache can merge them into, then decoded
 * from memory; the neighbouring snapshots are prefetched once the finest level is drawn.
 *
 * @module
 */

import type { CachedSource } from "../src/transport/cache.ts";
import { openMrc, openRemote } from "../src/read/open.ts";
import { decodeStream } from "../src/read/decode_stream.ts";
import type { DecodedLevel } from "../src/read/output.ts";
import { isBounded } from "../format/header.ts";
import { levelRanges } from "../src/read/level_ranges.ts";
import type { MrcFile } from "../src/read/mrc_file.ts";
import { valuesChecksum } from "./_checksum.ts";
import type { FromWorker, ToWorker, Traffic } from "./_protocol.ts";

const scope = globalThis as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

let file: MrcFile | null = null;
let source: CachedSource | null = null;
let generation = 0;
/** Stream mode: every level of every snapshot, as `decodeStream` yielded them. */
const streamed: DecodedLevel[] = [];

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

async function open(url: string): Promise<void> {
  // Two round trips to open (the first and last 16 KiB), and a source the level prefetches use.
  source = await openRemote(new URL(url, location.href), { fetch: countingFetch });
  total = source.byteLength;
  file = await openMrc(source);
  const attributes = await file.readAttributes();
  const variable = attributes?.variable.attributes ?? {};
  const attr = (name: string) => variable[name]?.value;
  const text = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : null);
  post({
    type: "opened",
    shape: file.header.shape,
    bounded: isBounded(file.header),
    levels: file.levels.map((l) => ({
      level: l.level,
      extent: l.extent,
      bytes: l.bytes.total,
      bound: l.bound,
      rmse: l.rmse,
      psnr: l.psnr,
      maxAbsError: l.maxAbsError,
    })),
    units: text(attr("units")),
    name: text(attr("long_name")) ?? text(attributes?.variable.name),
    traffic: traffic(),
  });
}

async function maskOf(
  f: MrcFile,
  level: number,
): Promise<Extract<FromWorker, { type: "level" }>["mask"]> {
  const masks = await f.masks(level);
  if (masks.length === 0) return null;
  const [h, w] = f.header.levels[level].grid;
  const grid: [number, number] = [(h - 1) / 2, (w - 1) / 2];
  const union = new Uint8Array(grid[0] * grid[1]);
  for (const m of masks) for (let i = 0; i < union.length && i < m.length; i++) union[i] |= m[i];
  return { grid, data: union };
}

/** Posts one snapshot of a level decoded for a range of snapshots. */
async function postLevel(f: MrcFile, decoded: DecodedLevel, snapshot: number, t: Traffic) {
  const [, h, w] = decoded.shape;
  const from = (snapshot - decoded.snapshots[0]) * h * w;
  const data = decoded.data.slice(from, from + h * w);
  post({
    type: "level",
    snapshot,
    level: decoded.level,
    shape: [h, w],
    data,
    checksum: valuesChecksum(data),
    mask: await maskOf(f, decoded.level),
    traffic: t,
  }, [data.buffer]);
}

async function stream(url: string, snapshot: number): Promise<void> {
  const mine = ++generation;
  const f = file!;
  const response = await countingFetch(new URL(url, location.href));
  if (!response.ok || !response.body) {
    throw new Error(`Cannot stream ${url}: HTTP ${response.status} ${response.statusText}`);
  }
  streamed.length = 0;
  // countingFetch counts the bytes as they pass: each level shows how much had arrived.
  for await (const level of decodeStream(response.body)) {
    streamed.push(level);
    if (mine === generation) await postLevel(f, level, snapshot, traffic());
  }
}

async function show(snapshot: number, target: number): Promise<void> {
  const mine = ++generation;
  const f = file!, s = source!;
  if (streamed.length > target) {
    // Stream mode, after the stream: every level is in memory.
    for (let level = 0; level <= target; level++) {
      await postLevel(f, streamed[level], snapshot, traffic());
    }
    return;
  }
  const snapshots: [number, number] = [snapshot, snapshot + 1];
  for (let level = 0; level <= target; level++) {
    await s.prefetch(levelRanges(f, { level, snapshots }));
    if (mine !== generation) return;
    const decoded = await f.decode({ level, snapshots });
    if (mine !== generation) return;
    const data = decoded.data;
    post({
      type: "level",
      snapshot,
      level,
      shape: [decoded.shape[1], decoded.shape[2]],
      data,
      checksum: valuesChecksum(data),
      mask: await maskOf(f, level),
      traffic: traffic(),
    }, [data.buffer]);
  }
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
    ? open(message.url)
    : message.type === "stream"
    ? stream(message.url, message.snapshot)
    : show(message.snapshot, message.level);
  run.catch((e) => post({ type: "error", message: e instanceof Error ? e.message : String(e) }));
};
