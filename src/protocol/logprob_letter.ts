// Next-token letter scoring (logprobs mode): from the first generated token's
// top log-probabilities to the predicted letter and a probability per letter.

import type { TokenLogprob } from "../backend/backend.ts";

/** The scoring of one question's first-token candidates. */
export interface LetterScore {
  /** The allowed letter with the most probability, or null when none is listed. */
  letter: string | null;
  /** Probabilities over the allowed letters, summing to 1, or null when none is listed. */
  probs: Record<string, number> | null;
  /** Raw probability mass the listed letters had before normalising (0 when none). */
  mass: number;
}

/**
 * Picks the answer letter from the first generated token's `top_logprobs`,
 * as hendrycks/test `eval()` does with `top_logprobs[-1][" A"]`, but more
 * tolerant of tokenisers:
 * - a token counts for a letter when its text, trimmed, is exactly that
 *   upper-case letter: " A", "A", "\nA". Lower-case " a" does not count: it
 *   is the English article far more often than an answer;
 * - variants of one letter add up (p(" A") + p("A")); a token string listed
 *   twice counts once;
 * - a letter missing from the list had less probability than the smallest
 *   listed value; it gets 0 before normalising, like the original's -100;
 * - `probs` are normalised over the allowed letters (for calibration), and
 *   `mass` says how much of the distribution they covered;
 * - ties go to the earlier letter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { letterFromLogprobs } from "./logprob_letter.ts";
 * const top = [
 *   { token: " B", logprob: Math.log(0.5) },
 *   { token: " A", logprob: Math.log(0.3) },
 *   { token: "A", logprob: Math.log(0.25) },
 *   { token: " The", logprob: Math.log(0.05) },
 * ];
 * const score = letterFromLogprobs(top, ["A", "B", "C", "D"]);
 * assert.equal(score.letter, "A");
 * assert.equal(score.probs?.C, 0);
 * ```
 */
export function letterFromLogprobs(
  top: readonly TokenLogprob[],
  letters: readonly string[],
): LetterScore {
  // Per letter, the log of its summed probability (-Infinity: not listed).
  const logp = new Map<string, number>(letters.map((l) => [l, -Infinity]));
  const seen = new Set<string>();
  for (const { token, logprob } of top) {
    if (seen.has(token)) continue;
    seen.add(token);
    const letter = token.trim();
    const before = logp.get(letter);
    if (before === undefined || Number.isNaN(logprob)) continue;
    logp.set(letter, logAddExp(before, logprob));
  }
  let best: string | null = null;
  let bestLog = -Infinity;
  for (const l of letters) {
    const lp = logp.get(l) ?? -Infinity;
    if (lp > bestLog) {
      best = l;
      bestLog = lp;
    }
  }
  if (best === null) return { letter: null, probs: null, mass: 0 };

  // Softmax relative to the best letter, so tiny probabilities do not underflow.
  let sum = 0;
  for (const l of letters) {
    sum += Math.exp((logp.get(l) ?? -Infinity) - bestLog);
  }
  const probs: Record<string, number> = {};
  for (const l of letters) {
    probs[l] = Math.exp((logp.get(l) ?? -Infinity) - bestLog) / sum;
  }
  return { letter: best, probs, mass: Math.exp(bestLog) * sum };
}

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const hi = Math.max(a, b);
  return hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi));
}
