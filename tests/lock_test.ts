import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../src/errors.ts";
import { acquireRunLock, parseLockHolder } from "../src/store/lock.ts";
import { RUN_FILES } from "../src/store/run_folder.ts";

async function withDir(f: (dir: string) => Promise<void> | void) {
  const dir = await Deno.makeTempDir({ prefix: "llm-bench-lock-" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("acquireRunLock() lets one holder in and names it to the next", () =>
  withDir((dir) => {
    const lock = acquireRunLock(dir, new Date("2026-01-02T03:04:05Z"));
    assert.equal(lock.tookOver, null);
    const holder = parseLockHolder(
      Deno.readTextFileSync(join(dir, RUN_FILES.lock)),
    );
    assert.equal(holder?.pid, Deno.pid);
    assert.equal(holder?.["started_at"], "2026-01-02T03:04:05.000Z");
    // The OS lock is per open file: a second acquire in this process is
    // refused just as another process would be.
    assert.throws(
      () => acquireRunLock(dir),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message.includes(`another llm-bench (pid ${Deno.pid} on host `) &&
        e.message.includes("started 2026-01-02T03:04:05.000Z"),
    );
    lock.release();
    assert.throws(() => Deno.statSync(join(dir, RUN_FILES.lock)));
    const again = acquireRunLock(dir);
    assert.equal(again.tookOver, null);
    again.release();
  }));

Deno.test("acquireRunLock() takes over a lock whose holder is gone", () =>
  withDir((dir) => {
    // What a process killed with kill -9 leaves: the file, no OS lock.
    const stale = { pid: 999999, host: "elsewhere", "started_at": "then" };
    Deno.writeTextFileSync(join(dir, RUN_FILES.lock), JSON.stringify(stale));
    const lock = acquireRunLock(dir);
    assert.deepEqual(lock.tookOver, stale);
    const now = parseLockHolder(
      Deno.readTextFileSync(join(dir, RUN_FILES.lock)),
    );
    assert.equal(now?.pid, Deno.pid);
    lock.release();
  }));

Deno.test("parseLockHolder() accepts only a complete record", () => {
  assert.equal(parseLockHolder(""), null);
  assert.equal(
    parseLockHolder('{"pid":"1","host":"a","started_at":"t"}'),
    null,
  );
  assert.deepEqual(parseLockHolder('{"pid":1,"host":"a","started_at":"t"}'), {
    pid: 1,
    host: "a",
    "started_at": "t",
  });
});
