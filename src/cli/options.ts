// The option table: every setting of a run as one row (flag, environment
// variable, typed default, reader, help group, help text). Parsing, --help,
// README's table and the scoped --allow-env list are all derived from it.

import { parseFieldMap } from "../dataset/fields.ts";
import {
  BACKEND_KINDS,
  type BackendKind,
  type Config,
  safePathSegment,
  THINK_SETTINGS,
  type ThinkSetting,
} from "../config.ts";
import { DEFAULT_RETRY_POLICY } from "../backend/retry.ts";
import { MODES } from "../protocol/prompt.ts";
import { PRESETS } from "../protocol/presets.ts";
import { defaultMaxTokens } from "../protocol/protocol.ts";
// discover.ts, not read.ts: the readers (csv-parse, hyparquet) must not
// load for --help or --version.
import { DEFAULT_PATTERN, globToRegExp } from "../dataset/discover.ts";
import {
  anyText,
  fail,
  int,
  list,
  nonEmpty,
  num,
  oneOf,
  readBool,
  shard,
  url,
  type ValueReader,
} from "./values.ts";

/** The Config fields set by an option (csvDir is the positional, apiKey env only). */
export type OptionKey = Exclude<keyof Config, "csvDir" | "apiKey">;

/** The sections of --help, in order. */
export const OPTION_GROUPS = [
  "Server and model",
  "Dataset",
  "Prompting",
  "Run control",
  "Output",
  "Metrics",
] as const;

/** A section of --help. */
export type OptionGroup = typeof OPTION_GROUPS[number];

/** One row of the option table. */
export interface OptionSpec<K extends OptionKey = OptionKey> {
  /** The Config field it sets. */
  key: K;
  /** Flag name without dashes. */
  flag: string;
  /** Other flag names that mean the same. */
  aliases?: readonly string[];
  /** Environment variable, or null for a flag only. */
  env: string | null;
  /** Variables read, in order, when `env` is unset (the seed's BATCH_SIZE). */
  fallbackEnv?: readonly string[];
  /** A switch: `--flag` / `--no-flag`, env true/false. */
  boolean?: true;
  /** Placeholder of the value in --help (`N`, `DIR`). */
  valueName?: string;
  /** The words the option accepts; `read` accepts exactly these. */
  values?: readonly string[];
  /** The value when neither flag nor env is given. */
  default: Config[K];
  /** The default in words, when `default` alone would mislead. */
  defaultText?: string;
  /** A default that depends on options read before it (base URL per backend). */
  defaultFrom?: (resolved: Partial<Config>) => Config[K];
  /** Text of the flag or variable -> value; throws UsageError. */
  read: ValueReader<Config[K]>;
  group: OptionGroup;
  help: string;
}

/** Keeps each row's types tied to its key. */
function row<K extends OptionKey>(spec: OptionSpec<K>): OptionSpec {
  return spec;
}

/** A `values` list and the reader that accepts exactly those values. */
function choice<T extends string>(
  values: readonly T[],
): { values: readonly T[]; read: ValueReader<T> } {
  return { values, read: oneOf(values) };
}

const SEED_MAX = 2 ** 31 - 1;

/** The base URL each backend uses unless told otherwise (mock uses none). */
export const DEFAULT_BASE_URLS: Readonly<Record<BackendKind, string>> = Object
  .freeze({
    ollama: "http://localhost:11434",
    openai: "http://localhost:11434/v1",
    mock: "http://localhost:11434",
  });

const PRESET_NAMES = PRESETS.map((p) => p.name);

function maxTokensText(): string {
  return MODES.map((m) =>
    m === "logprobs"
      ? `${m} ${defaultMaxTokens(m, false)}`
      : `${m} ${defaultMaxTokens(m, false)} (${
        defaultMaxTokens(m, true)
      } thinking)`
  ).join(", ");
}

function readThink(text: string, source: string): ThinkSetting {
  const t = text.trim().toLowerCase();
  if (t === "true" || t === "1") return "on";
  if (t === "false" || t === "0") return "off";
  return oneOf(THINK_SETTINGS)(text, source);
}

function readConcurrency(text: string, source: string): number | "auto" {
  const t = text.trim().toLowerCase();
  return t === "auto" ? "auto" : int(1, 1024)(t, source);
}

