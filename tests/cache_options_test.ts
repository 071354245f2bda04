// The cache's options, subcommand arguments, summary figures and pool
// accounting: the parts of the response cache that are pure.

import assert from "node:assert/strict";
import { join } from "node:path";
import type { AskResponse, Backend } from "../src/backend/backend.ts";
import { EndpointPool } from "../src/backend/pool.ts";
import { type Command, parseCommand } from "../src/cli/parse.ts";
import { withUserPaths } from "../src/cli/user_paths.ts";
import { parseAge, parseCacheArgs } from "../src/commands/cache.ts";
import { UsageError } from "../src/errors.ts";
import { renderSummaryMarkdown } from "../src/report/markdown.ts";
import { SummaryBuilder } from "../src/report/summary.ts";
import { renderSummaryText } from "../src/report/text.ts";
import type { ResultRecord } from "../src/schema.ts";
import { meta, record } from "./report_sample.ts";

function env(vars: Record<string, string>) {
  return (name: string) => vars[name];
}

function runConfig(argv: string[], vars: Record<string, string> = {}) {
  const c = parseCommand(argv, env(vars));
  assert.equal(c.kind, "run");
  return (c as Extract<Command, { kind: "run" }>).config;
}

Deno.test("--cache is off by default; LLM_BENCH_CACHE turns it on; --no-cache wins", () => {
  assert.equal(runConfig([]).cache, false);
  assert.equal(runConfig([], { LLM_BENCH_CACHE: "true" }).cache, true);
  assert.equal(runConfig(["--cache"]).cache, true);
  assert.equal(
    runConfig(["--no-cache"], { LLM_BENCH_CACHE: "true" }).cache,
    false,
  );
  assert.throws(
    () => parseCommand([], env({ LLM_BENCH_CACHE: "maybe" })),
    (e: unknown) =>
      e instanceof UsageError && /LLM_BENCH_CACHE/.test(e.message),
  );
});

Deno.test("--cache-dir defaults to XDG_CACHE_HOME, then HOME, and can be set", () => {
  assert.equal(
    runConfig([], { XDG_CACHE_HOME: "/x", HOME: "/h" }).cacheDir,
    join("/x", "llm-bench"),
  );
  assert.equal(
    runConfig([], { HOME: "/h" }).cacheDir,
    join("/h", ".cache", "llm-bench"),
  );
  assert.equal(runConfig([]).cacheDir, null);
  assert.equal(
    runConfig(["--cache-dir", "/c"], { LLM_BENCH_CACHE_DIR: "/e" }).cacheDir,
    "/c",
  );
  assert.equal(runConfig([], { LLM_BENCH_CACHE_DIR: "/e" }).cacheDir, "/e");
});

Deno.test("a relative --cache-dir means the folder the user typed it in", () => {
  const command = parseCommand(["--cache-dir", "mycache"], env({}));
  const resolved = withUserPaths(command, "/home/me/project");
  assert.equal(resolved.kind, "run");
  assert.equal(
    (resolved as Extract<Command, { kind: "run" }>).config.cacheDir,
    join("/home/me/project", "mycache"),
  );
});

Deno.test("parseCommand() hands `cache ...` to the cache command", () => {
  assert.deepEqual(parseCommand(["cache", "stats", "--x"], env({})), {
    kind: "cache",
    args: ["stats", "--x"],
  });
});

