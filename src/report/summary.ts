// Pure aggregation of results.jsonl lines into summary.json: counts, accuracy
// with Wilson intervals, subjects and MMLU categories, latency, tokens,
// letters, calibration, endpoints and repeat consistency. Order-independent.

import type { ModelInfo } from "../backend/backend.ts";
import type { Counts, GroupStats, ResultRecord, Status } from "../schema.ts";
import { MMLU_CATEGORIES, mmluCategory } from "./categories.ts";
import {
  CalibrationAccumulator,
  describeSorted,
  ExactSum,
  LatencyStore,
} from "./stats.ts";
import { scoredAccuracy, scoredCount } from "../stats.ts";

export type {
  CalibrationStats,
  CategoryStats,
  EndpointStats,
  LetterStats,
  PlannedWork,
  RepeatStats,
  Summary,
  SummaryDataset,
  SummaryDatasetFile,
  SummaryModelInfo,
} from "../store/summary_json.ts";
import type {
  CategoryStats,
  EndpointStats,
  PlannedWork,
  RepeatStats,
  Summary,
  SummaryDataset,
} from "../store/summary_json.ts";

/** Run facts the results themselves do not carry. */
export interface RunMeta {
  /** What the run planned to ask; lets an interrupted run say what is missing. */
  planned?: PlannedWork;
  runId: string;
  /** False when interrupted or when some input rows have no result line. */
  complete: boolean;
  /** ISO 8601. */
  startedAt: string;
  /** ISO 8601, or null while running. */
  finishedAt: string | null;
  wallTimeS: number | null;
  model: string;
  /** From the backend preflight; null when unknown. */
  modelInfo: ModelInfo | null;
  backend: string;
  mode: string;
  dataset: SummaryDataset;
  /** Already redacted (no secrets). */
  config: Record<string, unknown>;
  tool: { name: string; version: string };
}

const SCORED: ReadonlySet<Status> = new Set(["correct", "wrong", "unparsed"]);
const COUNT_KEY: Readonly<Record<Status, keyof Counts>> = {
  correct: "correct",
  wrong: "wrong",
  unparsed: "unparsed",
  error: "errors",
  skipped: "skipped",
};

/**
 * "N of M answers from cache" with what that means for the timing figures,
 * or null when no answer came from the cache.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cacheNote } from "./summary.ts";
 * const counts = { total: 5, correct: 3, wrong: 1, unparsed: 0, errors: 1, skipped: 0 };
 * assert.equal(cacheNote({ counts, "cached_answers": 0 }), null);
 * assert.equal(
 *   cacheNote({ counts, "cached_answers": 4 }),
 *   "4 of 4 answers from cache (latency, model time and tokens/s: live answers only)",
 * );
 * ```
 */
export function cacheNote(
  s: Pick<Summary, "counts" | "cached_answers">,
): string | null {
  const cached = s["cached_answers"] ?? 0;
  if (cached === 0) return null;
  const answers = scoredCount(s.counts);
  return `${cached} of ${answers} answers from cache (latency, model time and tokens/s: live answers only)`;
}

function emptyCounts(): Counts {
  return { total: 0, correct: 0, wrong: 0, unparsed: 0, errors: 0, skipped: 0 };
}

/**
 * Accuracy figures for a set of counts: accuracy over scored results
 * (correct + wrong + unparsed) and its Wilson 95% interval.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupStats } from "./summary.ts";
 * const g = groupStats({ total: 5, correct: 2, wrong: 1, unparsed: 1, errors: 1, skipped: 0 });
 * assert.equal(g.accuracy, 0.5);
 * ```
 */
export function groupStats(c: Counts): GroupStats {
  return {
    total: c.total,
    correct: c.correct,
    wrong: c.wrong,
    unparsed: c.unparsed,
    errors: c.errors,
    skipped: c.skipped,
    ...scoredAccuracy(c),
  };
}

function sortedRecord<T>(map: Map<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of [...map.keys()].sort()) out[key] = map.get(key)!;
  return out;
}

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

interface EndpointAcc {
  requests: number;
  errors: number;
  answered: number;
  latency: ExactSum;
}

/** Repeat agreement of one question id. */
interface RepeatAcc {
  /** Answer of the first scored repeat seen (letter or "none"). */
  answer: string;
  scored: number;
  agree: boolean;
}

function isCount(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x) && x >= 0;
}

/**
 * Aggregates result lines into a {@link Summary}. Memory: O(1) per result,
 * plus 8 bytes per answered result (latencies, for exact percentiles) and one
 * small entry per distinct question id (for repeat consistency). The output
 * does not depend on the order results are added in, so a resumed or merged
 * run summarises exactly like an uninterrupted one. Each line counts: the
 * same id with different `repeat` values counts once per repeat.
 */
