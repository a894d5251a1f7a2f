// deno-lint-ignore-file no-control-regex
// (The terminal's escapes are what the bar writes.)
// The progress reporter of the CLI (cli/_progress.ts) on a fake clock: what a terminal and a log
// file get, phase by phase.
import assert from "node:assert";
import { clock, progressReporter } from "../cli/_progress.ts";

function fake(tty: boolean) {
  let t = 0;
  const out: string[] = [];
  const p = progressReporter(false, { tty, now: () => t, write: (s) => void out.push(s) });
  return { p, out, at: (ms: number) => (t = ms) };
}

Deno.test("progressReporter() plain: nothing for a phase under a second, then a line per 10% and per 2 s", () => {
  const { p, out, at } = fake(false);
  p.phase("reading a.nc");
  at(500);
  p.update(0.5);
  at(900);
  p.end();
  assert.deepStrictEqual(out, []); // quick: nothing at all
  at(1000);
  p.phase("coding 8.00 MiB");
  for (let ms = 0; ms <= 20_000; ms += 100) {
    at(1000 + ms);
    p.update(ms / 20_000);
  }
  p.end();
  const lines = out.join("").trim().split("\n");
  assert.ok(lines.length >= 6 && lines.length <= 11, lines.join("\n"));
  assert.match(lines[0], /^coding 8\.00 MiB: 5% \(0:01, about 0:19 left\)$/);
  assert.match(lines[1], /^coding 8\.00 MiB: 15% \(0:03, about 0:17 left\)$/);
  assert.strictEqual(lines[lines.length - 1], "coding 8.00 MiB: done in 20.0 s");
  assert.ok(!lines.some((l) => / 100%/.test(l)));
  assert.doesNotMatch(out.join(""), /\r|\x1b/);
});

Deno.test("progressReporter() terminal: a bar redrawn in place, the time left, and the phase's end", () => {
  const { p, out, at } = fake(true);
  p.phase("coding 8.00 MiB");
  at(2000);
  p.update(0.25);
  at(2050);
  p.update(0.26); // within 0.1 s of the last draw: not drawn
  at(4000);
  p.update(0.5, "trial 2 at bound 0.01", false);
  at(6000);
  p.end();
  assert.deepStrictEqual(out, [
    "\r[######------------------] coding 8.00 MiB: 25% (0:02, about 0:06 left)\x1b[K",
    "\r[############------------] coding 8.00 MiB: trial 2 at bound 0.01 50% (0:04)\x1b[K",
    "\rcoding 8.00 MiB: done in 6.0 s\x1b[K\n",
  ]);
  // Stopped: the line is ended, no "done".
  const b = fake(true);
  b.p.phase("coding");
  b.at(1500);
  b.p.update(0.1);
  b.p.interrupt();
  assert.strictEqual(b.out.at(-1), "\n");
  assert.ok(!b.out.join("").includes("done"));
  // A phase shown at once (a long synchronous write), and one of unknown share.
  const c = fake(false);
  c.p.phase("writing big.nc", true);
  c.at(3000);
  c.p.phase("decoding level 5");
  c.at(5000);
  c.p.update(null);
  c.p.end();
  assert.deepStrictEqual(c.out, [
    "writing big.nc...\n",
    "writing big.nc: done in 3.0 s\n",
    "decoding level 5... (0:02)\n",
    "decoding level 5: done in 2.0 s\n",
  ]);
});

Deno.test("progressReporter() quiet prints nothing; clock() writes m:ss and h:mm:ss", () => {
  const out: string[] = [];
  const p = progressReporter(true, { tty: true, write: (s) => void out.push(s) });
  p.phase("coding", true);
  p.update(0.5);
  p.end();
  assert.deepStrictEqual(out, []);
  assert.strictEqual(clock(0), "0:00");
  assert.strictEqual(clock(65.4), "1:05");
  assert.strictEqual(clock(3725), "1:02:05");
});
