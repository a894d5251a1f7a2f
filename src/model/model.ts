// This module is browser compatible.
/**
 * The trained MrCAE network as plain typed arrays: the contract between the
 * training engine (`src/train/`, TensorFlow.js) and the pure-TypeScript encoder
 * and decoder (`ops.ts`, `level_decoder.ts`).
 *
 * Geometry. Level `k` works on an `H_k x W_k` grid with odd sizes and
 * `H_k = 2 * H_{k-1} + 1`. Its latent grid is `((H_k - 1) / 2) x ((W_k - 1) / 2)`,
 * which for `k > 0` equals the level-(k-1) grid.
 *
 * Encoding an input `x` on the finest grid (level `N-1`), all linear:
 * - `h_{N-1} = x`; for `k = N-1 .. 1`: `h_{k-1} = conv(levels[k].conv, h_k)`
 *   (3x3, stride 2, no padding, one channel in, one out, plus bias);
 * - the base code is `z_0 = conv(levels[0].conv, h_0)` (level-0 latent grid);
 * - the code of level `k`, group `g`, channel `c` is
 *   `mask_{k,g} * (convBias_{g,c} + conv(kernel_{g,c}, h_k))` (level-k latent grid).
 *
 * Decoding, also linear:
 * - `y_0 = deconvPadded(levels[0].deconv, z_0) + sum_g (deconvBias_g + sum_c deconv(kernel_{g,c}, z_{0,g,c}))`
 *   where `deconv` is a plain 3x3 stride-2 transposed convolution (`n -> 2n + 1`) and
 *   `deconvPadded` is defined below;
 * - `y_k = deconvPadded(levels[k].deconv, y_{k-1}) + sum_g (deconvBias_g + sum_c deconv(kernel_{g,c}, z_{k,g,c}))`
 *   where `deconvPadded` pads its input by one pixel on every side by replicating
 *   edges, applies the stride-2 transposed convolution and crops two pixels from
 *   every side (`n -> 2n + 1`), as in the authors' code.
 * - Every deconv adds its bias once to every output pixel (group deconvs too,
 *   even where the mask is empty).
 *
 * Kernels are row-major 3x3 (`k[3 * dy + dx]`), in the "correlation" sense for
 * conv: `out[i][j] = bias + sum k[3*dy+dx] * in[2i+dy][2j+dx]`, and in the
 * "scatter" sense for deconv: `out[2i+dy][2j+dx] += k[3*dy+dx] * in[i][j]`.
 * These are exactly TensorFlow.js `conv2d(x, filter [3,3,1,1], 2, "valid")` and
 * `conv2dTranspose(x, filter [3,3,1,1], outShape, 2, "valid")` with the kernel
 * laid out `[dy][dx]`. Every `d(k)`, level 0 included, is padded: a plain transposed convolution
 * gives the border pixels only the outer taps, which no kernel can repair (the authors' code pads
 * at every level).
 *
 * @module
 */

/** A 3x3 single-channel filter and its bias. */
export interface Filter {
  /** 9 weights, row-major `[dy][dx]`. */
  kernel: Float32Array;
  /** Added once to every output value. */
  bias: number;
}

/** One widening group of `m = channels` masked pathways at one level. */
export interface GroupModel {
  /** Number of channels `m` of this group. */
  channels: number;
  /** Encoder kernels, `m * 9`, channel-major (`[c][dy][dx]`): level grid -> latent grid, channel c. */
  convKernels: Float32Array;
  /** Encoder biases, one per channel (applied before the mask). */
  convBias: Float32Array;
  /** Decoder kernels, `m * 9`, channel-major: latent grid channel c -> level grid (summed over c). */
  deconvKernels: Float32Array;
  /** The group decoder's single bias, added to every level-grid pixel. */
  deconvBias: number;
  /** Latent-grid mask, `latentH * latentW`, 1 where the group is applied. Same for every snapshot. */
  mask: Uint8Array;
}

/** Everything of one level. */
export interface LevelModel {
  /** Level grid `[H_k, W_k]`. */
  grid: [number, number];
  /** Latent grid `[(H_k - 1) / 2, (W_k - 1) / 2]`. */
  latent: [number, number];
  /** `c(k)`: level-k grid -> latent grid (for level 0 this produces the base code). */
  conv: Filter;
  /** `d(k)`: a padded deconv of the base code (level 0) or of `y_{k-1}` (levels above). */
  deconv: Filter;
  /** Widening groups in training order. */
  groups: GroupModel[];
}

/** A trained network, coarse to fine. `levels[levels.length - 1].grid` is the finest (stored) grid. */
export interface MrcaeModel {
  levels: LevelModel[];
}

/** Level grids from the finest grid: `[coarsest, ..., finest]`. Throws a RangeError when a grid is invalid. */
export function levelGrids(finest: [number, number], levels: number): [number, number][] {
  const grids: [number, number][] = [finest];
  for (let k = 1; k < levels; k++) {
    const [h, w] = grids[0];
    if (h % 2 === 0 || w % 2 === 0) {
      throw new RangeError(
        `Cannot build ${levels} levels from grid ${finest[0]}x${finest[1]}: ${h}x${w} is even`,
      );
    }
    grids.unshift([(h - 1) / 2, (w - 1) / 2]);
  }
  const [h0, w0] = grids[0];
  if (h0 < 3 || w0 < 3 || h0 % 2 === 0 || w0 % 2 === 0) {
    throw new RangeError(
      `Cannot build ${levels} levels from grid ${finest[0]}x${
        finest[1]
      }: level 0 would be ${h0}x${w0} (needs odd sizes >= 3)`,
    );
  }
  return grids;
}
