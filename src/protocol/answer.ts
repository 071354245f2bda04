// Model output -> the letter it chose: strips thinking, then tries strict
// rules (JSON, "answer is X") before lenient ones (bold, lone letter, option
// text), and never guesses from output cut off by the token budget.

/** The rule that produced a letter, in the order they are tried. */
export type ExtractionMethod =
  | "json"
  | "answer_is"
  | "bold"
  | "lone_letter"
  | "phrase"
  | "option_text";

/**
 * Why no letter was taken:
 * - `truncated`: the token budget cut the output (`done_reason` "length")
 *   before a JSON answer or an "answer is X" statement;
 * - `truncated_in_thinking`: cut while still inside `<think>`;
 * - `ambiguous`: the final statement names two letters ("Answer: A or B"),
 *   or the output equals the text of two options;
 * - `letter not allowed`: the final statement names a letter the question
 *   does not have ("Answer: E" with options A-D);
 * - `no answer found`: nothing matched.
 */
export type ExtractionReason =
  | "truncated"
  | "truncated_in_thinking"
  | "ambiguous"
  | "letter not allowed"
  | "no answer found";

/** The outcome: `letter` and `method` together, or `reason` alone. */
export interface Extraction {
  letter: string | null;
  method: ExtractionMethod | null;
  reason: ExtractionReason | null;
}

/** The reply as extraction sees it; a separate thinking field is never read. */
export interface ModelOutput {
  /** Answer text, thinking excluded by the server (tags may remain). */
  content: string;
  /** `done_reason` ("stop", "length", ...), or null. */
  doneReason: string | null;
}

/** Options of {@linkcode extractAnswer}. */
export interface ExtractOptions {
  /** The option texts, enabling the `option_text` rule. @default {undefined} */
  choices?: readonly string[];
}

const THINK_TAG_REGEXP = /<(\/?)think(?:ing)?>/gi;

/**
 * Removes reasoning from content: `<think>…</think>` (and `<thinking>`)
 * blocks, everything before a stray `</think>` (templates that open the block
 * in the prompt), and an unclosed `<think>` with everything after it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stripThinking } from "./answer.ts";
 * assert.deepEqual(stripThinking("<think>hm</think>B"), { text: "B", unclosed: false });
 * assert.deepEqual(stripThinking("plan...</think> C"), { text: " C", unclosed: false });
 * assert.deepEqual(stripThinking("A<think>still going"), { text: "A", unclosed: true });
 * ```
 */
export function stripThinking(
  content: string,
): { text: string; unclosed: boolean } {
  let text = "";
  let keptFrom = 0; // start of the current text outside a block
  let openAt = -1; // index of the open tag, when inside a block
  for (const m of content.matchAll(THINK_TAG_REGEXP)) {
    const at = m.index;
    const closing = m[1] === "/";
    if (openAt === -1 && !closing) {
      text += content.slice(keptFrom, at);
      openAt = at;
    } else if (openAt !== -1 && closing) {
      openAt = -1;
      keptFrom = at + m[0].length;
    } else if (openAt === -1 && closing) {
      // Everything so far was reasoning whose opening tag was in the prompt.
      text = "";
      keptFrom = at + m[0].length;
    }
    // A nested open tag inside a block changes nothing.
  }
  if (openAt !== -1) return { text, unclosed: true };
  return { text: text + content.slice(keptFrom), unclosed: false };
}

