import assert from "node:assert/strict";
import type { Status } from "../src/schema.ts";
import { comparePaired } from "../src/report/compare.ts";

function side(statuses: Record<string, Status>) {
  return Object.entries(statuses).map(([id, status]) => ({ id, status }));
}

Deno.test("comparePaired() pairs by id and excludes missing or errored questions", () => {
  const r = comparePaired(
    side({
      q1: "correct",
      q2: "correct",
      q3: "wrong",
      q4: "unparsed",
      q5: "correct",
      q6: "error",
      q7: "correct",
    }),
    side({
      q1: "correct",
      q2: "wrong",
      q3: "correct",
      q4: "wrong",
      q5: "skipped",
      q6: "correct",
      q8: "correct",
    }),
  );
  assert.equal(r.n_a, 7);
  assert.equal(r.n_b, 7);
  assert.equal(r.n_common, 4);
  assert.equal(r.only_a, 1);
  assert.equal(r.only_b, 1);
  assert.equal(r.excluded, 2);
  assert.equal(r.both_correct, 1);
  assert.equal(r.both_wrong, 1);
  assert.equal(r.b, 1);
  assert.equal(r.c, 1);
  assert.equal(r.accuracy_a, 0.5);
  assert.equal(r.accuracy_b, 0.5);
  assert.equal(r.difference, 0);
  assert.equal(r.mcnemar.method, "exact");
  assert.equal(r.mcnemar.p_value, 1);
});

Deno.test("comparePaired() detects a real difference with McNemar's test", () => {
  const a: Record<string, Status> = {};
  const b: Record<string, Status> = {};
  // 30 questions only A gets right, 10 only B, 60 both right.
  for (let i = 0; i < 100; i++) {
    a[`q${i}`] = i < 30 || i >= 40 ? "correct" : "wrong";
    b[`q${i}`] = i >= 30 ? "correct" : "wrong";
  }
  const r = comparePaired(side(a), side(b));
  assert.equal(r.b, 30);
  assert.equal(r.c, 10);
  assert.equal(r.mcnemar.method, "chi2");
  // (|30-10|-1)²/40 = 9.025 -> p = 0.0026631 (scipy chi2.sf).
  assert.ok(Math.abs(r.mcnemar.p_value - 0.002663119259138558) < 1e-6);
  assert.ok(Math.abs(r.difference! - 0.2) < 1e-12);
});

Deno.test("comparePaired() with nothing in common has no accuracies", () => {
  const r = comparePaired(side({ q1: "correct" }), side({ q2: "correct" }));
  assert.equal(r.n_common, 0);
  assert.equal(r.accuracy_a, null);
  assert.equal(r.ci95_a, null);
  assert.equal(r.mcnemar.p_value, 1);
});
