// The circuit breaker of a run: after N questions in a row end in error
// (--max-consecutive-failures), the run stops instead of failing every
// remaining question the same way.

import type { ResultRecord } from "../schema.ts";
import type { RunStop } from "./types.ts";

/** Counts questions that ended in error in a row. */
export class CircuitBreaker {
  readonly #limit: number;
  #consecutive = 0;

  /** `limit` 0 never opens. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Records a finished question; returns the stop when this one opens the
   * breaker, else null. Any question that was answered closes the count.
   */
  record(r: ResultRecord): RunStop | null {
    if (r.status !== "error") {
      this.#consecutive = 0;
      return null;
    }
    this.#consecutive++;
    if (this.#limit <= 0 || this.#consecutive < this.#limit) return null;
    return {
      kind: "circuit_open",
      message:
        `${this.#consecutive} questions in a row failed (last: ${r.reason}); ` +
        `stopping the run (--max-consecutive-failures ${this.#limit})`,
    };
  }
}
