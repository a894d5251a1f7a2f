// The model sets' layout (SPEC.md §4.7.4) and the exact table form of the bit probability.
import assert from "node:assert";
import {
  contextIndex,
  levelFlagContext,
  magnitudeContext,
  modeBase,
  MODEL_SETS,
  modelSetSize,
  prefixBase,
  rowFlagContext,
  signContext,
  zeroBase,
  zeroContext,
} from "../../../src/bounded/contexts.ts";
import { COUNT_LIMIT, p0, probabilityOfZero } from "../../../format/_range_coder.ts";

Deno.test("the model sets have the sizes SPEC.md §4.7.4 gives", () => {
  const sizes = Object.fromEntries(
    Object.entries(MODEL_SETS).map(([k, v]) => [k, modelSetSize(v)]),
  );
  assert.deepStrictEqual(sizes, { Z: 2880, G: 18, U: 96, M: 576, O: 16, F: 18, R: 162 });
});

Deno.test("the coder's context formulas equal the layout's index on every value", () => {
  for (let pass = 0; pass < 4; pass++) {
    for (let fc = 0; fc < 2; fc++) {
      for (let mode = 0; mode < 3; mode++) {
        for (let nS = 0; nS < 3; nS++) {
          for (let nP = 0; nP < 5; nP++) {
            for (let nT = 0; nT < 2; nT++) {
              for (let act = 0; act < 4; act++) {
                assert.strictEqual(
                  zeroContext(zeroBase(pass, fc, mode), nS, nP, nT, act),
                  contextIndex(MODEL_SETS.Z, [pass, fc, mode, nS, nP, nT, act]),
                );
              }
            }
            assert.strictEqual(
              prefixBase(fc, nP),
              contextIndex(MODEL_SETS.U, [fc, nP > 1 ? 1 : 0, 0]),
            );
          }
        }
        for (let last = 0; last < 3; last++) {
          assert.strictEqual(
            levelFlagContext(fc, mode, last),
            contextIndex(MODEL_SETS.F, [fc, mode, last]),
          );
        }
        if (pass > 0) {
          for (let prev = 0; prev < 3; prev++) {
            for (let par = 0; par < 5; par++) {
              assert.strictEqual(
                rowFlagContext(pass, fc, mode, prev, par),
                contextIndex(MODEL_SETS.R, [pass - 1, fc, mode, prev, Math.min(par, 2)]),
              );
            }
          }
        }
      }
      for (let sc = 0; sc < 3; sc++) {
        for (let alt = 0; alt < 3; alt++) {
          assert.strictEqual(signContext(fc, sc, alt), contextIndex(MODEL_SETS.G, [fc, sc, alt]));
        }
      }
      for (let last = 0; last < 4; last++) {
        assert.strictEqual(modeBase(fc, last), contextIndex(MODEL_SETS.O, [fc, last, 0]));
      }
    }
  }
  for (let nb = 1; nb <= 20; nb++) {
    for (let j = Math.max(0, nb - 2); j < nb; j++) {
      for (let e = 0; e < (j === nb - 2 ? 2 : 1); e++) {
        assert.strictEqual(
          magnitudeContext(nb, j, e),
          contextIndex(MODEL_SETS.M, [nb, nb - 1 - j, e]),
        );
      }
    }
  }
  assert.throws(() => contextIndex(MODEL_SETS.G, [2, 0, 0]), /fc = 2 is outside 0\.\.1/);
});

Deno.test("the reciprocal table gives the SPEC's division-defined probability for every reachable count", () => {
  // Counts are halved when they reach COUNT_LIMIT, so n0 + n1 < COUNT_LIMIT when a bit is coded.
  let checked = 0;
  for (let n = 0; n < COUNT_LIMIT; n++) {
    for (let n0 = 0; n0 <= n; n0++) {
      if (p0(n0, n - n0) !== probabilityOfZero(n0, n - n0)) {
        assert.fail(
          `p0(${n0}, ${n - n0}) = ${p0(n0, n - n0)}, SPEC ${probabilityOfZero(n0, n - n0)}`,
        );
      }
      checked++;
    }
  }
  assert.strictEqual(checked, COUNT_LIMIT * (COUNT_LIMIT + 1) / 2);
});
