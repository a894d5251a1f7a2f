import assert from "node:assert";
import { encodeNpy, hasNpySignature, npyParts, parseNpy } from "../../../src/io/npy.ts";
import { mulberry32 as random } from "../../../src/random.ts";
import { rawNpy } from "./_npy_files.ts";

Deno.test("encodeNpy() and parseNpy() round-trip float32 and float64 at several shapes", () => {
  const rand = random(1);
  const shapes = [[], [0], [1], [7], [2, 3], [3, 1, 5], [2, 0, 4], [4, 5, 6, 2]];
  for (const shape of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    for (const Ctor of [Float32Array, Float64Array]) {
      const data = new Ctor(n).map(() => rand() * 2e3 - 1e3);
      const bytes = encodeNpy(data, shape);
      assert.ok(hasNpySignature(bytes));
      const headerLength = new DataView(bytes.buffer).getUint16(8, true);
      assert.strictEqual((10 + headerLength) % 64, 0, "header padded to 64 bytes");
      const parsed = parseNpy(bytes);
      assert.deepStrictEqual(parsed.shape, shape);
      assert.strictEqual(parsed.dtype, Ctor === Float32Array ? "float32" : "float64");
      assert.strictEqual(parsed.fortranOrder, false);
      assert.ok(parsed.data instanceof Ctor);
      assert.deepStrictEqual(Array.from(parsed.data), Array.from(data));
    }
  }
});

Deno.test("parseNpy() keeps NaN, infinities and negative zero", () => {
  const data = new Float64Array([NaN, Infinity, -Infinity, -0, 1e-310]);
  const parsed = parseNpy(encodeNpy(data, [5]));
  assert.ok(Number.isNaN(parsed.data[0]));
  assert.strictEqual(parsed.data[1], Infinity);
  assert.strictEqual(parsed.data[2], -Infinity);
  assert.ok(Object.is(parsed.data[3], -0));
  assert.strictEqual(parsed.data[4], 1e-310);
});

Deno.test("parseNpy() reads an unaligned subarray", () => {
  const bytes = encodeNpy(new Float32Array([1, 2, 3]), [3]);
  const padded = new Uint8Array(bytes.length + 3);
  padded.set(bytes, 3);
  assert.deepStrictEqual(Array.from(parseNpy(padded.subarray(3)).data), [1, 2, 3]);
});

Deno.test("parseNpy() converts Fortran order to C order", () => {
  // C-order array a[i][j][k] = 100 i + 10 j + k of shape (2, 3, 4), stored column-major.
  const shape = [2, 3, 4];
  const fortran = new Float64Array(24);
  let n = 0;
  for (let k = 0; k < 4; k++) {
    for (let j = 0; j < 3; j++) {
      for (let i = 0; i < 2; i++) fortran[n++] = 100 * i + 10 * j + k;
    }
  }
  const file = rawNpy(
    "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 4), }",
    new Uint8Array(fortran.buffer),
  );
  const parsed = parseNpy(file);
  assert.strictEqual(parsed.fortranOrder, true);
  assert.deepStrictEqual(parsed.shape, shape);
  const expected: number[] = [];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expected.push(100 * i + 10 * j + k);
  }
  assert.deepStrictEqual(Array.from(parsed.data), expected);
});

Deno.test("parseNpy() byte-swaps big-endian float32 and float64", () => {
  const values = [1.5, -2.25, 3e30, 0];
  for (const [descr, size] of [[">f4", 4], [">f8", 8]] as const) {
    const data = new Uint8Array(values.length * size);
    const view = new DataView(data.buffer);
    values.forEach((v, i) =>
      size === 4 ? view.setFloat32(i * 4, v, false) : view.setFloat64(i * 8, v, false)
    );
    const parsed = parseNpy(
      rawNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': (2, 2), }`, data),
    );
    const expected = size === 4 ? Array.from(new Float32Array(values)) : values;
    assert.deepStrictEqual(Array.from(parsed.data), expected);
  }
});

