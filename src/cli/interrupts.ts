// What Ctrl-C, SIGTERM and a vanished `deno task` parent mean for a run: the
// first stops it gracefully (no new questions, a grace period for requests in
// flight), a deliberate second one exits at once. Copies of one Ctrl-C that
// `deno task` forwards to its child count once.

/** Seconds requests in flight get to finish after the first Ctrl-C. */
const GRACE_SECONDS = 5;

/**
 * Signals within this many ms of the first are copies of it: under
 * `deno task` the terminal's SIGINT reaches the program directly and again
 * forwarded by each `deno task` around it, within a millisecond or two.
 */
export const DUPLICATE_WINDOW_MS = 1000;

/** How the interrupt handler talks to the process. */
export interface InterruptDeps {
  stderr: (text: string) => void;
  /** Exits the process now (a second Ctrl-C). */
  exit: (code: number) => void;
  /** Milliseconds, monotonic. */
  now: () => number;
  /**
   * stderr is a terminal: the stop message first clears the progress line
   * and the echoed `^C` instead of starting a new line after them.
   * @default false
   */
  tty?: boolean;
}

/** Options of {@linkcode Interrupts}. */
export interface InterruptOptions {
  /** Seconds requests in flight get after the first stop. @default GRACE_SECONDS */
  graceSeconds?: number;
  /** Signals this close to the first one are copies of it. @default 0 */
  duplicateWindowMs?: number;
}

/**
 * The stop/abort state of one run, driven by signals: `stop` (no new
 * questions), `abort` (requests in flight, after the grace period) and
 * `served` (the user is done with `--serve`).
 *
 * @example
 * ```ts
 * import { Interrupts } from "./interrupts.ts";
 * const out: string[] = [];
 * let t = 0;
 * const irq = new Interrupts({
 *   stderr: (s) => out.push(s),
 *   exit: () => {},
 *   now: () => t,
 * }, { duplicateWindowMs: 400 });
 * irq.signal("SIGINT");
 * t = 1;
 * irq.signal("SIGINT"); // a forwarded copy: ignored
 * if (!irq.stop.aborted || out.length !== 1) throw new Error("one stop");
 * irq.dispose();
 * ```
 */
export class Interrupts {
  readonly #stop = new AbortController();
  readonly #abort = new AbortController();
  readonly #deps: InterruptDeps;
  readonly #graceMs: number;
  readonly #windowMs: number;
  readonly served: Promise<void>;
  #serveDone: () => void = () => {};
  #firstAt: number | null = null;
  #grace: ReturnType<typeof setTimeout> | null = null;
  #serving = false;

  /** A handler with nothing stopped yet. */
  constructor(deps: InterruptDeps, opts: InterruptOptions = {}) {
    this.#deps = deps;
    this.#graceMs = (opts.graceSeconds ?? GRACE_SECONDS) * 1000;
    this.#windowMs = opts.duplicateWindowMs ?? 0;
    this.served = new Promise<void>((resolve) => (this.#serveDone = resolve));
  }

  /** Aborted at the first stop: dispatch no new question. */
  get stop(): AbortSignal {
    return this.#stop.signal;
  }

  /** Aborted when the grace period is over: abort requests in flight. */
  get abort(): AbortSignal {
    return this.#abort.signal;
  }

  /** The run is over and only the metrics server is left (`--serve`). */
  serving(): void {
    this.#serving = true;
  }

  /** A signal arrived (`SIGINT`, `SIGTERM`). */
  signal(_name: string): void {
    const now = this.#deps.now();
    if (this.#firstAt === null) {
      this.#firstAt = now;
      this.#begin(
        `Stopping: no new questions; ${
          this.#graceMs / 1000
        }s for requests in flight (Ctrl-C again to exit now)`,
      );
      return;
    }
    if (now - this.#firstAt < this.#windowMs) return;
    // Results so far are already on disk, one line per finished question.
    this.#deps.stderr("Exiting now; results so far are saved\n");
    this.#deps.exit(130);
  }

  /** The `deno task` that started the program is gone: stop as on Ctrl-C. */
  orphaned(): void {
    if (this.#firstAt !== null) return;
    this.#firstAt = this.#deps.now();
    this.#begin(
      "Stopping: the parent process (deno task) is gone; finishing requests in flight",
    );
  }

  #begin(message: string): void {
    this.#serveDone();
    if (this.#serving) {
      this.#deps.stderr("\nStopping the metrics server\n");
    } else {
      const lead = this.#deps.tty ? "\r\x1b[2K" : "\n";
      this.#deps.stderr(`${lead}${message}\n`);
    }
    this.#stop.abort("interrupted");
    this.#grace = setTimeout(
      () => this.#abort.abort("interrupted"),
      this.#serving ? 0 : this.#graceMs,
    );
  }

  /** Clears the grace timer. */
  dispose(): void {
    if (this.#grace !== null) clearTimeout(this.#grace);
  }
}

/**
 * Calls `onGone` once when the parent process changes (it died and the
 * program was handed to init or a subreaper). Returns a function that stops
 * watching. The timer does not keep the program alive.
 */
export function watchParent(
  onGone: () => void,
  everyMs = 500,
): () => void {
  const first = Deno.ppid;
  const timer = setInterval(() => {
    if (Deno.ppid !== first) {
      clearInterval(timer);
      onGone();
    }
  }, everyMs);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}
