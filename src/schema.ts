// The data model shared by every part of llm-bench: questions read from a
// dataset, the per-question result line of `results.jsonl`, and the shape of
// `summary.json`. File schemas keep snake_case keys; they are documented in
// README "Outputs".

/** Letters a question may use, in order: MMLU uses A-D, MMLU-Pro up to J. */
export const LETTERS = [
  "A",
  "B",
  "C",
  "D",
  "E",
  "F",
  "G",
  "H",
  "I",
  "J",
] as const;

/** One multiple-choice question read from a dataset file. */
export interface Question {
  /** Stable id: `<file>:<line>` with the file relative to the dataset root. */
  id: string;
  /** Position in the whole dataset's stable order (0-based, skipped rows included). */
  index: number;
  /** Dataset file, relative to the dataset root, with `/` separators. */
  file: string;
  /** 1-based physical line where the record starts. */
  line: number;
  /** File name without extension and without a trailing `_test`/`_dev`/`_val`. */
  subject: string;
  /** Question text exactly as in the file (not trimmed). */
  question: string;
  /** 2 to 10 options, exactly as in the file. */
  choices: string[];
  /** Correct letter, upper case, within the options. */
  answer: string;
  /**
   * The answer as the file wrote it (`"C"`, `"1"`, `2`, an option's text),
   * so a result can be traced back; absent for headerless MMLU CSV rows,
   * where it is the letter itself.
   */
  label?: string;
  /** Original labels of the options in the order shown, when the file has them (`["1","2","3","4"]`). */
  labels?: string[];
}

/** A row that could not become a question: it is recorded as `skipped`. */
export interface SkippedRow {
  id: string;
  index: number;
  file: string;
  line: number;
  subject: string;
  /** Why it was skipped, e.g. `answer "E" is not one of A-D`. */
  reason: string;
}

/** What a dataset reader yields, in file order. */
export type DatasetItem =
  | { kind: "question"; question: Question }
  | { kind: "skipped"; row: SkippedRow };

/** How a question ended. */
export type Status = "correct" | "wrong" | "unparsed" | "error" | "skipped";

/** All statuses, in display order. */
export const STATUSES: readonly Status[] = [
  "correct",
  "wrong",
  "unparsed",
  "error",
  "skipped",
];

/** Kinds of failure a request can end in (for `error_kind` and metrics). */
export type ErrorKind =
  | "network"
  | "timeout"
  | "http_5xx"
  | "busy"
  | "rate_limited"
  | "http_4xx"
  | "model_not_found"
  | "stream_error"
  | "incomplete"
  | "malformed"
  | "interrupted"
  | "circuit_open";

/** A chat message as sent to the model. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** One line of `results.jsonl`: exactly one per input row. */
export interface ResultRecord {
  id: string;
  index: number;
  file: string;
  line: number;
  subject: string;
  /**
   * The answer as the dataset file wrote it (`"1"`, `"C"`, an option's
   * text), when it differs in kind from a letter column; absent otherwise.
   */
  label?: string;
  /** Original labels of the options in the file's order, when the file has them. */
  labels?: string[];
  /** Model name as configured. */
  model: string;
  /** Correct letter (after any choice shuffling); null for a skipped row. */
  expected: string | null;
  /** Letter the model chose; null when unparsed, error or skipped. */
  predicted: string | null;
  status: Status;
  /** Extraction rule that produced `predicted` (see src/answer.ts), or null. */
  method: string | null;
  /** Final answer text as returned (thinking excluded), or null. */
  raw: string | null;
  /** Thinking text returned separately, or null. */
  thinking: string | null;
  /** Why the question is error/skipped/unparsed, else null. */
  reason: string | null;
  /** Failure kind for `error`, else null. */
  "error_kind": ErrorKind | null;
  /** Wall time of the successful attempt (or the last one), ms. */
  "latency_ms": number | null;
  "prompt_tokens": number | null;
  "eval_tokens": number | null;
  /** Generation time from the server, ns. */
  "eval_duration_ns": number | null;
  /**
   * Time the model spent on the request (Ollama: prompt_eval_duration +
   * eval_duration; queueing and loading excluded), ms; absent or null when
   * the server does not report it.
   */
  "service_ms"?: number | null;
  /** Server `done_reason` ("stop", "length", ...), or null. */
  "done_reason": string | null;
  /** HTTP attempts made (0 for skipped). */
  attempts: number;
  /** Exact messages sent (chat modes) or null. */
  messages: ChatMessage[] | null;
  /** Exact raw prompt sent (logprobs mode), or null. */
  prompt: string | null;
  /** Per-letter probabilities (logprobs mode), or null. */
  "letter_probs": Record<string, number> | null;
  /** Endpoint that answered (base URL, credentials removed), or null. */
  endpoint: string | null;
  /** Repeat number (0-based) when `--repeats` > 1. */
  repeat: number;
  /**
   * True when the reply came from the response cache (`--cache`); absent for
   * a live answer. Scored exactly like a live one; left out of latency,
   * model-time and tokens/s figures.
   */
  cached?: boolean;
}

/** Counts per status; `total` is their sum. */
export interface Counts {
  total: number;
  correct: number;
  wrong: number;
  unparsed: number;
  errors: number;
  skipped: number;
}

/** Accuracy figures for a group of results. */
export interface GroupStats extends Counts {
  /** correct / (correct + wrong + unparsed); null when that is 0. */
  accuracy: number | null;
  /** Wilson 95% interval of `accuracy`. */
  ci95: [number, number] | null;
}

/** Latency distribution of answered requests, in milliseconds. */
export interface LatencyStats {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * How the model is asked and scored (`--mode`):
 * - `answer`: chat, output constrained to `{"answer": "<letter>"}` by a JSON schema.
 * - `cot`: chat, the model reasons and ends with "Answer: X" (or "the answer is (X)").
 * - `logprobs`: raw prompt ending in "Answer:", scored by next-token probabilities.
 */
export type Mode = "answer" | "cot" | "logprobs";

/** One dataset file as recorded in summary.json. */
export interface SummaryDatasetFile {
  /** Path relative to the dataset root, `/` separators. */
  file: string;
  sha256: string;
  /** CSV records (or JSONL lines) read, skipped rows included. */
  rows: number;
}
