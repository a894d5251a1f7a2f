// A split coding (BlockCoder.quantizeLevel on one coder, codeQuantizedLevel on another sharing
// its rec and q) gives encodeLevel's bytes and counts, whichever half runs ahead, and the same
// through a worker (BlockPool.codeSplit) as codeBlock on this thread.
import assert from "node:assert";
import {
  BlockCoder,
  type BlockParams,
  ESCAPE,
  type QuantizedBlock,
  quantizedBlock,
  unitPoints,
} from "../../../src/bounded/block_coder.ts";
import { defaultBoundedLevels } from "../../../src/bounded/plan.ts";
import { codeBlock } from "../../../src/encode/code_block.ts";
import { BlockPool } from "../../../src/encode/block_pool.ts";
import { mulberry32 } from "../../../src/random.ts";
import { smooth } from "../_bounded.ts";

/** A rough field: smooth waves, noise, jumps, some values far out (escapes), missing points. */
function roughBlock(n: number, H: number, W: number, seed: number) {
  const random = mulberry32(seed);
  const x = new Float32Array(n * H * W);
  const missing = new Uint8Array(n * H * W);
  for (let t = 0; t < n; t++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const g = (t * H + i) * W + j;
        x[g] = Math.sin(i / 3 + t / 2) * Math.cos(j / 4) + 0.2 * random() + (j > W / 2 ? 1 : 0);
        if (random() < 0.01) x[g] = 1e7 * (random() - 0.5);
        if (i < 3 && j < 4) missing[g] = 1;
      }
    }
  }
  return { x, missing };
}

const cases: [string, Partial<BlockParams> & { n: number; H: number; W: number }][] = [
  ["cubic, key interval 4, odd shape", { n: 9, H: 23, W: 37, keyInterval: 4 }],
  ["linear, key interval 1", { n: 5, H: 32, W: 16, keyInterval: 1, cubic: false }],
  ["cubic, one snapshot", { n: 1, H: 40, W: 41, keyInterval: 8 }],
  ["cubic, key interval 32, a fill value to avoid", { n: 12, H: 17, W: 30, keyInterval: 32 }],
  ["cubic, smooth in time (every mode)", { n: 16, H: 33, W: 40, keyInterval: 8 }],
];

function paramsOf(c: (typeof cases)[number][1], bound: number): BlockParams {
  return {
    levels: defaultBoundedLevels(c.H, c.W),
    keyInterval: 8,
    bound,
    cubic: true,
    ...c,
  };
}

/** Every level of a block coded whole on one coder: bytes, counts and the reconstruction. */
function whole(params: BlockParams, x: Float32Array, missing: Uint8Array) {
  const coder = new BlockCoder(params, missing);
  const levels = Array.from({ length: params.levels }, () => coder.encodeLevel(x));
  return { levels, rec: coder.rec, q: coder.q };
}

/**
 * The same split: the quantizing half runs ahead through all levels first (`ahead`), or only as
 * far as each unit the coding half waits for (lockstep).
 */
function split(params: BlockParams, x: Float32Array, missing: Uint8Array, ahead: boolean) {
  const { n, H, W, levels } = params;
  const quantized: QuantizedBlock = quantizedBlock(n, H, W, levels, false);
  const quantizer = new BlockCoder(params, missing);
  const coder = new BlockCoder(params, missing, {
    rec: quantizer.rec,
    q: quantizer.q,
    levelsDone: 0,
  });
  const stats: ReturnType<BlockCoder["encodeLevel"]>["stats"][] = [];
  let level: Generator<number, (typeof stats)[number], void> | null = null;
  // Runs the quantizing half one step (a snapshot); false when every level is quantized.
  const step = (): boolean => {
    if (level === null) {
      if (quantizer.levelsDone === levels) return false;
      level = quantizer.quantizeLevel(x, quantized);
    }
    const r = level.next();
    if (r.done) {
      stats.push(r.value);
      level = null;
    }
    return true;
  };
  if (ahead) { while (step()); }
  let waits = 0;
  const wait = (units: number) => {
    assert.ok(!ahead, "no wait once everything is quantized");
    waits++;
    while (quantized.progress[0] < units) assert.ok(step(), `unit ${units} is never quantized`);
  };
  const bytes = Array.from({ length: levels }, () => coder.codeQuantizedLevel(quantized, wait));
  while (step());
  return { bytes, stats, rec: quantizer.rec, q: quantizer.q, waits };
}

