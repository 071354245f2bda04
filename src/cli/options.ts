// The option table: every setting of a run as one row (flag, environment
// variable, default, help). --help, README's table, validation and the
// scoped --allow-env list are all derived from it.

import type { Config } from "../config.ts";

/** How an option's value is read. */
export type Kind =
  | "string"
  | "bool"
  | "int"
  | "number"
  | "list"
  | "enum";

/** One row of the option table. */
export interface OptionSpec {
  key: keyof Config;
  flag: string;
  env: string | null;
  kind: Kind;
  help: string;
  /** Default as shown in --help and README. */
  defaultText: string;
  values?: readonly string[];
  /** Extra flag names that mean the same. */
  aliases?: string[];
  valueName?: string;
}

/** Every option: flag, environment variable, default and meaning. */
export const OPTIONS: readonly OptionSpec[] = [
  {
    key: "models",
    flag: "model",
    env: "MODEL_NAME",
    kind: "list",
    defaultText: "llama3.2:latest",
    valueName: "NAME[,NAME]",
    help:
      "model(s) to benchmark; several run one after another and are compared",
  },
  {
    key: "baseUrls",
    flag: "base-url",
    env: "OLLAMA_BASE_URL",
    kind: "list",
    defaultText: "http://localhost:11434",
    valueName: "URL[,URL]",
    help: "server URL(s); several URLs share the questions",
  },
  {
    key: "backend",
    flag: "backend",
    env: "BACKEND",
    kind: "enum",
    values: ["ollama", "openai", "mock"],
    defaultText: "ollama",
    valueName: "KIND",
    help:
      "ollama, openai (any OpenAI-compatible /v1 server) or mock (no server)",
  },
  {
    key: "outputDir",
    flag: "output-dir",
    env: "OUTPUT_DIR",
    kind: "string",
    defaultText: "results",
    valueName: "DIR",
    help: "where run folders are written",
  },
  {
    key: "csvPattern",
    flag: "csv-pattern",
    env: "CSV_PATTERN",
    kind: "string",
    defaultText: "*.{csv,tsv,jsonl,json,parquet}",
    valueName: "GLOB",
    help: "which files under csv_dir are question files",
  },
  {
    key: "fields",
    flag: "fields",
    env: null,
    kind: "string",
    defaultText: "(recognised)",
    valueName: "MAP",
    help:
      "record paths for an unrecognised shape: question=P,choices=P,answer=P[,labels=P,subject=P] (docs/datasets.md)",
  },
  {
    key: "concurrency",
    flag: "concurrency",
    env: "LLM_BENCH_CONCURRENCY",
    kind: "string",
    aliases: ["batch-size"],
    defaultText: "4",
    valueName: "N|auto",
    help:
      "requests in flight (sliding window); auto finds the server's capacity. Env BATCH_SIZE is read too",
  },
  {
    key: "rateLimitDelay",
    flag: "rate-limit-delay",
    env: "RATE_LIMIT_DELAY",
    kind: "number",
    defaultText: "0",
    valueName: "SECONDS",
    help: "minimum gap between request starts",
  },
  {
    key: "maxRetries",
    flag: "max-retries",
    env: "MAX_RETRIES",
    kind: "int",
    defaultText: "4",
    valueName: "N",
    help: "retries per question after the first attempt",
  },
  {
    key: "requestTimeout",
    flag: "request-timeout",
    env: "REQUEST_TIMEOUT",
    kind: "number",
    defaultText: "120",
    valueName: "SECONDS",
    help:
      "ceiling of one request attempt; after 20 answers, 10× the recent p95 latency (at least 10 s) counts as a stall",
  },
  {
    key: "firstRequestTimeout",
    flag: "first-request-timeout",
    env: "LLM_BENCH_FIRST_REQUEST_TIMEOUT",
    kind: "number",
    defaultText: "600",
    valueName: "SECONDS",
    help: "timeout while the model loads (first requests)",
  },
  {
    key: "maxConsecutiveFailures",
    flag: "max-consecutive-failures",
    env: "LLM_BENCH_MAX_CONSECUTIVE_FAILURES",
    kind: "int",
    defaultText: "10",
    valueName: "N",
    help: "stop the run after N questions in a row end in error (0 = never)",
  },
  {
    key: "mode",
    flag: "mode",
    env: "LLM_BENCH_MODE",
    kind: "enum",
    values: ["answer", "cot", "logprobs"],
    defaultText: "answer",
    valueName: "MODE",
    help:
      "answer (structured letter), cot (reason, then 'Answer: X') or logprobs (next-token scoring)",
  },
  {
    key: "think",
    flag: "think",
    env: "LLM_BENCH_THINK",
    kind: "enum",
    values: ["auto", "on", "off"],
    defaultText: "auto",
    valueName: "auto|on|off",
    help:
      "thinking for models that can think: auto = on in cot mode, off otherwise",
  },
  {
    key: "preset",
    flag: "preset",
    env: "LLM_BENCH_PRESET",
    kind: "string",
    defaultText: "(none)",
    valueName: "NAME",
    help: "a published setup: mmlu-5shot, simple-evals-cot, mmlu-pro-cot",
  },
  {
    key: "shots",
    flag: "shots",
    env: "LLM_BENCH_SHOTS",
    kind: "int",
    defaultText: "0",
    valueName: "K",
    help: "few-shot examples (0-5) from the subject's dev file",
  },
  {
    key: "fewshotDir",
    flag: "fewshot-dir",
    env: "LLM_BENCH_FEWSHOT_DIR",
    kind: "string",
    defaultText: "(dev/ beside the files)",
    valueName: "DIR",
    help: "folder of SUBJECT_dev.csv files",
  },
  {
    key: "fewshotAsChat",
    flag: "fewshot-as-chat",
    env: "LLM_BENCH_FEWSHOT_AS_CHAT",
    kind: "bool",
    defaultText: "false",
    help: "send few-shot examples as chat turns",
  },
  {
    key: "system",
    flag: "system",
    env: "LLM_BENCH_SYSTEM_PROMPT",
    kind: "string",
    defaultText: "(none)",
    valueName: "TEXT",
    help: "system message",
  },
  {
    key: "templateFile",
    flag: "template",
    env: "LLM_BENCH_PROMPT_TEMPLATE",
    kind: "string",
    defaultText: "(built-in)",
    valueName: "FILE",
    help: "prompt template file ({subject} {question} {choices} {letters})",
  },
  {
    key: "temperature",
    flag: "temperature",
    env: "LLM_BENCH_TEMPERATURE",
    kind: "number",
    defaultText: "0",
    valueName: "T",
    help: "sampling temperature",
  },
  {
    key: "seed",
    flag: "seed",
    env: "LLM_BENCH_SEED",
    kind: "int",
    defaultText: "1234",
    valueName: "N",
    help: "sampling seed, also for --sample and the mock backend",
  },
  {
    key: "maxTokens",
    flag: "max-tokens",
    env: "LLM_BENCH_MAX_TOKENS",
    kind: "int",
    defaultText:
      "answer 64 (2048 thinking), cot 2048 (4096 thinking), logprobs 1",
    valueName: "N",
    help: "generation budget per question (num_predict)",
  },
  {
    key: "numCtx",
    flag: "num-ctx",
    env: "LLM_BENCH_NUM_CTX",
    kind: "int",
    defaultText: "(sized to the longest prompt)",
    valueName: "N",
    help: "context window to request",
  },
  {
    key: "shuffleChoices",
    flag: "shuffle-choices",
    env: "LLM_BENCH_SHUFFLE_CHOICES",
    kind: "int",
    defaultText: "(off)",
    valueName: "SEED",
    help: "shuffle options with this seed to measure position bias",
  },
  {
    key: "subjects",
    flag: "subjects",
    env: "LLM_BENCH_SUBJECTS",
    kind: "list",
    defaultText: "(all)",
    valueName: "A,B",
    help: "only these subjects",
  },
  {
    key: "limit",
    flag: "limit",
    env: "LLM_BENCH_LIMIT",
    kind: "int",
    defaultText: "(all)",
    valueName: "N",
    help: "at most N rows per subject, in file order (skipped rows count)",
  },
  {
    key: "sample",
    flag: "sample",
    env: "LLM_BENCH_SAMPLE",
    kind: "number",
    defaultText: "(all)",
    valueName: "FRACTION",
    help: "a seeded random fraction (0-1] of the questions",
  },
  {
    key: "repeats",
    flag: "repeats",
    env: "LLM_BENCH_REPEATS",
    kind: "int",
    defaultText: "1",
    valueName: "N",
    help: "ask each question N times (consistency at temperature > 0)",
  },
  {
    key: "failUnder",
    flag: "fail-under",
    env: "LLM_BENCH_FAIL_UNDER",
    kind: "number",
    defaultText: "(off)",
    valueName: "FRACTION",
    help: "exit 1 when a model's accuracy is below this (CI gate)",
  },
  {
    key: "shard",
    flag: "shard",
    env: "LLM_BENCH_SHARD",
    kind: "string",
    defaultText: "(all)",
    valueName: "I/N",
    help:
      "take part I of N (1-based); also SHARD_COUNT with JOB_COMPLETION_INDEX",
  },
  {
    key: "resume",
    flag: "resume",
    env: null,
    kind: "string",
    defaultText: "",
    valueName: "RUN_DIR",
    help: "continue an interrupted run",
  },
  {
    key: "force",
    flag: "force",
    env: null,
    kind: "bool",
    defaultText: "false",
    help: "resume even if the dataset or prompt options changed",
  },
  {
    key: "retryErrors",
    flag: "retry-errors",
    env: null,
    kind: "bool",
    defaultText: "false",
    help: "with --resume: ask again the questions that ended in error",
  },
  {
    key: "runId",
    flag: "run-id",
    env: "LLM_BENCH_RUN_ID",
    kind: "string",
    defaultText: "(timestamp)",
    valueName: "ID",
    help: "name of the run folder",
  },
  {
    key: "metricsPort",
    flag: "metrics-port",
    env: "METRICS_PORT",
    kind: "string",
    defaultText: "8000",
    valueName: "PORT|off",
    help: "port of /metrics and the live page (0 = any free port)",
  },
  {
    key: "metricsHost",
    flag: "metrics-host",
    env: "METRICS_HOST",
    kind: "string",
    defaultText: "127.0.0.1",
    valueName: "HOST",
    help: "address the metrics server binds",
  },
  {
    key: "serve",
    flag: "serve",
    env: "LLM_BENCH_SERVE",
    kind: "bool",
    defaultText: "false",
    help: "keep serving metrics and the page after the run until interrupted",
  },
  {
    key: "mockAccuracy",
    flag: "mock-accuracy",
    env: "LLM_BENCH_MOCK_ACCURACY",
    kind: "number",
    defaultText: "0.7",
    valueName: "P",
    help: "mock backend: fraction answered correctly",
  },
  {
    key: "mockLatencyMs",
    flag: "mock-latency-ms",
    env: "LLM_BENCH_MOCK_LATENCY_MS",
    kind: "number",
    defaultText: "20",
    valueName: "MS",
    help: "mock backend: latency per request",
  },
  {
    key: "preflightOnly",
    flag: "preflight-only",
    env: null,
    kind: "bool",
    defaultText: "false",
    help: "check the server, model and dataset, then exit",
  },
  {
    key: "verbose",
    flag: "verbose",
    env: "VERBOSE",
    kind: "bool",
    defaultText: "false",
    help: "JSON log lines on stderr too",
  },
  {
    key: "quiet",
    flag: "quiet",
    env: "LLM_BENCH_QUIET",
    kind: "bool",
    defaultText: "false",
    help: "no progress line (the final table still prints)",
  },
];

