import assert from "node:assert/strict";
import { Semaphore } from "../src/backend/semaphore.ts";

/** Resolves after every pending microtask and one macrotask have run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("Semaphore() rejects a limit that is not a positive integer", async (t) => {
  for (const limit of [0, -1, 1.5, NaN]) {
    await t.step(`limit ${limit}`, () => {
      assert.throws(() => new Semaphore(limit), RangeError);
    });
  }
});

Deno.test("Semaphore.acquire() never lets more than limit holders in", async () => {
  const sem = new Semaphore(5);
  let holders = 0;
  let maxHolders = 0;
  let done = 0;
  const task = async (i: number) => {
    const release = await sem.acquire();
    holders++;
    maxHolders = Math.max(maxHolders, holders);
    assert.ok(sem.inUse <= 5);
    // Hold the permit for a varying number of turns of the event loop.
    for (let k = 0; k < i % 4; k++) await settle();
    holders--;
    done++;
    release();
  };
  await Promise.all(Array.from({ length: 300 }, (_, i) => task(i)));
  assert.equal(maxHolders, 5);
  assert.equal(done, 300);
  assert.equal(sem.inUse, 0);
  assert.equal(sem.waiting, 0);
});

Deno.test("Semaphore.acquire() serves waiters in FIFO order", async () => {
  const sem = new Semaphore(1);
  const first = await sem.acquire();
  const order: number[] = [];
  const waiters = [0, 1, 2, 3, 4].map((i) =>
    sem.acquire().then((release) => {
      order.push(i);
      release();
    })
  );
  await settle();
  assert.equal(sem.waiting, 5);
  first();
  await Promise.all(waiters);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
});

Deno.test("Semaphore.acquire() rejects and leaves the queue when its signal aborts", async () => {
  const sem = new Semaphore(1);
  const release = await sem.acquire();
  const ctl = new AbortController();
  const aborted = sem.acquire(ctl.signal);
  const order: string[] = [];
  const next = sem.acquire().then((r) => {
    order.push("next");
    return r;
  });
  await settle();
  assert.equal(sem.waiting, 2);
  const reason = new Error("stop");
  ctl.abort(reason);
  await assert.rejects(aborted, (e) => e === reason);
  assert.equal(sem.waiting, 1);
  release();
  const r2 = await next;
  assert.deepEqual(order, ["next"]);
  // The aborted waiter did not take a permit.
  assert.equal(sem.inUse, 1);
  r2();
  assert.equal(sem.inUse, 0);
});

Deno.test("Semaphore.acquire() rejects at once with an already aborted signal", async () => {
  const sem = new Semaphore(2);
  const ctl = new AbortController();
  ctl.abort(new Error("gone"));
  await assert.rejects(sem.acquire(ctl.signal), /gone/);
  assert.equal(sem.inUse, 0);
  assert.equal(sem.waiting, 0);
});

Deno.test("Semaphore release function is idempotent", async () => {
  const sem = new Semaphore(2);
  const a = await sem.acquire();
  const b = await sem.acquire();
  assert.equal(sem.inUse, 2);
  a();
  a();
  a();
  assert.equal(sem.inUse, 1);
  // A double release must not let a third holder in beside b.
  const c = await sem.acquire();
  let dGot = false;
  const d = sem.acquire().then((r) => {
    dGot = true;
    return r;
  });
  await settle();
  assert.equal(dGot, false);
  assert.equal(sem.inUse, 2);
  b();
  (await d)();
  c();
  assert.equal(sem.inUse, 0);
});

Deno.test("Semaphore.setLimit() up releases waiters at once", async () => {
  const sem = new Semaphore(1);
  const r0 = await sem.acquire();
  const got: number[] = [];
  const ps = [1, 2, 3].map((i) =>
    sem.acquire().then((r) => {
      got.push(i);
      return r;
    })
  );
  await settle();
  assert.deepEqual(got, []);
  sem.setLimit(3);
  await settle();
  assert.deepEqual(got, [1, 2]);
  assert.equal(sem.inUse, 3);
  assert.equal(sem.waiting, 1);
  r0();
  const releases = await Promise.all(ps);
  assert.deepEqual(got, [1, 2, 3]);
  for (const r of releases) r();
  assert.equal(sem.inUse, 0);
});

Deno.test("Semaphore.setLimit() down takes effect as permits return", async () => {
  const sem = new Semaphore(3);
  const held = [await sem.acquire(), await sem.acquire(), await sem.acquire()];
  sem.setLimit(1);
  assert.equal(sem.limit, 1);
  let got = false;
  const next = sem.acquire().then((r) => {
    got = true;
    return r;
  });
  held[0]!();
  await settle();
  assert.equal(got, false, "2 still held, limit 1");
  held[1]!();
  await settle();
  assert.equal(got, false, "1 still held, limit 1");
  held[2]!();
  await settle();
  assert.equal(got, true);
  assert.equal(sem.inUse, 1);
  (await next)();
});

Deno.test("Semaphore.setLimit() clamps to at least 1", () => {
  const sem = new Semaphore(4);
  sem.setLimit(0);
  assert.equal(sem.limit, 1);
  sem.setLimit(2.7);
  assert.equal(sem.limit, 2);
});
