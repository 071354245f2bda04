// Question -> prompt: chat messages (answer and cot modes) or one raw prompt
// (logprobs mode), in the wording of MMLU, simple-evals, MMLU-Pro or a user
// template. Pure and deterministic.

import type { ChatMessage, Question } from "../schema.ts";
import { LETTERS } from "../schema.ts";
import { presetByName, type PromptFormatName } from "./presets.ts";

import type { Mode } from "../schema.ts";
export type { Mode };

/** All modes, in help-text order. */
export const MODES: readonly Mode[] = Object.freeze([
  "answer",
  "cot",
  "logprobs",
]);

/** A few-shot example: a dev question, with worked reasoning when the dataset has it. */
export interface FewShotExample extends Question {
  /** MMLU-Pro `cot_content` ("A: Let's think step by step. ... The answer is (X)."). */
  cot?: string | null;
}

/** Options of {@linkcode buildPrompt}. */
export interface PromptOptions {
  /** @default {"answer"} */
  mode: Mode;
  /** Few-shot examples, in order, all used (`--shots K` picks them). @default {[]} */
  shots: readonly FewShotExample[];
  /** Each example as a user turn plus an assistant turn (`--fewshot-as-chat`). @default {false} */
  fewshotAsChat: boolean;
  /** System message (`--system`); in logprobs mode it starts the raw prompt. @default {null} */
  system: string | null;
  /** Template file contents (`--template`), see {@linkcode renderTemplate}. @default {null} */
  template: string | null;
  /** Preset name (`--preset`), see src/presets.ts. @default {null} */
  preset: string | null;
}

/** What to send for one question: `messages` in chat modes, `rawPrompt` in logprobs mode. */
export interface BuiltPrompt {
  messages: ChatMessage[] | null;
  rawPrompt: string | null;
  /** Letters the answer may take, `A` up to the number of options. */
  letters: string[];
}

/**
 * The answer letters for a question with `n` options.
 *
 * @throws {RangeError} unless 2 <= n <= 10.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lettersFor } from "./prompt.ts";
 * assert.equal(lettersFor(4).join(""), "ABCD");
 * ```
 */
export function lettersFor(n: number): string[] {
  if (!Number.isInteger(n) || n < 2 || n > LETTERS.length) {
    throw new RangeError(
      `Cannot name options: ${n} options, expected 2 to ${LETTERS.length}`,
    );
  }
  return LETTERS.slice(0, n);
}

/**
 * The subject as hendrycks/test `format_subject` writes it: every word of the
 * `_`-separated name prefixed with a space, so the MMLU header reads
 * "about  abstract algebra." with two spaces. Kept for a byte-exact prompt.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSubject } from "./prompt.ts";
 * assert.equal(formatSubject("abstract_algebra"), " abstract algebra");
 * ```
 */
export function formatSubject(subject: string): string {
  return subject.split("_").map((word) => " " + word).join("");
}

/**
 * The subject as readable text: `_` become single spaces.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { subjectText } from "./prompt.ts";
 * assert.equal(subjectText("high_school_geography"), "high school geography");
 * ```
 */
export function subjectText(subject: string): string {
  return subject.replaceAll("_", " ").trim();
}

/** A wording: the test question, and each example as prompt + answer continuation. */
interface PromptFormat {
  /** Text said once before the first example (or the question). */
  header(q: Question): string;
  /** The test question, ending where the model continues. */
  question(q: Question): string;
  /** An example: `prompt + answer + "\n\n"` in a single prompt, or a user + assistant turn. */
  example(ex: FewShotExample): { prompt: string; answer: string };
}

function optionLines(q: Question, sep: string): string[] {
  const letters = lettersFor(q.choices.length);
  return q.choices.map((c, i) => `${letters[i]}${sep}${c}`);
}

/**
 * hendrycks/test evaluate.py, verbatim:
 * ```python
 * def format_example(df, idx, include_answer=True):
 *     prompt = df.iloc[idx, 0]
 *     k = df.shape[1] - 2
 *     for j in range(k):
 *         prompt += "\n{}. {}".format(choices[j], df.iloc[idx, j+1])
 *     prompt += "\nAnswer:"
 *     if include_answer:
 *         prompt += " {}\n\n".format(df.iloc[idx, k + 1])
 *     return prompt
 *
 * def gen_prompt(train_df, subject, k=-1):
 *     prompt = "The following are multiple choice questions (with answers) about {}.\n\n".format(format_subject(subject))
 *     ...
 *         prompt += format_example(train_df, i)
 * ```
 * and the prompt sent is `gen_prompt(dev_df, subject, k) + format_example(test_df, i, include_answer=False)`.
 */
