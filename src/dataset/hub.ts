// Hugging Face Hub datasets (`hf:OWNER/NAME[:CONFIG[:SPLIT]]`): pins the
// commit of the dataset's Parquet conversion, lists its files, downloads
// what the cache lacks (checked against size and SHA-256), and returns the
// local folder the normal dataset reading then reads. HF_HUB_OFFLINE=1 uses
// the cache only.

import { basename, extname, join } from "node:path";
import { UsageError } from "../errors.ts";
import type { DatasetSource } from "../store/manifest.ts";
import {
  cachedFileIntact,
  cacheRoot,
  type HubCachedFile,
  type HubRecord,
  readRecord,
  readRef,
  repoDir,
  splitDir,
  subfolders,
  writeRecord,
  writeRef,
} from "./hub_cache.ts";
import { HubClient, type HubDeps, HubError } from "./hub_http.ts";
import { listSplit, pick } from "./hub_listing.ts";
import { downloadFile } from "./hub_download.ts";
import { formatBytes, type HubProgress, hubProgress } from "./hub_progress.ts";
import {
  formatHubPath,
  type HubSpec,
  isHubPath,
  parseHubPath,
  safeSegment,
} from "./hub_spec.ts";

export { isHubPath };

/** Default Hub endpoint (HF_ENDPOINT overrides it). */
export const DEFAULT_HF_ENDPOINT = "https://huggingface.co";

/** Options of `resolveHubDataset`. */
export interface HubOptions {
  /** Reads HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, XDG_CACHE_HOME and HOME. */
  env: (name: string) => string | undefined;
  /** Download progress; silent when absent. */
  progress?: HubProgress;
  /** Aborts downloads (Ctrl-C): a `HubError` saying "interrupted". */
  signal?: AbortSignal;
}

/** A Hub dataset made local. */
export interface ResolvedHubDataset {
  /** The folder holding the split's files. */
  dir: string;
  source: DatasetSource;
  /** Files fetched now (0 when everything came from the cache). */
  downloaded: number;
}

const TRUE_REGEXP = /^(1|true|yes|on)$/i;
const SHA256_REGEXP = /^[0-9a-f]{64}$/;

interface Settings {
  endpoint: string;
  token: string | null;
  offline: boolean;
  root: string;
}

function settingsFrom(env: HubOptions["env"]): Settings {
  const endpoint = (env("HF_ENDPOINT") || DEFAULT_HF_ENDPOINT).trim();
  let url: URL | null = null;
  try {
    url = new URL(endpoint);
  } catch {
    url = null;
  }
  if (url === null || !/^https?:$/.test(url.protocol)) {
    throw new UsageError(
      `Invalid HF_ENDPOINT: "${endpoint}" is not an http(s) URL`,
    );
  }
  return {
    endpoint,
    token: env("HF_TOKEN")?.trim() || null,
    offline: TRUE_REGEXP.test(env("HF_HUB_OFFLINE")?.trim() ?? ""),
    root: cacheRoot(env),
  };
}

/**
 * Makes an `hf:` dataset local and returns its folder and provenance.
 * Online: two or three Hub API requests (revision, tree) plus one
 * download per file the cache lacks. Offline (HF_HUB_OFFLINE=1): the cache only.
 * Throws `UsageError` (exit 2) for a bad name, a missing or gated dataset,
 * or an offline cache miss; `HubError` (exit 1) for network failures.
 */
export async function resolveHubDataset(
  path: string,
  options: HubOptions,
  deps: HubDeps = {},
): Promise<ResolvedHubDataset> {
  const spec = parseHubPath(path);
  const settings = settingsFrom(options.env);
  const progress = options.progress ?? hubProgress({
    write: () => {},
    tty: false,
    quiet: true,
  });
  const client = new HubClient({
    endpoint: settings.endpoint,
    token: settings.token,
    signal: options.signal,
  }, deps);
  const found = settings.offline
    ? await fromCache(spec, settings.root)
    : await fromHubOrCache(spec, settings.root, client, progress, options);
  const { record, dir, downloaded } = found;
  const total = record.files.reduce((n, f) => n + f.size, 0);
  progress.note(
    `${
      formatHubPath({
        ...spec,
        revision: null,
        config: record.config,
        split: record.split,
      })
    } at ${record.revision.slice(0, 12)}: ${record.files.length} file(s), ${
      formatBytes(total)
    }${downloaded === 0 ? " (cached)" : ""}${
      record.partial
        ? "; the Hub converted only the first part of this split"
        : ""
    }`,
  );
  return {
    dir,
    downloaded,
    source: {
      kind: "hf",
      path: formatHubPath({
        ...spec,
        revision: record.revision,
        config: record.config,
        split: record.split,
      }),
      endpoint: client.shownEndpoint,
      repo: record.repo,
      revision: record.revision,
      config: record.config,
      split: record.split,
      partial: record.partial,
      files: record.files.map(({ path, file, size, sha256 }) => ({
        path,
        file,
        size,
        sha256,
      })),
    },
  };
}

