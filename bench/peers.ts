/**
 * The methods mrcae is compared with, all on the same float32 `[T, H, W]` data:
 *
 * - `deflate`: lossless fflate deflate, level 9, on the raw little-endian float32 bytes.
 * - `quant+deflate`: uniform scalar quantization (step chosen by bisection to hit a
 *   target PSNR), 2-D Lorenzo prediction per snapshot, zigzag, byte planes, deflate 9.
 * - `svd`: truncated SVD / POD by the method of snapshots; stores the temporal mean,
 *   the leading modes and their coefficients as float32; rank = smallest that meets
 *   the target.
 * - `zfp`: ZFP 1.0 fixed-accuracy mode through the `zfp` command-line tool (Debian
 *   package `zfp`), the array given as 3-D `nx = W, ny = H, nz = T`; tolerance chosen
 *   by bisection to hit the target. Its timings include process start and file I/O.
 *
 * Lossy peers are tuned on the PSNR they actually reach (decompressed output), and
 * settle on the setting with the smallest output whose PSNR is at least the target.
 * At a max-error bound (`runBounded`, quant+deflate and ZFP), they settle on the
 * largest setting whose measured max abs error is at most the bound. Tuning time is
 * not counted in the reported throughput.
 *
 * @module
 */
import { deflateSync, inflateSync } from "npm:fflate@0.8.2";
import { errorStats, rmseForPsnr, valueRange } from "./metrics.ts";
import { largestMeeting, quantStepForBound } from "./bounds.ts";
import { type Pod, podDecompose, podFactors, podReconstruct, podTailEnergy } from "./svd.ts";

/** A matched-error target. */
export interface Target {
  /** PSNR to reach, dB, against `range`. */
  psnr: number;
  /** Value range of the original data. */
  range: number;
}

/** A max-error target: every decoded value within `maxAbsError` of the original. */
export interface Bound {
  /** Largest absolute error allowed, original units. */
  maxAbsError: number;
  /** Value range of the original data. */
  range: number;
}

/** One compression + decompression by a peer. */
export interface PeerRun {
  /** Human-readable parameter, e.g. `step=0.0123` or `rank=12`. */
  setting: string;
  compressedBytes: number;
  decoded: Float32Array;
  compressSeconds: number;
  decompressSeconds: number;
  note?: string;
}

/** A comparison method. */
export interface Peer {
  name: string;
  /** Lossless peers run once and ignore targets. */
  lossless: boolean;
  /** Why the peer cannot run on this machine, or `undefined` when it can. */
  unavailable(): Promise<string | undefined>;
  /** Compress and decompress `data`, meeting `target` when lossy. */
  run(data: Float32Array, shape: [number, number, number], target?: Target): Promise<PeerRun>;
  /**
   * Compress and decompress `data` with the smallest output whose max abs error is at most
   * `bound.maxAbsError`; absent for peers without an error-bounded setting.
   */
  runBounded?(data: Float32Array, shape: [number, number, number], bound: Bound): Promise<PeerRun>;
  /** Drop what the peer cached for `data` (temporary files, decompositions). */
  release?(data: Float32Array): Promise<void>;
}

const now = () => performance.now() / 1000;

