import assert from "node:assert/strict";
import {
  compactLetters,
  holm,
  mcnemarExactP,
  pairedDiffCi,
  paretoFront,
} from "../src/report/leaderboard_stats.ts";
import { bigMcnemar } from "./mcnemar_oracle.ts";

Deno.test("mcnemarExactP() equals the binomial tail summed exactly", async (t) => {
  const cases: Array<[number, number]> = [
    [0, 0],
    [1, 5],
    [0, 10],
    [3, 12],
    [12, 12],
    [13, 12],
    [30, 10],
    [40, 60],
    [150, 210],
    [480, 520],
    [1200, 1350],
  ];
  for (const [b, c] of cases) {
    await t.step(`b=${b} c=${c}`, () => {
      const want = bigMcnemar(b, c);
      const got = mcnemarExactP(b, c);
      assert.ok(
        Math.abs(got - want) <= 1e-9 * want + 1e-15,
        `${got} vs ${want}`,
      );
      assert.equal(mcnemarExactP(c, b), got, "symmetric");
    });
  }
  // Known values: 2·(1+5)/64 and 2/1024.
  assert.equal(mcnemarExactP(1, 5), 0.1875 + 0.03125);
  assert.equal(mcnemarExactP(0, 10), 2 / 1024);
  assert.throws(() => mcnemarExactP(-1, 2), RangeError);
});

Deno.test("holm() multiplies the i-th smallest p by (m - i) and keeps the order monotone", () => {
  assert.deepEqual(holm([0.01, 0.02, 0.03, 0.5]), [0.04, 0.06, 0.06, 0.5]);
  // Ties and caps at 1; nulls are not part of the family.
  assert.deepEqual(holm([0.4, null, 0.4, 0.001]), [0.8, null, 0.8, 0.003]);
  assert.deepEqual(holm([]), []);
});

Deno.test("compactLetters() gives shared letters to rows that are not different", async (t) => {
  const cases: Array<[string, number, string[], string[]]> = [
    ["all different", 3, ["0,1", "0,2", "1,2"], ["a", "b", "c"]],
    ["none different", 3, [], ["a", "a", "a"]],
    ["a chain", 4, ["0,2", "0,3", "1,3"], ["a", "ab", "bc", "c"]],
    ["top apart, rest tied", 4, ["0,1", "0,2", "0,3"], ["a", "b", "b", "b"]],
    ["non-contiguous", 3, ["0,1"], ["a", "b", "ab"]],
  ];
  for (const [name, n, sig, want] of cases) {
    await t.step(name, () => {
      const set = new Set(sig);
      const letters = compactLetters(n, (i, j) => set.has(`${i},${j}`));
      assert.deepEqual(letters, want);
      // The defining property: share a letter ⇔ not significantly different.
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const share = [...letters[i]!].some((l) => letters[j]!.includes(l));
          assert.equal(share, !set.has(`${i},${j}`), `${i},${j}`);
        }
      }
    });
  }
});

Deno.test("compactLetters() uses no letter that could be dropped (Piepho's sweep)", () => {
  // Nine overlapping groups where insert-and-absorb alone leaves a letter
  // whose every pair is already covered by other letters.
  const sig = new Set([
    "0,2",
    "0,3",
    "0,4",
    "0,5",
    "0,6",
    "0,7",
    "0,8",
    "1,4",
    "1,5",
    "1,6",
    "1,7",
    "1,8",
    "2,8",
    "3,6",
    "3,7",
  ]);
  const n = 9;
  const different = (i: number, j: number) => sig.has(`${i},${j}`);
  const letters = compactLetters(n, different);
  const valid = (ls: string[]) =>
    ls.every((l) => l !== "") &&
    Array.from({ length: n }, (_, i) => i).every((i) =>
      Array.from({ length: n - i - 1 }, (_, k) => i + k + 1).every((j) =>
        [...ls[i]!].some((l) => ls[j]!.includes(l)) !== different(i, j)
      )
    );
  assert.ok(valid(letters), letters.join(" "));
  for (const l of new Set(letters.join(""))) {
    assert.ok(
      !valid(letters.map((x) => x.replace(l, ""))),
      `letter ${l} is redundant in ${letters.join(" ")}`,
    );
  }
});

Deno.test("pairedDiffCi() brackets the difference and narrows with more questions", () => {
  const small = pairedDiffCi({ both: 5, aOnly: 4, bOnly: 1, neither: 2 })!;
  const big = pairedDiffCi({
    both: 500,
    aOnly: 400,
    bOnly: 100,
    neither: 200,
  })!;
  const d = 3 / 12;
  assert.ok(small[0] < d && d < small[1]);
  assert.ok(big[0] < 0.25 && 0.25 < big[1]);
  assert.ok(big[1] - big[0] < (small[1] - small[0]) / 5);
  // Large n: close to the Wald interval of the paired difference.
  const n = 1200, b = 400, c = 100;
  const se = Math.sqrt(b + c - (b - c) ** 2 / n) / n;
  assert.ok(Math.abs(big[0] - (0.25 - 1.96 * se)) < 0.003);
  assert.ok(Math.abs(big[1] - (0.25 + 1.96 * se)) < 0.003);
  // No discordant pairs: still an interval around 0 that stays within [-1, 1].
  const zero = pairedDiffCi({ both: 10, aOnly: 0, bOnly: 0, neither: 0 })!;
  assert.ok(zero[0] <= 0 && zero[1] >= 0 && zero[0] >= -1 && zero[1] <= 1);
  assert.equal(pairedDiffCi({ both: 0, aOnly: 0, bOnly: 0, neither: 0 }), null);
});

Deno.test("paretoFront() keeps the points nothing is both faster and better than", () => {
  const pts = [
    { cost: 100, value: 0.8 },
    { cost: 50, value: 0.6 },
    { cost: 120, value: 0.7 }, // dominated by the first
    { cost: 10, value: 0.6 }, // dominates the second
    { cost: 300, value: 0.85 },
  ];
  assert.deepEqual(paretoFront(pts), [3, 0, 4]);
});
