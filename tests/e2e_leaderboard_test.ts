// The leaderboard end to end: four models of known quality answer a fake
// Ollama in two separate two-model runs; `leaderboard OUT --output-dir D`
// must find both runs, rank the four as served, agree with an independent
// exact McNemar + Holm, and write its files only into D. Bad input exits 2.

import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeOllama } from "./fake_ollama.ts";
import {
  type GeneratedQuestion,
  listFiles,
  questionFor,
  quietFlags,
  runCli,
  STACK_TRACE_REGEXP,
  tempDir,
  writeDataset,
} from "./cli_helper.ts";
import { wilson } from "../src/stats.ts";
import { bigMcnemar, holmOracle } from "./mcnemar_oracle.ts";
import { CHROMIUM_FLAGS, findChromium } from "./report_sample.ts";
import { writeComparison } from "../src/commands/compare.ts";
import type { Summary } from "../src/report/summary.ts";

/** Served quality: a model is wrong on question n when `wrong(n)`. */
const MODELS: Record<string, { wrong: (n: number) => boolean; ms: number }> = {
  "alpha": { wrong: () => false, ms: 30 },
  "beta": { wrong: (n) => n % 4 === 0, ms: 8 },
  "gamma": { wrong: (n) => n % 2 === 0, ms: 4 },
  "delta": { wrong: (n) => n % 4 !== 1, ms: 20 },
};

const LETTERS = ["A", "B", "C", "D"];

function answerOf(model: string, q: GeneratedQuestion): string {
  const right = q.answer;
  return MODELS[model]!.wrong(q.n)
    ? LETTERS[(LETTERS.indexOf(right) + 1) % 4]!
    : right;
}

