// The progress line on stderr: redrawn in place on a terminal, a plain line
// every few seconds (or every 10%) elsewhere, nothing with --quiet.

import type { LiveSnapshot } from "../metrics/registry.ts";

/** Options of Progress. */
export interface ProgressOptions {
  /** stderr is a terminal: redraw one line. */
  tty: boolean;
  /** Terminal width, for fitting the line. @default 80 */
  columns?: number;
  /** Writes text to stderr. */
  write: (text: string) => void;
  /** Plain mode: at most one line per this many ms (also one per 10% step). @default 10000 */
  plainIntervalMs?: number;
  /** Terminal mode: redraw period, ms. @default 250 */
  ttyIntervalMs?: number;
  now?: () => number;
}

function fmtDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0
    ? `${h}h${String(m).padStart(2, "0")}m`
    : m > 0
    ? `${m}m${String(r).padStart(2, "0")}s`
    : `${r}s`;
}

/** Segments of the progress line, most important first. */
function segments(s: LiveSnapshot): string[] {
  const pct = s.progress === null ? "" : ` ${(s.progress * 100).toFixed(1)}%`;
  const ci = s.overall.ci95;
  const acc = s.overall.accuracy === null
    ? "acc -"
    : `acc ${(s.overall.accuracy * 100).toFixed(1)}%${
      ci ? ` [${(ci[0] * 100).toFixed(1)}-${(ci[1] * 100).toFixed(1)}]` : ""
    }`;
  const model = s["model_count"] > 1
    ? `${s.model} (${s["model_index"]}/${s["model_count"]}) `
    : "";
  return [
    `${model}${s.done}/${s.planned}${pct}`,
    acc,
    `ETA ${fmtDuration(s["eta_seconds"])}`,
    `${s.qps.toFixed(1)} q/s`,
    `errors ${s.overall.errors}`,
    `retries ${s["total_retries"]}`,
  ];
}

/**
 * One progress line for a snapshot, at most `columns` characters: segments
 * of least importance (retries, errors, rate, ETA, accuracy) are dropped
 * whole rather than cut mid-word.
 *
 * @example
 * ```ts
 * import { progressLine } from "./progress.ts";
 * // "12/40 30.0% | acc 75.0% [46.8-91.1] | ETA 14s | 2.0 q/s | errors 0 | retries 1"
 * ```
 */
export function progressLine(s: LiveSnapshot, columns = Infinity): string {
  const parts = segments(s);
  let line = parts.join(" | ");
  while (line.length > columns && parts.length > 1) {
    parts.pop();
    line = parts.join(" | ");
  }
  return line.length > columns ? line.slice(0, Math.max(0, columns)) : line;
}

/**
 * The plain (not a terminal) progress record: every segment kept, packed
 * into lines of at most `columns` characters; the first starts with
 * `progress: `, the rest are indented continuations.
 */
export function plainProgressText(s: LiveSnapshot, columns = 80): string {
  const lines: string[] = [];
  let cur = "progress:";
  let fresh = true;
  for (const part of segments(s)) {
    const next = fresh ? `${cur} ${part}` : `${cur} | ${part}`;
    if (!fresh && next.length > columns) {
      lines.push(cur);
      cur = `  ${part}`;
    } else cur = next;
    fresh = false;
  }
  lines.push(cur);
  return lines.join("\n") + "\n";
}

/** Draws progress from a snapshot source until stopped. */
export class Progress {
  readonly #opts: Required<Omit<ProgressOptions, "now">> & {
    now: () => number;
  };
  readonly #source: () => LiveSnapshot;
  #timer: ReturnType<typeof setInterval> | null = null;
  #lastPlainAt = -Infinity;
  #lastPlainStep = -1;
  #lastPlainDone = 0;
  #drawn = false;

  /** Creates a progress line fed by `source`. */
  constructor(opts: ProgressOptions, source: () => LiveSnapshot) {
    this.#opts = {
      columns: 80,
      plainIntervalMs: 10_000,
      ttyIntervalMs: 250,
      now: () => performance.now(),
      ...opts,
    };
    this.#source = source;
  }

  /** Starts drawing. */
  start(): void {
    const period = this.#opts.tty
      ? this.#opts.ttyIntervalMs
      : Math.min(1000, this.#opts.plainIntervalMs);
    this.#timer = setInterval(() => this.tick(), period);
  }

  /** Draws once if due (called by the timer; public for tests). */
  tick(): void {
    const s = this.#source();
    if (s.done === 0 && s["in_flight"] === 0) return;
    if (this.#opts.tty) {
      // One column spare: a full-width line would wrap on some terminals.
      this.#opts.write(
        `\r\x1b[2K${progressLine(s, this.#opts.columns - 1)}`,
      );
      this.#drawn = true;
      return;
    }
    const now = this.#opts.now();
    const step = s.progress === null ? -1 : Math.floor(s.progress * 10);
    if (
      now - this.#lastPlainAt >= this.#opts.plainIntervalMs ||
      step > this.#lastPlainStep
    ) {
      this.#lastPlainAt = now;
      this.#lastPlainStep = step;
      this.#lastPlainDone = s.done;
      this.#opts.write(plainProgressText(s, this.#opts.columns));
    }
  }

  /**
   * Stops drawing: clears the terminal line, or (not a terminal) writes the
   * final state if it moved since the last line, so even a run shorter than
   * the interval leaves one progress line in the log.
   */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#opts.tty) {
      if (this.#drawn) this.#opts.write("\r\x1b[2K");
    } else {
      const s = this.#source();
      if (s.done > this.#lastPlainDone) {
        this.#lastPlainDone = s.done;
        this.#opts.write(plainProgressText(s, this.#opts.columns));
      }
    }
    this.#drawn = false;
  }
}
