import { answerSchema } from "../src/backend/backend.ts";
import assert from "node:assert/strict";
import {
  buildPrompt,
  checkTemplate,
  type FewShotExample,
  formatSubject,
  lettersFor,
  type PromptOptions,
  renderTemplate,
  validatePromptOptions,
} from "../src/protocol/prompt.ts";
import { presetByName, PRESETS } from "../src/protocol/presets.ts";
import { contextFor, estimateTokens } from "../src/protocol/num_ctx.ts";
import type { Question } from "../src/schema.ts";

function question(
  fields: Partial<Question> & Pick<Question, "question" | "choices" | "answer">,
): Question {
  return {
    id: "test/abstract_algebra_test.csv:1",
    index: 0,
    file: "test/abstract_algebra_test.csv",
    line: 1,
    subject: "abstract_algebra",
    ...fields,
  };
}

// The first five rows of mmlu-sample/dev/abstract_algebra_dev.csv and the
// first row of test/abstract_algebra_test.csv, as Python's csv module reads them.
const DEV: Question[] = [
  [
    "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.",
    ["0", "1", "2", "3"],
    "B",
  ],
  [
    "Statement 1 | If aH is an element of a factor group, then |aH| divides |a|. Statement 2 | If H and K are subgroups of G then HK is a subgroup of G.",
    ["True, True", "False, False", "True, False", "False, True"],
    "B",
  ],
  [
    "Statement 1 | Every element of a group generates a cyclic subgroup of the group. Statement 2 | The symmetric group S_10 has 10 elements.",
    ["True, True", "False, False", "True, False", "False, True"],
    "C",
  ],
  [
    "Statement 1| Every function from a finite set onto itself must be one to one. Statement 2 | Every subgroup of an abelian group is abelian.",
    ["True, True", "False, False", "True, False", "False, True"],
    "A",
  ],
  ["Find the characteristic of the ring 2Z.", ["0", "3", "12", "30"], "A"],
].map(([q, choices, answer], i) =>
  question({
    id: `dev/abstract_algebra_dev.csv:${i + 1}`,
    file: "dev/abstract_algebra_dev.csv",
    line: i + 1,
    question: q as string,
    choices: choices as string[],
    answer: answer as string,
  })
);

const TEST_Q = question({
  question:
    "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.",
  choices: ["0", "4", "2", "6"],
  answer: "B",
});

/**
 * Produced by hendrycks/test evaluate.py's own `gen_prompt(dev_df,
 * "abstract_algebra", 5) + format_example(test_df, 0, include_answer=False)`
 * (run with the csv module standing in for pandas) on the files above.
 */
const MMLU_5SHOT_EXPECTED =
  "The following are multiple choice questions (with answers) about  abstract algebra.\n\nFind all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer: B\n\nStatement 1 | If aH is an element of a factor group, then |aH| divides |a|. Statement 2 | If H and K are subgroups of G then HK is a subgroup of G.\nA. True, True\nB. False, False\nC. True, False\nD. False, True\nAnswer: B\n\nStatement 1 | Every element of a group generates a cyclic subgroup of the group. Statement 2 | The symmetric group S_10 has 10 elements.\nA. True, True\nB. False, False\nC. True, False\nD. False, True\nAnswer: C\n\nStatement 1| Every function from a finite set onto itself must be one to one. Statement 2 | Every subgroup of an abelian group is abelian.\nA. True, True\nB. False, False\nC. True, False\nD. False, True\nAnswer: A\n\nFind the characteristic of the ring 2Z.\nA. 0\nB. 3\nC. 12\nD. 30\nAnswer: A\n\nFind the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer:";

const MMLU_0SHOT_EXPECTED =
  "The following are multiple choice questions (with answers) about  abstract algebra.\n\nFind the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer:";

function opts(over: Partial<PromptOptions> = {}): PromptOptions {
  return {
    mode: "answer",
    shots: [],
    fewshotAsChat: false,
    system: null,
    template: null,
    preset: null,
    ...over,
  };
}

