// The adaptive concurrency limit behind `--concurrency auto`: a gradient
// limiter on observed latency. It grows fast while latency stays at its
// no-queue floor and settles a small, bounded queue above the server's
// capacity.

/** Options of the adaptive limiter. */
export interface GradientLimiterOptions {
  /** Starting limit. @default 1 */
  initial?: number;
  /** Hard ceiling. @default 256 */
  max?: number;
  /** Requests allowed to queue on the server above its capacity. @default 2 */
  queueAllowance?: number;
  /** Latency ratio under which queueing is taken as noise. @default 0.9 */
  tolerance?: number;
}

/**
 * Gradient limiter: every window of `limit` completed requests it compares the
 * window's median latency with the lowest median seen (the no-queue floor):
 * `limit = limit * floor / median + allowance`. With P slots and C > P in
 * flight the median is about `floor * C / P`, so the limit settles at
 * `P + allowance`: the slots stay busy and the queue stays bounded.
 *
 * Two things keep the slots busy from the start on a short run: until a
 * window first shows queueing the limit grows by twice the allowance per
 * window (slow start), and the endpoint's first answer (a model load, so no
 * latency sample) already counts as proof that requests go through. Only
 * requests started under the current limit are its samples (see `epoch`).
 */
export class GradientLimiter {
  #limit: number;
  readonly #max: number;
  readonly #allowance: number;
  readonly #tolerance: number;
  #floor = Infinity;
  #window: number[] = [];
  #epoch = 0;
  /** A window has shown queueing: slow start is over. */
  #queued = false;
  #answered = false;

  /** Creates a limiter starting at `initial`. */
  constructor(opts: GradientLimiterOptions = {}) {
    this.#limit = Math.max(1, opts.initial ?? 1);
    this.#max = opts.max ?? 256;
    this.#allowance = opts.queueAllowance ?? 2;
    this.#tolerance = opts.tolerance ?? 0.9;
  }

  /** Current limit. */
  get limit(): number {
    return this.#limit;
  }

  /** Changes each time the limit does; a request started at an older epoch says nothing about the current limit. */
  get epoch(): number {
    return this.#epoch;
  }

  /**
   * Records one successful request's latency; returns the (possibly new)
   * limit. `epoch` is the limiter's epoch when the request started: a
   * request sent under an older limit is not a sample of this one (without
   * this, the limit chases its own past and swings below the slots).
   */
  onSuccess(latencyMs: number, epoch = this.#epoch): number {
    if (epoch !== this.#epoch) return this.#limit;
    this.#window.push(latencyMs);
    // A window is `limit` samples: one round of requests. Longer windows at
    // a low limit keep the server's other slots idle while ramping up.
    if (this.#window.length < this.#limit) return this.#limit;
    const sorted = this.#window.sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    this.#window = [];
    // The floor is the lowest window median ever seen. It never decays: a
    // decaying floor creeps up to the loaded latency and the limit with it.
    this.#floor = Math.min(this.#floor, median);
    let gradient = median > 0 ? this.#floor / median : 1;
    if (gradient >= this.#tolerance) gradient = 1;
    else this.#queued = true;
    const slowStart = this.#queued ? 0 : Math.min(this.#limit, this.#allowance);
    // Clamp the step, not the gradient: at most halve the limit per window.
    const next = Math.max(
      Math.round(this.#limit * 0.5),
      Math.round(this.#limit * gradient + this.#allowance + slowStart),
    );
    this.#set(Math.min(this.#max, Math.max(1, next)));
    return this.#limit;
  }

  /**
   * Records the endpoint's first answer (it included the model load, so it
   * is no latency sample): requests go through, so step up as after a
   * window at the floor. Only the first call counts.
   */
  onFirstAnswer(): number {
    if (this.#answered) return this.#limit;
    this.#answered = true;
    this.#set(Math.min(this.#max, this.#limit + this.#allowance));
    return this.#limit;
  }

  /** Records an overload signal (503, 429, timeout): multiplicative decrease. */
  onOverload(): number {
    this.#queued = true;
    this.#set(Math.max(1, Math.floor(this.#limit * 0.75)));
    this.#window = [];
    return this.#limit;
  }

  #set(limit: number): void {
    if (limit !== this.#limit) this.#epoch++;
    this.#limit = limit;
  }
}
