// run.json: what a run folder needs to be resumed without other arguments
// (dataset paths and hashes, models, endpoints, options), and the check that
// a resume asks the same questions in the same way.

import type { Config } from "../config.ts";
import { redactConfig } from "../config.ts";
import { UsageError } from "../errors.ts";
import { redactUrl } from "../backend/http_errors.ts";
import { TOOL } from "../version.ts";
import type { SummaryDatasetFile } from "../schema.ts";

/** Name of the manifest file in a run folder. */
export const MANIFEST_FILE = "run.json";

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
  const recorded = manifest.config as Partial<Record<keyof Config, unknown>>;
  const merged: Record<string, unknown> = { ...current };
  const changed: string[] = [];
  for (const key of Object.keys(current) as Array<keyof Config>) {
    if (
      key === "apiKey" || key === "resume" || key === "force" ||
      key === "retryErrors"
    ) continue;
    if (!(key in recorded)) continue;
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
