// Pure statistics for reports: McNemar's paired test, calibration (Brier,
// ECE), an order-independent exact sum and a compact latency store. No I/O.
// The Wilson interval and percentiles are shared, in src/stats.ts.

import { percentile } from "../stats.ts";
import { mcnemarExactP } from "./leaderboard_stats.ts";

/** McNemar's test on the discordant pairs of a paired comparison. */
export interface McNemarResult {
  /** Pairs where A was right and B was not. */
  b: number;
  /** Pairs where B was right and A was not. */
  c: number;
  /** `min(b, c)` for the exact test; the continuity-corrected chi-square otherwise. */
  statistic: number;
  /** Two-sided p-value. */
  "p_value": number;
  /** `exact` (binomial, b + c < 25) or `chi2` (1 df, continuity corrected). */
  method: "exact" | "chi2";
}

/** One probabilistic prediction: per-letter probabilities and the right letter. */
export interface ProbabilisticPrediction {
  /** Probability per allowed letter; the keys are the allowed letters. */
  probs: Readonly<Record<string, number>>;
  /** The correct letter. */
  expected: string;
}

/**
 * Complementary error function (Numerical Recipes `erfcc`, Chebyshev
 * approximation; relative error below 1.2e-7 everywhere).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { erfc } from "./stats.ts";
 * assert.ok(Math.abs(erfc(1) - 0.157299207) < 1e-7);
 * ```
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const ans = t * Math.exp(
    -z * z - 1.26551223 +
      t * (1.00002368 +
          t * (0.37409196 +
              t * (0.09678418 +
                  t * (-0.18628806 +
                      t * (0.27886807 +
                          t * (-1.13520398 +
                              t *
                                (1.48851587 +
                                  t * (-0.82215223 + t * 0.17087277)))))))),
  );
  return x >= 0 ? ans : 2 - ans;
}

/**
 * Survival function of the chi-square distribution with 1 degree of freedom.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chi2Sf1 } from "./stats.ts";
 * assert.ok(Math.abs(chi2Sf1(3.841458820694124) - 0.05) < 1e-6);
 * ```
 */
export function chi2Sf1(x: number): number {
  if (x <= 0) return 1;
  return erfc(Math.sqrt(x / 2));
}

/**
 * McNemar's test for paired correctness: exact two-sided binomial test when
 * `b + c < 25`, else chi-square with continuity correction (1 df).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mcnemar } from "./stats.ts";
 * const r = mcnemar(1, 5);
 * assert.ok(r.method === "exact" && r.p_value === 0.21875);
 * ```
 */
export function mcnemar(b: number, c: number): McNemarResult {
  if (!Number.isInteger(b) || !Number.isInteger(c) || b < 0 || c < 0) {
    throw new RangeError(
      `Cannot run McNemar's test: counts must be non-negative integers, got b=${b} c=${c}`,
    );
  }
  const n = b + c;
  if (n < 25) {
    const p = mcnemarExactP(b, c);
    return { b, c, statistic: Math.min(b, c), "p_value": p, method: "exact" };
  }
  const statistic = (Math.abs(b - c) - 1) ** 2 / n;
  return { b, c, statistic, "p_value": chi2Sf1(statistic), method: "chi2" };
}

/**
 * Normalises a prediction's probabilities over its allowed letters (sorted)
 * so they sum to 1; null when they sum to 0 or hold a non-finite value.
 */
function normalised(
  pred: ProbabilisticPrediction,
): Array<[string, number]> | null {
  const letters = Object.keys(pred.probs);
  if (!letters.includes(pred.expected)) letters.push(pred.expected);
  letters.sort();
  let sum = 0;
  const out: Array<[string, number]> = [];
  for (const letter of letters) {
    const p = pred.probs[letter] ?? 0;
    if (!Number.isFinite(p) || p < 0) return null;
    sum += p;
    out.push([letter, p]);
  }
  if (sum <= 0) return null;
  return out.map(([l, p]) => [l, p / sum]);
}

