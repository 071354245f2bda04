import assert from "node:assert/strict";
import type {
  AskRequest,
  AskResponse,
  Backend,
  ModelInfo,
} from "../src/backend/backend.ts";
import { EndpointPool, type Lease } from "../src/backend/pool.ts";

/** A backend that is never called: the pool only hands it out. */
function fakeBackend(endpoint: string): Backend {
  return {
    endpoint,
    preflight(): Promise<ModelInfo> {
      return Promise.reject(new Error("not used"));
    },
    ask(_r: AskRequest, _s: AbortSignal): Promise<AskResponse> {
      return Promise.reject(new Error("not used"));
    },
    unload(): Promise<void> {
      return Promise.resolve();
    },
  };
}

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

const OK = { ok: true, latencyMs: 100, errorKind: null };
const FAIL = { ok: false, latencyMs: 5, errorKind: "http_5xx" as const };

Deno.test("EndpointPool() needs at least one endpoint", () => {
  assert.throws(() => new EndpointPool([], { concurrency: 2 }), RangeError);
});

Deno.test("EndpointPool.acquire() never exceeds the sum of the caps", async () => {
  const pool = new EndpointPool(
    [fakeBackend("http://a"), fakeBackend("http://b"), fakeBackend("http://c")],
    { concurrency: 3 },
  );
  assert.equal(pool.limit, 9);
  const perEndpoint = new Map<string, number>();
  const maxPerEndpoint = new Map<string, number>();
  let maxTotal = 0;
  const task = async (i: number) => {
    const lease = await pool.acquire();
    const e = lease.backend.endpoint;
    perEndpoint.set(e, (perEndpoint.get(e) ?? 0) + 1);
    maxPerEndpoint.set(
      e,
      Math.max(maxPerEndpoint.get(e) ?? 0, perEndpoint.get(e)!),
    );
    maxTotal = Math.max(maxTotal, pool.inFlight);
    for (let k = 0; k < i % 5; k++) await settle();
    perEndpoint.set(e, perEndpoint.get(e)! - 1);
    lease.release(OK);
  };
  await Promise.all(Array.from({ length: 200 }, (_, i) => task(i)));
  assert.equal(maxTotal, 9);
  assert.deepEqual(
    [...maxPerEndpoint.entries()].sort(),
    [["http://a", 3], ["http://b", 3], ["http://c", 3]],
  );
  assert.equal(pool.inFlight, 0);
  const requests = pool.stats().reduce((n, s) => n + s.requests, 0);
  assert.equal(requests, 200);
});

Deno.test("EndpointPool.acquire() picks the least busy endpoint", async () => {
  const pool = new EndpointPool(
    [fakeBackend("http://a"), fakeBackend("http://b"), fakeBackend("http://c")],
    { concurrency: 4 },
  );
  const leases: Lease[] = [];
  for (let i = 0; i < 6; i++) leases.push(await pool.acquire());
  assert.deepEqual(
    leases.map((l) => l.backend.endpoint),
    ["a", "b", "c", "a", "b", "c"].map((x) => `http://${x}`),
  );
  // Free both of b's: b is now the least busy.
  leases[1]!.release(OK);
  leases[4]!.release(OK);
  const next = await pool.acquire();
  assert.equal(next.backend.endpoint, "http://b");
  for (const l of [...leases, next]) l.release(OK);
  assert.equal(pool.inFlight, 0);
});

Deno.test("EndpointPool sets aside an endpoint that keeps failing, then takes it back", async () => {
  let clock = 1_000;
  const pool = new EndpointPool(
    [fakeBackend("http://a"), fakeBackend("http://b")],
    { concurrency: 2, benchAfterFailures: 3, benchMs: 5_000 },
    () => clock,
  );
  assert.equal(pool.limit, 4);
  for (let i = 0; i < 3; i++) {
    const lease = await pool.acquire();
    assert.equal(lease.backend.endpoint, "http://a");
    lease.release(FAIL);
  }
  // a is benched: only b's permits remain and every attempt goes to b.
  assert.equal(pool.limit, 2);
  const l1 = await pool.acquire();
  const l2 = await pool.acquire();
  assert.deepEqual(
    [l1.backend.endpoint, l2.backend.endpoint],
    ["http://b", "http://b"],
  );
  let third: Lease | null = null;
  const p = pool.acquire().then((l) => (third = l));
  await settle();
  assert.equal(third, null, "b is full and a is benched");
  clock += 4_999;
  l1.release(OK);
  await p;
  assert.equal(third!.backend.endpoint, "http://b");
  l2.release(OK);
  third!.release(OK);
  const stats = pool.stats();
  assert.equal(stats[0]!.benched, 1);
  assert.equal(stats[0]!.failures, 3);
  // After benchMs a is back.
  clock += 1;
  const back = await pool.acquire();
  assert.equal(pool.limit, 4);
  assert.equal(back.backend.endpoint, "http://a");
  back.release(OK);
});

Deno.test("EndpointPool only benches after consecutive failures", async () => {
  const clock = 0;
  const pool = new EndpointPool(
    [fakeBackend("http://a"), fakeBackend("http://b")],
    { concurrency: 1, benchAfterFailures: 3 },
    () => clock,
  );
  for (const outcome of [FAIL, FAIL, OK, FAIL, FAIL]) {
    // Keep b busy so every attempt goes to a.
    const a = await pool.acquire();
    assert.equal(a.backend.endpoint, "http://a");
    a.release(outcome);
  }
  assert.equal(pool.stats()[0]!.benched, 0);
  assert.equal(pool.limit, 2);
});

