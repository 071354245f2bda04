// Runs every question exactly once (per repeat) through an endpoint pool:
// a sliding window of requests, retries with backoff outside the permit, a
// circuit breaker, and a clean stop on interrupt. Emits one ResultRecord per
// finished question; questions cut off by a stop get none (resume asks them).

import type { AskRequest, AskResponse } from "../backend/backend.ts";
import type { EndpointPool } from "../backend/pool.ts";
import {
  backoffDelay,
  type RetryPolicy,
  sleep as defaultSleep,
} from "../backend/retry.ts";
import {
  type AttemptTimeoutOptions,
  AttemptTimeouts,
} from "../backend/timeouts.ts";
import { BackendError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type {
  ChatMessage,
  DatasetItem,
  ErrorKind,
  Question,
  ResultRecord,
} from "../schema.ts";

/** The original answer label and option labels of a question, when it has them. */
function traceOf(q: Question): Pick<ResultRecord, "label" | "labels"> {
  const out: Pick<ResultRecord, "label" | "labels"> = {};
  if (q.label !== undefined) out.label = q.label;
  if (q.labels !== undefined) out.labels = q.labels;
  return out;
}

/** A question turned into a request (prompt built, options maybe shuffled). */
export interface PreparedQuestion {
  question: Question;
  request: AskRequest;
  messages: ChatMessage[] | null;
  prompt: string | null;
}

/** The scoring of one reply. */
export interface Scored {
  predicted: string | null;
  status: "correct" | "wrong" | "unparsed";
  method: string | null;
  reason: string | null;
  letterProbs: Record<string, number> | null;
}

/** How questions become requests and replies become scores (see src/protocol.ts). */
export interface QuestionProtocol {
  prepare(q: Question): Promise<PreparedQuestion> | PreparedQuestion;
  score(p: PreparedQuestion, r: AskResponse): Scored;
}

/** Hooks for live metrics; all optional and cheap. */
export interface RunEvents {
  requestStarted?(): void;
  requestFinished?(latencyMs: number, ok: boolean): void;
  retry?(kind: ErrorKind): void;
  questionStarted?(): void;
}

/** Options of runQuestions. */
export interface RunOptions {
  /** Model name recorded in each result. */
  model: string;
  retry: RetryPolicy;
  /** Minimum gap between request starts, ms. @default 0 */
  rateLimitDelayMs: number;
  /** Per-attempt timeout once the model answered, ms. */
  requestTimeoutMs: number;
  /** Per-attempt timeout before the first answer (model loading), ms. */
  firstRequestTimeoutMs: number;
  /** Stop after this many questions in a row end in error; 0 = never. */
  maxConsecutiveFailures: number;
  /** Times each question is asked. @default 1 */
  repeats: number;
  /** Tuning of the adaptive stall limit (see src/backend/timeouts.ts). */
  timeouts?: Pick<
    AttemptTimeoutOptions,
    "adaptive" | "minAdaptiveMs" | "factor" | "minSamples"
  >;
}

/** Collaborators of runQuestions. */
export interface RunDeps {
  pool: EndpointPool;
  protocol: QuestionProtocol;
  /** Receives every finished result, in completion order. */
  sink: (r: ResultRecord) => void;
  log: Logger;
  events?: RunEvents;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Whether repeat `repeat` of question `id` already has a result (resume). */
  isDone?: (id: string, repeat: number) => boolean;
}

/** Signals that end a run: `stop` ends dispatching, `abort` ends requests in flight. */
export interface RunControl {
  stop: AbortSignal;
  abort: AbortSignal;
}

/** Why a run ended before its last question. */
export interface RunStop {
  kind: "interrupted" | "model_not_found" | "circuit_open";
  message: string;
}

/** What runQuestions did. */
export interface RunOutcome {
  /** Results emitted. */
  finished: number;
  /** Questions (× repeats) dispatched but not finished. */
  unfinished: number;
  stopped: RunStop | null;
}

/** A record for a row that never became a question. */
export function skippedRecord(
  row: {
    id: string;
    index: number;
    file: string;
    line: number;
    subject: string;
    reason: string;
  },
  model: string,
): ResultRecord {
  return {
    id: row.id,
    index: row.index,
    file: row.file,
    line: row.line,
    subject: row.subject,
    model,
    expected: null,
    predicted: null,
    status: "skipped",
    method: null,
    raw: null,
    thinking: null,
    reason: row.reason,
    "error_kind": null,
    "latency_ms": null,
    "prompt_tokens": null,
    "eval_tokens": null,
    "eval_duration_ns": null,
    "done_reason": null,
    attempts: 0,
    messages: null,
    prompt: null,
    "letter_probs": null,
    endpoint: null,
    repeat: 0,
  };
}

class TimeoutReason extends Error {
  override name = "TimeoutError";
}

/**
 * Runs the items: skipped rows are recorded at once, questions go through the
 * pool. Resolves when every dispatched question has finished or the run
 * stopped; never throws for a failed question.
 */
export async function runQuestions(
  items: AsyncIterable<DatasetItem>,
  opts: RunOptions,
  deps: RunDeps,
  control: RunControl,
): Promise<RunOutcome> {
  const now = deps.now ?? (() => performance.now());
  const sleep = deps.sleep ?? defaultSleep;
  const random = deps.random ?? Math.random;
  const { pool, protocol, sink, log } = deps;
  const events = deps.events ?? {};

  // Internal stop: the caller's stop, or ours (model gone, breaker open).
  const stopCtl = new AbortController();
  const onStop = () => stopCtl.abort(control.stop.reason);
  if (control.stop.aborted) onStop();
  else control.stop.addEventListener("abort", onStop, { once: true });
  const abortCtl = new AbortController();
  const onAbort = () => abortCtl.abort(control.abort.reason);
  if (control.abort.aborted) onAbort();
  else control.abort.addEventListener("abort", onAbort, { once: true });

  let stopped: RunStop | null = null;
  const stopRun = (s: RunStop, hard: boolean) => {
    if (stopped === null) stopped = s;
    stopCtl.abort(s.message);
    if (hard) abortCtl.abort(s.message);
  };

  const timeouts = new AttemptTimeouts({
    requestTimeoutMs: opts.requestTimeoutMs,
    firstRequestTimeoutMs: opts.firstRequestTimeoutMs,
    ...opts.timeouts,
  });
  let finished = 0;
  let unfinished = 0;
  let consecutiveErrors = 0;
  let nextStartAt = 0;

  const emit = (r: ResultRecord) => {
    finished++;
    sink(r);
  };

  // Sliding window: keep a few more questions active than there are permits
  // so a freed permit is taken at once, but never read far ahead.
  let active = 0;
  let wake: (() => void) | null = null;
  const slack = () => pool.limit + Math.max(2, Math.ceil(pool.limit / 2));

  const waitRateGate = async () => {
    if (opts.rateLimitDelayMs <= 0) return;
    const t = now();
    const start = Math.max(t, nextStartAt);
    nextStartAt = start + opts.rateLimitDelayMs;
    if (start > t) await sleep(start - t, stopCtl.signal);
  };

  const ask = async (
    prepared: PreparedQuestion,
    repeat: number,
  ): Promise<ResultRecord | null> => {
    const q = prepared.question;
    let attempts = 0;
    for (;;) {
      if (stopCtl.signal.aborted) return null;
      let lease;
      try {
        lease = await pool.acquire(stopCtl.signal);
      } catch {
        return null; // stopped while waiting for a permit
      }
      // Space request starts (not permit requests), and never start one
      // after the run was told to stop.
      await waitRateGate();
      if (stopCtl.signal.aborted) {
        lease.release({ ok: false, latencyMs: 0, errorKind: "interrupted" });
        return null;
      }
      attempts++;
      const attemptCtl = new AbortController();
      // The long first-request timeout covers one model load, not retries.
      const timer = timeouts.start(
        lease.backend.endpoint,
        !lease.warm && attempts === 1,
        (limitMs) =>
          attemptCtl.abort(
            new TimeoutReason(`no answer within ${limitMs / 1000} s`),
          ),
      );
      const onHardAbort = () => attemptCtl.abort(abortCtl.signal.reason);
      abortCtl.signal.addEventListener("abort", onHardAbort, { once: true });
      if (abortCtl.signal.aborted) onHardAbort();
      const t0 = now();
      events.requestStarted?.();
      let reply: AskResponse | null = null;
      let failure: BackendError | null = null;
      try {
        reply = await lease.backend.ask(prepared.request, attemptCtl.signal);
      } catch (e) {
        failure = toBackendError(e, attemptCtl.signal, abortCtl.signal);
      } finally {
        timer.clear();
        abortCtl.signal.removeEventListener("abort", onHardAbort);
      }
      const latencyMs = now() - t0;
      if (reply !== null) timeouts.success(lease.backend.endpoint, latencyMs);
      lease.release({
        ok: reply !== null,
        latencyMs,
        errorKind: failure?.kind ?? null,
      });
      events.requestFinished?.(latencyMs, reply !== null);

      if (reply !== null) {
        const s = protocol.score(prepared, reply);
        return {
          id: q.id,
          index: q.index,
          file: q.file,
          line: q.line,
          subject: q.subject,
          ...traceOf(q),
          model: opts.model,
          expected: q.answer,
          predicted: s.predicted,
          status: s.status,
          method: s.method,
          raw: reply.content,
          thinking: reply.thinking,
          reason: s.reason,
          "error_kind": null,
          "latency_ms": Math.round(latencyMs * 1000) / 1000,
          "prompt_tokens": reply.promptTokens,
          "eval_tokens": reply.evalTokens,
          "eval_duration_ns": reply.evalDurationNs,
          "service_ms": reply.serviceNs == null
            ? null
            : Math.round(reply.serviceNs / 1000) / 1000,
          "done_reason": reply.doneReason,
          attempts,
          messages: prepared.messages,
          prompt: prepared.prompt,
          "letter_probs": s.letterProbs,
          endpoint: lease.backend.endpoint,
          repeat,
        };
      }
      const err = failure!;
      if (err.kind === "interrupted") return null;
      if (err.kind === "model_not_found") {
        stopRun({
          kind: "model_not_found",
          message:
            `${err.message} at ${lease.backend.endpoint}: the model was removed during the run. ` +
            `Run \`ollama pull ${opts.model}\`, then resume`,
        }, false);
        return null;
      }
      const retryable = err.retryable && attempts <= opts.retry.maxRetries;
      if (!retryable) {
        return {
          ...skippedRecord({ ...q, reason: err.message }, opts.model),
          status: "error",
          expected: q.answer,
          ...traceOf(q),
          "error_kind": err.kind,
          "latency_ms": null,
          attempts,
          messages: prepared.messages,
          prompt: prepared.prompt,
          endpoint: lease.backend.endpoint,
          repeat,
        };
      }
      const waitMs = backoffDelay(
        attempts,
        opts.retry,
        err.retryAfterSeconds,
        random,
      );
      log.info("request_retry", {
        id: q.id,
        attempt: attempts,
        kind: err.kind,
        status: err.status,
        reason: err.message,
        "wait_ms": waitMs,
        endpoint: lease.backend.endpoint,
      });
      events.retry?.(err.kind);
      await sleep(waitMs, stopCtl.signal);
    }
  };

  const handle = async (q: Question, repeat: number) => {
    try {
      const prepared = await protocol.prepare(q);
      const record = await ask(prepared, repeat);
      if (record === null) {
        unfinished++;
        return;
      }
      if (record.status === "error") {
        consecutiveErrors++;
        log.warn("question_failed", {
          id: q.id,
          kind: record.error_kind,
          reason: record.reason,
          attempts: record.attempts,
        });
        if (
          opts.maxConsecutiveFailures > 0 &&
          consecutiveErrors >= opts.maxConsecutiveFailures
        ) {
          stopRun({
            kind: "circuit_open",
            message:
              `${consecutiveErrors} questions in a row failed (last: ${record.reason}); ` +
              `stopping the run (--max-consecutive-failures ${opts.maxConsecutiveFailures})`,
          }, false);
        }
      } else {
        consecutiveErrors = 0;
      }
      safeEmit(record);
    } catch (e) {
      // A bug or a prompt that cannot be built is this question's error,
      // never the run's.
      const message = e instanceof Error ? e.message : String(e);
      safeEmit({
        ...skippedRecord({
          ...q,
          reason: `cannot prepare the question: ${message}`,
        }, opts.model),
        status: "error",
        expected: q.answer,
        ...traceOf(q),
        "error_kind": "malformed",
        repeat,
      });
    }
  };

  // A result that cannot be recorded (disk full) ends the run: nothing after
  // it could be trusted to be on disk. It is rethrown once all have settled.
  let sinkError: unknown = null;
  const safeEmit = (r: ResultRecord) => {
    if (sinkError !== null) return;
    try {
      emit(r);
    } catch (e) {
      sinkError = e;
      stopRun({ kind: "interrupted", message: "cannot record results" }, true);
    }
  };

  const started = new Set<Promise<void>>();
  // Wake the dispatcher if it is parked when the run stops.
  const stopWaker = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  stopCtl.signal.addEventListener("abort", stopWaker, { once: true });
  try {
    for await (const item of items) {
      if (stopCtl.signal.aborted) break;
      if (item.kind === "skipped") {
        safeEmit(skippedRecord(item.row, opts.model));
        continue;
      }
      for (let r = 0; r < opts.repeats; r++) {
        if (deps.isDone?.(item.question.id, r)) continue;
        while (active >= slack() && !stopCtl.signal.aborted) {
          await new Promise<void>((resolve) => (wake = resolve));
        }
        if (stopCtl.signal.aborted) break;
        active++;
        events.questionStarted?.();
        const p: Promise<void> = handle(item.question, r).finally(() => {
          active--;
          started.delete(p);
          const w = wake;
          wake = null;
          w?.();
        });
        started.add(p);
      }
    }
  } finally {
    await Promise.all([...started]);
    stopCtl.signal.removeEventListener("abort", stopWaker);
    control.stop.removeEventListener("abort", onStop);
    control.abort.removeEventListener("abort", onAbort);
  }
  if (sinkError !== null) throw sinkError;
  if (stopped === null && control.stop.aborted) {
    stopped = { kind: "interrupted", message: "interrupted" };
  }
  return { finished, unfinished, stopped };
}

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
