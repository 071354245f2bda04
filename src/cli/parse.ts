// Configuration: command-line flags override environment variables, which
// override defaults. Every option is one row of OPTIONS (flag, env var,
// default, help), so --help, README's table and validation never disagree.

import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";
import { OPTIONS, type OptionSpec } from "./options.ts";
import { parseFieldMap } from "../dataset/fields.ts";
import { DEFAULT_PATTERN } from "../dataset/read.ts";

import {
  type BackendKind,
  type Config,
  type Mode,
  safePathSegment,
  type ThinkSetting,
} from "../config.ts";

export type { BackendKind, Config, Mode, ThinkSetting };

/** What main.ts should do. */
export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "run"; config: Config; explicit: ReadonlySet<keyof Config> }
  | { kind: "report"; runDirs: string[] }
  | { kind: "compare"; runDirs: string[]; outputDir: string | null }
  | { kind: "merge"; runDirs: string[]; outputDir: string }
  | { kind: "inspect"; argv: string[] };

type Env = (name: string) => string | undefined;

function fail(source: string, message: string): never {
  throw new UsageError(`Invalid ${source}: ${message}`);
}

function parseBool(source: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off", ""].includes(v)) return false;
  return fail(source, `"${value}" is not a boolean (use true or false)`);
}

function parseIntStrict(
  source: string,
  value: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = value.trim();
  if (!/^-?\d+$/.test(v)) fail(source, `"${value}" is not a whole number`);
  const n = Number(v);
  if (n < min || n > max) {
    fail(
      source,
      `${n} is out of range (${min} to ${
        max === Number.MAX_SAFE_INTEGER ? "any" : max
      })`,
    );
  }
  return n;
}

function parseNumber(
  source: string,
  value: string,
  min: number,
  max = Infinity,
): number {
  const v = value.trim();
  const n = Number(v);
  if (v === "" || !Number.isFinite(n)) {
    fail(source, `"${value}" is not a number`);
  }
  if (n < min || n > max) {
    fail(
      source,
      `${n} is out of range (${min} to ${max === Infinity ? "any" : max})`,
    );
  }
  return n;
}

function parseUrl(source: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return fail(
      source,
      `"${value}" is not a URL (expected e.g. http://localhost:11434)`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    fail(source, `"${value}" must start with http:// or https://`);
  }
  return url.href.replace(/\/+$/, "");
}

