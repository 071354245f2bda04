// End-to-end tests of the non-Ollama backends through the real CLI: an
// OpenAI-compatible server with an API key (true accuracy, the key sent as
// a bearer token and never written or printed), and the built-in mock.

import assert from "node:assert/strict";
import { join } from "node:path";
import { closedPort, startFakeOpenAI } from "./fake_openai.ts";
import {
  listFiles,
  REPO_ROOT,
  runAndRead,
  runCli,
  tempDir,
  truth,
  writeDataset,
} from "./cli_helper.ts";
import type { ResultRecord } from "../src/schema.ts";

const KEY = "sk-test-XYZ";

Deno.test("llm-bench --backend openai scores exactly, sends the key as bearer and never writes or prints it", async (t) => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const questions = await writeDataset(
    join(tmp, "data"),
    ["anatomy", "virology"],
    9,
  );
  await using fake = startFakeOpenAI({
    apiKey: KEY,
    reply: (body) => {
      const msgs = body.messages as Array<{ role: string; content: string }>;
      const text = msgs[msgs.length - 1]?.content ?? "";
      const m = /\[([a-z_]+)#(\d+)\]/.exec(text);
      const q = questions.find((x) =>
        x.subject === m?.[1] && x.n === Number(m?.[2])
      );
      if (!q) throw new Error(`no question in ${text}`);
      return { content: JSON.stringify({ answer: q.reply }) };
    },
  });
  const base = [
    join(tmp, "data"),
    "--backend",
    "openai",
    "--base-url",
    fake.url,
    "--metrics-port",
    "off",
    "--quiet",
  ];

  for (
    const [name, env, verbose] of [
      ["LLM_BENCH_API_KEY", { LLM_BENCH_API_KEY: KEY }, false],
      ["LLM_BENCH_API_KEY with --verbose", { LLM_BENCH_API_KEY: KEY }, true],
      ["OPENAI_API_KEY fallback", { OPENAI_API_KEY: KEY }, false],
    ] as const
  ) {
    await t.step(name, async () => {
      const before = fake.requests.length;
      const out = join(tmp, `out-${before}`);
      const run = await runAndRead(
        verbose ? [...base, "--verbose"] : base,
        out,
        { env },
      );
      const t = truth(questions);
      assert.equal(run.summary.counts.correct, t.correct);
      assert.equal(run.summary.counts.errors, 0);
      assert.equal(run.summary.accuracy, t.accuracy);
      const mine = fake.requests.slice(before);
      const chats = mine.filter((r) => r.path === "/v1/chat/completions");
      assert.equal(chats.length, questions.length);
      assert.ok(
        mine.every((r) => r.headers.authorization === `Bearer ${KEY}`),
        "every request carries the key",
      );
      assert.ok(!run.stdout.includes(KEY), "key in stdout");
      assert.ok(!run.stderr.includes(KEY), "key in stderr");
      if (verbose) assert.match(run.stderr, /"event"/, "--verbose logs");
      for (const file of await listFiles(out)) {
        const text = await Deno.readTextFile(join(out, file));
        assert.ok(!text.includes(KEY), `key written to ${file}`);
      }
    });
  }

  await t.step("without a key the server's 401 stops the run", async () => {
    const r = await runCli([...base, "--output-dir", join(tmp, "nokey")]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /401|API key/i);
  });
});

Deno.test("llm-bench --backend openai: a model removed mid-run stops it with advice for that server, not Ollama's", async () => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  await writeDataset(join(tmp, "data"), ["anatomy"], 12);
  // The fake reads this array on every request: emptying it removes the model.
  const models = ["llama3.2:latest"];
  let answered = 0;
  await using fake = startFakeOpenAI({
    models,
    reply: () => {
      if (++answered === 4) models.length = 0;
      return { content: '{"answer":"A"}' };
    },
  });
  const r = await runCli([
    join(tmp, "data"),
    "--backend",
    "openai",
    "--base-url",
    fake.url,
    "--model",
    "llama3.2",
    "--concurrency",
    "1",
    "--metrics-port",
    "off",
    "--quiet",
    "--output-dir",
    join(tmp, "out"),
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /the model was removed during the run/);
  assert.ok(
    r.stderr.includes(`serves "llama3.2" again`) &&
      r.stderr.includes(`GET ${fake.url}/models`),
    r.stderr,
  );
  assert.doesNotMatch(r.stderr, /ollama pull/);
});

function withoutTimings(results: ResultRecord[]): unknown[] {
  return results.map((r) => ({ ...r, "latency_ms": null }))
    .sort((a, b) => a.index - b.index);
}

Deno.test("llm-bench --backend mock runs with no server and is deterministic", async (t) => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  // The repository's benchmark_data/ when it holds question files, else a
  // generated folder.
  let data = join(REPO_ROOT, "benchmark_data");
  let limit: string[] = ["--limit", "5"];
  const hasCsv = await listFiles(data).then(
    (files) => files.some((f) => f.endsWith(".csv")),
    () => false,
  );
  if (!hasCsv) {
    data = join(tmp, "data");
    limit = [];
    await writeDataset(data, ["anatomy", "astronomy", "virology"], 10);
  }
  const args = [
    data,
    ...limit,
    "--backend",
    "mock",
    "--mock-latency-ms",
    "0",
    // Nothing listens here: the mock must not need it.
    "--base-url",
    `http://127.0.0.1:${closedPort()}`,
    "--metrics-port",
    "off",
    "--quiet",
  ];

  await t.step("--mock-accuracy 1 gives 100%", async () => {
    const run = await runAndRead(
      [...args, "--mock-accuracy", "1"],
      join(tmp, "perfect"),
    );
    assert.ok(run.summary.counts.total > 0);
    assert.equal(run.summary.counts.correct, run.summary.counts.total);
    assert.equal(run.summary.accuracy, 1);
    assert.match(run.stdout, /100\.0%/);
  });

  await t.step("two runs give the same results", async () => {
    const a = await runAndRead(args, join(tmp, "a"));
    const b = await runAndRead(args, join(tmp, "b"));
    assert.deepEqual(withoutTimings(a.results), withoutTimings(b.results));
    assert.equal(a.summary.accuracy, b.summary.accuracy);
    assert.ok(
      a.summary.accuracy !== null && a.summary.accuracy < 1 &&
        a.summary.accuracy > 0.3,
      `default mock accuracy near 0.7, got ${a.summary.accuracy}`,
    );
  });
});
