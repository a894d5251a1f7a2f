/**
 * `cli.ts merge SHARD... -o WHOLE.mrc`: join shards (written by `compress --snapshots` or
 * `--shard`) into the whole without decoding: chunks are copied, blocks renumbered.
 *
 * @module
 */

import { formatBytes, OUTPUT_OPTIONS, parseCommand } from "./_args.ts";
import { checkInputFile, checkOutput, nativeCrc32, writeAtomic } from "./_files.ts";
import type { RangeSource } from "../format/source.ts";

/** Help text of the command. */
export const HELP = `Usage: cli.ts merge SHARD.mrc... -o WHOLE.mrc [options]

Joins shards, written by 'compress --snapshots A:B' or 'compress --shard I/N', into the whole
file, copying their coded chunks (no decoding, no coding). The shards may be given in any order;
they must agree (bound, levels, block size, key interval, predictor, grid, type, missing-value
rule, source attributes, the whole's length) and cover every snapshot exactly once. Shards coded
with the same options merge into the very bytes one compress of the whole writes (with
--reproducible on both).

Options:
  -o, --output FILE     output .mrc file (required)
  --reproducible        leave the date and timings out of the report (as compress does)
  --force               overwrite OUT (never an input)
  --quiet               no summary`;

/**
 * A file read by ranges, open until closed. Reads of 1 MiB or more return a view of one of two
 * buffers, used in turn (merge's `transient`: it is done with a read before the one after next).
 */
async function fileSource(path: string): Promise<RangeSource & { close(): void }> {
  const file = await Deno.open(path, { read: true });
  const byteLength = (await file.stat()).size;
  const buffers = [new Uint8Array(0), new Uint8Array(0)];
  let turn = 0;
  return {
    byteLength,
    async read(offset: number, length: number) {
      const n = Math.max(0, Math.min(length, byteLength - offset));
      let out: Uint8Array;
      if (n >= 1 << 20) {
        turn ^= 1;
        if (buffers[turn].length < n) buffers[turn] = new Uint8Array(n);
        out = buffers[turn].subarray(0, n);
      } else out = new Uint8Array(n);
      await file.seek(offset, Deno.SeekMode.Start);
      for (let at = 0; at < out.length;) {
        const k = await file.read(out.subarray(at));
        if (k === null) return out.subarray(0, at);
        at += k;
      }
      return out;
    },
    close: () => file.close(),
  };
}

/** Runs the command. */
export async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseCommand({
    args,
    allowPositionals: true,
    options: {
      ...OUTPUT_OPTIONS,
      reproducible: { type: "boolean" },
      quiet: { type: "boolean" },
    },
  });
  if (values.help) return void console.log(HELP);
  if (positionals.length === 0) throw new Error("merge takes the shard files (see --help)");
  const seen = new Set<string>();
  for (const p of positionals) {
    if (seen.has(p)) throw new Error(`${p} is given twice`);
    seen.add(p);
    await checkInputFile(p);
  }
  const output = await checkOutput(values.output, values.force, positionals);
  const { prepareMerge } = await import("../src/encode/merge.ts");
  const sources = await Promise.all(positionals.map(fileSource));
  const start = performance.now();
  let result: Awaited<ReturnType<typeof prepared.write>> | undefined;
  // Every check but the chunks' CRCs before the output is opened.
  const prepared = await prepareMerge(
    positionals.map((name, i) => ({ name, source: sources[i] })),
    { reproducible: values.reproducible, crc32: await nativeCrc32(), transient: true },
  ).catch((e) => {
    for (const s of sources) s.close();
    throw e;
  });
  try {
    await writeAtomic(output, async (file) => {
      result = await prepared.write({
        write: async (b) => {
          for (let off = 0; off < b.length;) off += await file.write(b.subarray(off));
        },
      });
    });
  } finally {
    for (const s of sources) s.close();
  }
  const r = result!;
  if (r.notIdentical !== null) console.error(`note: ${r.notIdentical}`);
  if (values.quiet) return;
  const seconds = (performance.now() - start) / 1000;
  const read = sources.reduce((a, s) => a + s.byteLength, 0);
  console.log(
    `${positionals.length} shards (${formatBytes(read)}) -> ${output}: ${formatBytes(r.bytes)}, ${
      formatBytes(r.copied)
    } of chunks copied in ${seconds.toFixed(2)} s (${(read / seconds / 1e6).toFixed(0)} MB/s)`,
  );
}
