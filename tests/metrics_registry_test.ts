import assert from "node:assert/strict";
import {
  escapeLabelValue,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_TEXT_CONTENT_TYPE,
} from "../src/metrics/exposition.ts";
import { MetricsRegistry } from "../src/metrics/registry.ts";
import { wilson } from "../src/stats.ts";
import type { ErrorKind, ResultRecord, Status } from "../src/schema.ts";

function result(
  status: Status,
  opts: {
    subject?: string;
    model?: string;
    latencyMs?: number | null;
    errorKind?: ErrorKind | null;
  } = {},
): ResultRecord {
  return {
    id: "x.csv:1",
    index: 0,
    file: "x.csv",
    line: 1,
    subject: opts.subject ?? "anatomy",
    model: opts.model ?? "m",
    expected: status === "skipped" ? null : "A",
    predicted: status === "correct" ? "A" : status === "wrong" ? "B" : null,
    status,
    method: null,
    raw: null,
    thinking: null,
    reason: null,
    "error_kind": status === "error" ? (opts.errorKind ?? "timeout") : null,
    "latency_ms": opts.latencyMs === undefined ? 1000 : opts.latencyMs,
    "prompt_tokens": null,
    "eval_tokens": null,
    "eval_duration_ns": null,
    "done_reason": null,
    attempts: status === "skipped" ? 0 : 1,
    messages: null,
    prompt: null,
    "letter_probs": null,
    endpoint: null,
    repeat: 0,
  };
}

function sampleValue(text: string, series: string): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith(series + " ")) {
      return Number(line.slice(series.length + 1));
    }
  }
  return undefined;
}

Deno.test("MetricsRegistry.json() says no metrics before the first result", () => {
  const r = new MetricsRegistry({ model: "m", total: 10 });
  r.requestStarted();
  r.requestFinished(100);
  assert.deepEqual(r.json(), { status: "no metrics available yet" });
});

Deno.test("MetricsRegistry.json() counts statuses and computes percent accuracy", () => {
  const r = new MetricsRegistry({ model: "llama3", total: 10 });
  for (
    const s of ["correct", "correct", "correct", "wrong", "unparsed"] as const
  ) {
    r.result(result(s, { model: "llama3", latencyMs: 1500 }));
  }
  r.result(
    result("error", { model: "llama3", latencyMs: null, errorKind: "network" }),
  );
  r.result(result("skipped", { model: "llama3", latencyMs: null }));
  r.retry("timeout");
  r.retry("busy");
  r.requestStarted();
  assert.deepEqual(r.json(), {
    total: 6,
    passed: 3,
    failed: 3,
    accuracy: 60,
    "avg_duration": 1.5,
    "avg_duration_ms": 1500,
    "total_retries": 2,
    "error_rate": 16.67,
    skipped: 1,
    unparsed: 1,
    errors: 1,
    "in_flight": 1,
    planned: 10,
    model: "llama3",
    "model_index": 1,
    "model_count": 1,
    "run_done": 7,
    "run_planned": 10,
    complete: false,
  });
});

Deno.test("MetricsRegistry.json() rounds accuracy to 2 decimals and durations to 3", () => {
  const r = new MetricsRegistry({ model: "m", total: 3 });
  r.result(result("correct", { latencyMs: 1000 }));
  r.result(result("correct", { latencyMs: 1001 }));
  r.result(result("wrong", { latencyMs: 1001 }));
  r.finish();
  const j = r.json();
  assert.ok(!("status" in j));
  assert.equal(j.accuracy, 66.67);
  assert.equal(j["avg_duration"], 1.001);
  assert.equal(j.complete, true);
});

Deno.test("MetricsRegistry.json() reports 0 accuracy when every question errored", () => {
  const r = new MetricsRegistry({ model: "m", total: 2 });
  r.result(result("error"));
  r.result(result("error"));
  const j = r.json();
  assert.ok(!("status" in j));
  assert.equal(j.accuracy, 0);
  assert.equal(j["error_rate"], 100);
  assert.equal(j.failed, 2);
});