Deno.test("buildPrompt() reproduces the original MMLU prompt", async (t) => {
  await t.step("0-shot, answer mode: one user message", () => {
    const built = buildPrompt(TEST_Q, opts());
    assert.deepEqual(built, {
      messages: [{ role: "user", content: MMLU_0SHOT_EXPECTED }],
      rawPrompt: null,
      letters: ["A", "B", "C", "D"],
    });
  });
  await t.step("5-shot, logprobs mode: the raw prompt", () => {
    const built = buildPrompt(TEST_Q, opts({ mode: "logprobs", shots: DEV }));
    assert.equal(built.messages, null);
    assert.equal(built.rawPrompt, MMLU_5SHOT_EXPECTED);
  });
  await t.step("mmlu-5shot preset gives the same prompt", () => {
    const built = buildPrompt(
      TEST_Q,
      opts({ mode: "logprobs", shots: DEV, preset: "mmlu-5shot" }),
    );
    assert.equal(built.rawPrompt, MMLU_5SHOT_EXPECTED);
  });
  await t.step("5-shot, answer mode: the same text as one user message", () => {
    const built = buildPrompt(TEST_Q, opts({ shots: DEV }));
    assert.deepEqual(built.messages, [
      { role: "user", content: MMLU_5SHOT_EXPECTED },
    ]);
  });
  await t.step("question and option text are not trimmed", () => {
    const q = question({
      question: " Which is true?\n",
      choices: ["a ", "b", "c", "d\u00a0"],
      answer: "A",
    });
    const built = buildPrompt(q, opts({ mode: "logprobs" }));
    assert.ok(
      built.rawPrompt?.endsWith(
        "\n\n Which is true?\n\nA. a \nB. b\nC. c\nD. d\u00a0\nAnswer:",
      ),
    );
  });
  await t.step("subject words each get a leading space", () => {
    assert.equal(
      formatSubject("high_school_us_history"),
      " high school us history",
    );
  });
});

Deno.test("buildPrompt() puts few-shot examples in chat turns", () => {
  const built = buildPrompt(
    TEST_Q,
    opts({ shots: DEV.slice(0, 2), fewshotAsChat: true, system: "Be brief." }),
  );
  assert.deepEqual(built.messages, [
    { role: "system", content: "Be brief." },
    {
      role: "user",
      content:
        "The following are multiple choice questions (with answers) about  abstract algebra.\n\nFind all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer:",
    },
    { role: "assistant", content: "B" },
    {
      role: "user",
      content:
        "Statement 1 | If aH is an element of a factor group, then |aH| divides |a|. Statement 2 | If H and K are subgroups of G then HK is a subgroup of G.\nA. True, True\nB. False, False\nC. True, False\nD. False, True\nAnswer:",
    },
    { role: "assistant", content: "B" },
    {
      role: "user",
      content:
        "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer:",
    },
  ]);
  assert.equal(built.rawPrompt, null);
});

Deno.test("buildPrompt() adds the system text", async (t) => {
  await t.step("as a system message in chat modes", () => {
    const built = buildPrompt(TEST_Q, opts({ system: "You are an expert." }));
    assert.deepEqual(built.messages?.[0], {
      role: "system",
      content: "You are an expert.",
    });
    assert.equal(built.messages?.length, 2);
  });
  await t.step("in front of the raw prompt in logprobs mode", () => {
    const built = buildPrompt(
      TEST_Q,
      opts({ mode: "logprobs", system: "You are an expert." }),
    );
    assert.equal(
      built.rawPrompt,
      "You are an expert.\n\n" + MMLU_0SHOT_EXPECTED,
    );
  });
  await t.step("an empty system text is no message", () => {
    const built = buildPrompt(TEST_Q, opts({ system: "" }));
    assert.equal(built.messages?.length, 1);
  });
});

const FIVE = question({
  question: "Which is prime?",
  choices: ["4", "6", "7", "8", "9"],
  answer: "C",
  subject: "college_mathematics",
});

Deno.test("buildPrompt() writes the simple-evals CoT prompt for N options", async (t) => {
  const expected =
    "Answer the following multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCDE. Think step by step before answering.\n\nWhich is prime?\n\nA) 4\nB) 6\nC) 7\nD) 8\nE) 9";
  await t.step("preset", () => {
    const built = buildPrompt(
      FIVE,
      opts({ mode: "cot", preset: "simple-evals-cot" }),
    );
    assert.deepEqual(built.messages, [{ role: "user", content: expected }]);
    assert.deepEqual(built.letters, ["A", "B", "C", "D", "E"]);
  });
  await t.step("cot mode uses it by default", () => {
    const built = buildPrompt(FIVE, opts({ mode: "cot" }));
    assert.deepEqual(built.messages, [{ role: "user", content: expected }]);
  });
  await t.step("examples as chat turns answer 'Answer: X'", () => {
    const built = buildPrompt(
      FIVE,
      opts({ mode: "cot", shots: [DEV[4]!], fewshotAsChat: true }),
    );
    assert.equal(built.messages?.length, 3);
    assert.deepEqual(built.messages?.[1], {
      role: "assistant",
      content: "Answer: A",
    });
    assert.equal(built.messages?.[2]?.content, expected);
  });
});