function readMetricsPort(text: string, source: string): number | null {
  const t = text.trim().toLowerCase();
  if (t === "off" || t === "none" || t === "-1") return null;
  return int(0, 65535)(t, source);
}

function readPattern(text: string, source: string): string {
  const pattern = nonEmpty(text, source);
  try {
    globToRegExp(pattern);
  } catch (e) {
    fail(source, e instanceof Error ? e.message : String(e));
  }
  return pattern;
}

function readFieldMap(text: string, source: string): string {
  const map = parseFieldMap(text);
  return typeof map === "string" ? fail(source, map) : text;
}

function readRunId(text: string, source: string): string {
  const t = text.trim();
  if (t === "" || t !== safePathSegment(t) || t === "." || t === "..") {
    fail(
      source,
      `"${text}" may only contain letters, digits, ".", "_" and "-"`,
    );
  }
  return t;
}

function readSample(text: string, source: string): number {
  const n = num(0, 1)(text, source);
  if (n === 0) fail(source, "must be greater than 0");
  return n;
}

const SERVER: readonly OptionSpec[] = [
  row({
    key: "models",
    flag: "model",
    env: "MODEL_NAME",
    valueName: "NAME[,NAME]",
    default: ["llama3.2:latest"],
    read: list("model name"),
    group: "Server and model",
    help:
      "model(s) to benchmark; several run one after another and are compared",
  }),
  row({
    key: "backend",
    flag: "backend",
    env: "BACKEND",
    valueName: "KIND",
    ...choice(BACKEND_KINDS),
    default: "ollama",
    group: "Server and model",
    help:
      "ollama, openai (any OpenAI-compatible /v1 server) or mock (no server)",
  }),
  row({
    key: "baseUrls",
    flag: "base-url",
    env: "OLLAMA_BASE_URL",
    valueName: "URL[,URL]",
    default: [DEFAULT_BASE_URLS.ollama],
    defaultFrom: (c) => [DEFAULT_BASE_URLS[c.backend ?? "ollama"]],
    defaultText:
      `${DEFAULT_BASE_URLS.ollama} (ollama), ${DEFAULT_BASE_URLS.openai} (openai)`,
    read: list("URL", url),
    group: "Server and model",
    help: "server URL(s); several URLs share the questions",
  }),
  row({
    key: "mockAccuracy",
    flag: "mock-accuracy",
    env: "LLM_BENCH_MOCK_ACCURACY",
    valueName: "P",
    default: 0.7,
    read: num(0, 1),
    group: "Server and model",
    help: "mock backend: fraction answered correctly",
  }),
  row({
    key: "mockLatencyMs",
    flag: "mock-latency-ms",
    env: "LLM_BENCH_MOCK_LATENCY_MS",
    valueName: "MS",
    default: 20,
    read: num(0, 600_000),
    group: "Server and model",
    help: "mock backend: latency per request",
  }),
];

const DATASET: readonly OptionSpec[] = [
  row({
    key: "csvPattern",
    flag: "csv-pattern",
    env: "CSV_PATTERN",
    valueName: "GLOB",
    default: DEFAULT_PATTERN,
    read: readPattern,
    group: "Dataset",
    help: "which files under CSV_DIR are question files",
  }),
  row({
    key: "fields",
    flag: "fields",
    env: null,
    valueName: "MAP",
    default: null,
    defaultText: "recognised shapes",
    read: readFieldMap,
    group: "Dataset",
    help:
      "record paths for an unrecognised shape: question=P,choices=P,answer=P[,labels=P,subject=P] (docs/datasets.md)",
  }),
  row({
    key: "subjects",
    flag: "subjects",
    env: "LLM_BENCH_SUBJECTS",
    valueName: "A,B",
    default: null,
    defaultText: "all",
    read: list("subject"),
    group: "Dataset",
    help: "only these subjects",
  }),
  row({
    key: "limit",
    flag: "limit",
    env: "LLM_BENCH_LIMIT",
    valueName: "N",
    default: null,
    defaultText: "all",
    read: int(1),
    group: "Dataset",
    help: "at most N rows per subject, in file order (skipped rows count)",
  }),
  row({
    key: "sample",
    flag: "sample",
    env: "LLM_BENCH_SAMPLE",
    valueName: "FRACTION",
    default: null,
    defaultText: "all",
    read: readSample,
    group: "Dataset",
    help: "a seeded random fraction (0-1] of the questions",
  }),
  row({
    key: "shard",
    flag: "shard",
    env: "LLM_BENCH_SHARD",
    valueName: "I/N",
    default: null,
    defaultText: "all",
    read: shard,
    group: "Dataset",
    help:
      "take part I of N (1-based); also SHARD_COUNT with JOB_COMPLETION_INDEX",
  }),
];

