import assert from "node:assert/strict";
import type { AskRequest } from "../src/backend/backend.ts";
import { MockBackend, renderAnswer } from "../src/backend/mock.ts";
import { BackendError } from "../src/errors.ts";

const LETTERS = ["A", "B", "C", "D"];

function question(i: number, letters: string[] = LETTERS): AskRequest {
  return {
    questionId: `q${i}`,
    messages: [
      {
        role: "system",
        content: "Answer with the letter of the correct option.",
      },
      {
        role: "user",
        content: `Question ${i}: which option is right?\n${
          letters.map((l) => `${l}. option ${l}${i}`).join("\n")
        }`,
      },
    ],
    rawPrompt: null,
    letters,
    structured: false,
    maxTokens: 256,
    think: null,
    topLogprobs: 0,
    temperature: 0,
    seed: 0,
    topK: 1,
    topP: 1,
    numCtx: null,
  };
}

/** The answer key a run would give: question i's answer is LETTERS[i % 4]. */
function answerKey(questionId: string): string | null {
  const match = /^q(\d+)$/.exec(questionId);
  if (match === null) return null;
  return LETTERS[Number(match[1]) % LETTERS.length] ?? null;
}

const noSleep = () => Promise.resolve();

/** A stand-in for the real extractor: the letter in one of the mock's styles. */
function letterIn(text: string): string | null {
  const patterns = [
    /^\{"answer":"([A-J])"\}$/,
    /^The answer is \(([A-J])\)\.$/,
    /^\*\*([A-J])\*\*$/,
    /^([A-J])$/,
    /\nAnswer: ([A-J])$/,
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    if (match) return match[1] ?? null;
  }
  return null;
}

async function answers(
  backend: MockBackend,
  order: number[],
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  await Promise.all(order.map(async (i) => {
    const reply = await backend.ask(question(i), AbortSignal.timeout(5000));
    out.set(i, reply.content);
  }));
  return out;
}

Deno.test("MockBackend.ask() gives the same answers for the same seed, in any order", async () => {
  const options = { model: "mock", seed: 7, accuracy: 0.6, latencyMs: 0 };
  const ids = Array.from({ length: 200 }, (_, i) => i);
  const forward = await answers(new MockBackend(options, { answerKey }), ids);
  const backward = await answers(
    new MockBackend(options, { answerKey }),
    [...ids].reverse(),
  );
  assert.deepEqual(
    [...backward.entries()].sort((a, b) => a[0] - b[0]),
    [...forward.entries()].sort((a, b) => a[0] - b[0]),
  );
  const other = await answers(
    new MockBackend({ ...options, seed: 8 }, { answerKey }),
    ids,
  );
  const differing = ids.filter((i) => other.get(i) !== forward.get(i));
  assert.ok(differing.length > 50, `only ${differing.length} differ`);
});

Deno.test("MockBackend.ask() is right about as often as configured", async (t) => {
  for (const accuracy of [0, 0.25, 0.7, 1]) {
    await t.step(`accuracy ${accuracy}`, async () => {
      const backend = new MockBackend(
        { model: "mock", seed: 1, accuracy, latencyMs: 0 },
        { answerKey },
      );
      let correct = 0;
      const n = 2000;
      for (let i = 0; i < n; i++) {
        const reply = await backend.ask(question(i), AbortSignal.timeout(5000));
        if (letterIn(reply.content) === answerKey(`q${i}`)) correct++;
      }
      assert.ok(
        Math.abs(correct / n - accuracy) <= 0.03,
        `accuracy ${correct / n}, expected ${accuracy}`,
      );
    });
  }
});

Deno.test("MockBackend.ask() without an answer key answers uniformly over the letters", async () => {
  const backend = new MockBackend({
    model: "mock",
    seed: 3,
    accuracy: 1,
    latencyMs: 0,
  });
  const letters = ["A", "B", "C", "D", "E"];
  const counts = new Map<string, number>();
  for (let i = 0; i < 1000; i++) {
    const reply = await backend.ask(
      question(i, letters),
      AbortSignal.timeout(5000),
    );
    const letter = letterIn(reply.content);
    assert.ok(letter !== null && letters.includes(letter), reply.content);
    counts.set(letter, (counts.get(letter) ?? 0) + 1);
  }
  for (const letter of letters) {
    const share = (counts.get(letter) ?? 0) / 1000;
    assert.ok(Math.abs(share - 0.2) < 0.05, `${letter}: ${share}`);
  }
});

