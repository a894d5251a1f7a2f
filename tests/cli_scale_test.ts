// Large archives from the command line: streamed compress equals in-memory compress byte for
// byte, shards merged equal one run, many netCDF files join along time, and each misfit is
// refused with its own one-line error.
import assert from "node:assert";
import { encodeNpy, parseNpy } from "../src/io/npy.ts";
import { writeYearly } from "./testdata/netcdf/yearly.ts";
import { rawNpy } from "./src/io/_npy_files.ts";

const cli = new URL("../cli.ts", import.meta.url).pathname;

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

async function ok(...args: string[]): Promise<string> {
  const r = await run(...args);
  assert.strictEqual(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function refused(pattern: RegExp, ...args: string[]): Promise<void> {
  const r = await run(...args);
  assert.strictEqual(r.code, 1, `${args.join(" ")} should fail: ${r.stdout}`);
  const lines = r.stderr.trim().split("\n");
  assert.strictEqual(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0], pattern);
}

const same = async (a: string, b: string) =>
  assert.deepStrictEqual(await Deno.readFile(a), await Deno.readFile(b), `${a} != ${b}`);

const hasNcgen = await new Deno.Command("ncgen", {
  args: ["-version"],
  stdout: "null",
  stderr: "null",
})
  .output().then(() => true, () => false);
const hasNcrcat = await new Deno.Command("ncrcat", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
})
  .output().then(() => true, () => false);
if (!hasNcgen) console.log("note: ncgen (netcdf-bin) not found: the netCDF cases are skipped");
if (!hasNcrcat) console.log("note: ncrcat (nco) not found: the one-file netCDF case is skipped");

function field(T: number, H: number, W: number): Float32Array {
  const x = new Float32Array(T * H * W);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        x[(t * H + i) * W + j] = Math.sin(0.1 * t + 0.2 * i) * Math.cos(0.15 * j - 0.05 * t) +
          0.01 * Math.sin(37 * i * j + t);
      }
    }
  }
  return x;
}

