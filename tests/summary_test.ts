import assert from "node:assert/strict";
import type { ResultRecord } from "../src/schema.ts";
import { MMLU_SUBCATEGORIES, mmluCategory } from "../src/report/categories.ts";
import { SummaryBuilder } from "../src/report/summary.ts";
import { meta, record, sampleRecords } from "./report_sample.ts";

const LO_3_5 = 0.2307242812760128;
const HI_3_5 = 0.882379225767352;
const NO_TOKENS = {
  "prompt_tokens": null,
  "eval_tokens": null,
  "eval_duration_ns": null,
} as const;
const FIXTURES = new URL("./fixtures/", import.meta.url);

function build(records: ResultRecord[]) {
  const b = new SummaryBuilder();
  for (const r of records) b.add(r);
  return b.build(meta());
}

function q(
  i: number,
  subject: string,
  over: Partial<ResultRecord> = {},
): ResultRecord {
  return record({
    id: `${subject}_test.csv:${i + 1}`,
    index: i,
    file: `${subject}_test.csv`,
    line: i + 1,
    subject,
    ...over,
  });
}

Deno.test("SummaryBuilder.counts() adds up to the number of result lines", () => {
  const b = new SummaryBuilder();
  const statuses = [
    "correct",
    "correct",
    "wrong",
    "unparsed",
    "error",
    "skipped",
    "correct",
  ] as const;
  statuses.forEach((status, i) =>
    b.add(q(i, "anatomy", {
      status,
      "error_kind": status === "error" ? "timeout" : null,
    }))
  );
  const c = b.counts();
  assert.deepEqual(c, {
    total: 7,
    correct: 3,
    wrong: 1,
    unparsed: 1,
    errors: 1,
    skipped: 1,
  });
  assert.equal(
    c.total,
    c.correct + c.wrong + c.unparsed + c.errors + c.skipped,
  );
});

Deno.test("SummaryBuilder.accuracy() counts unparsed as wrong and leaves errors and skipped out", async (t) => {
  await t.step("3 correct of 3 correct + 1 wrong + 1 unparsed", () => {
    const s = build([
      q(0, "anatomy"),
      q(1, "anatomy"),
      q(2, "anatomy"),
      q(3, "anatomy", { status: "wrong" }),
      q(4, "anatomy", { status: "unparsed" }),
      q(5, "anatomy", { status: "error", "error_kind": "network" }),
      q(6, "anatomy", { status: "skipped", expected: null }),
    ]);
    assert.equal(s.accuracy, 3 / 5);
    // Wilson 3/5 at z = 1.959964, computed independently.
    const [lo, hi] = s["accuracy_ci95"]!;
    assert.ok(Math.abs(lo - LO_3_5) < 1e-12 && Math.abs(hi - HI_3_5) < 1e-12);
    assert.equal(s.subjects.anatomy!.accuracy, 3 / 5);
  });
  await t.step("null when nothing was scored", () => {
    const b = new SummaryBuilder();
    b.add(q(0, "anatomy", { status: "error", "error_kind": "timeout" }));
    assert.equal(b.accuracy(), null);
    const s = b.build(meta());
    assert.equal(s.accuracy, null);
    assert.equal(s["accuracy_ci95"], null);
    assert.equal(s["accuracy_macro"], null);
    assert.equal(s["latency_ms"], null);
  });
});

Deno.test("SummaryBuilder.build() gives micro and macro accuracy", () => {
  const records: ResultRecord[] = [];
  for (let i = 0; i < 10; i++) {
    records.push(q(i, "anatomy", { status: i < 9 ? "correct" : "wrong" }));
  }
  records.push(q(10, "virology"), q(11, "virology", { status: "wrong" }));
  // A subject with only errors has no accuracy and stays out of the macro mean.
  records.push(
    q(12, "nutrition", { status: "error", "error_kind": "timeout" }),
  );
  const s = build(records);
  assert.equal(s.accuracy, 10 / 12);
  assert.equal(s["accuracy_macro"], (0.9 + 0.5) / 2);
  assert.deepEqual(Object.keys(s.subjects), [
    "anatomy",
    "nutrition",
    "virology",
  ]);
  assert.equal(s.subjects.nutrition!.accuracy, null);
});