Deno.test("MetricsRegistry.prometheus() escapes quotes, backslashes and newlines in model labels", () => {
  const model = 'evil"model\\x\nnext{a="b"}';
  const r = new MetricsRegistry({ model, total: 1 });
  r.result(result("correct", { model }));
  const expected =
    'llm_bench_questions_total{model="evil\\"model\\\\x\\nnext{a=\\"b\\"}",status="correct"} 1';
  for (const format of ["text", "openmetrics"] as const) {
    const text = r.prometheus(format);
    assert.ok(text.split("\n").includes(expected), `${format}:\n${text}`);
    // No raw newline from the label may split a sample line.
    assert.ok(!text.split("\n").some((l) => l.startsWith("next")));
  }
  assert.equal(escapeLabelValue("plain"), "plain");
});

Deno.test("MetricsRegistry.prometheus() renders a cumulative histogram with _count and _sum", () => {
  const r = new MetricsRegistry({ model: "m", total: 4 });
  for (const ms of [30, 700, 3000, 200_000]) {
    r.requestStarted();
    r.requestFinished(ms);
  }
  const text = r.prometheus("text");
  const bucket = (le: string) =>
    sampleValue(
      text,
      `llm_bench_request_duration_seconds_bucket{model="m",le="${le}"}`,
    );
  assert.equal(bucket("0.05"), 1);
  assert.equal(bucket("0.5"), 1);
  assert.equal(bucket("1.0"), 2);
  assert.equal(bucket("2.5"), 2);
  assert.equal(bucket("5.0"), 3);
  assert.equal(bucket("120.0"), 3);
  assert.equal(bucket("+Inf"), 4);
  assert.equal(
    sampleValue(text, 'llm_bench_request_duration_seconds_count{model="m"}'),
    4,
  );
  assert.equal(
    sampleValue(text, 'llm_bench_request_duration_seconds_sum{model="m"}'),
    203.73,
  );
  assert.equal(sampleValue(text, "llm_bench_in_flight_requests"), 0);
});

