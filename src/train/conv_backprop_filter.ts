/**
 * A `Conv2DBackpropFilter` kernel built from high-level TensorFlow.js ops, for
 * backends that lack one (tfjs-backend-wasm 4.22.0 has none, so training a
 * conv there fails with "Kernel 'Conv2DBackpropFilter' not registered").
 *
 * The filter gradient of a strided conv is itself a conv: with the batch moved
 * to the channel axis, correlate the input with the output gradient used as
 * the filter, dilated by the stride; the first `kh x kw` outputs are the
 * gradient. Ops called inside a kernel are not recorded on the gradient tape.
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";

/** Attributes tfjs passes to `Conv2DBackpropFilter`. */
interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | number[][];
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: string;
  filterShape: [number, number, number, number];
}

/**
 * Computes `dW[a][b][ci][co] = sum_{n,i,j} x[n][s*i+a-p][s*j+b-p][ci] * dy[n][i][j][co]`
 * (NHWC, "valid" or explicit/number padding) with ops available on every backend.
 *
 * @param x Conv input `[N, H, W, Cin]`.
 * @param dy Output gradient `[N, Ho, Wo, Cout]`.
 * @param attrs The kernel attributes.
 * @returns The filter gradient `[kh, kw, Cin, Cout]`.
 */
export function conv2dBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: BackpropFilterAttrs,
): tf.Tensor4D {
  const [kh, kw] = attrs.filterShape;
  const [sh, sw] = typeof attrs.strides === "number"
    ? [attrs.strides, attrs.strides]
    : attrs.strides;
  if (attrs.dataFormat !== "NHWC") {
    throw new TypeError(`Cannot compute Conv2DBackpropFilter: dataFormat "${attrs.dataFormat}"`);
  }
  return tf.tidy(() => {
    let input = x;
    const pad = attrs.pad;
    if (typeof pad === "number" && pad > 0) {
      input = tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]);
    } else if (Array.isArray(pad)) {
      input = tf.pad(x, pad as [number, number][]);
    } else if (pad === "same") {
      const [, h, w] = x.shape;
      const [, ho, wo] = dy.shape;
      const ph = Math.max(0, (ho - 1) * sh + kh - h);
      const pw = Math.max(0, (wo - 1) * sw + kw - w);
      const top = Math.floor(ph / 2);
      const left = Math.floor(pw / 2);
      input = tf.pad(x, [[0, 0], [top, ph - top], [left, pw - left], [0, 0]]);
    }
    // [N, H, W, Cin] -> [Cin, H, W, N]: the batch becomes the channel axis.
    const xt = tf.transpose(input, [3, 1, 2, 0]);
    // [N, Ho, Wo, Cout] -> [Ho, Wo, N, Cout]: a filter summing over the batch.
    const dyt = tf.transpose(dy, [1, 2, 0, 3]);
    const [, hp, wp] = xt.shape;
    const [ho, wo] = dyt.shape;
    // Crop the input to what the last output row/column touches, so the conv's
    // output starts at offset 0 and is at least kh x kw.
    const needH = (ho - 1) * sh + kh;
    const needW = (wo - 1) * sw + kw;
    const xc = hp > needH || wp > needW
      ? tf.slice(xt, [0, 0, 0, 0], [-1, Math.min(hp, needH), Math.min(wp, needW), -1])
      : xt;
    const g = tf.conv2d(xc as tf.Tensor4D, dyt as tf.Tensor4D, 1, "valid", "NHWC", [sh, sw]);
    const gc = tf.slice(g, [0, 0, 0, 0], [-1, kh, kw, -1]);
    // [Cin, kh, kw, Cout] -> [kh, kw, Cin, Cout]
    return tf.transpose(gc, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/**
 * Registers {@link conv2dBackpropFilter} as `Conv2DBackpropFilter` for a backend
 * that has none. Does nothing when the backend already has the kernel.
 *
 * @param backendName A registered backend, e.g. `"wasm"`.
 * @returns `true` when the kernel was added.
 */
export function ensureConv2dBackpropFilter(backendName: string): boolean {
  if (tf.getKernel("Conv2DBackpropFilter", backendName) !== undefined) return false;
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName,
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as unknown as { x: tf.Tensor4D; dy: tf.Tensor4D };
      // Returning a Tensor (not a bare TensorInfo) lets the engine adopt it as is.
      return conv2dBackpropFilter(
        x,
        dy,
        attrs as unknown as BackpropFilterAttrs,
      ) as unknown as tf.TensorInfo;
    },
  });
  return true;
}