/** Environment variables read besides OPTIONS (documented in README). */
export const EXTRA_ENV = [
  "BATCH_SIZE",
  "SHARD_COUNT",
  "JOB_COMPLETION_INDEX",
  "LLM_BENCH_API_KEY",
  "OPENAI_API_KEY",
  "LLM_BENCH_CSV_DIR",
  "INIT_CWD",
] as const;

/** The help text: every flag with its env var and default. */
export function helpText(version: string): string {
  const lines = [
    `llm-bench ${version}: benchmark LLMs on multiple-choice question files`,
    "",
    "Usage:",
    "  llm-bench [csv_dir] [options]          run a benchmark (csv_dir: folder or file, default benchmark_data; env LLM_BENCH_CSV_DIR)",
    "  llm-bench report RUN_DIR...            rebuild report.html and summary.md from results.jsonl",
    "  llm-bench compare RUN_A RUN_B          compare two finished runs (paired McNemar test)",
    "  llm-bench merge RUN_DIR... --output-dir DIR   combine shard runs into one run",
    "",
    "Options (flag, env var, default):",
  ];
  for (const o of OPTIONS) {
    const names = [`--${o.flag}`, ...(o.aliases ?? []).map((a) => `--${a}`)]
      .join(", ");
    const left = `  ${names}${o.valueName ? ` ${o.valueName}` : ""}`;
    const env = o.env ? `  [${o.env}]` : "";
    const def = o.defaultText ? `  (default: ${o.defaultText})` : "";
    lines.push(`${left}\n      ${o.help}${env}${def}`);
  }
  lines.push("  -h, --help\n      show this help");
  lines.push("  -V, --version\n      show the version of llm-bench and Deno");
  lines.push("");
  lines.push(
    "API key for --backend openai: env LLM_BENCH_API_KEY (or OPENAI_API_KEY); never a flag.",
  );
  lines.push(
    "Relative paths mean the folder you run in (under deno task, INIT_CWD, when the path exists there).",
  );
  lines.push(
    "Exit codes: 0 complete, 1 questions ended in error / run aborted / --fail-under not met, 2 usage or input error, 130 interrupted.",
  );
  return lines.join("\n");
}
