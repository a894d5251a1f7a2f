/**
 * One shape for both netCDF libraries: the {@linkcode Source} every reader returns, and
 * {@linkcode openSource}, which picks the reader from the file's signature.
 *
 * @module
 */

import type { MrcAttribute, MrcAttributeType } from "../../../format/attributes.ts";
import { openClassic } from "./classic.ts";
import { openHdf5 } from "./hdf5.ts";

/** Largest classic-format file read: netcdfjs holds the whole file in memory. */
const MAX_CLASSIC_BYTES = 2 ** 31 - 1;

export interface Variable {
  name: string;
  /** netCDF type, or null for types this module cannot read (compound, enum, vlen, ...). */
  type: MrcAttributeType | null;
  typeName: string;
  dims: string[];
  shape: number[];
  attributes: Record<string, MrcAttribute>;
  /** The chunk shape of a chunked netCDF-4 variable (reads along its chunks cost least), or null. */
  chunks?: number[] | null;
  /** Per axis, whether its dimension is unlimited (a record dimension). Default: none is. */
  unlimited?: boolean[];
  /** The zlib level of a netCDF-4 variable's deflate filter, 0 without one; absent for classic. */
  deflate?: number;
  /** Whether a netCDF-4 variable has the shuffle filter; absent for classic. */
  shuffle?: boolean;
}

export interface Source {
  format: string;
  dims: Map<string, number>;
  variables: Variable[];
  global: Record<string, MrcAttribute>;
  /**
   * Reads the hyperslab `[start, end)` per axis, as numbers (64-bit integers exactly up to 2^53):
   * the reader's own typed array where it holds numbers (no copy), else a `Float64Array`.
   */
  read(variable: Variable, ranges: [number, number][]): ArrayLike<number>;
  close(): void;
}

const TEXT_TYPES = new Set(["char", "string"]);
export const isNumericType = (t: MrcAttributeType | null) => t !== null && !TEXT_TYPES.has(t);

function sniff(bytes: Uint8Array): "classic" | "64-bit offset" | "cdf5" | "hdf5" | null {
  const text = String.fromCharCode(...bytes.subarray(0, 8));
  if (text.startsWith("CDF\x01")) return "classic";
  if (text.startsWith("CDF\x02")) return "64-bit offset";
  if (text.startsWith("CDF\x05")) return "cdf5";
  if (text === "\x89HDF\r\n\x1a\n") return "hdf5";
  return null;
}

async function readHead(path: string): Promise<{ kind: ReturnType<typeof sniff>; size: number }> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`${path}: no such file`);
    throw new Error(`cannot read ${path}: ${e instanceof Error ? e.message : e}`, { cause: e });
  }
  try {
    const head = new Uint8Array(8);
    const n = await file.read(head);
    const size = (await file.stat()).size;
    return { kind: sniff(head.subarray(0, n ?? 0)), size };
  } finally {
    file.close();
  }
}

/** Opens a netCDF file with the library its signature calls for. */
export async function openSource(path: string): Promise<Source> {
  const { kind, size } = await readHead(path);
  if (kind === "cdf5") {
    throw new Error(
      `${path}: netCDF CDF-5 (64-bit data) files are not supported by the classic reader (netcdfjs); convert with "nccopy -k nc4 ${path} out.nc"`,
    );
  }
  if (kind === "classic" || kind === "64-bit offset") {
    if (size > MAX_CLASSIC_BYTES) {
      throw new Error(
        `${path}: classic netCDF file of ${size} bytes is read whole and is above the 2 GiB limit; convert with "nccopy -k nc4 ${path} out.nc" (netCDF-4 files are read by slices)`,
      );
    }
    return await openClassic(path, kind);
  }
  if (kind === "hdf5") return await openHdf5(path);
  throw new Error(`${path}: not a netCDF file (no "CDF" or HDF5 signature)`);
}

// -- classic (netcdfjs) ------------------------------------------------------------------------