Deno.test("SummaryBuilder.build() rolls MMLU subjects up into the four categories", async (t) => {
  await t.step("micro accuracy per category", () => {
    const s = build([
      q(0, "abstract_algebra"),
      q(1, "abstract_algebra", { status: "wrong" }),
      q(2, "college_physics"),
      q(3, "high_school_geography", { status: "wrong" }),
      q(4, "philosophy"),
    ]);
    assert.ok(s.categories !== null);
    assert.deepEqual(Object.keys(s.categories), [
      "STEM",
      "humanities",
      "social sciences",
    ]);
    assert.equal(s.categories.STEM!.accuracy, 2 / 3);
    assert.equal(s.categories.STEM!.subjects, 2);
    assert.equal(s.categories["social sciences"]!.accuracy, 0);
    assert.equal(s.categories.humanities!.accuracy, 1);
  });
  await t.step("absent when a scored subject is not an MMLU subject", () => {
    const s = build([q(0, "anatomy"), q(1, "my_custom_quiz")]);
    assert.equal(s.categories, null);
  });
  await t.step(
    "a non-MMLU subject with only skipped rows does not hide them",
    () => {
      const s = build([
        q(0, "anatomy"),
        q(1, "notes", { status: "skipped", expected: null }),
      ]);
      assert.ok(s.categories !== null);
      assert.equal(s.categories.other!.accuracy, 1);
    },
  );
});

Deno.test("mmluCategory() covers the 57 subjects of the real MMLU dev split", async () => {
  const counts: Record<string, number> = {};
  let files = 0;
  for await (const e of Deno.readDir(new URL("mmlu/dev/", FIXTURES))) {
    if (!e.name.endsWith("_dev.csv")) continue;
    files++;
    const subject = e.name.replace(/_dev\.csv$/, "");
    const cat = mmluCategory(subject);
    assert.ok(cat !== null, `no category for ${subject}`);
    counts[cat] = (counts[cat] ?? 0) + 1;
  }
  assert.equal(files, 57);
  assert.equal(Object.keys(MMLU_SUBCATEGORIES).length, 57);
  // hendrycks/test categories.py splits the 57 subjects 18/13/12/14.
  assert.deepEqual(counts, {
    STEM: 18,
    humanities: 13,
    "social sciences": 12,
    other: 14,
  });
});

Deno.test("SummaryBuilder.build() summarises latency, tokens, retries and failures", () => {
  const s = build([
    q(0, "anatomy", {
      "latency_ms": 100,
      "eval_tokens": 10,
      "eval_duration_ns": 500_000_000,
      "prompt_tokens": 40,
    }),
    q(1, "anatomy", {
      status: "wrong",
      "latency_ms": 300,
      "eval_tokens": 30,
      "eval_duration_ns": 500_000_000,
      "prompt_tokens": 60,
      attempts: 3,
    }),
    q(2, "anatomy", {
      status: "unparsed",
      reason: "no answer letter found",
      "latency_ms": 200,
      "eval_tokens": 5,
      "eval_duration_ns": null,
      "prompt_tokens": 50,
    }),
    q(3, "anatomy", {
      status: "error",
      "error_kind": "timeout",
      "latency_ms": 60_000,
      attempts: 4,
      "eval_tokens": null,
      "prompt_tokens": null,
    }),
    q(4, "anatomy", {
      status: "error",
      "error_kind": "timeout",
      attempts: 2,
      ...NO_TOKENS,
    }),
    q(5, "anatomy", {
      status: "error",
      "error_kind": "http_5xx",
      ...NO_TOKENS,
    }),
  ]);
  // Latency covers answered questions only: the 60 s error is left out.
  assert.deepEqual(s["latency_ms"], {
    count: 3,
    mean: 200,
    p50: 200,
    p90: 300,
    p99: 300,
    max: 300,
  });
  // (10 + 30) tokens over 1 s; the result without a duration is left out.
  assert.equal(s["tokens_per_second"], 40);
  assert.equal(s["eval_tokens"], 45);
  assert.equal(s["prompt_tokens"], 150);
  assert.equal(s.retries, 2 + 3 + 1);
  assert.deepEqual(s["errors_by_kind"], { "http_5xx": 1, timeout: 2 });
  assert.deepEqual(s["unparsed_by_reason"], { "no answer letter found": 1 });
});

Deno.test("SummaryBuilder.build() counts expected and predicted letters", () => {
  const s = build([
    q(0, "anatomy", { expected: "A" }),
    q(1, "anatomy", { expected: "B", status: "wrong", predicted: "A" }),
    q(2, "anatomy", { expected: "B", status: "unparsed", predicted: null }),
    q(3, "anatomy", {
      expected: "C",
      status: "error",
      "error_kind": "network",
    }),
  ]);
  assert.deepEqual(s.letters, {
    expected: { A: 1, B: 2 },
    predicted: { A: 2 },
    matrix: { A: { A: 1 }, B: { A: 1, none: 1 } },
  });
});