function floatBytes(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Find the largest parameter `p` in `[lo, hi]` (error grows with `p`) whose PSNR is at
 * least `target`, by bisection on `log p` after widening the bracket as needed.
 */
async function searchParameter(
  psnrAt: (p: number) => number | Promise<number>,
  lo: number,
  hi: number,
  target: number,
  iterations: number,
): Promise<number> {
  // Widen the bracket (x8 per try) until it straddles the target.
  for (let i = 0; i < 8 && (await psnrAt(hi)) >= target; i++) [lo, hi] = [hi, hi * 8];
  if ((await psnrAt(hi)) >= target) return hi;
  for (let i = 0; i < 8 && (await psnrAt(lo)) < target; i++) [lo, hi] = [lo / 8, lo];
  if ((await psnrAt(lo)) < target) return lo;
  for (let i = 0; i < iterations; i++) {
    const mid = Math.sqrt(lo * hi);
    if ((await psnrAt(mid)) >= target) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Lossless deflate (fflate, level 9) of the raw float32 bytes. */
export function deflatePeer(): Peer {
  return {
    name: "deflate",
    lossless: true,
    unavailable: () => Promise.resolve(undefined),
    run(data) {
      let t0 = now();
      const packed = deflateSync(floatBytes(data), { level: 9 });
      const compressSeconds = now() - t0;
      t0 = now();
      const raw = inflateSync(packed);
      const decoded = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
      const decompressSeconds = now() - t0;
      return Promise.resolve({
        setting: "level=9",
        compressedBytes: packed.length,
        decoded,
        compressSeconds,
        decompressSeconds,
      });
    },
  };
}

/** Header of the quant+deflate stream: min (f64), step (f64), value count (u32). */
const QUANT_HEADER = 20;

/** Quantize, predict (2-D Lorenzo), zigzag, split into byte planes, deflate. */
export function encodeQuantized(
  data: Float32Array,
  shape: [number, number, number],
  step: number,
): Uint8Array {
  const [T, H, W] = shape;
  const { min } = valueRange(data);
  const q = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) q[i] = Math.round((data[i] - min) / step);
  const n = data.length;
  const planes = new Uint8Array(4 * n);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const p = (t * H + i) * W + j;
        // Lorenzo predictor: left + up - up-left, zero outside the snapshot.
        const left = j > 0 ? q[p - 1] : 0;
        const up = i > 0 ? q[p - W] : 0;
        const upLeft = i > 0 && j > 0 ? q[p - W - 1] : 0;
        const d = q[p] - (left + up - upLeft);
        const z = ((d << 1) ^ (d >> 31)) >>> 0;
        // Byte planes: the high bytes are almost all zero and deflate to nothing.
        planes[p] = z & 0xff;
        planes[n + p] = (z >>> 8) & 0xff;
        planes[2 * n + p] = (z >>> 16) & 0xff;
        planes[3 * n + p] = z >>> 24;
      }
    }
  }
  const body = deflateSync(planes, { level: 9 });
  const out = new Uint8Array(QUANT_HEADER + body.length);
  const view = new DataView(out.buffer);
  view.setFloat64(0, min, true);
  view.setFloat64(8, step, true);
  view.setUint32(16, n, true);
  out.set(body, QUANT_HEADER);
  return out;
}

/** Inverse of {@linkcode encodeQuantized}. */
export function decodeQuantized(bytes: Uint8Array, shape: [number, number, number]): Float32Array {
  const [T, H, W] = shape;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const min = view.getFloat64(0, true);
  const step = view.getFloat64(8, true);
  const n = view.getUint32(16, true);
  const planes = inflateSync(bytes.subarray(QUANT_HEADER));
  const q = new Int32Array(n);
  const out = new Float32Array(n);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const p = (t * H + i) * W + j;
        const z = (planes[p] | (planes[n + p] << 8) | (planes[2 * n + p] << 16) |
          (planes[3 * n + p] << 24)) >>> 0;
        const d = (z >>> 1) ^ -(z & 1);
        const left = j > 0 ? q[p - 1] : 0;
        const up = i > 0 ? q[p - W] : 0;
        const upLeft = i > 0 && j > 0 ? q[p - W - 1] : 0;
        q[p] = d + left + up - upLeft;
        out[p] = min + q[p] * step;
      }
    }
  }
  return out;
}

/** Uniform quantization + Lorenzo prediction + deflate, at matched error. */
export function quantPeer(): Peer {
  return {
    name: "quant+deflate",
    lossless: false,
    unavailable: () => Promise.resolve(undefined),
    async run(data, shape, target) {
      if (!target) throw new TypeError("Cannot run quant+deflate: a target is required");
      const { min } = valueRange(data);
      const dequantized = new Float32Array(data.length);
      const psnrAt = (step: number) => {
        for (let i = 0; i < data.length; i++) {
          dequantized[i] = min + Math.round((data[i] - min) / step) * step;
        }
        return errorStats(data, dequantized, target.range).psnr;
      };
      // Uniform quantization error has RMSE step / sqrt(12): start there.
      const guess = rmseForPsnr(target.psnr, target.range) * Math.sqrt(12);
      const step = await searchParameter(psnrAt, guess / 8, guess * 4, target.psnr, 14);
      let t0 = now();
      const bytes = encodeQuantized(data, shape, step);
      const compressSeconds = now() - t0;
      t0 = now();
      const decoded = decodeQuantized(bytes, shape);
      const decompressSeconds = now() - t0;
      return {
        setting: `step=${step.toPrecision(3)}`,
        compressedBytes: bytes.length,
        decoded,
        compressSeconds,
        decompressSeconds,
      };
    },
    runBounded(data, shape, bound) {
      // Rounding to multiples of 2 * bound errs by at most bound; the step shrinks
      // slightly where the float32 rounding of min + q * step would push a value past it.
      const { min } = valueRange(data);
      const { step } = quantStepForBound(data, min, bound.maxAbsError);
      let t0 = now();
      const bytes = encodeQuantized(data, shape, step);
      const compressSeconds = now() - t0;
      t0 = now();
      const decoded = decodeQuantized(bytes, shape);
      const decompressSeconds = now() - t0;
      const shrink = 1 - step / (2 * bound.maxAbsError);
      return Promise.resolve({
        setting: shrink > 0 ? `step=2*bound*(1-${shrink.toExponential(1)})` : "step=2*bound",
        compressedBytes: bytes.length,
        decoded,
        compressSeconds,
        decompressSeconds,
      });
    },
  };
}