const MMLU_FORMAT: PromptFormat = {
  header: (q) =>
    `The following are multiple choice questions (with answers) about ${
      formatSubject(q.subject)
    }.\n\n`,
  question: (q) => mmluBody(q) + "\nAnswer:",
  example: (ex) => ({
    prompt: mmluBody(ex) + "\nAnswer:",
    answer: ` ${ex.answer}`,
  }),
};

function mmluBody(q: Question): string {
  return q.question + optionLines(q, ". ").map((l) => "\n" + l).join("");
}

/**
 * openai/simple-evals common.py `QUERY_TEMPLATE_MULTICHOICE` (zero-shot CoT),
 * with "one of ABCD" and the option lines generalised to N options:
 * ```python
 * QUERY_TEMPLATE_MULTICHOICE = """
 * Answer the following multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think step by step before answering.
 *
 * {Question}
 *
 * A) {A}
 * B) {B}
 * C) {C}
 * D) {D}
 * """.strip()
 * ```
 * The original is zero-shot; examples (if asked for) are answered "Answer: X".
 */
const SIMPLE_EVALS_FORMAT: PromptFormat = {
  header: () => "",
  question: (q) => simpleEvalsQuery(q),
  example: (ex) => ({
    prompt: simpleEvalsQuery(ex),
    answer: `\n\nAnswer: ${ex.answer}`,
  }),
};

function simpleEvalsQuery(q: Question): string {
  const letters = lettersFor(q.choices.length).join("");
  return "Answer the following multiple choice question. The last line of your " +
    "response should be of the following format: 'Answer: $LETTER' (without " +
    `quotes) where LETTER is one of ${letters}. Think step by step before ` +
    `answering.\n\n${q.question}\n\n${optionLines(q, ") ").join("\n")}`;
}

const PRO_COT_CUE = "Answer: Let's think step by step.";
const PRO_COT_DATA_PREFIX = "A: Let's think step by step.";

/**
 * TIGER-AI-Lab/MMLU-Pro evaluate_from_local.py `generate_cot_prompt`:
 * `initial_prompt.txt` with `{$}` replaced by the category, plus "\n"; then per
 * example `format_cot_example`: "Question:\n{q}\nOptions:\n" + "{X}. {opt}\n"
 * per option + `cot_content` with "A: Let's think step by step." replaced by
 * "Answer: Let's think step by step." + "\n\n"; the test question ends with
 * "Answer: Let's think step by step.". The header assumes the text file ends
 * with a newline. An example without `cot` is answered " The answer is (X).".
 */
const MMLU_PRO_FORMAT: PromptFormat = {
  header: (q) =>
    `The following are multiple choice questions (with answers) about ${
      subjectText(q.subject)
    }. Think step by step and then finish your answer with "the answer is (X)" ` +
    "where X is the correct letter choice.\n\n",
  question: (q) => proBody(q) + PRO_COT_CUE,
  example: (ex) => {
    const cot = ex.cot ?? null;
    if (cot === null || cot === "") {
      return {
        prompt: proBody(ex) + PRO_COT_CUE,
        answer: ` The answer is (${ex.answer}).`,
      };
    }
    const replaced = cot.replaceAll(PRO_COT_DATA_PREFIX, PRO_COT_CUE);
    return replaced.startsWith(PRO_COT_CUE)
      ? {
        prompt: proBody(ex) + PRO_COT_CUE,
        answer: replaced.slice(PRO_COT_CUE.length),
      }
      : { prompt: proBody(ex), answer: replaced };
  },
};

function proBody(q: Question): string {
  return `Question:\n${q.question}\nOptions:\n` +
    optionLines(q, ". ").map((l) => l + "\n").join("");
}

