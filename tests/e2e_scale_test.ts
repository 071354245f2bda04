// End-to-end tests of scale-out through the real CLI: several base URLs
// sharing the questions (and routing around a failing one), shards merged
// back into one run, and the `report` and `compare` subcommands.

import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeOllama } from "./fake_ollama.ts";
import {
  jsonReplies,
  outcomeSet,
  questionFor,
  quietFlags,
  readResults,
  readSummaryFile,
  runAndRead,
  runCli,
  tempDir,
  truth,
  writeDataset,
} from "./cli_helper.ts";

Deno.test("llm-bench --base-url A,B shares the questions between servers and counts exactly", async () => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const questions = await writeDataset(
    join(tmp, "data"),
    ["anatomy", "astronomy", "virology"],
    20,
  );
  const opts = {
    parallel: 2,
    serviceMs: 5,
    reply: jsonReplies(questions),
  };
  await using a = await startFakeOllama(opts);
  await using b = await startFakeOllama(opts);
  const run = await runAndRead(
    [
      join(tmp, "data"),
      "--concurrency",
      "2",
      ...quietFlags(`${a.url},${b.url}`),
    ],
    join(tmp, "out"),
  );
  const t = truth(questions);
  assert.equal(run.summary.counts.total, 60);
  assert.equal(run.summary.counts.correct, t.correct);
  assert.equal(run.summary.accuracy, t.accuracy);
  assert.equal(
    a.requests.length + b.requests.length,
    60,
    "each question asked once",
  );
  assert.ok(a.requests.length >= 18, `A got ${a.requests.length}`);
  assert.ok(b.requests.length >= 18, `B got ${b.requests.length}`);
  const byEndpoint = run.summary.endpoints;
  assert.ok(byEndpoint, "summary.endpoints");
  assert.equal(byEndpoint[a.url]?.requests, a.requests.length);
  assert.equal(byEndpoint[b.url]?.requests, b.requests.length);
});

Deno.test("llm-bench --base-url moves the questions of a failing server to the healthy one", async () => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const questions = await writeDataset(join(tmp, "data"), [
    "anatomy",
    "virology",
  ], 10);
  await using broken = await startFakeOllama({ fault: () => "500" });
  await using healthy = await startFakeOllama({
    parallel: 2,
    reply: jsonReplies(questions),
  });
  const run = await runAndRead(
    [
      join(tmp, "data"),
      "--concurrency",
      "2",
      ...quietFlags(`${broken.url},${healthy.url}`),
    ],
    join(tmp, "out"),
  );
  const t = truth(questions);
  assert.equal(run.summary.counts.total, 20);
  assert.equal(run.summary.counts.errors, 0);
  assert.equal(run.summary.counts.correct, t.correct);
  assert.equal(run.summary.accuracy, t.accuracy);
  assert.equal(run.summary.complete, true);
  assert.ok(broken.requests.length > 0, "the broken server was tried");
  assert.ok(run.results.every((r) => r.endpoint === healthy.url));
  assert.ok(run.summary.retries > 0);
});

