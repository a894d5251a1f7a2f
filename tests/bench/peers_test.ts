import assert from "node:assert";
import { quantPeer, zfpPeer } from "../../bench/peers.ts";
import { errorStats } from "../../bench/metrics.ts";

const shape: [number, number, number] = [8, 17, 19];
const data = new Float32Array(8 * 17 * 19).map((_, i) =>
  Math.sin(i / 37) * 3 + Math.cos(i / 5) * 0.3 + 10
);
const range = 3.6 + 0.6; // close enough: the bound is absolute

Deno.test("quantPeer().runBounded() meets the max-error bound", async () => {
  for (const maxAbsError of [0.05, 1e-3, 1e-5]) {
    const run = await quantPeer().runBounded!(data, shape, { maxAbsError, range });
    assert.ok(errorStats(data, run.decoded, range).maxAbsError <= maxAbsError);
  }
});

const zfpMissing = await zfpPeer(".").unavailable();

Deno.test({
  name: "zfpPeer().runBounded() takes the largest power-of-two tolerance that meets the bound",
  ignore: zfpMissing !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const peer = zfpPeer(dir);
      for (const maxAbsError of [0.05, 2e-3]) {
        const run = await peer.runBounded!(data, shape, { maxAbsError, range });
        assert.ok(errorStats(data, run.decoded, range).maxAbsError <= maxAbsError);
        // Doubling the tolerance misses (or reaches the search's top).
        const tol = Number(run.setting.replace("tol=", ""));
        assert.ok(tol >= maxAbsError / 2, `${run.setting} for bound ${maxAbsError}`);
      }
      await peer.release!(data);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
