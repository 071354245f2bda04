// End-to-end: the response cache through the real CLI (spawned with the
// `deno task cli` permissions) against the fake Ollama server, with a
// temporary XDG_CACHE_HOME. Counts must be exact whether answers are live or
// cached, and a broken cache must never break a run.

import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type FakeOllama, startFakeOllama } from "./fake_ollama.ts";
import {
  type GeneratedQuestion,
  jsonReplies,
  readResults,
  readSummaryFile,
  runCli,
  spawnCli,
  truth,
  writeDataset,
} from "./cli_helper.ts";
import type { ResultRecord } from "../src/schema.ts";
import type { Summary } from "../src/report/summary.ts";

/**
 * Deno keeps its own cache under XDG_CACHE_HOME too: pin it, so a temporary
 * XDG_CACHE_HOME does not send the child to the npm registry.
 */
const DENO_DIR = await (async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    denoDir?: unknown;
  };
  assert.equal(typeof info.denoDir, "string");
  return info.denoDir as string;
})();

const SUBJECTS = ["anatomy", "astronomy", "virology"];
const PER_SUBJECT = 8;
const N = SUBJECTS.length * PER_SUBJECT;
const DIGEST_A = "a".repeat(64);
const DIGEST_B = "b".repeat(64);

interface Setup {
  tmp: string;
  data: string;
  xdg: string;
  questions: GeneratedQuestion[];
}

async function setup(): Promise<Setup> {
  const tmp = await Deno.makeTempDir({ prefix: "llm-bench-e2e-cache-" });
  const data = join(tmp, "data");
  const questions = await writeDataset(data, SUBJECTS, PER_SUBJECT);
  return { tmp, data, xdg: join(tmp, "xdg"), questions };
}

function fake(s: Setup, digest = DIGEST_A, serviceMs = 0) {
  return startFakeOllama({
    models: [{ name: "llama3.2:latest", digest }],
    parallel: 4,
    serviceMs,
    reply: jsonReplies(s.questions),
  });
}

/** Generation requests the fake saw. */
function generations(server: FakeOllama): number {
  return server.requests.filter((r) =>
    r.path === "/api/chat" || r.path === "/api/generate"
  ).length;
}

function runArgs(s: Setup, server: FakeOllama, runId: string, extra: string[]) {
  return [
    s.data,
    "--model",
    "llama3.2",
    "--base-url",
    server.url,
    "--output-dir",
    join(s.tmp, "out"),
    "--run-id",
    runId,
    "--metrics-port",
    "off",
    "--quiet",
    ...extra,
  ];
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  dir: string;
  results: ResultRecord[];
  summary: Summary;
}

async function bench(
  s: Setup,
  server: FakeOllama,
  runId: string,
  extra: string[] = ["--cache"],
  env: Record<string, string> = {},
): Promise<Run> {
  const r = await runCli(runArgs(s, server, runId, extra), {
    env: { XDG_CACHE_HOME: s.xdg, DENO_DIR, ...env },
  });
  assert.equal(r.code, 0, r.stderr);
  const dir = join(s.tmp, "out", runId);
  return {
    ...r,
    dir,
    results: await readResults(dir),
    summary: await readSummaryFile(dir),
  };
}

/** Asserts the counts are exactly the truth of the generated questions. */
function assertExact(run: Run, s: Setup): void {
  const t = truth(s.questions);
  assert.equal(run.results.length, N);
  assert.equal(new Set(run.results.map((r) => r.id)).size, N);
  assert.equal(run.summary.counts.total, N);
  assert.equal(run.summary.counts.correct, t.correct);
  assert.equal(run.summary.counts.wrong, t.wrong);
  assert.equal(run.summary.counts.errors, 0);
  assert.equal(run.summary.accuracy, t.accuracy);
  assert.equal(run.summary.complete, true);
}

/** What scoring made of each question, by id. */
function scoring(results: ResultRecord[]): Map<string, unknown[]> {
  return new Map(
    results.map((r) => [r.id, [r.status, r.predicted, r.method, r.raw]]),
  );
}

Deno.test("a second --cache run asks the server nothing and reports the same counts", async () => {
  const s = await setup();
  try {
    await using first = await fake(s);
    const live = await bench(s, first, "live");
    assertExact(live, s);
    assert.equal(generations(first), N);
    assert.ok(live.results.every((r) => r.cached === undefined));
    assert.equal(live.summary["cached_answers"], 0);

    await using second = await fake(s); // another URL: still the same model
    const cached = await bench(s, second, "cached");
    assert.equal(generations(second), 0, "no /api/chat or /api/generate");
    assertExact(cached, s);
    assert.ok(cached.results.every((r) => r.cached === true));
    assert.deepEqual(scoring(cached.results), scoring(live.results));
    assert.equal(cached.summary["cached_answers"], N);
    assert.equal(cached.summary["latency_ms"], null, "live answers only");
    assert.equal(cached.summary["tokens_per_second"], null);
    const note = `${N} of ${N} answers from cache`;
    assert.match(cached.stdout, new RegExp(note));
    for (const file of ["summary.md", "report.html"]) {
      const text = await Deno.readTextFile(join(cached.dir, file));
      assert.ok(text.includes(note), `${file} says "${note}"`);
    }
    assert.doesNotMatch(live.stdout, /from cache/);

    const stats = await runCli(["cache", "stats"], {
      env: { XDG_CACHE_HOME: s.xdg, DENO_DIR },
    });
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, new RegExp(`${N} entries, ${N} hits`));
    assert.match(stats.stdout, /llama3\.2 +\| +ollama \| aaaa/);
  } finally {
    await Deno.remove(s.tmp, { recursive: true });
  }
});

