// `llm-bench cache stats|prune|clear`: look after the response cache (size,
// entries per model digest, hit counts; delete old or all entries). Parses
// its own arguments.

import { parseArgs } from "node:util";
import { defaultCacheDir } from "../config.ts";
import { UsageError } from "../errors.ts";
import { sanitizeText, truncate } from "../report/format.ts";
import { asciiTable } from "../report/text.ts";
import {
  CACHE_FILE,
  CacheError,
  type CacheStats,
  ResponseCache,
} from "../store/cache.ts";
import { join } from "node:path";

/** What `llm-bench cache ...` was asked to do. */
export type CacheArgs =
  | { action: "help" }
  | { action: "stats"; dir: string }
  | { action: "clear"; dir: string }
  | { action: "prune"; dir: string; olderThanMs: number };

/** Help of the cache command (fits 80 columns). */
export const CACHE_HELP = `Usage:
  llm-bench cache stats               size, entries per model digest, hits
  llm-bench cache prune [--older-than 30d]
                                      delete entries not used for that long
  llm-bench cache clear               delete every entry

Options:
  --cache-dir DIR    the cache folder [LLM_BENCH_CACHE_DIR]
                     (default: $XDG_CACHE_HOME/llm-bench or
                     ~/.cache/llm-bench)
  --older-than AGE   with prune: 30d, 12h, 90m, 2w (default: 30d)
  -h, --help         show this help

Runs use the cache only with --cache (or LLM_BENCH_CACHE=true).
See docs/cache.md.`;

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * An age such as `30d`, `12h`, `90m`, `45s` or `2w` in ms; throws
 * UsageError otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAge } from "./cache.ts";
 * assert.equal(parseAge("30d"), 30 * 86_400_000);
 * assert.equal(parseAge("1.5h"), 5_400_000);
 * ```
 */
export function parseAge(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/.exec(text);
  if (m === null) {
    throw new UsageError(
      `Invalid --older-than: "${text}" is not an age (e.g. 30d, 12h, 90m, 2w)`,
    );
  }
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** Parses the arguments after `cache`; throws UsageError with one line. */
export function parseCacheArgs(
  argv: string[],
  env: (name: string) => string | undefined,
): CacheArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        "cache-dir": { type: "string" },
        "older-than": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new UsageError(`Invalid arguments: ${msg} (see cache --help)`);
  }
  const v = parsed.values;
  if (v.help) return { action: "help" };
  const [action, ...rest] = parsed.positionals;
  if (action !== "stats" && action !== "prune" && action !== "clear") {
    throw new UsageError(
      `Invalid arguments: cache needs one of stats, prune, clear${
        action === undefined ? "" : `, got "${action}"`
      }`,
    );
  }
  if (rest.length > 0) {
    throw new UsageError(
      `Invalid arguments: unexpected "${rest[0]}" after cache ${action}`,
    );
  }
  if (v["older-than"] !== undefined && action !== "prune") {
    throw new UsageError("Invalid --older-than: it goes with cache prune");
  }
  const dir = v["cache-dir"] || env("LLM_BENCH_CACHE_DIR") ||
    defaultCacheDir(env);
  if (!dir) {
    throw new UsageError(
      "Invalid arguments: no cache folder (HOME and XDG_CACHE_HOME are unset); give --cache-dir",
    );
  }
  if (action === "prune") {
    return { action, dir, olderThanMs: parseAge(v["older-than"] ?? "30d") };
  }
  return { action, dir };
}

/** Bytes as B, KB, MB or GB (powers of 1024). */
function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${x.toFixed(1)} ${units[i]}`;
}

/** The `cache stats` text: totals, then one row per backend, model and digest. */
function renderCacheStats(stats: CacheStats): string {
  const lines = [
    `Cache ${stats.path}: ${
      formatBytes(stats.sizeBytes)
    }, ${stats.entries} entries, ${stats.hits} hits`,
  ];
  if (stats.models.length > 0) {
    lines.push(asciiTable(
      ["Model", "Backend", "Digest", "Entries", "Hits", "Last used (UTC)"],
      stats.models.map((m) => [
        truncate(sanitizeText(m.model), 40),
        m.backend,
        truncate(sanitizeText(m.digest), 24),
        String(m.entries),
        String(m.hits),
        new Date(m.lastUsedMs).toISOString().slice(0, 16).replace("T", " "),
      ]),
    ));
  }
  return lines.join("\n");
}

/**
 * Runs `cache stats|prune|clear` and returns what to print. A missing cache
 * is reported, not created. Throws CacheError when the file cannot be used.
 */
export function runCacheCommand(
  args: Exclude<CacheArgs, { action: "help" }>,
  now: () => number = Date.now,
): string {
  try {
    Deno.statSync(join(args.dir, CACHE_FILE));
  } catch {
    return `No cache at ${join(args.dir, CACHE_FILE)}${
      args.action === "stats" ? "" : "; nothing to delete"
    }`;
  }
  const cache = openOrExplain(args);
  if (typeof cache === "string") return cache;
  try {
    if (args.action === "stats") return renderCacheStats(cache.stats());
    if (args.action === "clear") {
      return `Deleted ${cache.clear()} entries from ${cache.path}`;
    }
    const n = cache.prune(now() - args.olderThanMs);
    const left = cache.stats().entries;
    return `Deleted ${n} entries not used since ${
      new Date(now() - args.olderThanMs).toISOString()
    }; ${left} left in ${cache.path}`;
  } finally {
    cache.close();
  }
}

/** SQLite's words for a file that is not (or no longer) a database. */
const UNREADABLE = /file is not a database|database disk image is malformed/i;

/**
 * Opens the cache; a corrupt file is deleted by `clear` (what it returns
 * says so) and named with the way out by the other actions.
 */
function openOrExplain(
  args: Exclude<CacheArgs, { action: "help" }>,
): ResponseCache | string {
  try {
    return ResponseCache.open(args.dir, { create: false });
  } catch (e) {
    if (!(e instanceof CacheError) || !UNREADABLE.test(e.message)) throw e;
    const path = join(args.dir, CACHE_FILE);
    if (args.action !== "clear") {
      throw new CacheError(
        `${e.message}\n\`llm-bench cache clear\` deletes it (runs with --cache start a new one)`,
        { cause: e },
      );
    }
    for (const suffix of ["", "-wal", "-shm"]) {
      try {
        Deno.removeSync(path + suffix);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
    return `Deleted the unreadable cache ${path} (${
      e.message.replace(/^.*: /, "")
    })`;
  }
}
