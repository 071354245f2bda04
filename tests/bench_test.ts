import assert from "node:assert/strict";
import { budgetWarnings, modelFolderNames } from "../src/bench.ts";
import type { Summary } from "../src/report/summary.ts";

Deno.test("modelFolderNames() gives every model its own folder", () => {
  assert.deepEqual(
    modelFolderNames(["qwen:1", "qwen_1", "QWEN_1", "llama3.2"]),
    [
      "qwen_1",
      "qwen_1-2",
      "QWEN_1-3",
      "llama3.2",
    ],
  );
  assert.deepEqual(
    modelFolderNames(["../../etc/x"]).map((n) => n.includes("/")),
    [false],
  );
});

Deno.test("budgetWarnings() tells the user when answers were cut by the budget", () => {
  const summary = (by: Record<string, number>) =>
    ({ "unparsed_by_reason": by }) as unknown as Summary;
  assert.deepEqual(budgetWarnings(summary({}), 64), []);
  const w = budgetWarnings(
    summary({ "truncated_in_thinking": 3, truncated: 2, "no answer found": 1 }),
    4096,
  );
  assert.equal(w.length, 2);
  assert.match(
    w[0]!,
    /^3 answer\(s\) ran out of the 4096-token budget while thinking/,
  );
  assert.match(w[1]!, /^2 answer\(s\) were cut by the 4096-token budget/);
});
