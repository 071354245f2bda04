// The question protocol: what a question becomes on the wire and how a reply
// is scored (statuses a user sees in results.jsonl).

import assert from "node:assert/strict";
import {
  createProtocol,
  defaultMaxTokens,
  scoreReply,
} from "../src/protocol/protocol.ts";
import type { AskResponse } from "../src/backend/backend.ts";
import type { Question } from "../src/schema.ts";

const Q: Question = {
  id: "anatomy_test.csv:3",
  index: 2,
  file: "anatomy_test.csv",
  line: 3,
  subject: "anatomy",
  question: "Which bone is in the arm?",
  choices: ["Femur", "Humerus", "Tibia", "Fibula"],
  answer: "B",
};

function reply(over: Partial<AskResponse>): AskResponse {
  return {
    content: "",
    thinking: null,
    doneReason: "stop",
    promptTokens: null,
    evalTokens: null,
    evalDurationNs: null,
    firstTokenTopLogprobs: null,
    ...over,
  };
}

const base = {
  prompt: { fewshotAsChat: false, system: null, template: null, preset: null },
  shots: 0,
  think: null,
  maxTokens: 64,
  numCtx: 2048,
  temperature: 0,
  seed: 1234,
  shuffleSeed: null,
};

Deno.test("createProtocol() builds answer-mode requests with the letter schema and pinned sampling", async () => {
  const p = await createProtocol(
    { ...base, mode: "answer" },
    () => Promise.resolve([]),
  ).prepare(Q);
  assert.equal(p.request.structured, true);
  assert.deepEqual(p.request.letters, ["A", "B", "C", "D"]);
  assert.equal(p.request.temperature, 0);
  assert.equal(p.request.topK, 1);
  assert.equal(p.request.rawPrompt, null);
  assert.match(
    p.messages![0]!.content,
    /Which bone is in the arm\?\nA\. Femur\nB\. Humerus/,
  );
});

Deno.test("createProtocol() asks for one token with top log-probabilities in logprobs mode", async () => {
  const p = await createProtocol(
    { ...base, mode: "logprobs", maxTokens: 1 },
    () => Promise.resolve([]),
  ).prepare(Q);
  assert.equal(p.request.structured, false);
  assert.equal(p.request.topLogprobs, 20);
  assert.match(p.prompt!, /Answer:$/);
});

Deno.test("createProtocol() asks for few-shot examples only when shots > 0 and shuffles by seed", async () => {
  let asked = 0;
  const examples = () => {
    asked++;
    return Promise.resolve([{
      ...Q,
      id: "dev:1",
      question: "Dev question?",
      answer: "A",
    }]);
  };
  await createProtocol({ ...base, mode: "answer" }, examples).prepare(Q);
  assert.equal(asked, 0);
  const p = await createProtocol({
    ...base,
    mode: "answer",
    shots: 1,
    shuffleSeed: 7,
  }, examples).prepare(Q);
  assert.equal(asked, 1);
  assert.match(p.messages![0]!.content, /Dev question\?/);
  // The shuffled question keeps its answer: the letter of "Humerus".
  assert.equal(
    p.question.choices[p.question.answer.charCodeAt(0) - 65],
    "Humerus",
  );
});

Deno.test("scoreReply() scores correct, wrong and unparsed replies", async (t) => {
  const p = await createProtocol(
    { ...base, mode: "answer" },
    () => Promise.resolve([]),
  ).prepare(Q);
  await t.step("correct", () => {
    const s = scoreReply(p, reply({ content: '{"answer":"B"}' }), "answer");
    assert.deepEqual([s.status, s.predicted, s.method], [
      "correct",
      "B",
      "json",
    ]);
  });
  await t.step("wrong", () => {
    const s = scoreReply(p, reply({ content: "The answer is C" }), "answer");
    assert.deepEqual([s.status, s.predicted, s.method], [
      "wrong",
      "C",
      "answer_is",
    ]);
  });
  await t.step("unparsed, with the reason", () => {
    const s = scoreReply(
      p,
      reply({ content: "Bones are interesting" }),
      "answer",
    );
    assert.deepEqual([s.status, s.predicted, s.reason], [
      "unparsed",
      null,
      "no answer found",
    ]);
  });
  await t.step("budget spent thinking", () => {
    const s = scoreReply(
      p,
      reply({ content: "", thinking: "hmm, Answer: B", doneReason: "length" }),
      "answer",
    );
    assert.deepEqual([s.status, s.reason], [
      "unparsed",
      "truncated_in_thinking",
    ]);
  });
  await t.step("a prompt the server cut is flagged", () => {
    const long = {
      ...p,
      messages: [{ role: "user" as const, content: "x".repeat(12_000) }],
    };
    const s = scoreReply(
      long,
      reply({ content: "B", promptTokens: 100 }),
      "answer",
    );
    assert.equal(s.status, "correct");
    assert.match(s.reason ?? "", /^prompt_truncated/);
  });
});

Deno.test("scoreReply() takes the most probable allowed letter in logprobs mode", async () => {
  const p = await createProtocol(
    { ...base, mode: "logprobs", maxTokens: 1 },
    () => Promise.resolve([]),
  ).prepare(Q);
  const s = scoreReply(
    p,
    reply({
      content: " C",
      firstTokenTopLogprobs: [
        { token: " C", logprob: Math.log(0.4) },
        { token: " B", logprob: Math.log(0.35) },
        { token: "B", logprob: Math.log(0.2) },
      ],
    }),
    "logprobs",
  );
  // " B" and "B" together (0.55) beat " C" (0.4).
  assert.equal(s.predicted, "B");
  assert.equal(s.status, "correct");
  assert.equal(s.method, "logprobs");
  assert.ok(
    s.letterProbs !== null && Math.abs(s.letterProbs.B! - 0.55 / 0.95) < 1e-9,
  );
});

Deno.test("defaultMaxTokens() gives each mode a budget that fits it", () => {
  assert.equal(defaultMaxTokens("logprobs", false), 1);
  assert.equal(defaultMaxTokens("answer", false), 64);
  assert.equal(defaultMaxTokens("cot", false), 2048);
  assert.equal(defaultMaxTokens("cot", true), 4096);
});
