// The CLI on netCDF: listing without --var, compress --var/--select, info, decompress -o .nc.
import assert from "node:assert";

const cli = new URL("../cli.ts", import.meta.url).pathname;
const fixture = new URL("testdata/netcdf/small-classic.nc", import.meta.url).pathname;

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", cli, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("cli compress/info/decompress round-trip a netCDF variable", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const list = await run("compress", fixture, "-o", `${dir}/x.mrc`);
    assert.strictEqual(list.code, 1);
    assert.match(list.stdout, /air +float +\(time=8, level=2, lat=9, lon=12\)/);
    assert.match(list.stderr, /^error: .*small-classic\.nc is a netCDF file: pass --var NAME/);
    // A 4-D variable alone is stored whole, one part per level (tests/cli_collection_test.ts).
    const whole = await run("compress", fixture, "--var", "air", "-o", `${dir}/x.mrc`);
    assert.strictEqual(whole.code, 0, whole.stderr);
    assert.match(whole.stdout, /1 variable in 2 parts \(a collection, format 1\.4\)/);
    const ok = await run(
      "compress",
      fixture,
      "--var",
      "air",
      "--select",
      "level=1",
      "-o",
      `${dir}/air.mrc`,
      "--quiet",
    );
    assert.strictEqual(ok.code, 0, ok.stderr);
    const info = await run("info", `${dir}/air.mrc`);
    assert.match(info.stdout, /variable "air" \(float\): air temperature \[K\]/);
    assert.match(info.stdout, /selected: level=1 \(500 hPa\)/);
    const nc = await run("decompress", `${dir}/air.mrc`, "-o", `${dir}/air.nc`, "--level", "0");
    assert.strictEqual(nc.code, 0, nc.stderr);
    assert.match(nc.stdout, /level 0, shape \(8, 4, 6\), float32, netCDF-4 variable "air"/);
    const npy = await run("decompress", `${dir}/air.mrc`, "-o", `${dir}/air.npy`);
    assert.strictEqual(npy.code, 0, npy.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli decompress -o .nc of float64 data writes a --fill value float32 cannot hold exactly", async () => {
  const { encodeNpy } = await import("../src/io/npy.ts");
  const { readNetcdf } = await import("../src/io/netcdf/mod.ts");
  const dir = await Deno.makeTempDir();
  try {
    const [T, H, W] = [2, 9, 11];
    const data = Float64Array.from(
      { length: T * H * W },
      (_, i) => i % 8 === 0 ? -9999.99 : Math.sin(0.3 * i) + 1e-9 * i,
    );
    await Deno.writeFile(`${dir}/in.npy`, encodeNpy(data, [T, H, W]));
    const c = await run("compress", `${dir}/in.npy`, "-o", `${dir}/x.mrc`, "--fill", "-9999.99");
    assert.strictEqual(c.code, 0, c.stderr);
    const d = await run("decompress", `${dir}/x.mrc`, "-o", `${dir}/x.nc`);
    assert.strictEqual(d.code, 0, d.stderr);
    const field = await readNetcdf(`${dir}/x.nc`, { variable: "data" });
    assert.ok(field.data instanceof Float64Array);
    for (let i = 0; i < data.length; i++) {
      if (data[i] === -9999.99) assert.strictEqual(field.data[i], -9999.99, `value ${i}`);
      else assert.notStrictEqual(field.data[i], -9999.99, `value ${i}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
