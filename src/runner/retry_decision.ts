// What to do after a failed attempt: drop the question (the run is being
// stopped), stop the run (the model is gone), record the error, or retry
// after a backoff. Pure: the policy and the random source are passed in.

import { backoffDelay, type RetryPolicy } from "../backend/retry.ts";
import type { BackendError } from "../errors.ts";

/** The runner's next step after a failed attempt. */
export type RetryDecision =
  | { action: "drop" }
  | { action: "stop_run" }
  | { action: "give_up" }
  | { action: "retry"; waitMs: number };

/**
 * Decides after attempt number `attempts` (1-based) failed with `error`:
 * an interrupted attempt is dropped (resume asks it again), a missing model
 * stops the run, a retryable failure with retries left waits the backoff
 * (or the server's Retry-After), anything else is the question's error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackendError } from "../errors.ts";
 * import { DEFAULT_RETRY_POLICY } from "../backend/retry.ts";
 * import { decideAfterFailure } from "./retry_decision.ts";
 * const busy = new BackendError("HTTP 503", { kind: "busy", retryable: true });
 * assert.deepEqual(
 *   decideAfterFailure(busy, 1, DEFAULT_RETRY_POLICY, () => 0.5),
 *   { action: "retry", waitMs: 250 },
 * );
 * assert.equal(decideAfterFailure(busy, 5, DEFAULT_RETRY_POLICY).action, "give_up");
 * ```
 */
export function decideAfterFailure(
  error: BackendError,
  attempts: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): RetryDecision {
  if (error.kind === "interrupted") return { action: "drop" };
  if (error.kind === "model_not_found") return { action: "stop_run" };
  if (!error.retryable || attempts > policy.maxRetries) {
    return { action: "give_up" };
  }
  return {
    action: "retry",
    waitMs: backoffDelay(attempts, policy, error.retryAfterSeconds, random),
  };
}
