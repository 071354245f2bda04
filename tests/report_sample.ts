// Test helpers for the report tests: a ResultRecord factory, a realistic
// two-model sample run (deterministic), and locating a Chromium binary.

import type { ResultRecord, Status } from "../src/schema.ts";
import { ReportDetailsBuilder } from "../src/report/details.ts";
import type { ReportDetails } from "../src/report/details.ts";
import { seededRandom } from "./cli_helper.ts";
import {
  type RunMeta,
  type Summary,
  SummaryBuilder,
} from "../src/report/summary.ts";

/** A result line with sensible defaults for a correct answer. */
export function record(over: Partial<ResultRecord> = {}): ResultRecord {
  const status: Status = over.status ?? "correct";
  const expected = over.expected === undefined ? "A" : over.expected;
  const predicted = over.predicted !== undefined
    ? over.predicted
    : status === "correct"
    ? expected
    : status === "wrong"
    ? "B"
    : null;
  return {
    id: "anatomy_test.csv:1",
    index: 0,
    file: "anatomy_test.csv",
    line: 1,
    subject: "anatomy",
    model: "m",
    expected,
    predicted,
    status,
    method: predicted === null ? null : "json",
    raw: predicted === null ? null : `{"answer": "${predicted}"}`,
    thinking: null,
    reason: null,
    "error_kind": null,
    "latency_ms": status === "error" || status === "skipped" ? null : 100,
    "prompt_tokens": status === "skipped" ? null : 50,
    "eval_tokens": status === "skipped" ? null : 5,
    "eval_duration_ns": status === "skipped" ? null : 50_000_000,
    "done_reason": status === "skipped" ? null : "stop",
    attempts: status === "skipped" ? 0 : 1,
    messages: null,
    prompt: null,
    "letter_probs": null,
    endpoint: status === "skipped" ? null : "http://127.0.0.1:11434",
    repeat: 0,
    ...over,
  };
}

/** Run metadata for tests. */
export function meta(over: Partial<RunMeta> = {}): RunMeta {
  return {
    runId: "20250101-000000-abcd",
    complete: true,
    startedAt: "2025-01-01T00:00:00.000Z",
    finishedAt: "2025-01-01T00:05:00.000Z",
    wallTimeS: 300,
    model: "m",
    modelInfo: null,
    backend: "ollama",
    mode: "answer",
    dataset: { files: [], problems: [] },
    config: {},
    tool: { name: "llm-bench", version: "0.1.0" },
    ...over,
  };
}

const SUBJECTS = [
  { name: "abstract_algebra", n: 40, file: "test/abstract_algebra_test.csv" },
  {
    name: "college_computer_science",
    n: 36,
    file: "test/college_computer_science_test.csv",
  },
  {
    name: "high_school_geography",
    n: 44,
    file: "test/high_school_geography_test.csv",
  },
];

/** Options for {@link sampleRun}. */
export interface SampleOptions {
  model: string;
  seed: number;
  /** Probability of a right answer per subject. */
  skill: Record<string, number>;
  /** Put hostile text (HTML, ANSI) into raw outputs and a problem line. */
  hostile?: boolean;
  /** Latency scale in ms. */
  latency: number;
  /** Tendency to answer "A" when wrong (position bias). */
  biasA: number;
}

