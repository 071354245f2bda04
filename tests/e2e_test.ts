// End-to-end: the real CLI, spawned with the `deno task cli` permissions,
// against the project's fake Ollama server. Checks exit codes, files and
// that the counts equal what the server answered, exactly.

import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeOllama } from "./fake_ollama.ts";
import {
  jsonReplies,
  MMLU_FIXTURES,
  onlyRunDir,
  questionFor,
  readResults,
  readSummaryFile,
  REPO_ROOT,
  runCli,
  truth,
  writeDataset,
} from "./cli_helper.ts";

Deno.test("llm-bench run reports exactly what the server answered, one line per question", async () => {
  const tmp = await Deno.makeTempDir();
  const questions = await writeDataset(join(tmp, "data"), [
    "anatomy",
    "astronomy",
    "virology",
  ], 20);
  await using fake = await startFakeOllama({
    parallel: 2,
    reply: jsonReplies(questions),
  });
  const out = join(tmp, "out");
  const r = await runCli([
    join(tmp, "data"),
    "--model",
    "llama3.2",
    "--base-url",
    fake.url,
    "--output-dir",
    out,
    "--metrics-port",
    "0",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const dir = await onlyRunDir(out);
  const results = await readResults(dir);
  const summary = await readSummaryFile(dir);
  const t = truth(questions);

  assert.equal(results.length, questions.length);
  assert.equal(new Set(results.map((x) => x.id)).size, questions.length);
  assert.equal(summary.counts.total, 60);
  assert.equal(summary.counts.correct, t.correct);
  assert.equal(summary.counts.wrong, t.wrong);
  assert.equal(summary.accuracy, t.accuracy);
  assert.equal(summary.complete, true);
  // Every question was asked exactly once.
  const asked = new Map<string, number>();
  for (const req of fake.requests) {
    const q = questionFor(req, questions);
    if (q) asked.set(q.marker, (asked.get(q.marker) ?? 0) + 1);
  }
  assert.equal(asked.size, questions.length);
  assert.ok([...asked.values()].every((n) => n === 1));
  // The request is the one the issue asks for.
  const body = fake.requests.find((x) => x.path === "/api/chat")!.body;
  assert.equal(body.stream, false);
  const options = body.options as Record<string, unknown>;
  assert.equal(options.temperature, 0);
  assert.equal(typeof options.seed, "number");
  assert.ok(typeof options.num_predict === "number" && options.num_predict > 0);
  assert.ok("top_k" in options && "top_p" in options);
  assert.deepEqual(
    (body.format as { properties: { answer: { enum: string[] } } }).properties
      .answer.enum,
    [
      "A",
      "B",
      "C",
      "D",
    ],
  );
  assert.equal(
    "think" in body,
    false,
    "think is never sent to a model without the thinking capability",
  );
  // Outputs a user opens.
  assert.match(r.stdout, /Overall/);
  assert.match(r.stdout, /anatomy/);
  for (const f of ["summary.md", "report.html", "run.json"]) {
    await Deno.stat(join(dir, f));
  }
  const logs = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith("log-")) logs.push(e.name);
  }
  assert.equal(logs.length, 1);
  const lines = (await Deno.readTextFile(join(dir, logs[0]!))).trim().split(
    "\n",
  ).map((l) => JSON.parse(l));
  assert.ok(
    lines.every((l) =>
      typeof l.timestamp === "string" && typeof l.level === "string" &&
      typeof l.event === "string"
    ),
  );
  assert.ok(lines.some((l) => l.event === "run_finished"));
  assert.equal(summary["model_info"]?.["server_version"], "0.33.0-rc2");
});