Deno.test("MetricsRegistry.prometheus() names counters per format", async (t) => {
  const r = new MetricsRegistry({ model: "m", total: 4 });
  r.retry("rate_limited");
  r.result(result("error", { errorKind: "rate_limited" }));
  r.result(result("correct"));
  r.tokens(50, 2e9);
  r.tokens(50, 2e9);
  await t.step("text 0.0.4 keeps _total in TYPE and has no EOF", () => {
    const text = r.prometheus("text");
    assert.match(text, /^# TYPE llm_bench_questions_total counter$/m);
    assert.match(
      text,
      /^# TYPE llm_bench_request_duration_seconds histogram$/m,
    );
    assert.ok(!text.includes("# EOF"));
    assert.ok(text.endsWith("\n"));
    assert.equal(
      sampleValue(
        text,
        'llm_bench_retries_total{model="m",kind="rate_limited"}',
      ),
      1,
    );
    // One retried attempt plus the final failed one.
    assert.equal(
      sampleValue(
        text,
        'llm_bench_request_errors_total{model="m",kind="rate_limited"}',
      ),
      2,
    );
    assert.equal(
      sampleValue(text, 'llm_bench_questions_total{model="m",status="error"}'),
      1,
    );
    assert.equal(
      sampleValue(
        text,
        'llm_bench_questions_total{model="m",status="skipped"}',
      ),
      0,
    );
    assert.equal(sampleValue(text, 'llm_bench_accuracy_ratio{model="m"}'), 1);
    assert.equal(sampleValue(text, "llm_bench_progress_ratio"), 0.5);
    assert.equal(sampleValue(text, "llm_bench_questions_planned"), 4);
    assert.equal(
      sampleValue(text, 'llm_bench_tokens_per_second{model="m"}'),
      25,
    );
    assert.equal(
      sampleValue(text, 'llm_bench_eval_tokens_total{model="m"}'),
      100,
    );
  });
  await t.step(
    "OpenMetrics drops _total from counter TYPE and ends with # EOF",
    () => {
      const text = r.prometheus("openmetrics");
      assert.match(text, /^# TYPE llm_bench_questions counter$/m);
      assert.match(text, /^# TYPE llm_bench_eval_tokens counter$/m);
      assert.ok(!/^# TYPE \S+_total /m.test(text));
      assert.match(text, /^llm_bench_questions_total\{/m);
      assert.ok(text.endsWith("# EOF\n"));
    },
  );
  assert.match(PROMETHEUS_TEXT_CONTENT_TYPE, /^text\/plain; version=0\.0\.4/);
  assert.match(
    OPENMETRICS_CONTENT_TYPE,
    /^application\/openmetrics-text; version=1\.0\.0/,
  );
});

Deno.test("MetricsRegistry keeps series per model after setModel()", () => {
  const r = new MetricsRegistry({ model: "a", total: 4 });
  r.result(result("correct", { model: "a" }));
  r.setModel("b");
  r.retry("timeout");
  r.result(result("wrong", { model: "b" }));
  const text = r.prometheus("text");
  assert.equal(
    sampleValue(text, 'llm_bench_questions_total{model="a",status="correct"}'),
    1,
  );
  assert.equal(
    sampleValue(text, 'llm_bench_questions_total{model="b",status="wrong"}'),
    1,
  );
  assert.equal(
    sampleValue(text, 'llm_bench_retries_total{model="b",kind="timeout"}'),
    1,
  );
  assert.equal(
    sampleValue(text, 'llm_bench_retries_total{model="a",kind="timeout"}'),
    undefined,
  );
  const j = r.json();
  assert.ok(!("status" in j));
  assert.equal(j.model, "b");
  assert.equal(j.accuracy, 0);
  const snap = r.snapshot();
  assert.equal(snap.done, 2);
  assert.deepEqual(snap.models.map((m) => [m.name, m.accuracy]), [["a", 1], [
    "b",
    0,
  ]]);
});

Deno.test("MetricsRegistry.snapshot() reports progress, rate, ETA and subjects", () => {
  let now = 1_000_000;
  const r = new MetricsRegistry({ model: "m", total: 10, now: () => now });
  assert.equal(r.snapshot()["eta_seconds"], null);
  now += 2000;
  r.result(result("correct", { subject: "zoology" }));
  r.result(result("correct", { subject: "anatomy" }));
  r.result(result("wrong", { subject: "anatomy" }));
  r.result(result("error", { subject: "anatomy", errorKind: "http_5xx" }));
  r.retry("http_5xx");
  for (const ms of [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]) {
    r.requestStarted();
    r.requestFinished(ms);
  }
  r.requestStarted();
  let s = r.snapshot();
  assert.equal(s.done, 4);
  assert.equal(s.progress, 0.4);
  assert.equal(s.qps, 2);
  assert.equal(s["eta_seconds"], 3);
  assert.equal(s["in_flight"], 1);
  assert.deepEqual(s.latency, { count: 10, p50: 500, p90: 900 });
  assert.deepEqual(s.subjects.map((g) => g.name), ["anatomy", "zoology"]);
  const anatomy = s.subjects[0];
  assert.equal(anatomy?.accuracy, 0.5);
  assert.equal(anatomy?.errors, 1);
  assert.deepEqual(anatomy?.ci95, wilson(1, 2));
  assert.equal(s.overall.accuracy, 2 / 3);
  assert.deepEqual(s["errors_by_kind"], { "http_5xx": 1 });
  assert.deepEqual(s["retries_by_kind"], { "http_5xx": 1 });
  assert.equal(s.complete, false);
  r.finish();
  s = r.snapshot();
  assert.equal(s.complete, true);
  assert.equal(s["eta_seconds"], 0);
});

Deno.test("the live accuracy interval is the textbook Wilson interval", () => {
  const ci = wilson(8, 10);
  assert.ok(ci);
  assert.ok(Math.abs(ci[0] - 0.4902) < 1e-4, String(ci[0]));
  assert.ok(Math.abs(ci[1] - 0.9433) < 1e-4, String(ci[1]));
  assert.equal(wilson(0, 0), null);
  assert.deepEqual(wilson(0, 5)?.[0], 0);
});

Deno.test("MetricsRegistry.json() reports the current model against its own plan, and the run's beside it", () => {
  let now = 0;
  const r = new MetricsRegistry({
    model: "a",
    models: ["a", "b"],
    total: 8,
    now: () => now,
  });
  r.setModel("a", { questions: 4, subjects: { anatomy: 4 } });
  for (let i = 0; i < 4; i++) r.result(result("correct", { model: "a" }));
  r.setModel("b", { questions: 4, subjects: { anatomy: 4 } });
  r.result(result("wrong", { model: "b" }));
  now = 1000;
  const j = r.json();
  assert.ok("total" in j);
  // Model 2 of 2: one of its four lines done, five of the run's eight.
  assert.equal(j.model, "b");
  assert.equal(j.total, 1);
  assert.equal(j.planned, 4);
  assert.equal(j["model_index"], 2);
  assert.equal(j["model_count"], 2);
  assert.equal(j["run_done"], 5);
  assert.equal(j["run_planned"], 8);
  const snap = r.snapshot();
  assert.equal(snap["model_index"], 2);
  assert.equal(snap["model_planned"], 4);
  assert.equal(snap["model_done"], 1);
  assert.deepEqual(
    snap.subjects.map((g) => [g.name, g.planned, g.wrong]),
    [["anatomy", 4, 1]],
  );
});

Deno.test("MetricsRegistry.snapshot() lists planned subjects before their first result", () => {
  const r = new MetricsRegistry({ model: "m", total: 5 });
  r.setModel("m", { questions: 5, subjects: { anatomy: 2, virology: 3 } });
  r.result(result("correct", { subject: "anatomy" }));
  const rows = r.snapshot().subjects;
  assert.deepEqual(rows.map((g) => [g.name, g.planned, g.correct]), [
    ["anatomy", 2, 1],
    ["virology", 3, 0],
  ]);
});

Deno.test("MetricsRegistry.snapshot() freezes rate and elapsed time once the run is complete", () => {
  let now = 0;
  const r = new MetricsRegistry({ model: "m", total: 2, now: () => now });
  now = 1000;
  r.result(result("correct"));
  now = 2000;
  r.result(result("correct"));
  r.finish("/tmp/run/report.html");
  const done = r.snapshot();
  now = 60_000;
  const later = r.snapshot();
  assert.equal(later["elapsed_seconds"], done["elapsed_seconds"]);
  assert.equal(later["elapsed_seconds"], 2);
  assert.equal(later.qps, done.qps);
  assert.ok(later.qps > 0);
  assert.equal(later.complete, true);
  assert.equal(later.report, true);
  assert.equal(r.reportPath, "/tmp/run/report.html");
});

Deno.test("MetricsRegistry leaves answers from the response cache out of latency figures", () => {
  const r = new MetricsRegistry({ model: "m", total: 10 });
  r.requestStarted();
  r.requestFinished(1000);
  r.result(result("correct", { latencyMs: 1000 }));
  for (let i = 0; i < 3; i++) {
    r.requestStarted();
    r.requestFinished(1, true);
    r.result({ ...result("correct", { latencyMs: 1 }), cached: true });
  }
  const json = r.json();
  assert.ok("total" in json);
  assert.equal(json.total, 4);
  assert.equal(json["avg_duration_ms"], 1000);
  assert.equal(json["in_flight"], 0);
  const s = r.snapshot();
  assert.deepEqual(s.latency, { count: 1, p50: 1000, p90: 1000 });
  const text = r.prometheus("text");
  assert.equal(
    sampleValue(text, 'llm_bench_request_duration_seconds_count{model="m"}'),
    1,
  );
});

Deno.test("MetricsRegistry counts results kept by --resume as done but not towards questions/s and ETA", () => {
  let now = 0;
  const r = new MetricsRegistry({ model: "m", total: 1000, now: () => now });
  for (let i = 0; i < 500; i++) r.result(result("correct"), true);
  now += 10_000;
  for (let i = 0; i < 10; i++) r.result(result("correct"));
  const s = r.snapshot();
  assert.equal(s.done, 510);
  assert.equal(s.qps, 1);
  assert.equal(s["eta_seconds"], 490);
});
