import assert from "node:assert/strict";
import {
  extractAnswer,
  type Extraction,
  stripThinking,
} from "../src/protocol/answer.ts";

const ABCD = ["A", "B", "C", "D"];
const A_TO_J = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"];

interface Case {
  name: string;
  content: string;
  doneReason?: string | null;
  letters?: string[];
  choices?: string[];
  want: Extraction;
}

function ok(letter: string, method: Extraction["method"]): Extraction {
  return { letter, method, reason: null };
}

function no(reason: Extraction["reason"]): Extraction {
  return { letter: null, method: null, reason };
}

async function runCases(t: Deno.TestContext, cases: Case[]): Promise<void> {
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = extractAnswer(
        { content: c.content, doneReason: c.doneReason ?? "stop" },
        c.letters ?? ABCD,
        c.choices === undefined ? {} : { choices: c.choices },
      );
      assert.deepEqual(got, c.want);
    });
  }
}

Deno.test("extractAnswer() reads JSON answers", async (t) => {
  await runCases(t, [
    { name: "plain", content: '{"answer":"B"}', want: ok("B", "json") },
    {
      name: "spaces and newline",
      content: '\n{ "answer" : "C" }\n',
      want: ok("C", "json"),
    },
    { name: "lower case", content: '{"answer": "d"}', want: ok("D", "json") },
    {
      name: "letter with option text",
      content: '{"answer": "B. Paris"}',
      want: ok("B", "json"),
    },
    {
      name: "letter in parentheses",
      content: '{"answer": "(A)"}',
      want: ok("A", "json"),
    },
    {
      name: "json code fence",
      content: '```json\n{"answer": "C"}\n```',
      want: ok("C", "json"),
    },
    {
      name: "bare code fence",
      content: '```\n{"answer": "A"}\n```',
      want: ok("A", "json"),
    },
    {
      name: "extra keys",
      content: '{"reasoning": "the answer is A", "answer": "D"}',
      want: ok("D", "json"),
    },
    {
      name: "capitalised key",
      content: '{"Answer": "B"}',
      want: ok("B", "json"),
    },
    {
      name: "field inside prose",
      content: 'Sure! Here it is: {"answer": "B"} Hope that helps.',
      want: ok("B", "json"),
    },
    {
      name: "nested field",
      content: '{"result": {"answer": "C"}}',
      want: ok("C", "json"),
    },
    {
      name: "letter outside the question",
      content: '{"answer": "E"}',
      want: no("letter not allowed"),
    },
    {
      name: "truncated JSON with the field complete",
      content: '{"answer": "B", "why": "becau',
      doneReason: "length",
      want: ok("B", "json"),
    },
    {
      name: "truncated JSON before the value",
      content: '{"answ',
      doneReason: "length",
      want: no("truncated"),
    },
    {
      name: "answer text is not a letter",
      content: '{"answer": "Because of entropy"}',
      want: no("no answer found"),
    },
  ]);
});

