// run.json: what a run folder needs to be resumed without other arguments
// (dataset paths and hashes, models, endpoints, options), and the check that
// a resume asks the same questions in the same way.

import type { Config } from "../config.ts";
import { redactConfig } from "../config.ts";
import { UsageError } from "../errors.ts";
import { redactUrl } from "../redact.ts";
import { TOOL } from "../version.ts";
import type { SummaryDatasetFile } from "../schema.ts";
import { Fields } from "./fields.ts";
import { datasetFiles } from "./summary_json.ts";

const MANIFEST_NAME = "run.json";

/** The manifest of a run folder. */
export interface Manifest {
  "schema_version": 1;
  tool: { name: string; version: string };
  "run_id": string;
  "created_at": string;
  dataset: {
    /** Absolute path of csv_dir when the run started. */
    root: string;
    pattern: string;
    files: SummaryDatasetFile[];
  };
  /** Redacted config (no API key). */
  config: Record<string, unknown>;
  /** The base URLs held credentials, which were not stored: a resume needs them again. */
  "base_urls_redacted"?: boolean;
  /** Where the dataset was downloaded from (an `hf:` path); absent for a local folder. */
  source?: DatasetSource;
}

/** A Hub dataset a run read, enough to download the same bytes again. */
export interface DatasetSource {
  kind: "hf";
  /** The `hf:` path pinned to `revision`, e.g. `hf:cais/mmlu@<commit>:all:test`. */
  path: string;
  /** Hub endpoint (HF_ENDPOINT, credentials removed). */
  endpoint: string;
  repo: string;
  /** Commit of the dataset's `refs/convert/parquet` branch. */
  revision: string;
  config: string;
  split: string;
  /** Only the first part of the split was converted by the Hub. */
  partial: boolean;
  /** Each file: its path in the repo, its name in the dataset folder, size and SHA-256. */
  files: Array<{ path: string; file: string; size: number; sha256: string }>;
}

/** Options that change which questions are asked or how: a resume must keep them. */
export const PROMPT_AFFECTING: ReadonlyArray<keyof Config> = [
  "models",
  "backend",
  "mode",
  "think",
  "preset",
  "shots",
  "fewshotDir",
  "fewshotAsChat",
  "system",
  "templateFile",
  "temperature",
  "seed",
  "maxTokens",
  "numCtx",
  "shuffleChoices",
  "subjects",
  "limit",
  "sample",
  "repeats",
  "shard",
  "csvPattern",
  "fields",
  "mockAccuracy",
];

/** The JSON shape of a recorded option. */
type RecordedKind =
  | "string"
  | "string?"
  | "number"
  | "number?"
  | "boolean"
  | "strings"
  | "strings?"
  | "shard?"
  | "concurrency";

/**
 * The shape each recorded option must have to be resumed with (options not
 * listed are taken as recorded).
 */
const RECORDED_KINDS: Partial<Record<keyof Config, RecordedKind>> = {
  csvDir: "string",
  models: "strings",
  baseUrls: "strings",
  backend: "string",
  outputDir: "string",
  verbose: "boolean",
  quiet: "boolean",
  maxRetries: "number",
  rateLimitDelay: "number",
  concurrency: "concurrency",
  metricsPort: "number?",
  metricsHost: "string",
  csvPattern: "string",
  runId: "string?",
  requestTimeout: "number",
  firstRequestTimeout: "number",
  seed: "number",
  temperature: "number",
  maxTokens: "number?",
  numCtx: "number?",
  mode: "string",
  think: "string",
  shots: "number",
  fewshotDir: "string?",
  fewshotAsChat: "boolean",
  system: "string?",
  templateFile: "string?",
  preset: "string?",
  shuffleChoices: "number?",
  limit: "number?",
  sample: "number?",
  subjects: "strings?",
  repeats: "number",
  failUnder: "number?",
  maxConsecutiveFailures: "number",
  serve: "boolean",
  shard: "shard?",
  mockAccuracy: "number",
  mockLatencyMs: "number",
  preflightOnly: "boolean",
};

/** Checks one recorded option's shape; throws naming `config.<key>`. */
function checkRecorded(config: Fields, key: string, kind: RecordedKind): void {
  const v = config.raw[key];
  switch (kind) {
    case "string":
      config.str(key);
      return;
    case "string?":
      config.strOrNull(key);
      return;
    case "number":
      config.num(key);
      return;
    case "number?":
      config.numOrNull(key);
      return;
    case "boolean":
      config.bool(key);
      return;
    case "strings":
      config.strings(key);
      return;
    case "strings?":
      if (v !== null) config.strings(key);
      return;
    case "shard?":
      shardOf(config);
      return;
    case "concurrency":
      if (v !== "auto") config.num(key);
      return;
  }
}

