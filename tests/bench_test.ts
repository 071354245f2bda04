import assert from "node:assert/strict";
import { modelFolderNames } from "../src/commands/benchmark.ts";
import { budgetWarnings } from "../src/commands/model_run.ts";
import type { Summary } from "../src/report/summary.ts";

Deno.test("modelFolderNames() gives every model its own folder", () => {
  assert.deepEqual(
    modelFolderNames(["qwen:1", "qwen_1", "QWEN_1", "llama3.2"]),
    [
      "qwen_1",
      "qwen_1-2",
      "QWEN_1-3",
      "llama3.2",
    ],
  );
  assert.deepEqual(
    modelFolderNames(["../../etc/x"]).map((n) => n.includes("/")),
    [false],
  );
});

Deno.test("budgetWarnings() tells the user when answers were cut by the budget", () => {
  const summary = (by: Record<string, number>) =>
    ({ "unparsed_by_reason": by }) as unknown as Summary;
  assert.deepEqual(budgetWarnings(summary({}), 64), []);
  const w = budgetWarnings(
    summary({ "truncated_in_thinking": 3, truncated: 2, "no answer found": 1 }),
    4096,
  );
  assert.equal(w.length, 2);
  assert.match(
    w[0]!,
    /^3 answer\(s\) ran out of the 4096-token budget while thinking/,
  );
  assert.match(w[1]!, /^2 answer\(s\) were cut by the 4096-token budget/);
});

async function benchWith(argv: string[], stop: AbortSignal) {
  const { runBench } = await import("../src/commands/benchmark.ts");
  const { parseCommand } = await import("../src/cli/parse.ts");
  const c = parseCommand(argv, () => undefined);
  if (c.kind !== "run") throw new Error("not a run");
  const err: string[] = [];
  const out: string[] = [];
  const code = await runBench(c.config, c.explicit, {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    stderrIsTty: false,
    columns: 100,
  }, { stop, abort: new AbortController().signal });
  return { code, stderr: err.join(""), stdout: out.join("") };
}

Deno.test("runBench() reports an interrupt that came before a model's questions, exit 130", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const stop = new AbortController();
    stop.abort("interrupted");
    const r = await benchWith(
      [
        "benchmark_data",
        "--backend",
        "mock",
        "--model",
        "m1,m2",
        "--metrics-port",
        "off",
        "--quiet",
        "--output-dir",
        tmp,
      ],
      stop.signal,
    );
    assert.equal(r.code, 130);
    assert.match(
      r.stderr,
      /Interrupted: partial results in \S+\nTo finish it, resume with: llm-bench --resume /,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("runBench() warns when a subject has fewer few-shot examples than --shots asks for", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${tmp}/data`);
    await Deno.copyFile(
      "benchmark_data/abstract_algebra_test.csv",
      `${tmp}/data/abstract_algebra_test.csv`,
    );
    const r = await benchWith(
      [
        `${tmp}/data`,
        "--backend",
        "mock",
        "--shots",
        "5",
        "--metrics-port",
        "off",
        "--quiet",
        "--output-dir",
        `${tmp}/out`,
      ],
      new AbortController().signal,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /warning: abstract_algebra: 0 of 5 few-shot example\(s\)/,
    );
    // Once per subject, not once per question.
    assert.equal(r.stderr.match(/few-shot example/g)?.length, 1);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("runBench() exits 130, not 1, when Ctrl-C aborts the preflight, and makes no folder", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const { runBench } = await import("../src/commands/benchmark.ts");
    const { parseCommand } = await import("../src/cli/parse.ts");
    const c = parseCommand([
      "benchmark_data",
      "--base-url",
      "http://127.0.0.1:9",
      "--metrics-port",
      "off",
      "--quiet",
      "--output-dir",
      tmp,
    ], () => undefined);
    if (c.kind !== "run") throw new Error("not a run");
    // The first Ctrl-C, and its grace period over: requests are aborted.
    const stop = new AbortController();
    stop.abort("interrupted");
    const abort = new AbortController();
    abort.abort("interrupted");
    const err: string[] = [];
    const code = await runBench(c.config, c.explicit, {
      stdout: () => {},
      stderr: (t) => err.push(t),
      stderrIsTty: false,
      columns: 100,
    }, { stop: stop.signal, abort: abort.signal });
    assert.equal(code, 130);
    assert.match(err.join(""), /Interrupted before the run started/);
    assert.deepEqual([...Deno.readDirSync(tmp)], []);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