Deno.test("MockBackend.ask() uses every style and every answer is extractable", async () => {
  const backend = new MockBackend(
    { model: "mock", seed: 5, accuracy: 0.5, latencyMs: 0 },
    { answerKey },
  );
  const seen = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const reply = await backend.ask(question(i), AbortSignal.timeout(5000));
    const letter = letterIn(reply.content);
    assert.ok(letter !== null, `not extractable: ${reply.content}`);
    assert.ok(LETTERS.includes(letter));
    assert.equal(reply.doneReason, "stop");
    seen.add(
      reply.content.startsWith("{")
        ? "json"
        : reply.content.startsWith("The answer")
        ? "answer_is"
        : reply.content.startsWith("**")
        ? "bold"
        : reply.content.length === 1
        ? "lone_letter"
        : "cot",
    );
  }
  assert.deepEqual([...seen].sort(), [
    "answer_is",
    "bold",
    "cot",
    "json",
    "lone_letter",
  ]);
});

Deno.test("renderAnswer() cot names a decoy letter before the answer", () => {
  const text = renderAnswer("cot", "B", "D");
  assert.ok(text.indexOf("D") < text.indexOf("Answer: B"));
  assert.match(text, /\nAnswer: B$/);
});

Deno.test("MockBackend.ask() returns JSON when structured and honours styles", async () => {
  const backend = new MockBackend(
    { model: "mock", seed: 2, accuracy: 1, latencyMs: 0, styles: ["bold"] },
    { answerKey },
  );
  const structured = await backend.ask(
    { ...question(1), structured: true },
    AbortSignal.timeout(5000),
  );
  assert.deepEqual(JSON.parse(structured.content), { answer: "B" });
  const plain = await backend.ask(question(2), AbortSignal.timeout(5000));
  assert.equal(plain.content, "**C**");
});

Deno.test("MockBackend.ask() reports plausible token counts and truncates at maxTokens", async () => {
  const backend = new MockBackend(
    { model: "mock", seed: 2, accuracy: 1, latencyMs: 0, styles: ["cot"] },
    { answerKey },
  );
  const full = await backend.ask(question(1), AbortSignal.timeout(5000));
  const promptChars = question(1).messages!.reduce(
    (n, m) => n + m.content.length,
    0,
  );
  // The project's one estimate: UTF-8 bytes / 3 (the text is ASCII).
  assert.ok(
    Math.abs((full.promptTokens ?? 0) - promptChars / 3) < 5,
    String(full.promptTokens),
  );
  assert.equal(full.evalTokens, Math.ceil(full.content.length / 3));
  // 50 tokens per second.
  assert.equal(full.evalDurationNs, (full.evalTokens ?? 0) * 20_000_000);
  const capped = await backend.ask(
    { ...question(1), maxTokens: 5 },
    AbortSignal.timeout(5000),
  );
  assert.equal(capped.doneReason, "length");
  assert.equal(capped.evalTokens, 5);
  assert.equal(capped.content, full.content.slice(0, 15));
});

Deno.test("MockBackend.ask() returns thinking apart when think is true", async () => {
  const backend = new MockBackend(
    { model: "mock", seed: 2, accuracy: 1, latencyMs: 0, styles: ["bold"] },
    { answerKey },
  );
  const reply = await backend.ask(
    { ...question(1), think: true },
    AbortSignal.timeout(5000),
  );
  assert.equal(reply.content, "**B**");
  assert.match(reply.thinking ?? "", /B fits best/);
});