const PROMPTING: readonly OptionSpec[] = [
  row({
    key: "mode",
    flag: "mode",
    env: "LLM_BENCH_MODE",
    valueName: "MODE",
    ...choice(MODES),
    default: "answer",
    group: "Prompting",
    help:
      "answer (structured letter), cot (reason, then 'Answer: X') or logprobs (next-token scoring)",
  }),
  row({
    key: "think",
    flag: "think",
    env: "LLM_BENCH_THINK",
    valueName: THINK_SETTINGS.join("|"),
    values: THINK_SETTINGS,
    default: "auto",
    read: readThink,
    group: "Prompting",
    help:
      "thinking for models that can think: auto = on in cot mode, off otherwise",
  }),
  row({
    key: "preset",
    flag: "preset",
    env: "LLM_BENCH_PRESET",
    valueName: "NAME",
    ...choice(PRESET_NAMES),
    default: null,
    group: "Prompting",
    help: `a published setup: ${PRESET_NAMES.join(", ")}`,
  }),
  row({
    key: "shots",
    flag: "shots",
    env: "LLM_BENCH_SHOTS",
    valueName: "K",
    default: 0,
    read: int(0, 5),
    group: "Prompting",
    help: "few-shot examples (0-5) from the subject's dev file",
  }),
  row({
    key: "fewshotDir",
    flag: "fewshot-dir",
    env: "LLM_BENCH_FEWSHOT_DIR",
    valueName: "DIR",
    default: null,
    defaultText: "dev/ beside the files",
    read: nonEmpty,
    group: "Prompting",
    help: "folder of SUBJECT_dev.csv files",
  }),
  row({
    key: "fewshotAsChat",
    flag: "fewshot-as-chat",
    env: "LLM_BENCH_FEWSHOT_AS_CHAT",
    boolean: true,
    default: false,
    read: readBool,
    group: "Prompting",
    help: "send few-shot examples as chat turns",
  }),
  row({
    key: "system",
    flag: "system",
    env: "LLM_BENCH_SYSTEM_PROMPT",
    valueName: "TEXT",
    default: null,
    read: anyText,
    group: "Prompting",
    help: "system message",
  }),
  row({
    key: "templateFile",
    flag: "template",
    env: "LLM_BENCH_PROMPT_TEMPLATE",
    valueName: "FILE",
    default: null,
    defaultText: "built-in",
    read: nonEmpty,
    group: "Prompting",
    help: "prompt template file ({subject} {question} {choices} {letters})",
  }),
  row({
    key: "temperature",
    flag: "temperature",
    env: "LLM_BENCH_TEMPERATURE",
    valueName: "T",
    default: 0,
    read: num(0, 2),
    group: "Prompting",
    help: "sampling temperature",
  }),
  row({
    key: "seed",
    flag: "seed",
    env: "LLM_BENCH_SEED",
    valueName: "N",
    default: 1234,
    read: int(0, SEED_MAX),
    group: "Prompting",
    help: "sampling seed, also for --sample and the mock backend",
  }),
  row({
    key: "maxTokens",
    flag: "max-tokens",
    env: "LLM_BENCH_MAX_TOKENS",
    valueName: "N",
    default: null,
    defaultText: maxTokensText(),
    read: int(1, 1_000_000),
    group: "Prompting",
    help: "generation budget per question (num_predict)",
  }),
  row({
    key: "numCtx",
    flag: "num-ctx",
    env: "LLM_BENCH_NUM_CTX",
    valueName: "N",
    default: null,
    defaultText: "sized to the longest prompt",
    read: int(256, 10_000_000),
    group: "Prompting",
    help: "context window to request",
  }),
  row({
    key: "shuffleChoices",
    flag: "shuffle-choices",
    env: "LLM_BENCH_SHUFFLE_CHOICES",
    valueName: "SEED",
    default: null,
    defaultText: "off",
    read: int(0, SEED_MAX),
    group: "Prompting",
    help: "shuffle options with this seed to measure position bias",
  }),
];