/** Truncated SVD (POD) with float32 factors, rank matched to the target. */
export function svdPeer(): Peer {
  // One decomposition per dataset, reused across targets; its time is added to every run.
  const cache = new WeakMap<Float32Array, { pod: Pod; seconds: number }>();
  return {
    name: "svd",
    lossless: false,
    unavailable: () => Promise.resolve(undefined),
    release(data) {
      cache.delete(data);
      return Promise.resolve();
    },
    run(data, shape, target) {
      if (!target) throw new TypeError("Cannot run svd: a target is required");
      const [T, H, W] = shape;
      const P = H * W;
      let entry = cache.get(data);
      if (!entry) {
        const t0 = now();
        const pod = podDecompose(data, T, P);
        entry = { pod, seconds: now() - t0 };
        cache.set(data, entry);
      }
      const { pod } = entry;
      // Smallest rank whose discarded energy fits the error budget (with a little room
      // for the float32 rounding of the stored factors).
      const budget = data.length * rmseForPsnr(target.psnr, target.range) ** 2 * 0.98;
      let rank = 0;
      while (rank < T && podTailEnergy(pod, rank) > budget) rank++;
      for (;;) {
        let t0 = now();
        const bytes = encodeFactors(pod, rank);
        const compressSeconds = entry.seconds + now() - t0;
        t0 = now();
        const decoded = decodeFactors(bytes);
        const decompressSeconds = now() - t0;
        const psnr = errorStats(data, decoded, target.range).psnr;
        if (psnr >= target.psnr || rank >= T) {
          return Promise.resolve({
            setting: `rank=${rank}`,
            compressedBytes: bytes.length,
            decoded,
            compressSeconds,
            decompressSeconds,
            note: psnr >= target.psnr ? undefined : "full rank misses the target",
          });
        }
        rank++;
      }
    },
  };
}

/** rank, T, P (u32 each), then float32 mean (P), modes (rank x P), coefficients (rank x T). */
function encodeFactors(pod: Pod, rank: number): Uint8Array {
  const f = podFactors(pod, rank);
  const { T, P } = pod;
  const values = new Float32Array(P + f.rank * (P + T));
  values.set(pod.mean, 0);
  values.set(f.modes, P);
  values.set(f.coefficients, P + f.rank * P);
  const out = new Uint8Array(12 + values.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, f.rank, true);
  view.setUint32(4, T, true);
  view.setUint32(8, P, true);
  out.set(new Uint8Array(values.buffer), 12);
  return out;
}

function decodeFactors(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rank = view.getUint32(0, true);
  const T = view.getUint32(4, true);
  const P = view.getUint32(8, true);
  const values = new Float32Array(bytes.slice(12).buffer);
  return podReconstruct(
    values.subarray(0, P),
    values.subarray(P, P + rank * P),
    values.subarray(P + rank * P),
    rank,
    T,
    P,
  );
}

