// argv + environment -> Command. Flags override environment variables, which
// override defaults; every option is one row of OPTIONS, and this file is a
// loop over it (plus the subcommands and the few variables outside the table).

import { UsageError } from "../errors.ts";
import {
  type FlagTypes,
  nearestFlag,
  type ParsedArgv,
  parseFlags,
} from "./argv.ts";
import {
  DEFAULT_CSV_DIR,
  type OptionKey,
  OPTIONS,
  type OptionSpec,
} from "./options.ts";
import { int } from "./values.ts";

import {
  type BackendKind,
  type Config,
  defaultCacheDir,
  type Mode,
  type ThinkSetting,
} from "../config.ts";

export type { BackendKind, Config, Mode, ThinkSetting };

/** The commands besides a benchmark run, each with its own help. */
export const SUBCOMMANDS = ["report", "compare", "merge"] as const;

/** A command besides a benchmark run. */
export type Subcommand = typeof SUBCOMMANDS[number];

/** What main.ts should do. */
export type Command =
  | { kind: "help"; topic?: Subcommand }
  | { kind: "version" }
  | { kind: "run"; config: Config; explicit: ReadonlySet<keyof Config> }
  | { kind: "report"; runDirs: string[] }
  | { kind: "compare"; runDirs: string[]; outputDir: string | null }
  | { kind: "merge"; runDirs: string[]; outputDir: string }
  | { kind: "cache"; args: string[] }
  | { kind: "inspect"; argv: string[] }
  | { kind: "leaderboard"; argv: string[] };

type Env = (name: string) => string | undefined;

function isSubcommand(word: string | undefined): word is Subcommand {
  return SUBCOMMANDS.some((s) => s === word);
}

/**
 * Parses argv and the environment into a Command. Throws UsageError with one
 * line naming the flag or variable and what is wrong.
 */
export function parseCommand(argv: string[], env: Env): Command {
  const first = argv[0];
  if (first === "help") return parseHelpWord(argv.slice(1));
  if (first === "version") {
    if (argv.length === 1) return { kind: "version" };
    throw new UsageError(
      `Invalid arguments: version takes none, got "${argv[1]}"`,
    );
  }
  if (first === "cache") return { kind: "cache", args: argv.slice(1) };
  if (first === "inspect") return { kind: "inspect", argv: argv.slice(1) };
  if (first === "leaderboard") {
    return { kind: "leaderboard", argv: argv.slice(1) };
  }
  if (isSubcommand(first)) return parseSubcommand(first, argv.slice(1));
  const parsed = parseFlags(argv, runFlagTypes());
  if (parsed.values.help) return { kind: "help" };
  if (parsed.values.version) return { kind: "version" };
  if (parsed.positionals.length > 1) throw tooManyPositionals(parsed);
  return { kind: "run", ...resolveConfig(parsed, env) };
}

function tooManyPositionals(parsed: ParsedArgv): UsageError {
  const words = parsed.positionals;
  const near = nearestFlag(words[0]!, [...SUBCOMMANDS, "help", "version"]);
  const hint = near === null ? "" : `; did you mean the command "${near}"?`;
  return new UsageError(
    `Invalid arguments: expected one csv_dir, got ${words.length} (${
      words.map((p) => `"${p}"`).join(", ")
    })${hint}`,
  );
}

function parseHelpWord(rest: string[]): Command {
  const topic = rest[0];
  if (topic === undefined) return { kind: "help" };
  // Commands that parse their own arguments answer their own --help.
  if (topic === "leaderboard" && rest.length === 1) {
    return { kind: "leaderboard", argv: ["--help"] };
  }
  if (topic === "cache" && rest.length === 1) {
    return { kind: "cache", args: ["--help"] };
  }
  if (topic === "inspect" && rest.length === 1) {
    return { kind: "inspect", argv: ["--help"] };
  }
  if (isSubcommand(topic) && rest.length === 1) return { kind: "help", topic };
  throw new UsageError(
    `Invalid arguments: no help on "${rest.join(" ")}" (try help ${
      SUBCOMMANDS.join(", help ")
    })`,
  );
}

function runFlagTypes(): FlagTypes {
  const flags: FlagTypes = {
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "V" },
  };
  for (const o of OPTIONS) {
    const type = o.boolean ? "boolean" : "string";
    for (const name of [o.flag, ...(o.aliases ?? [])]) flags[name] = { type };
    if (o.boolean) flags[`no-${o.flag}`] = { type: "boolean" };
  }
  return flags;
}

