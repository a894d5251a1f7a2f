// The file readers of compress: a whole `.npy` or raw file read straight into its array, and the
// slab readers of --stream, --snapshots and --shard, give parseNpy()'s values in every byte
// order, element type and array order they accept.
import assert from "node:assert";
import { encodeNpy, parseNpy } from "../../../src/io/npy.ts";
import { npySource, rawSource, readNpyFile, readRawFile } from "../../../src/encode/sources.ts";
import { rawNpy } from "../io/_npy_files.ts";

/** `a[i][j][k] = 100 i + 10 j + k + 0.5` of `shape`, in Fortran order (first axis fastest). */
function fortranValues(shape: number[], Ctor: Float32ArrayConstructor | Float64ArrayConstructor) {
  const [A, B, C] = shape.length === 3 ? shape : [1, ...shape];
  const out = new Ctor(A * B * C);
  let n = 0;
  for (let k = 0; k < C; k++) {
    for (let j = 0; j < B; j++) for (let i = 0; i < A; i++) out[n++] = 100 * i + 10 * j + k + 0.5;
  }
  return out;
}

/** Big-endian bytes of `values`. */
function bigEndian(values: Float32Array | Float64Array): Uint8Array {
  const size = values.BYTES_PER_ELEMENT;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((v, i) =>
    size === 4 ? view.setFloat32(4 * i, v, false) : view.setFloat64(8 * i, v, false)
  );
  return out;
}

const shapeText = (shape: number[]) => `(${shape.join(", ")}${shape.length === 1 ? "," : ""})`;

/** Every kind of `.npy` file the readers take, by name. */
function files(): [string, Uint8Array][] {
  const c32 = new Float32Array(5 * 6 * 7).map((_, i) => Math.sin(i) * 100);
  const c64 = new Float64Array(6 * 7).map((_, i) => Math.cos(i) / 3);
  const f2 = fortranValues([6, 7], Float32Array);
  const f3 = fortranValues([3, 4, 5], Float64Array);
  const header = (descr: string, fortran: boolean, shape: number[]) =>
    `{'descr': '${descr}', 'fortran_order': ${fortran ? "True" : "False"}, 'shape': ${
      shapeText(shape)
    }, }`;
  return [
    ["float32 (T, H, W)", encodeNpy(c32, [5, 6, 7])],
    ["float64 (H, W)", encodeNpy(c64, [6, 7])],
    ["Fortran float32 (H, W)", rawNpy(header("<f4", true, [6, 7]), new Uint8Array(f2.buffer))],
    [
      "Fortran float64 (T, H, W)",
      rawNpy(header("<f8", true, [3, 4, 5]), new Uint8Array(f3.buffer)),
    ],
    ["big-endian float32 (T, H, W)", rawNpy(header(">f4", false, [5, 6, 7]), bigEndian(c32))],
    [
      "version 2.0 float64 (H, W)",
      rawNpy(header("<f8", false, [6, 7]), new Uint8Array(c64.buffer), 2),
    ],
  ];
}

/** Runs `check` on each of `files()`, written to a temporary path, with what parseNpy() reads. */
async function eachFile(
  check: (name: string, path: string, want: ReturnType<typeof parseNpy>) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, bytes] of files()) {
      const path = `${dir}/x.npy`;
      await Deno.writeFile(path, bytes);
      await check(name, path, parseNpy(bytes));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readNpyFile() gives parseNpy()'s values and shape for every kind of .npy file, shared or not", async () => {
  await eachFile(async (name, path, want) => {
    for (const shared of [false, true]) {
      const got = await readNpyFile(path, { shared });
      assert.deepStrictEqual(got.shape, want.shape, name);
      assert.strictEqual(got.data.constructor, want.data.constructor, name);
      assert.deepStrictEqual(Array.from(got.data), Array.from(want.data), name);
      // In place where the bytes are the values (the host's byte order, C order).
      const inPlace = !want.fortranOrder && !name.startsWith("big-endian");
      if (inPlace) {
        assert.strictEqual(got.data.buffer instanceof SharedArrayBuffer, shared, `${name} shared`);
      }
    }
  });
});

Deno.test("npySource() reads parseNpy()'s values slab by slab, a Fortran-order (H, W) field included", async () => {
  await eachFile(async (name, path, want) => {
    if (want.fortranOrder && want.shape.length === 3) {
      await assert.rejects(npySource(path), /Fortran-order .* cannot be read in slabs/, name);
      return;
    }
    const source = await npySource(path);
    try {
      const [T, H, W] = source.shape;
      const got: number[] = [];
      for (let t = 0; t < T; t += 2) got.push(...await source.read(t, Math.min(T, t + 2)));
      assert.strictEqual(got.length, T * H * W, name);
      assert.deepStrictEqual(got, Array.from(want.data), name);
    } finally {
      source.close();
    }
  });
});

Deno.test("readRawFile() reads raw float32 straight into its array; a wrong size or a truncated .npy is refused, naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const x = new Float32Array(4 * 5 * 6).map((_, i) => i / 7 - 3);
    await Deno.writeFile(`${dir}/x.raw`, new Uint8Array(x.buffer));
    assert.deepStrictEqual(await readRawFile(`${dir}/x.raw`, [4, 5, 6]), x);
    const shared = await readRawFile(`${dir}/x.raw`, [4, 5, 6], { shared: true });
    assert.ok(shared.buffer instanceof SharedArrayBuffer);
    assert.deepStrictEqual(Array.from(shared), Array.from(x));
    assert.deepStrictEqual(await readRawFile(`${dir}/x.raw`, [20, 6]), x);
    await assert.rejects(
      readRawFile(`${dir}/x.raw`, [4, 5, 7]),
      /x\.raw has 480 bytes, but shape 4x5x7 of float32 needs 560/,
    );
    // The raw reader and the slab reader are the same code.
    const source = await rawSource(`${dir}/x.raw`, [4, 5, 6]);
    assert.deepStrictEqual(await source.read(1, 3), x.subarray(30, 90));
    source.close();
    const npy = encodeNpy(x, [4, 5, 6]);
    await Deno.writeFile(`${dir}/cut.npy`, npy.subarray(0, npy.length - 4));
    await assert.rejects(readNpyFile(`${dir}/cut.npy`), /cut\.npy: .*/);
    await assert.rejects(readNpyFile(`${dir}/none.npy`), /none\.npy: no such file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
