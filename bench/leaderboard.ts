// Performance case of `llm-bench leaderboard`: 50 runs of 14,042 questions
// (the size of MMLU's test set), read by the real CLI under GNU time. Peak
// RSS must follow the number of questions, not runs × questions, so the
// same questions are also read as 10 runs for comparison.

import { join } from "node:path";
import { mustSucceed, runCli } from "./proc.ts";
import { type Summary, SummaryBuilder } from "../src/report/summary.ts";
import type { ResultRecord } from "../src/schema.ts";
import type { Scenario, ScenarioContext, ScenarioResult } from "./scenarios.ts";

/** Distinct results files; runs share them through hard links to save disk. */
const VARIANTS = 5;
const SUBJECTS = 57;

function resultLine(i: number, variant: number, model: string): string {
  const subject = `subject_${String(i % SUBJECTS).padStart(2, "0")}`;
  const file = `${subject}_test.csv`;
  const line = Math.floor(i / SUBJECTS) + 1;
  // Variant v is wrong on a different, deterministic share of questions.
  const h = Math.imul(i + 1, 2654435761 + variant * 97) >>> 0;
  const right = h % 100 >= 25 + variant * 5;
  const expected = "ABCD"[i % 4]!;
  const predicted = right ? expected : "ABCD"[(i + 1) % 4]!;
  return JSON.stringify({
    id: `${file}:${line}`,
    index: i,
    file,
    line,
    subject,
    model,
    expected,
    predicted,
    status: right ? "correct" : "wrong",
    method: "json",
    raw: `{"answer":"${predicted}"}`,
    thinking: null,
    reason: null,
    "error_kind": null,
    "latency_ms": 180.5,
    "prompt_tokens": 120,
    "eval_tokens": 6,
    "eval_duration_ns": 60_000_000,
    "service_ms": 150 + variant * 20,
    "done_reason": "stop",
    attempts: 1,
    messages: [{
      role: "user",
      content:
        `The following are multiple choice questions (with answers) about ${subject}.\n\nQuestion ${i}: which of the following statements about the topic is correct?\nA. first option text\nB. second option text\nC. third option text\nD. fourth option text\nAnswer:`,
    }],
    prompt: null,
    "letter_probs": null,
    endpoint: "http://127.0.0.1:11434",
    repeat: 0,
  });
}

/** A run's summary.json, as the CLI writes it, over its variant's results. */
function summaryOf(
  run: number,
  questions: number,
  results: SummaryBuilder,
): Summary {
  const files = Array.from({ length: SUBJECTS }, (_, s) => ({
    file: `subject_${String(s).padStart(2, "0")}_test.csv`,
    sha256: `${String(s).padStart(2, "0")}`.repeat(32),
    rows: Math.ceil(questions / SUBJECTS),
  }));
  return results.build({
    runId: `run${String(run).padStart(2, "0")}`,
    complete: true,
    startedAt: new Date(Date.UTC(2026, 10, 1, 0, run)).toISOString(),
    finishedAt: null,
    wallTimeS: null,
    model: `model-${String(run).padStart(2, "0")}:latest`,
    modelInfo: null,
    backend: "ollama",
    mode: "answer",
    config: { shots: 0, temperature: 0, think: "auto" },
    dataset: { files, problems: [] },
    tool: { name: "llm-bench", version: "bench" },
  });
}

/** Writes `runs` run folders of `questions` results under `dir`; returns bytes of results. */
async function writeRuns(
  dir: string,
  runs: number,
  questions: number,
): Promise<number> {
  const shared = join(dir, "_variants");
  await Deno.mkdir(shared, { recursive: true });
  let bytes = 0;
  const builders: SummaryBuilder[] = [];
  for (let v = 0; v < VARIANTS; v++) {
    const builder = new SummaryBuilder();
    builders.push(builder);
    const path = join(shared, `v${v}.jsonl`);
    const file = await Deno.open(path, {
      write: true,
      create: true,
      truncate: true,
    });
    const enc = new TextEncoder();
    let chunk: string[] = [];
    for (let i = 0; i < questions; i++) {
      const line = resultLine(i, v, `variant-${v}`);
      builder.add(JSON.parse(line) as ResultRecord);
      chunk.push(line);
      if (chunk.length === 1000 || i === questions - 1) {
        const data = enc.encode(chunk.join("\n") + "\n");
        let off = 0;
        while (off < data.length) off += await file.write(data.subarray(off));
        bytes += data.length;
        chunk = [];
      }
    }
    file.close();
  }
  for (let r = 0; r < runs; r++) {
    const runDir = join(dir, "results", `run${String(r).padStart(2, "0")}`);
    await Deno.mkdir(runDir, { recursive: true });
    await Deno.writeTextFile(
      join(runDir, "summary.json"),
      JSON.stringify(summaryOf(r, questions, builders[r % VARIANTS]!)),
    );
    await Deno.link(
      join(shared, `v${r % VARIANTS}.jsonl`),
      join(runDir, "results.jsonl"),
    );
  }
  return bytes;
}