Deno.test("extractAnswer() reads 'answer is' statements, last one wins", async (t) => {
  await runCases(t, [
    {
      name: "answer is (X)",
      content: "So the answer is (C).",
      want: ok("C", "answer_is"),
    },
    {
      name: "answer is X",
      content: "The answer is B",
      want: ok("B", "answer_is"),
    },
    {
      name: "answer is: X",
      content: "The answer is: D.",
      want: ok("D", "answer_is"),
    },
    {
      name: "Answer: X",
      content: "Reasoning...\nAnswer: A",
      want: ok("A", "answer_is"),
    },
    { name: "Answer: (X)", content: "Answer: (B)", want: ok("B", "answer_is") },
    {
      name: "Answer: X) text",
      content: "Answer: C) 42",
      want: ok("C", "answer_is"),
    },
    {
      name: "**Answer:** X",
      content: "**Answer:** D",
      want: ok("D", "answer_is"),
    },
    {
      name: "**Answer**: X",
      content: "**Answer**: B",
      want: ok("B", "answer_is"),
    },
    {
      name: "Answer: **X**",
      content: "Answer: **C**",
      want: ok("C", "answer_is"),
    },
    {
      name: "answer on next line",
      content: "Answer:\n\nB",
      want: ok("B", "answer_is"),
    },
    {
      name: "Final answer: X",
      content: "Final answer: A",
      want: ok("A", "answer_is"),
    },
    { name: "ANSWER: X", content: "ANSWER: D", want: ok("D", "answer_is") },
    {
      name: "answer is option X",
      content: "The correct answer is option B.",
      want: ok("B", "answer_is"),
    },
    {
      name: "answer is choice (X)",
      content: "the answer is choice (D)",
      want: ok("D", "answer_is"),
    },
    { name: "Answer: $X$", content: "Answer: $B$", want: ok("B", "answer_is") },
    {
      name: "Answer: $\\boxed{X}$",
      content: "Answer: $\\boxed{C}$",
      want: ok("C", "answer_is"),
    },
    {
      name: "\\boxed{X} alone",
      content: "Therefore $\\boxed{A}$",
      want: ok("A", "answer_is"),
    },
    {
      name: "\\boxed{\\text{X}}",
      content: "\\[\\boxed{\\text{D}}\\]",
      want: ok("D", "answer_is"),
    },
    {
      name: "\\boxed{(X)}",
      content: "\\boxed{(B)}",
      want: ok("B", "answer_is"),
    },
    {
      name: "\\boxed{number} is no letter",
      content: "\\boxed{42}",
      want: no("no answer found"),
    },
    {
      name: "quoted letter",
      content: "Answer: 'C'",
      want: ok("C", "answer_is"),
    },
    {
      name: "not A, then C",
      content: "I think the answer is not A. The answer is C.",
      want: ok("C", "answer_is"),
    },
    {
      name: "several Answer: lines, last wins",
      content: "Answer: A\nWait, let me reconsider.\nAnswer: D",
      want: ok("D", "answer_is"),
    },
    {
      name: "answer is, then Answer:",
      content: "At first the answer is B. Checking again...\nAnswer: C",
      want: ok("C", "answer_is"),
    },
    {
      name: "options discussed before the answer",
      content:
        "Option B is wrong because X. Option A is wrong too. C is tempting.\nAnswer: D",
      want: ok("D", "answer_is"),
    },
    {
      name: "boxed after an earlier Answer:",
      content: "Answer: A? No.\n\nFinal: $\\boxed{B}$",
      want: ok("B", "answer_is"),
    },
    {
      name: "echoed cue is not an answer",
      content:
        "Answer: Let's think step by step. X is true. The answer is (B).",
      want: ok("B", "answer_is"),
    },
    {
      name: "echoed $LETTER format is not an answer",
      content: "I must end with 'Answer: $LETTER'. Answer: A",
      want: ok("A", "answer_is"),
    },
    {
      name: "'the answer is a' is English",
      content: "The answer is a matter of definition. **C**",
      want: ok("C", "bold"),
    },
    {
      name: "lower-case letter at the end of a line counts",
      content: "thinking...\nanswer: b\n",
      want: ok("B", "answer_is"),
    },
    {
      name: "lower-case letter in parentheses counts",
      content: "The answer is (c) because...",
      want: ok("C", "answer_is"),
    },
    {
      name: "Answer: I think is the pronoun",
      content: "Answer: I think it is F.\n**F**",
      letters: A_TO_J,
      want: ok("F", "bold"),
    },
    {
      name: "Answer: I is the letter I",
      content: "Answer: I",
      letters: A_TO_J,
      want: ok("I", "answer_is"),
    },
    {
      name: "Answer: I then an explanation line",
      content: "Answer: I\nExplanation: ...",
      letters: A_TO_J,
      want: ok("I", "answer_is"),
    },
    {
      name: "Answer: I'm",
      content: "Answer: I'm not sure.",
      letters: A_TO_J,
      want: no("no answer found"),
    },
    {
      name: "answers: is not answer:",
      content: "Possible answers: A and B and C",
      want: no("no answer found"),
    },
    {
      name: "a question the model went on to write is ignored",
      content:
        "2+2 is 4. The answer is (B).\n\nQuestion:\nWhat is 3+3?\nOptions:\nA. 6\nB. 7\nAnswer: Let's think step by step. The answer is (A).",
      want: ok("B", "answer_is"),
    },
    {
      name: "a Question: line before any answer changes nothing",
      content: "Restating.\nQuestion: what is asked?\nThe answer is (D).",
      want: ok("D", "answer_is"),
    },
    {
      name: "the answer is (J) in ten options",
      content: "... the answer is (J).",
      letters: A_TO_J,
      want: ok("J", "answer_is"),
    },
  ]);
});

