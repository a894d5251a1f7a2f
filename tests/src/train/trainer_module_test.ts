import assert from "node:assert";
import type { TrainerModule } from "../../../src/train/types.ts";

Deno.test("src/train/mod.ts satisfies TrainerModule", async () => {
  // A static specifier, so `deno check` verifies the real module against the interface.
  const trainer: TrainerModule = await import("../../../src/train/mod.ts");
  assert.strictEqual(typeof trainer.trainMrcae, "function");
});
