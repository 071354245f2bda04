import assert from "node:assert/strict";
import { GradientLimiter } from "../src/backend/limiter.ts";

/** A small seeded generator so the noisy runs are repeatable. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

/**
 * Drives a limiter against a simulated server with `slots` parallel slots
 * and service time `serviceMs`: with C requests in flight (C = the limit,
 * the runner keeps it full) each request takes serviceMs × max(1, C/slots).
 * Each round's requests report the epoch they started under, as the pool
 * does. Returns the limit after each window.
 */
function simulate(
  limiter: GradientLimiter,
  slots: number,
  windows: number,
  noise = 0,
  serviceMs = 100,
): number[] {
  const random = lcg(7);
  const history: number[] = [];
  for (let w = 0; w < windows; w++) {
    const inFlight = limiter.limit;
    const epoch = limiter.epoch;
    const samples = Math.max(4, inFlight);
    for (let i = 0; i < samples; i++) {
      const jitter = 1 + noise * (random() * 2 - 1);
      limiter.onSuccess(
        serviceMs * Math.max(1, inFlight / slots) * jitter,
        epoch,
      );
    }
    history.push(limiter.limit);
  }
  return history;
}

Deno.test("GradientLimiter starts at its initial limit (at least 1)", () => {
  assert.equal(new GradientLimiter().limit, 1);
  assert.equal(new GradientLimiter({ initial: 5 }).limit, 5);
  assert.equal(new GradientLimiter({ initial: 0 }).limit, 1);
});

Deno.test("GradientLimiter.onSuccess() settles at slots + 2", async (t) => {
  for (const slots of [1, 2, 4, 6, 8]) {
    await t.step(`${slots} slot(s)`, () => {
      const history = simulate(new GradientLimiter(), slots, 50);
      // Settled: the last 20 windows all sit at slots + queueAllowance.
      const late = history.slice(-20);
      assert.ok(
        late.every((l) => l === slots + 2),
        `expected ${slots + 2}, history: ${history.join(",")}`,
      );
    });
  }
});

Deno.test("GradientLimiter.onSuccess() keeps the limit bounded over 1000 windows", async (t) => {
  for (const slots of [1, 4, 8, 16, 32]) {
    for (const noise of [0, 0.1]) {
      await t.step(`${slots} slot(s), ±${noise * 100}% noise`, () => {
        const history = simulate(new GradientLimiter(), slots, 1000, noise);
        const max = Math.max(...history);
        assert.ok(
          max <= Math.ceil(slots * 1.2) + 4,
          `limit reached ${max} with ${slots} slots`,
        );
        // The slots stay (nearly) busy once it has settled.
        const late = history.slice(-100);
        assert.ok(
          Math.min(...late) >= Math.floor(slots * (1 - noise)),
          `limit fell to ${Math.min(...late)} with ${slots} slots`,
        );
      });
    }
  }
});

Deno.test("GradientLimiter.onSuccess() grows while latency stays at its floor", () => {
  const limiter = new GradientLimiter();
  // An unbounded server: latency never rises.
  const history = simulate(limiter, Infinity, 20);
  for (let i = 1; i < history.length; i++) {
    assert.ok(history[i]! > history[i - 1]!, `history: ${history.join(",")}`);
  }
});

Deno.test("GradientLimiter.onSuccess() never exceeds max", () => {
  const limiter = new GradientLimiter({ max: 6 });
  const history = simulate(limiter, Infinity, 30);
  assert.equal(Math.max(...history), 6);
  assert.equal(limiter.limit, 6);
});

Deno.test("GradientLimiter.onSuccess() waits for a full window before changing", () => {
  const limiter = new GradientLimiter({ initial: 6 });
  for (let i = 0; i < 5; i++) assert.equal(limiter.onSuccess(100), 6);
  // No queueing seen yet (slow start): twice the allowance per window.
  assert.equal(limiter.onSuccess(100), 10);
});

Deno.test("GradientLimiter slow start ends at the first window that shows queueing", () => {
  const limiter = new GradientLimiter({ initial: 4 });
  for (let i = 0; i < 4; i++) limiter.onSuccess(100);
  assert.equal(limiter.limit, 8);
  // Median twice the floor: halve the gradient, plus the allowance.
  for (let i = 0; i < 8; i++) limiter.onSuccess(200);
  assert.equal(limiter.limit, 6);
  // Back at the floor: from now on +allowance only.
  for (let i = 0; i < 6; i++) limiter.onSuccess(100);
  assert.equal(limiter.limit, 8);
});

Deno.test("GradientLimiter.onFirstAnswer() steps up once, without a latency sample", () => {
  const limiter = new GradientLimiter();
  assert.equal(limiter.onFirstAnswer(), 3);
  assert.equal(limiter.onFirstAnswer(), 3);
  // The model load is not the floor: a normal window still grows the limit.
  for (let i = 0; i < 3; i++) limiter.onSuccess(100);
  assert.equal(limiter.limit, 7);
});

Deno.test("GradientLimiter.onSuccess() ignores requests started under an older limit", () => {
  const limiter = new GradientLimiter({ initial: 2 });
  const old = limiter.epoch;
  limiter.onSuccess(100, old);
  limiter.onSuccess(100, old);
  assert.equal(limiter.limit, 6);
  assert.notEqual(limiter.epoch, old);
  // Slow replies of requests sent while the limit was 2 say nothing about 6.
  for (let i = 0; i < 10; i++) {
    assert.equal(limiter.onSuccess(10_000, old), 6);
  }
  const now = limiter.epoch;
  for (let i = 0; i < 6; i++) limiter.onSuccess(100, now);
  assert.equal(limiter.limit, 10);
});

Deno.test("GradientLimiter.onOverload() shrinks the limit multiplicatively", () => {
  const limiter = new GradientLimiter({ initial: 8 });
  assert.equal(limiter.onOverload(), 6);
  assert.equal(limiter.limit, 6);
  assert.equal(limiter.onOverload(), 4);
  assert.equal(limiter.onOverload(), 3);
  assert.equal(limiter.onOverload(), 2);
  assert.equal(limiter.onOverload(), 1);
  assert.equal(limiter.onOverload(), 1);
});

Deno.test("GradientLimiter.onOverload() discards the partial window", () => {
  const limiter = new GradientLimiter({ initial: 4 });
  // Three slow samples, then an overload: they must not count towards the
  // next window.
  for (let i = 0; i < 3; i++) limiter.onSuccess(10_000);
  assert.equal(limiter.onOverload(), 3);
  for (let i = 0; i < 2; i++) assert.equal(limiter.onSuccess(100), 3);
  // Window of three fast samples (the limit): floor = median, so the limit grows.
  assert.equal(limiter.onSuccess(100), 5);
});
