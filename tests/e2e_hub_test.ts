// End-to-end: the CLI reads an `hf:` dataset from a fake Hub with the
// permissions users get; HF_TOKEN never reaches stdout, stderr, the log,
// run.json or the cache; a second run is served from the cache; a resume
// reads the recorded revision; offline and network failures exit 2 and 1.
// The fake repo serves an MMLU-Pro JSON Lines file so this test does not
// depend on a Parquet reader.

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  quietArgs,
  readResults,
  readSummaryFile,
  runCli,
} from "./cli_helper.ts";
import { startFakeOllama } from "./fake_ollama.ts";
import { listFiles, STACK_TRACE_REGEXP, tempDir } from "./cli_helper.ts";
import { commitId, sha256Hex, startFakeHub } from "./fake_hub.ts";

const TOKEN = "hf_" + "e2eSecret0".repeat(4);

function quiz(questions: Array<[string, string[], number, string]>) {
  return new TextEncoder().encode(
    questions.map(([question, options, index, category]) =>
      JSON.stringify({
        question,
        options,
        answer: "ABCDEFGHIJ"[index],
        "answer_index": index,
        category,
      })
    ).join("\n") + "\n",
  );
}

const V1 = quiz([
  ["2+2?", ["3", "4", "5", "6"], 1, "math"],
  ["Capital of France?", ["Paris", "Rome", "Oslo", "Bern"], 0, "geography"],
  ["Largest planet?", ["Mars", "Venus", "Jupiter"], 2, "astronomy"],
]);
const V2 = quiz([["3+3?", ["6", "7"], 0, "math"]]);

/**
 * Deno's own cache folder: XDG_CACHE_HOME also moves Deno's default cache,
 * so the child is told where the installed packages are.
 */
async function denoDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const info: unknown = JSON.parse(new TextDecoder().decode(out.stdout));
  const dir = typeof info === "object" && info !== null && "denoDir" in info
    ? info.denoDir
    : null;
  assert.ok(typeof dir === "string");
  return dir;
}

async function allText(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const rel of await listFiles(dir)) {
    out.set(rel, new TextDecoder().decode(await Deno.readFile(join(dir, rel))));
  }
  return out;
}

