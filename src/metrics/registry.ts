// Live run metrics: pure in-memory counters fed once per event (O(1) each),
// rendered on demand as the seed JSON, Prometheus/OpenMetrics text, or the
// snapshot the live page polls. No I/O; the clock is injected.

import {
  type ErrorKind,
  type ResultRecord,
  type Status,
  STATUSES,
} from "../schema.ts";
import {
  type ExpositionFormat,
  ExpositionWriter,
  formatLe,
} from "./exposition.ts";
import { percentile, scoredAccuracy, scoredCount } from "../stats.ts";

/** Histogram bucket upper bounds of `llm_bench_request_duration_seconds`, in seconds. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  20,
  30,
  60,
  120,
];

/** The `GET /metrics` JSON answer once at least one question has finished. */
export interface SeedJson {
  /** Questions finished so far for the current model, skipped excluded. */
  total: number;
  /** Correct answers. */
  passed: number;
  /** Wrong + unparsed + error. */
  failed: number;
  /** correct / (correct + wrong + unparsed) × 100, 2 decimals; 0 when nothing was answered. */
  accuracy: number;
  /** Mean seconds per answered question, 3 decimals; 0 when nothing was answered. */
  "avg_duration": number;
  /** Mean milliseconds per answered question, 1 decimal. */
  "avg_duration_ms": number;
  /** Retries of HTTP attempts, all kinds. */
  "total_retries": number;
  /** Percent of finished questions (skipped excluded) that ended in error, 2 decimals. */
  "error_rate": number;
  skipped: number;
  unparsed: number;
  errors: number;
  "in_flight": number;
  /**
   * Result lines planned for the current model (skipped rows included), so
   * `total + skipped` counts up to it; the whole run's when no per-model plan
   * was given.
   */
  planned: number;
  model: string;
  /** 1-based position of the current model among the run's models. */
  "model_index": number;
  "model_count": number;
  /** Result lines finished / planned for the whole run (every model and repeat). */
  "run_done": number;
  "run_planned": number;
  complete: boolean;
}

/** Accuracy of one group (a subject, a model) as the live page shows it. */
export interface LiveGroup {
  name: string;
  correct: number;
  wrong: number;
  unparsed: number;
  errors: number;
  skipped: number;
  /** correct / (correct + wrong + unparsed), 0-1; null when that is 0. */
  accuracy: number | null;
  /** Wilson 95% interval of `accuracy`, 0-1. */
  ci95: [number, number] | null;
  /** Result lines planned for this group, when known. */
  planned?: number;
}

/** Everything the live page shows, as served by `GET /api/live`. */
export interface LiveSnapshot {
  /** Current model. */
  model: string;
  /** 1-based position of the current model among the run's models. */
  "model_index": number;
  "model_count": number;
  /** Result lines planned for the current model; null when not known. */
  "model_planned": number | null;
  /** Result lines of the current model finished. */
  "model_done": number;
  /** True once report.html of the finished run can be fetched at `report.html`. */
  report: boolean;
  complete: boolean;
  /** Results recorded for every model (skipped included). */
  done: number;
  /** Questions planned for the whole run. */
  planned: number;
  /** done / planned, 0-1, capped at 1; null when nothing is planned. */
  progress: number | null;
  /** Questions per second over the recent window. */
  qps: number;
  /** Seconds until done at the recent rate; 0 once complete, null when unknown. */
  "eta_seconds": number | null;
  /** Seconds since the registry was created, frozen when the run completes. */
  "elapsed_seconds": number;
  /** The current model's totals. */
  overall: LiveGroup;
  /** The current model per subject, sorted by name. */
  subjects: LiveGroup[];
  /** One row per model seen, in order of first use. */
  models: LiveGroup[];
  /** HTTP attempts of the current model, recent window, milliseconds. */
  latency: { count: number; p50: number | null; p90: number | null };
  /** Current model: questions that ended in error, by kind. */
  "errors_by_kind": Record<string, number>;
  /** Current model: retries by kind. */
  "retries_by_kind": Record<string, number>;
  "total_retries": number;
  "in_flight": number;
  /** Current model: generated tokens per second of server eval time; null before any. */
  "tokens_per_second": number | null;
}