/**
 * Multi-class Brier score of one prediction: the sum over the allowed letters
 * of (p - [letter is right])², after normalising the probabilities to sum 1.
 * Ranges 0 (certain and right) to 2 (certain and wrong); null if unusable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { brierTerm } from "./stats.ts";
 * assert.ok(brierTerm({ probs: { A: 1, B: 0 }, expected: "B" }) === 2);
 * ```
 */
export function brierTerm(pred: ProbabilisticPrediction): number | null {
  const probs = normalised(pred);
  if (probs === null) return null;
  let s = 0;
  for (const [letter, p] of probs) {
    const y = letter === pred.expected ? 1 : 0;
    s += (p - y) ** 2;
  }
  return s;
}

/**
 * The letter with the highest normalised probability (ties: first letter in
 * alphabetical order) and that probability; null if unusable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { topLetter } from "./stats.ts";
 * assert.ok(topLetter({ probs: { A: 1, B: 3 }, expected: "A" })?.letter === "B");
 * ```
 */
export function topLetter(
  pred: ProbabilisticPrediction,
): { letter: string; confidence: number } | null {
  const probs = normalised(pred);
  if (probs === null) return null;
  let best: [string, number] | null = null;
  for (const entry of probs) {
    if (best === null || entry[1] > best[1]) best = entry;
  }
  return best === null ? null : { letter: best[0], confidence: best[1] };
}

/**
 * Mean multi-class Brier score over predictions (see {@link brierTerm});
 * null when none is usable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { brierScore } from "./stats.ts";
 * const s = brierScore([{ probs: { A: 0.5, B: 0.5 }, expected: "A" }]);
 * assert.ok(s === 0.5);
 * ```
 */
export function brierScore(
  preds: Iterable<ProbabilisticPrediction>,
): number | null {
  const acc = new CalibrationAccumulator();
  for (const p of preds) acc.add(p);
  return acc.result()?.brier ?? null;
}

/**
 * Expected calibration error with 10 equal-width bins over the confidence of
 * the top letter: Σ (n_bin / N) · |accuracy_bin − mean confidence_bin|.
 * Null when no prediction is usable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expectedCalibrationError } from "./stats.ts";
 * const e = expectedCalibrationError([{ probs: { A: 0.9, B: 0.1 }, expected: "B" }]);
 * assert.ok(Math.abs(e! - 0.9) < 1e-12);
 * ```
 */
export function expectedCalibrationError(
  preds: Iterable<ProbabilisticPrediction>,
): number | null {
  const acc = new CalibrationAccumulator();
  for (const p of preds) acc.add(p);
  return acc.result()?.ece ?? null;
}

/** Number of equal-width confidence bins used for the ECE. */
export const ECE_BINS = 10;

/**
 * Streams predictions into Brier and ECE sums in O(1) memory; the result is
 * the same whatever order predictions arrive in.
 */
export class CalibrationAccumulator {
  #n = 0;
  #brier = new ExactSum();
  #binCount = new Array<number>(ECE_BINS).fill(0);
  #binCorrect = new Array<number>(ECE_BINS).fill(0);
  #binConfidence = Array.from({ length: ECE_BINS }, () => new ExactSum());

  /** Adds one prediction; returns false (and ignores it) when unusable. */
  add(pred: ProbabilisticPrediction): boolean {
    const brier = brierTerm(pred);
    const top = topLetter(pred);
    if (brier === null || top === null) return false;
    this.#n++;
    this.#brier.add(brier);
    // Bin i holds (i/10, (i+1)/10]; confidence 0 goes to bin 0.
    const bin = Math.min(
      ECE_BINS - 1,
      Math.max(0, Math.ceil(top.confidence * ECE_BINS) - 1),
    );
    this.#binCount[bin]!++;
    if (top.letter === pred.expected) this.#binCorrect[bin]!++;
    this.#binConfidence[bin]!.add(top.confidence);
    return true;
  }