/**
 * Online resolution; when the Hub cannot be reached (network, 5xx) and the
 * cache holds the split whole, the cached copy is used with a warning, as
 * huggingface_hub does. Errors the user must fix (names, access) still stop.
 */
async function fromHubOrCache(
  spec: HubSpec,
  root: string,
  client: HubClient,
  progress: HubProgress,
  options: HubOptions,
): Promise<{ record: HubRecord; dir: string; downloaded: number }> {
  try {
    return await fromHub(spec, root, client, progress, options.signal);
  } catch (e) {
    if (options.signal?.aborted) {
      throw new HubError(
        `Cannot download "${
          formatHubPath(spec)
        }": interrupted (nothing was run; whole files stay in the cache)`,
        { cause: e },
      );
    }
    if (!(e instanceof HubError)) throw e;
    const cached = await fromCache(spec, root).catch(() => null);
    if (cached === null) throw e;
    progress.note(
      `warning: ${e.message}; using the cached copy at ${
        cached.record.revision.slice(0, 12)
      }`,
    );
    return cached;
  }
}

/**
 * The dataset path a resumed run reads: an `hf:` run reads the recorded
 * revision again (the recorded path when none is given now, or the same
 * dataset named without a revision); anything else is left as is.
 *
 * @example
 * ```ts
 * import { resumeDatasetPath } from "./hub.ts";
 * const rev = "a".repeat(40);
 * const source = { kind: "hf" as const, path: `hf:o/n@${rev}:c:test`, endpoint: "", repo: "o/n", revision: rev, config: "c", split: "test", partial: false, files: [] };
 * resumeDatasetPath("/cache/o/n", false, source); // `hf:o/n@${rev}:c:test`
 * resumeDatasetPath("hf:o/n:c", true, source); // `hf:o/n@${rev}:c:test`
 * ```
 */
export function resumeDatasetPath(
  csvDir: string,
  explicit: boolean,
  source: DatasetSource | undefined,
): string {
  if (!source) return csvDir;
  if (!explicit) return source.path;
  if (!isHubPath(csvDir)) return csvDir;
  const now = parseHubPath(csvDir);
  const same = now.repo === source.repo && now.revision === null &&
    (now.config ?? source.config) === source.config &&
    (now.split ?? source.split) === source.split;
  return same ? source.path : csvDir;
}

// ---------------------------------------------------------------------------
// Online

