// End-to-end interrupts: SIGINT or SIGTERM during a run stops dispatching,
// lets requests in flight finish, writes a partial summary consistent with
// results.jsonl, says how to resume and exits 130; a second SIGINT exits at
// once.

import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeOllama } from "./fake_ollama.ts";
import {
  askedCounts,
  assertPartialRun,
  type Collected,
  collectOutput,
  type GeneratedQuestion,
  jsonReplies,
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

Deno.test("llm-bench stops cleanly on SIGINT or SIGTERM with a partial summary and a resume hint", async (t) => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    await t.step(signal, async () => {
      await using tmp = await tempDir();
      const data = join(tmp.path, "data");
      const questions = await writeDataset(data, ["anatomy", "virology"], 12);
      const out = join(tmp.path, "out");
      const dir = join(out, "run");
      {
        await using slow = await spawnSlowRun({
          data,
          out,
          questions,
          parallel: 2,
          serviceMs: 80,
          concurrency: 2,
        });
        const { child, output } = slow;
        await waitForResults(dir, 4);
        child.kill(signal);
        const status = await child.status;
        const asked = askedCounts(slow.fake.requests, questions).size;
        const { stderr } = await output.done;
        assert.equal(status.code, 130, stderr);
        assert.ok(stderr.includes(`partial results in ${dir}`), stderr);
        assert.ok(stderr.includes(`--resume ${dir}`), stderr);
        assert.doesNotMatch(stderr, STACK_TRACE_REGEXP);
        await assertPartialRun(dir, { planned: questions.length, asked });
      }
      // Nothing was lost: the resume completes the run exactly.
      await using fake = await startFakeOllama({
        parallel: 2,
        reply: jsonReplies(questions),
      });
      const r = await runCli(["--resume", dir, "--base-url", fake.url]);
      assert.equal(r.code, 0, r.stderr);
      const summary = await readSummaryFile(dir);
      assert.equal(summary.complete, true);
      assert.equal(summary.counts.total, questions.length);
      assert.equal(summary.accuracy, truth(questions).accuracy);
    });
  }
});

/**
 * A run whose questions 1-2 answer and every later request hangs for 30 s,
 * returned once both answers are on disk and two requests hang.
 */
async function hangingRun(
  data: string,
  questions: GeneratedQuestion[],
  out: string,
): Promise<AsyncDisposable & { child: Deno.ChildProcess; output: Collected }> {
  const fake = await startFakeOllama({
    parallel: 4,
    stallMs: 30_000,
    reply: jsonReplies(questions),
    fault: (req) => /#[12]\]/.test(req.text) ? null : "stall",
  });
  const child = spawnCli([
    ...quietArgs(data, fake.url, out),
    "--concurrency",
    "2",
    "--request-timeout",
    "60",
  ]);
  const output = collectOutput(child);
  await waitForResults(join(out, "run"), 2);
  await waitUntil(() => fake.requests.length >= 4, "hanging requests");
  return { child, output, [Symbol.asyncDispose]: () => fake.close() };
}

Deno.test("llm-bench exits 130 at once on a second SIGINT while requests hang", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy"], 10);
  const out = join(tmp.path, "out");
  const dir = join(out, "run");
  await using run = await hangingRun(data, questions, out);
  const { child, output } = run;
  child.kill("SIGINT");
  await waitUntil(
    () => output.stderrSoFar().includes("Stopping"),
    "the first SIGINT to be seen",
  );
  const t0 = performance.now();
  child.kill("SIGINT");
  const status = await child.status;
  const elapsed = performance.now() - t0;
  const { stderr } = await output.done;
  assert.equal(status.code, 130, stderr);
  assert.ok(elapsed < 2_000, `exited after ${Math.round(elapsed)} ms`);
  assert.match(stderr, /Exiting now/);
  // What was finished is on disk, intact.
  const results = await readResults(dir);
  assert.equal(results.length, 2);
  // The folder is free for a resume.
  await assert.rejects(() => Deno.stat(join(dir, "run.lock")));
});

Deno.test("llm-bench aborts requests still hanging after the grace period without recording them", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy"], 6);
  const out = join(tmp.path, "out");
  const dir = join(out, "run");
  {
    await using run = await hangingRun(data, questions, out);
    const { child, output } = run;
    const t0 = performance.now();
    child.kill("SIGINT");
    const status = await child.status;
    const waited = performance.now() - t0;
    const { stderr } = await output.done;
    assert.equal(status.code, 130, stderr);
    assert.ok(
      waited >= 4_500,
      `the 5 s grace was given (exited after ${Math.round(waited)} ms)`,
    );
    assert.ok(stderr.includes(`--resume ${dir}`), stderr);
    const results = await readResults(dir);
    // The two hanging questions have no line: a resume must ask them.
    assert.equal(results.length, 2);
    const summary = await readSummaryFile(dir);
    assert.equal(summary.complete, false);
    assert.equal(summary.counts.total, 2);
    assert.equal(summary.counts.errors, 0);
  }
  await using fake = await startFakeOllama({ reply: jsonReplies(questions) });
  const r = await runCli(["--resume", dir, "--base-url", fake.url]);
  assert.equal(r.code, 0, r.stderr);
  const summary = await readSummaryFile(dir);
  assert.equal(summary.counts.total, questions.length);
  assert.equal(summary.accuracy, truth(questions).accuracy);
});