Deno.test("parseCacheArgs() reads the action, the folder and the age", async (t) => {
  const vars = { HOME: "/h" };
  await t.step("stats with the default folder", () => {
    assert.deepEqual(parseCacheArgs(["stats"], env(vars)), {
      action: "stats",
      dir: join("/h", ".cache", "llm-bench"),
    });
  });
  await t.step("prune defaults to 30 days", () => {
    assert.deepEqual(parseCacheArgs(["prune", "--cache-dir", "/c"], env({})), {
      action: "prune",
      dir: "/c",
      olderThanMs: 30 * 86_400_000,
    });
  });
  await t.step("prune --older-than", () => {
    const a = parseCacheArgs(["prune", "--older-than", "12h"], env(vars));
    assert.equal(a.action === "prune" && a.olderThanMs, 12 * 3_600_000);
  });
  await t.step("LLM_BENCH_CACHE_DIR", () => {
    assert.deepEqual(
      parseCacheArgs(["clear"], env({ ...vars, LLM_BENCH_CACHE_DIR: "/e" })),
      { action: "clear", dir: "/e" },
    );
  });
  await t.step("help", () => {
    assert.deepEqual(parseCacheArgs(["--help"], env({})), { action: "help" });
  });
  for (
    const [name, argv, word] of [
      ["no action", [], "stats, prune, clear"],
      ["unknown action", ["purge"], "purge"],
      ["extra word", ["stats", "now"], "now"],
      ["age without prune", ["stats", "--older-than", "1d"], "--older-than"],
      ["bad age", ["prune", "--older-than", "soon"], "soon"],
      ["unknown flag", ["stats", "--all"], "--all"],
    ] as const
  ) {
    await t.step(name, () => {
      assert.throws(
        () => parseCacheArgs([...argv], env(vars)),
        (e: unknown) =>
          e instanceof UsageError && e.message.includes(word) &&
          !e.message.includes("\n"),
      );
    });
  }
  await t.step("no folder at all", () => {
    assert.throws(() => parseCacheArgs(["stats"], env({})), UsageError);
  });
});

Deno.test("parseAge() reads s, m, h, d and w", () => {
  assert.equal(parseAge("45s"), 45_000);
  assert.equal(parseAge("90m"), 90 * 60_000);
  assert.equal(parseAge("2w"), 14 * 86_400_000);
  assert.throws(() => parseAge("30"), UsageError);
  assert.throws(() => parseAge("-1d"), UsageError);
});

function summaryOf(records: ResultRecord[]) {
  const b = new SummaryBuilder();
  for (const r of records) b.add(r);
  return b.build(meta());
}

Deno.test("SummaryBuilder counts cached answers and keeps them out of timing figures", () => {
  const live = (i: number, latency: number) =>
    record({
      id: `a:${i}`,
      "latency_ms": latency,
      "service_ms": latency - 10,
      "eval_tokens": 10,
      "eval_duration_ns": 100_000_000,
    });
  const cached = (i: number, status: "correct" | "wrong") =>
    record({
      id: `c:${i}`,
      status,
      cached: true,
      "latency_ms": 0.01,
      "service_ms": 999,
      "eval_tokens": 10,
      "eval_duration_ns": 1_000_000,
    });
  const s = summaryOf([
    live(1, 100),
    live(2, 300),
    cached(3, "correct"),
    cached(4, "wrong"),
    record({
      id: "e:5",
      status: "error",
      "error_kind": "timeout",
      "eval_tokens": null,
    }),
  ]);
  assert.equal(s["cached_answers"], 2);
  assert.equal(s.counts.correct, 3);
  assert.equal(s.counts.wrong, 1);
  assert.equal(s.accuracy, 3 / 4);
  assert.equal(s["latency_ms"]?.count, 2);
  assert.equal(s["latency_ms"]?.mean, 200);
  assert.equal(s["service_ms"]?.max, 290);
  assert.equal(s["tokens_per_second"], 100, "20 tokens in 0.2 s, live only");
  assert.equal(s["eval_tokens"], 40, "token totals count every answer");
  const note = "2 of 4 answers from cache";
  assert.ok(renderSummaryText(s).includes(note));
  assert.ok(renderSummaryMarkdown(s).includes(note));
  const none = summaryOf([live(1, 100)]);
  assert.equal(none["cached_answers"], 0);
  assert.ok(!renderSummaryText(none).includes("from cache"));
});

function backend(endpoint: string): Backend {
  return {
    endpoint,
    preflight: () => Promise.reject(new Error("not used")),
    ask: (): Promise<AskResponse> => Promise.reject(new Error("not used")),
    unload: () => Promise.resolve(),
  };
}

Deno.test("EndpointPool does not count a cached answer as a request or a warm-up", async () => {
  const pool = new EndpointPool([backend("http://a")], { concurrency: 2 });
  const first = await pool.acquire();
  first.release({ ok: true, latencyMs: 0.01, errorKind: null, cached: true });
  const second = await pool.acquire();
  assert.equal(second.warm, false, "the model still has to load");
  second.release({ ok: true, latencyMs: 500, errorKind: null });
  assert.deepEqual(
    pool.stats().map((s) => [s.requests, s.latencyMsTotal]),
    [[1, 500]],
  );
  assert.equal((await pool.acquire()).warm, true);
});