  /** Brier, ECE and the number of predictions used; null when none. */
  result(): { brier: number; ece: number; n: number } | null {
    if (this.#n === 0) return null;
    let ece = 0;
    for (let i = 0; i < ECE_BINS; i++) {
      const count = this.#binCount[i]!;
      if (count === 0) continue;
      const accuracy = this.#binCorrect[i]! / count;
      const confidence = this.#binConfidence[i]!.value() / count;
      ece += (count / this.#n) * Math.abs(accuracy - confidence);
    }
    return { brier: this.#brier.value() / this.#n, ece, n: this.#n };
  }
}

/**
 * Exactly rounded floating-point sum (Shewchuk's algorithm, as Python's
 * `math.fsum`). Because the result is the correctly rounded exact sum, it
 * does not depend on the order values are added in. Non-finite values are
 * rejected.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ExactSum } from "./stats.ts";
 * const s = new ExactSum();
 * for (const x of [0.1, 0.2, 0.3]) s.add(x);
 * assert.ok(s.value() === 0.6);
 * ```
 */
export class ExactSum {
  #partials: number[] = [];

  /** Adds a finite value. */
  add(value: number): void {
    if (!Number.isFinite(value)) {
      throw new RangeError(`Cannot add ${value} to an exact sum`);
    }
    let x = value;
    let i = 0;
    for (let j = 0; j < this.#partials.length; j++) {
      let y = this.#partials[j]!;
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) this.#partials[i++] = lo;
      x = hi;
    }
    this.#partials.length = i;
    this.#partials.push(x);
  }

  /** The correctly rounded sum of everything added so far. */
  value(): number {
    const p = this.#partials;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n]!;
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n]!;
      hi = x + y;
      const yr = hi - x;
      lo = y - yr;
      if (lo !== 0) break;
    }
    // Half-even rounding across several partials.
    if (n > 0 && ((lo < 0 && p[n - 1]! < 0) || (lo > 0 && p[n - 1]! > 0))) {
      const y = lo * 2;
      const x = hi + y;
      const yr = x - hi;
      if (y === yr) hi = x;
    }
    return hi;
  }
}

/**
 * A growable Float64Array: 8 bytes per stored value (plus slack up to 2×).
 * Used to keep one latency per answered question for exact percentiles.
 */
export class LatencyStore {
  #data = new Float64Array(256);
  #length = 0;

  /** Number of stored values. */
  get length(): number {
    return this.#length;
  }

  /** Appends a finite value. */
  push(value: number): void {
    if (!Number.isFinite(value)) {
      throw new RangeError(`Cannot store latency ${value}`);
    }
    if (this.#length === this.#data.length) {
      const next = new Float64Array(this.#data.length * 2);
      next.set(this.#data);
      this.#data = next;
    }
    this.#data[this.#length++] = value;
  }

  /** A sorted copy of the stored values (ascending). */
  sorted(): Float64Array {
    return this.#data.slice(0, this.#length).sort();
  }
}

/** Latency figures derived from a sorted array, in the array's unit. */
export interface Distribution {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * Count, mean (exact sum), nearest-rank p50/p90/p99 and max of an
 * ascending-sorted array; null when empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeSorted } from "./stats.ts";
 * const d = describeSorted(Float64Array.from([10, 20, 30, 40]))!;
 * assert.ok(d.mean === 25 && d.p50 === 20 && d.max === 40);
 * ```
 */
export function describeSorted(sorted: Float64Array): Distribution | null {
  const n = sorted.length;
  if (n === 0) return null;
  const sum = new ExactSum();
  for (const x of sorted) sum.add(x);
  return {
    count: n,
    mean: sum.value() / n,
    p50: percentile(sorted, 50)!,
    p90: percentile(sorted, 90)!,
    p99: percentile(sorted, 99)!,
    max: sorted[n - 1]!,
  };
}
