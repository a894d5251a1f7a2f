// This module is browser compatible.
/**
 * Model coding's checks that the file delivers what its report says: float32 can hold the data at
 * the quality asked (decoders return float32), and the errors of every level measured on what the
 * reader itself returns for the written bytes.
 *
 * @module
 */

import { ErrorTally, float32Rounding, psnr } from "../metrics.ts";
import type { LevelError } from "../read/report.ts";
import { openMrc } from "../read/open.ts";

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Refuses model-mode compression of data that float32, the decoders' output type, cannot hold at
 * the quality asked: values past the float32 range, or a float32 rounding above a tenth of the
 * root-mean-square error the smallest tolerance allows (`sqrt(min tol) * range`, which costs at
 * most 1% of that level's mean squared error). De-normalization itself runs in float64; only the
 * returned values are float32.
 */
export function checkFloat32(
  values: Float32Array | Float64Array,
  missing: Uint8Array | null,
  range: number,
  tol: readonly number[],
): void {
  if (values instanceof Float32Array) return;
  const { rounding, maxAbs } = float32Rounding(values, missing);
  if (maxAbs > FLOAT32_MAX) {
    throw new RangeError(
      `Cannot compress with model coding: values reach ${maxAbs}, past the float32 range (decoders return float32); rescale the data`,
    );
  }
  const allowed = 0.1 * Math.sqrt(Math.min(...tol)) * range;
  if (range > 0 && rounding > allowed) {
    throw new RangeError(
      `Cannot compress with model coding: float32 rounding of the float64 data reaches ${
        rounding.toExponential(3)
      } (values up to ${maxAbs.toExponential(3)}, range ${range.toExponential(3)}), above the ${
        allowed.toExponential(3)
      } the tolerances allow (a tenth of sqrt(tol) x range); decoders return float32: subtract the offset, rescale the data, or use bounded coding`,
    );
  }
}

/**
 * Every level's errors measured on what `openMrc()` returns for `bytes`, against the original
 * values over the valid positions, in original units.
 *
 * @param bytes The written file.
 * @param values The original `T * H * W` values.
 * @param missing `T * H * W`, 1 where a value is missing; null when none is.
 * @param range The data's range, for PSNR.
 * @returns One entry per level, coarsest first.
 */
export async function measureDecoded(
  bytes: Uint8Array,
  values: Float32Array | Float64Array,
  missing: Uint8Array | null,
  range: number,
): Promise<LevelError[]> {
  await using file = await openMrc(bytes);
  const [T, H, W] = file.header.shape;
  // A few million values per decode call, so that memory stays small for long series.
  const span = Math.max(1, Math.floor(2 ** 22 / (H * W)));
  const out: LevelError[] = [];
  for (let k = 0; k < file.levelCount; k++) {
    const tally = new ErrorTally();
    let grid: [number, number] = [0, 0];
    for (let first = 0; first < T; first += span) {
      const d = await file.decode({ level: k, snapshots: [first, Math.min(T, first + span)] });
      const [count, nr, nc] = d.shape;
      grid = [nr, nc];
      for (let t = 0; t < count; t++) {
        for (let i = 0; i < nr; i++) {
          const src = (first + t) * H * W + d.rows[i] * W;
          const dst = (t * nr + i) * nc;
          for (let j = 0; j < nc; j++) {
            const at = src + d.cols[j];
            // Fill values are finite: the mask, not the tally, leaves them out.
            if (missing?.[at]) continue;
            tally.add(values[at], d.data[dst + j]);
          }
        }
      }
    }
    const { rmse, maxAbsError } = tally.stats();
    out.push({ level: k, grid, rmse, psnr: psnr(rmse, range), maxAbsError });
  }
  return out;
}

/**
 * Refuses a file whose decoded output misses the encoder's own measurement by more than float32
 * rounding: the report would claim a quality the file does not deliver.
 */
export function checkMeasured(
  measured: readonly LevelError[],
  expected: readonly LevelError[],
  maxAbs: number,
  range: number,
): void {
  // The reader rounds to float32 once; the encoder measured on float32 normalized values.
  const allowance = 2 * 2 ** -23 * maxAbs + 1e-6 * range;
  for (const m of measured) {
    const e = expected[m.level];
    if (!(m.maxAbsError <= e.maxAbsError + allowance)) {
      throw new RangeError(
        `Cannot compress with model coding: level ${m.level} decodes with a max error of ${m.maxAbsError} where the encoder measured ${e.maxAbsError}; the data's range or offset cannot be represented in float32 (decoders return float32)`,
      );
    }
  }
}
