// The response cache as a benchmark run sees it: opened when --cache is on,
// wrapped around the run's backends, closed at the end. Any problem opening
// it is a warning and an uncached run, never a failed one.

import type { Backend, ModelInfo } from "../backend/backend.ts";
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