Deno.test("compress --stream writes the in-memory file, byte for byte (.npy and raw)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const x = field(90, 24, 30);
    x[50 * 720 + 7] = NaN;
    await Deno.writeFile(`${dir}/x.npy`, encodeNpy(x, [90, 24, 30]));
    await Deno.writeFile(`${dir}/x.raw`, new Uint8Array(x.buffer));
    const o = ["--block", "16", "--reproducible", "--quiet"];
    await ok("compress", `${dir}/x.npy`, "-o", `${dir}/mem.mrc`, ...o);
    const out = await ok(
      "compress",
      `${dir}/x.npy`,
      "-o",
      `${dir}/st.mrc`,
      "--stream",
      "--block",
      "16",
      "--reproducible",
    );
    assert.match(out, /, streamed\n/);
    await same(`${dir}/mem.mrc`, `${dir}/st.mrc`);
    await ok(
      "compress",
      `${dir}/x.raw`,
      "--shape",
      "90,24,30",
      "-o",
      `${dir}/raw.mrc`,
      "--stream",
      ...o,
    );
    await same(`${dir}/mem.mrc`, `${dir}/raw.mrc`);
    // A relative bound with the range given needs no first pass, and equals the same bound.
    await ok("compress", `${dir}/x.npy`, "-o", `${dir}/abs.mrc`, "--error-bound", "0.002", ...o);
    await ok(
      "compress",
      `${dir}/x.npy`,
      "-o",
      `${dir}/rel.mrc`,
      "--stream",
      "--rel-error-bound",
      "0.001",
      "--range",
      "-1,1",
      ...o,
    );
    const a = parseNpy(await Deno.readFile(`${dir}/x.npy`));
    assert.strictEqual(a.shape[0], 90);
    await ok("decompress", `${dir}/rel.mrc`, "-o", `${dir}/rel.npy`);
    await ok("decompress", `${dir}/abs.mrc`, "-o", `${dir}/abs.npy`);
    await same(`${dir}/rel.npy`, `${dir}/abs.npy`);
    const warned = await run(
      "compress",
      `${dir}/x.npy`,
      "-o",
      `${dir}/f.mrc`,
      "--stream",
      "--fill",
      "-999",
      "--quiet",
    );
    assert.strictEqual(warned.code, 0);
    assert.match(
      warned.stderr,
      /^warning: --fill -999 matches no value of .*x\.npy: no value is missing\n$/,
    );
    await refused(
      /--psnr is not streamed: its search codes the whole input about ten times/,
      "compress",
      `${dir}/x.npy`,
      "-o",
      `${dir}/p.mrc`,
      "--stream",
      "--psnr",
      "60",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compress --stream of a Fortran-order (H, W) .npy writes the in-memory file (it was read transposed)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // numpy.asfortranarray of a 24 x 30 field: the first axis varies fastest in the file.
    const c = field(1, 24, 30);
    const f = new Float32Array(c.length);
    for (let j = 0, n = 0; j < 30; j++) for (let i = 0; i < 24; i++) f[n++] = c[i * 30 + j];
    await Deno.writeFile(
      `${dir}/f.npy`,
      rawNpy(
        "{'descr': '<f4', 'fortran_order': True, 'shape': (24, 30), }",
        new Uint8Array(f.buffer),
      ),
    );
    await Deno.writeFile(`${dir}/c.npy`, encodeNpy(c, [24, 30]));
    const o = ["--error-bound", "0.01", "--reproducible", "--quiet"];
    await ok("compress", `${dir}/c.npy`, "-o", `${dir}/c.mrc`, ...o);
    await ok("compress", `${dir}/f.npy`, "-o", `${dir}/mem.mrc`, ...o);
    await ok("compress", `${dir}/f.npy`, "-o", `${dir}/st.mrc`, "--stream", ...o);
    await same(`${dir}/c.mrc`, `${dir}/mem.mrc`);
    await same(`${dir}/c.mrc`, `${dir}/st.mrc`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compress --shard / --snapshots and merge give the single run's bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const x = field(100, 20, 26);
    await Deno.writeFile(`${dir}/x.npy`, encodeNpy(x, [100, 20, 26]));
    let min = Infinity, max = -Infinity;
    for (const v of x) (min = Math.min(min, v), max = Math.max(max, v));
    const o = ["--block", "8", "--reproducible", "--quiet"];
    const rel = ["--rel-error-bound", "1e-3"];
    await ok("compress", `${dir}/x.npy`, "-o", `${dir}/whole.mrc`, ...rel, ...o);
    // Shards coded in any order, with the whole's range (float32 values print exactly).
    const range = ["--range", `${min},${max}`];
    for (const i of [2, 0, 1]) {
      await ok(
        "compress",
        `${dir}/x.npy`,
        "-o",
        `${dir}/s${i}.mrc`,
        "--shard",
        `${i}/3`,
        ...rel,
        ...range,
        ...o,
      );
    }
    const out = await ok(
      "merge",
      `${dir}/s1.mrc`,
      `${dir}/s2.mrc`,
      `${dir}/s0.mrc`,
      "-o",
      `${dir}/m.mrc`,
      "--reproducible",
    );
    assert.match(out, /^3 shards \(.*\) -> .*m\.mrc: .* copied in .* s \(\d+ MB\/s\)\n$/);
    await same(`${dir}/whole.mrc`, `${dir}/m.mrc`);
    // --snapshots, absolute bound.
    await ok("compress", `${dir}/x.npy`, "-o", `${dir}/w2.mrc`, "--error-bound", "0.003", ...o);
    await ok(
      "compress",
      `${dir}/x.npy`,
      "-o",
      `${dir}/a.mrc`,
      "--snapshots",
      "0:48",
      "--error-bound",
      "0.003",
      ...o,
    );
    await ok(
      "compress",
      `${dir}/x.npy`,
      "-o",
      `${dir}/b.mrc`,
      "--snapshots",
      "48:100",
      "--error-bound",
      "0.003",
      ...o,
    );
    await ok(
      "merge",
      `${dir}/a.mrc`,
      `${dir}/b.mrc`,
      "-o",
      `${dir}/m2.mrc`,
      "--reproducible",
      "--quiet",
    );
    await same(`${dir}/w2.mrc`, `${dir}/m2.mrc`);
    // A shard decodes on its own: its own 52 snapshots.
    await ok("decompress", `${dir}/b.mrc`, "-o", `${dir}/b.npy`);
    assert.deepStrictEqual(parseNpy(await Deno.readFile(`${dir}/b.npy`)).shape, [52, 20, 26]);
    // Refusals, each its own message.
    await refused(
      /--snapshots 4:48 must start and end on a block/,
      "compress",
      `${dir}/x.npy`,
      "-o",
      `${dir}/c.mrc`,
      "--snapshots",
      "4:48",
      "--error-bound",
      "0.003",
      ...o,
    );
    await refused(
      /a shard needs the whole's bound: give --error-bound, or --rel-error-bound with --range MIN,MAX/,
      "compress",
      `${dir}/x.npy`,
      "-o",
      `${dir}/c.mrc`,
      "--shard",
      "0/2",
      ...rel,
      ...o,
    );
    await refused(
      /a shard cannot take --psnr: each shard would find its own bound/,
      "compress",
      `${dir}/x.npy`,
      "-o",
      `${dir}/c.mrc`,
      "--shard",
      "0/2",
      "--psnr",
      "60",
      ...o,
    );
    await refused(
      /--shard 2\/2: I must be in 0\.\.N-1/,
      "compress",
      `${dir}/x.npy`,
      "-o",
      `${dir}/c.mrc`,
      "--shard",
      "2/2",
      "--error-bound",
      "0.003",
      ...o,
    );
    await ok(
      "compress",
      `${dir}/x.npy`,
      "-o",
      `${dir}/late.mrc`,
      "--snapshots",
      "40:100",
      "--error-bound",
      "0.003",
      ...o,
    );
    await refused(
      /Cannot merge: .*a\.mrc and .*late\.mrc overlap: both hold snapshots 40\.\.47/,
      "merge",
      `${dir}/a.mrc`,
      `${dir}/late.mrc`,
      "-o",
      `${dir}/c.mrc`,
    );
    await refused(
      /Cannot merge: .*different bounds/,
      "merge",
      `${dir}/s0.mrc`,
      `${dir}/b.mrc`,
      "-o",
      `${dir}/c.mrc`,
    );
    await refused(
      /whole\.mrc is not a shard/,
      "merge",
      `${dir}/a.mrc`,
      `${dir}/whole.mrc`,
      "-o",
      `${dir}/c.mrc`,
    );
    const b = await Deno.readFile(`${dir}/b.mrc`);
    await Deno.writeFile(`${dir}/cut.mrc`, b.subarray(0, b.length - 100));
    await refused(
      /cut\.mrc: .*(truncated|trailer|index)/,
      "merge",
      `${dir}/a.mrc`,
      `${dir}/cut.mrc`,
      "-o",
      `${dir}/c.mrc`,
    );
    await assert.rejects(() => Deno.stat(`${dir}/c.mrc`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const kind of ["classic", "nc4"] as const) {
  Deno.test({
    name: `compress --stream of netCDF (${kind}) writes the in-memory file`,
    ignore: !hasNcgen,
    fn: async () => {
      const dir = await Deno.makeTempDir();
      try {
        const [path] = await writeYearly(dir, { years: 1, perYear: 40, kind });
        const o = [
          "--var",
          "tas",
          "--block",
          "8",
          "--error-bound",
          "0.01",
          "--reproducible",
          "--quiet",
        ];
        await ok("compress", path, "-o", `${dir}/mem.mrc`, ...o);
        await ok("compress", path, "-o", `${dir}/st.mrc`, "--stream", ...o);
        await same(`${dir}/mem.mrc`, `${dir}/st.mrc`);
        await ok("compress", path, "-o", `${dir}/s0.mrc`, "--snapshots", "0:16", ...o);
        await ok("compress", path, "-o", `${dir}/s1.mrc`, "--snapshots", "16:40", ...o);
        await ok("merge", `${dir}/s0.mrc`, `${dir}/s1.mrc`, "-o", `${dir}/m.mrc`, "--reproducible");
        await same(`${dir}/mem.mrc`, `${dir}/m.mrc`);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "20 yearly netCDF files compress into one file that decodes as the same data in one file",
  ignore: !hasNcgen || !hasNcrcat,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const paths = await writeYearly(dir, { years: 20 });
      const o = ["--var", "tas", "--error-bound", "0.01", "--reproducible"];
      const out = await ok("compress", ...paths, "-o", `${dir}/all.mrc`, ...o);
      assert.match(out, /^20 files -> .*all\.mrc: /);
      const cat = await new Deno.Command("ncrcat", { args: ["-O", ...paths, `${dir}/one.nc`] })
        .output();
      assert.ok(cat.success);
      await ok("compress", `${dir}/one.nc`, "-o", `${dir}/one.mrc`, ...o, "--quiet");
      await ok("decompress", `${dir}/all.mrc`, "-o", `${dir}/all.npy`);
      await ok("decompress", `${dir}/one.mrc`, "-o", `${dir}/one.npy`);
      await same(`${dir}/all.npy`, `${dir}/one.npy`);
      assert.deepStrictEqual(parseNpy(await Deno.readFile(`${dir}/all.npy`)).shape, [240, 14, 18]);
      // The time coordinate is stored whole: the netCDF output has all 240 times.
      await ok("decompress", `${dir}/all.mrc`, "-o", `${dir}/all.nc`);
      const dump = await new Deno.Command("ncdump", {
        args: ["-v", "time", `${dir}/all.nc`],
        stdout: "piped",
      }).output();
      const text = new TextDecoder().decode(dump.stdout);
      assert.match(text, /time = UNLIMITED ; \/\/ \(240 currently\)|time = 240 ;/);
      assert.match(text, /6935, 6965/); // year 19, months 0 and 1
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "many-file input with another grid, other units or a time gap is refused, naming the file",
  ignore: !hasNcgen,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const o = ["--var", "tas", "--error-bound", "0.01", "-o", `${dir}/x.mrc`];
      const grid = await writeYearly(`${dir}`, { years: 4, odd: { year: 2, lat: 12 } });
      await refused(
        /tas_2002\.nc does not fit .*tas_2000\.nc: its grid is 12x18, not 14x18/,
        "compress",
        ...grid,
        ...o,
      );
      const units = await writeYearly(`${dir}`, { years: 3, odd: { year: 1, units: "degC" } });
      await refused(
        /tas_2001\.nc does not fit .*: "tas" is in "degC", not "K"/,
        "compress",
        ...units,
        ...o,
      );
      const origin = await writeYearly(`${dir}`, {
        years: 3,
        odd: { year: 2, timeUnits: "days since 1850-01-01" },
      });
      await refused(
        /tas_2002\.nc does not fit .*: its time is in "days since 1850-01-01"/,
        "compress",
        ...origin,
        ...o,
      );
      for await (const e of Deno.readDir(dir)) await Deno.remove(`${dir}/${e.name}`);
      const gap = await writeYearly(`${dir}`, { years: 5, skip: [3] });
      await refused(
        /tas_2004\.nc: a time gap: it starts at 1460, 400 after the 1060 where .*tas_2002\.nc ends/,
        "compress",
        ...gap,
        ...o,
      );
      await refused(
        /tas_2001\.nc: its time starts at 365, not after the 1060 where .*tas_2002\.nc ends/,
        "compress",
        gap[2],
        gap[1],
        ...o,
      );
      await assert.rejects(() => Deno.stat(`${dir}/x.mrc`), Deno.errors.NotFound);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "cli.ts compress --stream selects by coordinate value and moves time first as the in-memory read does",
  ignore: !hasNcgen,
  fn: async () => {
    const { writeCfFixture } = await import("./_cf_fixture.ts");
    const dir = await Deno.makeTempDir();
    try {
      const nc = `${dir}/cf.nc`;
      await writeCfFixture(nc);
      for (const [name, extra] of [["ta", ["--select", "plev=85000"]], ["tlat", []]] as const) {
        const mem = `${dir}/${name}-mem.mrc`, str = `${dir}/${name}-str.mrc`;
        const args = ["--var", name, ...extra, "--error-bound", "0.01", "--reproducible"];
        await ok("compress", nc, "-o", mem, ...args);
        const streamed = await run("compress", nc, "-o", str, ...args, "--stream");
        assert.strictEqual(streamed.code, 0, streamed.stderr);
        if (name === "tlat") assert.match(streamed.stderr, /time \("time"\) is moved first/);
        await same(mem, str);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("cli.ts compress --stream shows its progress per block and the bound at full precision", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Noise at a tight bound: about 5 s of coding on a 2-core machine (a phase under a second
    // shows no progress), 16 blocks of 8 snapshots.
    const [T, H, W] = [128, 256, 256];
    const noise = new Float32Array(T * H * W);
    for (let i = 0, s = 1; i < noise.length; i++) {
      noise[i] = (s = (s * 16807) % 2147483647) / 2 ** 31;
    }
    await Deno.writeFile(`${dir}/in.npy`, encodeNpy(noise, [T, H, W]));
    const r = await run(
      "compress",
      `${dir}/in.npy`,
      "-o",
      `${dir}/out.mrc`,
      "--stream",
      "--block",
      "8",
      "--error-bound",
      "0.0001234567",
    );
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stderr, /^reading and coding 32\.00 MiB a block at a time: \d+%/m);
    assert.match(r.stderr, /^reading and coding 32\.00 MiB a block at a time: done in /m);
    assert.match(
      r.stdout,
      /, bound 0\.0001234567 \(0\.000123 of the range\), coded in .*, streamed$/m,
    );
    const quiet = await run(
      "compress",
      `${dir}/in.npy`,
      "-o",
      `${dir}/q.mrc`,
      "--stream",
      "--quiet",
      "--block",
      "8",
      "--error-bound",
      "0.01",
    );
    assert.strictEqual(quiet.code, 0, quiet.stderr);
    assert.strictEqual(quiet.stderr, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