Deno.test("buildPrompt() writes the MMLU-Pro CoT prompt", async (t) => {
  const ex: FewShotExample = {
    ...question({
      question: "What is 2+2?",
      choices: ["3", "4", "5"],
      answer: "B",
      subject: "math",
    }),
    cot: "A: Let's think step by step. 2+2 is 4. The answer is (B).",
  };
  const q = question({
    question: "What is 3+3?",
    choices: ["6", "7", "N"],
    answer: "A",
    subject: "math",
  });
  const header =
    'The following are multiple choice questions (with answers) about math. Think step by step and then finish your answer with "the answer is (X)" where X is the correct letter choice.\n\n';
  await t.step("single prompt, as generate_cot_prompt builds it", () => {
    const built = buildPrompt(
      q,
      opts({ mode: "cot", preset: "mmlu-pro-cot", shots: [ex] }),
    );
    assert.deepEqual(built.messages, [{
      role: "user",
      content: header +
        "Question:\nWhat is 2+2?\nOptions:\nA. 3\nB. 4\nC. 5\nAnswer: Let's think step by step. 2+2 is 4. The answer is (B).\n\n" +
        "Question:\nWhat is 3+3?\nOptions:\nA. 6\nB. 7\nC. N\nAnswer: Let's think step by step.",
    }]);
  });
  await t.step("chat turns: the reasoning is the assistant turn", () => {
    const built = buildPrompt(
      q,
      opts({
        mode: "cot",
        preset: "mmlu-pro-cot",
        shots: [ex],
        fewshotAsChat: true,
      }),
    );
    assert.deepEqual(built.messages?.map((m) => m.role), [
      "user",
      "assistant",
      "user",
    ]);
    assert.ok(built.messages?.[0]?.content.startsWith(header + "Question:\n"));
    assert.equal(
      built.messages?.[1]?.content,
      "2+2 is 4. The answer is (B).",
    );
  });
  await t.step("an example without reasoning states the answer", () => {
    const built = buildPrompt(
      q,
      opts({
        mode: "cot",
        preset: "mmlu-pro-cot",
        shots: [{ ...ex, cot: null }],
      }),
    );
    assert.ok(
      built.messages?.[0]?.content.includes(
        "Answer: Let's think step by step. The answer is (B).\n\n",
      ),
    );
  });
});

Deno.test("buildPrompt() fills a template", async (t) => {
  const template =
    'Subject: {subject}\n{question}\n{choices}\nReply with one of {letters}. JSON like {"answer": "X"} or {{literal}}.\nAnswer:\n';
  await t.step("placeholders, literal braces, final newline dropped", () => {
    const built = buildPrompt(TEST_Q, opts({ template }));
    assert.deepEqual(built.messages, [{
      role: "user",
      content:
        'Subject: abstract algebra\nFind the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6\nReply with one of A, B, C, D. JSON like {"answer": "X"} or {literal}.\nAnswer:',
    }]);
  });
  await t.step("examples end with ' X' and a blank line", () => {
    const built = buildPrompt(
      TEST_Q,
      opts({
        mode: "logprobs",
        template: "Q: {question}\n{choices}\nAnswer:",
        shots: [DEV[4]!],
      }),
    );
    assert.equal(
      built.rawPrompt,
      "Q: Find the characteristic of the ring 2Z.\nA. 0\nB. 3\nC. 12\nD. 30\nAnswer: A\n\n" +
        "Q: Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer:",
    );
  });
  await t.step("placeholder text inside the question is not expanded", () => {
    const q = question({
      question: "What does {choices} mean?",
      choices: ["x", "y"],
      answer: "A",
    });
    assert.equal(
      renderTemplate("{question}|{choices}", q),
      "What does {choices} mean?|A. x\nB. y",
    );
  });
});

Deno.test("checkTemplate() rejects bad templates with a TypeError", async (t) => {
  const cases: [string, string, RegExp][] = [
    [
      "unknown placeholder",
      "{question}\n{choices}\n{topic}",
      /unknown placeholder "\{topic\}"/,
    ],
    [
      "capitalised placeholder",
      "{Question}\n{choices}",
      /unknown placeholder "\{Question\}"/,
    ],
    ["no question", "{choices}\nAnswer:", /no \{question\} placeholder/],
    ["no choices", "{question}\nAnswer:", /no \{choices\} placeholder/],
  ];
  for (const [name, template, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => checkTemplate(template), (e: unknown) => {
        assert.ok(e instanceof TypeError);
        assert.match(e.message, message);
        return true;
      });
      assert.throws(
        () => buildPrompt(TEST_Q, opts({ template })),
        TypeError,
      );
    });
  }
});

