// The response cache on disk: one SQLite file (Deno's built-in node:sqlite)
// in WAL mode, shared safely by several llm-bench processes. It stores opaque
// values under opaque keys; what goes in a key is src/backend/cached.ts's job.

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { join } from "node:path";

/** Version of the tables this llm-bench writes and reads. */
export const CACHE_SCHEMA_VERSION = 1;

/** File name of the database inside the cache folder. */
export const CACHE_FILE = "responses.sqlite";

/** How long a statement waits for another process's lock, ms. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * New entries and hit counts wait in memory and are written in one
 * transaction per this many, or once this many ms passed: one commit per
 * answer would cost a live run far more than the lookups do. A crash loses at
 * most these (they are asked again next time).
 */
const FLUSH_EVERY = 256;
const FLUSH_AFTER_MS = 1000;

/** The cache cannot be used: missing, corrupt, locked, or from a newer llm-bench. */
export class CacheError extends Error {
  override name = "CacheError";
}

/** What an entry is about, kept beside the value for `cache stats` and pruning. */
export interface CacheEntryMeta {
  /** Backend kind: ollama, openai or mock. */
  backend: string;
  /** Model name as the user gave it. */
  model: string;
  /** Model version the key was made with (Ollama digest, ...). */
  digest: string;
}

/** Entries of one model version. */
export interface CacheModelStats extends CacheEntryMeta {
  entries: number;
  /** Answers served from these entries. */
  hits: number;
  /** Last time an entry was written or served, ms since the epoch. */
  lastUsedMs: number;
}

/** What `llm-bench cache stats` shows. */
export interface CacheStats {
  path: string;
  /** Database file plus its write-ahead log, bytes. */
  sizeBytes: number;
  entries: number;
  hits: number;
  /** Per backend, model and digest; most recently used first. */
  models: CacheModelStats[];
}

/** Options of ResponseCache.open. */
export interface CacheOpenOptions {
  /** Create the folder and the database when missing. @default true */
  create?: boolean;
  /** Wait for another process's lock this long, ms. @default 5000 */
  busyTimeoutMs?: number;
  /** Clock, ms since the epoch. @default Date.now */
  now?: () => number;
}

function sqliteMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function toNumber(v: unknown): number {
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : 0;
}

/**
 * A key-value store of model replies. Every method may throw CacheError; the
 * run-side wrapper turns that into one warning and an uncached run.
 */
export class ResponseCache {
  /** Path of the database file. */
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #now: () => number;
  readonly #get: StatementSync;
  readonly #put: StatementSync;
  readonly #hit: StatementSync;
  #pendingHits = new Map<string, number>();
  #pendingPuts = new Map<
    string,
    { meta: CacheEntryMeta; value: string; at: number }
  >();
  #lastFlush: number;
  #closed = false;