/** Realistic result lines for 3 MMLU subjects with errors, unparsed and skipped rows. */
export function sampleRecords(o: SampleOptions): ResultRecord[] {
  const rnd = seededRandom(o.seed);
  const letters = ["A", "B", "C", "D"];
  const out: ResultRecord[] = [];
  let index = 0;
  for (const subj of SUBJECTS) {
    for (let i = 0; i < subj.n; i++, index++) {
      const line = i + 1;
      const id = `${subj.file}:${line}`;
      // Expected letters come from a fixed seed: both models see the same questions.
      const expected = letters[(index * 7 + 3) % 4]!;
      const base = {
        id,
        index,
        file: subj.file,
        line,
        subject: subj.name,
        model: o.model,
        expected,
      };
      if (subj.name === "high_school_geography" && i === 17) {
        out.push(record({
          ...base,
          status: "skipped",
          expected: null,
          reason: `answer "E" is not one of A-D`,
        }));
        continue;
      }
      const latency = o.latency * (0.5 + rnd() * 1.5) * (rnd() < 0.08 ? 4 : 1);
      const u = rnd();
      if (u < 0.04) {
        out.push(record({
          ...base,
          status: "error",
          "error_kind": rnd() < 0.5 ? "timeout" : "http_5xx",
          reason: "request timed out after 60000 ms (3 attempts)",
          attempts: 3,
          "latency_ms": null,
          "eval_tokens": null,
          "eval_duration_ns": null,
        }));
        continue;
      }
      if (u < 0.1) {
        const raw = o.hostile && i % 2 === 0
          ? `I think </script><script>alert(1)</script> <img src=x onerror=alert(2)> \x1b[31mboth\x1b[0m are plausible`
          : "The answer depends on the group's order; I cannot choose one option with certainty.";
        out.push(record({
          ...base,
          status: "unparsed",
          predicted: null,
          reason: "no answer letter found",
          raw,
          "latency_ms": latency,
          attempts: rnd() < 0.2 ? 2 : 1,
        }));
        continue;
      }
      const right = rnd() < (o.skill[subj.name] ?? 0.5);
      let predicted = expected;
      if (!right) {
        const others = letters.filter((l) => l !== expected);
        predicted = rnd() < o.biasA && expected !== "A"
          ? "A"
          : others[Math.floor(rnd() * others.length)]!;
      }
      const evalTokens = 3 + Math.floor(rnd() * 6);
      out.push(record({
        ...base,
        status: right ? "correct" : "wrong",
        predicted,
        raw: `{"answer": "${predicted}"}`,
        "latency_ms": latency,
        "eval_tokens": evalTokens,
        "eval_duration_ns": Math.round(evalTokens / 40 * 1e9),
        "prompt_tokens": 120 + Math.floor(rnd() * 200),
        attempts: rnd() < 0.05 ? 2 : 1,
      }));
    }
  }
  return out;
}

/** Builds summary and details of a sample run. */
export function sampleRun(
  o: SampleOptions,
): { summary: Summary; details: ReportDetails; records: ResultRecord[] } {
  const records = sampleRecords(o);
  const sb = new SummaryBuilder();
  const db = new ReportDetailsBuilder();
  for (const r of records) {
    sb.add(r);
    db.add(r);
  }
  const summary = sb.build(meta({
    runId: `2025-06-01T10-00-00-${o.model.replace(/[^a-z0-9]/gi, "")}`,
    model: o.model,
    modelInfo: {
      name: o.model,
      serverVersion: "0.12.6",
      digest:
        "sha256:a2af6cc3eb7fa8be8504abaf9b04e88f17a119ec3f04a3addf55f92841195f5a",
      family: o.model.startsWith("qwen") ? "qwen3" : "llama",
      parameterSize: o.model.startsWith("qwen") ? "4.0B" : "3.2B",
      quantization: "Q4_K_M",
      capabilities: ["completion", "tools"],
      contextLength: 40960,
    },
    dataset: {
      files: SUBJECTS.map((s) => ({
        file: s.file,
        sha256:
          "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        rows: s.n,
      })),
      problems: [
        o.hostile
          ? `test/high_school_geography_test.csv line 18: answer "E" is not one of A-D <b>bold</b>`
          : `test/high_school_geography_test.csv line 18: answer "E" is not one of A-D`,
      ],
    },
    config: {
      model: o.model,
      mode: "answer",
      concurrency: 4,
      temperature: 0,
      seed: 42,
      "api_key": "[redacted]",
    },
  }));
  return { summary, details: db.build(), records };
}

/** The two-model sample used by the browser test and the screenshot script. */
export function sampleComparison(hostile = false): {
  summaries: Summary[];
  details: ReportDetails[];
} {
  const a = sampleRun({
    model: "llama3.2:3b",
    seed: 7,
    skill: {
      "abstract_algebra": 0.35,
      "college_computer_science": 0.5,
      "high_school_geography": 0.8,
    },
    latency: 420,
    biasA: 0.5,
    hostile,
  });
  const b = sampleRun({
    model: "qwen3:4b",
    seed: 11,
    skill: {
      "abstract_algebra": 0.55,
      "college_computer_science": 0.7,
      "high_school_geography": 0.85,
    },
    latency: 900,
    biasA: 0.1,
    hostile,
  });
  return {
    summaries: [a.summary, b.summary],
    details: [a.details, b.details],
  };
}

/** Path of a Chromium binary: /usr/bin/chromium or one on PATH; null when none. */
export function findChromium(): string | null {
  const names = ["chromium", "chromium-browser", "google-chrome"];
  const dirs = ["/usr/bin", ...(Deno.env.get("PATH") ?? "").split(":")];
  for (const dir of dirs) {
    if (dir === "") continue;
    for (const name of names) {
      const path = `${dir}/${name}`;
      try {
        if (Deno.statSync(path).isFile) return path;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** Flags that keep headless Chromium off the network and quiet. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
  "--hide-scrollbars",
  "--mute-audio",
];
