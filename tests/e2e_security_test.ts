// End-to-end security: the metrics server listens on loopback and is
// read-only, run output stays inside --output-dir whatever the run id or
// model names, credentials in --base-url never reach a file or the console,
// and dataset text cannot inject markup into report.html or summary.md.

import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeOllama } from "./fake_ollama.ts";
import {
  collectOutput,
  jsonReplies,
  listFiles,
  questionFor,
  quietArgs,
  readResults,
  readSummaryFile,
  runCli,
  spawnCli,
  STACK_TRACE_REGEXP,
  tempDir,
  waitUntil,
  writeDataset,
} from "./cli_helper.ts";

const SECRET = "s3cr3t-pa55";

async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const rel of await listFiles(dir)) {
    const bytes = await Deno.readFile(join(dir, rel));
    if (new TextDecoder().decode(bytes).includes(needle)) hits.push(rel);
  }
  return hits;
}

Deno.test("llm-bench metrics server listens on 127.0.0.1, answers GET and HEAD only and leaks no credentials", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy"], 4);
  await using fake = await startFakeOllama({ reply: jsonReplies(questions) });
  const url = fake.url.replace("http://", `http://user:${SECRET}@`);
  const out = join(tmp.path, "out");
  const child = spawnCli([
    data,
    "--base-url",
    url,
    "--output-dir",
    out,
    "--run-id",
    "run",
    "--metrics-port",
    "0",
    "--serve",
    "--quiet",
  ]);
  const output = collectOutput(child);
  try {
    await waitUntil(
      () => output.stderrSoFar().includes("serving final metrics"),
      "the metrics server to serve",
    );
    const m = /metrics: http:\/\/([^:/\s]+):(\d+)\/metrics/.exec(
      output.stderrSoFar(),
    );
    assert.ok(m, output.stderrSoFar());
    assert.equal(m[1], "127.0.0.1", "loopback by default");
    const base = `http://127.0.0.1:${m[2]}`;

    const get = async (path: string) => {
      const res = await fetch(base + path, {
        headers: { accept: "text/plain" },
      });
      return { status: res.status, text: await res.text() };
    };
    const before = await get("/metrics");
    assert.equal(before.status, 200);
    assert.match(before.text, /llm_bench_questions_total/);
    const head = await fetch(base + "/", { method: "HEAD" });
    await head.body?.cancel();
    assert.equal(head.status, 200);
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      for (const path of ["/metrics", "/", "/api/live"]) {
        const res = await fetch(base + path, {
          method,
          body: method === "DELETE" ? undefined : "x=1",
        });
        await res.body?.cancel();
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.equal(res.headers.get("allow"), "GET, HEAD");
      }
    }
    assert.equal(
      (await get("/metrics")).text,
      before.text,
      "writes change nothing",
    );
    for (const path of ["/metrics", "/api/live", "/", "/metrics?format=json"]) {
      assert.ok(!(await get(path)).text.includes(SECRET), path);
    }
  } finally {
    child.kill("SIGINT");
  }
  const status = await child.status;
  const { stdout, stderr } = await output.done;
  assert.equal(status.code, 0, stderr);
  assert.ok(!stdout.includes(SECRET) && !stderr.includes(SECRET));
  assert.deepEqual(await filesContaining(out, SECRET), []);
});

