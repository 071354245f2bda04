import assert from "node:assert/strict";
import { AttemptTimeouts } from "../src/backend/timeouts.ts";

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("AttemptTimeouts.start() gives a warm attempt the request timeout", async () => {
  const t = new AttemptTimeouts({
    requestTimeoutMs: 30,
    firstRequestTimeoutMs: 5_000,
    adaptive: false,
  });
  let fired: number | null = null;
  t.start("http://a", false, (ms) => (fired = ms));
  await wait(80);
  assert.equal(fired, 30);
});

Deno.test("AttemptTimeouts cuts a cold attempt to the request timeout once its endpoint answers", async () => {
  const t = new AttemptTimeouts({
    requestTimeoutMs: 40,
    firstRequestTimeoutMs: 10_000,
    adaptive: false,
  });
  let fired: number | null = null;
  let other = false;
  const h = t.start("http://a", true, (ms) => (fired = ms));
  t.start("http://b", true, () => (other = true)).clear();
  await wait(10);
  t.success("http://a", 5);
  await wait(80);
  assert.equal(fired, 40, "counted from the attempt's start, not 10 s");
  assert.equal(other, false);
  h.clear();
});

Deno.test("AttemptTimeouts.clear() stops a timer, before or after re-arming", async () => {
  const t = new AttemptTimeouts({
    requestTimeoutMs: 20,
    firstRequestTimeoutMs: 10_000,
    adaptive: false,
  });
  let fired = 0;
  t.start("http://a", false, () => fired++).clear();
  const cold = t.start("http://a", true, () => fired++);
  t.success("http://a", 1);
  cold.clear();
  await wait(60);
  assert.equal(fired, 0);
});

Deno.test("AttemptTimeouts shortens the limit to 10 × recent p95, within its floor and ceiling", () => {
  const t = new AttemptTimeouts({
    requestTimeoutMs: 120_000,
    firstRequestTimeoutMs: 600_000,
    minAdaptiveMs: 10_000,
  });
  for (let i = 0; i < 16; i++) t.success("http://a", 2_000);
  assert.equal(t.limitMs, 120_000, "not before 20 answers");
  for (let i = 0; i < 8; i++) t.success("http://a", 2_000);
  assert.equal(t.limitMs, 20_000);
  for (let i = 0; i < 64; i++) t.success("http://a", 50);
  assert.equal(t.limitMs, 10_000, "never below the floor");
  for (let i = 0; i < 64; i++) t.success("http://a", 60_000);
  assert.equal(t.limitMs, 120_000, "never above --request-timeout");
  const off = new AttemptTimeouts({
    requestTimeoutMs: 120_000,
    firstRequestTimeoutMs: 1,
    adaptive: false,
  });
  for (let i = 0; i < 64; i++) off.success("http://a", 10);
  assert.equal(off.limitMs, 120_000);
});
