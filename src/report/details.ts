// What report.html needs beyond summary.json, built by streaming over
// results.jsonl in bounded memory: a capped, ordered list of failures, a
// log-scale latency histogram, and (optionally) per-question outcomes for
// paired tests.

import type { ResultRecord, Status } from "../schema.ts";

/** One failed question (error, unparsed or skipped) as shown in the report. */
export interface FailureSample {
  id: string;
  index: number;
  repeat: number;
  subject: string;
  status: Status;
  reason: string | null;
  /** Failure kind for errors. */
  errorKind: string | null;
  /** Raw model output, cut to {@link MAX_RAW_CHARS}. */
  raw: string | null;
  /** True when `raw` was cut. */
  rawTruncated: boolean;
  /** What the model was asked (last user message or raw prompt), cut; null for skipped rows. */
  question: string | null;
  expected: string | null;
  predicted: string | null;
}

/** Latency counts in log-spaced bins: bin `k` holds [10^(k/20), 10^((k+1)/20)) ms. */
export interface LatencyHistogram {
  /** Bins per factor of ten. */
  binsPerDecade: number;
  /** Bin index -> count, only non-empty bins, ascending by index. */
  bins: Array<[number, number]>;
}

/** Everything the HTML report needs beyond a Summary. */
export interface ReportDetails {
  /** The first failures in dataset order (index, repeat, id), at most the cap. */
  failures: FailureSample[];
  /** All failures, including those not kept. */
  failuresTotal: number;
  /** Latency of answered questions; null when none. */
  latencyHistogram: LatencyHistogram | null;
  /** Question id (with `#repeat` when repeat > 0) -> status, for paired tests; null when not kept. */
  outcomes: Map<string, Status> | null;
}

/** Options for {@link ReportDetailsBuilder}. */
export interface ReportDetailsOptions {
  /** Failures kept for the report. @default 200 */
  maxFailures?: number;
  /** Keep per-question outcomes (one map entry per result) for McNemar. @default true */
  keepOutcomes?: boolean;
}

/** Raw output kept per failure, in characters. */
export const MAX_RAW_CHARS = 4000;

const BINS_PER_DECADE = 20;
const FAILED: ReadonlySet<Status> = new Set(["error", "unparsed", "skipped"]);
const ANSWERED: ReadonlySet<Status> = new Set(["correct", "wrong", "unparsed"]);

/**
 * The key used to pair a result with the same question in another run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { outcomeKey } from "./details.ts";
 * assert.equal(outcomeKey({ id: "a.csv:3", repeat: 0 }), "a.csv:3");
 * assert.equal(outcomeKey({ id: "a.csv:3", repeat: 2 }), "a.csv:3#2");
 * ```
 */
export function outcomeKey(r: { id: string; repeat: number }): string {
  return r.repeat > 0 ? `${r.id}#${r.repeat}` : r.id;
}

function compareFailures(x: FailureSample, y: FailureSample): number {
  return x.index - y.index || x.repeat - y.repeat ||
    (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
}

/**
 * Latency bin of a value in ms (values under 1 ms go to bin 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { latencyBin } from "./details.ts";
 * assert.equal(latencyBin(1000), 60);
 * assert.equal(latencyBin(0.2), 0);
 * ```
 */
export function latencyBin(ms: number): number {
  if (!(ms >= 1)) return 0;
  // Nudge so exact powers of ten land in their own bin despite rounding.
  return Math.floor(Math.log10(ms) * BINS_PER_DECADE + 1e-9);
}

/** Question text kept per failure, in characters. */
const MAX_QUESTION_CHARS = 1200;

/** The text the model was asked: the last user message, else the raw prompt. */
function askedText(r: ResultRecord): string | null {
  const user = r.messages?.filter((m) => m.role === "user").at(-1)?.content;
  const text = user ?? r.prompt;
  if (text === null || text === undefined) return null;
  return text.length > MAX_QUESTION_CHARS
    ? text.slice(text.length - MAX_QUESTION_CHARS)
    : text;
}

/**
 * Streams result lines into {@link ReportDetails}. Memory is bounded by the
 * failure cap (each raw text cut to {@link MAX_RAW_CHARS}), the histogram's
 * bins, and, when kept, one outcome per result. Order-independent.
 */
export class ReportDetailsBuilder {
  #max: number;
  #failures: FailureSample[] = [];
  #failuresTotal = 0;
  #bins = new Map<number, number>();
  #outcomes: Map<string, Status> | null;

  constructor(options: ReportDetailsOptions = {}) {
    this.#max = options.maxFailures ?? 200;
    this.#outcomes = (options.keepOutcomes ?? true) ? new Map() : null;
  }

  /** Adds one result line. */
  add(r: ResultRecord): void {
    if (
      ANSWERED.has(r.status) && r.cached !== true &&
      typeof r.latency_ms === "number" &&
      Number.isFinite(r.latency_ms)
    ) {
      const bin = latencyBin(r.latency_ms);
      this.#bins.set(bin, (this.#bins.get(bin) ?? 0) + 1);
    }
    this.#outcomes?.set(outcomeKey(r), r.status);
    if (!FAILED.has(r.status)) return;
    this.#failuresTotal++;
    if (this.#max <= 0) return;
    const raw = r.raw;
    const cut = raw !== null && raw.length > MAX_RAW_CHARS;
    this.#failures.push({
      id: r.id,
      index: r.index,
      repeat: r.repeat,
      subject: r.subject,
      status: r.status,
      reason: r.reason,
      errorKind: r.error_kind,
      raw: cut ? raw.slice(0, MAX_RAW_CHARS) : raw,
      rawTruncated: cut,
      expected: r.expected,
      predicted: r.predicted,
      question: askedText(r),
    });
    // Trim in batches: amortised O(log n) per add, memory at most 2 × cap.
    if (this.#failures.length >= 2 * this.#max) this.#trim();
  }

  #trim(): void {
    this.#failures.sort(compareFailures);
    this.#failures.length = Math.min(this.#failures.length, this.#max);
  }

  /** The details gathered so far. */
  build(): ReportDetails {
    this.#trim();
    const bins = [...this.#bins.entries()].sort((x, y) => x[0] - y[0]);
    return {
      failures: [...this.#failures],
      failuresTotal: this.#failuresTotal,
      latencyHistogram: bins.length === 0
        ? null
        : { binsPerDecade: BINS_PER_DECADE, bins },
      outcomes: this.#outcomes === null ? null : new Map(this.#outcomes),
    };
  }
}