const RUN_CONTROL: readonly OptionSpec[] = [
  row({
    key: "concurrency",
    flag: "concurrency",
    aliases: ["batch-size"],
    env: "LLM_BENCH_CONCURRENCY",
    fallbackEnv: ["BATCH_SIZE"],
    valueName: "N|auto",
    default: 4,
    read: readConcurrency,
    group: "Run control",
    help:
      "requests in flight (sliding window); auto finds the server's capacity",
  }),
  row({
    key: "rateLimitDelay",
    flag: "rate-limit-delay",
    env: "RATE_LIMIT_DELAY",
    valueName: "SECONDS",
    default: 0,
    read: num(0, 3600),
    group: "Run control",
    help: "minimum gap between request starts",
  }),
  row({
    key: "maxRetries",
    flag: "max-retries",
    env: "MAX_RETRIES",
    valueName: "N",
    default: DEFAULT_RETRY_POLICY.maxRetries,
    read: int(0, 100),
    group: "Run control",
    help: "retries per question after the first attempt",
  }),
  row({
    key: "requestTimeout",
    flag: "request-timeout",
    env: "REQUEST_TIMEOUT",
    valueName: "SECONDS",
    default: 120,
    read: num(0.001, 86400),
    group: "Run control",
    help:
      "ceiling of one request attempt; after 20 answers, 10× the recent p95 latency (at least 10 s) counts as a stall",
  }),
  row({
    key: "firstRequestTimeout",
    flag: "first-request-timeout",
    env: "LLM_BENCH_FIRST_REQUEST_TIMEOUT",
    valueName: "SECONDS",
    default: 600,
    read: num(0.001, 86400),
    group: "Run control",
    help: "timeout while the model loads (first requests)",
  }),
  row({
    key: "maxConsecutiveFailures",
    flag: "max-consecutive-failures",
    env: "LLM_BENCH_MAX_CONSECUTIVE_FAILURES",
    valueName: "N",
    default: 10,
    read: int(0),
    group: "Run control",
    help: "stop the run after N questions in a row end in error (0 = never)",
  }),
  row({
    key: "repeats",
    flag: "repeats",
    env: "LLM_BENCH_REPEATS",
    valueName: "N",
    default: 1,
    read: int(1, 100),
    group: "Run control",
    help: "ask each question N times (consistency at temperature > 0)",
  }),
  row({
    key: "failUnder",
    flag: "fail-under",
    env: "LLM_BENCH_FAIL_UNDER",
    valueName: "FRACTION",
    default: null,
    defaultText: "off",
    read: num(0, 1),
    group: "Run control",
    help: "exit 1 when a model's accuracy is below this (CI gate)",
  }),
  row({
    key: "resume",
    flag: "resume",
    env: null,
    valueName: "RUN_DIR",
    default: null,
    read: nonEmpty,
    group: "Run control",
    help: "continue an interrupted run",
  }),
  row({
    key: "force",
    flag: "force",
    env: null,
    boolean: true,
    default: false,
    read: readBool,
    group: "Run control",
    help: "resume even if the dataset or prompt options changed",
  }),
  row({
    key: "cache",
    flag: "cache",
    env: "LLM_BENCH_CACHE",
    boolean: true,
    default: false,
    read: readBool,
    group: "Run control",
    help:
      "answer requests asked before (same model digest) from the response cache; see docs/cache.md",
  }),
  row({
    key: "cacheDir",
    flag: "cache-dir",
    env: "LLM_BENCH_CACHE_DIR",
    valueName: "DIR",
    default: null,
    defaultText: "$XDG_CACHE_HOME/llm-bench or ~/.cache/llm-bench",
    read: nonEmpty,
    group: "Run control",
    help: "folder of the response cache",
  }),
  row({
    key: "retryErrors",
    flag: "retry-errors",
    env: null,
    boolean: true,
    default: false,
    read: readBool,
    group: "Run control",
    help: "with --resume: ask again the questions that ended in error",
  }),
  row({
    key: "preflightOnly",
    flag: "preflight-only",
    env: null,
    boolean: true,
    default: false,
    read: readBool,
    group: "Run control",
    help: "check the server, model and dataset, then exit",
  }),
];

