// The conformance vectors of tests/testdata/conformance/ (SPEC.md §10): the reference readers
// decode every valid vector to the values of the naive decoders (bounded ones bit for bit), and
// refuse every invalid one; each bounded vector catches the wrong readings of the SPEC it names.
import assert from "node:assert";
import { MrcFormatError } from "../../format/mod.ts";
import { decodeStream, openMrc } from "../../decode.ts";
import type { ConformanceVector } from "../testdata/conformance/generate.ts";
import { vectors } from "../testdata/conformance/generate.ts";
import { decodeBoundedNaive } from "../testdata/conformance/naive_bounded.ts";
import { streamOf } from "./_helpers.ts";

const dir = new URL("../testdata/conformance/", import.meta.url);
const names = [...Deno.readDirSync(dir)]
  .filter((e) => e.name.endsWith(".mrc"))
  .map((e) => e.name.slice(0, -4))
  .sort();

function compare(
  got: { shape: number[]; rows: Int32Array; cols: Int32Array; data: ArrayLike<number> },
  want: NonNullable<ConformanceVector["levels"]>[number],
  what: string,
  exact: boolean,
) {
  assert.deepStrictEqual(got.shape, want.shape, `${what}: shape`);
  assert.deepStrictEqual([...got.rows], want.rows, `${what}: rows`);
  assert.deepStrictEqual([...got.cols], want.cols, `${what}: cols`);
  if (exact) {
    // Bounded coding (§10): every value bit for bit, -0 included.
    want.data.forEach((v, i) => {
      if (v === null) assert.ok(Number.isNaN(got.data[i]), `${what}: value ${i} must be missing`);
      else {assert.ok(
          Object.is(got.data[i], v),
          `${what}: value ${i} is ${got.data[i]}, expected ${v}`,
        );}
    });
    return;
  }
  const scale = 2; // every vector's normalization scale
  let largest = 0;
  for (const v of want.data) if (v !== null) largest = Math.max(largest, Math.abs(v));
  const tol = 2 ** -16 * (1 + largest) * scale;
  want.data.forEach((v, i) => {
    if (v === null) assert.ok(Number.isNaN(got.data[i]), `${what}: value ${i} must be missing`);
    else {
      assert.ok(
        Math.abs(got.data[i] - v) <= tol,
        `${what}: value ${i} is ${got.data[i]}, expected ${v}`,
      );
    }
  });
}

Deno.test("conformance vectors are what generate.ts makes", async () => {
  const made = await vectors();
  assert.deepStrictEqual(made.map((v) => v.name).sort(), names);
  for (const v of made) {
    assert.deepStrictEqual(v.bytes, await Deno.readFile(new URL(`${v.name}.mrc`, dir)), v.name);
    const json = JSON.parse(await Deno.readTextFile(new URL(`${v.name}.json`, dir)));
    assert.deepStrictEqual(json, JSON.parse(JSON.stringify(v.json)), v.name);
  }
});

for (const name of names) {
  Deno.test(`openMrc() and decodeStream() meet conformance vector ${name}`, async () => {
    const bytes = await Deno.readFile(new URL(`${name}.mrc`, dir));
    const want: ConformanceVector = JSON.parse(
      await Deno.readTextFile(new URL(`${name}.json`, dir)),
    );
    if (!want.valid) {
      await assert.rejects(async () => {
        const file = await openMrc(bytes);
        await file.verify();
        for await (const _ of file.progressive());
      }, MrcFormatError);
      await assert.rejects(async () => {
        for await (const _ of decodeStream(streamOf(bytes, 64)));
      }, MrcFormatError);
      return;
    }
    const file = await openMrc(bytes);
    const exact = file.header.coding === "bounded";
    assert.strictEqual(
      exact,
      want.catches !== undefined,
      `${name}: bounded vectors name what they catch`,
    );
    for (const level of want.levels!) {
      compare(
        await file.decode({ level: level.level }),
        level,
        `${name} decode() level ${level.level}`,
        exact,
      );
    }
    let k = 0;
    for await (const got of file.progressive()) {
      compare(got, want.levels![k++], `${name} progressive()`, exact);
    }
    assert.strictEqual(k, want.levels!.length);
    k = 0;
    for await (const got of decodeStream(streamOf(bytes, 64))) {
      compare(got, want.levels![k++], `${name} decodeStream()`, exact);
    }
    assert.strictEqual(k, want.levels!.length);
  });
}

Deno.test("each bounded vector makes a decoder that reads the SPEC the other way fail", async () => {
  let readings = 0;
  for (const name of names) {
    const bytes = await Deno.readFile(new URL(`${name}.mrc`, dir));
    const want: ConformanceVector = JSON.parse(
      await Deno.readTextFile(new URL(`${name}.json`, dir)),
    );
    if (want.valid && want.catches !== undefined) {
      // The right reading gives the committed levels; each wrong one an error or other values.
      // As the vector's JSON writes them: a NaN value is null there.
      const asJson = (levels: unknown) => JSON.parse(JSON.stringify(levels));
      assert.deepStrictEqual(asJson(decodeBoundedNaive(bytes)), want.levels, name);
      for (const reading of want.catches) {
        readings++;
        let other: unknown = null;
        try {
          other = asJson(decodeBoundedNaive(bytes, { [reading]: true }));
        } catch {
          continue;
        }
        assert.notDeepStrictEqual(other, want.levels, `${name} does not catch ${reading}`);
      }
    } else if (!want.valid && /^invalid-bounded-/.test(name)) {
      assert.throws(() => decodeBoundedNaive(bytes), `${name}: the naive decoder accepts it`);
      for (const reading of want.acceptedBy ?? []) {
        decodeBoundedNaive(bytes, { [reading]: true }); // this wrong reading lets it through
      }
    }
  }
  assert.strictEqual(readings, 17, "the wrong readings the valid vectors catch");
});
