/**
 * File input and output of the commands: reading arrays, opening `.mrc` files with errors that
 * name the path, and atomic writes that never leave a half-written output.
 *
 * @module
 */

import type { MrcFile } from "../src/read/mrc_file.ts";
import type { MrcCollection } from "../src/read/collection.ts";
import { parseList } from "./_args.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

function existsSync(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** `dirname` without `node:path`: the folder a new file at `path` goes into. */
function parentOf(path: string): string {
  const cut = path.replace(/\/+$/, "").lastIndexOf("/");
  return cut < 0 ? "." : cut === 0 ? "/" : path.slice(0, cut);
}

/** True when `a` and `b` are the same file (same path after links, or the same inode). */
async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    if (await Deno.realPath(a) === await Deno.realPath(b)) return true;
    const [sa, sb] = [await Deno.stat(a), await Deno.stat(b)];
    return sa.dev === sb.dev && sa.ino !== null && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/**
 * The output path, checked before any work: present, in an existing folder, not a folder itself,
 * not one of the `inputs` (even with `--force`), and not overwritten without `--force`.
 */
export async function checkOutput(
  path: string | undefined,
  force: boolean | undefined,
  inputs: readonly string[] = [],
): Promise<string> {
  if (!path) throw new Error("missing output file: pass -o FILE");
  const stat = await Deno.stat(path).catch((e) => {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new Error(`cannot write ${path}: ${e instanceof Error ? e.message : e}`);
  });
  if (stat?.isDirectory) throw new Error(`${path} is a directory: pass -o FILE`);
  // Renaming the temporary file over a device or a pipe would replace it (as root, /dev/null).
  if (stat && !stat.isFile) {
    throw new Error(`${path}: ${kindOf(stat)}, not a regular file: choose a file to write`);
  }
  if (stat === null) {
    const dir = parentOf(path);
    const parent = await Deno.stat(dir).catch(() => null);
    if (!parent?.isDirectory) throw new Error(`cannot write ${path}: no directory ${dir}`);
  }
  for (const input of inputs) {
    if (await sameFile(path, input)) {
      throw new Error(
        `${path} is the input file: choose another output (--force does not allow it)`,
      );
    }
  }
  if (!force && await exists(path)) throw new Error(`${path} exists: pass --force to overwrite it`);
  return path;
}

/** Signals that end the process while a temporary file exists: it is removed first. */
const CLEANUP_SIGNALS: { signal: Deno.Signal; code: number }[] = [
  { signal: "SIGINT", code: 130 },
  { signal: "SIGTERM", code: 143 },
  { signal: "SIGHUP", code: 129 },
  { signal: "SIGQUIT", code: 131 },
];

/** The temporary files that exist now, and the output each one becomes. */
const temporaries = new Map<string, string>();
let listeners: { signal: Deno.Signal; listener: () => void }[] = [];

/**
 * Registers `tmp` (the temporary file of `output`) so that a signal removes it and exits with
 * 128 + the signal's number. The listeners exist only while a temporary file does: otherwise a
 * signal ends the process at once (Deno's default), even in the middle of a long synchronous
 * computation such as coding a block, where no listener could run. Returns the release.
 */
function guardTemporary(tmp: string, output: string): () => void {
  temporaries.set(tmp, output);
  if (listeners.length === 0 && Deno.build.os !== "windows") {
    listeners = CLEANUP_SIGNALS.map(({ signal, code }) => {
      const listener = () => {
        for (const [t, out] of temporaries) {
          // Not there: not created yet (nothing written), or renamed into place (written whole).
          let written = false;
          try {
            Deno.removeSync(t);
          } catch (e) {
            written = e instanceof Deno.errors.NotFound && existsSync(out);
          }
          console.error(`error: ${out}: interrupted (${signal})${written ? "" : ", not written"}`);
        }
        Deno.exit(code);
      };
      Deno.addSignalListener(signal, listener);
      return { signal, listener };
    });
  }
  return () => {
    temporaries.delete(tmp);
    if (temporaries.size > 0) return;
    for (const { signal, listener } of listeners) Deno.removeSignalListener(signal, listener);
    listeners = [];
  };
}

/** The message of an error, without the `Error:` prefix. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The message of a library error in the CLI's terms: the `maxBytes` option is the
 * `--max-bytes` flag here.
 */
export function cliMessage(e: unknown): string {
  return messageOf(e).replace(
    /above maxBytes (\S+) \(pass a larger maxBytes for a file you trust\)/,
    "above --max-bytes $1 (pass a larger --max-bytes, e.g. --max-bytes 4G, for a file you trust)",
  );
}

/**
 * Writes `path` through a temporary file in the same directory, renamed into place once `write`
 * has written it whole: no half-written output is left, on an error or a signal (SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT remove it and exit). Errors name `path`, never the temporary file.
 */
export async function withTemporary(
  path: string,
  write: (tmp: string) => Promise<void>,
): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  const release = guardTemporary(tmp, path);
  try {
    await write(tmp);
    // A signal that came while `write` ran synchronously (h5wasm writes so) is answered here,
    // before the rename: the event loop sees signals when it waits, which a timer of 0 ms does
    // not make it do. The wait is AbortSignal.timeout's timer, not setTimeout's: in Deno 2.9 the
    // first setTimeout of a process loads Node's timers and the compatibility layer under them
    // (node:timers, node:util's inspect, errors, buffers), some 5 ms of a small command.
    await new Promise((r) => AbortSignal.timeout(10).addEventListener("abort", r));
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    const message = messageOf(e).replaceAll(tmp, path);
    throw new Error(message.startsWith(path) ? message : `${path}: cannot write: ${message}`, {
      cause: e,
    });
  } finally {
    release();
  }
}

