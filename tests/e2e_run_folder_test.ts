// End-to-end ownership of a run folder: one process writes it at a time (a
// second is refused, naming the first; a lock left by kill -9 is taken
// over), a complete run is left untouched by --resume, and a run that cannot
// reach its server leaves no folder behind and says what to do.

import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeOllama } from "./fake_ollama.ts";
import {
  askedCounts,
  collectOutput,
  completeLines,
  jsonReplies,
  listFiles,
  pathExists,
  quietArgs,
  readResults,
  readSummaryFile,
  runCli,
  spawnCli,
  spawnSlowRun,
  STACK_TRACE_REGEXP,
  tempDir,
  truth,
  waitForResults,
  waitUntil,
  writeDataset,
} from "./cli_helper.ts";

function assertEachOnce(results: { id: string; repeat: number }[]): void {
  const keys = results.map((r) => `${r.id}#${r.repeat}`);
  assert.equal(new Set(keys).size, keys.length, "no question twice");
}

Deno.test("a second process (resume, the same --run-id, report) on a running run folder is refused and nothing is double-counted", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy", "virology"], 15);
  const out = join(tmp.path, "out");
  const dir = join(out, "twice");
  // Slow until the other processes were refused, so the first is running.
  let released = false;
  await using run = await spawnSlowRun({
    data,
    out,
    questions,
    parallel: 1,
    serviceMs: () => released ? 5 : 400,
    concurrency: 1,
    runId: "twice",
  });
  const { fake, child: first, output } = run;
  await waitForResults(dir, 2);
  for (
    const args of [
      ["--resume", dir, "--base-url", fake.url, "--quiet"],
      quietArgs(data, fake.url, out, "twice"),
      ["report", dir],
    ]
  ) {
    const second = await runCli(args);
    assert.equal(second.code, 2, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(
        `another llm-bench \\(pid ${first.pid} on host \\S+, started `,
      ),
    );
    assert.doesNotMatch(second.stderr, STACK_TRACE_REGEXP);
    // Once a single 250-character line; it is read in a terminal.
    for (const line of second.stderr.split("\n")) {
      assert.ok(line.length <= 120, `line fits a terminal: ${line}`);
    }
  }
  assert.ok(
    await completeLines(join(dir, "results.jsonl")) < questions.length,
    "the first run was still running",
  );
  released = true;
  const status = await first.status;
  const { stderr } = await output.done;
  assert.equal(status.code, 0, stderr);
  const results = await readResults(dir);
  assert.equal(results.length, questions.length);
  assertEachOnce(results);
  const summary = await readSummaryFile(dir);
  assert.equal(summary.complete, true);
  assert.equal(summary.counts.total, questions.length);
  assert.equal(summary.accuracy, truth(questions).accuracy);
  assert.ok(!(await pathExists(join(dir, "run.lock"))), "the lock is removed");
});

Deno.test("--resume takes over the lock of a run killed with kill -9", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy"], 12);
  const out = join(tmp.path, "out");
  const dir = join(out, "run");
  {
    await using slow = await spawnSlowRun({
      data,
      out,
      questions,
      parallel: 1,
      serviceMs: 60,
      concurrency: 1,
    });
    const { child, output } = slow;
    await waitForResults(dir, 3);
    child.kill("SIGKILL");
    await child.status;
    await output.done;
    assert.ok(await pathExists(join(dir, "run.lock")), "a stale lock is left");
  }
  await using fake = await startFakeOllama({ reply: jsonReplies(questions) });
  const r = await runCli(["--resume", dir, "--base-url", fake.url, "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /took over the lock of pid \d+ on host .*no longer running/,
  );
  const results = await readResults(dir);
  assert.equal(results.length, questions.length);
  assertEachOnce(results);
  assert.equal((await readSummaryFile(dir)).counts.total, questions.length);
});

