// Runs every question exactly once (per repeat) through an endpoint pool:
// a sliding window of requests, retries with backoff outside the permit, a
// circuit breaker, and a clean stop on interrupt. Emits one ResultRecord per
// finished question; questions cut off by a stop get none (resume asks them).
// The pieces: window.ts (dispatch), question.ts (one question), attempt.ts
// (one attempt), retry_decision.ts, breaker.ts, records.ts, run_state.ts.

import type { EndpointPool } from "../backend/pool.ts";
import { sleep as defaultSleep } from "../backend/retry.ts";
import { AttemptTimeouts } from "../backend/timeouts.ts";
import type { DatasetItem } from "../schema.ts";
import { RateGate } from "./attempt.ts";
import { CircuitBreaker } from "./breaker.ts";
import { type QuestionEnv, runQuestion } from "./question.ts";
import { skippedRecord } from "./records.ts";
import { RunState } from "./run_state.ts";
import type { RunControl, RunDeps, RunOptions, RunOutcome } from "./types.ts";
import { DispatchWindow } from "./window.ts";

export type {
  PreparedQuestion,
  QuestionProtocol,
  RunControl,
  RunDeps,
  RunEvents,
  RunOptions,
  RunOutcome,
  RunStop,
  Scored,
} from "./types.ts";

/**
 * Runs the items: skipped rows are recorded at once, questions go through the
 * pool. Resolves when every dispatched question has finished or the run
 * stopped; never throws for a failed question (only when a result cannot be
 * recorded).
 */
export async function runQuestions(
  items: AsyncIterable<DatasetItem>,
  opts: RunOptions,
  deps: RunDeps,
  control: RunControl,
): Promise<RunOutcome> {
  const state = new RunState(control, deps.sink);
  const env = questionEnv(opts, deps, state);
  const window = new DispatchWindow(() => windowSize(deps.pool), state.stop);
  try {
    for await (const item of items) {
      if (state.stop.aborted) break;
      if (item.kind === "skipped") {
        state.emit(skippedRecord(item.row, opts.model));
        continue;
      }
      for (let r = 0; r < opts.repeats; r++) {
        if (deps.isDone?.(item.question.id, r)) continue;
        if (!(await window.enter())) break;
        window.track(runQuestion(env, item.question, r));
      }
    }
  } finally {
    await window.drain();
    state.dispose();
  }
  return state.outcome();
}

/** Questions in progress: the permits plus a few, so a freed permit is taken at once. */
function windowSize(pool: EndpointPool): number {
  return pool.limit + Math.max(2, Math.ceil(pool.limit / 2));
}

function questionEnv(
  opts: RunOptions,
  deps: RunDeps,
  state: RunState,
): QuestionEnv {
  const now = deps.now ?? (() => performance.now());
  const sleep = deps.sleep ?? defaultSleep;
  return {
    pool: deps.pool,
    timeouts: new AttemptTimeouts({
      requestTimeoutMs: opts.requestTimeoutMs,
      firstRequestTimeoutMs: opts.firstRequestTimeoutMs,
      ...opts.timeouts,
    }),
    gate: new RateGate(opts.rateLimitDelayMs, now, sleep),
    events: deps.events ?? {},
    now,
    state,
    model: opts.model,
    retry: opts.retry,
    protocol: deps.protocol,
    breaker: new CircuitBreaker(opts.maxConsecutiveFailures),
    log: deps.log,
    sleep,
    random: deps.random ?? Math.random,
  };
}