Deno.test("under deno task, cache stats finds a relative --cache-dir where the run put it (INIT_CWD)", async () => {
  const s = await setup();
  try {
    await using server = await fake(s);
    const home = { INIT_CWD: s.tmp };
    await bench(s, server, "rel", ["--cache", "--cache-dir", "mycache"], home);
    const stats = await runCli(["cache", "stats", "--cache-dir", "mycache"], {
      env: { XDG_CACHE_HOME: s.xdg, DENO_DIR, ...home },
    });
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, new RegExp(`${N} entries, 0 hits`));
    assert.ok(stats.stdout.includes(join(s.tmp, "mycache")), stats.stdout);
  } finally {
    await Deno.remove(s.tmp, { recursive: true });
  }
});

Deno.test("after a re-pull (new digest) every question is asked again", async () => {
  const s = await setup();
  try {
    await using before = await fake(s, DIGEST_A);
    assertExact(await bench(s, before, "before"), s);
    await using pulled = await fake(s, DIGEST_B);
    const after = await bench(s, pulled, "after");
    assert.equal(generations(pulled), N);
    assertExact(after, s);
    assert.ok(after.results.every((r) => r.cached === undefined));
    // Both digests' entries are kept until pruned or cleared.
    const cache = (...args: string[]) =>
      runCli(["cache", ...args], { env: { XDG_CACHE_HOME: s.xdg, DENO_DIR } });
    const stats = await cache("stats");
    assert.match(stats.stdout, new RegExp(`${2 * N} entries, 0 hits`));
    assert.match(stats.stdout, /\| aaaa/);
    assert.match(stats.stdout, /\| bbbb/);
    const pruned = await cache("prune", "--older-than", "1d");
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.match(
      pruned.stdout,
      new RegExp(`Deleted 0 entries .*; ${2 * N} left`),
    );
    const cleared = await cache("clear");
    assert.match(cleared.stdout, new RegExp(`Deleted ${2 * N} entries`));
    assert.match(
      (await cache("stats")).stdout,
      /: [\d.]+ KB, 0 entries, 0 hits/,
    );
  } finally {
    await Deno.remove(s.tmp, { recursive: true });
  }
});

Deno.test("--no-cache asks every question even with LLM_BENCH_CACHE=true", async () => {
  const s = await setup();
  try {
    await using first = await fake(s);
    assertExact(await bench(s, first, "fill"), s);
    await using second = await fake(s);
    const run = await bench(s, second, "nocache", ["--no-cache"], {
      LLM_BENCH_CACHE: "true",
    });
    assert.equal(generations(second), N);
    assertExact(run, s);
    assert.equal(run.summary["cached_answers"], 0);
    // And the variable alone turns the cache on.
    await using third = await fake(s);
    const viaEnv = await bench(s, third, "env", [], { LLM_BENCH_CACHE: "1" });
    assert.equal(generations(third), 0);
    assertExact(viaEnv, s);
  } finally {
    await Deno.remove(s.tmp, { recursive: true });
  }
});

Deno.test("two processes sharing one cache folder at once both finish with exact counts", async () => {
  const s = await setup();
  try {
    await using server = await fake(s, DIGEST_A, 25);
    const env = { XDG_CACHE_HOME: s.xdg, DENO_DIR };
    const children = ["p1", "p2"].map((id) =>
      spawnCli(runArgs(s, server, id, ["--cache", "--concurrency", "4"]), {
        env,
      })
    );
    const outs = await Promise.all(children.map((c) => c.output()));
    for (const out of outs) {
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.doesNotMatch(new TextDecoder().decode(out.stderr), /warning/);
    }
    for (const id of ["p1", "p2"]) {
      const dir = join(s.tmp, "out", id);
      assertExact({
        code: 0,
        stdout: "",
        stderr: "",
        dir,
        results: await readResults(dir),
        summary: await readSummaryFile(dir),
      }, s);
    }
    // Between them every answer was stored exactly once per key.
    await using check = await fake(s);
    assertExact(await bench(s, check, "after"), s);
    assert.equal(generations(check), 0);
  } finally {
    await Deno.remove(s.tmp, { recursive: true });
  }
});

