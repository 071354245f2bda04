// One question from start to result: build its request, attempt it until an
// answer, a final error or a stop (retrying after a backoff outside the
// permit), score it, and hand the record to the run.

import type { Backend } from "../backend/backend.ts";
import type { RetryPolicy } from "../backend/retry.ts";
import type { BackendError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Question, ResultRecord } from "../schema.ts";
import { type AttemptEnv, attemptOnce } from "./attempt.ts";
import type { CircuitBreaker } from "./breaker.ts";
import { answeredRecord, failedRecord, unpreparedRecord } from "./records.ts";
import { decideAfterFailure } from "./retry_decision.ts";
import type { PreparedQuestion, QuestionProtocol } from "./types.ts";

/** What a question needs from the run besides one attempt's needs. */
export interface QuestionEnv extends AttemptEnv {
  model: string;
  retry: RetryPolicy;
  protocol: QuestionProtocol;
  breaker: CircuitBreaker;
  log: Logger;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
}

/**
 * Runs repeat `repeat` of one question to its record. Never throws: a
 * question that cannot be prepared is recorded as its own error.
 */
export async function runQuestion(
  env: QuestionEnv,
  q: Question,
  repeat: number,
): Promise<void> {
  let record: ResultRecord | null;
  try {
    const prepared = await env.protocol.prepare(q);
    record = await askQuestion(env, prepared, repeat);
  } catch (e) {
    // A bug or a prompt that cannot be built is this question's error,
    // never the run's.
    const message = e instanceof Error ? e.message : String(e);
    env.state.emit(unpreparedRecord(q, message, env.model, repeat));
    return;
  }
  if (record === null) {
    env.state.leftUnfinished();
    return;
  }
  if (record.status === "error") {
    env.log.warn("question_failed", {
      id: q.id,
      kind: record.error_kind,
      reason: record.reason,
      attempts: record.attempts,
    });
  }
  const open = env.breaker.record(record);
  if (open !== null) env.state.end(open, false);
  env.state.emit(record);
}

/** Attempts one prepared question until it has a record; null when the run stopped first. */
async function askQuestion(
  env: QuestionEnv,
  prepared: PreparedQuestion,
  repeat: number,
): Promise<ResultRecord | null> {
  for (let attempts = 1;; attempts++) {
    if (env.state.stop.aborted) return null;
    const got = await attemptOnce(
      env,
      prepared.request,
      attempts === 1,
      repeat,
    );
    if (got === null) return null;
    const at = {
      model: env.model,
      attempts,
      endpoint: got.backend.endpoint,
      repeat,
    };
    if (got.reply !== null) {
      const scored = env.protocol.score(prepared, got.reply);
      return answeredRecord(prepared, scored, got.reply, got.latencyMs, at);
    }
    const error = got.failure;
    const next = decideAfterFailure(error, attempts, env.retry, env.random);
    switch (next.action) {
      case "drop":
        return null;
      case "stop_run":
        env.state.end({
          kind: "model_not_found",
          message: modelGoneMessage(error, got.backend, env.model),
        }, false);
        return null;
      case "give_up":
        return failedRecord(prepared, error, at);
      case "retry":
        env.log.info("request_retry", {
          id: prepared.question.id,
          attempt: attempts,
          kind: error.kind,
          status: error.status,
          reason: error.message,
          "wait_ms": next.waitMs,
          endpoint: got.backend.endpoint,
        });
        env.events.retry?.(error.kind);
        await env.sleep(next.waitMs, env.state.stop);
    }
  }
}

/** The stop message for a model that disappeared; what to do comes from the backend. */
function modelGoneMessage(
  error: BackendError,
  backend: Backend,
  model: string,
): string {
  const advice = backend.advice?.(error) ??
    `Make "${model}" available at ${backend.endpoint} again`;
  return `${error.message} at ${backend.endpoint}: the model was removed during the run. ${advice}, then resume`;
}
