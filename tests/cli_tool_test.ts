// deno-lint-ignore-file no-control-regex
// (The bar test matches the terminal escapes the progress bar writes.)
// The CLI as a serious tool (issue 22): progress on stderr, Ctrl-C inside a block (also when the
// shell started it with SIGINT ignored), `ls`, `--select` by coordinate value and date, time
// moved first, unknown output extensions, bounds at full precision, help, `--version`,
// suggestions for mistyped options, and model coding's warning. Each runs `deno run cli.ts` in a
// child process, as a user does.
import assert from "node:assert";
import { encodeNpy, parseNpy } from "../src/io/npy.ts";
import { smallField } from "./src/_fixtures.ts";
import { CF, cfValue, hasNcgen, writeCfFixture } from "./_cf_fixture.ts";
import { readNetcdf } from "../src/io/netcdf/mod.ts";
import { compress } from "../mod.ts";
import config from "../deno.json" with { type: "json" };

const cli = new URL("../cli.ts", import.meta.url).pathname;
const posix = Deno.build.os !== "windows";
const PERMISSIONS = ["--allow-read", "--allow-write", "--allow-env", "--allow-sys"];
const ncgen = await hasNcgen();
if (!ncgen) console.log("note: ncgen (Debian's netcdf-bin) not found: netCDF CLI tests skipped");

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(...args: string[]): Promise<Result> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, cli, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** One line on stderr, `error: ...`, exit code 1, matching `pattern`. */
function assertOneLineError(r: Result, pattern: RegExp): void {
  assert.strictEqual(r.code, 1, `exit code ${r.code}, stderr:\n${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  assert.strictEqual(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], pattern);
}

async function inTemporaryFolder(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mrcae-tool-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Seeded uniform noise: slow to code at a tight bound, so a run lasts seconds. */
function noise(n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0, s = 1; i < n; i++) out[i] = (s = (s * 16807) % 2147483647) / 2 ** 31;
  return out;
}

/** Names in `dir`. */
async function names(dir: string): Promise<string[]> {
  const out = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

/** A child's stderr, read as it comes: up to a pattern, then to its end. */
class Stderr {
  text = "";
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #dec = new TextDecoder();
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }
  /** Reads until `pattern` matches what was read (true), or to the stream's end (false). */
  async until(pattern: RegExp): Promise<boolean> {
    while (!pattern.test(this.text)) {
      const { value, done } = await this.#reader.read();
      if (done) return false;
      this.text += this.#dec.decode(value, { stream: true });
    }
    return true;
  }
  /** Reads to the end. */
  async rest(): Promise<void> {
    await this.until(/(?!)/);
  }
  /** Stops reading. */
  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}

Deno.test({
  name:
    "cli.ts compress stops within a second on SIGINT inside one large block on one thread, also when started with SIGINT ignored: exit 130, nothing written",
  ignore: !posix,
  fn: () =>
    inTemporaryFolder(async (dir) => {
      const [T, H, W] = [96, 256, 256];
      await Deno.writeFile(`${dir}/in.npy`, encodeNpy(noise(T * H * W), [T, H, W]));
      const args = [
        "run",
        ...PERMISSIONS,
        cli,
        "compress",
        `${dir}/in.npy`,
        "-o",
        `${dir}/out.mrc`,
        ...["--block", String(T), "--threads", "1", "--rel-error-bound", "1e-4"],
      ];
      // `trap "" INT; exec ...`: what `cmd &` in a script (or `timeout -s INT`) gives a process,
      // SIGINT ignored on entry. Before, such a run ignored the signal and wrote the file.
      for (const ignored of [false, true]) {
        const child = new Deno.Command("sh", {
          args: ["-c", `${ignored ? 'trap "" INT; ' : ""}exec "$0" "$@"`, Deno.execPath(), ...args],
          stdout: "null",
          stderr: "piped",
          env: { NO_COLOR: "1" },
        }).spawn();
        // Wait until coding runs (its progress line comes after its first second).
        const err = new Stderr(child.stderr);
        await err.until(/coding .*%/);
        assert.match(err.text, /^coding 24\.00 MiB: \d+% \(0:0\d/m);
        const sent = performance.now();
        child.kill("SIGINT");
        const rest = err.rest();
        const status = await child.status;
        const ms = performance.now() - sent;
        await rest;
        const stderr = err.text;
        assert.strictEqual(status.code, 130, stderr);
        // Within a second: slack for a machine shared by several test runs.
        assert.ok(ms < 1500, `exited ${ms.toFixed(0)} ms after SIGINT (ignored: ${ignored})`);
        assert.match(stderr, /^error: .*out\.mrc: interrupted \(SIGINT\), not written$/m);
        assert.deepStrictEqual(await names(dir), ["in.npy"]);
      }
    }),
});

Deno.test({
  name: "cli.ts compress stops on SIGINT while workers code blocks (--threads 2): exit 130",
  ignore: !posix,
  fn: () =>
    inTemporaryFolder(async (dir) => {
      // About 8 s of coding on this 2-core machine: a faster one is still coding after a second.
      const [T, H, W] = [256, 192, 192];
      await Deno.writeFile(`${dir}/in.npy`, encodeNpy(noise(T * H * W), [T, H, W]));
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...PERMISSIONS,
          cli,
          "compress",
          `${dir}/in.npy`,
          "-o",
          `${dir}/out.mrc`,
          ...["--block", "32", "--threads", "2", "--rel-error-bound", "1e-4"],
        ],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const err = new Stderr(child.stderr);
      await err.until(/coding .*%/);
      const sent = performance.now();
      child.kill("SIGINT");
      await err.cancel();
      const status = await child.status;
      assert.strictEqual(status.code, 130);
      assert.ok(performance.now() - sent < 1500);
      assert.deepStrictEqual(await names(dir), ["in.npy"]);
    }),
});

Deno.test({
  name:
    "cli.ts decompress stops on SIGINT while it decodes, also started with SIGINT ignored: exit 130, nothing written",
  ignore: !posix,
  fn: () =>
    inTemporaryFolder(async (dir) => {
      // The decode must still run when its first progress line shows (a second into it). A
      // machine fast enough to finish first gets 4 times the snapshots, then 16 times (CI once
      // decoded 96 snapshots on 2 threads in under a second and exited 0 before the signal).
      let coded = 0; // the snapshots in.mrc holds: coded once for both thread counts
      for (const threads of ["1", "2"]) {
        let interrupted = false;
        for (let T = 96; !interrupted && T <= 96 * 16; T *= 4) {
          if (coded !== T) {
            await codeNoise(dir, T);
            coded = T;
          }
          interrupted = await interruptDecode(dir, threads);
        }
        assert.ok(interrupted, `threads ${threads}: every decode ended within its first second`);
      }
    }),
});

/** Codes noise of `T` x 256 x 256 snapshots into `dir`/in.mrc (slow to decode at 1e-4). */
async function codeNoise(dir: string, T: number): Promise<void> {
  const [H, W] = [256, 256];
  await Deno.writeFile(`${dir}/in.npy`, encodeNpy(noise(T * H * W), [T, H, W]));
  const c = await run(
    "compress",
    `${dir}/in.npy`,
    "-o",
    `${dir}/in.mrc`,
    ...["--block", "8", "--rel-error-bound", "1e-4", "--quiet", "--force"],
  );
  assert.strictEqual(c.code, 0, c.stderr);
}

/**
 * Decodes `dir`/in.mrc with SIGINT ignored on entry, and sends SIGINT once the decode shows its
 * progress: false if it ended before (too fast for the test), else asserts exit 130 and nothing
 * written.
 */
async function interruptDecode(dir: string, threads: string): Promise<boolean> {
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      'trap "" INT; exec "$0" "$@"',
      Deno.execPath(),
      "run",
      ...PERMISSIONS,
      cli,
      "decompress",
      `${dir}/in.mrc`,
      "-o",
      `${dir}/out.npy`,
      "--threads",
      threads,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Until the decode shows its time (after its first second).
  const err = new Stderr(child.stderr);
  await err.until(/^decoding level/m);
  if (!/^decoding level .*\.\.\./m.test(err.text)) {
    // Ended (or about to) before its first progress line: a decode too short to interrupt.
    await err.cancel();
    const status = await child.status;
    assert.strictEqual(status.code, 0, err.text);
    await Deno.remove(`${dir}/out.npy`);
    return false;
  }
  const sent = performance.now();
  child.kill("SIGINT");
  const rest = err.rest();
  const status = await child.status;
  await rest;
  const stderr = err.text;
  if (status.code === 0 && /done in/.test(stderr)) {
    // The signal came as the last snapshot was decoded and the file renamed: legal, and
    // nothing to check but the file; try a longer decode.
    await Deno.remove(`${dir}/out.npy`);
    return false;
  }
  assert.strictEqual(status.code, 130, stderr);
  assert.ok(performance.now() - sent < 1500, `threads ${threads}`);
  assert.match(stderr, /^error: .*out\.npy: interrupted \(SIGINT\), not written$/m);
  assert.deepStrictEqual(await names(dir), ["in.mrc", "in.npy"]);
  return true;
}

Deno.test("cli.ts compress shows progress on stderr as plain lines (not a terminal), none with --quiet", () =>
  inTemporaryFolder(async (dir) => {
    const [T, H, W] = [64, 256, 256];
    await Deno.writeFile(`${dir}/in.npy`, encodeNpy(noise(T * H * W), [T, H, W]));
    const common = ["--threads", "1", "--rel-error-bound", "1e-5", "--force"];
    const r = await run("compress", `${dir}/in.npy`, "-o", `${dir}/a.mrc`, ...common);
    assert.strictEqual(r.code, 0, r.stderr);
    const lines = r.stderr.trim().split("\n");
    // At most one line per 10% and per 2 s, then how long it took.
    assert.ok(lines.length >= 2 && lines.length <= 12, r.stderr);
    for (const line of lines.slice(0, -1)) {
      assert.match(line, /^coding 16\.00 MiB: \d+% \(\d+:\d\d(, about \d+:\d\d left)?\)$/);
    }
    assert.match(lines[lines.length - 1], /^coding 16\.00 MiB: done in \d+\.\d s$/);
    assert.doesNotMatch(r.stderr, /\r|\x1b/);
    const quiet = await run(
      "compress",
      `${dir}/in.npy`,
      "-o",
      `${dir}/b.mrc`,
      ...common,
      "--quiet",
    );
    assert.strictEqual(quiet.code, 0);
    assert.strictEqual(quiet.stderr, "");
    assert.strictEqual(quiet.stdout, "");
    // A quick run prints no progress at all: stderr stays for errors.
    const small = await run(
      "compress",
      `${dir}/in.npy`,
      "-o",
      `${dir}/c.mrc`,
      "--rel-error-bound",
      "1e-1",
      "--levels",
      "1",
    );
    assert.strictEqual(small.code, 0, small.stderr);
    assert.ok(!/coding/.test(small.stderr) || /done in/.test(small.stderr));
  }));

Deno.test({
  name: "cli.ts compress draws a bar with the time left on a terminal, and names each --psnr trial",
  // `script` (util-linux) gives the command a terminal.
  ignore: !posix || !(await new Deno.Command("sh", { args: ["-c", "command -v script"] }).output())
    .success,
  fn: () =>
    inTemporaryFolder(async (dir) => {
      const [T, H, W] = [32, 256, 256];
      await Deno.writeFile(`${dir}/in.npy`, encodeNpy(noise(T * H * W), [T, H, W]));
      const command = [Deno.execPath(), "run", ...PERMISSIONS, cli, "compress", `${dir}/in.npy`]
        .concat(["-o", `${dir}/a.mrc`, "--threads", "1", "--psnr", "80"])
        .map((a) => `'${a}'`).join(" ");
      const out = await new Deno.Command("script", {
        args: ["-qec", command, "/dev/null"],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1", TERM: "xterm" },
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.strictEqual(out.code, 0, text);
      // A search: the trial and its share, no time left (the trials' count is not known). The
      // bar shows once the phase has lasted a second: on a fast machine trial 1 is over by then.
      assert.match(
        text,
        /\r\[#*-*\] coding 8\.00 MiB, --psnr search: trial \d+ at bound [\d.e-]+ \d+% \(0:\d\d\)\x1b\[K/,
      );
      assert.match(text, /--psnr search: trial 2 at bound/);
      assert.match(text, /\rcoding 8\.00 MiB, --psnr search: done in \d+\.\d s\x1b\[K\r?\n/);
      // Without a search (a larger input, so that coding lasts seconds): the time left.
      await Deno.writeFile(`${dir}/big.npy`, encodeNpy(noise(3 * T * H * W), [3 * T, H, W]));
      const plain = command.replace("'--psnr' '80'", "'--rel-error-bound' '1e-5' '--force'")
        .replace(`${dir}/in.npy`, `${dir}/big.npy`);
      const bar = await new Deno.Command("script", {
        args: ["-qec", plain, "/dev/null"],
        stdout: "piped",
        env: { NO_COLOR: "1", TERM: "xterm" },
      }).output();
      const barText = new TextDecoder().decode(bar.stdout);
      assert.strictEqual(bar.code, 0, barText);
      assert.match(
        barText,
        /\r\[#+-*\] coding 24\.00 MiB: \d+% \(0:\d\d, about 0:\d\d left\)\x1b\[K/,
      );
    }),
});

Deno.test({
  name:
    "cli.ts ls lists the variables of a netCDF file and exits 0: groups by path, cell bounds not compressible",
  ignore: !ncgen,
  fn: () =>
    inTemporaryFolder(async (dir) => {
      await writeCfFixture(`${dir}/cf.nc`);
      const r = await run("ls", `${dir}/cf.nc`);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stderr, "");
      const lines = r.stdout.trim().split("\n");
      assert.match(lines[0], /cf\.nc \(netCDF-4\/HDF5\): 3 compressible variables$/);
      const body = lines.slice(1).join("\n");
      assert.match(
        body,
        /^ {2}forecast\/t2m +float +\(time=3, lat=4, lon=5\) +2 metre temperature \[K\]$/m,
      );
      assert.match(
        body,
        /^ {2}ta +float +\(time=3, plev=3, lat=4, lon=5\) +\[K\] +-- 4-D: stored as layers along plev \(--select plev=K keeps one, 3-D\)$/m,
      );
      assert.match(body, /^ {2}tlat .* -- time is axis 1: moved first when compressed$/m);
      assert.match(body, /other variables: .*time_bnds \(cell bounds of time\)/);
      assert.doesNotMatch(lines.slice(1, 4).join("\n"), /time_bnds/);
      // compress without --var lists them too, and asks for one.
      const c = await run("compress", `${dir}/cf.nc`, "-o", `${dir}/x.mrc`);
      assert.strictEqual(c.code, 1);
      assert.match(c.stdout, /forecast\/t2m/);
      assert.match(c.stderr, /pass --var NAME/);
      // A variable in a group, by its path or by its name alone; decompress writes it back.
      for (const name of ["forecast/t2m", "t2m"]) {
        const g = await run(
          "compress",
          `${dir}/cf.nc`,
          "--var",
          name,
          "-o",
          `${dir}/g.mrc`,
          "--force",
        );
        assert.strictEqual(g.code, 0, g.stderr);
      }
      const info = await run("info", `${dir}/g.mrc`);
      assert.match(info.stdout, /variable "t2m" \(float\): 2 metre temperature \[K\]/);
      const bounds = await run(
        "compress",
        `${dir}/cf.nc`,
        "--var",
        "time_bnds",
        "-o",
        `${dir}/b.mrc`,
      );
      assertOneLineError(bounds, /time_bnds.*cell bounds of time/);
      // info of a netCDF file lists its variables too.
      const listed = await run("info", `${dir}/cf.nc`);
      assert.strictEqual(listed.code, 0, listed.stderr);
      assert.strictEqual(listed.stdout, r.stdout);
      // ls of a .mrc file: its summary.
      const mrc = await run("ls", `${dir}/g.mrc`);
      assert.strictEqual(mrc.code, 0, mrc.stderr);
      assert.match(mrc.stdout, /variable "t2m"/);
    }),
});

Deno.test({
  name:
    "cli.ts compress --select takes coordinate values and ISO dates, and names the nearest when none matches",
  ignore: !ncgen,
  fn: () =>
    inTemporaryFolder(async (dir) => {
      const nc = `${dir}/cf.nc`;
      await writeCfFixture(nc);
      const select = (sel: string) =>
        run(
          "compress",
          nc,
          "--var",
          "ta",
          "--select",
          sel,
          "-o",
          `${dir}/x.mrc`,
          "--force",
          "--quiet",
        );
      const decoded = async () => {
        const d = await run("decompress", `${dir}/x.mrc`, "-o", `${dir}/x.npy`, "--force");
        assert.strictEqual(d.code, 0, d.stderr);
        return parseNpy(await Deno.readFile(`${dir}/x.npy`));
      };
      const { H, W } = CF;
      // plev=85000 (Pa, index 1) and the same by index, by #index and by 85000.0.
      for (const sel of ["plev=85000", "plev=1", "plev=#1", "plev=85000.0", "plev=8.5e4"]) {
        const r = await select(sel);
        assert.strictEqual(r.code, 0, `${sel}: ${r.stderr}`);
        const npy = await decoded();
        assert.deepStrictEqual(npy.shape, [3, H, W]);
        const info = await run("info", `${dir}/x.mrc`);
        assert.match(info.stdout, /selected: plev=1 \(85000 Pa\)/, sel);
        const t = 2, i = 3, j = 4;
        const want = cfValue("ta", t, 1, i, j);
        assert.ok(Math.abs(npy.data[(t * H + i) * W + j] - want) < 0.1, sel);
      }
      // A date (time 44 = 1990-02-14), a month, and a range of months (both ends included).
      for (
        const [sel, T, first] of [
          ["plev=85000,time=1990-02-14", 1, 1],
          ["plev=85000,time=1990-02", 1, 1],
          ["plev=85000,time=1990-01:1990-02", 2, 0],
          ["plev=85000,time=1990-02:", 2, 1],
        ] as const
      ) {
        const r = await select(sel);
        assert.strictEqual(r.code, 0, `${sel}: ${r.stderr}`);
        const npy = await decoded();
        assert.deepStrictEqual(npy.shape, T === 1 ? [H, W] : [T, H, W], sel);
        const want = cfValue("ta", first, 1, 0, 0);
        assert.ok(Math.abs(npy.data[0] - want) < 0.1, `${sel}: ${npy.data[0]} vs ${want}`);
      }
      // No match: one line naming the nearest values (as dates on a time axis).
      assertOneLineError(
        await select("plev=85001"),
        /plev=85001 is neither an index \(0\.\.2\) nor a plev value \(nearest: 100000 \(index 0\), 85000 \(index 1\)\)$/,
      );
      assertOneLineError(
        await select("plev=850.5"),
        /no plev value is 850\.5 \(nearest: 85000 \(index 1\), 50000 \(index 2\)\)$/,
      );
      assertOneLineError(
        await select("plev=1,time=1990-02-15"),
        /no time value on 1990-02-15 \(nearest: 1990-02-14 \(index 1\), 1990-03-16 \(index 2\)\)$/,
      );
      assertOneLineError(
        await select("plev=1,time=1990"),
        /its times run from 1990-01-15 \(index 0\) to 1990-03-16 \(index 2\); a date is written YYYY-MM/,
      );
      assertOneLineError(await select("plev=1,time=1991-01:1991-12"), /no time value within/);
      assertOneLineError(
        await select("lat=#7,plev=1"),
        /index 7 of dimension "lat" is outside 0\.\.3/,
      );
      assertOneLineError(await select("plev"), /--select must be DIM=X or DIM=A:B/);
    }),
});

Deno.test({
  name:
    "cli.ts compress moves time first when it is not, says so; decompress -o x.nc writes the source's order back (--time-first as stored), .npy time first",
  ignore: !ncgen,
  fn: () =>
    inTemporaryFolder(async (dir) => {
      const nc = `${dir}/cf.nc`;
      await writeCfFixture(nc);
      const c = await run(
        "compress",
        nc,
        "--var",
        "tlat",
        "-o",
        `${dir}/t.mrc`,
        "--error-bound",
        "0.01",
      );
      assert.strictEqual(c.code, 0, c.stderr);
      assert.match(
        c.stderr,
        /^note: .*cf\.nc: "tlat" has dimensions \(lat, time, lon\): time \("time"\) is moved first and coded as \(time, lat, lon\)/m,
      );
      const d = await run("decompress", `${dir}/t.mrc`, "-o", `${dir}/t.npy`);
      assert.strictEqual(d.code, 0, d.stderr);
      assert.match(
        d.stderr,
        /^note: .*t\.mrc: "tlat" had dimensions \(lat, time, lon\) in its source, stored time first as \(time, lat, lon\); written so$/m,
      );
      const npy = parseNpy(await Deno.readFile(`${dir}/t.npy`));
      const { T, H, W } = CF;
      assert.deepStrictEqual(npy.shape, [T, H, W]);
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < H; i++) {
          for (let j = 0; j < W; j++) {
            const got = npy.data[(t * H + i) * W + j];
            assert.ok(Math.abs(got - cfValue("tlat", t, 0, i, j)) <= 0.01 + 1e-4, `${t},${i},${j}`);
          }
        }
      }
      const info = await run("info", `${dir}/t.mrc`);
      assert.match(info.stdout, /dimensions: time=3 14\.\.74 days since 1990-01-01, lat=4/);
      const header = async (path: string) =>
        new TextDecoder().decode(
          (await new Deno.Command("ncdump", { args: ["-h", path] }).output()).stdout,
        );
      /** The values read back (time first again), each within the bound of the source's. */
      const checkValues = async (path: string) => {
        const back = await readNetcdf(path, { variable: "tlat" });
        assert.deepStrictEqual(back.shape, [T, H, W]);
        for (let t = 0; t < T; t++) {
          for (let i = 0; i < H; i++) {
            for (let j = 0; j < W; j++) {
              const got = back.data[(t * H + i) * W + j];
              assert.ok(
                Math.abs(got - cfValue("tlat", t, 0, i, j)) <= 0.01 + 1e-4,
                `${t},${i},${j}`,
              );
            }
          }
        }
      };
      // netCDF: the source's order by default, its coordinates intact.
      const ncOut = await run("decompress", `${dir}/t.mrc`, "-o", `${dir}/t.nc`);
      assert.strictEqual(ncOut.code, 0, ncOut.stderr);
      assert.match(
        ncOut.stderr,
        /written in the source's order \(--time-first writes it as stored\)/,
      );
      assert.match(ncOut.stdout, new RegExp(`shape \\(${H}, ${T}, ${W}\\)`));
      const h = await header(`${dir}/t.nc`);
      assert.match(h, /float tlat\(lat, time, lon\)/);
      assert.match(h, /double time\(time\)|float time\(time\)|int time\(time\)/);
      // Not first, so not the record dimension (as in the netCDF-3 source).
      assert.doesNotMatch(h, /UNLIMITED/);
      await checkValues(`${dir}/t.nc`);
      // --time-first: as stored; the command the note gives restores the source's order (NCO's
      // ncpdq, where installed).
      const tf = await run(
        "decompress",
        `${dir}/t.mrc`,
        "-o",
        `${dir}/tf.nc`,
        "--time-first",
      );
      assert.strictEqual(tf.code, 0, tf.stderr);
      assert.match(tf.stderr, /written so \(ncpdq -a lat,time,lon restores the source's order\)/);
      assert.match(await header(`${dir}/tf.nc`), /float tlat\(time, lat, lon\)/);
      await checkValues(`${dir}/tf.nc`);
      try {
        const p = await new Deno.Command("ncpdq", {
          args: ["-O", "-a", "lat,time,lon", `${dir}/tf.nc`, `${dir}/back.nc`],
          stderr: "piped",
        }).output();
        assert.ok(p.success, new TextDecoder().decode(p.stderr));
        assert.match(await header(`${dir}/back.nc`), /float tlat\(lat, time, lon\)/);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
        console.log("note: ncpdq (Debian's nco) not found: the restored order is not checked");
      }
    }),
});

Deno.test("cli.ts refuses unknown output extensions before any work, listing the supported ones", () =>
  inTemporaryFolder(async (dir) => {
    const [T, H, W] = [2, 9, 11];
    await Deno.writeFile(`${dir}/in.npy`, encodeNpy(smallField(T, H, W), [T, H, W]));
    const c = await run("compress", `${dir}/in.npy`, "-o", `${dir}/in.mrc`, "--quiet");
    assert.strictEqual(c.code, 0, c.stderr);
    for (const ext of ["zarr", "h5", "tif", "NPZ"]) {
      const r = await run("decompress", `${dir}/in.mrc`, "-o", `${dir}/x.${ext}`);
      assertOneLineError(
        r,
        new RegExp(
          `cannot write .*x\\.${ext}: unknown output extension "\\.${ext.toLowerCase()}"; decompress writes \\.npy, \\.nc, \\.nc4, \\.cdf, \\.netcdf$`,
        ),
      );
    }
    assertOneLineError(
      await run("decompress", `${dir}/in.mrc`, "-o", `${dir}/noext`),
      /cannot write .*noext: no extension; decompress writes \.npy, \.nc/,
    );
    assertOneLineError(
      await run("compress", `${dir}/in.npy`, "-o", `${dir}/x.npy`),
      /cannot write .*x\.npy: unknown output extension "\.npy"; compress writes \.mrc$/,
    );
    assert.deepStrictEqual(await names(dir), ["in.mrc", "in.npy"]);
    // The supported ones, in any case.
    for (const out of ["x.NPY", "x.nc4"]) {
      const r = await run("decompress", `${dir}/in.mrc`, "-o", `${dir}/${out}`, "--quiet");
      assert.strictEqual(r.code, 0, r.stderr);
    }
  }));

Deno.test("cli.ts prints bounds and maximum errors at full precision (shortest round trip)", () =>
  inTemporaryFolder(async (dir) => {
    const [T, H, W] = [4, 33, 33];
    await Deno.writeFile(`${dir}/in.npy`, encodeNpy(smallField(T, H, W), [T, H, W]));
    // The bound of the issue: shown as 3.575e-2 before, below the maxima it printed.
    const bound = 0.0357504;
    const c = await run(
      "compress",
      `${dir}/in.npy`,
      "-o",
      `${dir}/a.mrc`,
      "--error-bound",
      String(bound),
    );
    assert.strictEqual(c.code, 0, c.stderr);
    assert.match(c.stdout, /, bound 0\.0357504 \(0\.0\d+ of the range\), coded in/);
    const maxima = [...c.stdout.matchAll(/ max (\S+)$/gm)].map((m) => m[1]);
    assert.ok(maxima.length >= 2, c.stdout);
    for (const m of maxima) {
      // Full precision: the text reads back as a double at most the bound.
      assert.ok(!/e/.test(m) || Number(m) < 1e-6, m);
      assert.ok(Number(m) <= bound, `${m} > ${bound}`);
    }
    const info = await run("info", `${dir}/a.mrc`);
    assert.match(info.stdout, /bounded: every level within 0\.0357504 \(/);
    const json = JSON.parse((await run("info", `${dir}/a.mrc`, "--json")).stdout);
    for (const l of json.levels) assert.ok(info.stdout.includes(String(l.maxAbsError)));
  }));

Deno.test("cli.ts help is true for bounded coding; --version; did you mean for a mistyped option", async () => {
  const help = await run("--help");
  assert.strictEqual(help.code, 0);
  assert.match(help.stdout, new RegExp(`^mrcae ${config.version.replaceAll(".", "\\.")}: `));
  assert.match(help.stdout, /within an error bound \(bounded coding, the default; no training\)/);
  assert.match(help.stdout, /--coding model trains/);
  assert.doesNotMatch(help.stdout, /compress +INPUT.*\n.*train a model/);
  assert.match(help.stdout, /^ {2}ls FILE/m);
  for (const flag of ["--version", "-V"]) {
    const v = await run(flag);
    assert.strictEqual(v.code, 0);
    assert.strictEqual(v.stdout, `mrcae ${config.version}\n`);
  }
  for (
    const [args, pattern] of [
      [
        ["compress", "x.npy", "--eb", "0.1"],
        /^error: unknown option --eb; did you mean --error-bound\? \(see --help\)$/,
      ],
      [["compress", "x.npy", "--levles", "3"], /unknown option --levles; did you mean --levels\?/],
      [
        ["compress", "x.npy", "--rel-eror-bound=1"],
        /unknown option --rel-eror-bound; did you mean --rel-error-bound\?/,
      ],
      [
        ["decompress", "x.mrc", "--thread", "2"],
        /unknown option --thread; did you mean --threads\?/,
      ],
      [["decompress", "x.mrc", "--zzz"], /^error: unknown option --zzz \(see --help\)$/],
      [["info", "x.mrc", "-j"], /^error: unknown option -j; did you mean --json\? \(see --help\)$/],
      [
        ["comprss", "x"],
        /^error: unknown command "comprss"; did you mean compress\? \(see --help\)$/,
      ],
    ] as const
  ) {
    assertOneLineError(await run(...args), pattern);
  }
});

Deno.test({
  name: "cli.ts compress --coding model warns when a level stops short of its tolerance",
  ignore: Deno.env.get("MRCAE_SKIP_TRAINING") === "1",
  fn: () =>
    inTemporaryFolder(async (dir) => {
      const [T, H, W] = [4, 31, 31];
      await Deno.writeFile(`${dir}/in.npy`, encodeNpy(noise(T * H * W), [T, H, W]));
      const r = await run(
        "compress",
        `${dir}/in.npy`,
        "-o",
        `${dir}/m.mrc`,
        ...["--coding", "model", "--levels", "2", "--steps", "3", "--tol", "1e-6,1e-6"],
        ...["--backend", "cpu"],
      );
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /^warning: level 1 stopped short of its tolerance: mean squared error [\d.e-]+ of the range squared, tolerance 0\.000001; max error [\d.e-]+ on a range of [\d.]+; training stopped on its step budget \(raise --steps\), or use bounded coding/m,
      );
    }),
});

Deno.test("cli.ts decompress ignores a source.dimensionOrder that is not a permutation of the dimensions (a stranger's file): time first, no note", () =>
  inTemporaryFolder(async (dir) => {
    const [T, H, W] = [3, 4, 5];
    const data = smallField(T, H, W);
    const dim = (name: string, size: number) => ({
      name,
      size,
      values: null,
      type: "double" as const,
      attributes: {},
    });
    for (const order of [["lat", "lat", "lon"], ["lat", "time"], [1, 2, 3], "lat,time,lon"]) {
      const bytes = await compress(data, [T, H, W], {
        errorBound: 0.01,
        attributes: {
          variable: { name: "v", type: "float", attributes: {} },
          dimensions: [dim("time", T), dim("lat", H), dim("lon", W)],
          selected: [],
          global: {},
          source: { dimensionOrder: order },
        },
      });
      await Deno.writeFile(`${dir}/x.mrc`, bytes);
      const r = await run("decompress", `${dir}/x.mrc`, "-o", `${dir}/x.nc`, "--force");
      assert.strictEqual(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /note:/, JSON.stringify(order));
      assert.match(r.stdout, /shape \(3, 4, 5\)/);
      const back = await readNetcdf(`${dir}/x.nc`, { variable: "v" });
      assert.deepStrictEqual(back.shape, [T, H, W]);
    }
  }));