const FORMATS: Record<PromptFormatName, PromptFormat> = {
  "mmlu": MMLU_FORMAT,
  "simple-evals": SIMPLE_EVALS_FORMAT,
  "mmlu-pro": MMLU_PRO_FORMAT,
};

/** Placeholders a template may use, with what they become. */
export const TEMPLATE_PLACEHOLDERS: Readonly<Record<string, string>> = Object
  .freeze({
    subject: 'subject with "_" as spaces: "high school geography"',
    question: "question text as in the file",
    choices: 'one line per option: "A. option"',
    letters: 'the allowed letters: "A, B, C, D"',
  });

const PLACEHOLDER_REGEXP = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Fills a template (`--template FILE`). Syntax: `{subject}`, `{question}`,
 * `{choices}`, `{letters}` (see {@linkcode TEMPLATE_PLACEHOLDERS}); `{{` and
 * `}}` are literal braces; other braces (`{"answer": "B"}`, `{ x }`) stay as
 * they are. One final line break (editors add one) is dropped. In a few-shot
 * prompt each example is the filled template followed by " X" and a blank
 * line, so a template should end with "Answer:".
 *
 * @throws {TypeError} on an unknown placeholder, or when `{question}` or `{choices}` is missing.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderTemplate } from "./prompt.ts";
 * const q = { id: "t.csv:1", index: 0, file: "t.csv", line: 1, subject: "world_religions",
 *   question: "2+2?", choices: ["3", "4"], answer: "B" };
 * const text = renderTemplate("{subject}: {question}\n{choices}\nOne of {letters}:\n", q);
 * assert.equal(text, "world religions: 2+2?\nA. 3\nB. 4\nOne of A, B:");
 * ```
 */
export function renderTemplate(template: string, q: Question): string {
  checkTemplate(template);
  const body = template.replace(/\r?\n$/, "");
  return body.replace(PLACEHOLDER_REGEXP, (whole, name: string | undefined) => {
    if (whole === "{{") return "{";
    if (whole === "}}") return "}";
    switch (name) {
      case "subject":
        return subjectText(q.subject);
      case "question":
        return q.question;
      case "choices":
        return optionLines(q, ". ").join("\n");
      case "letters":
        return lettersFor(q.choices.length).join(", ");
      default:
        return whole;
    }
  });
}

/**
 * Checks a template's placeholders without filling it (call it once, early).
 *
 * @throws {TypeError} on an unknown placeholder, or when `{question}` or `{choices}` is missing.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkTemplate } from "./prompt.ts";
 * let message = "";
 * try { checkTemplate("{question} {choices} {topic}"); } catch (e) { message = String(e); }
 * assert.ok(message.includes('"{topic}"'));
 * ```
 */
export function checkTemplate(template: string): void {
  const seen = new Set<string>();
  for (const m of template.matchAll(PLACEHOLDER_REGEXP)) {
    const name = m[1];
    if (name === undefined) continue;
    if (!Object.hasOwn(TEMPLATE_PLACEHOLDERS, name)) {
      const known = Object.keys(TEMPLATE_PLACEHOLDERS).map((k) => `{${k}}`)
        .join(", ");
      throw new TypeError(
        `Cannot use template: unknown placeholder "{${name}}", expected one of ${known} (write {{ and }} for literal braces)`,
      );
    }
    seen.add(name);
  }
  for (const required of ["question", "choices"]) {
    if (!seen.has(required)) {
      throw new TypeError(
        `Cannot use template: it has no {${required}} placeholder`,
      );
    }
  }
}

function templateFormat(template: string): PromptFormat {
  return {
    header: () => "",
    question: (q) => renderTemplate(template, q),
    example: (ex) => ({
      prompt: renderTemplate(template, ex),
      answer: ` ${ex.answer}`,
    }),
  };
}

const DEFAULT_FORMAT: Record<Mode, PromptFormatName> = {
  answer: "mmlu",
  cot: "simple-evals",
  logprobs: "mmlu",
};

/**
 * Checks that the options fit together; {@linkcode buildPrompt} calls it too,
 * but calling it once before a run turns a mistake into a usage error.
 * Wording: the template if given, else the preset's, else `mmlu` for the
 * `answer` and `logprobs` modes and `simple-evals` for `cot`.
 *
 * @throws {TypeError} for an unknown mode or preset, a preset run in another
 * mode, a template together with a preset, `fewshotAsChat` in logprobs mode,
 * or a bad template.
 * @example
 * ```ts
 * import { validatePromptOptions } from "./prompt.ts";
 * const opts = { mode: "cot" as const, shots: [], fewshotAsChat: false, system: null,
 *   template: null, preset: "simple-evals-cot" };
 * validatePromptOptions(opts); // fine
 * ```
 */