/** The text an option was given as, and where from; null when not given. */
function givenText(
  o: OptionSpec,
  values: ParsedArgv["values"],
  env: Env,
): { text: string; source: string } | null {
  for (const name of [o.flag, ...(o.aliases ?? [])]) {
    const v = values[name];
    if (v !== undefined) return { text: String(v), source: `--${name}` };
  }
  if (o.boolean && values[`no-${o.flag}`]) {
    return { text: "false", source: `--no-${o.flag}` };
  }
  for (const name of [o.env, ...(o.fallbackEnv ?? [])]) {
    if (name === null) continue;
    const v = env(name);
    if (v !== undefined && v !== "") return { text: v, source: name };
  }
  return null;
}

function setField<K extends OptionKey>(
  target: Partial<Config>,
  o: OptionSpec<K>,
  value: Config[K],
): void {
  target[o.key] = value;
}

/** Fills `target` from the table: given text through the row's reader, else its default. */
function readOptions(
  values: ParsedArgv["values"],
  env: Env,
  target: Partial<Config>,
  explicit: Set<keyof Config>,
): void {
  // Options whose default depends on others come last.
  const ordered = [
    ...OPTIONS.filter((o) => o.defaultFrom === undefined),
    ...OPTIONS.filter((o) => o.defaultFrom !== undefined),
  ];
  for (const o of ordered) {
    const given = givenText(o, values, env);
    if (given === null) {
      const fallback = o.defaultFrom ? o.defaultFrom(target) : o.default;
      setField(target, o, structuredClone(fallback));
    } else {
      explicit.add(o.key);
      setField(target, o, o.read(given.text, given.source));
    }
  }
}

/** The Kubernetes indexed-job form of --shard: SHARD_COUNT + JOB_COMPLETION_INDEX. */
function shardFromJobIndex(env: Env): Config["shard"] {
  const countText = env("SHARD_COUNT");
  if (!countText) return null;
  const count = int(1)(countText, "SHARD_COUNT");
  const index = int(0, count - 1)(
    env("JOB_COMPLETION_INDEX") ?? "",
    "JOB_COMPLETION_INDEX",
  );
  return { index: index + 1, count };
}

function resolveConfig(
  parsed: ParsedArgv,
  env: Env,
): { config: Config; explicit: Set<keyof Config> } {
  const explicit = new Set<keyof Config>();
  const target: Partial<Config> = {};
  readOptions(parsed.values, env, target, explicit);
  if (target.shard === null) {
    target.shard = shardFromJobIndex(env);
    if (target.shard !== null) explicit.add("shard");
  }
  const positional = parsed.positionals[0];
  const csvDirEnv = env("LLM_BENCH_CSV_DIR");
  if (positional !== undefined || csvDirEnv) explicit.add("csvDir");
  target.csvDir = positional ?? (csvDirEnv || DEFAULT_CSV_DIR);
  target.apiKey = env("LLM_BENCH_API_KEY") || env("OPENAI_API_KEY") || null;
  target.cacheDir ??= defaultCacheDir(env);
  if (target.retryErrors && !target.resume) {
    throw new UsageError(
      "Invalid --retry-errors: it goes with --resume RUN_DIR",
    );
  }
  return { config: Object.freeze(complete(target)), explicit };
}

function complete(target: Partial<Config>): Config {
  const keys: (keyof Config)[] = [
    ...OPTIONS.map((o) => o.key),
    "csvDir",
    "apiKey",
  ];
  const missing = keys.filter((k) => target[k] === undefined);
  if (missing.length > 0) {
    throw new Error(`Cannot build the config: ${missing.join(", ")} unset`);
  }
  // Every field is set (checked above): the table has a row per Config
  // field except csvDir and apiKey, which are set here.
  return target as Config;
}

function parseSubcommand(sub: Subcommand, args: string[]): Command {
  const flags: FlagTypes = { help: { type: "boolean", short: "h" } };
  if (sub !== "report") flags["output-dir"] = { type: "string" };
  const parsed = parseFlags(args, flags);
  if (parsed.values.help) return { kind: "help", topic: sub };
  const dirs = parsed.positionals;
  const out = parsed.values["output-dir"];
  const outputDir = typeof out === "string" ? out : null;
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
    return { kind: "compare", runDirs: dirs, outputDir };
  }
  if (dirs.length === 0) {
    throw new UsageError("Invalid arguments: merge needs at least one RUN_DIR");
  }
  if (!outputDir) {
    throw new UsageError("Invalid arguments: merge needs --output-dir DIR");
  }
  return { kind: "merge", runDirs: dirs, outputDir };
}
