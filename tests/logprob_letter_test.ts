import assert from "node:assert/strict";
import { letterFromLogprobs } from "../src/protocol/logprob_letter.ts";
import type { TokenLogprob } from "../src/backend/backend.ts";

const ABCD = ["A", "B", "C", "D"];

function top(entries: [string, number][]): TokenLogprob[] {
  return entries.map(([token, p]) => ({ token, logprob: Math.log(p) }));
}

function close(actual: number | undefined, expected: number): void {
  assert.ok(
    actual !== undefined && Math.abs(actual - expected) < 1e-9,
    `${actual} is not ${expected}`,
  );
}

Deno.test("letterFromLogprobs() picks the most probable allowed letter", async (t) => {
  await t.step("leading-space tokens, as after 'Answer:'", () => {
    const s = letterFromLogprobs(
      top([[" C", 0.6], [" A", 0.2], [" B", 0.1], [" D", 0.05]]),
      ABCD,
    );
    assert.equal(s.letter, "C");
    close(s.probs?.C, 0.6 / 0.95);
    close(s.mass, 0.95);
  });
  await t.step("' A' and 'A' add up", () => {
    const s = letterFromLogprobs(
      top([[" B", 0.4], [" A", 0.3], ["A", 0.25], ["\nA", 0.01]]),
      ABCD,
    );
    assert.equal(s.letter, "A");
    close(s.probs?.A, 0.56 / 0.96);
    close(s.probs?.B, 0.4 / 0.96);
  });
  await t.step("a token listed twice counts once", () => {
    const s = letterFromLogprobs(
      top([[" A", 0.3], [" A", 0.3], [" B", 0.4]]),
      ABCD,
    );
    assert.equal(s.letter, "B");
  });
  await t.step("lower case and longer tokens do not count", () => {
    const s = letterFromLogprobs(
      top([[" a", 0.5], [" The", 0.2], ["A.", 0.1], [" Answer", 0.1], [
        " D",
        0.02,
      ]]),
      ABCD,
    );
    assert.equal(s.letter, "D");
    close(s.probs?.D, 1);
  });
  await t.step("letters outside the question do not count", () => {
    const s = letterFromLogprobs(top([[" E", 0.7], [" B", 0.1]]), ABCD);
    assert.equal(s.letter, "B");
    assert.deepEqual(Object.keys(s.probs ?? {}), ABCD);
  });
  await t.step("missing letters get 0 and probabilities sum to 1", () => {
    const s = letterFromLogprobs(top([[" B", 0.3], ["x", 0.6]]), ABCD);
    assert.deepEqual(s.probs, { A: 0, B: 1, C: 0, D: 0 });
    close(s.mass, 0.3);
  });
  await t.step("ten letters", () => {
    const letters = "ABCDEFGHIJ".split("");
    const s = letterFromLogprobs(top([[" J", 0.5], [" I", 0.4]]), letters);
    assert.equal(s.letter, "J");
    assert.equal(Object.keys(s.probs ?? {}).length, 10);
  });
  await t.step("a tie goes to the earlier letter", () => {
    const s = letterFromLogprobs(top([[" C", 0.3], [" B", 0.3]]), ABCD);
    assert.equal(s.letter, "B");
  });
  await t.step("very small probabilities do not underflow", () => {
    const s = letterFromLogprobs(
      [{ token: " B", logprob: -900 }, { token: " C", logprob: -901 }],
      ABCD,
    );
    assert.equal(s.letter, "B");
    close(s.probs?.B, 1 / (1 + Math.exp(-1)));
  });
});

Deno.test("letterFromLogprobs() returns no letter when none is listed", async (t) => {
  const cases: [string, TokenLogprob[]][] = [
    ["empty list", []],
    ["only other tokens", top([[" The", 0.9], [" a", 0.05]])],
    ["NaN logprob", [{ token: " A", logprob: Number.NaN }]],
    ["-Infinity logprob", [{ token: " A", logprob: -Infinity }]],
  ];
  for (const [name, list] of cases) {
    await t.step(name, () => {
      assert.deepEqual(letterFromLogprobs(list, ABCD), {
        letter: null,
        probs: null,
        mass: 0,
      });
    });
  }
});