Deno.test("parseNpy() reads version 2.0 and 3.0 headers and '=' byte order", () => {
  const data = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
  for (const major of [2, 3]) {
    const parsed = parseNpy(
      rawNpy("{'descr': '=f4', 'fortran_order': False, 'shape': (3,), }", data, major),
    );
    assert.deepStrictEqual(Array.from(parsed.data), [1, 2, 3]);
  }
  // Key order and spacing are not fixed by the format.
  const parsed = parseNpy(rawNpy('{"shape":(1,3),"fortran_order":False,"descr":"<f4"}', data));
  assert.deepStrictEqual(parsed.shape, [1, 3]);
});

Deno.test("parseNpy() rejects other dtypes and names them", () => {
  for (const descr of ["<i4", "|u1", "<f2", "<c8", "|f4", "|b1"]) {
    assert.throws(
      () =>
        parseNpy(
          rawNpy(
            `{'descr': '${descr}', 'fortran_order': False, 'shape': (0,), }`,
            new Uint8Array(0),
          ),
        ),
      (err: Error) =>
        err instanceof TypeError &&
        err.message ===
          `Cannot read .npy: dtype "${descr}" is not supported (use float32 or float64)`,
    );
  }
  assert.throws(
    () =>
      parseNpy(
        rawNpy(
          "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (0,), }",
          new Uint8Array(0),
        ),
      ),
    TypeError,
  );
});

Deno.test("parseNpy() rejects a bad magic, an unknown version and truncation", () => {
  assert.throws(() => parseNpy(new Uint8Array([1, 2, 3])), /Cannot read \.npy: bad magic/);
  const good = encodeNpy(new Float32Array(4), [4]);
  const badVersion = good.slice();
  badVersion[6] = 4;
  assert.throws(() => parseNpy(badVersion), /format version "4\.0" is not supported/);
  assert.throws(() => parseNpy(good.subarray(0, 9)), RangeError);
  assert.throws(() => parseNpy(good.subarray(0, 40)), /header declares \d+ bytes/);
});

Deno.test("parseNpy() rejects a header that lies about the data size, before allocating", () => {
  const good = encodeNpy(new Float32Array(4), [4]);
  assert.throws(
    () => parseNpy(good.subarray(0, good.length - 1)),
    (err: Error) =>
      err instanceof RangeError &&
      err.message === `Cannot read .npy: shape (4) of "<f4" needs 16 data bytes, found 15`,
  );
  assert.throws(() => parseNpy(new Uint8Array([...good, 0, 0, 0, 0])), RangeError);
  // A shape of 2^32 values must fail on the size check, not on allocation.
  const huge = rawNpy(
    "{'descr': '<f8', 'fortran_order': False, 'shape': (65536, 65536), }",
    new Uint8Array(8),
  );
  assert.throws(() => parseNpy(huge), /needs \d+ data bytes, found 8/);
});

Deno.test("parseNpy() rejects malformed header dicts", () => {
  const data = new Uint8Array(4);
  const headers = [
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)",
    "{'descr': '<f4', 'fortran_order': False}",
    "{'descr': '<f4', 'shape': (1,), }",
    "{'fortran_order': False, 'shape': (1,), }",
    "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': ('a',), }",
    "['descr', '<f4']",
    "descr: <f4",
  ];
  for (const header of headers) {
    assert.throws(
      () => parseNpy(rawNpy(header, data)),
      (err: Error) => err instanceof TypeError && err.message.startsWith("Cannot read .npy: "),
      header,
    );
  }
});

Deno.test("encodeNpy() rejects a shape that does not match the data", () => {
  assert.throws(() => encodeNpy(new Float32Array(5), [2, 3]), /holds 6 values, data has 5/);
  assert.throws(() => encodeNpy(new Float32Array(0), [-1]), TypeError);
});