Deno.test("llm-bench never writes --base-url credentials to the run folder, stdout or stderr", async (t) => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy"], 6);
  await t.step("failures, retries, a removed model and a resume", async () => {
    let answered = 0;
    const holder: { remove?: () => void } = {};
    const reply = jsonReplies(questions);
    const fake = await startFakeOllama({
      reply: (req) => {
        if (++answered === 3) holder.remove?.();
        return reply(req);
      },
      fault: (req, attempt) => {
        const n = questionFor(req, questions)?.n;
        if (n === 1 && attempt === 1) return "reset";
        if (n === 2) return "500";
        return null;
      },
    });
    holder.remove = () => fake.removeModel("llama3.2:latest");
    const url = fake.url.replace("http://", `http://admin:${SECRET}@`);
    const out = join(tmp.path, "out");
    const dir = join(out, "run");
    try {
      const r = await runCli([
        ...quietArgs(data, url, out),
        "--verbose",
        "--concurrency",
        "1",
        "--max-retries",
        "1",
      ]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /ollama pull/);
      assert.ok(
        !r.stdout.includes(SECRET) && !r.stderr.includes(SECRET),
        r.stderr,
      );
      assert.ok(
        r.stderr.includes(fake.url.slice("http://".length)),
        "the endpoint is still named",
      );
    } finally {
      await fake.close();
    }
    await using healthy = await startFakeOllama({
      reply: jsonReplies(questions),
    });
    const r = await runCli([
      "--resume",
      dir,
      "--base-url",
      healthy.url.replace("http://", `http://admin:${SECRET}@`),
      "--verbose",
    ]);
    assert.ok(
      !r.stdout.includes(SECRET) && !r.stderr.includes(SECRET),
      r.stderr,
    );
    assert.deepEqual(await filesContaining(out, SECRET), []);
    const results = await readResults(dir);
    assert.equal(results.length, questions.length);
    // Question 2 may have ended in error before the model was removed (it
    // is kept on resume without --retry-errors): exit 1 exactly then.
    const errors = results.filter((x) => x.status === "error").length;
    assert.equal(r.code, errors > 0 ? 1 : 0, r.stderr);
    assert.ok(
      results.every((x) =>
        x.endpoint === null || !x.endpoint.includes("admin")
      ),
    );
  });
  await t.step("an unreachable server", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    const out = join(tmp.path, "out2");
    const r = await runCli(
      quietArgs(data, `http://admin:${SECRET}@127.0.0.1:${port}`, out),
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Cannot reach Ollama/);
    assert.ok(
      !r.stdout.includes(SECRET) && !r.stderr.includes(SECRET),
      r.stderr,
    );
    assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
    try {
      assert.deepEqual(await filesContaining(out, SECRET), []);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  });
});

