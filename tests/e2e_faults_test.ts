// End-to-end fault handling: the real CLI against the fake Ollama with
// scripted faults (Ollama's stream format, errors, queueing). Each transient
// fault is retried and the final numbers equal the truth; permanent failures
// become `error` results; a missing model and a hopeless server stop the run
// with a message.

import assert from "node:assert/strict";
import { join } from "node:path";
import { type Fault, startFakeOllama } from "./fake_ollama.ts";
import {
  askedCounts,
  jsonReplies,
  markerOf,
  questionFor,
  quietArgs,
  readLog,
  readResults,
  readSummaryFile,
  runCli,
  seededRandom,
  STACK_TRACE_REGEXP,
  tempDir,
  truth,
  writeDataset,
} from "./cli_helper.ts";

const RETRY_CASES: Array<{ fault: Fault; kind: string; reason: RegExp }> = [
  {
    fault: "500",
    kind: "http_5xx",
    reason: /model runner has unexpectedly stopped/,
  },
  { fault: "503", kind: "busy", reason: /server busy/ },
  { fault: "reset", kind: "network", reason: /./ },
  // stream:false: the fake (like Ollama) answers 500 with the error body.
  { fault: "midstream_error", kind: "http_5xx", reason: /unexpected EOF/ },
  { fault: "no_done", kind: "incomplete", reason: /done: true/ },
  { fault: "malformed_json", kind: "malformed", reason: /malformed JSON/ },
];