/** Writes through a temporary file in the same directory and renames it, so no half-written output is left. */
export async function writeAtomic(
  path: string,
  write: (file: Deno.FsFile) => Promise<void>,
): Promise<void> {
  await withTemporary(path, async (tmp) => {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      await write(file);
    } finally {
      try {
        file.close();
      } catch { /* closed by a stream */ }
    }
  });
}

/** Writes `bytes` (or its parts, one after the other, none copied) to `path` atomically. */
export async function writeBytesAtomic(
  path: string,
  bytes: Uint8Array | readonly Uint8Array[],
): Promise<void> {
  await writeAtomic(path, async (f) => {
    for (const part of bytes instanceof Uint8Array ? [bytes] : bytes) {
      let off = 0;
      while (off < part.length) off += await f.write(part.subarray(off));
    }
  });
}

/** Whether an input names an `http:` or `https:` URL rather than a local path. */
export function isUrl(input: string): boolean {
  return /^https?:\/\//i.test(input);
}

/**
 * Checks, before opening it, that `path` is a regular file: a named pipe would block the read
 * forever, a directory or a device fails with an OS error that does not name the path.
 */
export async function checkInputFile(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`${path}: no such file`);
    throw new Error(`${path}: cannot read: ${messageOf(e)}`, { cause: e });
  }
  if (info.isFile) return;
  throw new Error(`${path}: ${kindOf(info)}, not a regular file`);
}

/** What a path that is not a regular file is, in words. */
function kindOf(info: Deno.FileInfo): string {
  return info.isDirectory
    ? "is a directory"
    : info.isFifo
    ? "is a named pipe (FIFO)"
    : info.isCharDevice
    ? "is a character device"
    : info.isBlockDevice
    ? "is a block device"
    : info.isSocket
    ? "is a socket"
    : "is not a file";
}

/**
 * Opens a `.mrc` file, a local path or an `http(s)` URL; errors name it. The caller closes it
 * (`await using`). `maxBytes`: the memory budget of each decode (`--max-bytes`).
 */
export async function openFile(
  input: string,
  options: { maxBytes?: number; variable?: string; layer?: number } = {},
): Promise<MrcFile> {
  if (!isUrl(input)) await checkInputFile(input);
  // The reading stack (HTTP transport, engines) loads here, not with every command that imports
  // this module: a compress never opens a .mrc, and its import was 30 ms of the command's start.
  const { openMrc } = await import("../src/read/open.ts");
  const { VariableChoiceError } = await import("../src/read/collection.ts");
  try {
    return await openMrc(input, options);
  } catch (e) {
    if (e instanceof VariableChoiceError && e.layered) {
      const v = e.variables[0];
      throw new Error(
        `${input}: variable "${v.name}" has ${v.parts.length} layers along ${v.layer}: give --layer K (0..${
          v.parts.length - 1
        })`,
        { cause: e },
      );
    }
    if (e instanceof VariableChoiceError) {
      throw new Error(
        `${input} holds ${e.summary}: give --var NAME${
          e.variables.some((v) => v.parts.length > 1) ? " (and --layer K for one of layers)" : ""
        }`,
        { cause: e },
      );
    }
    throw new Error(`${input}: ${cliMessage(e)}`, { cause: e });
  }
}

/**
 * Opens a `.mrc` file as its variables (a collection, or a single-variable file as one), errors
 * said as {@linkcode openFile} says them.
 */
export async function openCollectionFile(
  input: string,
  options: { maxBytes?: number } = {},
): Promise<MrcCollection> {
  if (!isUrl(input)) await checkInputFile(input);
  const { openCollection } = await import("../src/read/open.ts");
  try {
    return await openCollection(input, options);
  } catch (e) {
    throw new Error(`${input}: ${cliMessage(e)}`, { cause: e });
  }
}

/**
 * Reads a `.npy` file, or raw little-endian float32 with `shapeArg` (`T,H,W` or `H,W`), straight
 * into the array it returns (the file's bytes are not held twice); with `shared`, into a
 * `SharedArrayBuffer` (compression's workers then read it in place).
 */
export async function readInput(
  path: string,
  shapeArg?: string,
  shared = false,
): Promise<{ data: Float32Array | Float64Array; shape: number[] }> {
  await checkInputFile(path);
  const { hasNpySignature } = await import("../src/io/npy.ts");
  const { head, readNpyFile, readRawFile } = await import("../src/encode/sources.ts");
  const options = { shared };
  if (hasNpySignature(await head(path, 6))) return await readNpyFile(path, options);
  if (!shapeArg) {
    throw new Error(
      `${path} is not a .npy file: pass --shape T,H,W to read raw little-endian float32`,
    );
  }
  const shape = parseList(shapeArg, "shape")!;
  if (shape.length < 2 || shape.length > 3 || !shape.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`--shape must be T,H,W or H,W with positive integers, found "${shapeArg}"`);
  }
  return { data: await readRawFile(path, shape, options), shape };
}

/** `node:zlib`'s CRC-32 (native, several GB/s) where the runtime has it, else undefined. */
export async function nativeCrc32(): Promise<((b: Uint8Array, c?: number) => number) | undefined> {
  try {
    const zlib = await import("node:zlib") as { crc32?: (b: Uint8Array, c?: number) => number };
    return typeof zlib.crc32 === "function" ? zlib.crc32 : undefined;
  } catch {
    return undefined;
  }
}
