// Pure statistics of the leaderboard: exact McNemar test for any number of
// discordant pairs, Holm's step-down adjustment, Newcombe's interval for a
// paired difference, compact letter display and the Pareto front.

import { wilson } from "../stats.ts";

/**
 * Exact two-sided McNemar p-value: 2 × P(X ≤ min(b, c)) for X ~ Bin(b + c,
 * 1/2), capped at 1 (the conservative exact test, not the mid-p). Summed in
 * log space, so it stays exact to double precision for any count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mcnemarExactP } from "./leaderboard_stats.ts";
 * assert.equal(mcnemarExactP(1, 5), 0.21875);
 * assert.equal(mcnemarExactP(0, 0), 1);
 * ```
 */
export function mcnemarExactP(b: number, c: number): number {
  if (!Number.isInteger(b) || !Number.isInteger(c) || b < 0 || c < 0) {
    throw new RangeError(
      `Cannot run McNemar's test: counts must be non-negative integers, got b=${b} c=${c}`,
    );
  }
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  if (2 * k === n) return 1;
  if (n <= 1000) {
    // C(n, i) and 2^n are finite doubles up to here: sum directly.
    let tail = 0;
    let coef = 1;
    for (let i = 0; i <= k; i++) {
      tail += coef;
      coef = coef * (n - i) / (i + 1);
    }
    return Math.min(1, 2 * tail / 2 ** n);
  }
  // log C(n, i) - n log 2, accumulated term by term; log-sum-exp over the tail.
  const ln2n = n * Math.LN2;
  let logC = 0;
  const logs: number[] = [];
  for (let i = 0; i <= k; i++) {
    logs.push(logC - ln2n);
    logC += Math.log(n - i) - Math.log(i + 1);
  }
  const top = logs[logs.length - 1]!;
  let sum = 0;
  for (const l of logs) sum += Math.exp(l - top);
  return Math.min(1, 2 * Math.exp(top) * sum);
}

/**
 * Holm's step-down adjustment of p-values (family-wise error control); null
 * entries (no test) stay null and do not count towards the family.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { holm } from "./leaderboard_stats.ts";
 * assert.deepEqual(holm([0.01, 0.04, null, 0.03]), [0.03, 0.06, null, 0.06]);
 * ```
 */
export function holm(ps: ReadonlyArray<number | null>): Array<number | null> {
  const idx = ps.map((p, i) => [p, i] as const).filter(
    (x): x is readonly [number, number] => x[0] !== null,
  );
  idx.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const m = idx.length;
  const out: Array<number | null> = ps.map(() => null);
  let running = 0;
  idx.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}

/** The 2×2 table of two models on their shared questions. */
export interface PairedTable {
  /** Both right. */
  both: number;
  /** A right, B not. */
  aOnly: number;
  /** B right, A not. */
  bOnly: number;
  /** Both not right. */
  neither: number;
}

/**
 * 95% interval of the paired difference accA − accB (Newcombe 1998, method
 * 10: Wilson score limits of each side combined with the phi correlation);
 * null when there are no shared questions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pairedDiffCi } from "./leaderboard_stats.ts";
 * const [lo, hi] = pairedDiffCi({ both: 50, aOnly: 20, bOnly: 5, neither: 25 })!;
 * assert.ok(lo > 0 && lo < 0.15 && hi > 0.15 && hi < 0.3);
 * ```
 */