async function measure(ctx: ScenarioContext, runs: number, questions: number) {
  const dir = join(ctx.tmp, `leaderboard-${runs}`);
  const bytes = await writeRuns(dir, runs, questions);
  ctx.log(`leaderboard: ${runs} runs × ${questions} questions written`);
  const t = mustSucceed(
    await runCli([
      "leaderboard",
      join(dir, "results"),
      "--output-dir",
      join(dir, "board"),
    ]),
    "leaderboard",
  );
  const board = JSON.parse(
    await Deno.readTextFile(join(dir, "board", "leaderboard.json")),
  );
  if (
    board.models.length !== runs || board.pairs.length !== runs * (runs - 1) / 2
  ) {
    throw new Error(
      `leaderboard has ${board.models.length} rows, expected ${runs}`,
    );
  }
  await Deno.remove(dir, { recursive: true });
  return { t, bytes };
}

/** `deno task perf --only leaderboard`. */
export const leaderboardScenario: Scenario = {
  name: "leaderboard",
  title: "Leaderboard over many runs (streaming)",
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const questions = ctx.quick ? 2000 : 14_042;
    const sizes = ctx.quick ? [4, 10] : [10, 50];
    const rows: string[][] = [];
    const figures: Array<{ runs: number; s: number; mb: number }> = [];
    for (const runs of sizes) {
      const { t, bytes } = await measure(ctx, runs, questions);
      const mb = t.maxRssKb / 1024;
      figures.push({ runs, s: t.wallS, mb });
      rows.push([
        String(runs),
        String(questions),
        `${((bytes / VARIANTS) * runs / 2 ** 20).toFixed(0)} MiB`,
        t.wallS.toFixed(1),
        (t.userS + t.sysS).toFixed(1),
        mb.toFixed(0),
      ]);
    }
    const small = figures[0]!, big = figures[figures.length - 1]!;
    const growth = big.mb - small.mb;
    return {
      setup:
        `Run folders with summary.json and a results.jsonl of ${questions} questions (answer mode lines with messages, ${VARIANTS} distinct files shared by hard links), read by \`llm-bench leaderboard DIR --output-dir OUT\` (all pairs tested).`,
      tables: [{
        headers: [
          "runs",
          "questions",
          "results read",
          "wall s",
          "CPU s",
          "peak RSS MiB",
        ],
        rows,
      }],
      checks: [{
        target: `leaderboard ${big.runs} runs × ${questions} questions`,
        goal: "streaming: RSS grows with questions, not runs × questions",
        measured: `${big.s.toFixed(1)} s, peak RSS ${big.mb.toFixed(0)} MiB (${
          growth >= 0 ? "+" : ""
        }${growth.toFixed(0)} MiB from ${small.runs} to ${big.runs} runs)`,
        pass: null,
      }],
      notes: [],
    };
  },
};

if (import.meta.main) {
  const tmp = await Deno.makeTempDir({ prefix: "llm-bench-perf-" });
  try {
    const quick = Deno.args.includes("--quick");
    const r = await leaderboardScenario.run({
      quick,
      tmp,
      sample: [],
      // deno-lint-ignore no-console -- a standalone bench prints its progress.
      log: (m) => console.error(m),
    });
    // deno-lint-ignore no-console -- and its figures.
    console.log(
      JSON.stringify({ table: r.tables[0], check: r.checks[0] }, null, 2),
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