Deno.test("llm-bench retries each transient fault and still scores every question exactly", async (t) => {
  for (const c of RETRY_CASES) {
    await t.step(`fault ${c.fault}`, async () => {
      await using tmp = await tempDir();
      const data = join(tmp.path, "data");
      const questions = await writeDataset(data, ["anatomy"], 6);
      // Odd questions fail once, then answer.
      const faulted = (n: number) => n % 2 === 1;
      await using fake = await startFakeOllama({
        parallel: 2,
        reply: jsonReplies(questions),
        fault: (req, attempt) => {
          const q = questionFor(req, questions);
          return q && faulted(q.n) && attempt === 1 ? c.fault : null;
        },
      });
      const r = await runCli([
        ...quietArgs(data, fake.url, join(tmp.path, "out")),
        "--concurrency",
        "2",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const dir = join(tmp.path, "out", "run");
      const results = await readResults(dir);
      const summary = await readSummaryFile(dir);
      const want = truth(questions);
      assert.equal(results.length, 6);
      assert.equal(new Set(results.map((x) => x.id)).size, 6);
      assert.equal(summary.complete, true);
      assert.equal(summary.counts.correct, want.correct);
      assert.equal(summary.counts.errors, 0);
      assert.equal(summary.accuracy, want.accuracy);
      assert.equal(summary.retries, 3);
      for (const res of results) {
        const q = questions.find((x) => x.marker === markerOf(res, questions))!;
        assert.equal(res.attempts, faulted(q.n) ? 2 : 1, res.id);
        assert.equal(res.predicted, q.reply, res.id);
      }
      const retries = (await readLog(dir)).filter((l) =>
        l.event === "request_retry"
      );
      assert.equal(retries.length, 3);
      for (const l of retries) {
        assert.equal(l.kind, c.kind);
        assert.equal(l.attempt, 1);
        assert.match(String(l.reason), c.reason);
        assert.equal(typeof l["wait_ms"], "number");
      }
    });
  }
});

Deno.test("llm-bench times out a stall after --request-timeout but waits --first-request-timeout for the first answer", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy"], 4);
  // Questions 1 (the first request: model loading) and 3 stall for 700 ms.
  await using fake = await startFakeOllama({
    reply: jsonReplies(questions),
    stallMs: 700,
    fault: (req, attempt) => {
      const q = questionFor(req, questions);
      return q && (q.n === 1 || q.n === 3) && attempt === 1 ? "stall" : null;
    },
  });
  const r = await runCli([
    ...quietArgs(data, fake.url, join(tmp.path, "out")),
    "--concurrency",
    "1",
    "--request-timeout",
    "0.25",
    "--first-request-timeout",
    "3",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const dir = join(tmp.path, "out", "run");
  const byMarker = new Map(
    (await readResults(dir)).map((x) => [markerOf(x, questions), x]),
  );
  assert.equal(byMarker.size, 4);
  assert.equal(
    byMarker.get("[anatomy#1]")?.attempts,
    1,
    "the first answer may take --first-request-timeout",
  );
  assert.equal(
    byMarker.get("[anatomy#3]")?.attempts,
    2,
    "a later stall is cut at --request-timeout",
  );
  const retries = (await readLog(dir)).filter((l) =>
    l.event === "request_retry"
  );
  assert.equal(retries.length, 1);
  assert.equal(retries[0]!.kind, "timeout");
  const summary = await readSummaryFile(dir);
  assert.equal(summary.accuracy, truth(questions).accuracy);
});

Deno.test("llm-bench stops early when the model is removed mid-run and says to pull it", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy"], 10);
  let answered = 0;
  const holder: { remove?: () => void } = {};
  const reply = jsonReplies(questions);
  await using fake = await startFakeOllama({
    reply: (req) => {
      answered++;
      if (answered === 4) holder.remove?.();
      return reply(req);
    },
  });
  holder.remove = () => fake.removeModel("llama3.2");
  const r = await runCli([
    ...quietArgs(data, fake.url, join(tmp.path, "out")),
    "--model",
    "llama3.2",
    "--concurrency",
    "1",
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /ollama pull llama3\.2/);
  assert.match(r.stderr, /--resume/);
  assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
  const dir = join(tmp.path, "out", "run");
  const results = await readResults(dir);
  const summary = await readSummaryFile(dir);
  assert.equal(results.length, 4);
  assert.ok(
    results.every((x) => x.status === "correct" || x.status === "wrong"),
  );
  assert.equal(summary.complete, false);
  assert.equal(summary.counts.total, 4);
  // The 404 is never retried; at most the question that already held the
  // freed permit is sent after it.
  assert.ok(
    fake.requests.length >= 5 && fake.requests.length <= 6,
    `${fake.requests.length} requests`,
  );
});

Deno.test("llm-bench survives a seeded fault storm with exact accuracy, one line per question and counted retries", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, [
    "anatomy",
    "astronomy",
    "virology",
  ], 14);
  const kinds: Fault[] = [
    "500",
    "503",
    "reset",
    "stall",
    "midstream_error",
    "no_done",
    "malformed_json",
  ];
  const random = seededRandom(20240601);
  const plan = new Map<string, Fault[]>();
  for (const q of questions) {
    const n = Math.floor(random() * 3); // 0, 1 or 2 failed attempts
    plan.set(
      q.marker,
      Array.from(
        { length: n },
        () => kinds[Math.floor(random() * kinds.length)]!,
      ),
    );
  }
  const failures = [...plan.values()].reduce((s, f) => s + f.length, 0);
  assert.ok(failures > 20, "the storm is a storm");
  await using fake = await startFakeOllama({
    parallel: 4,
    stallMs: 5_000,
    reply: jsonReplies(questions),
    fault: (req, attempt) => {
      const q = questionFor(req, questions);
      return q ? plan.get(q.marker)![attempt - 1] ?? null : null;
    },
  });
  // Not --quiet: the console must stay readable.
  const r = await runCli([
    data,
    "--base-url",
    fake.url,
    "--output-dir",
    join(tmp.path, "out"),
    "--run-id",
    "storm",
    "--metrics-port",
    "off",
    "--concurrency",
    "8",
    "--request-timeout",
    "0.3",
    "--first-request-timeout",
    "0.3",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const dir = join(tmp.path, "out", "storm");
  const results = await readResults(dir);
  const summary = await readSummaryFile(dir);
  const want = truth(questions);
  assert.equal(results.length, questions.length);
  assert.equal(new Set(results.map((x) => x.id)).size, questions.length);
  assert.equal(summary.counts.total, questions.length);
  assert.equal(summary.counts.correct, want.correct);
  assert.equal(summary.counts.wrong, want.wrong);
  assert.equal(summary.counts.errors, 0);
  assert.equal(summary.accuracy, want.accuracy);
  assert.equal(summary.complete, true);
  assert.equal(summary.retries, failures);
  for (const res of results) {
    assert.equal(
      res.attempts,
      plan.get(markerOf(res, questions))!.length + 1,
      res.id,
    );
  }
  // The fake saw every question exactly failures + 1 times.
  const asked = askedCounts(fake.requests, questions);
  for (const q of questions) {
    assert.equal(asked.get(q.marker), plan.get(q.marker)!.length + 1, q.marker);
  }

  const retries = (await readLog(dir)).filter((l) =>
    l.event === "request_retry"
  );
  assert.equal(retries.length, failures);
  for (const l of retries) {
    assert.ok(
      typeof l.attempt === "number" && l.attempt >= 1 && l.attempt <= 2,
    );
    assert.equal(typeof l.kind, "string");
    assert.equal(typeof l.reason, "string");
    assert.ok(typeof l["wait_ms"] === "number" && l["wait_ms"] >= 0);
  }
  assert.ok(
    r.stderr.split("\n").filter((l) => l.trim() !== "").length < failures / 2,
    `stderr is flooded:\n${r.stderr}`,
  );
});

Deno.test("llm-bench records a question that fails past --max-retries as an error and goes on", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy"], 6);
  const broken = new Set(["[anatomy#2]", "[anatomy#5]"]);
  await using fake = await startFakeOllama({
    parallel: 2,
    reply: jsonReplies(questions),
    fault: (req) =>
      broken.has(questionFor(req, questions)?.marker ?? "") ? "500" : null,
  });
  const r = await runCli([
    ...quietArgs(data, fake.url, join(tmp.path, "out")),
    "--max-retries",
    "2",
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
  const dir = join(tmp.path, "out", "run");
  const results = await readResults(dir);
  const summary = await readSummaryFile(dir);
  assert.equal(results.length, 6);
  for (const res of results) {
    const marker = markerOf(res, questions);
    if (broken.has(marker)) {
      assert.equal(res.status, "error");
      assert.equal(res["error_kind"], "http_5xx");
      assert.match(String(res.reason), /model runner has unexpectedly stopped/);
      assert.equal(res.attempts, 3);
      assert.equal(res.predicted, null);
    } else {
      assert.notEqual(res.status, "error");
      assert.equal(res.attempts, 1);
    }
  }
  const healthy = questions.filter((q) => !broken.has(q.marker));
  assert.equal(summary.counts.errors, 2);
  assert.deepEqual(summary["errors_by_kind"], { "http_5xx": 2 });
  assert.equal(summary.counts.correct, truth(healthy).correct);
  assert.equal(summary.accuracy, truth(healthy).accuracy);
  assert.equal(summary.complete, true);
  assert.equal(summary.retries, 4);
});

Deno.test("llm-bench opens the circuit breaker on a hopeless server, says why and writes the summary", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  await writeDataset(data, ["anatomy"], 20);
  await using fake = await startFakeOllama({ fault: () => "500" });
  const r = await runCli([
    ...quietArgs(data, fake.url, join(tmp.path, "out")),
    "--concurrency",
    "1",
    "--max-retries",
    "0",
    "--max-consecutive-failures",
    "3",
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /3 questions in a row failed/);
  assert.match(r.stderr, /--max-consecutive-failures 3/);
  assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
  const dir = join(tmp.path, "out", "run");
  const results = await readResults(dir);
  const summary = await readSummaryFile(dir);
  assert.equal(summary.complete, false);
  assert.equal(summary.counts.total, results.length);
  assert.equal(summary.counts.errors, results.length);
  // The next question may already hold the freed permit; nothing after it is asked.
  assert.ok(
    results.length >= 3 && results.length <= 4,
    `${results.length} results`,
  );
  assert.ok(fake.requests.length <= 4, `${fake.requests.length} requests`);
});