  private constructor(path: string, db: DatabaseSync, now: () => number) {
    this.path = path;
    this.#db = db;
    this.#now = now;
    this.#lastFlush = now();
    this.#get = db.prepare("SELECT value FROM entries WHERE key = ?");
    this.#put = db.prepare(
      `INSERT INTO entries (key, backend, model, digest, value, created_at, used_at, hits)
       VALUES (?, ?, ?, ?, ?, ?, ?, 0)
       ON CONFLICT(key) DO UPDATE SET value = excluded.value, used_at = excluded.used_at`,
    );
    this.#hit = db.prepare(
      "UPDATE entries SET hits = hits + ?, used_at = max(used_at, ?) WHERE key = ?",
    );
  }

  /**
   * Opens (and with `create`, makes) the cache in `dir`. Throws CacheError
   * when the file is not a database, stays locked past the busy timeout, was
   * written by a newer schema, or (without `create`) does not exist.
   */
  static open(dir: string, options: CacheOpenOptions = {}): ResponseCache {
    const create = options.create ?? true;
    const path = join(dir, CACHE_FILE);
    if (create) {
      try {
        Deno.mkdirSync(dir, { recursive: true });
      } catch (e) {
        throw new CacheError(
          `Cannot create the cache folder "${dir}": ${sqliteMessage(e)}`,
          { cause: e },
        );
      }
    } else {
      try {
        Deno.statSync(path);
      } catch (e) {
        throw new CacheError(`Cannot find a cache at "${path}"`, { cause: e });
      }
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, {
        timeout: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS,
      });
    } catch (e) {
      throw new CacheError(
        `Cannot open the cache "${path}": ${sqliteMessage(e)}`,
        { cause: e },
      );
    }
    try {
      whileLocked(() => initSchema(db, path));
      return new ResponseCache(path, db, options.now ?? Date.now);
    } catch (e) {
      db.close();
      if (e instanceof CacheError) throw e;
      throw new CacheError(
        `Cannot use the cache "${path}": ${sqliteMessage(e)}`,
        { cause: e },
      );
    }
  }

  #wrap<T>(what: string, fn: () => T): T {
    if (this.#closed) {
      throw new CacheError(`Cannot ${what}: the cache is closed`);
    }
    try {
      return fn();
    } catch (e) {
      throw new CacheError(
        `Cannot ${what} "${this.path}": ${sqliteMessage(e)}`,
        { cause: e },
      );
    }
  }

  /** The value stored under `key`, or null; a found value counts as a hit. */
  get(key: string): string | null {
    let value: unknown = this.#pendingPuts.get(key)?.value;
    if (value === undefined) {
      const row = this.#wrap("read the cache", () => this.#get.get(key));
      value = row === undefined ? null : row.value;
    }
    if (typeof value !== "string") return null;
    this.#pendingHits.set(key, (this.#pendingHits.get(key) ?? 0) + 1);
    this.#maybeFlush();
    return value;
  }

  /** Stores `value` under `key` (replacing an older value). */
  put(key: string, meta: CacheEntryMeta, value: string): void {
    if (this.#closed) {
      throw new CacheError("Cannot write the cache: it is closed");
    }
    this.#pendingPuts.set(key, { meta, value, at: this.#now() });
    this.#maybeFlush();
  }

  #maybeFlush(): void {
    if (
      this.#pendingPuts.size + this.#pendingHits.size >= FLUSH_EVERY ||
      this.#now() - this.#lastFlush >= FLUSH_AFTER_MS
    ) {
      this.flush();
    }
  }

  /** Writes the entries and hit counts waiting in memory, in one transaction. */
  flush(): void {
    this.#lastFlush = this.#now();
    if (this.#pendingHits.size === 0 && this.#pendingPuts.size === 0) return;
    const hits = this.#pendingHits;
    const puts = this.#pendingPuts;
    this.#pendingHits = new Map();
    this.#pendingPuts = new Map();
    const now = this.#now();
    this.#transaction("write the cache", () => {
      for (const [key, { meta, value, at }] of puts) {
        this.#put.run(
          key,
          meta.backend,
          meta.model,
          meta.digest,
          value,
          at,
          at,
        );
      }
      for (const [key, n] of hits) this.#hit.run(n, now, key);
    });
  }

  #transaction(what: string, fn: () => void): void {
    this.#wrap(what, () => {
      // IMMEDIATE takes the write lock up front, so the busy timeout applies
      // instead of a deadlock error when another process writes too.
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        fn();
        this.#db.exec("COMMIT");
      } catch (e) {
        rollback(this.#db);
        throw e;
      }
    });
  }

  /** Deletes the entries under `keys`, written or still waiting in memory. */
  forget(keys: Iterable<string>): void {
    const gone = [...keys];
    for (const key of gone) {
      this.#pendingPuts.delete(key);
      this.#pendingHits.delete(key);
    }
    this.flush();
    const del = this.#wrap(
      "delete from the cache",
      () => this.#db.prepare("DELETE FROM entries WHERE key = ?"),
    );
    this.#transaction("delete from the cache", () => {
      for (const key of gone) del.run(key);
    });
  }

  /** Entries, hits and size, per model version. */
  stats(): CacheStats {
    this.flush();
    const rows = this.#wrap("read the cache", () =>
      this.#db.prepare(
        `SELECT backend, model, digest, count(*) AS n, sum(hits) AS hits,
                max(used_at) AS used FROM entries
         GROUP BY backend, model, digest ORDER BY used DESC, model, digest`,
      ).all());
    const models: CacheModelStats[] = rows.map((r) => ({
      backend: String(r.backend),
      model: String(r.model),
      digest: String(r.digest),
      entries: toNumber(r.n),
      hits: toNumber(r.hits),
      lastUsedMs: toNumber(r.used),
    }));
    return {
      path: this.path,
      sizeBytes: fileSize(this.path) + fileSize(`${this.path}-wal`),
      entries: models.reduce((n, m) => n + m.entries, 0),
      hits: models.reduce((n, m) => n + m.hits, 0),
      models,
    };
  }

  /** Deletes entries neither written nor served since `cutoffMs`; returns how many. */
  prune(cutoffMs: number): number {
    this.flush();
    return this.#delete("DELETE FROM entries WHERE used_at < ?", cutoffMs);
  }

  /** Deletes every entry; returns how many. */
  clear(): number {
    this.flush();
    return this.#delete("DELETE FROM entries");
  }

  #delete(sql: string, ...params: number[]): number {
    const changes = this.#wrap(
      "delete from the cache",
      () => toNumber(this.#db.prepare(sql).run(...params).changes),
    );
    // Give the space back and fold the log into the file.
    this.#wrap("compact the cache", () => {
      // (VACUUM is not available: Deno's SQLite allows no attached database.)
      // Each row of this pragma frees one page: step through all of them.
      this.#db.prepare("PRAGMA incremental_vacuum").all();
      this.#db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    });
    return changes;
  }

  /** Writes pending hit counts and closes; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    try {
      this.flush();
    } finally {
      this.#closed = true;
      this.#db.close();
    }
  }
}

function fileSize(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

/** Sets WAL mode and makes or checks the tables; throws CacheError on a newer schema. */
/** Attempts at setting up a file another process is setting up too. */
const SETUP_ATTEMPTS = 40;