/** Options of {@link MetricsRegistry}. */
export interface MetricsRegistryOptions {
  /** Model being benchmarked now. */
  model: string;
  /** Questions planned for the whole run (every model and repeat); may be updated. */
  total: number;
  /** Every model of the run, in order. @default [model] */
  models?: readonly string[];
  /** Clock in milliseconds. @default Date.now */
  now?: () => number;
}

type StatusCounts = Record<Status, number>;

const RECENT_LATENCIES = 512;
const RECENT_RESULTS = 200;

function zeroCounts(): StatusCounts {
  return { correct: 0, wrong: 0, unparsed: 0, error: 0, skipped: 0 };
}

/** Fixed-size ring of numbers: O(1) push, copies only when read. */
class Ring {
  readonly #values: number[] = [];
  #next = 0;
  constructor(readonly capacity: number) {}
  push(v: number): void {
    if (this.#values.length < this.capacity) this.#values.push(v);
    else this.#values[this.#next] = v;
    this.#next = (this.#next + 1) % this.capacity;
  }
  get size(): number {
    return this.#values.length;
  }
  get full(): boolean {
    return this.#values.length === this.capacity;
  }
  /** Oldest value kept (undefined when empty). */
  oldest(): number | undefined {
    return this.full ? this.#values[this.#next] : this.#values[0];
  }
  values(): number[] {
    return this.#values.slice();
  }
}

class ModelState {
  readonly counts = zeroCounts();
  readonly subjects = new Map<string, StatusCounts>();
  readonly errorsByKind = new Map<string, number>();
  readonly retriesByKind = new Map<string, number>();
  readonly requestErrorsByKind = new Map<string, number>();
  readonly bucketCounts: number[] = DURATION_BUCKETS_SECONDS.map(() => 0);
  requestCount = 0;
  requestSumSeconds = 0;
  readonly recentLatencyMs = new Ring(RECENT_LATENCIES);
  answeredWithLatency = 0;
  answeredLatencySumMs = 0;
  retries = 0;
  evalTokens = 0;
  evalDurationNs = 0;
  /** Result lines planned for this model and per subject, once known. */
  planned: number | null = null;
  plannedSubjects = new Map<string, number>();
}

/** What one model of a run is planned to ask. */
export interface ModelPlan {
  /** Result lines (questions × repeats, skipped rows included). */
  questions: number;
  /** Subject -> result lines. */
  subjects: Record<string, number>;
}

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

function group(name: string, c: StatusCounts): LiveGroup {
  return {
    name,
    correct: c.correct,
    wrong: c.wrong,
    unparsed: c.unparsed,
    errors: c.error,
    skipped: c.skipped,
    ...scoredAccuracy(c),
  };
}

function total(c: StatusCounts): number {
  return c.correct + c.wrong + c.unparsed + c.error + c.skipped;
}

/** Per-subject rows of a model, planned subjects included before their first result. */
function subjectGroups(s: ModelState): LiveGroup[] {
  const names = new Set([...s.plannedSubjects.keys(), ...s.subjects.keys()]);
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((name) => {
    const g = group(name, s.subjects.get(name) ?? zeroCounts());
    const planned = s.plannedSubjects.get(name);
    return planned === undefined ? g : { ...g, planned };
  });
}

/**
 * Counters of one benchmark run, fed by the runner and read by the metrics
 * server. Every event method is O(1); text is only built when scraped.
 */
export class MetricsRegistry {
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #models = new Map<string, ModelState>();
  #model: string;
  #state: ModelState;
  #planned: number;
  #done = 0;
  #inFlight = 0;
  #complete = false;
  readonly #modelNames: readonly string[];
  #finishedAt: number | null = null;
  #finalQps = 0;
  #reportPath: string | null = null;
  readonly #resultTimes = new Ring(RECENT_RESULTS);