for (const [name, c] of cases) {
  for (const bound of [1e-3, 3e-2]) {
    Deno.test(`a split coding gives encodeLevel's bytes (${name}, bound ${bound})`, () => {
      const params = paramsOf(c, bound);
      const rough = roughBlock(c.n, c.H, c.W, c.n * 31 + c.W), missing = rough.missing;
      let x: Float32Array = rough.x;
      if (name.includes("smooth")) {
        x = smooth([c.n, c.H, c.W]);
        for (let g = 0; g < x.length; g += 41) x[g] += 0.05 * Math.sin(g);
        x[333] = 1e9; // one escape
      }
      if (name.includes("fill")) {
        // A value that must not be the reconstruction of any other (src/encode's fill mode).
        params.avoid = Math.fround(x[100] + bound / 2);
        x[7] = NaN; // a NaN value: escaped with its bits
        missing.fill(0);
      }
      const want = whole(params, x, missing);
      const escapes = want.levels.reduce((a, l) => a + l.stats.escapes, 0);
      assert.ok(escapes > 0, "the field has escapes");
      if (name.includes("every mode")) {
        for (let m = 0; m < 3; m++) {
          assert.ok(want.levels.some((l) => l.stats.modes[m] > 0), `mode ${m} is used`);
        }
      }
      for (const ahead of [true, false]) {
        const got = split(params, x, missing, ahead);
        const how = ahead ? "quantizing ahead" : "lockstep";
        assert.deepStrictEqual(got.bytes, want.levels.map((l) => l.bytes), `${how}: bytes`);
        assert.deepStrictEqual(got.stats, want.levels.map((l) => l.stats), `${how}: counts`);
        assert.deepStrictEqual(got.rec, want.rec, `${how}: rec`);
        assert.deepStrictEqual(got.q, want.q, `${how}: q`);
        if (!ahead) assert.strictEqual(got.waits, c.n * params.levels, "one wait per unit");
      }
    });
  }
}

Deno.test("a block's units hold n x H x W codes, each level's new points", () => {
  for (const [H, W] of [[23, 37], [32, 16], [1, 9], [64, 65]]) {
    const levels = defaultBoundedLevels(H, W);
    let total = 0;
    for (let k = 0; k < levels; k++) total += unitPoints(H, W, levels, k);
    assert.strictEqual(total, H * W, `${H} x ${W}, ${levels} levels`);
  }
  assert.strictEqual(ESCAPE, 1 << 20);
});

Deno.test("a split coding through a worker gives codeBlock's result", async () => {
  const pool = new BlockPool(1);
  try {
    for (const [, c] of cases.slice(0, 2)) {
      const params = paramsOf(c, 2e-3);
      const { x, missing } = roughBlock(c.n, c.H, c.W, 5);
      const want = codeBlock(params, x, missing);
      const shares: number[] = [];
      const got = await pool.codeSplit(params, x, missing, undefined, (s) => shares.push(s));
      assert.deepStrictEqual(got, want);
      assert.strictEqual(shares.at(-1), 1);
    }
  } finally {
    pool.close();
  }
});

Deno.test("a split coding stops on its signal, its waiting worker ended", async () => {
  const pool = new BlockPool(1);
  try {
    const params = paramsOf({ n: 48, H: 128, W: 128, keyInterval: 8 }, 1e-3);
    const { x, missing } = roughBlock(48, 128, 128, 9);
    const stop = new AbortController();
    const reason = new Error("stopped");
    let shares = 0;
    await assert.rejects(
      pool.codeSplit(params, x, missing, stop.signal, (share) => {
        shares++;
        if (share < 1) stop.abort(reason);
      }),
      (e) => e === reason,
    );
    assert.ok(shares >= 1);
  } finally {
    pool.close(); // ends the worker, which waits for units that never come
  }
});
