// The row rules of headerless MMLU-style CSV files, as pure functions:
// header and delimiter detection, the checks that turn a record into a
// question or a skip reason, and line-break counting for start lines.

import { LETTERS } from "../schema.ts";
import { letterRange } from "./answer_key.ts";

const MIN_FIELDS = 4;
const MAX_FIELDS = 2 + LETTERS.length;

const QUESTION_COLUMNS = new Set([
  "question",
  "questions",
  "prompt",
  "stem",
  "input",
  "query",
  "text",
  "q",
]);
const ANSWER_COLUMNS = new Set([
  "answer",
  "answers",
  "label",
  "target",
  "correct",
  "correct_answer",
  "answer_key",
  "key",
  "gold",
  "solution",
  "output",
]);

function columnName(field: string): string {
  return field.trim().toLowerCase().replace(/[\s-]+/g, "_");
}

function isLetter(text: string): boolean {
  if (text.length !== 1) return false;
  const c = text.charCodeAt(0) | 0x20;
  return c >= 0x61 && c <= 0x7a;
}

/**
 * Whether a first record is a header (`question,A,B,C,D,answer`) rather than
 * a question: its last field is not a single letter and its first or last
 * field is a usual column name. Unknown headers are not guessed at: they
 * become a skipped row, which is visible, instead of a silently dropped one.
 *
 * @example
 * ```ts
 * import { isHeaderRow } from "./csv_rows.ts";
 * import assert from "node:assert/strict";
 * assert.ok(isHeaderRow(["question", "A", "B", "C", "D", "answer"]));
 * assert.ok(isHeaderRow(["Question", "Option A", "Option B", "Correct Answer"]));
 * assert.ok(!isHeaderRow(["What is 2+2?", "3", "4", "5", "6", "B"]));
 * ```
 */
export function isHeaderRow(fields: readonly string[]): boolean {
  const first = fields[0];
  const last = fields[fields.length - 1];
  if (first === undefined || last === undefined || fields.length < 2) {
    return false;
  }
  if (isLetter(last.trim())) return false;
  return QUESTION_COLUMNS.has(columnName(first)) ||
    ANSWER_COLUMNS.has(columnName(last));
}

/**
 * Whether a first record is a header of columns (short distinct names, one of
 * them a question column, no answer letter last) rather than a question row:
 * such a file in no known shape is named, not read as MMLU rows.
 */
export function isColumnHeader(fields: readonly string[]): boolean {
  if (fields.length < 2 || isLetter((fields[fields.length - 1] ?? "").trim())) {
    return false;
  }
  const names = fields.map(columnName);
  return new Set(names).size === names.length &&
    fields.every((f) =>
      f.trim() !== "" && f.length <= 64 && !/[\r\n]/.test(f)
    ) &&
    names.some((n) => QUESTION_COLUMNS.has(n));
}

/**
 * Fields of the first record of `text` split on `delimiter` (RFC 4180
 * quotes); `complete` tells whether the record's end was seen.
 */
export function firstRecord(
  text: string,
  delimiter: string,
): { fields: string[]; complete: boolean } {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += c;
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === "") {
      quoted = true;
    } else if (c === delimiter) {
      fields.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (fields.length === 0 && field === "") continue;
      fields.push(field);
      return { fields, complete: true };
    } else field += c;
  }
  fields.push(field);
  return { fields, complete: false };
}

/**
 * The field delimiter of a CSV file, judged from its first record: a comma
 * unless the record is not a plausible row with commas (at least 3 fields
 * ending in a single letter or digit, or a header) but is one with semicolons
 * (European spreadsheet exports) or tabs. Later rows do not change the guess;
 * a wrong one shows as skipped rows, never as silently wrong questions.
 *
 * @example
 * ```ts
 * import { detectDelimiter } from "./csv_rows.ts";
 * import assert from "node:assert/strict";
 * assert.equal(detectDelimiter('"a; b",c,d,A\n'), ",");
 * assert.equal(detectDelimiter("What is 3,5 + 1?;4,5;5;A\n"), ";");
 * assert.equal(detectDelimiter("q\ta\tb\tC\n"), "\t");
 * ```
 */
export function detectDelimiter(text: string): string {
  for (const delimiter of [",", ";", "\t"]) {
    const { fields } = firstRecord(text, delimiter);
    if (fields.length < 3) continue;
    const last = (fields[fields.length - 1] ?? "").trim();
    const answerLike = last.length === 1 &&
      (isLetter(last) || (last >= "0" && last <= "9"));
    if (answerLike || isHeaderRow(fields)) return delimiter;
  }
  return ",";
}

/**
 * Checks one headerless record and returns the question parts or the reason
 * it is skipped. Each row is judged alone: its last field is the answer
 * letter, the fields between question and answer its options (trailing
 * empty ones dropped), so rows with 3 and 5 options can share a file.
 *
 * @example
 * ```ts
 * import { checkRow } from "./csv_rows.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(checkRow(["Q?", "x", "y", "z", "C"]), { question: "Q?", choices: ["x", "y", "z"], answer: "C" });
 * assert.deepEqual(checkRow(["Q?", "x", "y", "", "B"]), { question: "Q?", choices: ["x", "y"], answer: "B" });
 * ```
 */
export function checkRow(
  fields: string[],
): { question: string; choices: string[]; answer: string } | string {
  const n = fields.length;
  if (n < MIN_FIELDS) {
    return `row has ${n} field${
      n === 1 ? "" : "s"
    }; a row needs a question, 2 to 10 options and an answer letter`;
  }
  const question = fields[0]!;
  let last = n - 2;
  while (last >= 1 && fields[last]!.trim() === "") last--;
  if (last > LETTERS.length) {
    return `row has ${n} fields; at most 10 options (${MAX_FIELDS} fields) are supported`;
  }
  if (question.trim() === "") return "question is empty";
  const choices = fields.slice(1, last + 1);
  const rawAnswer = fields[n - 1]!.trim();
  if (choices.length < 2) {
    return `row has ${choices.length} non-empty option${
      choices.length === 1 ? "" : "s"
    }; a question needs 2 to 10`;
  }
  for (let i = 0; i < choices.length; i++) {
    if (choices[i]!.trim() === "") return `option ${LETTERS[i]} is empty`;
  }
  const range = letterRange(choices.length);
  if (rawAnswer === "") return `answer is empty; expected one of ${range}`;
  if (!isLetter(rawAnswer)) {
    const isNumber = rawAnswer.length < 4 &&
      [...rawAnswer].every((c) => c >= "0" && c <= "9");
    return isNumber
      ? `answer "${rawAnswer}" is a number; expected a letter, one of ${range}`
      : `answer "${rawAnswer}" is not a letter; expected one of ${range}`;
  }
  const answer = rawAnswer.toUpperCase();
  const position = answer.charCodeAt(0) - 0x41;
  if (position >= choices.length) {
    return `answer "${rawAnswer}" is not one of ${range}`;
  }
  return { question, choices, answer };
}

/**
 * Line breaks inside a record's fields (LF, CRLF or a lone CR each count
 * once). csv-parse's own `info.lines` counts a CRLF inside quotes twice.
 */
export function breaksIn(record: readonly string[]): number {
  let breaks = 0;
  for (const field of record) {
    let at = field.indexOf("\n");
    while (at !== -1) {
      breaks++;
      at = field.indexOf("\n", at + 1);
    }
    at = field.indexOf("\r");
    while (at !== -1) {
      if (field.charCodeAt(at + 1) !== 10) breaks++;
      at = field.indexOf("\r", at + 1);
    }
  }
  return breaks;
}
