import assert from "node:assert/strict";
import {
  brierScore,
  chi2Sf1,
  describeSorted,
  ExactSum,
  expectedCalibrationError,
  LatencyStore,
  mcnemar,
} from "../src/report/stats.ts";
import { percentile, wilson } from "../src/stats.ts";

function close(
  actual: number | null | undefined,
  expected: number,
  tol = 1e-9,
) {
  assert.ok(
    actual !== null && actual !== undefined &&
      Math.abs(actual - expected) <= tol,
    `expected ${expected} ± ${tol}, got ${actual}`,
  );
}

Deno.test("wilson() matches the Wilson score formula at known points", async (t) => {
  // References: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n),
  // z = 1.959963984540054 (scipy.stats.norm.ppf(0.975)), computed
  // independently in Python.
  const cases: Array<[number, number, [number, number]]> = [
    [0, 10, [0, 0.2775327998628892]],
    [10, 10, [0.7224672001371107, 1]],
    [81, 100, [0.7222115462093562, 0.8748524849023126]],
  ];
  for (const [c, n, [lo, hi]] of cases) {
    await t.step(`${c}/${n}`, () => {
      const ci = wilson(c, n);
      assert.ok(ci !== null);
      close(ci[0], lo, 1e-12);
      close(ci[1], hi, 1e-12);
    });
  }
  await t.step("0/0 has no interval", () => {
    assert.equal(wilson(0, 0), null);
  });
  await t.step("bounds stay inside [0, 1] exactly at the extremes", () => {
    assert.equal(wilson(0, 10)![0], 0);
    assert.equal(wilson(10, 10)![1], 1);
  });
  await t.step("rejects more successes than trials", () => {
    assert.throws(() => wilson(11, 10), RangeError);
  });
});

Deno.test("mcnemar() uses the exact binomial test below 25 discordant pairs", async (t) => {
  // References: scipy.stats.binomtest(b, b + c, 0.5).pvalue.
  const cases: Array<[number, number, number]> = [
    [1, 5, 0.21875],
    [0, 5, 0.0625],
    [3, 3, 1],
    [2, 9, 0.0654296875],
    [0, 0, 1],
    [12, 12, 1],
  ];
  for (const [b, c, p] of cases) {
    await t.step(`b=${b} c=${c}`, () => {
      const r = mcnemar(b, c);
      assert.equal(r.method, "exact");
      close(r.p_value, p, 1e-12);
      assert.equal(r.statistic, Math.min(b, c));
    });
  }
  await t.step("is symmetric in b and c", () => {
    assert.equal(mcnemar(2, 9).p_value, mcnemar(9, 2).p_value);
  });
});

Deno.test("mcnemar() uses continuity-corrected chi-square from 25 pairs", async (t) => {
  // References: scipy.stats.chi2.sf((|b-c|-1)²/(b+c), 1).
  const cases: Array<[number, number, number, number]> = [
    [10, 30, 9.025, 0.002663119259138558],
    [20, 25, 0.35555555555555557, 0.5509849875850935],
    [40, 60, 3.61, 0.05743311963200335],
    [10, 15, 0.64, 0.4237107971667934],
  ];
  for (const [b, c, stat, p] of cases) {
    await t.step(`b=${b} c=${c}`, () => {
      const r = mcnemar(b, c);
      assert.equal(r.method, "chi2");
      close(r.statistic, stat, 1e-12);
      close(r.p_value, p, 1e-6);
    });
  }
  await t.step("rejects negative or fractional counts", () => {
    assert.throws(() => mcnemar(-1, 3), RangeError);
    assert.throws(() => mcnemar(1.5, 3), RangeError);
  });
});

Deno.test("chi2Sf1() gives the 1-df chi-square tail", () => {
  close(chi2Sf1(3.841458820694124), 0.05, 1e-7);
  close(chi2Sf1(6.634896601021214), 0.01, 1e-8);
  assert.equal(chi2Sf1(0), 1);
});