Deno.test("extractAnswer() refuses two letters and letters the question lacks", async (t) => {
  await runCases(t, [
    { name: "A or B", content: "Answer: A or B", want: no("ambiguous") },
    { name: "A/B", content: "The answer is A/B", want: no("ambiguous") },
    { name: "A, C", content: "Answer: A, C", want: no("ambiguous") },
    {
      name: "(A) and (D)",
      content: "answer is (A) and (D)",
      want: no("ambiguous"),
    },
    {
      name: "ambiguous last statement does not fall back to an earlier one",
      content: "Answer: B\nHmm.\nAnswer: A or C",
      want: no("ambiguous"),
    },
    {
      name: "letter then a reason is fine",
      content: "Answer: B, because it is a prime.",
      want: ok("B", "answer_is"),
    },
    {
      name: "letter then other letters discussed",
      content: "The answer is B. A and C are wrong.",
      want: ok("B", "answer_is"),
    },
    {
      name: "E with A-D",
      content: "Answer: E",
      want: no("letter not allowed"),
    },
    {
      name: "E with A-D is not rescued by an earlier statement",
      content: "Answer: B\nActually, Answer: E",
      want: no("letter not allowed"),
    },
    {
      name: "bold E with A-D is skipped",
      content: "**E** is not an option, **B** is",
      want: ok("B", "bold"),
    },
    {
      name: "lone E with A-D",
      content: "E",
      want: no("no answer found"),
    },
  ]);
});

Deno.test("extractAnswer() falls back to bold, lone letter and option text", async (t) => {
  await runCases(t, [
    { name: "bold letter", content: "I pick **B**.", want: ok("B", "bold") },
    {
      name: "bold with parentheses",
      content: "**(C)**",
      want: ok("C", "bold"),
    },
    { name: "bold with a dot", content: "**D.** Paris", want: ok("D", "bold") },
    {
      name: "bold Option X",
      content: "The best is **Option A**",
      want: ok("A", "bold"),
    },
    {
      name: "last bold wins",
      content: "**A** looks right, but **C** is correct",
      want: ok("C", "bold"),
    },
    {
      name: "bold word is not a letter",
      content: "**Answer**",
      want: no("no answer found"),
    },
    { name: "single letter", content: "B", want: ok("B", "lone_letter") },
    {
      name: "single letter with spaces",
      content: "  C \n",
      want: ok("C", "lone_letter"),
    },
    {
      name: "lower-case single letter",
      content: "b",
      want: ok("B", "lone_letter"),
    },
    { name: "B.", content: "B.", want: ok("B", "lone_letter") },
    { name: "(B)", content: "(B)", want: ok("B", "lone_letter") },
    { name: "B)", content: "B)", want: ok("B", "lone_letter") },
    {
      name: "B. option text",
      content: "B. Paris",
      want: ok("B", "lone_letter"),
    },
    {
      name: "B) option text",
      content: "D) 42 meters",
      want: ok("D", "lone_letter"),
    },
    {
      name: "B: explanation",
      content: "A: because it is the largest.",
      want: ok("A", "lone_letter"),
    },
    {
      name: "letter alone on the first line",
      content: "C\n\nThe other options are wrong.",
      want: ok("C", "lone_letter"),
    },
    {
      name: "A cat is no letter",
      content: "A cat sat on the mat.",
      want: no("no answer found"),
    },
    {
      name: "I think is no letter",
      content: "I think so",
      letters: A_TO_J,
      want: no("no answer found"),
    },
    {
      name: "option text",
      content: "Paris",
      choices: ["Rome", "Paris", "Oslo", "Bern"],
      want: ok("B", "option_text"),
    },
    {
      name: "option text, other case and a dot",
      content: "  the  mitochondria. ",
      choices: ["The nucleus", "The mitochondria", "Ribosomes", "Golgi"],
      want: ok("B", "option_text"),
    },
    {
      name: "option text of two equal options",
      content: "None",
      choices: ["None", "Some", "None", "All"],
      want: no("ambiguous"),
    },
    {
      name: "option text needs choices",
      content: "Paris",
      want: no("no answer found"),
    },
    {
      name: "partial option text is no match",
      content: "Paris, France",
      choices: ["Rome", "Paris", "Oslo", "Bern"],
      want: no("no answer found"),
    },
    { name: "empty output", content: "", want: no("no answer found") },
    { name: "whitespace output", content: " \n ", want: no("no answer found") },
  ]);
});

Deno.test("extractAnswer() drops thinking before reading the answer", async (t) => {
  await runCases(t, [
    {
      name: "think block then answer",
      content: "<think>The answer is A... no.</think>\nAnswer: C",
      want: ok("C", "answer_is"),
    },
    {
      name: "answer only inside thinking",
      content: "<think>The answer is A.</think>",
      want: no("no answer found"),
    },
    {
      name: "stray closing tag (opened in the prompt)",
      content: "So the answer is B.\n</think>\n\nD",
      want: ok("D", "lone_letter"),
    },
    {
      name: "thinking tag variant",
      content: "<thinking>**A**</thinking>B",
      want: ok("B", "lone_letter"),
    },
    {
      name: "upper-case tags",
      content: "<THINK>Answer: A</THINK>Answer: B",
      want: ok("B", "answer_is"),
    },
    {
      name: "two think blocks",
      content: "<think>A</think>x<think>B</think> Answer: D",
      want: ok("D", "answer_is"),
    },
    {
      name: "unclosed think cut by the budget",
      content: "<think>Let me weigh the options. Answer: B seems",
      doneReason: "length",
      want: no("truncated_in_thinking"),
    },
    {
      name: "unclosed think that stopped",
      content: "<think>Answer: B",
      doneReason: "stop",
      want: no("no answer found"),
    },
    {
      name: "answer before an unclosed think",
      content: "Answer: C\n<think>more",
      doneReason: "length",
      want: ok("C", "answer_is"),
    },
  ]);
});

