/**
 * Gradient functions for the kernels the trainer differentiates.
 *
 * `@tensorflow/tfjs-core` registers its gradients from a side-effect module
 * (`dist/register_all_gradients.js`) written as extensionless ESM, which Deno
 * cannot load, and its bundles carry no gradients. These follow the upstream
 * definitions (tfjs-core 4.22.0 `src/gradients/*_grad.ts`) for exactly the
 * kernels on the path from the variables to the loss. A gradient already
 * registered (by someone loading tfjs's own) is left alone.
 */
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";

type Saved = tf.Tensor[];
type Attrs = Record<string, unknown>;

/** Sums `dy` over the axes broadcast from `shape` to `dy.shape`. */
function unbroadcast(dy: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, dy.shape);
  return axes.length > 0 ? tf.reshape(tf.sum(dy, axes), shape) : dy;
}

function parseAxes(axis: unknown, rank: number): number[] {
  if (axis === null || axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = Array.isArray(axis) ? axis as number[] : [axis as number];
  return list.map((a) => (a < 0 ? a + rank : a));
}

/** `dy` of a reduction, reshaped to keep the reduced dims so it broadcasts onto `x`. */
function keepDims(dy: tf.Tensor, xShape: number[], axes: number[]): tf.Tensor {
  const shape = xShape.map((d, i) => (axes.includes(i) ? 1 : d));
  return tf.reshape(dy, shape);
}

const configs: tf.GradConfig[] = [
  {
    kernelName: "Add",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved: Saved) => ({
      a: () => unbroadcast(dy as tf.Tensor, saved[0].shape),
      b: () => unbroadcast(dy as tf.Tensor, saved[1].shape),
    }),
  },
  {
    kernelName: "AddN",
    saveAllInputs: true,
    gradFunc: (dy, saved: Saved) => {
      const ders: Record<string, () => tf.Tensor> = {};
      saved.forEach((_, i) => (ders[i] = () => (dy as tf.Tensor).clone()));
      return ders;
    },
  },
  {
    kernelName: "Multiply",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved: Saved) => ({
      a: () => unbroadcast(tf.mul(dy as tf.Tensor, saved[1]), saved[0].shape),
      b: () => unbroadcast(tf.mul(dy as tf.Tensor, saved[0]), saved[1].shape),
    }),
  },
  {
    kernelName: "RealDiv",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved: Saved) => {
      const [a, b] = saved;
      return {
        a: () => unbroadcast(tf.div(dy as tf.Tensor, b), a.shape),
        b: () => unbroadcast(tf.neg(tf.div(tf.mul(dy as tf.Tensor, a), tf.square(b))), b.shape),
      };
    },
  },
  {
    kernelName: "SquaredDifference",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved: Saved) => {
      const [a, b] = saved;
      return {
        a: () => tf.mul(dy as tf.Tensor, tf.mul(2, tf.sub(a, b))),
        b: () => tf.mul(dy as tf.Tensor, tf.mul(2, tf.sub(b, a))),
      };
    },
  },
  {
    kernelName: "Sum",
    inputsToSave: ["x"],
    gradFunc: (dy, saved: Saved, attrs: Attrs) => {
      const x = saved[0];
      const axes = parseAxes(attrs.axis, x.rank);
      return { x: () => tf.mul(keepDims(dy as tf.Tensor, x.shape, axes), tf.onesLike(x)) };
    },
  },
  {
    kernelName: "Mean",
    inputsToSave: ["x"],
    gradFunc: (dy, saved: Saved, attrs: Attrs) => {
      const x = saved[0];
      const axes = parseAxes(attrs.axis, x.rank);
      const size = axes.reduce((s, a) => s * x.shape[a], 1);
      return {
        x: () => tf.div(tf.mul(keepDims(dy as tf.Tensor, x.shape, axes), tf.onesLike(x)), size),
      };
    },
  },
  {
    kernelName: "Max",
    inputsToSave: ["x"],
    outputsToSave: [true],
    gradFunc: (dy, saved: Saved, attrs: Attrs) => {
      const [x, y] = saved;
      const axes = parseAxes(attrs.reductionIndices, x.rank);
      return {
        x: () =>
          tf.mul(
            keepDims(dy as tf.Tensor, x.shape, axes),
            tf.cast(tf.equal(x, keepDims(y, x.shape, axes)), "float32"),
          ),
      };
    },
  },
  {
    kernelName: "Slice",
    inputsToSave: ["x"],
    gradFunc: (dy, saved: Saved, attrs: Attrs) => {
      const x = saved[0];
      const begin = attrs.begin as number[];
      const size = (attrs.size as number[]).map((s, i) => (s === -1 ? x.shape[i] - begin[i] : s));
      const pads = x.shape.map((d, i) => [begin[i], d - begin[i] - size[i]] as [number, number]);
      return { x: () => tf.pad(dy as tf.Tensor, pads) };
    },
  },
  {
    kernelName: "Concat",
    saveAllInputs: true,
    gradFunc: (dy, saved: Saved, attrs: Attrs) => {
      const axis = parseAxes(attrs.axis, saved[0].rank)[0];
      const sizes = saved.map((t) => t.shape[axis]);
      const parts = tf.split(dy as tf.Tensor, sizes, axis);
      const ders: Record<string, () => tf.Tensor> = {};
      parts.forEach((p, i) => (ders[i] = () => p));
      return ders;
    },
  },
  {
    kernelName: "Conv2D",
    inputsToSave: ["x", "filter"],
    gradFunc: (dy, saved: Saved, attrs: Attrs) => {
      const [x, filter] = saved as tf.Tensor4D[];
      const { strides, pad, dataFormat, dimRoundingMode } = attrs;
      return {
        x: () =>
          tf.engine().runKernel("Conv2DBackpropInput", { dy: dy as tf.Tensor, filter }, {
            strides,
            pad,
            dataFormat,
            dimRoundingMode,
            inputShape: x.shape,
          } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor,
        filter: () =>
          tf.engine().runKernel("Conv2DBackpropFilter", { x, dy: dy as tf.Tensor }, {
            strides,
            pad,
            dataFormat,
            dimRoundingMode,
            filterShape: filter.shape,
          } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor,
      };
    },
  },
  {
    kernelName: "Conv2DBackpropInput",
    inputsToSave: ["dy", "filter"],
    gradFunc: (ddx, saved: Saved, attrs: Attrs) => {
      const [dy, filter] = saved as tf.Tensor4D[];
      const { strides, pad, dataFormat, dimRoundingMode } = attrs;
      return {
        dy: () =>
          tf.engine().runKernel("Conv2D", { x: ddx as tf.Tensor, filter }, {
            strides,
            pad,
            dataFormat,
            dilations: 1,
            dimRoundingMode,
          } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor,
        filter: () =>
          tf.engine().runKernel("Conv2DBackpropFilter", { x: ddx as tf.Tensor, dy }, {
            strides,
            pad,
            dataFormat,
            dimRoundingMode,
            filterShape: filter.shape,
          } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor,
      };
    },
  },
];

let registered = false;

/** Registers the gradients above (once; skips kernels that already have one). */
export function ensureGradients(): void {
  if (registered) return;
  registered = true;
  for (const c of configs) {
    if (tf.getGradient(c.kernelName) === undefined) tf.registerGradient(c);
  }
}
