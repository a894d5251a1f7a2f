/**
 * Training progress on stderr for `compress`.
 *
 * @module
 */

import type { TrainProgress } from "../src/train/types.ts";

/** What {@linkcode progressReporter} returns. */
export interface ProgressReporter {
  update(e: TrainProgress): void;
  done(): void;
}

/** A progress line on stderr: a bar when stderr is a terminal, plain lines (every few seconds) otherwise. */
export function progressReporter(quiet: boolean): ProgressReporter {
  if (quiet) return { update() {}, done() {} };
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  let lastPlain = -Infinity;
  let lastStage = -1;
  return {
    update(e) {
      const frac = e.steps > 0 ? e.step / e.steps : 1;
      const label = `level ${e.level} stage ${e.stage} ${e.op.padEnd(6)} step ${
        String(e.step).padStart(5)
      }/${e.steps} loss ${e.loss.toExponential(3)} ${e.elapsed.toFixed(1)}s`;
      if (tty) {
        const width = 24, fill = Math.round(frac * width);
        Deno.stderr.writeSync(
          enc.encode(`\r[${"#".repeat(fill)}${"-".repeat(width - fill)}] ${label}\x1b[K`),
        );
      } else if (e.stage !== lastStage || e.elapsed - lastPlain >= 5 || e.step === e.steps) {
        lastPlain = e.elapsed;
        lastStage = e.stage;
        console.error(label);
      }
    },
    done() {
      if (tty) Deno.stderr.writeSync(enc.encode("\n"));
    },
  };
}
