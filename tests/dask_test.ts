// examples/dask_shards.py: shards coded by 2 Dask workers (a LocalCluster on 127.0.0.1) and merged
// equal the single-run file, and decode within the bound. Skipped with a note where Dask
// (Debian's python3-distributed) is not installed; .ci/run installs it.
import assert from "node:assert";
import { encodeNpy, parseNpy } from "../src/io/npy.ts";

const root = new URL("../", import.meta.url).pathname;
const cli = `${root}cli.ts`;

/** The first Python that imports dask.distributed, or null. */
async function findPython(): Promise<string | null> {
  for (const python of ["python3", "/usr/bin/python3"]) {
    const ok = await new Deno.Command(python, {
      args: ["-c", "import dask.distributed"],
      stdout: "null",
      stderr: "null",
    }).output().then((o) => o.success, () => false);
    if (ok) return python;
  }
  return null;
}

const python = await findPython();
if (python === null) {
  console.log("note: Dask (python3-distributed) not found: the Dask test is skipped");
}

async function run(cmd: string, args: string[]) {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { DENO: Deno.execPath(), NO_COLOR: "1" },
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

Deno.test({
  name: "examples/dask_shards.py on 2 workers: the merged file equals the single run",
  ignore: python === null,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const [T, H, W] = [70, 24, 28];
      const x = new Float32Array(T * H * W);
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < H; i++) {
          for (let j = 0; j < W; j++) {
            x[(t * H + i) * W + j] = Math.sin(0.2 * t + 0.3 * i) * Math.cos(0.25 * j) +
              0.02 * Math.sin(91 * i * j + 7 * t);
          }
        }
      }
      await Deno.writeFile(`${dir}/x.npy`, encodeNpy(x, [T, H, W]));
      const options = ["--error-bound", "0.002", "--block", "8", "--reproducible"];
      const single = await run(Deno.execPath(), [
        "run",
        "-A",
        cli,
        "compress",
        `${dir}/x.npy`,
        "-o",
        `${dir}/single.mrc`,
        "--quiet",
        ...options,
      ]);
      assert.strictEqual(single.code, 0, single.stderr);
      const dask = await run(python!, [
        `${root}examples/dask_shards.py`,
        `${dir}/x.npy`,
        "-o",
        `${dir}/dask.mrc`,
        "--shards",
        "4",
        "--workers",
        "2",
        "--",
        ...options,
      ]);
      assert.strictEqual(dask.code, 0, dask.stderr);
      assert.match(dask.stdout, /^4 shards on 2 workers in .* s, merged in .* s: /);
      assert.deepStrictEqual(
        await Deno.readFile(`${dir}/dask.mrc`),
        await Deno.readFile(`${dir}/single.mrc`),
      );
      const decoded = await run(Deno.execPath(), [
        "run",
        "-A",
        cli,
        "decompress",
        `${dir}/dask.mrc`,
        "-o",
        `${dir}/dask.npy`,
      ]);
      assert.strictEqual(decoded.code, 0, decoded.stderr);
      const y = parseNpy(await Deno.readFile(`${dir}/dask.npy`)).data;
      for (let i = 0; i < x.length; i++) {
        assert.ok(Math.abs(y[i] - x[i]) <= 0.002, `value ${i}: ${y[i]} vs ${x[i]}`);
      }
      // The shards went to a temporary directory, removed.
      const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      assert.deepStrictEqual(left, ["dask.mrc", "dask.npy", "single.mrc", "x.npy"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