async function twoRuns(tmp: string): Promise<{
  out: string;
  questions: GeneratedQuestion[];
}> {
  const questions = await writeDataset(
    join(tmp, "data"),
    ["anatomy", "virology"],
    24,
  );
  await using fake = await startFakeOllama({
    models: Object.keys(MODELS).map((name) => ({ name })),
    parallel: 4,
    serviceMs: (req) => MODELS[String(req.body.model)]?.ms ?? 1,
    reply: (req) => {
      const q = questionFor(req, questions);
      const letter = q ? answerOf(String(req.body.model), q) : "A";
      return { content: JSON.stringify({ answer: letter }) };
    },
  });
  const out = join(tmp, "results");
  for (
    const [id, models] of [["day1", "alpha,beta"], ["day2", "gamma,delta"]]
  ) {
    const r = await runCli([
      join(tmp, "data"),
      "--model",
      models!,
      "--run-id",
      id!,
      "--concurrency",
      "4",
      ...quietFlags(fake.url),
      "--output-dir",
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    if (id === "day1") {
      // A multi-model run ends with the leaderboard, once, and writes it.
      assert.equal(r.stdout.match(/^Comparison: 2 models/gm)?.length, 1);
      const files = await listFiles(join(out, id));
      for (
        const f of [
          "leaderboard.json",
          "leaderboard.md",
          "leaderboard.html",
          "report.html",
        ]
      ) {
        assert.ok(files.includes(f), `${f} in ${files}`);
      }
    }
  }
  return { out, questions };
}

Deno.test("llm-bench leaderboard ranks four models of two runs as served, with exact McNemar and Holm", async () => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const { out, questions } = await twoRuns(tmp);
  const before = await listFiles(out);
  const board = join(tmp, "board");
  const r = await runCli(["leaderboard", out, "--output-dir", board]);
  assert.equal(r.code, 0, r.stderr);
  // Every line fits 80 columns, except the one naming the (long) temp path.
  for (const line of r.stdout.split("\n").filter((l) => !l.includes(tmp))) {
    assert.ok(line.length <= 80, `line over 80 columns: ${line}`);
  }
  assert.deepEqual(
    await listFiles(out),
    before,
    "nothing written into the runs read",
  );
  const b = JSON.parse(
    await Deno.readTextFile(join(board, "leaderboard.json")),
  );
  assert.deepEqual(
    b.models.map((m: { model: string }) => m.model),
    ["alpha", "beta", "gamma", "delta"],
  );
  assert.deepEqual(b.models.map((m: { rank: number }) => m.rank), [1, 2, 3, 4]);
  const rightOf = (model: string) =>
    questions.map((q) => answerOf(model, q) === q.answer);
  for (const m of b.models) {
    const right = rightOf(m.model);
    const correct = right.filter(Boolean).length;
    assert.equal(m.correct, correct, m.model);
    assert.equal(m.scored, questions.length);
    assert.equal(m.accuracy, correct / questions.length);
    assert.deepEqual(m.ci95, wilson(correct, questions.length));
    assert.equal(typeof m["service_ms_per_question"], "number");
  }
  // Every pair against an independent exact McNemar + Holm.
  const raw = b.pairs.map((p: { a: string; b: string }) => {
    const x = rightOf(p.a), y = rightOf(p.b);
    const aOnly = x.filter((v, i) => v && !y[i]).length;
    const bOnly = y.filter((v, i) => v && !x[i]).length;
    return { aOnly, bOnly, p: bigMcnemar(aOnly, bOnly) };
  });
  const holm = holmOracle(raw.map((x: { p: number }) => x.p));
  b.pairs.forEach((p: Record<string, number | boolean>, k: number) => {
    assert.equal(p["a_only"], raw[k].aOnly);
    assert.equal(p["b_only"], raw[k].bOnly);
    assert.equal(p.shared, questions.length);
    assert.ok(Math.abs(Number(p["p_value"]) - raw[k].p) <= 1e-9 * raw[k].p);
    assert.ok(Math.abs(Number(p["p_holm"]) - holm[k]!) <= 1e-9 * holm[k]!);
    assert.equal(p.significant, holm[k]! < 0.05);
  });
  // 48 questions: 100%, 75%, 50%, 25% are all clearly apart.
  assert.deepEqual(b.models.map((m: { group: string }) => m.group), [
    "a",
    "b",
    "c",
    "d",
  ]);
  // gamma is fastest; alpha most accurate: both on the Pareto front, delta not.
  const front = b.models.filter((m: { pareto: boolean }) => m.pareto).map((
    m: { model: string },
  ) => m.model);
  assert.deepEqual(front.sort(), ["alpha", "beta", "gamma"]);
  const md = await Deno.readTextFile(join(board, "leaderboard.md"));
  assert.match(md, /^\| 1 \| a \| alpha /m);
  const html = await Deno.readTextFile(join(board, "leaderboard.html"));
  assert.match(html, /<svg class="chart scatter"/);
  assert.doesNotMatch(html, /<link|src="http/);
  // Like report.html, the page may load nothing and run only its own script.
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  if (chromium !== null) await checkInBrowser(join(board, "leaderboard.html"));
});

const chromium = findChromium();

/** Opens the page at phone width: the script runs, no error, no sideways scroll. */
async function checkInBrowser(file: string) {
  const html = await Deno.readTextFile(file);
  const probe = html.replace(
    "</body>",
    `<script>addEventListener("load", () => { document.body.dataset.sw = String(document.documentElement.scrollWidth); document.body.dataset.cw = String(document.documentElement.clientWidth); });</script></body>`,
  );
  const page = file.replace(/\.html$/, "-probe.html");
  await Deno.writeTextFile(page, probe);
  const profile = await Deno.makeTempDir({ prefix: "llm-bench-chromium-" });
  try {
    const r = await new Deno.Command(chromium!, {
      args: [
        ...CHROMIUM_FLAGS,
        `--user-data-dir=${profile}`,
        "--window-size=420,1000",
        "--virtual-time-budget=2000",
        "--dump-dom",
        `file://${page}`,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const dom = new TextDecoder().decode(r.stdout);
    assert.ok(r.success, new TextDecoder().decode(r.stderr));
    assert.match(dom, /<html[^>]*data-ready="1"/);
    const errors = dom.match(/<pre id="js-errors"[^>]*>([\s\S]*?)<\/pre>/);
    assert.equal(errors?.[1], "", "script errors");
    assert.equal(dom.match(/<svg /g)?.length, 1, "the scatter chart");
    const sw = Number(/data-sw="(\d+)"/.exec(dom)?.[1]);
    const cw = Number(/data-cw="(\d+)"/.exec(dom)?.[1]);
    assert.ok(cw > 0 && sw <= cw, `page scrolls sideways: ${sw} > ${cw}`);
  } finally {
    await Deno.remove(profile, { recursive: true });
  }
}

Deno.test("llm-bench compare names A and B, and a multi-model folder lists the model folders", async () => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const { out } = await twoRuns(tmp);
  const r = await runCli([
    "compare",
    join(out, "day2", "gamma"),
    join(out, "day1", "beta"),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^A = gamma \(run day2\)$/m);
  assert.match(r.stdout, /^B = beta \(run day1\)$/m);
  // gamma 50%, beta 75%: A − B is −25 points.
  assert.match(r.stdout, /^Difference \(A - B\): -25\.0 pts, 95% CI \[-/m);
  assert.match(r.stdout, /^anatomy\s+24\s+50\.0%\s+75\.0%\s+-25\.0/m);
  const parent = await runCli([
    "compare",
    join(out, "day1"),
    join(out, "day2"),
  ]);
  assert.equal(parent.code, 2);
  assert.match(
    parent.stderr,
    /Cannot compare ".*day1": it holds 2 runs; pick one/,
  );
  assert.match(parent.stderr, /day1\/alpha/);
  const missing = await runCli([
    "compare",
    join(tmp, "nope"),
    join(out, "day1"),
  ]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Cannot read ".*nope"/);
  assert.doesNotMatch(missing.stderr, STACK_TRACE_REGEXP);
  const report = await runCli(["report", join(tmp, "nope")]);
  assert.equal(report.code, 2);
  assert.match(report.stderr, /^Cannot read ".*nope": no such folder$/m);
});

/** summary.json as parsed, to be edited into a broken copy. */
type SummaryJson = ReturnType<typeof JSON.parse>;

/**
 * Copies the run folder `run` (summary.json and results.jsonl) to `to`,
 * after `editSummary` changed its summary; `results` replaces the results
 * file's text (null leaves the file out).
 */
async function copyRun(
  run: string,
  to: string,
  opts: {
    editSummary?: (summary: SummaryJson) => void;
    results?: string | null;
  } = {},
): Promise<string> {
  await Deno.mkdir(to);
  if (opts.editSummary) {
    const summary = JSON.parse(
      await Deno.readTextFile(join(run, "summary.json")),
    );
    opts.editSummary(summary);
    await Deno.writeTextFile(join(to, "summary.json"), JSON.stringify(summary));
  } else {
    await Deno.copyFile(join(run, "summary.json"), join(to, "summary.json"));
  }
  if (opts.results === undefined) {
    await Deno.copyFile(join(run, "results.jsonl"), join(to, "results.jsonl"));
  } else if (opts.results !== null) {
    await Deno.writeTextFile(join(to, "results.jsonl"), opts.results);
  }
  return to;
}

Deno.test("llm-bench leaderboard refuses bad input with exit 2 and no stack trace", async (t) => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const { out } = await twoRuns(tmp);
  const run = join(out, "day1", "alpha");
  const expect = async (args: string[], message: RegExp) => {
    const r = await runCli(["leaderboard", ...args]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
  };
  await t.step("a run reached twice counts once", async () => {
    const r = await runCli(["leaderboard", out, run + "/"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Leaderboard: 4 models/m);
    assert.doesNotMatch(r.stdout, /Not ranked/);
  });
  await t.step("a folder with no runs", async () => {
    await Deno.mkdir(join(tmp, "empty"));
    await expect([join(tmp, "empty")], /Cannot read ".*empty": no runs in it/);
  });
  await t.step("a missing folder", async () => {
    await expect(
      [join(tmp, "missing")],
      /Cannot read ".*missing": no such file or folder/,
    );
  });
  await t.step("an output folder inside a run read", async () => {
    await expect(
      [out, "--output-dir", join(run, "x")],
      /Cannot write into .*inside the run folder/,
    );
  });
  await t.step(
    "an output folder inside a multi-model run folder read",
    async () => {
      await expect(
        [out, "--output-dir", join(out, "day1", "board")],
        /Cannot write into .*inside the run folder .*day1/,
      );
      await assert.rejects(Deno.stat(join(out, "day1", "board")));
    },
  );
  await t.step(
    "compare into the multi-model run folder of a run compared",
    async () => {
      const report = join(out, "day1", "report.html");
      const before = await Deno.readTextFile(report);
      const r = await runCli([
        "compare",
        run,
        join(out, "day2", "gamma"),
        "--output-dir",
        join(out, "day1"),
      ]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(
        r.stderr,
        /Cannot compare into ".*day1": it is .*run folder .*day1/,
      );
      assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
      assert.equal(await Deno.readTextFile(report), before);
      await assert.rejects(Deno.stat(join(out, "day1", "comparison.md")));
    },
  );
  await t.step(
    "a results file cut short is ranked with a warning",
    async () => {
      const text = await Deno.readTextFile(join(run, "results.jsonl"));
      const lines = text.split("\n").filter((l) => l !== "");
      // Two whole lines and half of the third, as a copy cut off mid-write leaves it.
      const copy = await copyRun(run, join(tmp, "cut"), {
        results: lines.slice(0, 2).join("\n") + "\n" + lines[2]!.slice(0, 30),
      });
      const r = await runCli(["leaderboard", copy]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout.replace(/\n\s+/g, " "),
        new RegExp(
          `warning: "alpha" \\(run "day1"\\): results\\.jsonl holds 2 of the ${lines.length} results summary\\.json counts`,
        ),
      );
    },
  );
  await t.step("a run without results", async () => {
    const copy = await copyRun(run, join(tmp, "noresults"), { results: null });
    await expect([copy], /Cannot read ".*noresults": no results\.jsonl/);
  });
  await t.step("an empty results file", async () => {
    const copy = await copyRun(run, join(tmp, "emptyresults"), {
      results: "",
    });
    await expect(
      [copy],
      /Cannot read ".*emptyresults": results\.jsonl is empty/,
    );
  });
  await t.step("a subject no run has", async () => {
    await expect(
      [out, "--subjects", "anatomy,astrology"],
      /Cannot rank: no questions of subject "astrology" in these runs \(they have 2 subjects: anatomy, virology\)/,
    );
  });
  await t.step("a summary.json with a wrong field", async () => {
    const copy = await copyRun(run, join(tmp, "badsummary"), {
      editSummary: (summary) => {
        summary.counts.total = "12";
      },
    });
    await expect(
      [copy],
      /Cannot read ".*badsummary\/summary\.json": field "counts\.total" is a string, expected a number/,
    );
  });
  await t.step("a torn results file", async () => {
    const lines = (await Deno.readTextFile(join(run, "results.jsonl"))).split(
      "\n",
    );
    lines[3] = lines[3]!.slice(0, 40);
    const copy = await copyRun(run, join(tmp, "torn"), {
      results: lines.join("\n"),
    });
    await expect(
      [copy],
      /Cannot read ".*torn\/results\.jsonl": line 4 is not JSON/,
    );
  });
  await t.step("compare with an unmerged shard", async () => {
    const shard = await copyRun(run, join(tmp, "shard"), {
      editSummary: (summary) => {
        summary.config.shard = { index: 1, count: 2 };
      },
    });
    const r = await runCli(["compare", shard, join(out, "day1", "beta")]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /Cannot compare ".*shard": shard 1\/2: merge/);
    assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
  });
  await t.step("runs of different datasets", async () => {
    const other = await copyRun(run, join(tmp, "other"), {
      editSummary: (summary) => {
        summary.model = "other:latest";
        summary.dataset.files = summary.dataset.files.map((
          f: { sha256: string },
        ) => ({
          ...f,
          sha256: "0".repeat(64),
        }));
      },
    });
    await expect(
      [run, other],
      /Cannot rank .*shares no scored question with the other runs \(different datasets\)/,
    );
  });
});

Deno.test("writeComparison() leaves out a model stopped before its first answer", async () => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const { out } = await twoRuns(tmp);
  const run = join(out, "day1");
  const read = async (m: string) => ({
    model: m,
    dir: join(run, m),
    summary: JSON.parse(
      await Deno.readTextFile(join(run, m, "summary.json")),
    ) as Summary,
  });
  const [alpha, beta] = [await read("alpha"), await read("beta")];
  // beta as if interrupted before any answer: no lines, total 0.
  await Deno.writeTextFile(join(beta.dir, "results.jsonl"), "");
  beta.summary.counts = { ...beta.summary.counts, total: 0 };
  assert.equal(await writeComparison(run, [alpha, beta]), "");
  const gamma = await read("../day2/gamma");
  const text = await writeComparison(run, [alpha, beta, gamma]);
  assert.match(text, /^Comparison: 2 models/m);
  // The two ranked are the two that answered; beta is in no row.
  assert.match(text, /^1 +a +alpha /m);
  assert.match(text, /^2 +b +gamma /m);
  assert.doesNotMatch(text, /beta/);
});
