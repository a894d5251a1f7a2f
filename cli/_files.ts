/**
 * File input and output of the commands: reading arrays, opening `.mrc` files with errors that
 * name the path, and atomic writes that never leave a half-written output.
 *
 * @module
 */

import { openMrc } from "../src/read/open.ts";
import type { MrcFile } from "../src/read/mrc_file.ts";
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
];

/** Writes through a temporary file in the same directory and renames it, so no half-written output is left. */
export async function writeAtomic(
  path: string,
  write: (file: Deno.FsFile) => Promise<void>,
): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  // Killed while the temporary file exists (Ctrl-C, `kill`): remove it, then exit as the signal
  // would have.
  const listeners = Deno.build.os === "windows" ? [] : CLEANUP_SIGNALS.map(({ signal, code }) => {
    const listener = () => {
      try {
        Deno.removeSync(tmp);
      } catch { /* not created yet, or renamed */ }
      Deno.exit(code);
    };
    Deno.addSignalListener(signal, listener);
    return { signal, listener };
  });
  const unlisten = () => {
    for (const { signal, listener } of listeners) Deno.removeSignalListener(signal, listener);
  };
  let file: Deno.FsFile;
  try {
    file = await Deno.open(tmp, { write: true, createNew: true });
  } catch (e) {
    unlisten();
    throw new Error(`cannot write ${path}: ${e instanceof Error ? e.message : e}`);
  }
  try {
    await write(file);
    try {
      file.close();
    } catch { /* closed by a stream */ }
    await Deno.rename(tmp, path);
  } catch (e) {
    try {
      file.close();
    } catch { /* already closed */ }
    await Deno.remove(tmp).catch(() => {});
    throw e;
  } finally {
    unlisten();
  }
}

/** Writes `bytes` to `path` atomically. */
export async function writeBytesAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await writeAtomic(path, async (f) => {
    let off = 0;
    while (off < bytes.length) off += await f.write(bytes.subarray(off));
  });
}

/** Opens a `.mrc` file; errors name the path. The caller closes it (`await using`). */
export async function openFile(path: string): Promise<MrcFile> {
  try {
    await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`${path}: no such file`);
    throw e;
  }
  try {
    return await openMrc(path);
  } catch (e) {
    throw new Error(`${path}: ${e instanceof Error ? e.message : e}`);
  }
}

/** Reads a `.npy` file, or raw little-endian float32 with `shapeArg` (`T,H,W` or `H,W`). */
export async function readInput(
  path: string,
  shapeArg?: string,
): Promise<{ data: Float32Array | Float64Array; shape: number[] }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`${path}: no such file`);
    throw new Error(`cannot read ${path}: ${e instanceof Error ? e.message : e}`);
  }
  const { hasNpySignature, parseNpy } = await import("../src/io/npy.ts");
  if (hasNpySignature(bytes)) {
    const npy = parseNpy(bytes);
    if (npy.shape.length !== 2 && npy.shape.length !== 3) {
      throw new Error(
        `${path}: expected shape (T, H, W) or (H, W), found (${npy.shape.join(", ")})`,
      );
    }
    return { data: npy.data, shape: npy.shape };
  }
  if (!shapeArg) {
    throw new Error(
      `${path} is not a .npy file: pass --shape T,H,W to read raw little-endian float32`,
    );
  }
  const shape = parseList(shapeArg, "shape")!;
  if (shape.length < 2 || shape.length > 3 || !shape.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`--shape must be T,H,W or H,W with positive integers, found "${shapeArg}"`);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== n * 4) {
    throw new Error(
      `${path} has ${bytes.length} bytes, but shape ${shape.join("x")} of float32 needs ${n * 4}`,
    );
  }
  const data = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) data[i] = view.getFloat32(4 * i, true);
  return { data, shape };
}
