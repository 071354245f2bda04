// End-to-end crash safety: results.jsonl grows one line per finished
// question, a kill -9 loses nothing finished, `--resume RUN_DIR` asks only
// the rest (torn last line repaired), refuses a changed dataset or prompt,
// and `--retry-errors` re-asks the questions that ended in error.

import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeOllama } from "./fake_ollama.ts";
import {
  askedCounts,
  completeLines,
  type GeneratedQuestion,
  jsonReplies,
  markerOf,
  questionFor,
  quietArgs,
  readResults,
  readSummaryFile,
  runCli,
  spawnSlowRun,
  STACK_TRACE_REGEXP,
  tempDir,
  truth,
  waitUntil,
  writeDataset,
} from "./cli_helper.ts";

async function fullRunSummary(
  data: string,
  questions: GeneratedQuestion[],
  out: string,
) {
  await using fake = await startFakeOllama({
    parallel: 2,
    reply: jsonReplies(questions),
  });
  const r = await runCli([
    ...quietArgs(data, fake.url, out),
    "--concurrency",
    "2",
  ]);
  assert.equal(r.code, 0, r.stderr);
  return await readSummaryFile(join(out, "run"));
}

Deno.test("llm-bench --resume after kill -9 asks only unfinished questions and matches an uninterrupted run", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, [
    "anatomy",
    "astronomy",
    "virology",
  ], 8);
  const out = join(tmp.path, "out");
  const dir = join(out, "run");
  const resultsPath = join(dir, "results.jsonl");

  let first: Awaited<ReturnType<typeof readResults>>;
  {
    await using slow = await spawnSlowRun({
      data,
      out,
      questions,
      parallel: 2,
      serviceMs: 60,
      concurrency: 2,
    });
    const { child, output } = slow;
    const seen = new Set<number>();
    await waitUntil(async () => {
      const n = await completeLines(resultsPath);
      if (n > 0) seen.add(n);
      return n >= 12;
    }, "half of results.jsonl");
    child.kill("SIGKILL");
    const status = await child.status;
    await output.done;
    assert.equal(status.signal, "SIGKILL");
    // Lines appeared one by one while the run went on, not at the end.
    assert.ok(seen.size >= 3, `line counts seen: ${[...seen].join(", ")}`);
    first = await readResults(dir);
    assert.ok(
      first.length >= 12 && first.length < questions.length,
      `${first.length} lines`,
    );
  }
  const finished = new Set(first.map((x) => markerOf(x, questions)));

  await using fake = await startFakeOllama({
    parallel: 2,
    reply: jsonReplies(questions),
  });
  const r = await runCli(["--resume", dir, "--base-url", fake.url]);
  assert.equal(r.code, 0, r.stderr);
  const results = await readResults(dir);
  assert.equal(results.length, questions.length);
  assert.equal(new Set(results.map((x) => x.id)).size, questions.length);
  const asked = askedCounts(fake.requests, questions);
  for (const m of asked.keys()) {
    assert.ok(!finished.has(m), `${m} was asked again`);
  }
  assert.equal(asked.size, questions.length - finished.size);
  assert.ok([...asked.values()].every((n) => n === 1));

  const summary = await readSummaryFile(dir);
  assert.equal(summary.complete, true);
  assert.equal(summary.accuracy, truth(questions).accuracy);
  const whole = await fullRunSummary(data, questions, join(tmp.path, "whole"));
  assert.deepEqual(summary.counts, whole.counts);
  assert.equal(summary.accuracy, whole.accuracy);
  assert.deepEqual(summary.subjects, whole.subjects);
});

