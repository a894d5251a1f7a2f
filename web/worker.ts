// This module is browser compatible.
/**
 * The viewer's decoding worker: opens a remote `.mrc` file through a cached range source and
 * decodes the chosen snapshot level by level, coarse to fine, off the page's main thread. Each
 * level's chunks are fetched in as few requests as the cache can merge them into, then decoded
 * from memory; the neighbouring snapshots are prefetched once the finest level is drawn.
 *
 * @module
 */

import { cachedSource, endRanges } from "../format/cached_source.ts";
import { countingSource, fromUrl } from "../format/source.ts";
import { openMrc } from "../src/read/open.ts";
import { levelRanges } from "../src/read/level_ranges.ts";
import type { MrcFile } from "../src/read/mrc_file.ts";
import { valuesChecksum } from "./_checksum.ts";
import type { FromWorker, ToWorker, Traffic } from "./_protocol.ts";

const scope = globalThis as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

let file: MrcFile | null = null;
let source: ReturnType<typeof cachedSource> | null = null;
let counter: ReturnType<typeof countingSource> | null = null;
let generation = 0;

function traffic(): Traffic {
  return {
    requests: counter ? counter.reads + 1 : 0, // + the request that learnt the size
    bytes: counter ? counter.bytesRead + 1 : 0,
    total: counter?.byteLength ?? 0,
    log: counter ? counter.log.map((r) => ({ ...r })) : [],
  };
}

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

async function open(url: string): Promise<void> {
  counter = countingSource(await fromUrl(new URL(url, location.href)));
  source = cachedSource(counter);
  // Header, report, index and trailer in one request (two ranges, merged when they meet).
  await source.prefetch(endRanges(source.byteLength));
  file = await openMrc(source);
  const attributes = (file as unknown as { attributes?: Record<string, unknown> }).attributes;
  const text = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : null);
  post({
    type: "opened",
    shape: file.header.shape,
    bounded: file.header.bound != null,
    levels: file.levels.map((l) => ({
      level: l.level,
      grid: l.grid,
      bytes: l.bytes.total,
      bound: l.bound,
      rmse: l.rmse,
      psnr: l.psnr,
      maxAbsError: l.maxAbsError,
    })),
    units: text(attributes?.units),
    name: text(attributes?.long_name) ?? text(attributes?.name),
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

async function show(snapshot: number, target: number): Promise<void> {
  const mine = ++generation;
  const f = file!, s = source!;
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
  const run = message.type === "open" ? open(message.url) : show(message.snapshot, message.level);
  run.catch((e) => post({ type: "error", message: e instanceof Error ? e.message : String(e) }));
};
