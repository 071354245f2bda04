// The runner's contract with its callers: the question protocol it is given,
// its options and collaborators, the signals that end a run, and what it
// reports back. Types only.

import type { AskRequest, AskResponse } from "../backend/backend.ts";
import type { EndpointPool } from "../backend/pool.ts";
import type { RetryPolicy } from "../backend/retry.ts";
import type { AttemptTimeoutOptions } from "../backend/timeouts.ts";
import type { Logger } from "../log.ts";
import type {
  ChatMessage,
  ErrorKind,
  Question,
  ResultRecord,
} from "../schema.ts";

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

/** How questions become requests and replies become scores (see src/protocol/protocol.ts). */
export interface QuestionProtocol {
  prepare(q: Question): Promise<PreparedQuestion> | PreparedQuestion;
  score(p: PreparedQuestion, r: AskResponse): Scored;
}

/** Hooks for live metrics; all optional and cheap. */
export interface RunEvents {
  requestStarted?(): void;
  /** `cached`: the reply came from the response cache, not the server. */
  requestFinished?(latencyMs: number, ok: boolean, cached: boolean): void;
  retry?(kind: ErrorKind): void;
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