Deno.test("MockBackend.ask() gives top logprobs with the chosen letter first", async () => {
  const backend = new MockBackend(
    { model: "mock", seed: 4, accuracy: 1, latencyMs: 0 },
    { answerKey },
  );
  for (let i = 0; i < 20; i++) {
    const request: AskRequest = {
      ...question(i),
      messages: null,
      rawPrompt: `Question ${i}: ...\nAnswer:`,
      maxTokens: 1,
      topLogprobs: 20,
    };
    const reply = await backend.ask(request, AbortSignal.timeout(5000));
    const expected = LETTERS[i % 4];
    assert.equal(reply.content, expected);
    const top = reply.firstTokenTopLogprobs ?? [];
    assert.equal(top[0]?.token, expected);
    for (const letter of LETTERS) {
      assert.ok(top.some((e) => e.token === letter), `${letter} missing`);
    }
    const mass = top.reduce((n, e) => n + Math.exp(e.logprob), 0);
    assert.ok(mass <= 1 + 1e-9 && mass > 0.99, String(mass));
    for (let k = 1; k < top.length; k++) {
      assert.ok(top[k]!.logprob <= top[k - 1]!.logprob);
    }
  }
  const few = await backend.ask(
    { ...question(0), topLogprobs: 2 },
    AbortSignal.timeout(5000),
  );
  assert.equal(few.firstTokenTopLogprobs?.length, 2);
});

Deno.test("MockBackend.ask() waits the seeded latency through the injected sleep", async () => {
  const waits: number[] = [];
  const backend = new MockBackend(
    { model: "mock", seed: 9, accuracy: 1, latencyMs: 100 },
    {
      answerKey,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    },
  );
  for (let i = 0; i < 50; i++) {
    await backend.ask(question(i), AbortSignal.timeout(5000));
  }
  assert.equal(waits.length, 50);
  assert.ok(waits.every((ms) => ms >= 80 && ms <= 120), String(waits));
  assert.ok(new Set(waits).size > 40, "latency should jitter");
});

Deno.test("MockBackend.ask() honours the abort signal", async (t) => {
  await t.step("run aborted during the wait: interrupted", async () => {
    const backend = new MockBackend({
      model: "mock",
      seed: 1,
      accuracy: 1,
      latencyMs: 60_000,
    });
    const controller = new AbortController();
    const pending = backend.ask(question(1), controller.signal);
    setTimeout(() => controller.abort(), 5);
    await assert.rejects(pending, (err: unknown) => {
      assert.ok(err instanceof BackendError);
      assert.equal(err.kind, "interrupted");
      assert.equal(err.retryable, false);
      return true;
    });
  });
  await t.step("timeout signal: timeout", async () => {
    const backend = new MockBackend({
      model: "mock",
      seed: 1,
      accuracy: 1,
      latencyMs: 60_000,
    });
    await assert.rejects(
      backend.ask(question(1), AbortSignal.timeout(5)),
      (err: unknown) => err instanceof BackendError && err.kind === "timeout",
    );
  });
  await t.step("already aborted: no wait", async () => {
    let slept = false;
    const backend = new MockBackend(
      { model: "mock", seed: 1, accuracy: 1, latencyMs: 10 },
      {
        sleep: () => {
          slept = true;
          return Promise.resolve();
        },
      },
    );
    await assert.rejects(
      backend.ask(question(1), AbortSignal.abort()),
      BackendError,
    );
    assert.equal(slept, false);
  });
});

Deno.test("MockBackend.preflight() reports a mock server", async () => {
  const backend = new MockBackend(
    { model: "mock-7b", seed: 1, accuracy: 0.5, latencyMs: 0 },
    { sleep: noSleep },
  );
  const info = await backend.preflight(AbortSignal.timeout(1000));
  assert.equal(info.name, "mock-7b");
  assert.equal(info.serverVersion, "mock");
  assert.deepEqual(info.capabilities, ["completion"]);
  assert.equal(backend.endpoint, "mock://mock-7b");
});

Deno.test("new MockBackend() rejects an accuracy outside 0..1", () => {
  assert.throws(
    () => new MockBackend({ model: "m", seed: 1, accuracy: 1.5, latencyMs: 0 }),
    RangeError,
  );
});

Deno.test("MockBackend.ask() takes the right letter from the answer key by question id", async () => {
  // Same prompt, different ids: at accuracy 1 each gets its own key's letter.
  const key = new Map([["x1", "C"], ["x2", "A"]]);
  const backend = new MockBackend(
    { model: "mock", seed: 3, accuracy: 1, latencyMs: 0, styles: ["bold"] },
    { answerKey: (id) => key.get(id) ?? null },
  );
  const ask = (questionId: string) =>
    backend.ask({ ...question(1), questionId }, AbortSignal.timeout(5000));
  assert.equal((await ask("x1")).content, "**C**");
  assert.equal((await ask("x2")).content, "**A**");
});