/** "answer is X", "Answer: X", "**Answer:** (X)", "Answer: $\boxed{X}$", ... */
const ANSWER_IS_REGEXP =
  /\banswer[*_]{0,3}(?:\s{1,3}is\b[*_]{0,3}:?|\s{0,3}:)[ \t\r\n*_:]{0,8}(?:(?:option|choice|letter)\s{1,3})?((?:(?:\$|\\\(|\\boxed\s{0,2}\{|\\text(?:bf)?\s{0,2}\{|[([]|\*\*|["'])\s{0,2}){0,4})([a-z])(?![a-z0-9])/gi;
/** `\boxed{X}`, `\boxed{\text{X}}`, `\boxed{(X)}` anywhere. */
const BOXED_REGEXP =
  /\\boxed\s{0,2}\{\s{0,2}(?:\\text(?:bf)?\s{0,2}\{\s{0,2})?\(?([a-z])(?![a-z0-9])/gi;
/** What may follow a letter to name a second one: "A or B", "A, B", "A/B", "A and B". */
const SECOND_LETTER_REGEXP =
  /^[)\]*$}"']{0,4}[ \t]{0,3}(?:,[ \t]{0,3}(?:or|and)?|\/|&|or|and)[ \t]{0,3}[([]?(?:\*\*)?([A-Z])(?![A-Za-z0-9])/;
/** After a lowercase letter: only closing marks, then the end of the line. */
const LINE_END_REGEXP = /^[ \t.)\]*$}"']{0,6}(?:\r?\n|$)/;
/** A bare "I" followed by a word is the pronoun ("Answer: I think ..."). */
const PRONOUN_REGEXP = /^[ \t]{1,3}[a-z]/;
/** A lone letter in bold: `**B**`, `**(B)**`, `**B.**`, `**Option B**`. */
const BOLD_REGEXP =
  /\*\*\s{0,2}(?:[Oo]ption\s{1,2}|[Cc]hoice\s{1,2})?[([]?([A-Z])[)\]]?[.:]?\s{0,2}\*\*/g;
/** The whole text is one letter: "B", "b", "(B)", "B.", "B)". */
const WHOLE_LETTER_REGEXP = /^[([]?([A-Za-z])[)\]]?[.:)]?$/;
/** Starts with "B. text", "B) text", "(B) text", "B: text", or "B" alone on the first line. */
const LEADING_LETTER_REGEXP =
  /^[([]?([A-Z])(?:(?:[)\]][.:]?|[.:])[ \t]|[)\]]?[.:)]?[ \t]*\r?\n)/;
/** `"answer": "B"` inside text that is not JSON as a whole. */
const JSON_FIELD_REGEXP = /"answer"\s{0,3}:\s{0,3}"([^"\\\n]{0,200})"/gi;

const LETTER_SET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Any letter, to tell "a letter outside the question" from "no letter". */
const ALL_LETTERS = new Set(LETTER_SET);

/**
 * Plain-language statements of a choice, each capturing an upper-case letter:
 * "B is correct", "the correct option is B", "I'd go with C", "Option B"
 * alone, "B - because …", "… it's D." at the end.
 */
const PHRASE_REGEXPS: readonly RegExp[] = [
  /(?<![A-Za-z])\(?([A-Z])\)?\s{1,3}is\s{1,3}(?:the\s{1,3})?(?:correct|right|best)(?![a-z])/g,
  /(?:correct|right|best|final)\s{1,3}(?:option|choice|letter)\s{1,3}(?:is|would be|:)\s{0,3}(?:option\s{1,3}|choice\s{1,3})?\(?([A-Z])\)?(?![A-Za-z0-9])/gi,
  /(?:go(?:ing)?\s{1,3}with|\bi\s{1,3}(?:would\s{1,3})?(?:choose|pick|select)|\bi'd\s{1,3}(?:choose|pick|select))\s{1,3}(?:option\s{1,3}|choice\s{1,3})?\(?([A-Z])\)?(?![A-Za-z0-9])/gi,
  /^(?:option|choice)\s{1,3}\(?([A-Z])\)?[.:)]?\s*(?:$|\n)/gim,
  /^\(?([A-Z])\)?\s{1,3}[-–—]\s/g,
  /\bit(?:'s|\s{1,3}is)\s{1,3}\(?([A-Z])\)?[.!]?\s*$/gi,
];

/** option_text compares at most this many characters of output. */
const OPTION_TEXT_MAX = 2000;

/**
 * Finds the answer letter in a model's output. Thinking is dropped first
 * (see {@linkcode stripThinking}); then, in order, the first rule that
 * applies decides (`method`):
 * 1. `json`: the output is JSON (maybe inside a json code fence) whose `answer` is a
 *    letter ("B", "b", "(B)", "B. text"), or holds a `"answer": "B"` field;
 * 2. `answer_is`: the LAST "answer is (X)", "Answer: X", "**Answer:** X",
 *    "Final answer: X", "answer is option X", "Answer: $B$", `\boxed{X}`
 *    (before a "Question:" line the model wrote after answering, if any).
 *    A bare lowercase letter counts only at the end of a line ("the answer is
 *    a bit" is English) and a bare "I" followed by a word is the pronoun.
 *    "Answer: A or B" is `ambiguous` and a letter outside the question's is
 *    `letter not allowed`: both unparsed, earlier statements are not used;
 * 3. `bold`: the last lone allowed letter in bold, `**B**`;
 * 4. `lone_letter`: the output is one letter ("B", "(B)", "B."), or starts
 *    with "B." / "B)" / "B:" and text, or its first line is a letter alone;
 * 5. `phrase`: the last plain statement of a choice: "B is correct", "the
 *    correct option is B", "I'd go with C", "Option B" on a line of its own,
 *    "B - because …", "… it's D." at the end (upper-case letters only);
 * 6. `option_text`: the output is exactly one option's text (needs `choices`;
 *    case, spacing and a final "." ignored).
 *
 * Output cut by the token budget (`doneReason` "length") only gets rules 1
 * and 2; otherwise it is `truncated`, or `truncated_in_thinking` when the
 * cut came inside an unclosed `<think>`. Only letters in `letters` count.
 * Linear time: a 1 MB output takes milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { extractAnswer } from "./answer.ts";
 * const letters = ["A", "B", "C", "D"];
 * assert.deepEqual(
 *   extractAnswer({ content: "The answer is not A. The answer is (C).", doneReason: "stop" }, letters),
 *   { letter: "C", method: "answer_is", reason: null },
 * );
 * assert.deepEqual(
 *   extractAnswer({ content: "Let me think. Option B looks", doneReason: "length" }, letters),
 *   { letter: null, method: null, reason: "truncated" },
 * );
 * ```
 */
export function extractAnswer(
  out: ModelOutput,
  letters: readonly string[],
  opts: ExtractOptions = {},
): Extraction {
  const { text: stripped, unclosed } = stripThinking(out.content);
  const text = stripped.trim();
  const truncated = out.doneReason === "length";
  const allowed = new Set(letters);

  if (text === "") {
    if (truncated) {
      return fail(unclosed ? "truncated_in_thinking" : "truncated");
    }
    return fail("no answer found");
  }

  const json = fromJson(text, allowed);
  if (json !== null) return json;

  const stated = fromAnswerIs(ownAnswer(text), allowed);
  if (stated !== null) return stated;

  if (truncated) return fail(unclosed ? "truncated_in_thinking" : "truncated");

  const bold = lastAllowed(text, BOLD_REGEXP, allowed);
  if (bold !== null) return found(bold, "bold");

  const lone = leadingLetter(text, allowed);
  if (lone !== null) return found(lone, "lone_letter");

  const phrase = fromPhrase(text, allowed);
  if (phrase !== null) return found(phrase, "phrase");

  if (opts.choices !== undefined) {
    const byText = fromOptionText(text, opts.choices, letters);
    if (byText !== null) return byText;
  }
  return fail("no answer found");
}

function found(letter: string, method: ExtractionMethod): Extraction {
  return { letter, method, reason: null };
}

function fail(reason: ExtractionReason): Extraction {
  return { letter: null, method: null, reason };
}

/** A short answer value: "B", "b", "(B)", "B.", or "B. text" (upper case then). */
function letterOfValue(value: string, allowed: Set<string>): string | null {
  const v = value.trim();
  const m = WHOLE_LETTER_REGEXP.exec(v) ??
    /^[([]?([A-Z])(?:[)\]][.:]?|[.:])\s/.exec(v);
  const letter = m?.[1]?.toUpperCase();
  return letter !== undefined && allowed.has(letter) ? letter : null;
}

function fromJson(text: string, allowed: Set<string>): Extraction | null {
  let body = text;
  if (body.startsWith("```") && body.endsWith("```") && body.length >= 6) {
    const firstBreak = body.indexOf("\n");
    if (firstBreak !== -1) body = body.slice(firstBreak + 1, -3).trim();
  }
  if (body.startsWith("{") && body.endsWith("}")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed === "object" && parsed !== null) {
      for (const [key, value] of Object.entries(parsed)) {
        if (key.toLowerCase() !== "answer" || typeof value !== "string") {
          continue;
        }
        const letter = letterOfValue(value, allowed);
        if (letter !== null) return found(letter, "json");
        if (letterOfValue(value, ALL_LETTERS) !== null) {
          return fail("letter not allowed");
        }
      }
    }
  }
  let last: string | null = null;
  for (const m of text.matchAll(JSON_FIELD_REGEXP)) {
    last = letterOfValue(m[1] ?? "", allowed);
  }
  return last === null ? null : found(last, "json");
}

/** A line that starts a new few-shot question: "Question:". */
const NEXT_QUESTION_REGEXP = /\n[ \t]*Question:/;

/**
 * The text up to a question the model went on to write itself (a base model
 * continuing the few-shot pattern, which MMLU-Pro stops with `stop=["Question:"]`),
 * when an answer statement comes before it; else the whole text.
 */
function ownAnswer(text: string): string {
  const at = text.search(NEXT_QUESTION_REGEXP);
  if (at === -1) return text;
  const before = text.slice(0, at);
  return fromAnswerIs(before, ALL_LETTERS) === null ? text : before;
}

interface Claim {
  at: number;
  letter: string;
  /** Index just after the letter. */
  end: number;
}

function fromAnswerIs(text: string, allowed: Set<string>): Extraction | null {
  let best: Claim | null = null;
  for (const m of text.matchAll(ANSWER_IS_REGEXP)) {
    const raw = m[2] ?? "";
    const wrapped = (m[1] ?? "").trim() !== "";
    const end = m.index + m[0].length;
    const after = text.slice(end, end + 40);
    if (raw !== raw.toUpperCase() && !wrapped && !LINE_END_REGEXP.test(after)) {
      continue; // "the answer is a bit subtle"
    }
    if (!wrapped && raw === "I" && PRONOUN_REGEXP.test(after)) continue;
    if (/^['’][a-z]/i.test(after)) continue; // "Answer: A's", "Answer: I'm"
    best = { at: m.index, letter: raw.toUpperCase(), end };
  }
  for (const m of text.matchAll(BOXED_REGEXP)) {
    if (best === null || m.index > best.at) {
      best = {
        at: m.index,
        letter: (m[1] ?? "").toUpperCase(),
        end: m.index + m[0].length,
      };
    }
  }
  if (best === null) return null;
  if (!allowed.has(best.letter)) return fail("letter not allowed");
  const second = SECOND_LETTER_REGEXP.exec(text.slice(best.end, best.end + 40));
  if (second?.[1] !== undefined && allowed.has(second[1])) {
    return fail("ambiguous");
  }
  return found(best.letter, "answer_is");
}

function lastAllowed(
  text: string,
  regexp: RegExp,
  allowed: Set<string>,
): string | null {
  let last: string | null = null;
  for (const m of text.matchAll(regexp)) {
    const letter = m[1];
    if (letter !== undefined && allowed.has(letter)) last = letter;
  }
  return last;
}

/** Capitalised words that may stand before a letter that is a choice. */
const LEAD_WORDS = new Set([
  "So",
  "Thus",
  "Hence",
  "Therefore",
  "Then",
  "Clearly",
  "Yes",
  "No",
  "Option",
  "Choice",
  "Answer",
  "Letter",
  "I",
]);

/** Whether the match at `at` starts after a capitalised word such as "Vitamin". */
function namesAThing(text: string, at: number): boolean {
  const before = /([A-Za-z]+)[ \t]{1,3}$/.exec(
    text.slice(Math.max(0, at - 40), at),
  );
  const word = before?.[1];
  return word !== undefined && /^[A-Z]/.test(word) && !LEAD_WORDS.has(word);
}

/** The letter of the last plain-language statement (see PHRASE_REGEXPS). */
function fromPhrase(text: string, allowed: Set<string>): string | null {
  let best: { at: number; letter: string } | null = null;
  for (const re of PHRASE_REGEXPS) {
    for (const m of text.matchAll(re)) {
      const letter = m[1];
      // Case-insensitive patterns still need an upper-case letter: "a" and
      // "i" are words.
      if (
        letter === undefined || letter !== letter.toUpperCase() ||
        !allowed.has(letter)
      ) continue;
      // "Vitamin C is the correct answer" names a thing, not option C.
      if (re === PHRASE_REGEXPS[0] && namesAThing(text, m.index ?? 0)) {
        continue;
      }
      const at = (m.index ?? 0) + m[0].length;
      if (best === null || at > best.at) best = { at, letter };
    }
  }
  return best?.letter ?? null;
}

function leadingLetter(text: string, allowed: Set<string>): string | null {
  const m = WHOLE_LETTER_REGEXP.exec(text) ?? LEADING_LETTER_REGEXP.exec(text);
  const letter = m?.[1]?.toUpperCase();
  return letter !== undefined && allowed.has(letter) ? letter : null;
}

function normalizeOption(s: string): string {
  return s.trim().replace(/\s+/g, " ").replace(/\.$/, "").toLowerCase();
}

function fromOptionText(
  text: string,
  choices: readonly string[],
  letters: readonly string[],
): Extraction | null {
  if (text.length > OPTION_TEXT_MAX) return null;
  const wanted = normalizeOption(text);
  if (wanted === "") return null;
  const hits: string[] = [];
  choices.forEach((c, i) => {
    const letter = letters[i];
    if (letter !== undefined && normalizeOption(c) === wanted) {
      hits.push(letter);
    }
  });
  if (hits.length > 1) return fail("ambiguous");
  const [only] = hits;
  return only === undefined ? null : found(only, "option_text");
}