/** A "locked" answer this fast did not wait for the busy timeout. */
const FAST_LOCK_MS = 500;

/**
 * Runs `f` again while SQLite says at once that the file is locked. Two
 * processes that open a new cache at the same moment both switch it to WAL
 * mode, and SQLite answers that switch with "database is locked" without
 * waiting for the busy timeout. A lock that outlasted the busy timeout (a
 * process holding the file) is final.
 */
function whileLocked(f: () => void): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 1;; attempt++) {
    const t0 = performance.now();
    try {
      return f();
    } catch (e) {
      const locked = /locked|busy/i.test(sqliteMessage(e));
      const fast = performance.now() - t0 < FAST_LOCK_MS;
      if (!locked || !fast || attempt >= SETUP_ATTEMPTS) throw e;
      // A synchronous pause: the cache API is synchronous (node:sqlite).
      Atomics.wait(pause, 0, 0, 25 + Math.floor(Math.random() * 50));
    }
  }
}

function initSchema(db: DatabaseSync, path: string): void {
  // Takes effect only on a new, empty file: lets prune and clear shrink it.
  db.exec("PRAGMA auto_vacuum = INCREMENTAL");
  // Fails here, with SQLite's own message, when the file is not a database.
  const mode = db.prepare("PRAGMA journal_mode = WAL").get();
  if (mode === undefined || String(mode.journal_mode) !== "wal") {
    throw new CacheError(
      `Cannot use the cache "${path}": it cannot be put in WAL mode (a network file system?)`,
    );
  }
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(
      `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
       CREATE TABLE IF NOT EXISTS entries (
         key TEXT PRIMARY KEY,
         backend TEXT NOT NULL,
         model TEXT NOT NULL,
         digest TEXT NOT NULL,
         value TEXT NOT NULL,
         created_at INTEGER NOT NULL,
         used_at INTEGER NOT NULL,
         hits INTEGER NOT NULL DEFAULT 0
       );
       CREATE INDEX IF NOT EXISTS entries_used_at ON entries (used_at);`,
    );
    const row = db.prepare("SELECT max(version) AS v FROM schema_version")
      .get();
    const version = row === undefined || row.v === null
      ? null
      : toNumber(row.v);
    if (version === null) {
      db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(
        CACHE_SCHEMA_VERSION,
      );
    } else if (version > CACHE_SCHEMA_VERSION) {
      throw new CacheError(
        `Cannot use the cache "${path}": it was written by a newer llm-bench (cache schema ${version}, this version reads ${CACHE_SCHEMA_VERSION}); upgrade llm-bench or use another --cache-dir`,
      );
    }
    db.exec("COMMIT");
  } catch (e) {
    rollback(db);
    throw e;
  }
}

function rollback(db: DatabaseSync): void {
  try {
    db.exec("ROLLBACK");
  } catch {
    // SQLite already rolled back (a failed COMMIT or a lost lock).
  }
}