Deno.test("llm-bench --shard I/N runs merge into the same result as one run", async (t) => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const questions = await writeDataset(
    join(tmp, "data"),
    ["anatomy", "astronomy", "virology"],
    10,
  );
  await using fake = await startFakeOllama({
    models: [{ name: "llama3.2:latest" }, { name: "qwen3:8b" }],
    parallel: 4,
    reply: jsonReplies(questions),
  });
  const data = join(tmp, "data");
  const out = join(tmp, "out");
  const flags = quietFlags(fake.url);
  const shard = async (spec: string, id: string, extra: string[] = []) => {
    const r = await runCli([
      data,
      ...flags,
      "--output-dir",
      out,
      "--run-id",
      id,
      "--shard",
      spec,
      ...extra,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return join(out, id);
  };
  const whole = await runAndRead([data, ...flags], join(tmp, "whole"));
  const s1 = await shard("1/2", "s1");
  const s2 = await shard("2/2", "s2");
  const r1 = await readResults(s1);
  const r2 = await readResults(s2);
  assert.ok(
    r1.length > 0 && r2.length > 0,
    `shard sizes ${r1.length}, ${r2.length}`,
  );
  assert.equal(r1.length + r2.length, 30);

  await t.step("merge gives the unsharded outcomes and counts", async () => {
    const merged = join(tmp, "merged");
    const r = await runCli(["merge", s1, s2, "--output-dir", merged]);
    assert.equal(r.code, 0, r.stderr);
    const results = await readResults(merged);
    assert.deepEqual(outcomeSet(results), outcomeSet(whole.results));
    const summary = await readSummaryFile(merged);
    assert.deepEqual(summary.counts, whole.summary.counts);
    assert.equal(summary.accuracy, whole.summary.accuracy);
    assert.equal(summary.accuracy, truth(questions).accuracy);
    assert.equal(summary.complete, true);
    assert.ok(whole.summary.planned !== undefined);
    assert.deepEqual(summary.planned, whole.summary.planned);
    assert.match(r.stdout, /Merged 2 shard\(s\)/);
  });

  await t.step("merge reports a missing shard", async () => {
    const r = await runCli(["merge", s1, "--output-dir", join(tmp, "partial")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /missing shard\(s\) 2\/2/);
    assert.equal((await readSummaryFile(join(tmp, "partial"))).complete, false);
  });

  await t.step("merge refuses a duplicated shard", async () => {
    const again = await shard("1/2", "s1-again");
    const r = await runCli([
      "merge",
      s1,
      again,
      "--output-dir",
      join(tmp, "dup"),
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /shard 1\/2 appears twice/);
  });

  await t.step("merge refuses shards of different models", async () => {
    const other = await shard("2/2", "s2-qwen", ["--model", "qwen3:8b"]);
    const r = await runCli([
      "merge",
      s1,
      other,
      "--output-dir",
      join(tmp, "mixed"),
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Cannot merge .*option "models" differs/);
  });

  await t.step(
    "SHARD_COUNT=2 JOB_COMPLETION_INDEX=0 is --shard 1/2",
    async () => {
      const r = await runCli([
        data,
        ...flags,
        "--output-dir",
        out,
        "--run-id",
        "job0",
      ], {
        env: { SHARD_COUNT: "2", JOB_COMPLETION_INDEX: "0" },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        outcomeSet(await readResults(join(out, "job0"))),
        outcomeSet(r1),
      );
    },
  );
});

Deno.test("llm-bench report rebuilds the reports and compare pairs two runs", async (t) => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const questions = await writeDataset(join(tmp, "data"), [
    "anatomy",
    "virology",
  ], 12);
  await using scripted = await startFakeOllama({
    reply: jsonReplies(questions),
  });
  await using perfect = await startFakeOllama({
    reply: (req) => ({
      content: JSON.stringify({ answer: questionFor(req, questions)!.answer }),
    }),
  });
  const a = await runAndRead(
    [join(tmp, "data"), ...quietFlags(scripted.url)],
    join(tmp, "a"),
  );
  const b = await runAndRead(
    [join(tmp, "data"), ...quietFlags(perfect.url)],
    join(tmp, "b"),
  );

  await t.step("compare RUN_A RUN_B prints a paired comparison", async () => {
    const r = await runCli(["compare", a.dir, b.dir]);
    assert.equal(r.code, 0, r.stderr);
    const tr = truth(questions);
    assert.match(r.stdout, /Paired N/);
    assert.match(
      r.stdout,
      new RegExp(
        `Both right ${tr.correct}, both wrong 0, only A right 0, only B right ${tr.wrong}`,
      ),
    );
    assert.match(r.stdout, /McNemar/);
    assert.match(r.stdout, /Difference \(A - B\): -/);
  });
  const rebuild = async (dir: string, deleted: string[]) => {
    for (const f of deleted) await Deno.remove(join(dir, f));
    const r = await runCli(["report", dir]);
    assert.equal(r.code, 0, r.stderr);
    for (const f of ["summary.json", "summary.md", "report.html"]) {
      await Deno.stat(join(dir, f));
    }
    const rebuilt = await readSummaryFile(dir);
    assert.deepEqual(rebuilt.counts, a.summary.counts);
    assert.equal(rebuilt.accuracy, truth(questions).accuracy);
    assert.equal(rebuilt.model, a.summary.model);
    assert.equal(rebuilt.mode, a.summary.mode);
    assert.match(r.stdout, /Overall/);
    assert.match(
      await Deno.readTextFile(join(dir, "report.html")),
      /<html/i,
    );
  };

  await t.step(
    "report RUN_DIR writes summary.md and report.html again",
    async () => {
      await rebuild(a.dir, ["summary.md", "report.html"]);
    },
  );

  await t.step(
    "report RUN_DIR rebuilds a run folder whose summary.json is gone too",
    async () => {
      await rebuild(a.dir, ["summary.json", "summary.md", "report.html"]);
    },
  );
});
