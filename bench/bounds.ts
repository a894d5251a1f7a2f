/**
 * The max-error axis of the benchmark: which error bounds each dataset is tested
 * at, the reference points of methods that cannot run here (SZ3, JPEG 2000), and
 * the searches that tune a peer to the largest setting meeting a bound.
 *
 * Bounds are relative to the value range of the original (`max - min`), as the
 * reference file's `maxabs_rel` is, so they carry over between scalings of the
 * same data.
 *
 * @module
 */

/** One measured point of `reference-rd.json`. */
export interface ReferencePoint {
  /** `sz3`, `zfp` or `j2k`. */
  method: string;
  setting: string;
  /** Raw float32 bytes / compressed bytes. */
  cr: number;
  psnr: number;
  /** Max abs error / range. */
  maxabs_rel: number;
  comp_MBs: number;
  decomp_MBs: number;
}

/** Reference points per dataset name, plus the file's own description. */
export interface Reference {
  about: string;
  datasets: Record<string, ReferencePoint[]>;
}

/** The copy of `/work/shared/peers/reference-rd.json` kept beside the benchmark. */
export const REFERENCE_PATH = new URL("./reference/reference-rd.json", import.meta.url);

/** Read a reference file; returns a one-line reason instead when it is missing or malformed. */
export async function loadReference(
  path: string | URL = REFERENCE_PATH,
): Promise<Reference | string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    return `cannot read ${path} (${(err as Error).message.split("\n")[0]})`;
  }
  const datasets = (parsed as Reference)?.datasets;
  if (typeof datasets !== "object" || datasets === null) {
    return `${path} has no "datasets" object`;
  }
  for (const [name, points] of Object.entries(datasets)) {
    if (
      !Array.isArray(points) ||
      !points.every((p) =>
        typeof p.method === "string" && Number.isFinite(p.cr) && Number.isFinite(p.maxabs_rel)
      )
    ) {
      return `${path}: dataset "${name}" is not a list of {method, cr, maxabs_rel, ...} points`;
    }
  }
  return { about: String((parsed as Reference).about ?? ""), datasets };
}

/** PSNRs whose SZ3 reference points set the bounds of datasets that have them. */
export const SZ3_BOUND_PSNRS = [50, 60];

/** Relative bounds of datasets without SZ3 reference points. */
export const DEFAULT_RELATIVE_BOUNDS = [1e-2, 1e-3];

/**
 * The relative bounds to test on a dataset: the max errors of SZ3's reference points
 * nearest `psnrs` (within 3 dB) when the reference has SZ3 points for it, else
 * `fallback`. Sorted from loose to tight, duplicates dropped.
 */
export function boundsForDataset(
  points: ReferencePoint[] | undefined,
  psnrs: number[] = SZ3_BOUND_PSNRS,
  fallback: number[] = DEFAULT_RELATIVE_BOUNDS,
): { bounds: number[]; source: string } {
  const sz3 = (points ?? []).filter((p) => p.method === "sz3");
  const picked: number[] = [];
  for (const target of psnrs) {
    let best: ReferencePoint | undefined;
    for (const p of sz3) {
      if (Math.abs(p.psnr - target) > 3) continue;
      if (!best || Math.abs(p.psnr - target) < Math.abs(best.psnr - target)) best = p;
    }
    if (best) picked.push(best.maxabs_rel);
  }
  if (picked.length === 0) {
    return { bounds: sortBounds(fallback), source: "relative bounds (no SZ3 reference points)" };
  }
  return {
    bounds: sortBounds(picked),
    source: `max errors of SZ3's reference points near ${psnrs.join(" and ")} dB`,
  };
}

/** Loose to tight, without duplicates. */
export function sortBounds(bounds: number[]): number[] {
  return [...new Set(bounds)].sort((a, b) => b - a);
}

