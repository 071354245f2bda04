import assert from "node:assert/strict";
import { buildLeaderboard } from "../src/report/leaderboard.ts";
import {
  QuestionIndex,
  type RunTally,
  STATUS_CODE,
} from "../src/report/leaderboard_input.ts";
import {
  renderLeaderboardMarkdown,
  renderLeaderboardText,
} from "../src/report/leaderboard_text.ts";
import { renderLeaderboardHtml } from "../src/report/leaderboard_html.ts";
import { type Summary, SummaryBuilder } from "../src/report/summary.ts";
import { meta, record } from "./report_sample.ts";
import type { Status } from "../src/schema.ts";
import { wilson } from "../src/stats.ts";
import { bigMcnemar, holmOracle } from "./mcnemar_oracle.ts";

interface RunSpec {
  model: string;
  run: string;
  started?: string;
  complete?: boolean;
  mode?: string;
  backend?: string;
  config?: Record<string, unknown>;
  files?: Array<[string, string]>;
  /** Status per question key. */
  outcomes: Array<[key: string, subject: string, status: Status]>;
}

function summaryOf(s: RunSpec): Summary {
  const partial = {
    "schema_version": 1,
    "run_id": s.run,
    complete: s.complete ?? true,
    "started_at": s.started ?? "2026-11-01T10:00:00.000Z",
    model: s.model,
    "model_info": null,
    backend: s.backend ?? "ollama",
    mode: s.mode ?? "answer",
    config: { shots: 0, temperature: 0, ...s.config },
    dataset: {
      files: (s.files ?? [["a.csv", "h1"]]).map(([file, sha256]) => ({
        file,
        sha256,
        rows: 1,
      })),
      problems: [],
    },
  };
  return partial as unknown as Summary;
}

function tallies(specs: RunSpec[]): { runs: RunTally[]; index: QuestionIndex } {
  const index = new QuestionIndex();
  const runs = specs.map((s) => {
    const status = new Uint8Array(1024);
    for (const [key, subject, st] of s.outcomes) {
      status[index.indexOf(key, subject)] = STATUS_CODE[st];
    }
    return {
      dir: `/runs/${s.run}/${s.model}`,
      summary: summaryOf(s),
      status,
      serviceMs: 0,
      serviceN: 0,
      evalTokens: 0,
      evalNs: 0,
      lines: s.outcomes.length,
      results: new Set(s.outcomes.map(([key]) => key)).size,
    };
  });
  return { runs, index };
}

/** n questions; the ones listed in `wrongAt` are wrong, the rest right. */
function pattern(n: number, wrongAt: (i: number) => boolean) {
  return Array.from({ length: n }, (_, i) =>
    [
      `q${i}`,
      i % 2 === 0 ? "anatomy" : "virology",
      wrongAt(i) ? "wrong" : "correct",
    ] as [string, string, Status]);
}