async function fromHub(
  spec: HubSpec,
  root: string,
  client: HubClient,
  progress: HubProgress,
  signal: AbortSignal | undefined,
): Promise<{ record: HubRecord; dir: string; downloaded: number }> {
  const { what, revision, config, split, partial, files } = await listSplit(
    spec,
    client,
  );
  const dir = splitDir(root, spec, revision, config, split);
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(
      `Cannot write the hf: cache at ${dir}: ${
        e instanceof Error ? e.message : String(e)
      }; set XDG_CACHE_HOME to a writable folder`,
      { cause: e },
    );
  }
  const before = await readRecord(dir);
  const record: HubRecord = {
    repo: spec.repo,
    revision,
    config,
    split,
    partial,
    files: [],
  };
  let downloaded = 0;
  for (const entry of files) {
    const local = localName(entry.path, config, split, files.length);
    // A file the record lists, or (after an interrupted download of the
    // split) one whose bytes hash to its LFS ETag, need not be fetched.
    const known = (before?.revision === revision
      ? before.files.find((f) =>
        f.path === entry.path && f.file === local &&
        f.etag === entry.etag && f.size === entry.size
      )
      : undefined) ??
      (SHA256_REGEXP.test(entry.etag)
        ? {
          path: entry.path,
          file: local,
          size: entry.size,
          etag: entry.etag,
          sha256: entry.etag,
        }
        : undefined);
    if (known && await cachedFileIntact(dir, known)) {
      record.files.push(known);
      continue;
    }
    const cached: HubCachedFile = {
      path: entry.path,
      file: local,
      size: entry.size,
      etag: entry.etag,
      sha256: "",
    };
    if (local.includes("/")) {
      await Deno.mkdir(join(dir, local.split("/")[0]!), { recursive: true });
    }
    cached.sha256 = await downloadFile(
      client,
      {
        url: `${client.endpoint}/datasets/${spec.repo}/resolve/${revision}/${
          entry.path.split("/").map(encodeURIComponent).join("/")
        }`,
        dest: join(dir, local),
        name: entry.path,
        size: entry.size,
        etag: entry.etag,
        revision,
        what,
      },
      progress,
      signal,
    );
    downloaded++;
    record.files.push(cached);
  }
  await writeRecord(dir, record);
  if (spec.revision === null) await writeRef(root, spec, revision);
  return { record, dir, downloaded };
}

/**
 * The name a split's file gets in its local folder: `CONFIG_SPLIT.parquet`
 * (so the subject taken from a file name is the config), or
 * `NNNN/CONFIG_SPLIT.parquet` when the split has several files.
 */
function localName(
  repoPath: string,
  config: string,
  split: string,
  count: number,
): string {
  const ext = extname(repoPath);
  const name = `${safeSegment(config)}_${safeSegment(split)}${ext}`;
  return count === 1 ? name : `${safeSegment(basename(repoPath, ext))}/${name}`;
}

// ---------------------------------------------------------------------------
// Offline

async function fromCache(
  spec: HubSpec,
  root: string,
): Promise<{ record: HubRecord; dir: string; downloaded: number }> {
  const what = `"${formatHubPath(spec)}"`;
  const base = repoDir(root, spec);
  const ref = await readRef(root, spec);
  const commits = spec.revision !== null ? [spec.revision] : await newestFirst(
    base,
    (await subfolders(base)).filter((c) => /^[0-9a-f]{40}$/.test(c)),
    ref,
  );
  for (const revision of commits) {
    const configs = await subfolders(join(base, revision));
    if (
      spec.config !== null
        ? !configs.includes(spec.config)
        : configs.length === 0
    ) continue;
    const config = pick(what, "config", configs, spec.config);
    const splits = await subfolders(join(base, revision, safeSegment(config)));
    if (
      spec.split !== null ? !splits.includes(spec.split) : splits.length === 0
    ) continue;
    const split = pick(what, "split", splits, spec.split);
    const dir = splitDir(root, spec, revision, config, split);
    const record = await readRecord(dir);
    if (record === null || record.revision !== revision) continue;
    for (const f of record.files) {
      if (!await cachedFileIntact(dir, f)) {
        throw new UsageError(
          `Cannot use ${what} offline (HF_HUB_OFFLINE is set): its cached file "${f.file}" in ${dir} is incomplete or changed; run once with network access to download it again`,
        );
      }
    }
    return { record, dir, downloaded: 0 };
  }
  throw new UsageError(
    `Cannot use ${what} offline (HF_HUB_OFFLINE is set): it is not in the cache (${base}); run once with network access to download it`,
  );
}

/** Commit folders, the one `ref` names first, then newest record first. */
async function newestFirst(
  base: string,
  commits: string[],
  ref: string | null,
): Promise<string[]> {
  const stamped = await Promise.all(commits.map(async (c) => {
    const info = await Deno.stat(join(base, c)).catch(() => null);
    return { c, t: info?.mtime?.getTime() ?? 0 };
  }));
  stamped.sort((a, b) => b.t - a.t || (a.c < b.c ? -1 : 1));
  const order = stamped.map((s) => s.c);
  return ref !== null && order.includes(ref)
    ? [ref, ...order.filter((c) => c !== ref)]
    : order;
}
