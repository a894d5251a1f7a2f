import assert from "node:assert";
import { encodeNpy, parseNpy } from "../src/io/npy.ts";
import { smallField } from "./src/_fixtures.ts";
import { decodeThreads } from "../cli/decompress.ts";
import type { MrcFile } from "../src/read/mrc_file.ts";
import { openMrc } from "../src/read/open.ts";

const cli = new URL("../cli.ts", import.meta.url).pathname;

/** `deno run cli.ts ...args` with the CLI's permissions, stdout as asked, stderr piped. */
const cliCommand = (args: string[], stdout: "piped" | "null") =>
  new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-sys", cli, ...args],
    stdout,
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await cliCommand(args, "piped").output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function assertOneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.notStrictEqual(r.code, 0);
  const lines = r.stderr.trim().split("\n");
  assert.strictEqual(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], pattern);
}

/**
 * Runs the CLI and kills it at its first training progress line (stderr is not a terminal, so
 * progress comes as plain `training: ...` lines, after its first second): a command that should refuse its options
 * before any work fails the test as soon as training starts, however long training would take.
 */
async function runUntilTraining(
  ...args: string[]
): Promise<{ code: number; stderr: string; trained: boolean }> {
  const child = cliCommand(args, "null").spawn();
  const dec = new TextDecoder();
  let stderr = "", trained = false;
  for await (const chunk of child.stderr) {
    stderr += dec.decode(chunk, { stream: true });
    if (!trained && /^training: /m.test(stderr)) {
      trained = true;
      child.kill();
    }
  }
  return { code: (await child.status).code, stderr, trained };
}

/** Asserts that the CLI refuses `args` with a one-line error matching `pattern`, before training. */
async function assertRefusedBeforeTraining(pattern: RegExp, ...args: string[]): Promise<void> {
  const r = await runUntilTraining(...args);
  assert.ok(!r.trained, `training started:\n${r.stderr}`);
  assertOneLineError(r, pattern);
}

let dir = "";
const path = (name: string) => `${dir}/${name}`;

Deno.test({
  name: "cli.ts compress, info, decompress and preview work end to end",
  async fn() {
    dir = await Deno.makeTempDir();
    const [T, H, W] = [6, 19, 23];
    await Deno.writeFile(path("in.npy"), encodeNpy(smallField(T, H, W), [T, H, W]));
    const c = await run(
      "compress",
      path("in.npy"),
      "-o",
      path("a.mrc"),
      "--coding",
      "model",
      "--levels",
      "2",
      "--steps",
      "10",
      "--backend",
      "cpu",
      "--block",
      "4",
    );
    assert.strictEqual(c.code, 0, c.stderr);
    assert.match(c.stdout, /ratio/);
    assert.match(c.stdout, /level 1 19x23/);
    assert.match(c.stdout, /bytes: header\+report .*, weights .*, masks .*, codes /);

    const info = await run("info", path("a.mrc"), "--json");
    assert.strictEqual(info.code, 0, info.stderr);
    const summary = JSON.parse(info.stdout);
    assert.deepStrictEqual(summary.shape, [T, H, W]);
    assert.strictEqual(summary.levels.length, 2);
    for (const key of ["level", "extent", "bytes", "rmse", "psnr", "maxAbsError"]) {
      assert.ok(key in summary.levels[0], key);
    }
    assert.strictEqual(summary.totalBytes, (await Deno.stat(path("a.mrc"))).size);
    assert.ok(
      summary.chunks.every((c: { type: string; offset: number; length: number }) =>
        c.type && c.length > 0
      ),
    );
    const text = await run("info", path("a.mrc"));
    assert.strictEqual(text.code, 0);
    assert.match(text.stdout, /, format 1\.7, all \d+ chunks verified/);
    assert.strictEqual(summary.version, "1.7");

    const d = await run(
      "decompress",
      path("a.mrc"),
      "-o",
      path("out.npy"),
      "--level",
      "0",
      "--snapshots",
      "1:3",
    );
    assert.strictEqual(d.code, 0, d.stderr);
    const npy = parseNpy(await Deno.readFile(path("out.npy")));
    assert.deepStrictEqual(npy.shape, [2, 9, 11]); // level 0 samples rows 1, 3, ..., 17

    const p = await run("preview", path("a.mrc"), "-o", path("p.png"), "--snapshot", "2");
    assert.strictEqual(p.code, 0, p.stderr);
    const png = await Deno.readFile(path("p.png"));
    assert.deepStrictEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  },
});

