// The exact shape of summary.json, and reading one back with every field
// checked (a clear error naming the file and the field, never a cast).

import type {
  Counts,
  GroupStats,
  LatencyStats,
  SummaryDatasetFile,
} from "../schema.ts";
import { Fields } from "./fields.ts";

export type { SummaryDatasetFile };

/** What the run read, passed through unchanged into summary.json. */
export interface SummaryDataset {
  files: SummaryDatasetFile[];
  /** Human-readable problems found while reading (skipped rows, oddities). */
  problems: string[];
}

/** Identity of the benchmarked model, in summary.json. */
export interface SummaryModelInfo {
  digest: string | null;
  quantization: string | null;
  "parameter_size": string | null;
  family: string | null;
  capabilities: string[];
  "server_version": string | null;
  "context_length": number | null;
}

/** Accuracy of one MMLU category (micro: pooled over its subjects). */
export interface CategoryStats extends GroupStats {
  /** Subjects of this category present in the run. */
  subjects: number;
}

/** Letter distributions over scored questions. */
export interface LetterStats {
  /** Expected letter -> count. */
  expected: Record<string, number>;
  /** Predicted letter -> count (unparsed answers are not counted). */
  predicted: Record<string, number>;
  /** Expected letter -> predicted letter (or `none`) -> count. */
  matrix: Record<string, Record<string, number>>;
}

/** Calibration of letter probabilities (logprobs mode). */
export interface CalibrationStats {
  /** Mean multi-class Brier score (0 best, 2 worst). */
  brier: number;
  /** Expected calibration error, 10 equal-width bins. */
  ece: number;
  /** Scored questions that had usable letter probabilities. */
  n: number;
}

/** Per-endpoint request figures (multi-endpoint runs). */
export interface EndpointStats {
  /** Results answered or failed by this endpoint. */
  requests: number;
  /** Results with status `error`. */
  errors: number;
  /** Mean latency of answered results, ms; null when none. */
  "latency_ms_mean": number | null;
}

/** How often repeats of a question agree (runs with `--repeats` > 1). */
export interface RepeatStats {
  /** Highest repeat number seen + 1. */
  runs: number;
  /** Questions with at least two scored repeats. */
  questions: number;
  /** Of those, questions whose scored repeats all gave the same letter (or all none). */
  consistent: number;
  /** consistent / questions; null when questions is 0. */
  consistency: number | null;
}

/** The exact shape of `summary.json`. */
export interface Summary {
  "schema_version": 1;
  "run_id": string;
  /** False when the run was interrupted or some questions have no result. */
  complete: boolean;
  "started_at": string;
  "finished_at": string | null;
  "wall_time_s": number | null;
  model: string;
  "model_info": SummaryModelInfo | null;
  backend: string;
  mode: string;
  /** Every result line; repeats of a question count separately. */
  counts: Counts;
  /** correct / (correct + wrong + unparsed); null when that is 0. */
  accuracy: number | null;
  "accuracy_ci95": [number, number] | null;
  /** Mean of per-subject accuracies over subjects with a scored question. */
  "accuracy_macro": number | null;
  /** Per subject, keys sorted. */
  subjects: Record<string, GroupStats>;
  /** MMLU roll-ups; null unless every scored subject is an MMLU subject. */
  categories: Record<string, CategoryStats> | null;
  /**
   * Answers (correct, wrong, unparsed) taken from the response cache; the
   * latency, model-time, tokens/s and endpoint figures cover the others only.
   * Absent in summaries written before the cache existed.
   */
  "cached_answers"?: number;
  /** Latency of live answered questions (correct, wrong, unparsed); null when none. */
  "latency_ms": LatencyStats | null;
  /**
   * Model time of answered questions (prompt evaluation + generation, no
   * queueing, no loading), ms; null when the server does not report it.
   */
  "service_ms": LatencyStats | null;
  /** Σ eval_tokens / Σ eval_duration over results with both; null when none. */
  "tokens_per_second": number | null;
  "prompt_tokens": number;
  "eval_tokens": number;
  /** Σ max(0, attempts − 1). */
  retries: number;
  "errors_by_kind": Record<string, number>;
  "unparsed_by_reason": Record<string, number>;
  letters: LetterStats;
  /** Null unless some scored result has letter probabilities. */
  calibration: CalibrationStats | null;
  /** Null unless results come from more than one endpoint. */
  endpoints: Record<string, EndpointStats> | null;
  /** Null unless some result has repeat > 0. */
  repeats: RepeatStats | null;
  dataset: SummaryDataset;
  /** Effective configuration, already redacted by the caller. */
  config: Record<string, unknown>;
  tool: { name: string; version: string };
  /** What the run planned to ask, when known (absent in older summaries). */
  planned?: PlannedWork;
}

