// The `hf:OWNER/NAME[@REVISION][:CONFIG[:SPLIT]]` dataset path: parsing,
// printing, and the safe folder and file names a config and split get in
// the cache (pure).

import { UsageError } from "../errors.ts";

/** Prefix that marks a dataset path as a Hugging Face Hub dataset. */
export const HUB_PREFIX = "hf:";

/** A parsed `hf:` dataset path. */
export interface HubSpec {
  owner: string;
  name: string;
  /** `OWNER/NAME`. */
  repo: string;
  /** Commit of the `refs/convert/parquet` branch to read, or null for its head. */
  revision: string | null;
  /** Config (subset), or null to take the only one. */
  config: string | null;
  /** Split, or null for `test` (or the only one). */
  split: string | null;
}

const REPO_PART_REGEXP = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const COMMIT_REGEXP = /^[0-9a-f]{40}$/;
const CONFIG_REGEXP = /^[^\s:/\\@]+$/;

/**
 * Whether a dataset path names a Hub dataset (`hf:` prefix).
 *
 * @example
 * ```ts
 * import { isHubPath } from "./hub_spec.ts";
 * isHubPath("hf:cais/mmlu:all:test"); // true
 * isHubPath("benchmark_data"); // false
 * ```
 */
export function isHubPath(path: string): boolean {
  return path.startsWith(HUB_PREFIX);
}

function bad(path: string, detail: string): UsageError {
  return new UsageError(
    `Cannot use dataset "${path}": ${detail} (expected hf:OWNER/NAME[:CONFIG[:SPLIT]], e.g. hf:cais/mmlu:all:test)`,
  );
}

/**
 * Parses `hf:OWNER/NAME[@REVISION][:CONFIG[:SPLIT]]`. REVISION is a
 * 40-hex commit of the dataset's `refs/convert/parquet` branch (as recorded
 * in run.json). Throws `UsageError` for a malformed path.
 *
 * @example
 * ```ts
 * import { parseHubPath } from "./hub_spec.ts";
 * import assert from "node:assert/strict";
 * const s = parseHubPath("hf:allenai/ai2_arc:ARC-Challenge:test");
 * assert.equal(s.repo, "allenai/ai2_arc");
 * assert.equal(s.config, "ARC-Challenge");
 * assert.equal(s.split, "test");
 * ```
 */
export function parseHubPath(path: string): HubSpec {
  if (!isHubPath(path)) throw bad(path, "no hf: prefix");
  const parts = path.slice(HUB_PREFIX.length).split(":");
  if (parts.length > 3) throw bad(path, 'too many ":"');
  const [repoPart = "", config = null, split = null] = parts;
  const at = repoPart.indexOf("@");
  const repo = at < 0 ? repoPart : repoPart.slice(0, at);
  const revision = at < 0 ? null : repoPart.slice(at + 1);
  const names = repo.split("/");
  if (names.length !== 2) {
    throw bad(path, `"${repo}" is not OWNER/NAME`);
  }
  const [owner = "", name = ""] = names;
  for (const part of [owner, name]) {
    if (
      !REPO_PART_REGEXP.test(part) || part.includes("..") ||
      part.includes("--") || part.length > 96
    ) {
      throw bad(path, `"${part}" is not a valid Hub name`);
    }
  }
  if (revision !== null && !COMMIT_REGEXP.test(revision)) {
    throw bad(path, `revision "${revision}" is not a 40-hex commit`);
  }
  const named: Array<[string, string | null]> = [
    ["config", config],
    ["split", split],
  ];
  for (const [what, value] of named) {
    if (
      value !== null && (!CONFIG_REGEXP.test(value) || /^\.+$/.test(value))
    ) {
      throw bad(path, `${what} "${value}" is not a valid name`);
    }
  }
  return { owner, name, repo, revision, config, split };
}

/**
 * The `hf:` path of a spec.
 *
 * @example
 * ```ts
 * import { formatHubPath } from "./hub_spec.ts";
 * formatHubPath({ owner: "cais", name: "mmlu", repo: "cais/mmlu", revision: null, config: "all", split: "test" });
 * // "hf:cais/mmlu:all:test"
 * ```
 */
export function formatHubPath(spec: HubSpec): string {
  const rev = spec.revision === null ? "" : `@${spec.revision}`;
  const tail = spec.config === null
    ? ""
    : spec.split === null
    ? `:${spec.config}`
    : `:${spec.config}:${spec.split}`;
  return `${HUB_PREFIX}${spec.repo}${rev}${tail}`;
}

/**
 * A config or split name as one safe path segment: letters, digits, `.`,
 * `_` and `-` kept, anything else percent-encoded, so two names never share
 * a folder.
 *
 * @example
 * ```ts
 * import { safeSegment } from "./hub_spec.ts";
 * safeSegment("ARC-Challenge"); // "ARC-Challenge"
 * safeSegment("fr fr"); // "fr%20fr"
 * ```
 */
export function safeSegment(name: string): string {
  return Array.from(new TextEncoder().encode(name), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9._-]/.test(c) && b < 0x80
      ? c
      : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("").replace(/^\./, "%2E");
}
