/**
 * Progress on stderr for the long phases of `compress` and `decompress` (reading, coding, the
 * `--psnr` trials, training, decoding, writing): a bar with the share done and the time left
 * when stderr is a terminal, plain lines otherwise (at most one per 10% and per 2 s), nothing
 * with `--quiet`. A phase that ends within a second prints nothing, so that quick runs stay
 * quiet and an error stays the only line on stderr.
 *
 * @module
 */

import type { TrainProgress } from "../src/train/types.ts";

/** What {@linkcode progressReporter} returns. */
export interface ProgressReporter {
  /** Whether it shows nothing (`--quiet`): a caller need not keep time for it (a ticker). */
  readonly quiet: boolean;
  /**
   * Starts a phase (`"coding"`, `"reading in.nc"`), ending the one before. With `now`, it shows
   * at once (a phase known to be long that cannot tell its progress while it runs).
   */
  phase(label: string, now?: boolean): void;
  /**
   * The current phase's share done (0 to 1), or null when it is not known (then only the time
   * shows), and a detail to show after it (`"trial 2 at bound 0.01"`). With `eta` false the
   * share is of a part whose count is not known (a `--psnr` trial): no time left is shown.
   */
  update(done: number | null, detail?: string, eta?: boolean): void;
  /** A training step of model coding (its own phase, `"training"`, over the training's stages). */
  train(e: TrainProgress): void;
  /** Ends the current phase: a line saying how long it took, if anything was shown of it. */
  end(): void;
  /** Ends the current phase without a "done" line (it was stopped): the bar's line is ended. */
  interrupt(): void;
}

/** Time a phase runs before anything of it shows (ms): quick phases print nothing. */
const SHOW_AFTER_MS = 1000;
/** Least time between plain lines (ms). */
const PLAIN_EVERY_MS = 2000;
/** Least time between redraws of the bar (ms). */
const BAR_EVERY_MS = 100;

/** `m:ss` (or `h:mm:ss`) for `seconds`. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = h > 0 ? String(m).padStart(2, "0") : String(m);
  return `${h > 0 ? `${h}:` : ""}${mm}:${String(r).padStart(2, "0")}`;
}

/**
 * A reporter on stderr: a bar when stderr is a terminal (`tty`, default: whether it is), plain
 * lines otherwise, nothing when `quiet`. `now` (ms) is for tests.
 */
export function progressReporter(
  quiet: boolean,
  options: { tty?: boolean; now?: () => number; write?: (text: string) => void } = {},
): ProgressReporter {
  const nothing = () => {};
  if (quiet) {
    return {
      quiet: true,
      phase: nothing,
      update: nothing,
      train: nothing,
      end: nothing,
      interrupt: nothing,
    };
  }
  const tty = options.tty ?? Deno.stderr.isTerminal();
  const now = options.now ?? (() => performance.now());
  const enc = new TextEncoder();
  const write = options.write ?? ((text: string) => void Deno.stderr.writeSync(enc.encode(text)));
  let label: string | null = null;
  let start = 0, lastDraw = -Infinity, lastTenth = -1, shown = false, lastLine = "";
  let trainStage = -1;

  const line = (done: number | null, detail: string | undefined, t: number, eta: boolean) => {
    const elapsed = (t - start) / 1000;
    const left = eta && done !== null && done > 0.02 && done < 1
      ? `, about ${clock(elapsed * (1 - done) / done)} left`
      : "";
    const share = done === null ? "" : ` ${Math.floor(100 * done)}%`;
    if (done === null && !detail) return `${label}... (${clock(elapsed)})`;
    return eta
      ? `${label}:${share}${detail ? ` ${detail}` : ""} (${clock(elapsed)}${left})`
      : `${label}:${detail ? ` ${detail}` : ""}${share} (${clock(elapsed)})`;
  };

  const end = () => {
    if (label !== null && shown) {
      const seconds = (now() - start) / 1000;
      const text = `${label}: done in ${seconds.toFixed(1)} s`;
      write(tty ? `\r${text}\x1b[K\n` : `${text}\n`);
    }
    label = null;
  };

  const phase = (next: string, atOnce = false) => {
    end();
    label = next;
    start = now();
    lastDraw = -Infinity;
    lastTenth = -1;
    shown = false;
    lastLine = "";
    if (atOnce) {
      const text = `${label}...`;
      write(tty ? `\r${text}\x1b[K` : `${text}\n`);
      shown = true;
    }
  };

  const update = (done: number | null, detail?: string, eta = true) => {
    if (label === null) return;
    const t = now();
    if (t - start < SHOW_AFTER_MS) return;
    if (tty) {
      if (t - lastDraw < BAR_EVERY_MS) return;
      lastDraw = t;
      const width = 24;
      const fill = done === null ? 0 : Math.round(Math.min(1, done) * width);
      const bar = done === null ? "" : `[${"#".repeat(fill)}${"-".repeat(width - fill)}] `;
      write(`\r${bar}${line(done, detail, t, eta)}\x1b[K`);
      shown = true;
      return;
    }
    // Plain lines: a new tenth (or, when the share is unknown or of a part, a new line) and 2 s
    // since the last; not 100%, which the "done" line tells.
    if (eta && done !== null && done >= 1) return;
    const tenth = done === null || !eta ? lastTenth + 1 : Math.floor(10 * done);
    if (tenth <= lastTenth || t - lastDraw < PLAIN_EVERY_MS) return;
    const text = line(done, detail, t, eta);
    if (text === lastLine) return;
    lastDraw = t;
    lastTenth = tenth;
    lastLine = text;
    shown = true;
    write(`${text}\n`);
  };

  return {
    quiet: false,
    phase,
    update,
    end,
    interrupt() {
      if (label !== null && shown && tty) write("\n");
      label = null;
    },
    train(e) {
      if (e.stage !== trainStage || label === null) {
        if (label === null || !label.startsWith("training")) phase("training");
        trainStage = e.stage;
        lastTenth = -1; // each stage's steps start again from 0
      }
      const frac = e.steps > 0 ? e.step / e.steps : 1;
      update(
        frac,
        `level ${e.level} stage ${e.stage} ${e.op} step ${e.step}/${e.steps} loss ${
          e.loss.toExponential(3)
        }`,
      );
    },
  };
}