Deno.test("llm-bench keeps every output inside --output-dir", async (t) => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const questions = await writeDataset(data, ["anatomy"], 3);
  const out = join(tmp.path, "a", "b", "out");
  const outside = async () =>
    (await listFiles(tmp.path)).filter((f) =>
      !f.startsWith("data/") && !f.startsWith("a/b/out/")
    );

  await t.step("a run id that climbs out is refused", async () => {
    await using fake = await startFakeOllama();
    for (const id of ["../../x", "..", "a/b", "/tmp/x", "..\\x"]) {
      const r = await runCli([
        data,
        "--base-url",
        fake.url,
        "--output-dir",
        out,
        "--run-id",
        id,
        "--metrics-port",
        "off",
      ]);
      assert.equal(r.code, 2, `${id}: ${r.stderr}`);
      assert.match(r.stderr, /Invalid --run-id/);
      assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
      const env = await runCli([
        data,
        "--base-url",
        fake.url,
        "--output-dir",
        out,
        "--metrics-port",
        "off",
      ], {
        env: { LLM_BENCH_RUN_ID: id },
      });
      assert.equal(env.code, 2, `LLM_BENCH_RUN_ID=${id}: ${env.stderr}`);
    }
    assert.equal(fake.requests.length, 0);
    assert.deepEqual(await outside(), []);
  });

  await t.step(
    "a model named ../../etc/x writes inside the run folder",
    async () => {
      await using fake = await startFakeOllama({
        models: [{ name: "../../etc/x" }, { name: "llama3.2:latest" }],
        reply: jsonReplies(questions),
      });
      const r = await runCli([
        ...quietArgs(data, fake.url, out, "models"),
        "--model",
        "../../etc/x,llama3.2",
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(
        fake.requests.some((x) => x.body.model === "../../etc/x"),
        "the odd model was benchmarked",
      );
      assert.deepEqual(await outside(), []);
      const files = await listFiles(join(out, "models"));
      const results = files.filter((f) => f.endsWith("results.jsonl"));
      assert.equal(results.length, 2, files.join("\n"));
      assert.ok(
        results.every((f) => f.split("/").length === 2),
        files.join("\n"),
      );
    },
  );

  await t.step(
    "two model names that clean to one folder name keep separate results",
    async () => {
      // "qwen:1" answers A to everything, "qwen_1" answers B.
      await using fake = await startFakeOllama({
        models: [{ name: "qwen:1" }, { name: "qwen_1" }],
        reply: (req) => ({
          content: JSON.stringify({
            answer: req.body.model === "qwen:1" ? "A" : "B",
          }),
        }),
      });
      const r = await runCli([
        ...quietArgs(data, fake.url, out, "collide"),
        "--model",
        "qwen:1,qwen_1",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const asked = (model: string) =>
        fake.requests.filter((x) => x.body.model === model && x.text !== "")
          .length;
      assert.equal(asked("qwen:1"), questions.length);
      assert.equal(
        asked("qwen_1"),
        questions.length,
        "the second model is asked every question",
      );
      const summaries = [];
      for (
        const f of (await listFiles(join(out, "collide"))).filter((f) =>
          f.endsWith("/summary.json")
        )
      ) {
        summaries.push(
          await readSummaryFile(
            join(out, "collide", f.slice(0, -"/summary.json".length)),
          ),
        );
      }
      const byModel = new Map(summaries.map((s) => [s.model, s]));
      assert.equal(byModel.size, 2, "one summary per model");
      const share = (letter: string) =>
        questions.filter((q) => q.answer === letter).length / questions.length;
      assert.equal(byModel.get("qwen:1")?.accuracy, share("A"));
      assert.equal(byModel.get("qwen_1")?.accuracy, share("B"));
    },
  );
});

Deno.test("llm-bench escapes dataset and model text in report.html and summary.md", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  await Deno.mkdir(data);
  const xss = "</script><script>alert(1)</script>";
  const formula = "=cmd|' /C calc'!A0";
  const csv = (q: string, answer: string) =>
    `"${q.replaceAll('"', '""')}",a,b,c,d,"${answer.replaceAll('"', '""')}"`;
  const rows = [
    csv(`Q1 ${xss} ${formula}?`, "A"),
    csv("Q2?", xss),
    csv("Q3?", formula),
    csv(`Q4 ${xss}?`, "B"),
  ];
  // The subject comes from the file name: markup there too (no "/" allowed in names).
  const subject = "<svg onload=alert(1)>=cmd|' -C calc'!A0";
  await Deno.writeTextFile(
    join(data, `${subject}_test.csv`),
    rows.join("\n") + "\n",
  );
  await using fake = await startFakeOllama({
    // Q1 gets an answer with no letter, so its raw text is shown as unparsed.
    reply: (req) => ({
      content: req.text.includes("Q1")
        ? `${xss} ${formula}`
        : JSON.stringify({ answer: "A" }),
    }),
  });
  const r = await runCli(quietArgs(data, fake.url, join(tmp.path, "out")));
  assert.equal(r.code, 0, r.stderr);
  const dir = join(tmp.path, "out", "run");
  const summary = await readSummaryFile(dir);
  assert.deepEqual(Object.keys(summary.subjects), [subject]);
  assert.equal(summary.counts.skipped, 2);
  assert.equal(summary.counts.unparsed, 1);
  assert.equal(summary.counts.wrong, 1);

  const html = await Deno.readTextFile(join(dir, "report.html"));
  for (
    const bad of [
      "<script>alert(1)",
      "alert(1)</script>",
      "<svg onload",
      formula,
      "-C calc'",
    ]
  ) {
    // Only a JSON data block may hold text verbatim, and it must stay data.
    const outsideData = html.replace(
      /<script type="application\/json"[^>]*>[\s\S]*?<\/script>/g,
      "",
    );
    assert.ok(!outsideData.includes(bad), `report.html holds ${bad} unescaped`);
  }
  const block = /<script type="application\/json"[^>]*>([\s\S]*?)<\/script>/
    .exec(html);
  if (block) {
    assert.ok(
      !block[1]!.includes("</script"),
      "the data block cannot be closed by data",
    );
    assert.ok(
      JSON.stringify(JSON.parse(block[1]!)).includes(subject),
      "the data block still parses and holds the subject",
    );
  }
  assert.equal(
    (html.match(/<script\b/g) ?? []).length,
    (html.match(/<\/script>/g) ?? []).length,
  );

  const md = await Deno.readTextFile(join(dir, "summary.md"));
  for (const bad of ["<script", "<svg", formula]) {
    assert.ok(!md.includes(bad), `summary.md holds ${bad} unescaped`);
  }
  assert.doesNotMatch(md, /(?<!\\)\|' -C calc/, "a | in a subject is escaped");
  // Every table row keeps its column count (a "|" in data is escaped).
  const tableRows = md.split("\n").filter((l) => l.startsWith("|"));
  const columns = (l: string) => l.replace(/\\\|/g, "").split("|").length;
  assert.ok(tableRows.length >= 3);
  assert.ok(tableRows.every((l) => columns(l) === columns(tableRows[0]!)), md);
});
