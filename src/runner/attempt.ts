// One HTTP attempt: wait for a permit (and the rate gate), send the request
// under its timeout and the run's abort signal, give the permit back with
// the outcome. Any failure comes back as a BackendError, never a throw.

import type { AskRequest, AskResponse, Backend } from "../backend/backend.ts";
import type { EndpointPool, Lease } from "../backend/pool.ts";
import type { AttemptTimeouts } from "../backend/timeouts.ts";
import { BackendError } from "../errors.ts";
import type { RunState } from "./run_state.ts";
import type { RunEvents } from "./types.ts";

/** Spaces request starts at least `gapMs` apart (--rate-limit-delay). */
export class RateGate {
  readonly #gapMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  #nextStartAt = 0;

  /** A gate that lets every start through at once when `gapMs` ≤ 0. */
  constructor(
    gapMs: number,
    now: () => number,
    sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  ) {
    this.#gapMs = gapMs;
    this.#now = now;
    this.#sleep = sleep;
  }

  /** Waits for this start's turn (returns early when `signal` aborts). */
  async wait(signal: AbortSignal): Promise<void> {
    if (this.#gapMs <= 0) return;
    const t = this.#now();
    const start = Math.max(t, this.#nextStartAt);
    this.#nextStartAt = start + this.#gapMs;
    if (start > t) await this.#sleep(start - t, signal);
  }
}

/** What an attempt needs from the run. */
export interface AttemptEnv {
  pool: EndpointPool;
  timeouts: AttemptTimeouts;
  gate: RateGate;
  events: RunEvents;
  now: () => number;
  state: RunState;
}

/** How one attempt that was sent ended. */
export type AttemptResult =
  & { backend: Backend; latencyMs: number }
  & (
    | { reply: AskResponse; failure: null }
    | { reply: null; failure: BackendError }
  );

class TimeoutReason extends Error {
  override name = "TimeoutError";
}

/**
 * Makes one attempt. `first` marks a question's first attempt: only that one
 * gets the long first-request timeout on a cold endpoint (one model load, not
 * every retry). Null when the run stopped before the request was sent.
 */
export async function attemptOnce(
  env: AttemptEnv,
  request: AskRequest,
  first: boolean,
  repeat = 0,
): Promise<AttemptResult | null> {
  const stop = env.state.stop;
  let lease: Lease;
  try {
    lease = await env.pool.acquire(stop);
  } catch {
    return null; // stopped while waiting for a permit
  }
  // An answer from the response cache is no request: no rate limit for it.
  const t0 = env.now();
  const hit = lease.backend.cachedReply?.(request, repeat) ?? null;
  if (hit !== null) {
    const latencyMs = env.now() - t0;
    lease.release({ ok: true, latencyMs, errorKind: null, cached: true });
    return { backend: lease.backend, latencyMs, reply: hit, failure: null };
  }
  // Space request starts (not permit requests), and never start one after
  // the run was told to stop.
  await env.gate.wait(stop);
  if (stop.aborted) {
    lease.release({ ok: false, latencyMs: 0, errorKind: "interrupted" });
    return null;
  }
  return await send(env, lease, request, first && !lease.warm, repeat);
}

async function send(
  env: AttemptEnv,
  lease: Lease,
  request: AskRequest,
  cold: boolean,
  repeat: number,
): Promise<AttemptResult> {
  const { backend } = lease;
  const hard = env.state.abort;
  const attemptCtl = new AbortController();
  const timer = env.timeouts.start(
    backend.endpoint,
    cold,
    (limitMs) =>
      attemptCtl.abort(
        new TimeoutReason(`no answer within ${limitMs / 1000} s`),
      ),
  );
  const onHardAbort = () => attemptCtl.abort(hard.reason);
  hard.addEventListener("abort", onHardAbort, { once: true });
  if (hard.aborted) onHardAbort();
  const t0 = env.now();
  env.events.requestStarted?.();
  let reply: AskResponse | null = null;
  let failure: BackendError | null = null;
  try {
    reply = await backend.ask(request, attemptCtl.signal, repeat);
  } catch (e) {
    failure = toBackendError(e, attemptCtl.signal, hard);
  } finally {
    timer.clear();
    hard.removeEventListener("abort", onHardAbort);
  }
  const latencyMs = env.now() - t0;
  // A cached answer says nothing about the server's speed or warmth.
  const cached = reply?.cached === true;
  if (reply !== null && !cached) {
    env.timeouts.success(backend.endpoint, latencyMs);
  }
  lease.release({
    ok: reply !== null,
    latencyMs,
    errorKind: failure?.kind ?? null,
    cached,
  });
  env.events.requestFinished?.(latencyMs, reply !== null, cached);
  return reply !== null
    ? { backend, latencyMs, reply, failure: null }
    : { backend, latencyMs, reply: null, failure: failure! };
}

/** The BackendError for a rejected attempt: the run's abort and our timeout win over the backend's view. */
function toBackendError(
  e: unknown,
  attempt: AbortSignal,
  hard: AbortSignal,
): BackendError {
  if (hard.aborted) {
    return new BackendError("interrupted", {
      kind: "interrupted",
      retryable: false,
      cause: e,
    });
  }
  if (attempt.aborted && attempt.reason instanceof TimeoutReason) {
    return new BackendError(`timeout: ${attempt.reason.message}`, {
      kind: "timeout",
      retryable: true,
      cause: e,
    });
  }
  if (e instanceof BackendError) return e;
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new BackendError(`request failed: ${message}`, {
    kind: "network",
    retryable: true,
    cause: e,
  });
}