Deno.test("cli.ts refuses to overwrite without --force and leaves no temporary file", async () => {
  const before = await Deno.readFile(path("out.npy"));
  const r = await run("decompress", path("a.mrc"), "-o", path("out.npy"));
  assertOneLineError(r, /exists: pass --force/);
  assert.deepStrictEqual(await Deno.readFile(path("out.npy")), before);
  const ok = await run("decompress", path("a.mrc"), "-o", path("out.npy"), "--force");
  assert.strictEqual(ok.code, 0, ok.stderr);
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  assert.deepStrictEqual(names.filter((n) => n.endsWith(".tmp")), []);
});

Deno.test("cli.ts gives one-line errors for bad input", async () => {
  assertOneLineError(await run("info", path("missing.mrc")), /no such file/);
  assertOneLineError(
    await run("compress", path("missing.npy"), "-o", path("x.mrc")),
    /no such file/,
  );
  // An int32 .npy.
  const header = "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }";
  const pad = 64 - ((10 + header.length + 1) % 64);
  const bytes = new Uint8Array([0x93, ...new TextEncoder().encode("NUMPY"), 1, 0, 0, 0]);
  const text = new TextEncoder().encode(header + " ".repeat(pad) + "\n");
  new DataView(bytes.buffer).setUint16(8, text.length, true);
  await Deno.writeFile(path("int.npy"), new Uint8Array([...bytes, ...text, ...new Uint8Array(16)]));
  assertOneLineError(
    await run("compress", path("int.npy"), "-o", path("x.mrc")),
    /dtype "<i4" is not supported/,
  );
  // A corrupt .mrc: flip one byte in the middle.
  const good = await Deno.readFile(path("a.mrc"));
  const bad = good.slice();
  bad[bad.length >> 1] ^= 0xff;
  await Deno.writeFile(path("bad.mrc"), bad);
  assertOneLineError(await run("info", path("bad.mrc")), /CRC mismatch|Cannot/);
  assertOneLineError(await run("decompress", path("bad.mrc"), "-o", path("y.npy")), /bad\.mrc/);
  await assert.rejects(Deno.stat(path("y.npy")), Deno.errors.NotFound);
  // Raw input with a wrong size, and an unknown command.
  await Deno.writeFile(path("raw.f32"), new Uint8Array(40));
  assertOneLineError(
    await run("compress", path("raw.f32"), "-o", path("x.mrc"), "--shape", "2,2,3"),
    /has 40 bytes/,
  );
  assertOneLineError(await run("frobnicate"), /unknown command/);
  // Renamed flags are refused, naming the new one; a flag of the other coding is refused.
  const to = ["-o", path("x.mrc")];
  assertOneLineError(
    await run("compress", path("in.npy"), ...to, "--mode", "model"),
    /--mode is now --coding/,
  );
  assertOneLineError(
    await run("compress", path("in.npy"), ...to, "--coding", "lossless"),
    /--coding must be bounded or model/,
  );
  assertOneLineError(
    await run("compress", path("in.npy"), ...to, "--steps", "5"),
    /--steps is a model-coding option \(add --coding model\)/,
  );
  assertOneLineError(
    await run("compress", path("in.npy"), ...to, "--coding", "model", "--key-interval", "4"),
    /--key-interval is a bounded-coding option/,
  );
  assertOneLineError(
    await run("decompress", path("a.mrc"), "-o", path("y.npy"), "--frames", "0:1"),
    /--frames is now --snapshots/,
  );
  assertOneLineError(
    await run("preview", path("a.mrc"), "-o", path("y.png"), "--frame", "0"),
    /--frame is now --snapshot T/,
  );
  assertOneLineError(await run("demo", "--snapshots", "5"), /--snapshots is now --snapshot-count/);
  assertOneLineError(await run("demo", "--steps", "5"), /--steps needs --coding model/);
  // A 2-D (H, W) input comes back 2-D.
  await Deno.writeFile(path("flat.npy"), encodeNpy(smallField(1, 11, 13), [11, 13]));
  const c = await run(
    "compress",
    path("flat.npy"),
    "-o",
    path("flat.mrc"),
    "--levels",
    "1",
  );
  assert.strictEqual(c.code, 0, c.stderr);
  const d = await run("decompress", path("flat.mrc"), "-o", path("flat-out.npy"));
  assert.strictEqual(d.code, 0, d.stderr);
  assert.deepStrictEqual(parseNpy(await Deno.readFile(path("flat-out.npy"))).shape, [11, 13]);
  assertOneLineError(
    await run("compress", path("in.npy"), "-o", "/nonexistent-dir/x.mrc"),
    /cannot write/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli.ts info, decompress and preview work on every golden file", async () => {
  const { GOLDEN } = await import("./testdata/generate.ts");
  const out = await Deno.makeTempDir();
  try {
    for (const variant of GOLDEN) {
      const file = new URL(`testdata/${variant.name}.mrc`, import.meta.url).pathname;
      const description = JSON.parse(
        await Deno.readTextFile(new URL(`testdata/${variant.name}.json`, import.meta.url)),
      );
      const info = await run("info", file, "--json");
      assert.strictEqual(info.code, 0, info.stderr);
      const summary = JSON.parse(info.stdout);
      assert.deepStrictEqual(summary.shape, description.header.shape);
      assert.strictEqual(summary.levels[0].psnr, null, "a file without a report has no errors");
      const text = await run("info", file);
      assert.strictEqual(text.code, 0, text.stderr);
      assert.match(text.stdout, /no compression report/);

      const d = await run("decompress", file, "-o", `${out}/${variant.name}.npy`);
      assert.strictEqual(d.code, 0, d.stderr);
      const npy = parseNpy(await Deno.readFile(`${out}/${variant.name}.npy`));
      // The rank the data was given in: a 2-D field comes back 2-D.
      assert.deepStrictEqual(npy.shape, variant.inputShape ?? description.header.shape);

      const p = await run("preview", file, "-o", `${out}/${variant.name}.png`);
      assert.strictEqual(p.code, 0, p.stderr);
      const png = await Deno.readFile(`${out}/${variant.name}.png`);
      assert.deepStrictEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("cli.ts info, decompress and preview refuse an invalid ATTR alike, and skip an unknown chunk before META", async () => {
  const vector = (name: string) =>
    new URL(`testdata/conformance/${name}.mrc`, import.meta.url).pathname;
  const out = await Deno.makeTempDir();
  try {
    // SPEC.md §4.8: every reader validates ATTR, also one that decodes without it.
    for (const name of ["invalid-attr-selected-values", "invalid-attr-no-global"]) {
      const errors = [];
      for (
        const args of [
          ["info", vector(name)],
          ["info", vector(name), "--json"],
          ["decompress", vector(name), "-o", `${out}/${name}.npy`],
          ["decompress", vector(name), "-o", `${out}/${name}.npy`, "--level", "0"],
          ["preview", vector(name), "-o", `${out}/${name}.png`],
        ]
      ) {
        const r = await run(...args);
        assertOneLineError(r, /Cannot read chunk "ATTR" at offset \d+: /);
        errors.push(r.stderr.trim());
      }
      assert.strictEqual(new Set(errors).size, 1, errors.join("\n"));
      await assert.rejects(Deno.stat(`${out}/${name}.npy`), Deno.errors.NotFound);
    }
    // §4.7.4: a byte after the last symbol, found by every command that reads that block.
    const trailing = vector("invalid-bounded-trailing-byte");
    assertOneLineError(
      await run("info", trailing),
      /level 1 block 2: 1 byte after the last symbol/,
    );
    assertOneLineError(
      await run("decompress", trailing, "-o", `${out}/t.npy`),
      /level 1 block 2: 1 byte after the last symbol/,
    );
    // §7 rule 4: unknown chunks before META, ATTR and NANM are skipped by every command.
    const unknown = vector("unknown-chunk-before-meta");
    for (
      const args of [["info", unknown], ["decompress", unknown, "-o", `${out}/u.npy`], [
        "preview",
        unknown,
        "-o",
        `${out}/u.png`,
      ]]
    ) {
      const r = await run(...args);
      assert.strictEqual(r.code, 0, r.stderr);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

/** Names in `folder` ending in `.tmp`. */
async function tmpFiles(folder: string): Promise<string[]> {
  const names = [];
  for await (const e of Deno.readDir(folder)) if (e.name.endsWith(".tmp")) names.push(e.name);
  return names;
}

Deno.test("cli.ts compress checks its options and output before any work", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    // 8 snapshots: enough that model coding trains (and prints progress) if it gets that far.
    await Deno.writeFile(`${tmp}/in.npy`, encodeNpy(smallField(8, 31, 31), [8, 31, 31]));
    const slow = [
      "--coding",
      "model",
      "--steps",
      "100000",
      "--time-budget",
      "600",
      "--backend",
      "cpu",
    ];
    // A directory as -o, the input as -o (even with --force), too many levels for 31x31.
    await assertRefusedBeforeTraining(
      /is a directory/,
      "compress",
      `${tmp}/in.npy`,
      "-o",
      tmp,
      ...slow,
    );
    const input = await Deno.readFile(`${tmp}/in.npy`);
    await assertRefusedBeforeTraining(
      /is the input file/,
      "compress",
      `${tmp}/in.npy`,
      "-o",
      `${tmp}/in.npy`,
      "--force",
      ...slow,
    );
    assert.deepStrictEqual(await Deno.readFile(`${tmp}/in.npy`), input);
    await assertRefusedBeforeTraining(
      /levels must be an integer from 1 to 5 for 31x31 with model coding .*511x511.*found 8/,
      "compress",
      `${tmp}/in.npy`,
      "-o",
      `${tmp}/x.mrc`,
      "--levels",
      "8",
      ...slow,
    );
    await assertRefusedBeforeTraining(
      /batch must be a positive integer/,
      "compress",
      `${tmp}/in.npy`,
      "-o",
      `${tmp}/x.mrc`,
      ...slow,
      "--batch",
      "0",
    );
    assert.deepStrictEqual(await tmpFiles(tmp), []);
    // decompress refuses its input as output too.
    const c = await run("compress", `${tmp}/in.npy`, "-o", `${tmp}/a.mrc`);
    assert.strictEqual(c.code, 0, c.stderr);
    assertOneLineError(
      await run("decompress", `${tmp}/a.mrc`, "-o", `${tmp}/a.mrc`, "--force"),
      /is the input file/,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("cli.ts compress accepts negative option values as --fill -9999 and --fill=-9999", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const data = smallField(2, 15, 15);
    for (let i = 0; i < data.length; i += 7) data[i] = -9999;
    await Deno.writeFile(`${tmp}/in.npy`, encodeNpy(data, [2, 15, 15]));
    for (const args of [["--fill", "-9999"], ["--fill=-9999"]]) {
      const c = await run("compress", `${tmp}/in.npy`, "-o", `${tmp}/a.mrc`, "--force", ...args);
      assert.strictEqual(c.code, 0, c.stderr);
      const info = JSON.parse((await run("info", `${tmp}/a.mrc`, "--json")).stdout);
      assert.strictEqual(info.missing.mode, "fill");
      assert.strictEqual(info.missing.fillValue, -9999);
      assert.strictEqual(info.missing.count, Math.ceil(data.length / 7));
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("cli.ts decompress of float64 data writes a --fill value float32 cannot hold exactly", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const dims = [3, 15, 17];
    const data = Float64Array.from(smallField(3, 15, 17), (v, i) => v + 1e-9 * i);
    for (let i = 0; i < data.length; i += 9) data[i] = -9999.99;
    await Deno.writeFile(`${tmp}/in.npy`, encodeNpy(data, dims));
    const c = await run("compress", `${tmp}/in.npy`, "-o", `${tmp}/a.mrc`, "--fill", "-9999.99");
    assert.strictEqual(c.code, 0, c.stderr);
    assert.doesNotMatch(c.stderr, /warning/);
    const d = await run("decompress", `${tmp}/a.mrc`, "-o", `${tmp}/out.npy`);
    assert.strictEqual(d.code, 0, d.stderr);
    const out = parseNpy(await Deno.readFile(`${tmp}/out.npy`));
    assert.ok(out.data instanceof Float64Array);
    for (let i = 0; i < data.length; i++) {
      if (data[i] === -9999.99) assert.strictEqual(out.data[i], -9999.99, `value ${i}`);
      else assert.notStrictEqual(out.data[i], -9999.99, `value ${i}`);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("cli.ts compress compares --fill in float32 for float32 input, and warns when it matches nothing", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const data = smallField(2, 15, 15);
    let count = 0;
    for (let i = 0; i < data.length; i += 5, count++) data[i] = -9999.9; // float32: -9999.900390625
    await Deno.writeFile(`${tmp}/in.npy`, encodeNpy(data, [2, 15, 15]));
    const c = await run("compress", `${tmp}/in.npy`, "-o", `${tmp}/a.mrc`, "--fill", "-9999.9");
    assert.strictEqual(c.code, 0, c.stderr);
    assert.doesNotMatch(c.stderr, /warning/);
    const info = JSON.parse((await run("info", `${tmp}/a.mrc`, "--json")).stdout);
    assert.strictEqual(info.missing.mode, "fill");
    assert.strictEqual(info.missing.count, count);
    assert.strictEqual(info.missing.fillValue, Math.fround(-9999.9));
    // The bound is relative to the valid values' range (about 2), not to the fill value's.
    assert.ok(info.bound.abs < 0.01, `bound ${info.bound.abs}`);
    const w = await run("compress", `${tmp}/in.npy`, "-o", `${tmp}/b.mrc`, "--fill", "-1234.5");
    assert.strictEqual(w.code, 0, w.stderr);
    const lines = w.stderr.trim().split("\n");
    assert.strictEqual(lines.length, 1, w.stderr);
    assert.match(lines[0], /^warning: --fill -1234\.5 matches no value of .*in\.npy/);
    const near = await run("compress", `${tmp}/in.npy`, "-o", `${tmp}/c.mrc`, "--fill", "-9999.91");
    assert.match(
      near.stderr,
      /^warning: --fill -9999\.91 \(as float32: -9999\.91015625\) matches no value/,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("cli.ts compress --reproducible gives the same bytes for the same input", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${tmp}/in.npy`, encodeNpy(smallField(3, 15, 17), [3, 15, 17]));
    const model = ["--coding", "model", "--levels", "2", "--steps", "5", "--backend", "cpu"];
    for (const [name, extra] of [["bounded", []], ["model", model]] as const) {
      const files: Uint8Array[] = [];
      for (const i of [0, 1]) {
        const out = `${tmp}/${name}${i}.mrc`;
        const c = await run("compress", `${tmp}/in.npy`, "-o", out, "--reproducible", ...extra);
        assert.strictEqual(c.code, 0, c.stderr);
        files.push(await Deno.readFile(out));
      }
      assert.deepStrictEqual(files[0], files[1], `${name}: the same bytes`);
      const info = await run("info", `${tmp}/${name}0.mrc`, "--json");
      assert.strictEqual(info.code, 0, info.stderr);
      assert.notStrictEqual(JSON.parse(info.stdout).levels[0].rmse, null, "the report still reads");
      const text = JSON.stringify((await openMrc(files[0])).meta);
      assert.ok(!/"created"|Seconds"|"seconds"/.test(text), "no date or timings in META");
    }
    // Without the flag, META has the date.
    const c = await run("compress", `${tmp}/in.npy`, "-o", `${tmp}/dated.mrc`);
    assert.strictEqual(c.code, 0, c.stderr);
    const dated = await openMrc(await Deno.readFile(`${tmp}/dated.mrc`));
    assert.match(JSON.stringify(dated.meta), /"created"/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test({
  name: "cli.ts leaves no temporary file when killed with SIGTERM, during training or writing",
  ignore: Deno.build.os === "windows",
  async fn() {
    const tmp = await Deno.makeTempDir();
    try {
      // Noise: training does not converge early.
      const noise = new Float32Array(8 * 31 * 31);
      for (let i = 0, s = 1; i < noise.length; i++) {
        noise[i] = (s = (s * 16807) % 2147483647) / 2 ** 31;
      }
      await Deno.writeFile(`${tmp}/in.npy`, encodeNpy(noise, [8, 31, 31]));
      // During training: no temporary file exists yet.
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          cli,
          "compress",
          `${tmp}/in.npy`,
          "-o",
          `${tmp}/out.mrc`,
          ...["--coding", "model", "--steps", "100000", "--time-budget", "600", "--backend", "cpu"],
        ],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const reader = child.stderr.getReader();
      const first = await reader.read(); // the first progress line: training has started
      assert.match(new TextDecoder().decode(first.value), /step/);
      assert.deepStrictEqual(await tmpFiles(tmp), []);
      child.kill("SIGTERM");
      await reader.cancel();
      assert.notStrictEqual((await child.status).code, 0);
      assert.deepStrictEqual(await tmpFiles(tmp), []);
      await assert.rejects(Deno.stat(`${tmp}/out.mrc`), Deno.errors.NotFound);

      // While the output is written: writeAtomic removes its temporary file, then exits 143.
      const script = `${tmp}/hang.ts`;
      const files = new URL("../cli/_files.ts", import.meta.url).href;
      await Deno.writeTextFile(
        script,
        `import { writeAtomic } from "${files}";
await writeAtomic(Deno.args[0], async (f) => {
  await f.write(new Uint8Array(10));
  console.log("writing");
  await new Promise(() => setInterval(() => {}, 1000));
});`,
      );
      const writer = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", script, `${tmp}/out.bin`],
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const out = writer.stdout.getReader();
      await out.read();
      assert.strictEqual((await tmpFiles(tmp)).length, 1);
      writer.kill("SIGTERM");
      await out.cancel();
      assert.strictEqual((await writer.status).code, 143);
      assert.deepStrictEqual(await tmpFiles(tmp), []);
      await assert.rejects(Deno.stat(`${tmp}/out.bin`), Deno.errors.NotFound);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test("cli.ts decompress --threads 2 and 3 write the output of --threads 1 (NaN holes, 5 blocks), also with the narrowest permissions", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const T = 9, H = 15, W = 17;
    const x = smallField(T, H, W);
    for (let g = 3; g < x.length; g += 41) x[g] = NaN;
    await Deno.writeFile(`${tmp}/in.npy`, encodeNpy(x, [T, H, W]));
    const c = await run("compress", `${tmp}/in.npy`, "-o", `${tmp}/a.mrc`, "--block", "2");
    assert.strictEqual(c.code, 0, c.stderr);
    for (const range of [[], ["--snapshots", "1:8"], ["--level", "1"]]) {
      const outputs: Uint8Array[] = [];
      for (const threads of ["1", "2", "3"]) {
        const out = `${tmp}/t${threads}.npy`;
        const d = await run(
          "decompress",
          `${tmp}/a.mrc`,
          "-o",
          out,
          "--force",
          "--threads",
          threads,
          ...range,
        );
        assert.strictEqual(d.code, 0, d.stderr);
        outputs.push(await Deno.readFile(out));
      }
      assert.deepStrictEqual(outputs[1], outputs[0], `${range} threads 2`);
      assert.deepStrictEqual(outputs[2], outputs[0], `${range} threads 3`);
      if (range.length === 0) {
        const npy = parseNpy(outputs[0]);
        assert.ok(Array.from(npy.data).some(Number.isNaN), "no NaN came back");
      }
      // The narrowest flags of decompress (no read access to the worker's module): one thread,
      // the same output; the process ends by itself either way.
      const narrow = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          `--allow-read=${tmp}`,
          `--allow-write=${tmp}`,
          cli,
          "decompress",
          `${tmp}/a.mrc`,
          "-o",
          `${tmp}/n.npy`,
          "--force",
          "--threads",
          "2",
          ...range,
        ],
        stderr: "piped",
        stdout: "null",
        env: { NO_COLOR: "1" },
      }).output();
      assert.strictEqual(narrow.code, 0, new TextDecoder().decode(narrow.stderr));
      assert.deepStrictEqual(await Deno.readFile(`${tmp}/n.npy`), outputs[0], `${range} narrow`);
    }
    for (const bad of ["0", "1025", "1.5", "two"]) {
      assertOneLineError(
        await run("decompress", `${tmp}/a.mrc`, "-o", `${tmp}/x.npy`, "--threads", bad),
        /--threads must be an integer/,
      );
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("cli.ts decompress decodes on every core from 8 Mi output values, else on one thread, unless --threads says", () => {
  const cores = navigator.hardwareConcurrency;
  const file = (rows: number, cols: number) =>
    ({ levels: [{ extent: [rows, cols] }, { extent: [2 * rows, 2 * cols] }] }) as unknown as Pick<
      MrcFile,
      "levels"
    >;
  const big = file(512, 512); // level 1: 1024 x 1024 per snapshot, 8 Mi values in 8 snapshots
  assert.strictEqual(decodeThreads(big, 1, [0, 8], undefined), cores);
  assert.strictEqual(decodeThreads(big, 1, [0, 7], undefined), 1);
  assert.strictEqual(decodeThreads(big, 0, [0, 8], undefined), 1);
  assert.strictEqual(decodeThreads(big, 0, [0, 32], undefined), cores);
  assert.strictEqual(decodeThreads(big, 1, [0, 8], 1), 1);
  assert.strictEqual(decodeThreads(big, 0, [0, 1], 3), 3);
});

Deno.test("cli.ts compress --threads 2 writes the bytes of --threads 1, also without read access to the code", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${tmp}/in.npy`, encodeNpy(smallField(9, 15, 17), [9, 15, 17]));
    const files: Uint8Array[] = [];
    for (const threads of ["1", "2"]) {
      const out = `${tmp}/t${threads}.mrc`;
      const c = await run(
        "compress",
        `${tmp}/in.npy`,
        "-o",
        out,
        "--reproducible",
        "--block",
        "2",
        "--threads",
        threads,
      );
      assert.strictEqual(c.code, 0, c.stderr);
      files.push(await Deno.readFile(out));
    }
    assert.deepStrictEqual(files[1], files[0]);
    // Read access to the temporary folder only: no worker can start, the file is the same.
    const narrow = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--allow-read=${tmp}`,
        `--allow-write=${tmp}`,
        "--allow-env",
        cli,
        "compress",
        `${tmp}/in.npy`,
        "-o",
        `${tmp}/n.mrc`,
        "--reproducible",
        "--block",
        "2",
        "--threads",
        "2",
      ],
      stderr: "piped",
      stdout: "null",
      env: { NO_COLOR: "1" },
    }).output();
    assert.strictEqual(narrow.code, 0, new TextDecoder().decode(narrow.stderr));
    assert.deepStrictEqual(await Deno.readFile(`${tmp}/n.mrc`), files[0]);
    assertOneLineError(
      await run("compress", `${tmp}/in.npy`, "-o", `${tmp}/x.mrc`, "--threads", "0"),
      /threads must be an integer from 1 to 1024/,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("cli.ts compress --format-version writes a file for an older release; info says which", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const [T, H, W] = [4, 19, 23];
    await Deno.writeFile(`${tmp}/in.npy`, encodeNpy(smallField(T, H, W), [T, H, W]));
    const c = await run(
      "compress",
      `${tmp}/in.npy`,
      "-o",
      `${tmp}/old.mrc`,
      "--format-version",
      "1.5",
    );
    assert.strictEqual(c.code, 0, c.stderr);
    const info = await run("info", `${tmp}/old.mrc`);
    assert.match(info.stdout, /old\.mrc: [\d.]+ KiB, format 1\.5, all \d+ chunks verified/);
    assert.strictEqual((await openMrc(`${tmp}/old.mrc`)).version.minor, 5);
    const r = await run(
      "compress",
      `${tmp}/in.npy`,
      "-o",
      `${tmp}/x.mrc`,
      "--format-version",
      "1.2",
      "--predictor",
      "auto",
    );
    assertOneLineError(r, /^error: Cannot compress: predictor "auto" needs format 1\.3 or later/);
    assertOneLineError(
      await run("compress", `${tmp}/in.npy`, "-o", `${tmp}/x.mrc`, "--format-version", "1.9"),
      /formatVersion must be "1\.2" to "1\.7"/,
    );
    assert.ok(!(await Deno.stat(`${tmp}/x.mrc`).then(() => true, () => false)), "nothing written");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