Deno.test("SummaryBuilder.build() adds optional sections only when the data has them", async (t) => {
  await t.step("none for a plain single-endpoint run", () => {
    const s = build([q(0, "anatomy"), q(1, "anatomy", { status: "wrong" })]);
    assert.equal(s.calibration, null);
    assert.equal(s.endpoints, null);
    assert.equal(s.repeats, null);
  });
  await t.step("calibration from letter probabilities", () => {
    const s = build([
      q(0, "anatomy", { "letter_probs": { A: 0.9, B: 0.1 } }),
      q(1, "anatomy", {
        status: "wrong",
        predicted: "A",
        expected: "B",
        "letter_probs": { A: 0.9, B: 0.1 },
      }),
    ]);
    assert.ok(s.calibration !== null);
    assert.equal(s.calibration.n, 2);
    assert.ok(Math.abs(s.calibration.ece - 0.4) < 1e-12);
    assert.ok(Math.abs(s.calibration.brier - (0.02 + 1.62) / 2) < 1e-12);
  });
  await t.step("endpoints when more than one answered", () => {
    const s = build([
      q(0, "anatomy", { endpoint: "http://a:1", "latency_ms": 100 }),
      q(1, "anatomy", { endpoint: "http://b:2", "latency_ms": 300 }),
      q(2, "anatomy", {
        endpoint: "http://b:2",
        status: "error",
        "error_kind": "network",
      }),
    ]);
    assert.deepEqual(s.endpoints, {
      "http://a:1": { requests: 1, errors: 0, "latency_ms_mean": 100 },
      "http://b:2": { requests: 2, errors: 1, "latency_ms_mean": 300 },
    });
  });
  await t.step("repeat consistency; each repeat counts in the totals", () => {
    const s = build([
      q(0, "anatomy", { repeat: 0 }),
      q(0, "anatomy", { repeat: 1 }),
      q(1, "anatomy", { repeat: 0 }),
      q(1, "anatomy", { repeat: 1, status: "wrong", predicted: "C" }),
      q(2, "anatomy", { repeat: 0 }),
      q(2, "anatomy", { repeat: 1, status: "error", "error_kind": "timeout" }),
    ]);
    assert.equal(s.counts.total, 6);
    assert.equal(s.counts.correct, 4);
    assert.deepEqual(s.repeats, {
      runs: 2,
      questions: 2,
      consistent: 1,
      consistency: 0.5,
    });
  });
});

Deno.test("SummaryBuilder.build() does not depend on the order results are added", () => {
  const records = sampleRecords({
    model: "m",
    seed: 3,
    skill: { "abstract_algebra": 0.4 },
    latency: 333.3,
    biasA: 0.3,
  }).flatMap((r, i) => [
    {
      ...r,
      endpoint: i % 3 === 0 ? "http://b:1" : r.endpoint,
      "letter_probs": r.status === "skipped"
        ? null
        : { A: 0.1 + (i % 7) / 10, B: 0.3, C: 0.17, D: 0.05 },
    },
    {
      ...r,
      repeat: 1,
      "latency_ms": r["latency_ms"] === null ? null : r["latency_ms"] * 1.1,
    },
  ]);
  const expected = JSON.stringify(build(records));
  let seed = 99;
  for (let round = 0; round < 5; round++) {
    const shuffled = [...records];
    for (let i = shuffled.length - 1; i > 0; i--) {
      seed = (seed * 16807) % 2147483647;
      const j = seed % (i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    assert.equal(JSON.stringify(build(shuffled)), expected);
  }
});

Deno.test("SummaryBuilder.add() rejects an unknown status instead of dropping it", () => {
  const b = new SummaryBuilder();
  const bad = {
    ...q(0, "anatomy"),
    status: "maybe",
  } as unknown as ResultRecord;
  assert.throws(() => b.add(bad), /unknown status "maybe"/);
  assert.equal(b.counts().total, 0);
});

Deno.test("SummaryBuilder.build() passes run metadata through", () => {
  const b = new SummaryBuilder();
  b.add(q(0, "anatomy"));
  const s = b.build(meta({
    complete: false,
    modelInfo: {
      name: "m",
      serverVersion: "0.12.6",
      digest: "sha256:abc",
      family: "llama",
      parameterSize: "3.2B",
      quantization: "Q4_K_M",
      capabilities: ["completion"],
      contextLength: 4096,
    },
    dataset: {
      files: [{ file: "anatomy_test.csv", sha256: "00", rows: 1 }],
      problems: ["x"],
    },
    config: { seed: 1 },
  }));
  assert.equal(s["schema_version"], 1);
  assert.equal(s.complete, false);
  assert.deepEqual(s["model_info"], {
    digest: "sha256:abc",
    quantization: "Q4_K_M",
    "parameter_size": "3.2B",
    family: "llama",
    capabilities: ["completion"],
    "server_version": "0.12.6",
    "context_length": 4096,
  });
  assert.deepEqual(s.dataset.problems, ["x"]);
  assert.deepEqual(s.config, { seed: 1 });
  assert.deepEqual(s.tool, { name: "llm-bench", version: "0.1.0" });
});