Deno.test("llm-bench hf:OWNER/NAME downloads once, records the revision, never leaks HF_TOKEN, and resumes on the same revision", async () => {
  await using tmp = await tempDir();
  await using hub = await startFakeHub([{
    repo: "org/quiz",
    tokens: [TOKEN],
    commits: [{
      sha: commitId("quiz-1"),
      files: [{ path: "default/test/0000.jsonl", bytes: V1 }],
    }],
  }]);
  const cache = join(tmp.path, "cache");
  const out = join(tmp.path, "out");
  const env = {
    HF_ENDPOINT: hub.url,
    HF_TOKEN: TOKEN,
    XDG_CACHE_HOME: cache,
    DENO_DIR: await denoDir(),
  };
  const args = (runId: string, extra: string[] = []) => [
    "hf:org/quiz",
    "--backend",
    "mock",
    "--csv-pattern",
    "*.jsonl",
    "--output-dir",
    out,
    "--run-id",
    runId,
    "--metrics-port",
    "off",
    ...extra,
  ];

  const first = await runCli(args("first", ["--verbose"]), { env });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /hf: downloading default\/test\/0000\.jsonl/);
  assert.match(
    first.stderr,
    /hf:org\/quiz:default:test at [0-9a-f]{12}: 1 file\(s\)/,
  );
  const runDir = join(out, "first");
  const manifest = JSON.parse(
    await Deno.readTextFile(join(runDir, "run.json")),
  );
  assert.deepEqual(manifest.source, {
    kind: "hf",
    path: `hf:org/quiz@${commitId("quiz-1")}:default:test`,
    endpoint: hub.url,
    repo: "org/quiz",
    revision: commitId("quiz-1"),
    config: "default",
    split: "test",
    partial: false,
    files: [{
      path: "default/test/0000.jsonl",
      file: "default_test.jsonl",
      size: V1.length,
      sha256: sha256Hex(V1),
    }],
  });
  assert.equal(manifest.dataset.files[0].sha256, sha256Hex(V1));
  const results = await readResults(runDir);
  assert.equal(results.length, 3);
  assert.deepEqual(
    results.map((r) => r.subject).sort(),
    ["astronomy", "geography", "math"],
  );

  // The token went to the Hub, and nowhere else.
  assert.ok(hub.requests.some((r) => r.authorization === `Bearer ${TOKEN}`));
  assert.ok(!first.stdout.includes(TOKEN), "stdout holds the token");
  assert.ok(!first.stderr.includes(TOKEN), "stderr holds the token");
  for (const dir of [out, cache]) {
    for (const [rel, text] of await allText(dir)) {
      assert.ok(!text.includes(TOKEN), `${rel} holds the token`);
    }
  }

  // A second run downloads nothing, and --quiet prints no hf: line.
  hub.requests.length = 0;
  const second = await runCli(args("second", ["--quiet"]), { env });
  assert.equal(second.code, 0, second.stderr);
  assert.ok(!second.stderr.includes("hf:"), second.stderr);
  assert.deepEqual(
    hub.requests.filter((r) =>
      r.server === "cdn" || r.path.includes("/resolve/")
    ),
    [],
  );

  // The branch moves on and the cache is cleared: a resume still reads
  // the recorded revision (downloaded again, pinned).
  hub.repos[0]!.commits.push({
    sha: commitId("quiz-2"),
    files: [{ path: "default/test/0000.jsonl", bytes: V2 }],
  });
  await Deno.remove(cache, { recursive: true });
  hub.requests.length = 0;
  const resumed = await runCli(["--resume", runDir, "--quiet"], { env });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.ok(
    hub.requests.every((r) => !r.path.includes("/revision/")),
    "the branch head was not asked for",
  );
  assert.ok(
    hub.requests.some((r) =>
      r.path.includes(`/resolve/${commitId("quiz-1")}/`)
    ),
  );
  assert.equal((await readResults(runDir)).length, 3);
});

Deno.test("llm-bench hf: exits 2 offline without a cache or for a bad name, 1 when the Hub is unreachable, with no stack trace", async (t) => {
  await using tmp = await tempDir();
  const cache = join(tmp.path, "cache");
  const deno = await denoDir();
  const run = (path: string, env: Record<string, string>) =>
    runCli([
      path,
      "--backend",
      "mock",
      "--output-dir",
      join(tmp.path, "out"),
      "--metrics-port",
      "off",
    ], { env: { XDG_CACHE_HOME: cache, DENO_DIR: deno, ...env } });
  await t.step("offline, not cached", async () => {
    const r = await run("hf:cais/mmlu:all:test", { HF_HUB_OFFLINE: "1" });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Cannot use "hf:cais\/mmlu:all:test" offline/);
    assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
  });
  await t.step("a malformed name", async () => {
    const r = await run("hf:cais", {});
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /Cannot use dataset "hf:cais": "cais" is not OWNER\/NAME/,
    );
  });
  await t.step("a dataset the Hub does not have", async () => {
    await using hub = await startFakeHub([]);
    const r = await run("hf:nobody/nothing", { HF_ENDPOINT: hub.url });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /Cannot download "hf:nobody\/nothing": the Hub answered 401/,
    );
  });
  await t.step("the Hub unreachable", async () => {
    const hub = await startFakeHub([]);
    await hub.close();
    const r = await run("hf:cais/mmlu:all:test", {
      HF_ENDPOINT: hub.url,
      HF_TOKEN: TOKEN,
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Cannot reach the Hub for "hf:cais\/mmlu:all:test"/);
    assert.ok(!r.stderr.includes(TOKEN));
    assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
  });
});

