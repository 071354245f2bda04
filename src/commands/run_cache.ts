// The response cache as a benchmark run sees it: opened when --cache is on,
// wrapped around the run's backends, closed at the end. Any problem opening
// it is a warning and an uncached run, never a failed one.

import {
  type Backend,
  type ModelInfo,
  shortDigest,
} from "../backend/backend.ts";
import { CachedBackend, CacheGate } from "../backend/cached.ts";
import type { Config } from "../config.ts";
import { ResponseCache } from "../store/cache.ts";

/** One model run's cache: wraps backends, closes the file. */
export interface RunCache {
  /**
   * The run's backends, answering from the cache when it is on; `info`
   * (the model as preflight found it) gives the cache the model version
   * when the backends will not be preflighted again.
   */
  wrap(backends: Backend[], info?: ModelInfo): Backend[];
  /** Answers served from the cache and lookups that missed, so far. */
  counts(): { hits: number; misses: number };
  /**
   * After the questions: asks the servers for the model version again. When
   * it changed during the run (a re-pull), the live answers this run stored
   * may be the new build's under the old build's key: they are deleted, and
   * the warning says the run's results mix two builds. Never throws.
   */
  verify(backends: Backend[], signal: AbortSignal): Promise<void>;
  /** Writes pending hit counts and closes the file; never throws. */
  close(): void;
}

/**
 * Opens the cache of `config` for one model. With `--cache` off it does
 * nothing; when the file cannot be used (corrupt, locked, newer schema,
 * unwritable folder) it warns once through `warn` and the run goes on
 * uncached.
 */
export function openRunCache(
  config: Pick<
    Config,
    "cache" | "cacheDir" | "backend" | "mockAccuracy" | "seed"
  >,
  model: string,
  warn: (message: string) => void,
): RunCache {
  if (!config.cache) {
    return {
      wrap: (b) => b,
      counts: () => ({ hits: 0, misses: 0 }),
      verify: () => Promise.resolve(),
      close() {},
    };
  }
  let store: ResponseCache | null = null;
  if (config.cacheDir === null) {
    warn(
      "Cannot find a folder for the response cache (HOME and XDG_CACHE_HOME are unset): set --cache-dir; the run goes on without the cache",
    );
  } else {
    try {
      store = ResponseCache.open(config.cacheDir);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      warn(`${message}; the run goes on without the cache`);
    }
  }
  const gate = new CacheGate(store, warn);
  // The mock's answers also depend on its accuracy and seed.
  const extra = config.backend === "mock"
    ? `accuracy=${config.mockAccuracy};seed=${config.seed}`
    : undefined;
  return {
    wrap: (backends, info) =>
      store === null ? backends : backends.map((b) => {
        const cached = new CachedBackend(b, gate, {
          kind: config.backend,
          model,
          extra,
        });
        if (info !== undefined) cached.learn(info);
        return cached;
      }),
    counts: () => ({ hits: gate.hits, misses: gate.misses }),
    verify: (backends, signal) => verifyVersion(backends, gate, model, signal),
    close() {
      try {
        store?.close();
      } catch (e) {
        gate.warnOnce(
          `${
            e instanceof Error ? e.message : String(e)
          } (hit counts not saved)`,
        );
      }
    },
  };
}

/** How long the check of the model version after a run may take, ms. */
const VERIFY_TIMEOUT_MS = 10_000;

async function verifyVersion(
  backends: Backend[],
  gate: CacheGate,
  model: string,
  signal: AbortSignal,
): Promise<void> {
  if (gate.saved === 0) return;
  // A server that stopped answering must not hold the end of the run.
  const bounded = AbortSignal.any([
    signal,
    AbortSignal.timeout(VERIFY_TIMEOUT_MS),
  ]);
  for (const b of backends) {
    if (!(b instanceof CachedBackend)) continue;
    let change: { before: string; after: string | null } | null;
    try {
      change = await b.versionChange(bounded);
    } catch {
      continue; // the server cannot say now: nothing to compare
    }
    if (change === null) continue;
    gate.forgetSaved();
    gate.warnOnce(
      `${model} changed at ${b.endpoint} during the run (version ${
        shortDigest(change.before)
      } is now ${
        change.after === null ? "unknown" : shortDigest(change.after)
      }): this run's results may mix two builds, and its live answers were taken out of the cache`,
    );
    return;
  }
}