export function validatePromptOptions(opts: PromptOptions): void {
  resolveFormat(opts);
}

function resolveFormat(opts: PromptOptions): PromptFormat {
  if (!MODES.includes(opts.mode)) {
    throw new TypeError(
      `Cannot build prompt: unknown mode "${opts.mode}", expected one of ${
        MODES.join(", ")
      }`,
    );
  }
  if (opts.fewshotAsChat && opts.mode === "logprobs") {
    throw new TypeError(
      'Cannot build prompt: few-shot as chat needs a chat mode, not "logprobs" (it sends one raw prompt)',
    );
  }
  if (opts.preset !== null) {
    const preset = presetByName(opts.preset);
    if (opts.template !== null) {
      throw new TypeError(
        `Cannot build prompt: preset "${preset.name}" brings its own wording, drop the template or the preset`,
      );
    }
    if (preset.mode !== opts.mode) {
      throw new TypeError(
        `Cannot build prompt: preset "${preset.name}" runs in "${preset.mode}" mode, not "${opts.mode}"`,
      );
    }
    return FORMATS[preset.format];
  }
  if (opts.template !== null) {
    checkTemplate(opts.template);
    return templateFormat(opts.template);
  }
  return FORMATS[DEFAULT_FORMAT[opts.mode]];
}

/**
 * Builds what to send for one question. A single prompt is
 * `header + (example prompt + answer + "\n\n") per shot + question`, sent as
 * one user message (chat modes) or as the raw prompt (logprobs mode, with the
 * system text, if any, and a blank line in front: raw mode has no system
 * field). With `fewshotAsChat` each example is a user turn and an assistant
 * turn holding the answer, and the header starts the first user turn.
 *
 * @throws {TypeError} when the options do not fit ({@linkcode validatePromptOptions}).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPrompt } from "./prompt.ts";
 * const q = { id: "a.csv:1", index: 0, file: "a.csv", line: 1, subject: "anatomy",
 *   question: "Q?", choices: ["w", "x", "y", "z"], answer: "C" };
 * const built = buildPrompt(q, { mode: "logprobs", shots: [], fewshotAsChat: false,
 *   system: null, template: null, preset: null });
 * assert.equal(
 *   built.rawPrompt,
 *   "The following are multiple choice questions (with answers) about  anatomy.\n\n" +
 *     "Q?\nA. w\nB. x\nC. y\nD. z\nAnswer:",
 * );
 * ```
 */
export function buildPrompt(q: Question, opts: PromptOptions): BuiltPrompt {
  const format = resolveFormat(opts);
  const letters = lettersFor(q.choices.length);
  const system = opts.system !== null && opts.system !== ""
    ? opts.system
    : null;
  const header = format.header(q);

  if (opts.mode === "logprobs" || !opts.fewshotAsChat) {
    let text = header;
    for (const ex of opts.shots) {
      const { prompt, answer } = format.example(ex);
      text += prompt + answer + "\n\n";
    }
    text += format.question(q);
    if (opts.mode === "logprobs") {
      const rawPrompt = system === null ? text : `${system}\n\n${text}`;
      return { messages: null, rawPrompt, letters };
    }
    const messages: ChatMessage[] = [];
    if (system !== null) messages.push({ role: "system", content: system });
    messages.push({ role: "user", content: text });
    return { messages, rawPrompt: null, letters };
  }

  const messages: ChatMessage[] = [];
  if (system !== null) messages.push({ role: "system", content: system });
  let pendingHeader = header;
  for (const ex of opts.shots) {
    const { prompt, answer } = format.example(ex);
    messages.push({ role: "user", content: pendingHeader + prompt });
    messages.push({ role: "assistant", content: answer.trim() });
    pendingHeader = "";
  }
  messages.push({ role: "user", content: pendingHeader + format.question(q) });
  return { messages, rawPrompt: null, letters };
}
