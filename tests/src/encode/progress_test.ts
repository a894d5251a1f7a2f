import assert from "node:assert";
import { type CodingProgress, compress } from "../../../src/encode/compress.ts";
import { smallField } from "../_fixtures.ts";

function noise(n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0, s = 7; i < n; i++) out[i] = (s = (s * 16807) % 2147483647) / 2 ** 31;
  return out;
}

Deno.test("compress() onCodingProgress: shares rise to 1 per trial, the bytes are those without it", async () => {
  const shape = [40, 96, 96] as const;
  const data = noise(shape[0] * shape[1] * shape[2]);
  for (const threads of [1, 2]) {
    const seen: CodingProgress[] = [];
    const options = { relErrorBound: 1e-4, blockSize: 8, threads, reproducible: true };
    const withProgress = await compress(data, [...shape], {
      ...options,
      onCodingProgress: (e) => void seen.push({ ...e }),
    });
    const without = await compress(data, [...shape], options);
    assert.deepStrictEqual(withProgress, without, `threads ${threads}`);
    assert.ok(seen.length >= 2, `threads ${threads}: ${seen.length} events`);
    assert.strictEqual(seen[0].done, 0);
    assert.strictEqual(seen[seen.length - 1].done, 1);
    for (let i = 1; i < seen.length; i++) {
      assert.ok(seen[i].done >= seen[i - 1].done, `threads ${threads}: not monotonic at ${i}`);
      assert.ok(seen[i].elapsed >= seen[i - 1].elapsed);
    }
    assert.ok(seen.every((e) => e.trial === 1));
  }
  // A psnr search: each trial starts at 0 and ends at 1, at its own bound.
  const field = smallField(8, 33, 33);
  const trials = new Map<number, CodingProgress[]>();
  await compress(field, [8, 33, 33], {
    psnr: 70,
    onCodingProgress: (e) => void trials.set(e.trial, [...trials.get(e.trial) ?? [], { ...e }]),
  });
  assert.ok(trials.size >= 2, `${trials.size} trials`);
  for (const [trial, events] of trials) {
    assert.strictEqual(events[0].done, 0, `trial ${trial}`);
    assert.strictEqual(events[events.length - 1].done, 1, `trial ${trial}`);
    assert.ok(events.every((e) => e.bound === events[0].bound));
  }
});

Deno.test("compress() stops on its signal inside one block coded on this thread", async () => {
  // One block of noise at a tight bound: seconds of coding.
  const shape = [32, 256, 256];
  const data = noise(shape[0] * shape[1] * shape[2]);
  const controller = new AbortController();
  let aborted = 0;
  setTimeout(() => {
    aborted = performance.now();
    controller.abort(new Error("stop"));
  }, 300);
  const start = performance.now();
  await assert.rejects(
    compress(data, shape, {
      relErrorBound: 1e-5,
      blockSize: 32,
      threads: 1,
      signal: controller.signal,
    }),
    /stop/,
  );
  const late = performance.now() - aborted;
  // Yields every 0.1 s: the abort is seen within a few of them (slack for a loaded machine).
  assert.ok(aborted > 0 && late < 600, `rejected ${late.toFixed(0)} ms after the abort`);
  assert.ok(performance.now() - start < 2000);
});