export class SummaryBuilder {
  #counts = emptyCounts();
  #subjects = new Map<string, Counts>();
  #latency = new LatencyStore();
  #service = new LatencyStore();
  #promptTokens = 0;
  #evalTokens = 0;
  #tpsTokens = 0;
  #tpsNs = new ExactSum();
  #tpsN = 0;
  #retries = 0;
  #errorsByKind = new Map<string, number>();
  #unparsedByReason = new Map<string, number>();
  #expected = new Map<string, number>();
  #predicted = new Map<string, number>();
  #matrix = new Map<string, Map<string, number>>();
  #calibration = new CalibrationAccumulator();
  #calibrationSeen = false;
  #endpoints = new Map<string, EndpointAcc>();
  #repeats = new Map<string, RepeatAcc>();
  #maxRepeat = 0;
  #cached = 0;

  /** Adds one result line. Throws RangeError on an unknown status. */
  add(r: ResultRecord): void {
    const key = COUNT_KEY[r.status];
    if (key === undefined || !Object.hasOwn(COUNT_KEY, r.status)) {
      throw new RangeError(
        `Cannot summarise result "${r.id}": unknown status "${r.status}"`,
      );
    }
    this.#counts.total++;
    this.#counts[key]++;
    let subject = this.#subjects.get(r.subject);
    if (subject === undefined) {
      subject = emptyCounts();
      this.#subjects.set(r.subject, subject);
    }
    subject.total++;
    subject[key]++;

    const scored = SCORED.has(r.status);
    // A cached answer took no server time now: timing figures are live only.
    const live = r.cached !== true;
    this.#addTiming(r, scored, live);
    if (isCount(r.attempts)) this.#retries += Math.max(0, r.attempts - 1);
    if (r.status === "error") {
      bump(this.#errorsByKind, r.error_kind ?? "unknown");
    }
    if (r.status === "unparsed") {
      bump(this.#unparsedByReason, r.reason ?? "unknown");
    }
    if (scored && r.expected !== null) this.#addLetters(r, r.expected);
    if (r.endpoint !== null && r.endpoint !== undefined) {
      this.#addEndpoint(r, r.endpoint, scored && live);
    }
    this.#addRepeat(r, scored);
  }

  /** Latency, model time and tokens (timing from live answers only). */
  #addTiming(r: ResultRecord, scored: boolean, live: boolean): void {
    if (scored && !live) this.#cached++;
    if (scored && live && isCount(r.latency_ms)) {
      this.#latency.push(r.latency_ms);
    }
    if (scored && live && isCount(r.service_ms)) {
      this.#service.push(r.service_ms);
    }
    if (isCount(r.prompt_tokens)) this.#promptTokens += r.prompt_tokens;
    if (isCount(r.eval_tokens)) {
      this.#evalTokens += r.eval_tokens;
      if (live && isCount(r.eval_duration_ns) && r.eval_duration_ns > 0) {
        this.#tpsTokens += r.eval_tokens;
        this.#tpsNs.add(r.eval_duration_ns);
        this.#tpsN++;
      }
    }
  }

  /** Letter shares, the confusion matrix and calibration of a scored answer. */
  #addLetters(r: ResultRecord, expected: string): void {
    bump(this.#expected, expected);
    if (r.predicted !== null) bump(this.#predicted, r.predicted);
    let row = this.#matrix.get(expected);
    if (row === undefined) {
      row = new Map();
      this.#matrix.set(expected, row);
    }
    bump(row, r.predicted ?? "none");
    if (r.letter_probs !== null && r.letter_probs !== undefined) {
      this.#calibrationSeen = true;
      this.#calibration.add({ probs: r.letter_probs, expected });
    }
  }

  #addEndpoint(r: ResultRecord, endpoint: string, answered: boolean): void {
    let ep = this.#endpoints.get(endpoint);
    if (ep === undefined) {
      ep = { requests: 0, errors: 0, answered: 0, latency: new ExactSum() };
      this.#endpoints.set(endpoint, ep);
    }
    ep.requests++;
    if (r.status === "error") ep.errors++;
    if (answered && isCount(r.latency_ms)) {
      ep.answered++;
      ep.latency.add(r.latency_ms);
    }
  }

  /** Whether repeats of a question gave the same answer. */
  #addRepeat(r: ResultRecord, scored: boolean): void {
    const repeat = Number.isInteger(r.repeat) ? r.repeat : 0;
    this.#maxRepeat = Math.max(this.#maxRepeat, repeat);
    if (!scored) return;
    const answer = r.predicted ?? "none";
    const acc = this.#repeats.get(r.id);
    if (acc === undefined) {
      this.#repeats.set(r.id, { answer, scored: 1, agree: true });
    } else {
      acc.scored++;
      if (acc.answer !== answer) acc.agree = false;
    }
  }

