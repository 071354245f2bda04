// The result records the runner writes: a skipped row, an answered question,
// a question that failed after its attempts, and one whose prompt could not
// be built. Pure.

import type { AskResponse } from "../backend/backend.ts";
import type { BackendError } from "../errors.ts";
import type { Question, ResultRecord, SkippedRow } from "../schema.ts";
import type { PreparedQuestion, Scored } from "./types.ts";

/** Where and how a question was asked, for its record. */
export interface AskedAt {
  model: string;
  attempts: number;
  endpoint: string;
  repeat: number;
}

/** A record for a row that never became a question. */
export function skippedRecord(
  row: SkippedRow,
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

/** The record of a question the model answered (whatever the score). */
export function answeredRecord(
  prepared: PreparedQuestion,
  scored: Scored,
  reply: AskResponse,
  latencyMs: number,
  at: AskedAt,
): ResultRecord {
  const q = prepared.question;
  return {
    id: q.id,
    index: q.index,
    file: q.file,
    line: q.line,
    subject: q.subject,
    ...traceOf(q),
    model: at.model,
    expected: q.answer,
    predicted: scored.predicted,
    status: scored.status,
    method: scored.method,
    raw: reply.content,
    thinking: reply.thinking,
    reason: scored.reason,
    "error_kind": null,
    "latency_ms": Math.round(latencyMs * 1000) / 1000,
    "prompt_tokens": reply.promptTokens,
    "eval_tokens": reply.evalTokens,
    "eval_duration_ns": reply.evalDurationNs,
    "service_ms": reply.serviceNs == null
      ? null
      : Math.round(reply.serviceNs / 1000) / 1000,
    "done_reason": reply.doneReason,
    attempts: at.attempts,
    messages: prepared.messages,
    prompt: prepared.prompt,
    "letter_probs": scored.letterProbs,
    endpoint: at.endpoint,
    repeat: at.repeat,
    ...(reply.cached === true ? { cached: true } : {}),
  };
}

/** The original answer label and option labels of a question, when it has them. */
function traceOf(q: Question): Pick<ResultRecord, "label" | "labels"> {
  const out: Pick<ResultRecord, "label" | "labels"> = {};
  if (q.label !== undefined) out.label = q.label;
  if (q.labels !== undefined) out.labels = q.labels;
  return out;
}

/** The record of a question whose last attempt failed and will not be retried. */
export function failedRecord(
  prepared: PreparedQuestion,
  error: BackendError,
  at: AskedAt,
): ResultRecord {
  const q = prepared.question;
  return {
    ...skippedRecord({ ...q, reason: error.message }, at.model),
    status: "error",
    expected: q.answer,
    ...traceOf(q),
    "error_kind": error.kind,
    "latency_ms": null,
    attempts: at.attempts,
    messages: prepared.messages,
    prompt: prepared.prompt,
    endpoint: at.endpoint,
    repeat: at.repeat,
  };
}

/** The record of a question whose request could not be built (a bug or a bad template). */
export function unpreparedRecord(
  q: Question,
  message: string,
  model: string,
  repeat: number,
): ResultRecord {
  return {
    ...skippedRecord({
      ...q,
      reason: `cannot prepare the question: ${message}`,
    }, model),
    status: "error",
    expected: q.answer,
    ...traceOf(q),
    "error_kind": "malformed",
    repeat,
  };
}
