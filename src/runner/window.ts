// The sliding window of questions in progress: a few more than there are
// permits, so a freed permit is taken at once, but the dataset is never read
// far ahead. No batches: a question starts as soon as one ends.

/** Bounds the questions in progress and waits for them at the end. */
export class DispatchWindow {
  readonly #size: () => number;
  readonly #stop: AbortSignal;
  readonly #running = new Set<Promise<void>>();
  readonly #wakeUp = () => {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  };
  #wake: (() => void) | null = null;

  /** `size()` is read again each time a slot is wanted (auto concurrency changes it). */
  constructor(size: () => number, stop: AbortSignal) {
    this.#size = size;
    this.#stop = stop;
    // Wake the dispatcher if it is parked when the run stops.
    stop.addEventListener("abort", this.#wakeUp, { once: true });
  }

  /** Waits for room; false when the run stopped instead. */
  async enter(): Promise<boolean> {
    while (this.#running.size >= this.#size() && !this.#stop.aborted) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    return !this.#stop.aborted;
  }

  /** Tracks one question in progress (started after enter()). */
  track(work: Promise<void>): void {
    const p: Promise<void> = work.finally(() => {
      this.#running.delete(p);
      this.#wakeUp();
    });
    this.#running.add(p);
  }

  /** Waits for every tracked question. */
  async drain(): Promise<void> {
    await Promise.all([...this.#running]);
    this.#stop.removeEventListener("abort", this.#wakeUp);
  }
}