const OUTPUT: readonly OptionSpec[] = [
  row({
    key: "outputDir",
    flag: "output-dir",
    env: "OUTPUT_DIR",
    valueName: "DIR",
    default: "results",
    read: nonEmpty,
    group: "Output",
    help: "where run folders are written",
  }),
  row({
    key: "runId",
    flag: "run-id",
    env: "LLM_BENCH_RUN_ID",
    valueName: "ID",
    default: null,
    defaultText: "timestamp",
    read: readRunId,
    group: "Output",
    help: "name of the run folder",
  }),
  row({
    key: "verbose",
    flag: "verbose",
    env: "VERBOSE",
    boolean: true,
    default: false,
    read: readBool,
    group: "Output",
    help: "JSON log lines on stderr too",
  }),
  row({
    key: "quiet",
    flag: "quiet",
    env: "LLM_BENCH_QUIET",
    boolean: true,
    default: false,
    read: readBool,
    group: "Output",
    help: "no progress line (the final table still prints)",
  }),
];

const METRICS: readonly OptionSpec[] = [
  row({
    key: "metricsPort",
    flag: "metrics-port",
    env: "METRICS_PORT",
    valueName: "PORT|off",
    default: 8000,
    read: readMetricsPort,
    group: "Metrics",
    help: "port of /metrics and the live page (0 = any free port)",
  }),
  row({
    key: "metricsHost",
    flag: "metrics-host",
    env: "METRICS_HOST",
    valueName: "HOST",
    default: "127.0.0.1",
    read: nonEmpty,
    group: "Metrics",
    help: "address the metrics server binds",
  }),
  row({
    key: "serve",
    flag: "serve",
    env: "LLM_BENCH_SERVE",
    boolean: true,
    default: false,
    read: readBool,
    group: "Metrics",
    help: "keep serving metrics and the page after the run until interrupted",
  }),
];

/** Every option, grouped as --help shows them. */
export const OPTIONS: readonly OptionSpec[] = Object.freeze([
  ...SERVER,
  ...DATASET,
  ...PROMPTING,
  ...RUN_CONTROL,
  ...OUTPUT,
  ...METRICS,
]);

/** Environment variables read besides the rows' `env` and `fallbackEnv`. */
export const EXTRA_ENV = [
  "SHARD_COUNT",
  "JOB_COMPLETION_INDEX",
  "LLM_BENCH_API_KEY",
  "OPENAI_API_KEY",
  "LLM_BENCH_CSV_DIR",
  "INIT_CWD",
  "COLUMNS",
  // hf: datasets (docs/datasets-hub.md)
  "HF_ENDPOINT",
  "HF_TOKEN",
  "HF_HUB_OFFLINE",
  "XDG_CACHE_HOME",
  "HOME",
] as const;

/** The question files used when no CSV_DIR is given. */
export const DEFAULT_CSV_DIR = "benchmark_data";

/** Every environment variable of the table: each row's `env` and `fallbackEnv`. */
export function optionEnvVars(): string[] {
  return OPTIONS.flatMap((o) => [
    ...(o.env === null ? [] : [o.env]),
    ...(o.fallbackEnv ?? []),
  ]);
}

/**
 * An option's default as --help and README show it, or null when there is
 * nothing worth showing (a switch that is off, an unset value).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OPTIONS, defaultText } from "./options.ts";
 * assert.equal(defaultText(OPTIONS.find((o) => o.flag === "max-retries")!), "4");
 * ```
 */
export function defaultText(o: OptionSpec): string | null {
  if (o.defaultText !== undefined) return o.defaultText;
  const d: unknown = o.default;
  if (d === null || d === false) return null;
  return Array.isArray(d) ? d.join(",") : String(d);
}