/** Builds the manifest for a new run. */
export function createManifest(
  runId: string,
  config: Config,
  root: string,
  files: SummaryDatasetFile[],
  createdAt: string,
): Manifest {
  return {
    "schema_version": 1,
    tool: { ...TOOL },
    "run_id": runId,
    "created_at": createdAt,
    dataset: { root, pattern: config.csvPattern, files },
    config: redactConfig(config),
    "base_urls_redacted": config.baseUrls.some((u) => redactUrl(u) !== u),
  };
}

/**
 * The config to resume with: the recorded one, with the options the user
 * gave now laid over it. Returns the prompt-affecting options that differ.
 */
export function resumeConfig(
  manifest: Manifest,
  current: Config,
  explicit: ReadonlySet<keyof Config>,
): { config: Config; changed: string[] } {
  const recorded: Partial<Record<keyof Config, unknown>> = manifest.config;
  const fields = Fields.of(MANIFEST_NAME, { config: manifest.config }).obj(
    "config",
  );
  const merged: Record<string, unknown> = { ...current };
  const changed: string[] = [];
  for (const key of Object.keys(current) as Array<keyof Config>) {
    if (
      key === "apiKey" || key === "resume" || key === "force" ||
      key === "retryErrors"
    ) continue;
    if (!(key in recorded)) continue;
    const kind = RECORDED_KINDS[key];
    if (kind) checkRecorded(fields, key, kind);
    if (explicit.has(key)) {
      if (
        PROMPT_AFFECTING.includes(key) &&
        JSON.stringify(recorded[key]) !== JSON.stringify(current[key])
      ) {
        changed.push(key);
      }
      continue;
    }
    merged[key] = recorded[key];
  }
  // Base URLs are stored with credentials removed: a run that had some
  // cannot be resumed from the record alone.
  if (!explicit.has("baseUrls")) {
    if (manifest["base_urls_redacted"]) {
      throw new UsageError(
        "Cannot resume: the run's --base-url held credentials, which are never stored; " +
          "pass --base-url (or OLLAMA_BASE_URL) again",
      );
    }
    merged.baseUrls = recorded.baseUrls ?? current.baseUrls;
  }
  merged.csvDir = explicit.has("csvDir")
    ? current.csvDir
    : manifest.dataset.root;
  return { config: Object.freeze(merged as unknown as Config), changed };
}

/**
 * Checks a parsed run.json field by field; `file` names it in errors.
 *
 * @example
 * ```ts
 * import { parseManifest } from "./manifest.ts";
 * try {
 *   parseManifest({ "schema_version": 1, "run_id": "r" }, "run.json");
 *   throw new Error("accepted");
 * } catch (e) {
 *   if (!String(e).includes('field "tool" is missing')) throw e;
 * }
 * ```
 */
export function parseManifest(value: unknown, file: string): Manifest {
  const f = Fields.of(file, value);
  if (f.raw["schema_version"] !== 1) throw f.fail("schema_version", "1");
  const tool = f.obj("tool");
  const dataset = f.obj("dataset");
  const redacted = f.raw["base_urls_redacted"];
  if (redacted !== undefined && typeof redacted !== "boolean") {
    throw f.fail("base_urls_redacted", "true or false");
  }
  const config = f.obj("config");
  config.strings("models");
  shardOf(config);
  return {
    "schema_version": 1,
    tool: { name: tool.str("name"), version: tool.str("version") },
    "run_id": f.str("run_id"),
    "created_at": f.str("created_at"),
    dataset: {
      root: dataset.str("root"),
      pattern: dataset.str("pattern"),
      files: datasetFiles(dataset),
    },
    config: config.raw,
    ...(redacted === undefined ? {} : { "base_urls_redacted": redacted }),
    ...(f.raw.source === undefined
      ? {}
      : { source: sourceOf(f.obj("source")) }),
  };
}

/** The recorded Hub source of an `hf:` run, checked field by field. */
function sourceOf(g: Fields): DatasetSource {
  if (g.raw.kind !== "hf") throw g.fail("kind", '"hf"');
  return {
    kind: "hf",
    path: g.str("path"),
    endpoint: g.str("endpoint"),
    repo: g.str("repo"),
    revision: g.str("revision"),
    config: g.str("config"),
    split: g.str("split"),
    partial: g.bool("partial"),
    files: g.list("files").map((x) => ({
      path: x.str("path"),
      file: x.str("file"),
      size: x.num("size"),
      sha256: x.str("sha256"),
    })),
  };
}

function shardOf(config: Fields): { index: number; count: number } | null {
  const shard = config.raw.shard;
  if (shard === undefined || shard === null) return null;
  const g = config.obj("shard");
  return { index: g.num("index"), count: g.num("count") };
}

/** The models a run was started with (checked when run.json was read). */
export function recordedModels(manifest: Manifest): string[] {
  return Fields.of(MANIFEST_NAME, { config: manifest.config }).obj("config")
    .strings("models");
}

/** The `--shard I/N` a run was started with, or null. */
export function recordedShard(
  manifest: Manifest,
): { index: number; count: number } | null {
  return shardOf(
    Fields.of(MANIFEST_NAME, { config: manifest.config }).obj("config"),
  );
}