  /** Counts so far; `total` is the number of lines added. */
  counts(): Counts {
    return { ...this.#counts };
  }

  /** correct / (correct + wrong + unparsed) so far; null when that is 0. */
  accuracy(): number | null {
    return groupStats(this.#counts).accuracy;
  }

  /** The summary.json object. Does not change the builder. */
  build(meta: RunMeta): Summary {
    const overall = groupStats(this.#counts);
    const subjects = new Map<string, GroupStats>();
    for (const [name, c] of this.#subjects) subjects.set(name, groupStats(c));
    const sortedSubjects = sortedRecord(subjects);

    const macro = new ExactSum();
    let macroN = 0;
    for (const g of Object.values(sortedSubjects)) {
      if (g.accuracy !== null) {
        macro.add(g.accuracy);
        macroN++;
      }
    }

    const matrix = new Map<string, Record<string, number>>();
    for (const [expected, row] of this.#matrix) {
      matrix.set(expected, sortedRecord(row));
    }

    let endpoints: Record<string, EndpointStats> | null = null;
    if (this.#endpoints.size > 1) {
      const map = new Map<string, EndpointStats>();
      for (const [url, ep] of this.#endpoints) {
        map.set(url, {
          requests: ep.requests,
          errors: ep.errors,
          "latency_ms_mean": ep.answered === 0
            ? null
            : ep.latency.value() / ep.answered,
        });
      }
      endpoints = sortedRecord(map);
    }

    const info = meta.modelInfo;
    return {
      "schema_version": 1,
      "run_id": meta.runId,
      complete: meta.complete,
      "started_at": meta.startedAt,
      "finished_at": meta.finishedAt,
      "wall_time_s": meta.wallTimeS,
      model: meta.model,
      "model_info": info === null ? null : {
        digest: info.digest,
        quantization: info.quantization,
        "parameter_size": info.parameterSize,
        family: info.family,
        capabilities: [...info.capabilities],
        "server_version": info.serverVersion,
        "context_length": info.contextLength,
      },
      backend: meta.backend,
      mode: meta.mode,
      counts: this.counts(),
      accuracy: overall.accuracy,
      "accuracy_ci95": overall.ci95,
      "accuracy_macro": macroN === 0 ? null : macro.value() / macroN,
      subjects: sortedSubjects,
      categories: this.#categories(),
      "cached_answers": this.#cached,
      "latency_ms": describeSorted(this.#latency.sorted()),
      "service_ms": describeSorted(this.#service.sorted()),
      "tokens_per_second": this.#tpsN === 0
        ? null
        : this.#tpsTokens / this.#tpsNs.value() * 1e9,
      "prompt_tokens": this.#promptTokens,
      "eval_tokens": this.#evalTokens,
      retries: this.#retries,
      "errors_by_kind": sortedRecord(this.#errorsByKind),
      "unparsed_by_reason": sortedRecord(this.#unparsedByReason),
      letters: {
        expected: sortedRecord(this.#expected),
        predicted: sortedRecord(this.#predicted),
        matrix: sortedRecord(matrix),
      },
      calibration: this.#calibrationSeen ? this.#calibration.result() : null,
      endpoints,
      repeats: this.#maxRepeat > 0 ? this.#repeatStats() : null,
      dataset: meta.dataset,
      config: meta.config,
      tool: { name: meta.tool.name, version: meta.tool.version },
      ...(meta.planned === undefined ? {} : { planned: meta.planned }),
    };
  }

  #categories(): Record<string, CategoryStats> | null {
    const pooled = new Map<string, CategoryStats>();
    let anyScored = false;
    for (const [name, c] of this.#subjects) {
      const scored = scoredCount(c);
      const category = mmluCategory(name);
      if (category === null) {
        if (scored > 0) return null;
        continue;
      }
      if (scored > 0) anyScored = true;
      const acc = pooled.get(category) ??
        { ...groupStats(emptyCounts()), subjects: 0 };
      acc.subjects++;
      acc.total += c.total;
      acc.correct += c.correct;
      acc.wrong += c.wrong;
      acc.unparsed += c.unparsed;
      acc.errors += c.errors;
      acc.skipped += c.skipped;
      pooled.set(category, acc);
    }
    if (!anyScored) return null;
    const out: Record<string, CategoryStats> = {};
    for (const category of MMLU_CATEGORIES) {
      const acc = pooled.get(category);
      if (acc === undefined) continue;
      out[category] = { ...groupStats(acc), subjects: acc.subjects };
    }
    return out;
  }

  #repeatStats(): RepeatStats {
    let questions = 0;
    let consistent = 0;
    for (const acc of this.#repeats.values()) {
      if (acc.scored < 2) continue;
      questions++;
      if (acc.agree) consistent++;
    }
    return {
      runs: this.#maxRepeat + 1,
      questions,
      consistent,
      consistency: questions === 0 ? null : consistent / questions,
    };
  }
}