Deno.test("buildLeaderboard() ranks known patterns and its tests agree with exact binomial sums and Holm", () => {
  const n = 200;
  // best: wrong on i%10==0 (20); second: those + 20 more; third: a different
  // set of 60; fourth: the third's plus 2.
  const specs: RunSpec[] = [
    {
      model: "third",
      run: "r2",
      outcomes: pattern(n, (i) => i % 10 === 5 || i % 5 === 1 || i < 20),
    },
    { model: "best", run: "r1", outcomes: pattern(n, (i) => i % 10 === 0) },
    {
      model: "fourth",
      run: "r2",
      outcomes: pattern(n, (i) => i % 10 === 5 || i % 5 === 1 || i < 22),
    },
    {
      model: "second",
      run: "r1",
      outcomes: pattern(n, (i) => i % 10 === 0 || i % 10 === 3),
    },
  ];
  const { runs, index } = tallies(specs);
  const b = buildLeaderboard(runs, index.subjects);
  assert.deepEqual(b.models.map((m) => m.model), [
    "best",
    "second",
    "third",
    "fourth",
  ]);
  assert.deepEqual(b.models.map((m) => m.rank), [1, 2, 3, 4]);
  for (const m of b.models) {
    const spec = specs.find((s) => s.model === m.model)!;
    const correct = spec.outcomes.filter((o) => o[2] === "correct").length;
    assert.equal(m.correct, correct);
    assert.equal(m.scored, n);
    assert.deepEqual(m.ci95, wilson(correct, n));
  }
  // Every pair against an independent computation from the raw outcomes.
  const byModel = new Map(specs.map((s) => [s.model, s.outcomes]));
  const raw = b.pairs.map((p) => {
    const a = byModel.get(p.a)!, c = byModel.get(p.b)!;
    let aOnly = 0, bOnly = 0;
    a.forEach((o, i) => {
      const x = o[2] === "correct", y = c[i]![2] === "correct";
      if (x && !y) aOnly++;
      if (y && !x) bOnly++;
    });
    assert.equal(p["a_only"], aOnly, `${p.a}/${p.b}`);
    assert.equal(p["b_only"], bOnly, `${p.a}/${p.b}`);
    assert.equal(p.shared, n);
    assert.ok(Math.abs(p.diff! - (aOnly - bOnly) / n) < 1e-12);
    return bigMcnemar(aOnly, bOnly);
  });
  const adjusted = holmOracle(raw);
  b.pairs.forEach((p, k) => {
    assert.ok(Math.abs(p["p_value"]! - raw[k]!) <= 1e-9 * raw[k]!, p.a + p.b);
    assert.ok(Math.abs(p["p_holm"]! - adjusted[k]!) <= 1e-9 * adjusted[k]!);
    assert.equal(p.significant, adjusted[k]! < 0.05);
  });
  // best vs second: 20 vs 0 discordant (clear); third vs fourth: 2 vs 0 (a tie).
  const tf = b.pairs.find((p) => p.a === "third" && p.b === "fourth")!;
  assert.equal(tf.significant, false);
  assert.deepEqual(b.models.map((m) => m.group), ["a", "b", "c", "c"]);
  const text = renderLeaderboardText(b, { width: 80 });
  for (const line of text.split("\n")) assert.ok(line.length <= 80, line);
  assert.match(text, /^1\s+a\s+best\s+90\.0%/m);
  assert.match(renderLeaderboardMarkdown(b), /^\| 4 \| c \| fourth /m);
});

Deno.test("buildLeaderboard() keeps the newest complete run of a model + settings and names the others", () => {
  const same = pattern(20, (i) => i < 5);
  const { runs, index } = tallies([
    { model: "m", run: "old", started: "2026-11-01T00:00:00Z", outcomes: same },
    { model: "m", run: "new", started: "2026-11-03T00:00:00Z", outcomes: same },
    // Newest of all, but incomplete: not used while a complete one exists.
    {
      model: "m",
      run: "partial",
      started: "2026-11-04T00:00:00Z",
      complete: false,
      outcomes: same.slice(0, 4),
    },
    {
      model: "m",
      run: "cot",
      mode: "cot",
      outcomes: pattern(20, (i) => i < 2),
    },
    {
      model: "m",
      run: "shots",
      config: { shots: 5 },
      outcomes: pattern(20, (i) => i < 3),
    },
  ]);
  const b = buildLeaderboard(runs, index.subjects);
  assert.deepEqual(b.models.map((m) => m.run), ["cot", "shots", "new"]);
  assert.deepEqual(b.models.map((m) => m.label), [
    "m (mode=cot, shots=0)",
    "m (mode=answer, shots=5)",
    "m (mode=answer, shots=0)",
  ]);
  assert.deepEqual(b.excluded.runs.map((r) => r.run).sort(), [
    "old",
    "partial",
  ]);
  assert.match(
    b.excluded.runs.find((r) => r.run === "old")!.reason,
    /same model and settings as run "new"/,
  );
  const all = buildLeaderboard(runs, index.subjects, { all: true });
  assert.equal(all.models.length, 5);
  assert.equal(new Set(all.models.map((m) => m.label)).size, 5);
  assert.match(
    all.models.map((m) => m.label).join(),
    /m \(mode=answer, shots=0\) \[old\]/,
  );
});

