// The resolved configuration of a run: what every command and module reads,
// after src/cli/ has parsed flags and environment into it.

import { isAbsolute, join } from "node:path";
import { redactUrl } from "./redact.ts";
import type { Mode } from "./schema.ts";
/** How answers are obtained from the model (see src/prompt.ts). */
export type { Mode };
/** Every kind of server that can answer, in help-text order. */
export const BACKEND_KINDS = ["ollama", "openai", "mock"] as const;
/** Which kind of server answers. */
export type BackendKind = typeof BACKEND_KINDS[number];
/** Every thinking setting, in help-text order. */
export const THINK_SETTINGS = ["auto", "on", "off"] as const;
/** Whether to ask a thinking-capable model to think. */
export type ThinkSetting = typeof THINK_SETTINGS[number];

/** The resolved configuration of a benchmark run (all fields required). */
export interface Config {
  csvDir: string;
  models: string[];
  baseUrls: string[];
  backend: BackendKind;
  outputDir: string;
  verbose: boolean;
  quiet: boolean;
  maxRetries: number;
  /** Minimum gap between request starts, seconds. */
  rateLimitDelay: number;
  /** Requests in flight, or "auto" for the adaptive limiter. */
  concurrency: number | "auto";
  metricsPort: number | null;
  metricsHost: string;
  csvPattern: string;
  /** `--fields`: record paths for a dataset shape not recognised, as typed (`question=q,choices=opts,answer=gold`), or null. */
  fields: string | null;
  runId: string | null;
  requestTimeout: number;
  firstRequestTimeout: number;
  seed: number;
  temperature: number;
  maxTokens: number | null;
  numCtx: number | null;
  mode: Mode;
  think: ThinkSetting;
  shots: number;
  fewshotDir: string | null;
  fewshotAsChat: boolean;
  system: string | null;
  templateFile: string | null;
  preset: string | null;
  shuffleChoices: number | null;
  limit: number | null;
  sample: number | null;
  subjects: string[] | null;
  repeats: number;
  failUnder: number | null;
  resume: string | null;
  force: boolean;
  retryErrors: boolean;
  maxConsecutiveFailures: number;
  serve: boolean;
  shard: { index: number; count: number } | null;
  mockAccuracy: number;
  mockLatencyMs: number;
  preflightOnly: boolean;
  /** API key for the openai backend (never printed or written). */
  apiKey: string | null;
  /** Answer a request asked before (same model digest) from the response cache. */
  cache: boolean;
  /** Folder of the response cache; null when neither XDG_CACHE_HOME nor HOME is set. */
  cacheDir: string | null;
}

/**
 * The response cache folder: `$XDG_CACHE_HOME/llm-bench`, else
 * `$HOME/.cache/llm-bench`, else null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { defaultCacheDir } from "./config.ts";
 * const env = (vars: Record<string, string>) => (n: string) => vars[n];
 * assert.equal(defaultCacheDir(env({ XDG_CACHE_HOME: "/c", HOME: "/h" })), join("/c", "llm-bench"));
 * assert.equal(defaultCacheDir(env({ XDG_CACHE_HOME: "rel", HOME: "/h" })), join("/h", ".cache", "llm-bench"));
 * assert.equal(defaultCacheDir(env({})), null);
 * ```
 */
export function defaultCacheDir(
  env: (name: string) => string | undefined,
): string | null {
  const xdg = env("XDG_CACHE_HOME");
  // The XDG spec says to ignore a relative value.
  if (xdg && isAbsolute(xdg)) return join(xdg, "llm-bench");
  const home = env("HOME");
  return home ? join(home, ".cache", "llm-bench") : null;
}

/** A run id or model name made safe to use as one path segment. */
export function safePathSegment(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "_");
  return cleaned.slice(0, 120) || "_";
}

/** The config as written to the run folder and summary: no secrets, no credentials in URLs. */
export function redactConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === "apiKey") {
      out[k] = v ? "[redacted]" : null;
    } else if (k === "baseUrls") {
      out[k] = (v as string[]).map(redactUrl);
    } else {
      out[k] = v;
    }
  }
  return out;
}