Deno.test("llm-bench --resume repairs a torn last line of results.jsonl and re-asks that question", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy"], 8);
  const out = join(tmp.path, "out");
  const dir = join(out, "run");
  {
    // A model removed after 4 answers stops the run with partial results.
    let answered = 0;
    const holder: { remove?: () => void } = {};
    const reply = jsonReplies(questions);
    await using fake = await startFakeOllama({
      reply: (req) => {
        if (++answered === 4) holder.remove?.();
        return reply(req);
      },
    });
    holder.remove = () => fake.removeModel("llama3.2:latest");
    const r = await runCli([
      ...quietArgs(data, fake.url, out),
      "--concurrency",
      "1",
    ]);
    assert.equal(r.code, 1, r.stderr);
  }
  const path = join(dir, "results.jsonl");
  const lines = (await Deno.readTextFile(path)).split("\n").filter((l) =>
    l !== ""
  );
  assert.equal(lines.length, 4);
  const last = lines[3]!;
  const tornMarker = markerOf(JSON.parse(last), questions);
  // The last write was cut half way: no newline, half a JSON object.
  await Deno.writeTextFile(
    path,
    lines.slice(0, 3).join("\n") + "\n" + last.slice(0, last.length >> 1),
  );

  await using fake = await startFakeOllama({ reply: jsonReplies(questions) });
  const r = await runCli(["--resume", dir, "--base-url", fake.url]);
  assert.equal(r.code, 0, r.stderr);
  const text = await Deno.readTextFile(path);
  assert.ok(text.endsWith("\n"));
  const results = text.split("\n").filter((l) => l !== "").map((l) =>
    JSON.parse(l)
  );
  assert.equal(results.length, 8);
  assert.equal(new Set(results.map((x) => x.id)).size, 8);
  const asked = askedCounts(fake.requests, questions);
  assert.equal(asked.get(tornMarker), 1, "the torn question is asked again");
  assert.equal(asked.size, 5);
  const summary = await readSummaryFile(dir);
  assert.equal(summary.complete, true);
  assert.equal(summary.accuracy, truth(questions).accuracy);
});

Deno.test("llm-bench --resume refuses a changed dataset or prompt option unless --force", async (t) => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy"], 4);
  await using fake = await startFakeOllama({
    models: [{ name: "llama3.2:latest" }, { name: "other:latest" }],
    reply: jsonReplies(questions),
  });
  let runs = 0;
  const finishedRun = async () => {
    const out = join(tmp.path, `out${++runs}`);
    const r = await runCli(quietArgs(data, fake.url, out));
    assert.equal(r.code, 0, r.stderr);
    return join(out, "run");
  };
  const refused = async (dir: string, extra: string[], why: RegExp) => {
    const before = await Deno.readTextFile(join(dir, "results.jsonl"));
    const sent = fake.requests.length;
    const r = await runCli(["--resume", dir, "--base-url", fake.url, ...extra]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, why);
    assert.match(r.stderr, /--force/);
    assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
    assert.equal(fake.requests.length, sent, "nothing is asked");
    assert.equal(await Deno.readTextFile(join(dir, "results.jsonl")), before);
  };

  await t.step("an edited CSV", async () => {
    const dir = await finishedRun();
    const csv = join(data, "anatomy_test.csv");
    const original = await Deno.readTextFile(csv);
    try {
      await Deno.writeTextFile(csv, original + "Extra question?,a,b,c,d,B\n");
      await refused(dir, [], /dataset changed.*anatomy_test\.csv/);
      const forced = await runCli([
        "--resume",
        dir,
        "--base-url",
        fake.url,
        "--force",
      ]);
      assert.equal(forced.code, 0, forced.stderr);
      const results = await readResults(dir);
      assert.equal(results.length, 5);
      assert.equal(new Set(results.map((x) => x.id)).size, 5);
    } finally {
      await Deno.writeTextFile(csv, original);
    }
  });
  await t.step("--mode cot", async () => {
    await refused(await finishedRun(), ["--mode", "cot"], /mode/);
  });
  await t.step("--model other", async () => {
    await refused(await finishedRun(), ["--model", "other"], /models/);
  });
});

