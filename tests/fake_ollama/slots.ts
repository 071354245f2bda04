// The runner's parallel slots: requests beyond NUM_PARALLEL wait in arrival
// order with no bound and no timeout, as Ollama's scheduler makes them.

import type { FakeOllamaStats } from "./api.ts";

/** OLLAMA_NUM_PARALLEL slots: a FIFO of waiters and utilisation accounting. */
export class Slots {
  readonly parallel: number;
  waiting = 0;
  #inUse = 0;
  #queue: Array<() => void> = [];
  #served = 0;
  #busyMs = 0;
  #maxInFlight = 0;
  #maxWaiting = 0;
  #first: number | null = null;
  #last: number | null = null;

  constructor(parallel: number) {
    this.parallel = parallel;
  }

  get free(): boolean {
    return this.#inUse < this.parallel;
  }

  /** Resolves with the start time once a slot is held; rejects on abort. */
  async acquire(signal: AbortSignal): Promise<number> {
    if (signal.aborted) throw signal.reason;
    if (this.#inUse >= this.parallel) {
      this.waiting++;
      this.#maxWaiting = Math.max(this.#maxWaiting, this.waiting);
      try {
        await new Promise<void>((resolve, reject) => {
          const grant = () => {
            signal.removeEventListener("abort", onAbort);
            resolve();
          };
          const onAbort = () => {
            const i = this.#queue.indexOf(grant);
            if (i >= 0) this.#queue.splice(i, 1);
            reject(signal.reason);
          };
          this.#queue.push(grant);
          signal.addEventListener("abort", onAbort, { once: true });
        });
      } finally {
        this.waiting--;
      }
    } else {
      this.#inUse++;
    }
    const now = performance.now();
    this.#first ??= now;
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#inUse);
    return now;
  }

  release(start: number): void {
    const now = performance.now();
    this.#busyMs += now - start;
    this.#served++;
    this.#last = now;
    const next = this.#queue.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else this.#inUse--;
  }

  stats(): FakeOllamaStats {
    const windowMs = this.#first !== null && this.#last !== null
      ? Math.max(0, this.#last - this.#first)
      : 0;
    return {
      served: this.#served,
      busyMsTotal: this.#busyMs,
      maxInFlight: this.#maxInFlight,
      maxWaiting: this.#maxWaiting,
      windowMs,
      utilisation: windowMs > 0 ? this.#busyMs / (this.parallel * windowMs) : 0,
    };
  }
}