Deno.test("EndpointPool does not count interrupted attempts as failures", async () => {
  const pool = new EndpointPool(
    [fakeBackend("http://a"), fakeBackend("http://b")],
    { concurrency: 1, benchAfterFailures: 2 },
    () => 0,
  );
  for (let i = 0; i < 5; i++) {
    const l = await pool.acquire();
    l.release({ ok: false, latencyMs: 1, errorKind: "interrupted" });
  }
  assert.deepEqual(pool.stats().map((s) => s.benched), [0, 0]);
  assert.deepEqual(pool.stats().map((s) => s.failures), [0, 0]);
  assert.equal(pool.limit, 2);
});

Deno.test("EndpointPool never benches its only endpoint", async () => {
  const pool = new EndpointPool(
    [fakeBackend("http://only")],
    { concurrency: 2, benchAfterFailures: 3, benchMs: 60_000 },
    () => 0,
  );
  for (let i = 0; i < 10; i++) {
    const l = await pool.acquire();
    l.release(FAIL);
  }
  assert.equal(pool.limit, 2);
  assert.equal(pool.stats()[0]!.benched, 0);
  assert.equal(pool.stats()[0]!.failures, 10);
});

Deno.test("EndpointPool keeps the endpoint that returns first when all are benched", async () => {
  let clock = 0;
  const pool = new EndpointPool(
    [fakeBackend("http://a"), fakeBackend("http://b")],
    { concurrency: 1, benchAfterFailures: 1, benchMs: 1_000 },
    () => clock,
  );
  const a = await pool.acquire();
  a.release(FAIL); // a benched until 1000
  clock = 10;
  const b = await pool.acquire();
  assert.equal(b.backend.endpoint, "http://b");
  b.release(FAIL); // b benched until 1010
  assert.equal(pool.limit, 1);
  const l = await pool.acquire();
  assert.equal(l.backend.endpoint, "http://a");
  l.release(OK);
});

Deno.test("EndpointPool.release() is idempotent", async () => {
  const pool = new EndpointPool([fakeBackend("http://a")], { concurrency: 2 });
  const l = await pool.acquire();
  const m = await pool.acquire();
  l.release(OK);
  l.release(OK);
  assert.equal(pool.inFlight, 1);
  assert.equal(pool.stats()[0]!.requests, 1);
  m.release(OK);
  assert.equal(pool.inFlight, 0);
});

Deno.test("EndpointPool.acquire() rejects when its signal aborts while waiting", async () => {
  const pool = new EndpointPool([fakeBackend("http://a")], { concurrency: 1 });
  const held = await pool.acquire();
  const ctl = new AbortController();
  const p = pool.acquire(ctl.signal);
  ctl.abort(new Error("stopped"));
  await assert.rejects(p, /stopped/);
  held.release(OK);
  assert.equal(pool.inFlight, 0);
});

Deno.test("EndpointPool.acquire() marks a lease warm once the endpoint answered", async () => {
  const pool = new EndpointPool([fakeBackend("http://a")], { concurrency: 1 });
  const first = await pool.acquire();
  assert.equal(first.warm, false);
  first.release(FAIL);
  const second = await pool.acquire();
  assert.equal(second.warm, false, "a failure does not warm it");
  second.release(OK);
  const third = await pool.acquire();
  assert.equal(third.warm, true);
  third.release(OK);
});

Deno.test("EndpointPool with auto concurrency adapts each endpoint's cap", async (t) => {
  await t.step("grows while latency stays flat", async () => {
    const pool = new EndpointPool(
      [fakeBackend("http://a"), fakeBackend("http://b")],
      { concurrency: "auto" },
    );
    assert.equal(pool.limit, 2);
    for (let i = 0; i < 200; i++) {
      const l = await pool.acquire();
      l.release(OK);
    }
    assert.ok(pool.limit > 8, `limit ${pool.limit}`);
    const caps = pool.stats().map((s) => s.limit);
    assert.equal(caps[0]! + caps[1]!, pool.limit);
  });
  await t.step("respects maxAuto", async () => {
    const pool = new EndpointPool([fakeBackend("http://a")], {
      concurrency: "auto",
      maxAuto: 5,
    });
    for (let i = 0; i < 200; i++) {
      const l = await pool.acquire();
      l.release(OK);
    }
    assert.equal(pool.limit, 5);
  });
  await t.step("shrinks on busy and rate-limited replies", async () => {
    const pool = new EndpointPool([fakeBackend("http://a")], {
      concurrency: "auto",
    });
    for (let i = 0; i < 100; i++) {
      const l = await pool.acquire();
      l.release(OK);
    }
    const grown = pool.limit;
    assert.ok(grown >= 8);
    const l = await pool.acquire();
    l.release({ ok: false, latencyMs: 1, errorKind: "busy" });
    assert.equal(pool.limit, Math.floor(grown * 0.75));
    const m = await pool.acquire();
    m.release({ ok: false, latencyMs: 1, errorKind: "rate_limited" });
    assert.equal(pool.limit, Math.floor(Math.floor(grown * 0.75) * 0.75));
  });
  await t.step("a fixed concurrency never changes", async () => {
    const pool = new EndpointPool([fakeBackend("http://a")], {
      concurrency: 3,
    });
    for (let i = 0; i < 50; i++) {
      const l = await pool.acquire();
      l.release(i % 2 ? OK : { ok: false, latencyMs: 1, errorKind: "busy" });
    }
    assert.equal(pool.limit, 3);
  });
});
