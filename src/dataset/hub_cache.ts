// The local cache of Hub datasets: where it lives, its layout (one folder
// per repo, commit, config and split, with a hidden record of what was
// downloaded), and the checks that decide whether a cached file can be used.
//
//   <cache>/hub/datasets/OWNER/NAME/refs/convert-parquet   last commit seen online
//   <cache>/hub/datasets/OWNER/NAME/<commit>/<config>/<split>/.hub.json
//   <cache>/hub/datasets/OWNER/NAME/<commit>/<config>/<split>/<config>_<split>.parquet

import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { writeFileAtomic, writeJsonAtomic } from "../store/atomic.ts";
import { sha256File } from "./file_hash.ts";
import { type HubSpec, safeSegment } from "./hub_spec.ts";

/** Name of the record of a downloaded config/split, inside its folder (hidden from discovery). */
export const HUB_RECORD_FILE = ".hub.json";

/** One downloaded file. */
export interface HubCachedFile {
  /** Path in the repo at `revision`, e.g. `all/test/0000.parquet`. */
  path: string;
  /** Path inside the split folder, e.g. `all_test.parquet`. */
  file: string;
  size: number;
  /** The Hub's ETag for the file (the LFS sha256, else the git blob id). */
  etag: string;
  /** SHA-256 of the bytes on disk. */
  sha256: string;
}

/** What `.hub.json` records about one config/split. */
export interface HubRecord {
  repo: string;
  /** Commit of `refs/convert/parquet` the files were read at. */
  revision: string;
  config: string;
  /** The split asked for. */
  split: string;
  /** The Hub converted only the first part of the split (`partial-SPLIT`). */
  partial: boolean;
  files: HubCachedFile[];
}

/**
 * The cache folder of llm-bench: `$XDG_CACHE_HOME/llm-bench`, else
 * `$HOME/.cache/llm-bench`. Throws `UsageError` when neither is set.
 *
 * @example
 * ```ts
 * import { cacheRoot } from "./hub_cache.ts";
 * cacheRoot((n) => ({ HOME: "/home/me" } as Record<string, string>)[n]);
 * // "/home/me/.cache/llm-bench"
 * ```
 */
export function cacheRoot(env: (name: string) => string | undefined): string {
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "llm-bench");
  const home = env("HOME");
  if (home) return join(home, ".cache", "llm-bench");
  throw new UsageError(
    "Cannot find a cache folder for hf: datasets: set XDG_CACHE_HOME or HOME",
  );
}

/** The cache folder of one repo. */
export function repoDir(root: string, spec: HubSpec): string {
  return join(root, "hub", "datasets", spec.owner, spec.name);
}

/** The folder holding one config/split at one commit. */
export function splitDir(
  root: string,
  spec: HubSpec,
  revision: string,
  config: string,
  split: string,
): string {
  return join(
    repoDir(root, spec),
    revision,
    safeSegment(config),
    safeSegment(split),
  );
}

const REF_FILE = join("refs", "convert-parquet");

/** The commit of `refs/convert/parquet` last seen online, if any. */
export async function readRef(
  root: string,
  spec: HubSpec,
): Promise<string | null> {
  try {
    const text = await Deno.readTextFile(join(repoDir(root, spec), REF_FILE));
    return /^[0-9a-f]{40}$/.test(text.trim()) ? text.trim() : null;
  } catch {
    return null;
  }
}

/** Remembers the commit of `refs/convert/parquet` for offline use. */
export async function writeRef(
  root: string,
  spec: HubSpec,
  revision: string,
): Promise<void> {
  const path = join(repoDir(root, spec), REF_FILE);
  await Deno.mkdir(join(repoDir(root, spec), "refs"), { recursive: true });
  await writeFileAtomic(path, `${revision}\n`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function cachedFile(v: unknown): HubCachedFile | null {
  if (!isObject(v)) return null;
  const { path, file, size, etag, sha256 } = v;
  if (
    typeof path !== "string" || typeof file !== "string" ||
    typeof size !== "number" || typeof etag !== "string" ||
    typeof sha256 !== "string" || file.includes("..") || file.startsWith("/")
  ) return null;
  return { path, file, size, etag, sha256 };
}

/** Validates a parsed `.hub.json`; null when it is not one. */
export function parseHubRecord(v: unknown): HubRecord | null {
  if (!isObject(v) || !Array.isArray(v.files)) return null;
  const { repo, revision, config, split, partial } = v;
  if (
    typeof repo !== "string" || typeof revision !== "string" ||
    typeof config !== "string" || typeof split !== "string" ||
    typeof partial !== "boolean"
  ) return null;
  const files: HubCachedFile[] = [];
  for (const f of v.files) {
    const file = cachedFile(f);
    if (file === null) return null;
    files.push(file);
  }
  return { repo, revision, config, split, partial, files };
}

/** The record of a split folder, or null when absent or unreadable. */
export async function readRecord(dir: string): Promise<HubRecord | null> {
  try {
    return parseHubRecord(
      JSON.parse(await Deno.readTextFile(join(dir, HUB_RECORD_FILE))),
    );
  } catch {
    return null;
  }
}

/** Writes the record of a split folder (atomically). */
export function writeRecord(dir: string, record: HubRecord): Promise<void> {
  return writeJsonAtomic(join(dir, HUB_RECORD_FILE), record);
}

/**
 * Whether a cached file is whole and unchanged: it exists with the recorded
 * size and its bytes still hash to the recorded SHA-256.
 */
export async function cachedFileIntact(
  dir: string,
  file: HubCachedFile,
): Promise<boolean> {
  try {
    const info = await Deno.stat(join(dir, file.file));
    if (!info.isFile || info.size !== file.size) return false;
    return await sha256File(join(dir, file.file)) === file.sha256;
  } catch {
    return false;
  }
}

/** Subfolders of `dir` (names decoded back from safe segments), sorted. */
export async function subfolders(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isDirectory || e.name.startsWith(".")) continue;
      try {
        out.push(decodeURIComponent(e.name));
      } catch {
        // not a folder llm-bench made
      }
    }
  } catch {
    return [];
  }
  return out.sort();
}