Deno.test("--resume of a complete run reports it and changes no file", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy"], 5);
  const out = join(tmp.path, "out");
  const dir = join(out, "run");
  await using fake = await startFakeOllama({ reply: jsonReplies(questions) });
  const first = await runCli(quietArgs(data, fake.url, out));
  assert.equal(first.code, 0, first.stderr);
  const names = ["summary.json", "summary.md", "report.html", "results.jsonl"];
  const before = await Promise.all(
    names.map((n) => Deno.readTextFile(join(dir, n))),
  );
  const sent = fake.requests.length;
  const r = await runCli(["--resume", dir, "--base-url", fake.url, "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /already complete: nothing left to ask/);
  assert.equal(fake.requests.length, sent, "nothing is asked");
  const after = await Promise.all(
    names.map((n) => Deno.readTextFile(join(dir, n))),
  );
  assert.deepEqual(after, before);
});

Deno.test("--resume of a finished run whose summary.json is unreadable writes it again and asks nothing", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy"], 5);
  const out = join(tmp.path, "out");
  const dir = join(out, "run");
  await using fake = await startFakeOllama({ reply: jsonReplies(questions) });
  const first = await runCli(quietArgs(data, fake.url, out));
  assert.equal(first.code, 0, first.stderr);
  const asked = () =>
    fake.requests.filter((x) =>
      x.path === "/api/chat" || x.path === "/api/generate"
    ).length;
  const sent = asked();
  await Deno.writeTextFile(join(dir, "summary.json"), '{"complete": tr');
  const r = await runCli(["--resume", dir, "--base-url", fake.url, "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(asked(), sent, "nothing is asked again");
  const summary = await readSummaryFile(dir);
  assert.equal(summary.complete, true);
  assert.equal(summary.counts.total, questions.length);
  assert.equal((await readResults(dir)).length, questions.length);
});

Deno.test("a run whose server cannot be reached says what to do and leaves no folder", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  await writeDataset(data, ["anatomy"], 3);
  const closed = await startFakeOllama({});
  const url = closed.url;
  await closed.close();
  const out = join(tmp.path, "out");
  const r = await runCli([
    data,
    "--base-url",
    url,
    "--output-dir",
    out,
    "--metrics-port",
    "0",
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /Cannot reach Ollama/);
  assert.match(r.stderr, /--base-url URL \(or OLLAMA_BASE_URL=URL\)/);
  assert.match(r.stderr, /deno task demo/);
  assert.doesNotMatch(r.stderr, /metrics: http/);
  assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
  assert.ok(!(await pathExists(out)), "no results folder");
  // The runtime's "error sending request for url (…): client error
  // (Connect): tcp connect error: …" made a 219-character line.
  assert.doesNotMatch(r.stderr, /error sending request|os error/);
  assert.match(r.stderr, /Connection refused/);
  for (const line of r.stderr.split("\n")) {
    assert.ok(line.length <= 100, `line fits a terminal: ${line}`);
  }
});

/**
 * Runs `--model models` over four questions and checks that the model ran
 * once: the warning names `repeated`, one run folder holds each question
 * once, and the server was asked each question once.
 */
async function assertRunsOnce(models: string, repeated: string) {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy"], 4);
  await using fake = await startFakeOllama({ reply: jsonReplies(questions) });
  const out = join(tmp.path, "out");
  const r = await runCli([
    ...quietArgs(data, fake.url, out),
    "--model",
    models,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(
    r.stderr.includes(`"${repeated}" more than once; running it once`),
    r.stderr,
  );
  assert.deepEqual(await listFiles(out).then(topFolders), ["run"]);
  const results = await readResults(join(out, "run"));
  assert.equal(results.length, questions.length);
  assertEachOnce(results);
  const asked = askedCounts(fake.requests, questions);
  assert.equal(asked.size, questions.length);
  assert.ok([...asked.values()].every((n) => n === 1), "each asked once");
}

/** The distinct first path segments of relative paths. */
function topFolders(paths: string[]): string[] {
  return [...new Set(paths.map((p) => p.split("/")[0]!))];
}

Deno.test("the same model twice runs once, with a warning", async () => {
  await assertRunsOnce("llama3.2:latest,LLAMA3.2:latest", "LLAMA3.2:latest");
});

Deno.test("an Ollama model named with and without :latest runs once, with a warning", async () => {
  await assertRunsOnce("llama3.2,llama3.2:latest", "llama3.2:latest");
});

Deno.test("Ctrl-C while serving final metrics stops the server without a grace period", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy"], 3);
  await using fake = await startFakeOllama({ reply: jsonReplies(questions) });
  const out = join(tmp.path, "out");
  const child = spawnCli([
    ...quietArgs(data, fake.url, out),
    "--metrics-port",
    "0",
    "--serve",
  ]);
  const output = collectOutput(child);
  await waitUntil(
    () => output.stderrSoFar().includes("serving final metrics"),
    "the run to finish",
  );
  // Only the metrics server is left: the folder is free for report.
  const report = await runCli(["report", join(out, "run")]);
  assert.equal(report.code, 0, report.stderr);
  child.kill("SIGINT");
  const status = await child.status;
  const { stderr } = await output.done;
  assert.equal(status.code, 0, stderr);
  assert.doesNotMatch(stderr, /requests in flight/);
  assert.match(stderr, /Stopping the metrics server/);
});

Deno.test("report on a missing folder is an input error", async () => {
  await using tmp = await tempDir();
  const missing = join(tmp.path, "nope");
  const r = await runCli(["report", missing]);
  assert.equal(r.code, 2, r.stderr);
  assert.ok(
    r.stderr.includes(`Cannot read "${missing}": no such folder`),
    r.stderr,
  );
  assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
});

Deno.test("report on an interrupted run still says what it planned and did not ask", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy", "virology"], 5);
  await using fake = await startFakeOllama({ reply: jsonReplies(questions) });
  const r = await runCli(quietArgs(data, fake.url, join(tmp.path, "out")));
  assert.equal(r.code, 0, r.stderr);
  const dir = join(tmp.path, "out", "run");
  // As an interrupt before the subject "zoology" would have left it.
  const path = join(dir, "summary.json");
  const summary = JSON.parse(await Deno.readTextFile(path));
  summary.complete = false;
  summary.planned = {
    questions: 15,
    subjects: { anatomy: 5, virology: 5, zoology: 5 },
  };
  await Deno.writeTextFile(path, JSON.stringify(summary));
  const rebuilt = await runCli(["report", dir]);
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  assert.deepEqual((await readSummaryFile(dir)).planned, summary.planned);
  const html = await Deno.readTextFile(join(dir, "report.html"));
  assert.match(
    html,
    /10 of 15 planned questions have results; 1 subject not asked/,
  );
});
