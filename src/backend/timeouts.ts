// Per-attempt timeouts: the long first-request timeout while a model loads,
// cut short for attempts still waiting once their endpoint has answered; and,
// after enough answers, a stall limit of 10× the recent p95 latency (never
// above --request-timeout), so a stalled request does not hold a slot for
// minutes when answers normally take a second.

import { percentile } from "../stats.ts";

/** Options of AttemptTimeouts. */
export interface AttemptTimeoutOptions {
  /** Ceiling of one attempt once the model answered, ms. */
  requestTimeoutMs: number;
  /** Limit of a first attempt before the endpoint has answered, ms. */
  firstRequestTimeoutMs: number;
  /** Shorten the limit to `factor` × recent p95 latency. @default true */
  adaptive?: boolean;
  /** The adaptive limit never goes below this, ms. @default 10000 */
  minAdaptiveMs?: number;
  /** Multiple of the recent p95 latency. @default 10 */
  factor?: number;
  /** Answers needed before the adaptive limit applies. @default 20 */
  minSamples?: number;
}

interface ColdAttempt {
  start: number;
  timer: ReturnType<typeof setTimeout>;
  fire: (limitMs: number) => void;
}

const WINDOW = 64;

/** Issues and re-arms the timers of request attempts. */
export class AttemptTimeouts {
  readonly #opts: Required<AttemptTimeoutOptions>;
  readonly #now: () => number;
  readonly #cold = new Map<string, Set<ColdAttempt>>();
  readonly #recent = new Float64Array(WINDOW);
  #samples = 0;
  #limit: number;

  /** Creates the timer source; `now` is injectable for tests. */
  constructor(
    opts: AttemptTimeoutOptions,
    now: () => number = () => performance.now(),
  ) {
    this.#opts = {
      adaptive: true,
      minAdaptiveMs: 10_000,
      factor: 10,
      minSamples: 20,
      ...opts,
    };
    this.#now = now;
    this.#limit = opts.requestTimeoutMs;
  }

  /** The limit of an attempt on a warm endpoint now, ms. */
  get limitMs(): number {
    return this.#limit;
  }

  /**
   * Starts the timer of one attempt; `fire(limitMs)` runs when it expires.
   * A `cold` attempt (the endpoint has not answered yet) gets the first-request
   * limit until the endpoint answers, then the normal one, counted from its start.
   */
  start(
    endpoint: string,
    cold: boolean,
    fire: (limitMs: number) => void,
  ): { clear(): void } {
    if (!cold) {
      const limit = this.#limit;
      const timer = setTimeout(() => fire(limit), limit);
      return { clear: () => clearTimeout(timer) };
    }
    const limit = Math.max(this.#opts.firstRequestTimeoutMs, this.#limit);
    const entry: ColdAttempt = {
      start: this.#now(),
      timer: setTimeout(() => {
        this.#cold.get(endpoint)?.delete(entry);
        fire(limit);
      }, limit),
      fire,
    };
    let set = this.#cold.get(endpoint);
    if (!set) this.#cold.set(endpoint, set = new Set());
    set.add(entry);
    return {
      clear: () => {
        clearTimeout(entry.timer);
        this.#cold.get(endpoint)?.delete(entry);
      },
    };
  }

  /** Records an answer: a latency sample, and the endpoint is warm from now on. */
  success(endpoint: string, latencyMs: number): void {
    this.#recent[this.#samples % WINDOW] = latencyMs;
    this.#samples++;
    if (
      this.#opts.adaptive && this.#samples >= this.#opts.minSamples &&
      this.#samples % 8 === 0
    ) {
      const n = Math.min(this.#samples, WINDOW);
      const p95 = percentile(this.#recent.slice(0, n).sort(), 95)!;
      this.#limit = Math.min(
        this.#opts.requestTimeoutMs,
        Math.max(this.#opts.minAdaptiveMs, this.#opts.factor * p95),
      );
    }
    const cold = this.#cold.get(endpoint);
    if (!cold || cold.size === 0) return;
    this.#cold.delete(endpoint);
    const now = this.#now();
    const limit = this.#limit;
    for (const entry of cold) {
      clearTimeout(entry.timer);
      entry.timer = setTimeout(
        () => entry.fire(limit),
        Math.max(0, entry.start + limit - now),
      );
    }
  }
}