Deno.test("a corrupt cache file gives a warning and an uncached run with exact counts", async () => {
  const s = await setup();
  try {
    await Deno.mkdir(join(s.xdg, "llm-bench"), { recursive: true });
    await Deno.writeTextFile(
      join(s.xdg, "llm-bench", "responses.sqlite"),
      "this is not a database\n".repeat(200),
    );
    await using server = await fake(s);
    const run = await bench(s, server, "corrupt");
    assert.match(
      run.stderr,
      /warning: Cannot .*responses\.sqlite.*; the run goes on without the cache/,
    );
    assert.equal(generations(server), N);
    assertExact(run, s);
    // The way out: `cache stats` says it, `cache clear` deletes the file.
    const env = { env: { XDG_CACHE_HOME: s.xdg, DENO_DIR } };
    const stats = await runCli(["cache", "stats"], env);
    assert.notEqual(stats.code, 0);
    assert.match(stats.stderr, /llm-bench cache clear/);
    const clear = await runCli(["cache", "clear"], env);
    assert.equal(clear.code, 0, clear.stderr);
    assert.match(clear.stdout, /Deleted the unreadable cache/);
    const gone = await Deno.stat(join(s.xdg, "llm-bench", "responses.sqlite"))
      .then(() => false, () => true);
    assert.ok(gone, "the file is deleted");
    await using again = await fake(s);
    const fill = await bench(s, again, "refill");
    assert.doesNotMatch(fill.stderr, /warning: Cannot/);
    assertExact(fill, s);
    await using last = await fake(s);
    assertExact(await bench(s, last, "cached"), s);
    assert.equal(generations(last), 0, "the new cache answers");
  } finally {
    await Deno.remove(s.tmp, { recursive: true });
  }
});

Deno.test("a cache written by a newer schema is refused with a message; the run goes on uncached", async () => {
  const s = await setup();
  try {
    await using first = await fake(s);
    assertExact(await bench(s, first, "fill"), s);
    const db = new DatabaseSync(join(s.xdg, "llm-bench", "responses.sqlite"));
    db.exec("UPDATE schema_version SET version = 99");
    db.close();
    await using second = await fake(s);
    const run = await bench(s, second, "newer");
    assert.match(
      run.stderr,
      /warning: Cannot use the cache .*written by a newer llm-bench \(cache schema 99, this version reads 1\)/,
    );
    assert.equal(generations(second), N);
    assertExact(run, s);
    const stats = await runCli(["cache", "stats"], {
      env: { XDG_CACHE_HOME: s.xdg, DENO_DIR },
    });
    assert.equal(stats.code, 1);
    assert.match(stats.stderr, /newer llm-bench/);
  } finally {
    await Deno.remove(s.tmp, { recursive: true });
  }
});

Deno.test("above temperature 0 each repeat is its own cache entry", async () => {
  const s = await setup();
  try {
    const args = ["--cache", "--temperature", "0.7", "--repeats", "2"];
    await using first = await fake(s);
    const live = await bench(s, first, "r1", args);
    assert.equal(generations(first), 2 * N);
    assert.equal(live.results.length, 2 * N);
    await using second = await fake(s);
    const cached = await bench(s, second, "r2", args);
    assert.equal(generations(second), 0);
    assert.equal(cached.results.length, 2 * N);
    assert.equal(cached.summary["cached_answers"], 2 * N);
    assert.deepEqual(cached.summary.counts, live.summary.counts);
  } finally {
    await Deno.remove(s.tmp, { recursive: true });
  }
});

Deno.test("a cache locked by another process gives a warning and an uncached run with exact counts", async () => {
  const s = await setup();
  try {
    await using first = await fake(s);
    assertExact(await bench(s, first, "fill"), s);
    const db = new DatabaseSync(join(s.xdg, "llm-bench", "responses.sqlite"));
    db.exec("BEGIN EXCLUSIVE");
    try {
      await using second = await fake(s);
      const run = await bench(s, second, "locked");
      assert.match(
        run.stderr,
        /warning: Cannot use the cache .*database is locked; the run goes on without the cache/,
      );
      assert.equal(generations(second), N);
      assertExact(run, s);
      assert.equal(run.summary["cached_answers"], 0);
    } finally {
      db.exec("ROLLBACK");
      db.close();
    }
  } finally {
    await Deno.remove(s.tmp, { recursive: true });
  }
});

Deno.test("a re-pull during a --cache run is reported and its live answers are not kept", async () => {
  const s = await setup();
  try {
    const reply = jsonReplies(s.questions);
    let asked = 0;
    const holder: { repull?: () => void } = {};
    await using server = await startFakeOllama({
      models: [{ name: "llama3.2:latest", digest: DIGEST_A }],
      parallel: 1,
      reply: (req) => {
        if (++asked === 5) holder.repull?.();
        return reply(req);
      },
    });
    holder.repull = () => server.repull("llama3.2", DIGEST_B);
    const during = await bench(s, server, "during", [
      "--cache",
      "--concurrency",
      "1",
    ]);
    assertExact(during, s);
    assert.match(
      during.stderr,
      /warning: llama3\.2 changed at .* during the run \(version aaaaaaaaaaaa is now bbbbbbbbbbbb\)/,
    );
    // The old build again: nothing of the mixed run is served under its key.
    await using old = await fake(s, DIGEST_A);
    const again = await bench(s, old, "again");
    assert.equal(generations(old), N);
    assert.ok(again.results.every((r) => r.cached === undefined));
  } finally {
    await Deno.remove(s.tmp, { recursive: true });
  }
});