Deno.test("validatePromptOptions() rejects options that do not fit", async (t) => {
  const cases: [string, Partial<PromptOptions>, RegExp][] = [
    [
      "unknown preset",
      { preset: "mmlu-10shot" },
      /unknown preset.*"mmlu-5shot"/,
    ],
    [
      "preset in another mode",
      { mode: "answer", preset: "simple-evals-cot" },
      /runs in "cot" mode, not "answer"/,
    ],
    [
      "template and preset",
      {
        mode: "cot",
        preset: "simple-evals-cot",
        template: "{question}{choices}",
      },
      /drop the template or the preset/,
    ],
    [
      "chat turns in logprobs mode",
      { mode: "logprobs", fewshotAsChat: true },
      /needs a chat mode/,
    ],
    [
      "unknown mode",
      { mode: "guess" as PromptOptions["mode"] },
      /unknown mode "guess"/,
    ],
  ];
  for (const [name, over, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => validatePromptOptions(opts(over)), (e: unknown) => {
        assert.ok(e instanceof TypeError);
        assert.match(e.message, message);
        return true;
      });
    });
  }
});

Deno.test("PRESETS lists each preset with its source, mode and shots", () => {
  assert.deepEqual(
    PRESETS.map((p) => [p.name, p.mode, p.shots, p.format]),
    [
      ["mmlu-5shot", "logprobs", 5, "mmlu"],
      ["simple-evals-cot", "cot", 0, "simple-evals"],
      ["mmlu-pro-cot", "cot", 5, "mmlu-pro"],
    ],
  );
  for (const p of PRESETS) {
    assert.match(p.source, /^https:\/\/github\.com\//);
    assert.ok(p.description.length > 10);
    assert.equal(presetByName(p.name), p);
    // Every preset builds a prompt in its own mode.
    const built = buildPrompt(TEST_Q, opts({ mode: p.mode, preset: p.name }));
    assert.ok(built.messages !== null || built.rawPrompt !== null);
  }
});

Deno.test("lettersFor() names 2 to 10 options", async (t) => {
  await t.step(
    "ten",
    () => assert.equal(lettersFor(10).join(""), "ABCDEFGHIJ"),
  );
  await t.step("two", () => assert.deepEqual(lettersFor(2), ["A", "B"]));
  for (const n of [0, 1, 11, 2.5]) {
    await t.step(
      `rejects ${n}`,
      () => assert.throws(() => lettersFor(n), RangeError),
    );
  }
});

Deno.test("answerSchema() allows exactly the question's letters", () => {
  assert.deepEqual(answerSchema(lettersFor(3)), {
    type: "object",
    properties: { answer: { type: "string", enum: ["A", "B", "C"] } },
    required: ["answer"],
    additionalProperties: false,
  });
});

Deno.test("estimateTokens() over-counts and contextFor() rounds to 2048", async (t) => {
  await t.step("ASCII: a third of the characters", () => {
    assert.equal(estimateTokens(""), 0);
    assert.equal(estimateTokens("abc"), 1);
    assert.equal(estimateTokens("abcd"), 2);
  });
  await t.step("non-ASCII counts UTF-8 bytes", () => {
    assert.equal(estimateTokens("é"), 1); // 2 bytes
    assert.equal(estimateTokens("日本語"), 3); // 9 bytes
    assert.equal(estimateTokens("😀😀😀"), 4); // 12 bytes
  });
  await t.step("floor of 2048", () => {
    assert.equal(contextFor("hi", 1), 2048);
  });
  await t.step("prompt plus output, rounded up", () => {
    // 6000 chars = 2000 tokens, + 2048 output = 4048 -> 4096.
    assert.equal(contextFor("x".repeat(6000), 2048), 4096);
    assert.equal(contextFor("x".repeat(6000), 2097), 6144);
  });
  await t.step("chat messages count their template overhead", () => {
    const built = buildPrompt(TEST_Q, opts({ shots: DEV }));
    const text = built.messages?.[0]?.content ?? "";
    assert.ok(contextFor(built, 0) >= contextFor(text, 0));
    const big = buildPrompt(
      question({
        question: "x".repeat(6100),
        choices: ["a", "b"],
        answer: "A",
      }),
      opts(),
    );
    assert.equal(contextFor(big, 0), 4096);
  });
});