function splitList(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function parseShard(
  source: string,
  value: string,
): { index: number; count: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) fail(source, `"${value}" is not of the form I/N (e.g. 1/4)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) {
    fail(source, `"${value}": I must be between 1 and N`);
  }
  return { index, count };
}

function buildParseOptions() {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "V" },
  };
  for (const o of OPTIONS) {
    const type = o.kind === "bool" ? "boolean" : "string";
    options[o.flag] = { type };
    for (const a of o.aliases ?? []) options[a] = { type };
    if (type === "boolean") options[`no-${o.flag}`] = { type: "boolean" };
  }
  return options;
}

/**
 * Parses argv and the environment into a Command. Throws UsageError with one
 * line naming the flag or variable and what is wrong.
 */
export function parseCommand(argv: string[], env: Env): Command {
  const sub = argv[0];
  if (sub === "report" || sub === "compare" || sub === "merge") {
    return parseSubcommand(sub, argv.slice(1));
  }
  if (sub === "inspect") return { kind: "inspect", argv: argv.slice(1) };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: buildParseOptions(),
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(cleanParseError(e));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  if (parsed.positionals.length > 1) {
    throw new UsageError(
      `Invalid arguments: expected one csv_dir, got ${parsed.positionals.length} (${
        parsed.positionals.map((p) => `"${p}"`).join(", ")
      })`,
    );
  }

  const explicit = new Set<keyof Config>();
  const raw = (
    o: OptionSpec,
  ): { value: string | boolean; source: string } | null => {
    const names = [o.flag, ...(o.aliases ?? [])];
    for (const n of names) {
      const v = values[n];
      if (v !== undefined) return { value: v, source: `--${n}` };
    }
    if (o.kind === "bool" && values[`no-${o.flag}`]) {
      return { value: false, source: `--no-${o.flag}` };
    }
    if (o.env) {
      const v = env(o.env);
      if (v !== undefined && v !== "") return { value: v, source: o.env };
    }
    if (o.key === "concurrency") {
      const v = env("BATCH_SIZE");
      if (v !== undefined && v !== "") {
        return { value: v, source: "BATCH_SIZE" };
      }
    }
    return null;
  };

  const get = <T>(
    key: keyof Config,
    conv: (source: string, v: string | boolean) => T,
    dflt: T,
  ): T => {
    const o = OPTIONS.find((x) => x.key === key)!;
    const r = raw(o);
    if (r === null) return dflt;
    explicit.add(key);
    return conv(r.source, r.value);
  };
  const str = (_s: string, v: string | boolean) => String(v);
  const bool = (s: string, v: string | boolean) =>
    typeof v === "boolean" ? v : parseBool(s, v);
  const int = (min: number, max?: number) => (s: string, v: string | boolean) =>
    parseIntStrict(s, String(v), min, max);
  const num = (min: number, max?: number) => (s: string, v: string | boolean) =>
    parseNumber(s, String(v), min, max);
  const nonEmpty = (s: string, v: string | boolean) => {
    const t = String(v).trim();
    if (t === "") fail(s, "must not be empty");
    return t;
  };

  const backend = get("backend", (s, v) => {
    const t = String(v).trim().toLowerCase();
    if (t !== "ollama" && t !== "openai" && t !== "mock") {
      fail(s, `"${v}" is not one of ollama, openai, mock`);
    }
    return t as BackendKind;
  }, "ollama" as BackendKind);

  const models = get("models", (s, v) => {
    const list = splitList(String(v));
    if (list.length === 0) fail(s, "no model name given");
    return list;
  }, ["llama3.2:latest"]);

  const defaultUrl = backend === "openai"
    ? "http://localhost:11434/v1"
    : "http://localhost:11434";
  const baseUrls = get("baseUrls", (s, v) => {
    const list = splitList(String(v));
    if (list.length === 0) fail(s, "no URL given");
    return list.map((u) => parseUrl(s, u));
  }, [defaultUrl]);

  const mode = get("mode", (s, v) => {
    const t = String(v).trim().toLowerCase();
    if (t !== "answer" && t !== "cot" && t !== "logprobs") {
      fail(s, `"${v}" is not one of answer, cot, logprobs`);
    }
    return t as Mode;
  }, "answer" as Mode);

  const think = get("think", (s, v) => {
    const t = String(v).trim().toLowerCase();
    if (t === "true" || t === "1") return "on" as ThinkSetting;
    if (t === "false" || t === "0") return "off" as ThinkSetting;
    if (t !== "auto" && t !== "on" && t !== "off") {
      fail(s, `"${v}" is not one of auto, on, off`);
    }
    return t as ThinkSetting;
  }, "auto" as ThinkSetting);

  const concurrency = get("concurrency", (s, v) => {
    const t = String(v).trim().toLowerCase();
    if (t === "auto") return "auto" as const;
    return parseIntStrict(s, t, 1, 1024);
  }, 4 as number | "auto");

  const metricsPort = get("metricsPort", (s, v) => {
    const t = String(v).trim().toLowerCase();
    if (t === "off" || t === "none" || t === "-1") return null;
    return parseIntStrict(s, t, 0, 65535);
  }, 8000 as number | null);

  const metricsHost = get("metricsHost", nonEmpty, "127.0.0.1");

  let shard = get(
    "shard",
    (s, v) => parseShard(s, String(v)),
    null as { index: number; count: number } | null,
  );
  if (shard === null && env("SHARD_COUNT")) {
    const count = parseIntStrict("SHARD_COUNT", env("SHARD_COUNT")!, 1);
    const idx = parseIntStrict(
      "JOB_COMPLETION_INDEX",
      env("JOB_COMPLETION_INDEX") ?? "",
      0,
      count - 1,
    );
    shard = { index: idx + 1, count };
    explicit.add("shard");
  }

  const runId = get("runId", (s, v) => {
    const t = String(v).trim();
    if (t === "" || t !== safePathSegment(t) || t === "." || t === "..") {
      fail(s, `"${v}" may only contain letters, digits, ".", "_" and "-"`);
    }
    return t;
  }, null as string | null);

  const apiKey = env("LLM_BENCH_API_KEY") || env("OPENAI_API_KEY") || null;

  const config: Config = {
    csvDir: parsed.positionals[0] ??
      (env("LLM_BENCH_CSV_DIR") || "benchmark_data"),
    models,
    baseUrls,
    backend,
    outputDir: get("outputDir", nonEmpty, "results"),
    verbose: get("verbose", bool, false),
    quiet: get("quiet", bool, false),
    maxRetries: get("maxRetries", int(0, 100), 4),
    rateLimitDelay: get("rateLimitDelay", num(0, 3600), 0),
    concurrency,
    metricsPort,
    metricsHost,
    csvPattern: get("csvPattern", nonEmpty, DEFAULT_PATTERN),
    fields: get("fields", (src, v) => {
      const text = String(v);
      const map = parseFieldMap(text);
      return typeof map === "string" ? fail(src, map) : text;
    }, null as string | null),
    runId,
    requestTimeout: get("requestTimeout", num(0.001, 86400), 120),
    firstRequestTimeout: get("firstRequestTimeout", num(0.001, 86400), 600),
    seed: get("seed", int(0, 2 ** 31 - 1), 1234),
    temperature: get("temperature", num(0, 2), 0),
    maxTokens: get("maxTokens", int(1, 1_000_000), null as number | null),
    numCtx: get("numCtx", int(256, 10_000_000), null as number | null),
    mode,
    think,
    shots: get("shots", int(0, 5), 0),
    fewshotDir: get("fewshotDir", nonEmpty, null as string | null),
    fewshotAsChat: get("fewshotAsChat", bool, false),
    system: get("system", str, null as string | null),
    templateFile: get("templateFile", nonEmpty, null as string | null),
    preset: get("preset", nonEmpty, null as string | null),
    shuffleChoices: get(
      "shuffleChoices",
      int(0, 2 ** 31 - 1),
      null as number | null,
    ),
    limit: get("limit", int(1), null as number | null),
    sample: get("sample", (s, v) => {
      const n = parseNumber(s, String(v), 0, 1);
      if (n === 0) fail(s, "must be greater than 0");
      return n;
    }, null as number | null),
    subjects: get("subjects", (s, v) => {
      const list = splitList(String(v));
      if (list.length === 0) fail(s, "no subject given");
      return list;
    }, null as string[] | null),
    repeats: get("repeats", int(1, 100), 1),
    failUnder: get("failUnder", num(0, 1), null as number | null),
    resume: get("resume", nonEmpty, null as string | null),
    force: get("force", bool, false),
    retryErrors: get("retryErrors", bool, false),
    maxConsecutiveFailures: get("maxConsecutiveFailures", int(0), 10),
    serve: get("serve", bool, false),
    shard,
    mockAccuracy: get("mockAccuracy", num(0, 1), 0.7),
    mockLatencyMs: get("mockLatencyMs", num(0, 600_000), 20),
    preflightOnly: get("preflightOnly", bool, false),
    apiKey,
  };
  if (config.retryErrors && !config.resume) {
    throw new UsageError(
      "Invalid --retry-errors: it goes with --resume RUN_DIR",
    );
  }
  if (parsed.positionals[0] !== undefined || env("LLM_BENCH_CSV_DIR")) {
    explicit.add("csvDir");
  }
  return { kind: "run", config: Object.freeze(config), explicit };
}

function parseSubcommand(
  sub: "report" | "compare" | "merge",
  args: string[],
): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        "output-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(cleanParseError(e));
  }
  if (parsed.values.help) return { kind: "help" };
  const dirs = parsed.positionals;
  const out = parsed.values["output-dir"] ?? null;
  if (sub === "report") {
    if (dirs.length === 0) {
      throw new UsageError(
        "Invalid arguments: report needs at least one RUN_DIR",
      );
    }
    return { kind: "report", runDirs: dirs };
  }
  if (sub === "compare") {
    if (dirs.length !== 2) {
      throw new UsageError(
        `Invalid arguments: compare needs two run folders, got ${dirs.length}`,
      );
    }
    return { kind: "compare", runDirs: dirs, outputDir: out };
  }
  if (dirs.length === 0) {
    throw new UsageError("Invalid arguments: merge needs at least one RUN_DIR");
  }
  if (!out) {
    throw new UsageError("Invalid arguments: merge needs --output-dir DIR");
  }
  return { kind: "merge", runDirs: dirs, outputDir: out };
}

function cleanParseError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const unknown = /Unknown option '([^']+)'/.exec(msg);
  if (unknown) return `Unknown option "${unknown[1]}" (see --help)`;
  const missing = /Option '([^']+?)(?: <value>)?' argument missing/.exec(msg);
  if (missing) {
    return `Invalid ${missing[1]!.replace(/^-\w, /, "")}: a value is required`;
  }
  const noValue = /Option '([^']+)' does not take an argument/.exec(msg);
  if (noValue) return `Invalid ${noValue[1]}: it takes no value`;
  return `Invalid arguments: ${msg.split("\n")[0]}`;
}
