import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  CACHE_FILE,
  CACHE_SCHEMA_VERSION,
  CacheError,
  ResponseCache,
} from "../src/store/cache.ts";

const META = { backend: "ollama", model: "llama3.2", digest: "sha256:aa" };

async function withDir(fn: (dir: string) => Promise<void> | void) {
  const dir = await Deno.makeTempDir({ prefix: "llm-bench-cache-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("ResponseCache stores, finds and counts hits across reopen", async () => {
  await withDir((dir) => {
    const cache = ResponseCache.open(join(dir, "nested"));
    assert.equal(cache.get("k1"), null);
    cache.put("k1", META, "v1");
    assert.equal(cache.get("k1"), "v1");
    assert.equal(cache.get("k1"), "v1");
    cache.close();
    const again = ResponseCache.open(join(dir, "nested"), { create: false });
    const stats = again.stats();
    assert.equal(stats.entries, 1);
    assert.equal(stats.hits, 2);
    assert.deepEqual(
      stats.models.map((m) => [m.model, m.digest, m.entries, m.hits]),
      [["llama3.2", "sha256:aa", 1, 2]],
    );
    assert.ok(stats.sizeBytes > 0);
    again.close();
  });
});

Deno.test("ResponseCache uses WAL mode and records its schema version", async () => {
  await withDir((dir) => {
    ResponseCache.open(dir).close();
    const db = new DatabaseSync(join(dir, CACHE_FILE));
    assert.equal(db.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
    assert.equal(
      db.prepare("SELECT version FROM schema_version").get()?.version,
      CACHE_SCHEMA_VERSION,
    );
    db.close();
  });
});

Deno.test("ResponseCache.open() refuses a cache written by a newer schema", async () => {
  await withDir((dir) => {
    ResponseCache.open(dir).close();
    const db = new DatabaseSync(join(dir, CACHE_FILE));
    db.exec(`UPDATE schema_version SET version = ${CACHE_SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(
      () => ResponseCache.open(dir),
      (e: unknown) =>
        e instanceof CacheError && /newer llm-bench/.test(e.message) &&
        /cache schema 2/.test(e.message),
    );
  });
});

Deno.test("ResponseCache.open() throws CacheError for a file that is not a database", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(join(dir, CACHE_FILE), "not sqlite ".repeat(500));
    assert.throws(() => ResponseCache.open(dir), CacheError);
  });
});

Deno.test("ResponseCache.open() without create throws CacheError when there is no cache", async () => {
  await withDir((dir) => {
    assert.throws(
      () => ResponseCache.open(join(dir, "none"), { create: false }),
      (e: unknown) => e instanceof CacheError && /Cannot find/.test(e.message),
    );
  });
});

Deno.test("ResponseCache gives CacheError, not a hang, while another process holds the write lock", async () => {
  await withDir((dir) => {
    const cache = ResponseCache.open(dir, { busyTimeoutMs: 50 });
    const other = new DatabaseSync(join(dir, CACHE_FILE));
    other.exec("BEGIN EXCLUSIVE");
    try {
      // Readers still read in WAL mode; a writer waits, then gives up.
      assert.equal(cache.get("k"), null);
      cache.put("k", META, "v");
      assert.throws(() => cache.flush(), CacheError);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    cache.put("k", META, "v");
    cache.flush();
    assert.equal(cache.get("k"), "v");
    cache.close();
  });
});

Deno.test("ResponseCache keeps new entries in memory until flush() and serves them meanwhile", async () => {
  await withDir((dir) => {
    const writer = ResponseCache.open(dir);
    const reader = ResponseCache.open(dir);
    writer.put("k", META, "v");
    assert.equal(writer.get("k"), "v");
    assert.equal(reader.get("k"), null);
    writer.flush();
    assert.equal(reader.get("k"), "v");
    writer.close();
    reader.close();
  });
});

Deno.test("ResponseCache.prune() deletes entries unused since the cutoff; clear() deletes all", async () => {
  await withDir((dir) => {
    let now = 1_000;
    const cache = ResponseCache.open(dir, { now: () => now });
    cache.put("old", META, "1");
    cache.put("served", META, "2");
    now = 5_000;
    cache.put("new", { ...META, digest: "sha256:bb" }, "3");
    assert.equal(cache.get("served"), "2"); // a hit refreshes used_at
    assert.equal(cache.prune(2_000), 1);
    assert.equal(cache.get("old"), null);
    assert.equal(cache.get("served"), "2");
    assert.equal(cache.stats().entries, 2);
    assert.equal(cache.clear(), 2);
    assert.equal(cache.stats().entries, 0);
    cache.close();
  });
});
