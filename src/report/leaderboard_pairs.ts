// The pairs of the leaderboard: each row's scored and correct questions as
// bitsets, every pair tested on the questions both scored (exact McNemar,
// Newcombe interval), Holm's adjustment across the pairs.

import { STATUS_CODE } from "./leaderboard_input.ts";
import { holm, pairedTest } from "./leaderboard_stats.ts";

/** One pair of rows (`pairs[]` of leaderboard.json); a is ranked above b. */
export interface BoardPair {
  a: string;
  b: string;
  /** Questions scored by both: the paired set. */
  shared: number;
  /** Discordant: a right and b not / b right and a not. */
  "a_only": number;
  "b_only": number;
  "both_correct": number;
  "both_wrong": number;
  /** Questions scored by only one of the two (left out of the test). */
  excluded: number;
  /** Paired accuracy difference a − b on the shared questions. */
  diff: number | null;
  "diff_ci95": [number, number] | null;
  /** Exact two-sided McNemar p-value (binomial, not mid-p). */
  "p_value": number | null;
  /** Holm-adjusted across all pairs. */
  "p_holm": number | null;
  /** p_holm < 0.05. */
  significant: boolean;
}

/** Bitsets of one row: scored and correct questions. */
export interface Bits {
  scored: Uint32Array;
  correct: Uint32Array;
}

const ALPHA = 0.05;

/** A row's bitsets from its status array (only subjects in `keep`, if given). */
export function toBits(
  status: Uint8Array,
  n: number,
  subjectOf: readonly string[],
  keep: ReadonlySet<string> | null,
): Bits {
  const words = Math.ceil(n / 32);
  const scored = new Uint32Array(words);
  const correct = new Uint32Array(words);
  const len = Math.min(n, status.length);
  for (let i = 0; i < len; i++) {
    const c = status[i]!;
    if (c === 0 || c > STATUS_CODE.unparsed) continue;
    if (keep !== null && !keep.has(subjectOf[i]!)) continue;
    scored[i >>> 5]! |= 1 << (i & 31);
    if (c === STATUS_CODE.correct) correct[i >>> 5]! |= 1 << (i & 31);
  }
  return { scored, correct };
}

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Tests every pair of rows (labels in rank order) and adjusts with Holm. */
export function testPairs(
  labels: readonly string[],
  bits: Bits[],
): BoardPair[] {
  const pairs: BoardPair[] = [];
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      pairs.push(
        pairOf(labels[i]!, labels[j]!, bits[i]!, bits[j]!),
      );
    }
  }
  const adjusted = holm(pairs.map((p) => p["p_value"]));
  pairs.forEach((p, k) => {
    p["p_holm"] = adjusted[k]!;
    p.significant = p["p_holm"] !== null && p["p_holm"] < ALPHA;
  });
  return pairs;
}

/** Tests one pair on the questions both scored. */
function pairOf(a: string, b: string, x: Bits, y: Bits): BoardPair {
  let shared = 0, both = 0, aOnly = 0, bOnly = 0, excluded = 0;
  for (let w = 0; w < x.scored.length; w++) {
    const sx = x.scored[w]!, sy = y.scored[w]!;
    const s = sx & sy;
    if (s === 0 && sx === 0 && sy === 0) continue;
    const cx = x.correct[w]! & s, cy = y.correct[w]! & s;
    shared += popcount(s);
    excluded += popcount(sx ^ sy);
    both += popcount(cx & cy);
    aOnly += popcount(cx & ~cy);
    bOnly += popcount(cy & ~cx);
  }
  const neither = shared - both - aOnly - bOnly;
  return {
    a,
    b,
    shared,
    "a_only": aOnly,
    "b_only": bOnly,
    "both_correct": both,
    "both_wrong": neither,
    excluded,
    ...pairedTest({ both, aOnly, bOnly, neither }),
    "p_holm": null,
    significant: false,
  };
}

/** Questions scored by at least one row. */
export function countAny(bits: Bits[]): number {
  if (bits.length === 0) return 0;
  let total = 0;
  for (let w = 0; w < bits[0]!.scored.length; w++) {
    let any = 0;
    for (const b of bits) any |= b.scored[w]!;
    total += popcount(any);
  }
  return total;
}

/** Questions scored by some row but not by every row. */
export function sharedGap(bits: Bits[], n: number): number {
  if (bits.length === 0) return 0;
  let gap = 0;
  for (let w = 0; w < Math.ceil(n / 32); w++) {
    let any = 0, every = -1;
    for (const b of bits) {
      any |= b.scored[w]!;
      every &= b.scored[w]!;
    }
    gap += popcount(any & ~every);
  }
  return gap;
}
