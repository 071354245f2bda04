// End-to-end tests of the metrics server of a real run: the URL printed on
// stderr, the seed JSON before and during the run, Prometheus text (checked
// by promtool when installed), the live page, and --serve after the run.

import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeOllama } from "./fake_ollama.ts";
import {
  getText,
  jsonReplies,
  LiveCli,
  tempDir,
  writeDataset,
} from "./cli_helper.ts";

const URL_REGEXP = /metrics: (http:\/\/127\.0\.0\.1:\d+)\/metrics/;

const SEED_FIELDS = [
  "total",
  "passed",
  "failed",
  "accuracy",
  "avg_duration",
  "total_retries",
  "error_rate",
] as const;

async function promtoolPath(): Promise<string | null> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    try {
      const p = join(dir, "promtool");
      if ((await Deno.stat(p)).isFile) return p;
    } catch {
      // not here
    }
  }
  return null;
}

async function promtoolCheck(promtool: string, text: string): Promise<string> {
  const child = new Deno.Command(promtool, {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  const msg = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`promtool rejected the metrics:\n${msg}`);
  return msg;
}

Deno.test("llm-bench --metrics-port 0 serves live metrics while the run goes", async () => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const questions = await writeDataset(
    join(tmp, "data"),
    ["anatomy", "virology"],
    10,
  );
  let served = 0;
  await using fake = await startFakeOllama({
    reply: jsonReplies(questions),
    // A long first request (a model loading), then a steady pace.
    serviceMs: () => (served++ === 0 ? 800 : 40),
  });
  await using cli = new LiveCli([
    join(tmp, "data"),
    "--base-url",
    fake.url,
    "--output-dir",
    join(tmp, "out"),
    "--metrics-port",
    "0",
    "--concurrency",
    "1",
    "--quiet",
  ]);
  const base = (await cli.waitForStderr(URL_REGEXP))[1]!;

  const first = await getText(`${base}/metrics`);
  assert.equal(first.status, 200);
  assert.deepEqual(JSON.parse(first.text), {
    status: "no metrics available yet",
  });

  const totals = new Set<number>();
  let prometheus: string | null = null;
  let page: { status: number; type: string; text: string } | null = null;
  let finished = false;
  const done = cli.done().then((r) => {
    finished = true;
    return r;
  });
  while (!finished) {
    try {
      const m = await getText(`${base}/metrics`);
      const json = JSON.parse(m.text) as Record<string, unknown>;
      if ("total" in json) {
        for (const f of SEED_FIELDS) {
          assert.equal(typeof json[f], "number", `${f} in ${m.text}`);
        }
        assert.equal(
          json.passed as number + (json.failed as number),
          json.total,
        );
        totals.add(json.total as number);
        if (prometheus === null) {
          const p = await getText(`${base}/metrics`, {
            accept: "text/plain;version=0.0.4",
          });
          assert.match(p.type, /^text\/plain/);
          prometheus = p.text;
          page = await getText(`${base}/`);
        }
      }
    } catch (e) {
      // The server closes at the end of the run, just before the process
      // exits: a refused connection then is fine, not before.
      const ended = await Promise.race([
        done.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 5_000)),
      ]);
      if (!ended) throw e;
    }
    await new Promise((r) => setTimeout(r, 40));
  }
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  const during = [...totals].filter((n) => n > 0 && n < questions.length);
  assert.ok(during.length >= 2, `totals seen during the run: ${[...totals]}`);

  assert.ok(prometheus !== null, "a Prometheus answer during the run");
  assert.match(prometheus, /^# (HELP|TYPE) /m);
  assert.doesNotMatch(prometheus, /^\s*\{/, "not JSON");
  const promtool = await promtoolPath();
  if (promtool !== null) await promtoolCheck(promtool, prometheus);

  assert.ok(page !== null);
  assert.equal(page.status, 200);
  assert.match(page.type, /^text\/html/);
  assert.match(page.text, /<html/i);
});

Deno.test("llm-bench --serve keeps serving the final metrics until SIGINT", async () => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const questions = await writeDataset(join(tmp, "data"), ["anatomy"], 4);
  await using fake = await startFakeOllama({ reply: jsonReplies(questions) });
  await using cli = new LiveCli([
    join(tmp, "data"),
    "--base-url",
    fake.url,
    "--output-dir",
    join(tmp, "out"),
    "--metrics-port",
    "0",
    "--serve",
    "--quiet",
  ]);
  const base = (await cli.waitForStderr(URL_REGEXP))[1]!;
  await cli.waitForStderr(/serving final metrics until interrupted/);
  // Still serving well after the run finished.
  await new Promise((r) => setTimeout(r, 200));
  const m = await getText(`${base}/metrics`);
  const json = JSON.parse(m.text);
  assert.equal(json.total, 4);
  assert.equal(json.complete, true);
  assert.match(
    cli.stdout,
    /Overall/,
    "the final table is printed before serving",
  );
  cli.child.kill("SIGINT");
  const r = await cli.done();
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /Interrupted/);
  await assert.rejects(fetch(`${base}/metrics`), "the server is closed");
});
