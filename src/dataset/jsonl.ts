// Streaming reader for MMLU-Pro style JSON Lines (`question`, `options`,
// `answer` / `answer_index`, `category`): one object per line becomes a
// Question or a SkippedRow; "N/A" padding options are dropped.

import { LETTERS } from "../schema.ts";
import type { Question, SkippedRow } from "../schema.ts";
import type { ReadItem } from "./csv.ts";
import { readErrorMessage } from "./discover.ts";
import type { DatasetFile } from "./discover.ts";
import { FileProblemError, utf8Stream } from "./sniff.ts";
import type { SniffStats } from "./sniff.ts";
import { subjectFromFile } from "./subject.ts";

/** Option text MMLU-Pro uses to pad questions to 10 options. */
const PADDING_OPTION = "N/A";

/** A JSONL row turned into question parts, or the reason it is skipped. */
type Checked =
  | { question: string; choices: string[]; answer: string; subject: string }
  | string;

/**
 * Checks one parsed JSONL object. Exported for tests of the rules.
 *
 * @example
 * ```ts
 * import { checkJsonRow } from "./jsonl.ts";
 * import assert from "node:assert/strict";
 * const row = { question: "2+2?", options: ["3", "N/A", "4"], answer: "C", "answer_index": 2 };
 * assert.deepEqual(checkJsonRow(row, "math"), { question: "2+2?", choices: ["3", "4"], answer: "B", subject: "math" });
 * ```
 */
export function checkJsonRow(value: unknown, fallbackSubject: string): Checked {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "line is not a JSON object";
  }
  const row = value as Record<string, unknown>;
  const question = row.question;
  if (typeof question !== "string" || question.trim() === "") {
    return "question is missing or empty";
  }
  const options = row.options ?? row.choices;
  if (
    !Array.isArray(options) || !options.every((o) => typeof o === "string")
  ) {
    return "options is missing or not a list of strings";
  }
  const all = options as string[];
  if (all.length > LETTERS.length) {
    return `row has ${all.length} options; at most 10 are supported`;
  }
  const allRange = `A-${LETTERS[Math.max(0, all.length - 1)]}`;
  const letter = row.answer;
  const answerIndex = row["answer_index"];
  let position: number;
  if (answerIndex !== undefined && answerIndex !== null) {
    if (
      typeof answerIndex !== "number" || !Number.isInteger(answerIndex) ||
      answerIndex < 0 || answerIndex >= all.length
    ) {
      return `answer_index ${
        JSON.stringify(answerIndex)
      } is not an option index (0-${all.length - 1})`;
    }
    position = answerIndex;
    if (
      typeof letter === "string" &&
      letter.trim().toUpperCase() !== LETTERS[position]
    ) {
      return `answer "${letter}" does not match answer_index ${answerIndex}`;
    }
  } else if (typeof letter === "string") {
    const upper = letter.trim().toUpperCase();
    position = upper.length === 1 ? upper.charCodeAt(0) - 0x41 : -1;
    if (position < 0 || position >= all.length) {
      return `answer "${letter}" is not one of ${allRange}`;
    }
  } else {
    return "answer is missing (no answer letter or answer_index)";
  }
  if (all[position] === PADDING_OPTION) {
    return `answer ${LETTERS[position]} points to an "N/A" padding option`;
  }
  const choices: string[] = [];
  let answer = "";
  for (let i = 0; i < all.length; i++) {
    const option = all[i]!;
    if (option === PADDING_OPTION) continue;
    if (i === position) answer = LETTERS[choices.length]!;
    choices.push(option);
  }
  if (choices.length < 2) {
    return `row has ${choices.length} real option${
      choices.length === 1 ? "" : "s"
    }; a question needs 2 to 10`;
  }
  const category = row.category;
  const subject = typeof category === "string" && category.trim() !== ""
    ? category
    : fallbackSubject;
  return { question, choices, answer, subject };
}

/**
 * Streams the items of one JSON Lines file (MMLU-Pro layout), like
 * `readCsvFile`: each non-blank line is a Question or a SkippedRow (invalid
 * JSON, missing fields, answer out of range or on a padding option); whole
 * file problems (empty, binary, invalid UTF-8, unreadable) end the file.
 * Options that are exactly `"N/A"` are dropped and the answer letter is
 * recomputed from `answer_index` (or `answer`). The subject is the
 * `category` field when present, else taken from the file name. Ids are
 * `<relative>:<line>`.
 */
export async function* readJsonlFile(
  file: DatasetFile,
  firstIndex: number,
): AsyncGenerator<ReadItem> {
  const name = file.relative;
  const fallbackSubject = subjectFromFile(name);
  const problem = (message: string, line: number | null): ReadItem => ({
    kind: "problem",
    problem: { file: name, line, message },
  });
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(file.path, { read: true });
  } catch (cause) {
    yield problem(readErrorMessage(name, cause), null);
    return;
  }
  const stats: SniffStats = { bytes: 0 };
  const text = handle.readable
    .pipeThrough(utf8Stream(name, stats))
    .pipeThrough(new TextDecoderStream());
  let index = firstIndex;
  let lineNumber = 0;
  const handleLine = (line: string): ReadItem | null => {
    lineNumber++;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.trim() === "") return null;
    const id = `${name}:${lineNumber}`;
    let checked: Checked;
    try {
      checked = checkJsonRow(JSON.parse(line), fallbackSubject);
    } catch (error) {
      checked = `invalid JSON: ${
        error instanceof Error ? error.message : String(error)
      }`;
    }
    if (typeof checked === "string") {
      const row: SkippedRow = {
        id,
        index: index++,
        file: name,
        line: lineNumber,
        subject: fallbackSubject,
        reason: checked,
      };
      return { kind: "skipped", row };
    }
    const question: Question = {
      id,
      index: index++,
      file: name,
      line: lineNumber,
      subject: checked.subject,
      question: checked.question,
      choices: checked.choices,
      answer: checked.answer,
    };
    return { kind: "question", question };
  };
  try {
    let rest = "";
    for await (const chunk of text) {
      rest += chunk;
      let from = 0;
      let newline = rest.indexOf("\n");
      while (newline !== -1) {
        const item = handleLine(rest.slice(from, newline));
        if (item !== null) yield item;
        from = newline + 1;
        newline = rest.indexOf("\n", from);
      }
      rest = rest.slice(from);
    }
    if (rest !== "") {
      const item = handleLine(rest);
      if (item !== null) yield item;
    }
  } catch (error) {
    yield error instanceof FileProblemError
      ? problem(error.message, error.line)
      : problem(readErrorMessage(name, error), null);
    return;
  } finally {
    await text.cancel().catch(() => {});
  }
  if (index === firstIndex) {
    yield problem(
      stats.bytes === 0
        ? `Cannot read "${name}": the file is empty`
        : `Cannot read "${name}": the file has no rows`,
      null,
    );
  }
}
