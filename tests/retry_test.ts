import assert from "node:assert/strict";
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  sleep,
} from "../src/backend/retry.ts";
import { BackendError } from "../src/errors.ts";
import { decideAfterFailure } from "../src/runner/retry_decision.ts";

const POLICY: RetryPolicy = {
  maxRetries: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterSeconds: 60,
};

Deno.test("backoffDelay() stays within full-jitter bounds", async (t) => {
  for (const retry of [1, 2, 3, 4, 5, 6, 7, 8, 10, 20]) {
    await t.step(`retry ${retry}`, () => {
      const ceiling = Math.min(
        POLICY.maxDelayMs,
        POLICY.baseDelayMs * 2 ** (retry - 1),
      );
      assert.equal(backoffDelay(retry, POLICY, null, () => 0), 0);
      const high = backoffDelay(retry, POLICY, null, () => 0.999);
      assert.ok(high >= 0 && high < ceiling, `${high} < ${ceiling}`);
      assert.ok(high >= Math.floor(0.999 * ceiling));
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(retry, POLICY, null);
        assert.ok(d >= 0 && d < ceiling, `${d} in [0, ${ceiling})`);
      }
    });
  }
});

Deno.test("backoffDelay() grows exponentially up to the cap", () => {
  const half = (n: number) => backoffDelay(n, POLICY, null, () => 0.5);
  assert.deepEqual([1, 2, 3, 4].map(half), [250, 500, 1000, 2000]);
  assert.equal(half(10), 15_000);
  assert.equal(half(30), 15_000);
  const capped: RetryPolicy = { ...POLICY, maxDelayMs: 1_200 };
  assert.ok(backoffDelay(8, capped, null, () => 0.999) < 1_200);
});

Deno.test("backoffDelay() honours Retry-After, capped", async (t) => {
  await t.step("within the cap", () => {
    assert.equal(backoffDelay(1, POLICY, 7, () => 0), 7_000);
    assert.equal(backoffDelay(1, POLICY, 0, () => 0.9), 0);
    assert.equal(backoffDelay(1, POLICY, 1.5, () => 0.9), 1_500);
  });
  await t.step("above the cap", () => {
    assert.equal(backoffDelay(1, POLICY, 3600, () => 0), 60_000);
    assert.equal(
      backoffDelay(1, { ...POLICY, maxRetryAfterSeconds: 5 }, 10),
      5_000,
    );
  });
  await t.step("a negative value falls back to backoff", () => {
    assert.equal(backoffDelay(2, POLICY, -1, () => 0.5), 500);
  });
});

Deno.test("DEFAULT_RETRY_POLICY is frozen with the documented values", () => {
  assert.deepEqual({ ...DEFAULT_RETRY_POLICY }, POLICY);
  assert.ok(Object.isFrozen(DEFAULT_RETRY_POLICY));
});

Deno.test("decideAfterFailure() drops, stops, gives up or retries after the backoff", async (t) => {
  const err = (
    kind: BackendError["kind"],
    retryable: boolean,
    retryAfterSeconds: number | null = null,
  ) => new BackendError("x", { kind, retryable, retryAfterSeconds });
  const half = () => 0.5;
  await t.step("interrupted: dropped, resume asks it again", () => {
    assert.deepEqual(decideAfterFailure(err("interrupted", false), 1, POLICY), {
      action: "drop",
    });
  });
  await t.step("model gone: the run stops", () => {
    assert.deepEqual(
      decideAfterFailure(err("model_not_found", false), 1, POLICY),
      { action: "stop_run" },
    );
  });
  await t.step("not retryable (4xx): the question's error at once", () => {
    assert.deepEqual(decideAfterFailure(err("http_4xx", false), 1, POLICY), {
      action: "give_up",
    });
  });
  await t.step("retryable: jittered exponential backoff", () => {
    assert.deepEqual(decideAfterFailure(err("busy", true), 3, POLICY, half), {
      action: "retry",
      waitMs: 1000,
    });
  });
  await t.step("Retry-After is honoured, capped", () => {
    assert.deepEqual(
      decideAfterFailure(err("rate_limited", true, 7), 1, POLICY, half),
      { action: "retry", waitMs: 7000 },
    );
    assert.deepEqual(
      decideAfterFailure(err("rate_limited", true, 600), 1, POLICY, half),
      { action: "retry", waitMs: 60_000 },
    );
  });
  await t.step("retries used up: the question's error", () => {
    assert.equal(
      decideAfterFailure(err("busy", true), POLICY.maxRetries, POLICY).action,
      "retry",
    );
    assert.deepEqual(
      decideAfterFailure(err("busy", true), POLICY.maxRetries + 1, POLICY),
      { action: "give_up" },
    );
  });
});

Deno.test("sleep() resolves early when its signal aborts", async () => {
  const ctl = new AbortController();
  const t0 = performance.now();
  const p = sleep(10_000, ctl.signal);
  setTimeout(() => ctl.abort(), 5);
  await p;
  assert.ok(performance.now() - t0 < 1_000);
});

Deno.test("sleep() resolves at once for 0 ms or an aborted signal", async () => {
  const ctl = new AbortController();
  ctl.abort();
  const t0 = performance.now();
  await sleep(10_000, ctl.signal);
  await sleep(0);
  await sleep(-5);
  assert.ok(performance.now() - t0 < 100);
});

Deno.test("sleep() waits about the given time", async () => {
  const t0 = performance.now();
  await sleep(20);
  assert.ok(performance.now() - t0 >= 15);
});