Deno.test("buildLeaderboard() never lets a newer run of fewer questions or of another dataset hide a run", () => {
  const { runs, index } = tallies([
    {
      model: "m",
      run: "full",
      started: "2026-11-01T00:00:00Z",
      outcomes: pattern(20, (i) => i < 5),
    },
    {
      model: "m",
      run: "smoke",
      started: "2026-11-02T00:00:00Z",
      config: { limit: 1 },
      outcomes: pattern(2, () => false),
    },
    {
      model: "m",
      run: "arc",
      started: "2026-11-03T00:00:00Z",
      files: [["arc.jsonl", "h9"]],
      outcomes: pattern(4, () => false).map(([k, s, st]) =>
        [`arc${k}`, s, st] as [string, string, Status]
      ),
    },
  ]);
  const b = buildLeaderboard(runs, index.subjects);
  assert.deepEqual(b.excluded.runs, []);
  assert.deepEqual(b.models.map((m) => m.run).sort(), ["arc", "full", "smoke"]);
  const full = b.models.find((m) => m.run === "full")!;
  assert.equal(full.scored, 20);
  assert.match(
    b.models.find((m) => m.run === "smoke")!.label,
    /limit=1/,
  );
});

Deno.test("buildLeaderboard() tests pairs only on shared questions and warns about different datasets", () => {
  const { runs, index } = tallies([
    {
      model: "x",
      run: "r1",
      files: [["a.csv", "h1"]],
      outcomes: pattern(30, (i) => i < 3),
    },
    {
      model: "y",
      run: "r2",
      files: [["a.csv", "h1"], ["b.csv", "h2"]],
      outcomes: [
        ...pattern(20, (i) => i < 10),
        ...pattern(10, () => false).map(([k, s, st]) =>
          [`b${k}`, s, st] as [string, string, Status]
        ),
      ],
    },
  ]);
  const b = buildLeaderboard(runs, index.subjects);
  const p = b.pairs[0]!;
  assert.equal(p.shared, 20);
  assert.equal(p.excluded, 20, "10 only in x, 10 only in y");
  assert.equal(b.excluded["questions_not_shared"], 20);
  assert.ok(b.warnings.some((w) => /different dataset files/.test(w)));
  assert.ok(b.warnings.some((w) => /different questions/.test(w)));
  // Accuracy of each row is over its own questions.
  assert.equal(b.models.find((m) => m.model === "x")!.scored, 30);
});

Deno.test("buildLeaderboard() gives the macro accuracy summary.json gives, whatever the subject order", () => {
  // Subjects at 10%, 20% and 30%: summed naively in this order the mean is
  // 0.20000000000000004; summary.json sums exactly (0.6 / 3).
  const outcomes: Array<[string, string, Status]> = [];
  const summary = new SummaryBuilder();
  ["s1", "s2", "s3"].forEach((subject, k) => {
    for (let i = 0; i < 10; i++) {
      const status: Status = i <= k ? "correct" : "wrong";
      outcomes.push([`${subject}:${i}`, subject, status]);
      summary.add(record({ id: `${subject}:${i}`, subject, status }));
    }
  });
  const expected = summary.build(meta())["accuracy_macro"];
  assert.equal(expected, 0.6 / 3);
  for (const order of [outcomes, [...outcomes].reverse()]) {
    const { runs, index } = tallies([{
      model: "m",
      run: "r",
      outcomes: order,
    }]);
    const [m] = buildLeaderboard(runs, index.subjects).models;
    assert.equal(m!["macro_accuracy"], expected);
  }
});

Deno.test("buildLeaderboard() leaves errors and skipped rows out of accuracy and counts them", () => {
  const { runs, index } = tallies([
    {
      model: "e",
      run: "r",
      outcomes: [
        ["q1", "s", "correct"],
        ["q2", "s", "unparsed"],
        ["q3", "s", "error"],
        ["q4", "s", "skipped"],
        ["q5", "t", "wrong"],
      ],
    },
  ]);
  const [m] = buildLeaderboard(runs, index.subjects).models;
  assert.equal(m!.scored, 3);
  assert.equal(m!.accuracy, 1 / 3);
  assert.equal(m!["macro_accuracy"], (0.5 + 0) / 2);
  assert.equal(m!.unparsed, 1);
  assert.equal(m!.errors, 1);
  assert.equal(m!.skipped, 1);
  const only = buildLeaderboard(runs, index.subjects, { subjects: ["t"] });
  assert.equal(only.models[0]!.scored, 1);
  assert.equal(only.models[0]!.errors, 0);
});