/** What a run set out to ask: result lines planned, per subject. */
export interface PlannedWork {
  /** Result lines planned (questions × repeats, skipped rows included). */
  questions: number;
  /** Subject -> result lines planned. */
  subjects: Record<string, number>;
}

/** The optional fields of later versions, checked when present. */
function optionalFields(f: Fields) {
  const out: Pick<Summary, "cached_answers" | "planned"> = {};
  if (f.raw["cached_answers"] !== undefined) {
    out["cached_answers"] = f.num("cached_answers");
  }
  if (f.raw["planned"] !== undefined) {
    const p = f.obj("planned");
    out.planned = {
      questions: p.num("questions"),
      subjects: numbers(p, "subjects"),
    };
  }
  return out;
}

function counts(f: Fields): Counts {
  return {
    total: f.num("total"),
    correct: f.num("correct"),
    wrong: f.num("wrong"),
    unparsed: f.num("unparsed"),
    errors: f.num("errors"),
    skipped: f.num("skipped"),
  };
}

function interval(f: Fields, key: string): [number, number] | null {
  const v = f.raw[key];
  if (v === null) return null;
  if (Array.isArray(v) && v.length === 2) {
    const [lo, hi] = v;
    if (typeof lo === "number" && typeof hi === "number") return [lo, hi];
  }
  throw f.fail(key, "a pair of numbers or null");
}

function groupStats(f: Fields): GroupStats {
  return {
    ...counts(f),
    accuracy: f.numOrNull("accuracy"),
    ci95: interval(f, "ci95"),
  };
}

function latency(f: Fields | null): LatencyStats | null {
  return f === null ? null : {
    count: f.num("count"),
    mean: f.num("mean"),
    p50: f.num("p50"),
    p90: f.num("p90"),
    p99: f.num("p99"),
    max: f.num("max"),
  };
}

function numbersOf(o: Fields): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(o.raw)) out[k] = o.num(k);
  return out;
}

function numbers(f: Fields, key: string): Record<string, number> {
  return numbersOf(f.obj(key));
}

function records<T>(
  f: Fields,
  key: string,
  each: (g: Fields) => T,
): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, g] of f.entries(key)) out[k] = each(g);
  return out;
}

/** The dataset files recorded in summary.json or run.json. */
export function datasetFiles(f: Fields, key = "files"): SummaryDatasetFile[] {
  return f.list(key).map((g) => ({
    file: g.str("file"),
    sha256: g.str("sha256"),
    rows: g.num("rows"),
  }));
}

function modelInfo(f: Fields | null): SummaryModelInfo | null {
  return f === null ? null : {
    digest: f.strOrNull("digest"),
    quantization: f.strOrNull("quantization"),
    "parameter_size": f.strOrNull("parameter_size"),
    family: f.strOrNull("family"),
    capabilities: f.strings("capabilities"),
    "server_version": f.strOrNull("server_version"),
    "context_length": f.numOrNull("context_length"),
  };
}

function letters(f: Fields): LetterStats {
  return {
    expected: numbers(f, "expected"),
    predicted: numbers(f, "predicted"),
    matrix: records(f, "matrix", numbersOf),
  };
}

