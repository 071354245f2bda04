// The adaptive concurrency limit behind `--concurrency auto`: a gradient
// limiter on observed latency. It grows while latency stays at its no-queue
// floor and settles a small, bounded queue above the server's capacity.

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
 */
export class GradientLimiter {
  #limit: number;
  readonly #max: number;
  readonly #allowance: number;
  readonly #tolerance: number;
  #floor = Infinity;
  #window: number[] = [];

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

  /** Records one successful request's latency; returns the (possibly new) limit. */
  onSuccess(latencyMs: number): number {
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
    // Clamp the step, not the gradient: at most halve the limit per window.
    const next = Math.max(
      Math.round(this.#limit * 0.5),
      Math.round(this.#limit * gradient + this.#allowance),
    );
    this.#limit = Math.min(this.#max, Math.max(1, next));
    return this.#limit;
  }

  /** Records an overload signal (503, 429, timeout): multiplicative decrease. */
  onOverload(): number {
    this.#limit = Math.max(1, Math.floor(this.#limit * 0.75));
    this.#window = [];
    return this.#limit;
  }
}
