// Shared pure math used on several floors (backend, metrics, protocol,
// report): the Wilson interval, nearest-rank percentiles, accuracy of a set
// of counts, and the seeded PRNG. No I/O, no imports.

/** The 97.5% quantile of the standard normal: a two-sided 95% interval. */
export const Z_95 = 1.959963984540054;

/**
 * Wilson score interval for a binomial proportion (95% by default, with the
 * exact normal quantile as scipy and statsmodels use); null when `n` is 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wilson } from "./stats.ts";
 * const [lo, hi] = wilson(81, 100)!;
 * assert.ok(lo > 0.722 && lo < 0.7223 && hi > 0.8748 && hi < 0.8749);
 * ```
 */
export function wilson(
  correct: number,
  n: number,
  z = Z_95,
): [number, number] | null {
  if (!Number.isFinite(n) || n <= 0) return null;
  if (correct < 0 || correct > n) {
    throw new RangeError(
      `Cannot compute a Wilson interval: ${correct} successes out of ${n}`,
    );
  }
  const p = correct / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  // Clamp: rounding can leave -1e-17 or 1 + 1e-16 at the ends.
  const lo = correct === 0 ? 0 : Math.max(0, center - half);
  const hi = correct === n ? 1 : Math.min(1, center + half);
  return [lo, hi];
}

/**
 * Nearest-rank percentile of an ascending-sorted array: the smallest value
 * such that at least `p` percent of values are ≤ it (`sorted[ceil(p/100·n)−1]`).
 * Always an observed value; null for an empty array.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { percentile } from "./stats.ts";
 * const xs = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
 * assert.ok(percentile(xs, 50) === 5 && percentile(xs, 90) === 9);
 * ```
 */
export function percentile(
  sorted: ArrayLike<number>,
  p: number,
): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  if (!(p >= 0 && p <= 100)) {
    throw new RangeError(`Cannot take percentile ${p}: expected 0 to 100`);
  }
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.min(n, Math.max(1, rank)) - 1]!;
}

/** Answers of a group that count for accuracy; errors and skips do not. */
export interface ScoredCounts {
  correct: number;
  wrong: number;
  unparsed: number;
}

/**
 * How many answers were scored: correct + wrong + unparsed (errors and skips
 * are not). The denominator of every accuracy figure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scoredCount } from "./stats.ts";
 * assert.equal(scoredCount({ correct: 2, wrong: 1, unparsed: 1 }), 4);
 * ```
 */
export function scoredCount(c: ScoredCounts): number {
  return c.correct + c.wrong + c.unparsed;
}

/**
 * Accuracy over scored answers (correct + wrong + unparsed: an unparsed
 * answer counts as wrong) with its Wilson 95% interval; nulls when nothing
 * was scored. The one definition behind summary.json and the live page.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scoredAccuracy } from "./stats.ts";
 * assert.equal(scoredAccuracy({ correct: 2, wrong: 1, unparsed: 1 }).accuracy, 0.5);
 * assert.equal(scoredAccuracy({ correct: 0, wrong: 0, unparsed: 0 }).ci95, null);
 * ```
 */
export function scoredAccuracy(
  c: ScoredCounts,
): { accuracy: number | null; ci95: [number, number] | null } {
  const scored = scoredCount(c);
  return {
    accuracy: scored === 0 ? null : c.correct / scored,
    ci95: wilson(c.correct, scored),
  };
}

/**
 * mulberry32: a small seeded PRNG returning floats in [0, 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mulberry32 } from "./stats.ts";
 * const a = mulberry32(42), b = mulberry32(42);
 * assert.equal(a(), b());
 * ```
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 32-bit hash of a string (FNV-1a over UTF-16 code units, then the
 * murmur3 finaliser so that close inputs land far apart).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hashString } from "./stats.ts";
 * assert.equal(hashString("a"), hashString("a"));
 * assert.notEqual(hashString("a"), hashString("b"));
 * ```
 */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