Deno.test("llm-bench run reads every MMLU test fixture file and accounts for every row", async () => {
  const tmp = await Deno.makeTempDir();
  await using fake = await startFakeOllama({ parallel: 4 });
  const r = await runCli([
    join(MMLU_FIXTURES, "test"),
    "--base-url",
    fake.url,
    "--output-dir",
    tmp,
    "--metrics-port",
    "off",
    "--quiet",
    "--concurrency",
    "8",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const summary = await readSummaryFile(await onlyRunDir(tmp));
  assert.equal(summary.counts.total, 398);
  assert.equal(summary.counts.skipped, 0);
  assert.deepEqual(
    Object.fromEntries(
      Object.entries(summary.subjects).map(([k, v]) => [k, v.total]),
    ),
    {
      "abstract_algebra": 100,
      "college_computer_science": 100,
      "high_school_geography": 198,
    },
  );
  // The fake answers "A" to everything, so correct = the rows whose answer
  // is A: 22 + 26 + 35, counted in the files with Python's csv module.
  assert.equal(summary.counts.correct, 83);
  assert.equal(summary.counts.wrong, 315);
  assert.equal((await readResults(await onlyRunDir(tmp))).length, 398);
});

Deno.test("llm-bench exits 2 with a clear message when Ollama is not running or the model is missing", async (t) => {
  const tmp = await Deno.makeTempDir();
  await writeDataset(join(tmp, "data"), ["anatomy"], 2);
  await t.step("unreachable server", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const r = await runCli([
      join(tmp, "data"),
      "--base-url",
      `http://127.0.0.1:${port}`,
      "--output-dir",
      join(tmp, "o1"),
    ]);
    // A network failure: exit 1, never the usage-error code 2.
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /Cannot reach Ollama at http:\/\/127\.0\.0\.1:\d+.*Is `ollama serve` running\?/,
    );
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack trace");
  });
  await t.step("unknown model", async () => {
    await using fake = await startFakeOllama({
      models: [{ name: "qwen3:8b" }, { name: "llama3.2:latest" }],
    });
    const r = await runCli([
      join(tmp, "data"),
      "--model",
      "mistral",
      "--base-url",
      fake.url,
      "--output-dir",
      join(tmp, "o2"),
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"mistral" is not available/);
    assert.match(r.stderr, /qwen3:8b/);
    assert.match(r.stderr, /ollama pull mistral/);
  });
  await t.step(
    "unknown model among many: every installed name, short lines",
    async () => {
      const names = [
        "qwen3:30b-a3b-instruct-2507-q4_k_m",
        "llama3.1:8b-instruct-q8_0",
        "gemma3:27b-it-qat",
        "mistral-small3.2:24b-instruct-2506-q4_k_m",
        "deepseek-r1:32b-qwen-distill-q4_k_m",
        "phi4:14b-q8_0",
      ];
      await using fake = await startFakeOllama({
        models: names.map((name) => ({ name })),
      });
      const r = await runCli([
        join(tmp, "data"),
        "--model",
        "mistral",
        "--base-url",
        fake.url,
        "--output-dir",
        join(tmp, "o2b"),
      ]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /"mistral" is not available/);
      assert.match(r.stderr, /ollama pull mistral/);
      for (const name of names) assert.ok(r.stderr.includes(name), name);
      // Once one 260-character line.
      for (const line of r.stderr.split("\n")) {
        assert.ok(line.length <= 80, `line fits a terminal: ${line}`);
      }
    },
  );
  await t.step("usage errors name the flag or variable", async () => {
    const bad = await runCli(["--max-retries", "lots"]);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr.trim(),
      'Invalid --max-retries: "lots" is not a whole number',
    );
    const env = await runCli([], {
      env: { OLLAMA_BASE_URL: "localhost:11434" },
    });
    assert.equal(env.code, 2);
    assert.match(env.stderr.trim(), /^Invalid OLLAMA_BASE_URL: /);
    const unknown = await runCli(["--modle", "x"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option "--modle"/);
  });
  await t.step("--help lists every flag with its env var", async () => {
    const r = await runCli(["--help"]);
    assert.equal(r.code, 0);
    for (
      const s of [
        "--model",
        "MODEL_NAME",
        "--base-url",
        "OLLAMA_BASE_URL",
        "--concurrency",
        "BATCH_SIZE",
        "--metrics-port",
      ]
    ) {
      assert.ok(r.stdout.includes(s), s);
    }
    const v = await runCli(["--version"]);
    const version =
      JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "deno.json"))).version;
    assert.match(
      v.stdout,
      new RegExp(
        `llm-bench ${version.replace(/\./g, "\\.")} \\(deno \\d+\\.\\d+\\.\\d+`,
      ),
    );
  });
});

Deno.test("llm-bench --preflight-only checks server, model and dataset, asks nothing and writes nothing", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await writeDataset(join(tmp, "data"), ["anatomy"], 5);
    await using fake = await startFakeOllama({
      models: [{ name: "llama3.2:latest", quantization: "Q4_K_M" }],
    });
    const out = join(tmp, "out");
    const r = await runCli([
      join(tmp, "data"),
      "--base-url",
      fake.url,
      "--output-dir",
      out,
      "--preflight-only",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^preflight ok: llama3\.2:latest \(3\.2B Q4_K_M\) on http:\/\/127\.0\.0\.1:\d+; 5 question\(s\)/,
    );
    assert.equal(fake.requests.length, 0, "no question was asked");
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