  constructor(opts: MetricsRegistryOptions) {
    this.#now = opts.now ?? Date.now;
    this.#startedAt = this.#now();
    this.#planned = opts.total;
    this.#model = opts.model;
    this.#modelNames = opts.models ?? [opts.model];
    this.#state = this.#stateOf(opts.model);
  }

  #stateOf(model: string): ModelState {
    let s = this.#models.get(model);
    if (s === undefined) {
      s = new ModelState();
      this.#models.set(model, s);
    }
    return s;
  }

  /** Switches the current model; later requests, retries and tokens count for it. */
  setModel(model: string, plan?: ModelPlan): void {
    this.#model = model;
    this.#state = this.#stateOf(model);
    if (plan !== undefined) {
      this.#state.planned = plan.questions;
      this.#state.plannedSubjects = new Map(Object.entries(plan.subjects));
    }
  }

  /** Path of the finished run's report.html, served by the metrics server. */
  get reportPath(): string | null {
    return this.#reportPath;
  }

  /** An HTTP attempt started. */
  requestStarted(): void {
    this.#inFlight++;
  }

  /**
   * An HTTP attempt ended after `latencyMs`, successfully or not. An answer
   * from the response cache (`cached`) was no request: it leaves the
   * request figures alone.
   */
  requestFinished(latencyMs: number, cached = false): void {
    if (this.#inFlight > 0) this.#inFlight--;
    if (cached) return;
    const s = this.#state;
    const seconds = latencyMs / 1000;
    s.requestCount++;
    s.requestSumSeconds += seconds;
    s.recentLatencyMs.push(latencyMs);
    // Buckets are stored non-cumulatively (one increment); summed when rendered.
    const i = DURATION_BUCKETS_SECONDS.findIndex((le) => seconds <= le);
    if (i >= 0) s.bucketCounts[i] = (s.bucketCounts[i] ?? 0) + 1;
  }

  /** A failed attempt of this kind will be retried. */
  retry(kind: ErrorKind): void {
    const s = this.#state;
    s.retries++;
    bump(s.retriesByKind, kind);
    bump(s.requestErrorsByKind, kind);
  }

  /**
   * A question finished, whatever its status (counted for `r.model`).
   * `kept`: a result of an earlier session read back on `--resume`; it
   * counts as done but not towards the rate (questions/s, ETA).
   */
  result(r: ResultRecord, kept = false): void {
    const s = this.#stateOf(r.model);
    s.counts[r.status]++;
    let sub = s.subjects.get(r.subject);
    if (sub === undefined) {
      sub = zeroCounts();
      s.subjects.set(r.subject, sub);
    }
    sub[r.status]++;
    if (r.status === "error") {
      const kind = r.error_kind ?? "unknown";
      bump(s.errorsByKind, kind);
      // The final failed attempt: retried ones were counted by retry().
      bump(s.requestErrorsByKind, kind);
    }
    if (
      (r.status === "correct" || r.status === "wrong" ||
        r.status === "unparsed") &&
      r.latency_ms !== null && r.cached !== true
    ) {
      s.answeredWithLatency++;
      s.answeredLatencySumMs += r.latency_ms;
    }
    this.#done++;
    if (!kept) this.#resultTimes.push(this.#now());
  }

  /** Tokens generated by one answer and the server time spent generating them. */
  tokens(evalTokens: number, evalDurationNs: number): void {
    this.#state.evalTokens += evalTokens;
    this.#state.evalDurationNs += evalDurationNs;
  }

  /** Marks the run complete: rates and elapsed time freeze at their final values. */
  finish(reportPath: string | null = null): void {
    if (!this.#complete) {
      this.#finalQps = this.#qps(this.#now());
      this.#finishedAt = this.#now();
    }
    this.#complete = true;
    this.#reportPath = reportPath;
  }

  #modelIndex(): number {
    const i = this.#modelNames.indexOf(this.#model);
    return i < 0 ? 1 : i + 1;
  }

