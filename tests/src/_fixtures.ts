/** Small fields and one shared compressed file for the codec tests (trained once per process). */
import { compress } from "../../mod.ts";

/** A smooth travelling wave plus a sharp blob, `[T, H, W]`, deterministic. */
export function smallField(T: number, H: number, W: number): Float32Array {
  const out = new Float32Array(T * H * W);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const x = j / W, y = i / H;
        const blob = Math.exp(-((x - 0.7) ** 2 + (y - 0.3) ** 2) / 0.004) * Math.cos(0.9 * t);
        out[(t * H + i) * W + j] = 3 +
          Math.sin(2 * Math.PI * (x + 0.05 * t)) * Math.cos(Math.PI * y) + blob;
      }
    }
  }
  return out;
}

export const SHAPE: [number, number, number] = [10, 27, 37];
export const TOL = [2e-3, 1e-3, 5e-4];
let cached: Promise<{ data: Float32Array; bytes: Uint8Array }> | null = null;

/** The shared model-mode file: SHAPE, 3 levels, blocks of 4 snapshots, trained for a few steps on cpu. */
export function sharedFile(): Promise<{ data: Float32Array; bytes: Uint8Array }> {
  cached ??= (async () => {
    const data = smallField(...SHAPE);
    const bytes = await compress(data, SHAPE, {
      coding: "model",
      levels: 3,
      tol: TOL,
      steps: 40,
      batch: 8,
      blockSize: 4,
      backend: "cpu",
      seed: 1,
    });
    return { data, bytes };
  })();
  return cached;
}

/** A local HTTP server that answers Range requests for `bytes`, counting what it sends. */
export function rangeServer(bytes: Uint8Array): {
  url: (name: string) => string;
  /** Bytes sent so far, and every range asked for. */
  served: () => number;
  ranges: [number, number][];
  shutdown: () => Promise<void>;
} {
  let served = 0;
  const ranges: [number, number][] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.get("range") ?? "");
    if (req.method === "HEAD") {
      return new Response(null, { headers: { "content-length": String(bytes.length) } });
    }
    if (!range) {
      served += bytes.length;
      return new Response(bytes.slice());
    }
    const start = Number(range[1]), end = Math.min(Number(range[2]), bytes.length - 1);
    served += end - start + 1;
    ranges.push([start, end]);
    return new Response(bytes.slice(start, end + 1), {
      status: 206,
      headers: { "content-range": `bytes ${start}-${end}/${bytes.length}` },
    });
  });
  return {
    url: (name) => `http://127.0.0.1:${server.addr.port}/${name}`,
    served: () => served,
    ranges,
    shutdown: () => server.shutdown(),
  };
}

/** A stream that delivers `bytes` in pieces of `piece` bytes. */
export function streamOf(bytes: Uint8Array, piece = 97): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + piece));
      at += piece;
    },
  });
}

/**
 * The tests that train a model (TensorFlow.js: model mode, the trainer, its gradient check), which
 * take most of the suite's time. `deno task test:fast` sets `MRCAE_SKIP_TRAINING=1`: they are then
 * reported as ignored, and every other test runs.
 */
export const training = {
  /** True under `deno task test:fast`. */
  skip: Deno.env.get("MRCAE_SKIP_TRAINING") === "1",
  /** `Deno.test(name, fn)`, ignored when {@linkcode training.skip}. */
  test(name: string, fn: () => Promise<void>): void {
    Deno.test({ name, ignore: training.skip, fn });
  },
};
