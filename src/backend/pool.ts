// Spreads attempts over one or more endpoints serving the same model: one
// global semaphore whose permits are the sum of the endpoints' caps, least
// in-flight endpoint first, and endpoints that keep failing set aside for a
// while. With `--concurrency auto` each endpoint's cap follows a
// GradientLimiter.

import type { ErrorKind } from "../schema.ts";
import type { Backend } from "./backend.ts";
import { GradientLimiter } from "./limiter.ts";
import { Semaphore } from "./semaphore.ts";

/** Options of the pool. */
export interface PoolOptions {
  /** Requests in flight per endpoint, or "auto". */
  concurrency: number | "auto";
  /** Consecutive failed attempts that set an endpoint aside. @default 3 */
  benchAfterFailures?: number;
  /** How long an endpoint stays aside, ms. @default 30000 */
  benchMs?: number;
  /** Ceiling for auto concurrency per endpoint. @default 256 */
  maxAuto?: number;
}

/** Per-endpoint figures for the summary. */
export interface EndpointStats {
  endpoint: string;
  requests: number;
  failures: number;
  latencyMsTotal: number;
  /** Concurrency the endpoint ended with (the settled value with auto). */
  limit: number;
  benched: number;
}

interface EndpointState {
  backend: Backend;
  cap: number;
  limiter: GradientLimiter | null;
  inFlight: number;
  consecutiveFailures: number;
  benchedUntil: number;
  warm: boolean;
  stats: EndpointStats;
}

/** How an attempt ended, for the endpoint's figures and limiter. */
export interface AttemptOutcome {
  ok: boolean;
  latencyMs: number;
  errorKind: ErrorKind | null;
  /** Answered from the response cache: not a request, not a latency sample. */
  cached?: boolean;
}

/** One permit: an endpoint to send exactly one attempt to. */
export interface Lease {
  backend: Backend;
  /** Whether this endpoint has answered before (model loaded). */
  warm: boolean;
  /** Gives the permit back with the attempt's outcome. */
  release(outcome: AttemptOutcome): void;
}

/** A pool of endpoints for one model. */
export class EndpointPool {
  readonly #states: EndpointState[];
  readonly #sem: Semaphore;
  readonly #benchAfter: number;
  readonly #benchMs: number;
  readonly #now: () => number;

  /** Creates the pool; `now` is injectable for tests. */
  constructor(
    backends: Backend[],
    opts: PoolOptions,
    now: () => number = performance.now.bind(performance),
  ) {
    if (backends.length === 0) {
      throw new RangeError("Cannot create a pool: no endpoints");
    }
    this.#now = now;
    this.#benchAfter = opts.benchAfterFailures ?? 3;
    this.#benchMs = opts.benchMs ?? 30_000;
    this.#states = backends.map((backend) => {
      const limiter = opts.concurrency === "auto"
        ? new GradientLimiter({ max: opts.maxAuto ?? 256 })
        : null;
      const cap = limiter ? limiter.limit : (opts.concurrency as number);
      return {
        backend,
        cap,
        limiter,
        inFlight: 0,
        consecutiveFailures: 0,
        benchedUntil: 0,
        warm: false,
        stats: {
          endpoint: backend.endpoint,
          requests: 0,
          failures: 0,
          latencyMsTotal: 0,
          limit: cap,
          benched: 0,
        },
      };
    });
    this.#sem = new Semaphore(this.#totalCap());
  }

  /** Permits in use. */
  get inFlight(): number {
    return this.#sem.inUse;
  }

  /** Total permits now. */
  get limit(): number {
    return this.#sem.limit;
  }

  #active(): EndpointState[] {
    const now = this.#now();
    const active = this.#states.filter((s) => s.benchedUntil <= now);
    if (active.length > 0) return active;
    // Everything is set aside: keep the one that comes back first.
    return [
      this.#states.reduce((a, b) => (a.benchedUntil <= b.benchedUntil ? a : b)),
    ];
  }

  #totalCap(): number {
    return this.#active().reduce((n, s) => n + s.cap, 0);
  }

  #refresh(): void {
    this.#sem.setLimit(this.#totalCap());
  }

  /** Waits for a permit and picks the least busy active endpoint. */
  async acquire(signal?: AbortSignal): Promise<Lease> {
    this.#refresh();
    const give = await this.#sem.acquire(signal);
    const active = this.#active();
    let best: EndpointState | null = null;
    for (const s of active) {
      if (best === null || s.inFlight / s.cap < best.inFlight / best.cap) {
        best = s;
      }
    }
    const state = best!;
    state.inFlight++;
    const warmAtStart = state.warm;
    const epoch = state.limiter?.epoch ?? 0;
    let done = false;
    return {
      backend: state.backend,
      warm: state.warm,
      release: (outcome) => {
        if (done) return;
        done = true;
        state.inFlight--;
        this.#record(state, outcome, warmAtStart, epoch);
        give();
        this.#refresh();
      },
    };
  }

  #record(
    state: EndpointState,
    outcome: AttemptOutcome,
    warmAtStart: boolean,
    epoch: number,
  ): void {
    if (outcome.cached === true) return;
    state.stats.requests++;
    if (outcome.ok) {
      state.warm = true;
      state.consecutiveFailures = 0;
      state.stats.latencyMsTotal += outcome.latencyMs;
      // An attempt sent before the endpoint first answered includes the
      // model's load time: not a service-time sample for the limiter.
      if (state.limiter && warmAtStart) {
        state.cap = state.limiter.onSuccess(outcome.latencyMs, epoch);
      } else if (state.limiter) {
        state.cap = state.limiter.onFirstAnswer();
      }
    } else if (outcome.errorKind !== "interrupted") {
      state.stats.failures++;
      state.consecutiveFailures++;
      if (
        state.limiter &&
        (outcome.errorKind === "busy" || outcome.errorKind === "rate_limited" ||
          outcome.errorKind === "timeout")
      ) {
        state.cap = state.limiter.onOverload();
      }
      if (
        this.#states.length > 1 && state.consecutiveFailures >= this.#benchAfter
      ) {
        state.benchedUntil = this.#now() + this.#benchMs;
        state.consecutiveFailures = 0;
        state.stats.benched++;
      }
    }
    state.stats.limit = state.cap;
  }

  /** Per-endpoint figures. */
  stats(): EndpointStats[] {
    return this.#states.map((s) => ({ ...s.stats }));
  }
}
