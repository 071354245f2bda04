// Checks the exposition text with Prometheus's own tools when `promtool` is on
// PATH (Debian: `apt-get install prometheus`); otherwise the tests are ignored
// and say so in their names.

import assert from "node:assert/strict";
import { MetricsRegistry } from "../src/metrics/registry.ts";
import type { ResultRecord, Status } from "../src/schema.ts";

function findOnPath(name: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
    } catch {
      // Not in this directory.
    }
  }
  return null;
}

const PROMTOOL = findOnPath("promtool");
const SKIP_NOTE = PROMTOOL === null
  ? " [SKIPPED: promtool not found on PATH; install it with `apt-get install prometheus`]"
  : "";

/** A registry with every kind of series, and a model name that needs escaping. */
function busyRegistry(): MetricsRegistry {
  const model = 'org/model:7b "q4"\\v2\nnext';
  const r = new MetricsRegistry({ model, total: 20 });
  const statuses: Status[] = [
    "correct",
    "correct",
    "wrong",
    "unparsed",
    "error",
    "skipped",
  ];
  statuses.forEach((status, i) => {
    const rec: ResultRecord = {
      id: `a.csv:${i + 1}`,
      index: i,
      file: "a.csv",
      line: i + 1,
      subject: "anatomy",
      model,
      expected: "A",
      predicted: status === "correct" ? "A" : null,
      status,
      method: null,
      raw: null,
      thinking: null,
      reason: null,
      "error_kind": status === "error" ? "http_5xx" : null,
      "latency_ms": 900,
      "prompt_tokens": null,
      "eval_tokens": null,
      "eval_duration_ns": null,
      "done_reason": null,
      attempts: 1,
      messages: null,
      prompt: null,
      "letter_probs": null,
      endpoint: null,
      repeat: 0,
    };
    r.result(rec);
  });
  r.retry("timeout");
  r.retry("http_5xx");
  for (const ms of [20, 400, 2600, 150_000]) {
    r.requestStarted();
    r.requestFinished(ms);
  }
  r.requestStarted();
  r.tokens(120, 3e9);
  r.setModel("second");
  r.retry("busy");
  return r;
}

async function promtool(args: string[], stdin: string) {
  const child = new Deno.Command(PROMTOOL ?? "promtool", {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

Deno.test({
  name:
    `promtool check metrics accepts the text 0.0.4 exposition with no lint problems${SKIP_NOTE}`,
  ignore: PROMTOOL === null,
  async fn() {
    const text = busyRegistry().prometheus("text");
    const res = await promtool(["check", "metrics"], text);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.equal((res.stdout + res.stderr).trim(), "");
  },
});

Deno.test({
  name: `promtool check metrics accepts the OpenMetrics exposition${SKIP_NOTE}`,
  ignore: PROMTOOL === null,
  async fn() {
    const text = busyRegistry().prometheus("openmetrics");
    const res = await promtool(["check", "metrics"], text);
    const problems = (res.stdout + res.stderr).trim().split("\n").filter((l) =>
      l !== ""
    );
    // promtool's linter reads only text format 0.0.4, where a counter family is
    // named with `_total`. OpenMetrics names the family without it (`# TYPE
    // llm_bench_questions counter` + `llm_bench_questions_total` samples), which
    // that linter can only report as "<name>_total no help text". Those
    // problems, one per counter family, are the only ones allowed.
    const counterFamilies = [...text.matchAll(/^# TYPE (\S+) counter$/gm)].map((
      m,
    ) => m[1]);
    const expected = counterFamilies.map((name) => `${name}_total no help text`)
      .sort();
    assert.deepEqual(problems.sort(), expected, res.stdout + res.stderr);
    assert.ok(res.code === 0 || problems.length > 0, res.stdout + res.stderr);
  },
});

Deno.test({
  name:
    `promtool's OpenMetrics parser accepts the OpenMetrics exposition${SKIP_NOTE}`,
  ignore: PROMTOOL === null,
  async fn() {
    const text = busyRegistry().prometheus("openmetrics");
    // Backfilling needs a timestamp on every sample; everything else is parsed
    // as served, by the strict OpenMetrics parser Prometheus scrapes with.
    const stamped = text.split("\n").map((l) =>
      l === "" || l.startsWith("#") ? l : `${l} 1700000000`
    )
      .join("\n");
    const dir = await Deno.makeTempDir({ prefix: "llm_bench_promtool_" });
    try {
      // It mmaps its input, so it needs a real file rather than stdin.
      const input = `${dir}/metrics.om`;
      await Deno.writeTextFile(input, stamped);
      const res = await promtool(
        ["tsdb", "create-blocks-from", "openmetrics", input, `${dir}/blocks`],
        "",
      );
      assert.equal(res.code, 0, res.stdout + res.stderr);
      const seriesLines = text.split("\n").filter((l) =>
        l !== "" && !l.startsWith("#")
      );
      assert.match(
        res.stdout,
        new RegExp(
          `\\b${seriesLines.length}\\s+\\d+\\s+${seriesLines.length}\\b`,
        ),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
