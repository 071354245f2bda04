// The state one run shares across its questions: the stop and abort signals
// (the caller's, or the runner's own when the model is gone or the breaker
// opens), why it stopped, the result counts, and the guarded result sink.

import type { ResultRecord } from "../schema.ts";
import type { RunControl, RunOutcome, RunStop } from "./types.ts";

/** Signals, stop reason and counters of one run. */
export class RunState {
  readonly #stop = new AbortController();
  readonly #abort = new AbortController();
  readonly #control: RunControl;
  readonly #sink: (r: ResultRecord) => void;
  readonly #onStop = () => this.#stop.abort(this.#control.stop.reason);
  readonly #onAbort = () => this.#abort.abort(this.#control.abort.reason);
  #stopped: RunStop | null = null;
  #sinkError: unknown = null;
  #finished = 0;
  #unfinished = 0;

  /** Follows the caller's signals until dispose(). */
  constructor(control: RunControl, sink: (r: ResultRecord) => void) {
    this.#control = control;
    this.#sink = sink;
    if (control.stop.aborted) this.#onStop();
    else control.stop.addEventListener("abort", this.#onStop, { once: true });
    if (control.abort.aborted) this.#onAbort();
    else control.abort.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Aborted when no new question or attempt may start. */
  get stop(): AbortSignal {
    return this.#stop.signal;
  }

  /** Aborted when requests in flight must end now. */
  get abort(): AbortSignal {
    return this.#abort.signal;
  }

  /** Ends the run: `hard` also cuts the requests in flight. The first reason wins. */
  end(stop: RunStop, hard: boolean): void {
    if (this.#stopped === null) this.#stopped = stop;
    this.#stop.abort(stop.message);
    if (hard) this.#abort.abort(stop.message);
  }

  /**
   * Records one result. A result that cannot be recorded (disk full) ends
   * the run: nothing after it could be trusted to be on disk. The error is
   * rethrown by outcome().
   */
  emit(record: ResultRecord): void {
    if (this.#sinkError !== null) return;
    try {
      this.#finished++;
      this.#sink(record);
    } catch (e) {
      this.#sinkError = e;
      this.end({ kind: "interrupted", message: "cannot record results" }, true);
    }
  }

  /** A dispatched question ended without a result (stopped). */
  leftUnfinished(): void {
    this.#unfinished++;
  }

  /** Stops following the caller's signals. */
  dispose(): void {
    this.#control.stop.removeEventListener("abort", this.#onStop);
    this.#control.abort.removeEventListener("abort", this.#onAbort);
  }

  /** What the run did; throws the sink's error if a result could not be recorded. */
  outcome(): RunOutcome {
    if (this.#sinkError !== null) throw this.#sinkError;
    let stopped = this.#stopped;
    if (stopped === null && this.#control.stop.aborted) {
      stopped = { kind: "interrupted", message: "interrupted" };
    }
    return {
      finished: this.#finished,
      unfinished: this.#unfinished,
      stopped,
    };
  }
}