Deno.test("buildLeaderboard() does not rank an unmerged shard and says to merge it", () => {
  const { runs, index } = tallies([
    { model: "m", run: "whole", outcomes: pattern(10, (i) => i < 2) },
    {
      model: "m",
      run: "shard1",
      config: { shard: { index: 1, count: 2 } },
      outcomes: pattern(5, () => false),
    },
  ]);
  const b = buildLeaderboard(runs, index.subjects);
  assert.deepEqual(b.models.map((m) => m.run), ["whole"]);
  assert.deepEqual(b.excluded.runs.map((r) => [r.run, r.reason]), [
    ["shard1", "shard 1/2: merge the shards first (llm-bench merge)"],
  ]);
});

Deno.test("leaderboards mark mock rows and say their answers are simulated", () => {
  const { runs, index } = tallies([
    {
      model: "llama3.2:1b",
      run: "r1",
      backend: "mock",
      outcomes: pattern(20, (i) => i < 5),
    },
    { model: "real", run: "r1", outcomes: pattern(20, (i) => i < 8) },
  ]);
  const b = buildLeaderboard(runs, index.subjects);
  const text = renderLeaderboardText(b, { width: 80 });
  // Settings differ: the other row names its backend, the mock row says
  // "(mock)" instead of "(backend=mock)".
  assert.match(text, /llama3\.2:1b \(mock\) {2}/);
  assert.match(text, /real \(backend=ollama\) /);
  assert.doesNotMatch(text, /backend=mock/);
  assert.doesNotMatch(text, /real \(mock\)/);
  assert.match(text, /^\(mock\): simulated answers/m);
  for (const l of text.split("\n")) assert.ok(l.length <= 80, l);
  const md = renderLeaderboardMarkdown(b);
  assert.match(md, /\| llama3\.2:1b \(mock\) \|/);
  assert.match(md, /^\(mock\): simulated answers/m);
  const html = renderLeaderboardHtml(b);
  // Shown at every width (not in the .dig span that phones hide).
  assert.match(html, /llama3\.2:1b <span class="mock">\(mock\)<\/span>/);
  assert.match(html, /<p class="mock">\(mock\): simulated answers/);
  // Same settings otherwise: the mock row is tagged, visibly at every width
  // (not in the .dig span that phones hide).
  const both = tallies([
    {
      model: "a",
      run: "r1",
      backend: "mock",
      outcomes: pattern(20, () => false),
    },
    {
      model: "b",
      run: "r1",
      backend: "mock",
      outcomes: pattern(20, (i) => i < 2),
    },
  ]);
  const mocks = buildLeaderboard(both.runs, both.index.subjects);
  assert.match(renderLeaderboardText(mocks), /^1 +a +a \(mock\) /m);
  assert.match(
    renderLeaderboardHtml(mocks),
    /<td class="name">a <span class="mock">\(mock\)<\/span>/,
  );
  // A name too long for 80 columns is cut, the tag is not.
  const long = tallies([
    {
      model: "qwen2.5:14b-instruct-q4_K_M-with-a-long-tag",
      run: "r1",
      backend: "mock",
      outcomes: pattern(20, () => false),
    },
    {
      model: "b",
      run: "r1",
      backend: "mock",
      outcomes: pattern(20, () => false),
    },
  ]);
  const longText = renderLeaderboardText(
    buildLeaderboard(long.runs, long.index.subjects),
    { width: 80 },
  );
  assert.match(longText, /^1 +a +qwen2\.5:14b-\S*… \(mock\) /m, longText);
  // Without mock rows there is no note.
  const { runs: realRuns, index: realIndex } = tallies([
    { model: "real", run: "r1", outcomes: pattern(20, (i) => i < 8) },
    { model: "other", run: "r1", outcomes: pattern(20, (i) => i < 3) },
  ]);
  const plain = buildLeaderboard(realRuns, realIndex.subjects);
  assert.doesNotMatch(renderLeaderboardHtml(plain), /simulated/);
  assert.doesNotMatch(renderLeaderboardText(plain), /simulated/);
});