export function pairedDiffCi(t: PairedTable): [number, number] | null {
  const n = t.both + t.aOnly + t.bOnly + t.neither;
  if (n === 0) return null;
  const p1 = (t.both + t.aOnly) / n;
  const p2 = (t.both + t.bOnly) / n;
  const [l1, u1] = wilson(t.both + t.aOnly, n)!;
  const [l2, u2] = wilson(t.both + t.bOnly, n)!;
  const denom = Math.sqrt(
    (t.both + t.aOnly) * (t.bOnly + t.neither) * (t.both + t.bOnly) *
      (t.aOnly + t.neither),
  );
  const phi = denom === 0
    ? 0
    : (t.both * t.neither - t.aOnly * t.bOnly) / denom;
  const d = p1 - p2;
  const dl = Math.sqrt(Math.max(
    0,
    (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2,
  ));
  const du = Math.sqrt(Math.max(
    0,
    (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2,
  ));
  return [Math.max(-1, d - dl), Math.min(1, d + du)];
}

/**
 * The paired figures of a 2×2 table: the difference accA − accB, its
 * Newcombe interval and the exact McNemar p-value (not adjusted); nulls when
 * there are no shared questions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pairedTest } from "./leaderboard_stats.ts";
 * const t = pairedTest({ both: 2, aOnly: 1, bOnly: 5, neither: 2 });
 * assert.equal(t.diff, -0.4);
 * assert.equal(t.p_value, 0.21875);
 * ```
 */
export function pairedTest(t: PairedTable): {
  diff: number | null;
  "diff_ci95": [number, number] | null;
  "p_value": number | null;
} {
  const n = t.both + t.aOnly + t.bOnly + t.neither;
  return {
    diff: n === 0 ? null : (t.aOnly - t.bOnly) / n,
    "diff_ci95": pairedDiffCi(t),
    "p_value": n === 0 ? null : mcnemarExactP(t.aOnly, t.bOnly),
  };
}

/**
 * Compact letter display (insert-and-absorb, then sweep; Piepho 2004): items (in rank
 * order) that are not significantly different share a letter. `different(i,
 * j)` says whether items i and j differ. Letters are ordered by the best item
 * they hold, so the first item gets "a".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compactLetters } from "./leaderboard_stats.ts";
 * // 0~1, 1~2, 0≠2, 3 differs from all.
 * const sig = new Set(["0,2", "0,3", "1,3", "2,3"]);
 * assert.deepEqual(
 *   compactLetters(4, (i, j) => sig.has(`${i},${j}`)),
 *   ["a", "ab", "b", "c"],
 * );
 * ```
 */
export function compactLetters(
  n: number,
  different: (i: number, j: number) => boolean,
): string[] {
  if (n === 0) return [];
  let columns: Array<Set<number>> = [
    new Set(Array.from({ length: n }, (_, i) => i)),
  ];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (!different(i, j)) continue;
      const next: Array<Set<number>> = [];
      for (const col of columns) {
        if (col.has(i) && col.has(j)) {
          const a = new Set(col);
          a.delete(i);
          const b = new Set(col);
          b.delete(j);
          next.push(a, b);
        } else next.push(col);
      }
      columns = absorb(next);
    }
  }
  columns = absorb(sweep(columns));
  columns.sort((x, y) => Math.min(...x) - Math.min(...y));
  const out = Array.from({ length: n }, () => "");
  columns.forEach((col, k) => {
    for (const i of col) out[i] += letterName(k);
  });
  return out;
}

/**
 * Piepho's sweep: takes an item out of a letter when every item it shares
 * that letter with also shares another letter with it, so no letter is
 * redundant. Rows in one letter are never different, so only coverage counts.
 */
function sweep(columns: Array<Set<number>>): Array<Set<number>> {
  columns.forEach((col, k) => {
    for (const i of [...col]) {
      const others = columns.filter((c, m) => m !== k && c.has(i));
      if (others.length === 0) continue;
      const covered = [...col].every((j) =>
        j === i || others.some((c) => c.has(j))
      );
      if (covered) col.delete(i);
    }
  });
  return columns;
}

function absorb(columns: Array<Set<number>>): Array<Set<number>> {
  const kept: Array<Set<number>> = [];
  columns.forEach((col, k) => {
    if (col.size === 0) return;
    const covered = columns.some((other, m) =>
      m !== k && other.size >= col.size && [...col].every((x) =>
        other.has(x)
      ) &&
      (other.size > col.size || m < k)
    );
    if (!covered) kept.push(col);
  });
  return kept;
}

/** a … z, then A … Z, then a1, b1 … */
function letterName(k: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const round = Math.floor(k / alphabet.length);
  return alphabet[k % alphabet.length]! + (round === 0 ? "" : String(round));
}

/** A point of the accuracy-against-time plane. */
export interface ParetoPoint {
  /** Cost (lower is better), e.g. model time per question. */
  cost: number;
  /** Value (higher is better), e.g. accuracy. */
  value: number;
}

/**
 * Indices of the points no other point dominates (no more cost and at least
 * as much value, one of them strictly), sorted by cost.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paretoFront } from "./leaderboard_stats.ts";
 * const pts = [{ cost: 1, value: 0.5 }, { cost: 2, value: 0.4 }, { cost: 3, value: 0.7 }];
 * assert.deepEqual(paretoFront(pts), [0, 2]);
 * ```
 */
export function paretoFront(points: readonly ParetoPoint[]): number[] {
  const front: number[] = [];
  points.forEach((p, i) => {
    const dominated = points.some((q, j) =>
      j !== i && q.cost <= p.cost && q.value >= p.value &&
      (q.cost < p.cost || q.value > p.value)
    );
    if (!dominated) front.push(i);
  });
  return front.sort((i, j) => points[i]!.cost - points[j]!.cost || i - j);
}