Deno.test("extractAnswer() never guesses from truncated output", async (t) => {
  await runCases(t, [
    {
      name: "half a sentence",
      content: "Let's compare. Option B is",
      doneReason: "length",
      want: no("truncated"),
    },
    {
      name: "bold is not used",
      content: "**B** might be right, but",
      doneReason: "length",
      want: no("truncated"),
    },
    {
      name: "lone letter is not used",
      content: "B",
      doneReason: "length",
      want: no("truncated"),
    },
    {
      name: "option text is not used",
      content: "Paris",
      doneReason: "length",
      choices: ["Rome", "Paris", "Oslo", "Bern"],
      want: no("truncated"),
    },
    {
      name: "a strict statement is used",
      content: "Answer: B\n\nExplanation: the reason is that",
      doneReason: "length",
      want: ok("B", "answer_is"),
    },
    {
      name: "empty output",
      content: "",
      doneReason: "length",
      want: no("truncated"),
    },
    {
      name: "stop reason other than length is not truncation",
      content: "B",
      doneReason: null,
      want: ok("B", "lone_letter"),
    },
  ]);
});

Deno.test("extractAnswer() takes linear time on a 1 MB output", () => {
  const letters = ABCD;
  const inputs = [
    "answer ".repeat(150_000) + "Answer: C",
    "**".repeat(500_000) + "**B**",
    "<think>".repeat(100_000) + "x",
    "Answer: " + " ".repeat(1_000_000),
    "\\boxed{".repeat(120_000),
    '{"answer": "' + "a".repeat(1_000_000),
    "a".repeat(1_000_000),
  ];
  const started = performance.now();
  const got = inputs.map((content) =>
    extractAnswer({ content, doneReason: "stop" }, letters, {
      choices: ["w", "x", "y", "z"],
    }).letter
  );
  const elapsed = performance.now() - started;
  assert.deepEqual(got, ["C", "B", null, null, null, null, null]);
  assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);
});

Deno.test("stripThinking() keeps only the text outside reasoning", async (t) => {
  const cases: [string, string, { text: string; unclosed: boolean }][] = [
    ["no tags", "B", { text: "B", unclosed: false }],
    ["block", "a<think>x</think>b", { text: "ab", unclosed: false }],
    ["stray close", "x</think>b", { text: "b", unclosed: false }],
    ["unclosed", "a<think>x", { text: "a", unclosed: true }],
    ["nested open", "<think>x<think>y</think>b", {
      text: "b",
      unclosed: false,
    }],
  ];
  for (const [name, input, want] of cases) {
    await t.step(name, () => assert.deepEqual(stripThinking(input), want));
  }
});

Deno.test("extractAnswer() reads plain statements of a choice as a last resort", async (t) => {
  await runCases(t, [
    {
      name: "B is correct",
      content: "I believe B is correct.",
      want: ok("B", "phrase"),
    },
    {
      name: "the correct option is",
      content: "The correct option is C.",
      want: ok("C", "phrase"),
    },
    {
      name: "best choice",
      content: "The best choice is D",
      want: ok("D", "phrase"),
    },
    { name: "go with", content: "I'd go with A", want: ok("A", "phrase") },
    { name: "option alone", content: "Option B", want: ok("B", "phrase") },
    {
      name: "letter and dash",
      content: "C - because the others are wrong",
      want: ok("C", "phrase"),
    },
    {
      name: "it's at the end",
      content: "Looking at the options, it's D.",
      want: ok("D", "phrase"),
    },
    {
      name: "last statement wins",
      content: "Option A is wrong, B is correct.",
      want: ok("B", "phrase"),
    },
    {
      name: "negated answer, then it is",
      content: "The answer is not A; it is C.",
      want: ok("C", "phrase"),
    },
    {
      name: "a named thing is no option",
      content: "Vitamin C is the correct answer.",
      want: no("no answer found"),
    },
    {
      name: "lower-case a is a word",
      content: "a is the best guess",
      want: no("no answer found"),
    },
    {
      name: "not used on truncated output",
      content: "I believe B is correct, but",
      doneReason: "length",
      want: no("truncated"),
    },
  ]);
});