/** ZFP fixed-accuracy mode via the `zfp` CLI (Debian package `zfp`). */
export function zfpPeer(tmpDir: string, command = "zfp"): Peer {
  const inputs = new WeakMap<Float32Array, string>();
  let counter = 0;
  const exec = async (args: string[]) => {
    const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
      .output();
    if (out.code !== 0) {
      throw new Error(
        `Cannot run ${command} ${args.join(" ")}: exit ${out.code}: ${
          new TextDecoder().decode(out.stderr).trim()
        }`,
      );
    }
  };
  const dims = ([T, H, W]: [number, number, number]) =>
    T === 1 ? ["-2", `${W}`, `${H}`] : ["-3", `${W}`, `${H}`, `${T}`];
  const readFloats = async (path: string) => {
    const raw = await Deno.readFile(path);
    return new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  };
  const peer: Peer = {
    name: "zfp",
    lossless: false,
    async unavailable() {
      try {
        // `zfp` without arguments prints its usage and exits non-zero; only a missing binary matters.
        await new Deno.Command(command, { stdout: "null", stderr: "null" }).output();
        return undefined;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) {
          return `zfp CLI not found (install the Debian package "zfp": apt-get install zfp)`;
        }
        return `zfp CLI failed to start: ${(err as Error).message}`;
      }
    },
    async release(data) {
      const input = inputs.get(data);
      inputs.delete(data);
      if (input) await Deno.remove(input).catch(() => {});
    },
    async run(data, shape, target) {
      if (!target) throw new TypeError("Cannot run zfp: a target is required");
      const psnr = new Map<number, number>();
      return await withFiles(data, async (files) => {
        // ZFP's accuracy mode only uses floor(log2(tol)) (its `minexp`), so search powers
        // of two: the largest that still meets the target. The RMSE sits well below tol.
        const start = Math.floor(Math.log2(rmseForPsnr(target.psnr, target.range) * 4));
        const e = await largestMeeting(
          async (e) => {
            const decoded = await files.roundTrip(shape, 2 ** e);
            psnr.set(e, errorStats(data, decoded, target.range).psnr);
            return psnr.get(e)! >= target.psnr;
          },
          start,
          { min: -1070, max: 1023 },
        );
        return await files.timed(shape, 2 ** (e ?? -1070));
      });
    },
    async runBounded(data, shape, bound) {
      return await withFiles(data, async (files) => {
        // `-a tol` bounds the error by tol in theory, and is often loose in practice: start
        // at the power of two under the bound and go up while the measured max error still
        // meets it (down, if ZFP ever misses its own bound).
        const start = Math.floor(Math.log2(bound.maxAbsError));
        const e = await largestMeeting(
          async (e) => {
            const decoded = await files.roundTrip(shape, 2 ** e);
            return errorStats(data, decoded, bound.range).maxAbsError <= bound.maxAbsError;
          },
          start,
          { min: start - 30, max: start + 30 },
        );
        if (e === null) {
          throw new RangeError(
            `Cannot meet max error ${bound.maxAbsError} with zfp: tol 2^${start - 30} misses it`,
          );
        }
        return await files.timed(shape, 2 ** e);
      });
    },
  };
  return peer;

  /** Temporary files of one run: the raw input (kept per dataset), the stream, the output. */
  async function withFiles<R>(
    data: Float32Array,
    body: (files: {
      roundTrip(shape: [number, number, number], tol: number): Promise<Float32Array>;
      timed(shape: [number, number, number], tol: number): Promise<PeerRun>;
    }) => Promise<R>,
  ): Promise<R> {
    await Deno.mkdir(tmpDir, { recursive: true });
    let input = inputs.get(data);
    if (!input) {
      input = `${tmpDir}/zfp_in_${Deno.pid}_${counter++}.raw`;
      await Deno.writeFile(input, floatBytes(data));
      inputs.set(data, input);
    }
    const inPath = input;
    const zPath = `${tmpDir}/zfp_${Deno.pid}.zfp`;
    const outPath = `${tmpDir}/zfp_${Deno.pid}.out`;
    try {
      return await body({
        async roundTrip(shape, tol) {
          await exec(
            ["-q", "-f", ...dims(shape), "-a", `${tol}`, "-i", inPath, "-z", zPath, "-o", outPath],
          );
          return await readFloats(outPath);
        },
        async timed(shape, tol) {
          let t0 = now();
          await exec(["-q", "-h", "-f", ...dims(shape), "-a", `${tol}`, "-i", inPath, "-z", zPath]);
          const compressSeconds = now() - t0;
          const compressedBytes = (await Deno.stat(zPath)).size;
          t0 = now();
          await exec(["-q", "-h", "-z", zPath, "-o", outPath]);
          const decoded = await readFloats(outPath);
          const decompressSeconds = now() - t0;
          return {
            setting: `tol=${tol.toPrecision(3)}`,
            compressedBytes,
            decoded,
            compressSeconds,
            decompressSeconds,
            note: "CLI: times include process start and file I/O",
          };
        },
      });
    } finally {
      await Deno.remove(zPath).catch(() => {});
      await Deno.remove(outPath).catch(() => {});
    }
  }
}

/** All peers, in table order. */
export function allPeers(tmpDir: string): Peer[] {
  return [deflatePeer(), quantPeer(), svdPeer(), zfpPeer(tmpDir)];
}
