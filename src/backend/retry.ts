// Retry policy as data, and the exponential backoff with full jitter that
// the runner sleeps between attempts (outside any semaphore permit).

/** When and how long to wait before another attempt. */
export interface RetryPolicy {
  /** Retries after the first attempt (total attempts = maxRetries + 1). @default 4 */
  maxRetries: number;
  /** Base of the exponential backoff, ms. @default 500 */
  baseDelayMs: number;
  /** Cap of one backoff sleep, ms. @default 30000 */
  maxDelayMs: number;
  /** Cap on a server's Retry-After, seconds. @default 60 */
  maxRetryAfterSeconds: number;
}

/** The defaults used when nothing is configured. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxRetries: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterSeconds: 60,
});

/**
 * Milliseconds to wait before retry number `retry` (1-based): full jitter,
 * `random() * min(cap, base * 2^(retry-1))`, or the server's Retry-After
 * (capped) when it gave one.
 *
 * @example
 * ```ts
 * import { backoffDelay, DEFAULT_RETRY_POLICY } from "./retry.ts";
 * backoffDelay(3, DEFAULT_RETRY_POLICY, null, () => 1); // 2000
 * ```
 */
export function backoffDelay(
  retry: number,
  policy: RetryPolicy,
  retryAfterSeconds: number | null,
  random: () => number = Math.random,
): number {
  if (retryAfterSeconds !== null && retryAfterSeconds >= 0) {
    return Math.min(retryAfterSeconds, policy.maxRetryAfterSeconds) * 1000;
  }
  const ceiling = Math.min(
    policy.maxDelayMs,
    policy.baseDelayMs * 2 ** (retry - 1),
  );
  return Math.floor(random() * ceiling);
}

/** Sleeps `ms`, resolving early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