/** Parse `--bounds 0.0147,0.0041`: positive relative bounds; throws a TypeError otherwise. */
export function parseBounds(text: string): number[] {
  const values = text.split(",").map((v) => v.trim()).filter(Boolean).map(Number);
  if (values.length === 0 || !values.every((v) => Number.isFinite(v) && v > 0)) {
    throw new TypeError(
      `Cannot parse --bounds "${text}": expected positive numbers relative to the range, e.g. 0.0147,0.0041`,
    );
  }
  return sortBounds(values);
}

/**
 * For each reference method (other than `skip`), the point that meets a relative bound
 * with the highest ratio: `maxabs_rel <= bound` (0.1% slack for the rounding of the
 * stored numbers). A method with no point under the bound is left out.
 */
export function referenceAtBound(
  points: ReferencePoint[],
  bound: number,
  skip: string[] = ["zfp"],
): ReferencePoint[] {
  const best = new Map<string, ReferencePoint>();
  for (const p of points) {
    if (skip.includes(p.method) || p.maxabs_rel > bound * 1.001) continue;
    const old = best.get(p.method);
    if (!old || p.cr > old.cr) best.set(p.method, p);
  }
  return [...best.values()];
}

/**
 * Largest integer `e` in `[min, max]` for which `meets(e)` holds, where `meets` is true up
 * to some threshold and false above it (error grows with `e`). Starts at `start`: steps
 * up while the next one still meets, or down until one does. Returns `null` when none in
 * `[min, start]` meets. Each `e` is evaluated at most once.
 *
 * ZFP's fixed-accuracy mode uses only `floor(log2(tol))`, so its tolerance is searched
 * as `2^e` with this.
 */
export async function largestMeeting(
  meets: (e: number) => boolean | Promise<boolean>,
  start: number,
  { min = start - 64, max = start + 64 }: { min?: number; max?: number } = {},
): Promise<number | null> {
  const cache = new Map<number, boolean>();
  const test = async (e: number) => {
    if (!cache.has(e)) cache.set(e, await meets(e));
    return cache.get(e)!;
  };
  let e = Math.min(max, Math.max(min, start));
  if (await test(e)) {
    while (e < max && await test(e + 1)) e++;
    return e;
  }
  while (e > min) {
    e--;
    if (await test(e)) return e;
  }
  return null;
}

/**
 * Largest quantization step whose dequantized float32 output,
 * `fround(min + round((x - min) / step) * step)`, is within `bound` of every finite
 * value of `data`. Starts at `2 * bound` (rounding error at most `step / 2`) and
 * shrinks the step by the measured excess while float32 rounding pushes a value past
 * the bound. Returns the step and the max error it gives.
 */
export function quantStepForBound(
  data: ArrayLike<number>,
  min: number,
  bound: number,
): { step: number; maxAbsError: number } {
  let max = min;
  for (let i = 0; i < data.length; i++) if (data[i] > max) max = data[i];
  let step = 2 * bound;
  // Quantized values must fit the int32 of encodeQuantized.
  for (let attempt = 0; attempt < 60 && (max - min) / step < 2 ** 30; attempt++) {
    const maxAbsError = quantMaxError(data, min, step);
    if (maxAbsError <= bound) return { step, maxAbsError };
    // The excess is float32 rounding (about half an ulp of the value): take it off the
    // half step, then a little more each time it still misses; never more than half.
    step = Math.max(step / 2, step - 2 * (maxAbsError - bound) - step * 2 ** (attempt - 40));
  }
  throw new RangeError(
    `Cannot find a quantization step for max error ${bound}: the bound is below the data's float32 resolution`,
  );
}

/** Max abs error of `fround(min + round((x - min) / step) * step)` over finite `x`. */
export function quantMaxError(data: ArrayLike<number>, min: number, step: number): number {
  let maxAbs = 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (!Number.isFinite(x)) continue;
    const e = Math.abs(Math.fround(min + Math.round((x - min) / step) * step) - x);
    if (e > maxAbs) maxAbs = e;
  }
  return maxAbs;
}