const hasNumpy = await (async () => {
  try {
    const { code } = await new Deno.Command("python3", {
      args: ["-c", "import numpy"],
      stdout: "null",
      stderr: "null",
    }).output();
    return code === 0;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "parseNpy() matches numpy on files numpy wrote, and numpy reads encodeNpy() output",
  ignore: !hasNumpy, // Skipped when python3 with numpy is not installed.
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mrcae_npy_" });
    try {
      const script = `
import numpy as np, sys, json
d = sys.argv[1]
rng = np.random.default_rng(7)
a = rng.standard_normal((3, 4, 5))
cases = {
  "c_f4": a.astype("<f4"),
  "c_f8": a.astype("<f8"),
  "be_f4": a.astype(">f4"),
  "be_f8": a.astype(">f8"),
  "fortran_f4": np.asfortranarray(a.astype("<f4")),
  "fortran_be_f8": np.asfortranarray(a.astype(">f8")),
  "scalar": np.array(2.5),
  "empty": np.zeros((0, 3), "<f4"),
  "vector": np.arange(10, dtype="<f8"),
}
for k, v in cases.items():
    np.save(f"{d}/{k}.npy", v)
    # The C-order native float64 values, the reference.
    np.ascontiguousarray(v, dtype="<f8").tofile(f"{d}/{k}.ref")
np.lib.format.write_array(open(f"{d}/v2.npy", "wb"), a.astype("<f4"), version=(2, 0))
np.ascontiguousarray(a, dtype="<f8").astype("<f4").astype("<f8").tofile(f"{d}/v2.ref")
np.lib.format.write_array(open(f"{d}/v3.npy", "wb"), a.astype("<f8"), version=(3, 0))
np.ascontiguousarray(a, dtype="<f8").tofile(f"{d}/v3.ref")
np.save(f"{d}/int.npy", np.arange(4, dtype="<i4"))
json.dump({k: list(v.shape) for k, v in cases.items()}, open(f"{d}/shapes.json", "w"))
`;
      const run = await new Deno.Command("python3", { args: ["-c", script, dir] }).output();
      assert.strictEqual(run.code, 0, new TextDecoder().decode(run.stderr));
      const shapes = JSON.parse(await Deno.readTextFile(`${dir}/shapes.json`));
      shapes.v2 = [3, 4, 5];
      shapes.v3 = [3, 4, 5];
      for (const [name, shape] of Object.entries(shapes)) {
        const parsed = parseNpy(await Deno.readFile(`${dir}/${name}.npy`));
        const refBytes = await Deno.readFile(`${dir}/${name}.ref`);
        const ref = new Float64Array(refBytes.buffer, refBytes.byteOffset, refBytes.length / 8);
        assert.deepStrictEqual(parsed.shape, shape, name);
        assert.deepStrictEqual(Array.from(parsed.data), Array.from(ref), name);
        assert.strictEqual(parsed.fortranOrder, name.startsWith("fortran"), name);
      }
      const intFile = await Deno.readFile(`${dir}/int.npy`);
      assert.throws(() => parseNpy(intFile), /dtype "<i4" is not supported/);

      // The other direction: numpy loads what encodeNpy writes.
      const ours = new Float32Array(24).map((_, i) => i * 0.5 - 3);
      await Deno.writeFile(`${dir}/ours.npy`, encodeNpy(ours, [2, 3, 4]));
      const check = await new Deno.Command("python3", {
        args: [
          "-c",
          "import numpy as np, sys; a = np.load(sys.argv[1]); " +
          "assert a.dtype == np.float32 and a.shape == (2, 3, 4), (a.dtype, a.shape); " +
          "assert (a.ravel() == np.arange(24) * 0.5 - 3).all()",
          `${dir}/ours.npy`,
        ],
      }).output();
      assert.strictEqual(check.code, 0, new TextDecoder().decode(check.stderr));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

if (!hasNumpy) {
  console.warn("npy_test: python3 with numpy not found; numpy differential test skipped");
}

Deno.test("npyParts: encodeNpy's bytes as header and values, the values a view of the data", () => {
  for (
    const data of [Float32Array.of(1, -2.5, 3, NaN, 5, 6), Float64Array.of(1e300, -0, 7, 8, 9, 10)]
  ) {
    const [header, values] = npyParts(data, [2, 3]);
    const whole = encodeNpy(data, [2, 3]);
    assert.deepStrictEqual(Uint8Array.of(...header, ...values), whole);
    assert.strictEqual(values.buffer, data.buffer, "no copy on a little-endian host");
    assert.deepStrictEqual(parseNpy(whole).data, data);
  }
  assert.throws(() => npyParts(new Float32Array(5), [2, 3]), /holds 6 values, data has 5/);
});