Deno.test("brierScore() is the multi-class Brier score over the allowed letters", async (t) => {
  await t.step("hand case", () => {
    // (0.7-1)² + 0.2² + 0.1² + 0² = 0.14
    close(
      brierScore([{ probs: { A: 0.7, B: 0.2, C: 0.1, D: 0 }, expected: "A" }]),
      0.14,
      1e-12,
    );
  });
  await t.step("uniform over four letters is 0.75", () => {
    close(
      brierScore([{
        probs: { A: 0.25, B: 0.25, C: 0.25, D: 0.25 },
        expected: "C",
      }]),
      0.75,
      1e-12,
    );
  });
  await t.step("probabilities are normalised first", () => {
    close(brierScore([{ probs: { A: 2, B: 2 }, expected: "A" }]), 0.5, 1e-12);
  });
  await t.step("mean over predictions; unusable ones are ignored", () => {
    close(
      brierScore([
        { probs: { A: 1, B: 0 }, expected: "A" },
        { probs: { A: 1, B: 0 }, expected: "B" },
        { probs: { A: 0, B: 0 }, expected: "A" },
      ]),
      1,
      1e-12,
    );
  });
  await t.step("a missing expected letter counts as probability 0", () => {
    close(brierScore([{ probs: { A: 1 }, expected: "B" }]), 2, 1e-12);
  });
  await t.step("null when nothing is usable", () => {
    assert.equal(brierScore([]), null);
  });
});

Deno.test("expectedCalibrationError() bins the top letter's confidence in tenths", () => {
  // bin (0.8,0.9]: two predictions, one right: |0.5 - 0.9| = 0.4, weight 2/4
  // bin (0.5,0.6]: one right at 0.6: |1 - 0.6| = 0.4, weight 1/4
  // bin (0.6,0.7]: one right at 0.7 (B): |1 - 0.7| = 0.3, weight 1/4
  const ece = expectedCalibrationError([
    { probs: { A: 0.9, B: 0.1 }, expected: "A" },
    { probs: { A: 0.9, B: 0.1 }, expected: "B" },
    { probs: { A: 0.6, B: 0.4 }, expected: "A" },
    { probs: { A: 0.3, B: 0.7 }, expected: "B" },
  ]);
  close(ece, (2 * 0.4 + 0.4 + 0.3) / 4, 1e-12);
  close(
    expectedCalibrationError([{ probs: { A: 1, B: 0 }, expected: "A" }]),
    0,
    1e-12,
  );
});

Deno.test("percentile() is nearest-rank", async (t) => {
  const xs = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  const cases: Array<[number, number]> = [[0, 1], [1, 1], [50, 50], [90, 90], [
    99,
    99,
  ], [100, 100]];
  for (const [p, v] of cases) {
    await t.step(`p${p} of 1..100`, () => assert.equal(percentile(xs, p), v));
  }
  await t.step("always returns an observed value", () => {
    const ys = Float64Array.from([10, 20, 30]);
    assert.equal(percentile(ys, 50), 20);
    assert.equal(percentile(ys, 90), 30);
    assert.equal(percentile(ys, 34), 20);
  });
  await t.step("null for empty input", () => {
    assert.equal(percentile(new Float64Array(0), 50), null);
  });
});

Deno.test("ExactSum gives the same bits whatever the order", () => {
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const values = Array.from({ length: 2000 }, () => rnd() * 10 ** (rnd() * 8));
  const sum = (xs: number[]) => {
    const s = new ExactSum();
    for (const x of xs) s.add(x);
    return s.value();
  };
  const forward = sum(values);
  const reversed = sum([...values].reverse());
  const sorted = sum([...values].sort((a, b) => a - b));
  assert.equal(forward, reversed);
  assert.equal(forward, sorted);
  const big = new ExactSum();
  for (const x of [1e16, 1, -1e16]) big.add(x);
  assert.equal(big.value(), 1);
  assert.throws(() => big.add(NaN), RangeError);
});

Deno.test("LatencyStore grows and describeSorted() summarises it", () => {
  const store = new LatencyStore();
  for (let i = 1000; i >= 1; i--) store.push(i);
  assert.equal(store.length, 1000);
  const d = describeSorted(store.sorted());
  assert.deepEqual(d, {
    count: 1000,
    mean: 500.5,
    p50: 500,
    p90: 900,
    p99: 990,
    max: 1000,
  });
  assert.equal(describeSorted(new Float64Array(0)), null);
  assert.throws(() => store.push(Infinity), RangeError);
});