  /** The seed JSON contract of `GET /metrics`, for the current model. */
  json(): SeedJson | { status: "no metrics available yet" } {
    if (this.#done === 0) return { status: "no metrics available yet" };
    const s = this.#state;
    const c = s.counts;
    const total = c.correct + c.wrong + c.unparsed + c.error;
    const answered = scoredCount(c);
    const avgMs = s.answeredWithLatency > 0
      ? s.answeredLatencySumMs / s.answeredWithLatency
      : 0;
    return {
      total,
      passed: c.correct,
      failed: c.wrong + c.unparsed + c.error,
      accuracy: answered > 0 ? round((c.correct / answered) * 100, 2) : 0,
      "avg_duration": round(avgMs / 1000, 3),
      "avg_duration_ms": round(avgMs, 1),
      "total_retries": s.retries,
      "error_rate": total > 0 ? round((c.error / total) * 100, 2) : 0,
      skipped: c.skipped,
      unparsed: c.unparsed,
      errors: c.error,
      "in_flight": this.#inFlight,
      planned: s.planned ?? this.#planned,
      model: this.#model,
      "model_index": this.#modelIndex(),
      "model_count": this.#modelNames.length,
      "run_done": this.#done,
      "run_planned": this.#planned,
      complete: this.#complete,
    };
  }

  /** What the live page shows. */
  snapshot(): LiveSnapshot {
    const now = this.#finishedAt ?? this.#now();
    const s = this.#state;
    const planned = this.#planned;
    const qps = this.#complete ? this.#finalQps : this.#qps(now);
    const remaining = Math.max(0, planned - this.#done);
    let eta: number | null = null;
    if (this.#complete || (planned > 0 && remaining === 0)) eta = 0;
    else if (qps > 0) eta = remaining / qps;
    const lat = s.recentLatencyMs.values().sort((a, b) => a - b);
    return {
      model: this.#model,
      "model_index": this.#modelIndex(),
      "model_count": this.#modelNames.length,
      "model_planned": s.planned,
      "model_done": total(s.counts),
      report: this.#reportPath !== null,
      complete: this.#complete,
      done: this.#done,
      planned,
      progress: planned > 0 ? Math.min(1, this.#done / planned) : null,
      qps,
      "eta_seconds": eta,
      "elapsed_seconds": Math.max(0, (now - this.#startedAt) / 1000),
      overall: group(this.#model, s.counts),
      subjects: subjectGroups(s),
      models: [...this.#models.entries()].map(([name, m]) =>
        group(name, m.counts)
      ),
      latency: {
        count: lat.length,
        p50: percentile(lat, 50),
        p90: percentile(lat, 90),
      },
      "errors_by_kind": Object.fromEntries(s.errorsByKind),
      "retries_by_kind": Object.fromEntries(s.retriesByKind),
      "total_retries": s.retries,
      "in_flight": this.#inFlight,
      "tokens_per_second": s.evalDurationNs > 0
        ? s.evalTokens / (s.evalDurationNs / 1e9)
        : null,
    };
  }

  #qps(now: number): number {
    const ring = this.#resultTimes;
    if (ring.size === 0) return 0;
    // Until the window is full, the rate is over the whole run; then over the
    // last RECENT_RESULTS results, measured up to now so a stall shows.
    const from = ring.full ? ring.oldest() ?? this.#startedAt : this.#startedAt;
    const n = ring.full ? ring.size - 1 : ring.size;
    const seconds = (now - from) / 1000;
    return seconds > 0 ? n / seconds : 0;
  }

  /** Prometheus text format 0.0.4 or OpenMetrics 1.0.0 exposition of every metric. */
  prometheus(format: ExpositionFormat): string {
    const w = new ExpositionWriter(format);
    const models = [...this.#models.entries()];
    writeCounters(w, models);
    writeDurations(w, models);
    w.family(
      "llm_bench_in_flight_requests",
      "gauge",
      "HTTP attempts in flight now.",
    );
    w.sample("llm_bench_in_flight_requests", [], this.#inFlight);
    writeAccuracy(w, models);
    writeProgress(w, this.#done, this.#planned);
    writeTokens(w, models);
    return w.toString();
  }
}

type ModelEntry = [model: string, state: ModelState];

/** Questions by status, retries and failed attempts by kind, per model. */
function writeCounters(w: ExpositionWriter, models: ModelEntry[]): void {
  w.family(
    "llm_bench_questions_total",
    "counter",
    "Questions finished, by final status.",
  );
  for (const [model, s] of models) {
    for (const status of STATUSES) {
      w.sample(
        "llm_bench_questions_total",
        [["model", model], ["status", status]],
        s.counts[status],
      );
    }
  }
  writeByKind(
    w,
    models,
    "llm_bench_retries_total",
    "HTTP attempts retried, by failure kind.",
    (s) => s.retriesByKind,
  );
  writeByKind(
    w,
    models,
    "llm_bench_request_errors_total",
    "Failed HTTP attempts (retried or final), by failure kind.",
    (s) => s.requestErrorsByKind,
  );
}

function writeByKind(
  w: ExpositionWriter,
  models: ModelEntry[],
  name: string,
  help: string,
  counts: (s: ModelState) => Map<string, number>,
): void {
  w.family(name, "counter", help);
  for (const [model, s] of models) {
    for (const [kind, n] of counts(s)) {
      w.sample(name, [["model", model], ["kind", kind]], n);
    }
  }
}

/** The request-duration histogram per model (buckets summed when rendered). */
function writeDurations(w: ExpositionWriter, models: ModelEntry[]): void {
  const name = "llm_bench_request_duration_seconds";
  w.family(
    name,
    "histogram",
    "Wall time of HTTP attempts to the model server.",
  );
  for (const [model, s] of models) {
    let cumulative = 0;
    DURATION_BUCKETS_SECONDS.forEach((le, i) => {
      cumulative += s.bucketCounts[i] ?? 0;
      w.sample(
        `${name}_bucket`,
        [["model", model], ["le", formatLe(le)]],
        cumulative,
      );
    });
    w.sample(
      `${name}_bucket`,
      [["model", model], ["le", "+Inf"]],
      s.requestCount,
    );
    w.sample(`${name}_sum`, [["model", model]], s.requestSumSeconds);
    w.sample(`${name}_count`, [["model", model]], s.requestCount);
  }
}

/** Progress of the whole run and the questions planned. */
function writeProgress(
  w: ExpositionWriter,
  done: number,
  planned: number,
): void {
  w.family(
    "llm_bench_progress_ratio",
    "gauge",
    "Questions finished / planned, 0-1.",
  );
  w.sample(
    "llm_bench_progress_ratio",
    [],
    planned > 0 ? Math.min(1, done / planned) : 0,
  );
  w.family(
    "llm_bench_questions_planned",
    "gauge",
    "Questions planned for the whole run.",
  );
  w.sample("llm_bench_questions_planned", [], planned);
}

/** Accuracy so far per model. */
function writeAccuracy(w: ExpositionWriter, models: ModelEntry[]): void {
  w.family(
    "llm_bench_accuracy_ratio",
    "gauge",
    "Correct / (correct + wrong + unparsed) so far, 0-1.",
  );
  for (const [model, s] of models) {
    const { accuracy } = scoredAccuracy(s.counts);
    if (accuracy !== null) {
      w.sample("llm_bench_accuracy_ratio", [["model", model]], accuracy);
    }
  }
}

/** Token speed and generated tokens per model. */
function writeTokens(w: ExpositionWriter, models: ModelEntry[]): void {
  w.family(
    "llm_bench_tokens_per_second",
    "gauge",
    "Generated tokens per second of server eval time.",
  );
  for (const [model, s] of models) {
    if (s.evalDurationNs > 0) {
      w.sample(
        "llm_bench_tokens_per_second",
        [["model", model]],
        s.evalTokens / (s.evalDurationNs / 1e9),
      );
    }
  }
  w.family(
    "llm_bench_eval_tokens_total",
    "counter",
    "Tokens generated by the model.",
  );
  for (const [model, s] of models) {
    w.sample("llm_bench_eval_tokens_total", [["model", model]], s.evalTokens);
  }
}
