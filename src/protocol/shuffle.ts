// Deterministic option shuffling (`--shuffle-choices SEED`) to measure
// position bias: the same seed and question id always give the same order,
// on every platform.

import type { Question } from "../schema.ts";
import { lettersFor } from "./prompt.ts";
import { hashString, mulberry32 } from "../stats.ts";

export { hashString, mulberry32 };

/**
 * The order of `n` options for a (seed, question id) pair: `order[i]` is the
 * original index of the option shown at position `i` (Fisher-Yates driven by
 * mulberry32 seeded with a hash of `seed:id`).
 *
 * @throws {RangeError} when `seed` is not a safe integer or `n` is negative.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { permutation } from "./shuffle.ts";
 * const order = permutation(4, 7, "anatomy_test.csv:3");
 * assert.deepEqual([...order].sort(), [0, 1, 2, 3]);
 * assert.deepEqual(order, permutation(4, 7, "anatomy_test.csv:3"));
 * ```
 */
export function permutation(n: number, seed: number, id: string): number[] {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(
      `Cannot shuffle options: seed ${seed} is not an integer`,
    );
  }
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`Cannot shuffle options: ${n} is not a count`);
  }
  const random = mulberry32(hashString(`${seed}:${id}`));
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/**
 * A copy of the question with its options in a deterministic shuffled
 * order and `answer` remapped to the letter where the correct option went.
 * Everything else (id, line, question text) is unchanged.
 *
 * Shuffling breaks questions whose options refer to each other by position
 * or letter ("All of the above", "Both A and B", "a and b"); expect a small
 * accuracy drop on those that is not the model's fault.
 *
 * @throws {RangeError} for a non-integer seed, or an answer not among the options.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shuffleChoices } from "./shuffle.ts";
 * const q = { id: "x.csv:1", index: 0, file: "x.csv", line: 1, subject: "x",
 *   question: "Capital of France?", choices: ["Rome", "Paris", "Oslo", "Bern"], answer: "B" };
 * const s = shuffleChoices(q, 1);
 * assert.equal(s.choices[s.answer.charCodeAt(0) - 65], "Paris");
 * assert.deepEqual([...s.choices].sort(), [...q.choices].sort());
 * ```
 */
export function shuffleChoices(q: Question, seed: number): Question {
  const letters = lettersFor(q.choices.length);
  const oldIndex = letters.indexOf(q.answer);
  if (oldIndex === -1) {
    throw new RangeError(
      `Cannot shuffle options of "${q.id}": answer "${q.answer}" is not one of ${
        letters.join(", ")
      }`,
    );
  }
  const order = permutation(q.choices.length, seed, q.id);
  const choices = order.map((i) => q.choices[i]!);
  const answer = letters[order.indexOf(oldIndex)]!;
  return { ...q, choices, answer };
}