Deno.test("llm-bench --resume --retry-errors re-asks only the questions that ended in error", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy", "virology"], 5);
  const broken = new Set(["[anatomy#2]", "[virology#4]", "[virology#5]"]);
  const out = join(tmp.path, "out");
  const dir = join(out, "run");
  {
    await using flaky = await startFakeOllama({
      reply: jsonReplies(questions),
      fault: (req) =>
        broken.has(questionFor(req, questions)?.marker ?? "") ? "500" : null,
    });
    const r = await runCli([
      ...quietArgs(data, flaky.url, out),
      "--max-retries",
      "0",
    ]);
    assert.equal(r.code, 1, r.stderr);
    const s = await readSummaryFile(dir);
    assert.equal(s.counts.errors, 3);
  }
  await using fake = await startFakeOllama({ reply: jsonReplies(questions) });
  const r = await runCli([
    "--resume",
    dir,
    "--base-url",
    fake.url,
    "--retry-errors",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const results = await readResults(dir);
  assert.equal(results.length, questions.length);
  assert.equal(new Set(results.map((x) => x.id)).size, questions.length);
  assert.ok(results.every((x) => x.status !== "error"));
  assert.deepEqual(
    new Set(askedCounts(fake.requests, questions).keys()),
    broken,
  );
  const summary = await readSummaryFile(dir);
  assert.equal(summary.counts.errors, 0);
  assert.equal(summary.complete, true);
  assert.equal(summary.accuracy, truth(questions).accuracy);
});

Deno.test("llm-bench --resume of a multi-model run leaves a model that had finished as it was", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy", "virology"], 4);
  await using fake = await startFakeOllama({
    models: [{ name: "llama3.2:latest" }, { name: "qwen3:latest" }],
    serviceMs: 20,
    reply: jsonReplies(questions),
  });
  const out = join(tmp.path, "out");
  const first = await runCli([
    ...quietArgs(data, fake.url, out),
    "--model",
    "llama3.2,qwen3",
  ]);
  assert.equal(first.code, 0, first.stderr);
  const dir = join(out, "run");
  const llama = await readSummaryFile(join(dir, "llama3.2"));
  const qwen = await readSummaryFile(join(dir, "qwen3"));
  // Each model's start and wall time are its own.
  assert.ok(qwen["started_at"] >= llama["finished_at"]!);
  // As a kill -9 during the second model leaves the run folder.
  const before = await Deno.readTextFile(
    join(dir, "llama3.2", "summary.json"),
  );
  await Deno.remove(join(dir, "qwen3", "summary.json"));
  const lines = (await Deno.readTextFile(join(dir, "qwen3", "results.jsonl")))
    .split("\n").slice(0, 3).join("\n") + "\n";
  await Deno.writeTextFile(join(dir, "qwen3", "results.jsonl"), lines);

  const resumed = await runCli(["--resume", dir, "--quiet"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(
    await Deno.readTextFile(join(dir, "llama3.2", "summary.json")),
    before,
    "the finished model's summary is unchanged",
  );
  const after = await readSummaryFile(join(dir, "qwen3"));
  assert.equal(after.complete, true);
  assert.equal(after.counts.total, questions.length);
  assert.equal(
    (await readResults(join(dir, "qwen3"))).length,
    questions.length,
  );
});

Deno.test("llm-bench --resume refuses a model re-pulled since the run started unless --force", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy", "virology"], 4);
  const out = join(tmp.path, "out");
  const dir = join(out, "run");
  {
    await using before = await startFakeOllama({
      models: [{ name: "llama3.2:latest", digest: "a".repeat(64) }],
      reply: jsonReplies(questions),
    });
    const r = await runCli(quietArgs(data, before.url, out));
    assert.equal(r.code, 0, r.stderr);
  }
  // As an interrupt after three answers leaves the folder.
  const path = join(dir, "results.jsonl");
  const lines = (await Deno.readTextFile(path)).split("\n").slice(0, 3);
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  const summaryPath = join(dir, "summary.json");
  const summary = JSON.parse(await Deno.readTextFile(summaryPath));
  summary.complete = false;
  await Deno.writeTextFile(summaryPath, JSON.stringify(summary));

  await using pulled = await startFakeOllama({
    models: [{ name: "llama3.2:latest", digest: "b".repeat(64) }],
    reply: jsonReplies(questions),
  });
  const refused = await runCli(["--resume", dir, "--base-url", pulled.url]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(
    refused.stderr,
    /llama3\.2(:latest)? changed since the run started \(digest aaaaaaaaaaaa is now bbbbbbbbbbbb/,
  );
  assert.equal((await readResults(dir)).length, 3, "nothing asked");
  const forced = await runCli([
    "--resume",
    dir,
    "--base-url",
    pulled.url,
    "--force",
  ]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal((await readResults(dir)).length, questions.length);
});