function optional<T>(
  f: Fields,
  key: string,
  each: (g: Fields) => T,
): T | null {
  const g = f.objOrNull(key);
  return g === null ? null : each(g);
}

function categories(g: Fields): Record<string, CategoryStats> {
  return Object.fromEntries(
    Object.keys(g.raw).map((k) => {
      const c = g.obj(k);
      return [k, { ...groupStats(c), subjects: c.num("subjects") }];
    }),
  );
}

function endpoints(g: Fields): Record<string, EndpointStats> {
  return Object.fromEntries(
    Object.keys(g.raw).map((k) => {
      const e = g.obj(k);
      return [k, {
        requests: e.num("requests"),
        errors: e.num("errors"),
        "latency_ms_mean": e.numOrNull("latency_ms_mean"),
      }];
    }),
  );
}

/** Accuracy, latency and token figures of a summary. */
function scores(f: Fields) {
  return {
    counts: counts(f.obj("counts")),
    accuracy: f.numOrNull("accuracy"),
    "accuracy_ci95": interval(f, "accuracy_ci95"),
    "accuracy_macro": f.numOrNull("accuracy_macro"),
    subjects: records(f, "subjects", groupStats),
    categories: optional(f, "categories", categories),
    "latency_ms": latency(f.objOrNull("latency_ms")),
    "service_ms": latency(f.objOrNull("service_ms")),
    "tokens_per_second": f.numOrNull("tokens_per_second"),
    "prompt_tokens": f.num("prompt_tokens"),
    "eval_tokens": f.num("eval_tokens"),
    retries: f.num("retries"),
  };
}

/** Error, letter, calibration, endpoint and repeat breakdowns. */
function breakdowns(f: Fields) {
  return {
    "errors_by_kind": numbers(f, "errors_by_kind"),
    "unparsed_by_reason": numbers(f, "unparsed_by_reason"),
    letters: letters(f.obj("letters")),
    calibration: optional(f, "calibration", (g) => ({
      brier: g.num("brier"),
      ece: g.num("ece"),
      n: g.num("n"),
    })),
    endpoints: optional(f, "endpoints", endpoints),
    repeats: optional(f, "repeats", (g) => ({
      runs: g.num("runs"),
      questions: g.num("questions"),
      consistent: g.num("consistent"),
      consistency: g.numOrNull("consistency"),
    })),
  };
}

/**
 * Checks a parsed summary.json field by field; `file` names it in errors.
 *
 * @example
 * ```ts
 * import { parseSummary } from "./summary_json.ts";
 * try {
 *   parseSummary({ "schema_version": 1 }, "summary.json");
 *   throw new Error("accepted");
 * } catch (e) {
 *   if (!String(e).includes('field "run_id" is missing')) throw e;
 * }
 * ```
 */
export function parseSummary(value: unknown, file: string): Summary {
  const f = Fields.of(file, value);
  if (f.raw["schema_version"] !== 1) throw f.fail("schema_version", "1");
  const head = {
    // Fields a newer version added pass through unchecked.
    ...f.raw,
    "schema_version": 1 as const,
    "run_id": f.str("run_id"),
    complete: f.bool("complete"),
    "started_at": f.str("started_at"),
    "finished_at": f.strOrNull("finished_at"),
    "wall_time_s": f.numOrNull("wall_time_s"),
    model: f.str("model"),
    "model_info": modelInfo(f.objOrNull("model_info")),
    backend: f.str("backend"),
    mode: f.str("mode"),
  };
  const dataset = f.obj("dataset");
  const tool = f.obj("tool");
  return {
    ...head,
    ...scores(f),
    ...breakdowns(f),
    ...optionalFields(f),
    dataset: {
      files: datasetFiles(dataset),
      problems: dataset.strings("problems"),
    },
    config: f.obj("config").raw,
    tool: { name: tool.str("name"), version: tool.str("version") },
  };
}
