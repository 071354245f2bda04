// A hand-written counting semaphore that bounds requests in flight. A permit
// covers exactly one HTTP attempt; the limit can change while it runs (the
// adaptive concurrency controller raises and lowers it).

/** A FIFO counting semaphore with an adjustable limit. */
export class Semaphore {
  #limit: number;
  #inUse = 0;
  #waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  /** Creates a semaphore with `limit` permits (at least 1). */
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(
        `Cannot create a semaphore: limit ${limit} is not a positive integer`,
      );
    }
    this.#limit = limit;
  }

  /** Permits currently held. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Current number of permits. */
  get limit(): number {
    return this.#limit;
  }

  /** Changes the number of permits; waiters are released if it grew. */
  setLimit(limit: number): void {
    this.#limit = Math.max(1, Math.floor(limit));
    this.#drain();
  }

  /**
   * Waits for a permit. Rejects with the signal's reason if it aborts first.
   * Call the returned function exactly once to give the permit back.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.#inUse < this.#limit && this.#waiters.length === 0) {
      this.#inUse++;
      return this.#releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
    return this.#releaser();
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inUse--;
      this.#drain();
    };
  }

  #drain(): void {
    while (this.#inUse < this.#limit && this.#waiters.length > 0) {
      const next = this.#waiters.shift()!;
      this.#inUse++;
      next.resolve();
    }
  }
}