const SHAPES = decodeURIComponent(
  new URL("./fixtures/shapes/", import.meta.url).pathname,
);

/** Made-up MMLU question i of hf_mmlu_test.parquet: its subject and right option. */
function mmluTruth(i: number): { subject: string; right: string } {
  const subjects = ["astronomy", "astronomy", "virology", "astronomy"];
  return {
    subject: [...subjects, "virology"][i % 5]!,
    right: `${"wxyz"[i % 4]}${i}`,
  };
}

Deno.test("llm-bench hf:OWNER/NAME:CONFIG:SPLIT reads the Hub's Parquet with no format flag: each question asked once, counts, subjects and revision exact", async () => {
  await using tmp = await tempDir();
  const parquet = await Deno.readFile(join(SHAPES, "hf_mmlu_test.parquet"));
  const arc = await Deno.readFile(join(SHAPES, "arc_hub_test.parquet"));
  await using hub = await startFakeHub([{
    repo: "cais/mmlu",
    commits: [{
      sha: commitId("mmlu-parquet-1"),
      files: [
        { path: "all/test/0000.parquet", bytes: parquet },
        // Other splits of the same config are never read for :test.
        { path: "all/validation/0000.parquet", bytes: arc },
        { path: "all/dev/0000.parquet", bytes: arc },
      ],
    }],
  }]);
  const asked = new Map<string, number>();
  const OPTION_REGEXP = /^([A-J])\. (.*)$/gm;
  await using fake = await startFakeOllama({
    parallel: 2,
    reply: (req) => {
      const m = /Made-up MMLU question (\d+)\?/.exec(req.text);
      assert.ok(m, `an unexpected question: ${req.text}`);
      const i = Number(m[1]) - 1;
      asked.set(m[0], (asked.get(m[0]) ?? 0) + 1);
      const options = [...req.text.matchAll(OPTION_REGEXP)];
      const right = options.findIndex((o) => o[2] === mmluTruth(i).right);
      assert.notEqual(right, -1, req.text);
      // Right on questions 1..8, wrong after.
      const pick = i < 8 ? right : (right + 1) % options.length;
      return { content: JSON.stringify({ answer: options[pick]![1] }) };
    },
  });
  const out = join(tmp.path, "out");
  const r = await runCli([
    ...quietArgs("hf:cais/mmlu:all:test", fake.url, out, "hub"),
    "--model",
    "llama3.2",
  ], {
    env: {
      HF_ENDPOINT: hub.url,
      XDG_CACHE_HOME: join(tmp.path, "cache"),
      DENO_DIR: await denoDir(),
    },
  });
  assert.equal(r.code, 0, r.stderr);
  const runDir = join(out, "hub");
  assert.equal(asked.size, 12);
  assert.ok([...asked.values()].every((n) => n === 1), "asked once each");
  const results = await readResults(runDir);
  assert.equal(results.length, 12);
  assert.equal(new Set(results.map((x) => x.id)).size, 12);
  for (const x of results) {
    const i = x.line - 1;
    assert.equal(x.subject, mmluTruth(i).subject, x.id);
    assert.equal(x.status, i < 8 ? "correct" : "wrong", x.id);
  }
  const summary = await readSummaryFile(runDir);
  assert.equal(summary.counts.total, 12);
  assert.equal(summary.counts.correct, 8);
  assert.equal(summary.counts.skipped, 0);
  const manifest = JSON.parse(
    await Deno.readTextFile(join(runDir, "run.json")),
  );
  assert.equal(manifest.source.revision, commitId("mmlu-parquet-1"));
  assert.equal(manifest.source.split, "test");
  assert.deepEqual(
    manifest.source.files.map((f: { path: string }) => f.path),
    ["all/test/0000.parquet"],
  );
  assert.equal(manifest.source.files[0].sha256, sha256Hex(parquet));
  assert.equal(manifest.dataset.files.length, 1);
  assert.equal(manifest.dataset.files[0].sha256, sha256Hex(parquet));
});
