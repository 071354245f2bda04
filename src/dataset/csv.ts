// Streaming reader for MMLU-style CSV files (question, 2-10 options, answer
// letter; no header): turns each record into a Question or a SkippedRow with
// the physical line it starts on, and whole-file trouble into a FileProblem.

import { Buffer } from "node:buffer";
import { CsvError, parse } from "csv-parse/stream";
import { LETTERS } from "../schema.ts";
import type { DatasetItem, Question, SkippedRow } from "../schema.ts";
import { readErrorMessage } from "./discover.ts";
import type { DatasetFile, FileProblem } from "./discover.ts";
import { FileProblemError, utf8Stream } from "./sniff.ts";
import type { SniffStats } from "./sniff.ts";
import { subjectFromFile } from "./subject.ts";

/** What the dataset readers yield: items in file order, or a whole-file problem that ends the file. */
export type ReadItem = DatasetItem | { kind: "problem"; problem: FileProblem };

/** Options of `readCsvFile`. */
export interface ReadCsvOptions {
  /**
   * Longest record accepted, in characters; a longer one (usually a quote
   * that is never closed) becomes a FileProblem instead of eating memory.
   * @default 16_777_216
   */
  maxRecordChars?: number;
}

/** Bytes of the file start searched for the first record (delimiter guess). */
const PEEK_BYTES = 64 * 1024;
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
 * import { isHeaderRow } from "./csv.ts";
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

/** Fields of the first record of `text` split on `delimiter` (RFC 4180 quotes). */
function firstRecordFields(text: string, delimiter: string): string[] {
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
      break;
    } else field += c;
  }
  fields.push(field);
  return fields;
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
 * import { detectDelimiter } from "./csv.ts";
 * import assert from "node:assert/strict";
 * assert.equal(detectDelimiter('"a; b",c,d,A\n'), ",");
 * assert.equal(detectDelimiter("What is 3,5 + 1?;4,5;5;A\n"), ";");
 * assert.equal(detectDelimiter("q\ta\tb\tC\n"), "\t");
 * ```
 */
export function detectDelimiter(text: string): string {
  for (const delimiter of [",", ";", "\t"]) {
    const fields = firstRecordFields(text, delimiter);
    if (fields.length < 3) continue;
    const last = (fields[fields.length - 1] ?? "").trim();
    const answerLike = last.length === 1 &&
      (isLetter(last) || (last >= "0" && last <= "9"));
    if (answerLike || isHeaderRow(fields)) return delimiter;
  }
  return ",";
}

/** `A-D` for 4 options. */
function letterRange(options: number): string {
  return `A-${LETTERS[Math.max(0, options - 1)] ?? "?"}`;
}

/**
 * Checks one parsed record and returns a Question or the reason it is
 * skipped. `expectedFields` is the field count of the file's first row.
 */
function checkRow(
  fields: string[],
  expectedFields: number,
  firstRowLine: number,
): { question: string; choices: string[]; answer: string } | string {
  const n = fields.length;
  if (n < MIN_FIELDS) {
    return `row has ${n} field${
      n === 1 ? "" : "s"
    }; a row needs a question, 2 to 10 options and an answer letter`;
  }
  if (n > MAX_FIELDS) {
    return `row has ${n} fields; at most 10 options (${MAX_FIELDS} fields) are supported`;
  }
  if (n !== expectedFields) {
    return `row has ${n} fields, expected ${expectedFields} like line ${firstRowLine}`;
  }
  const question = fields[0]!;
  if (question.trim() === "") return "question is empty";
  let last = n - 2;
  while (last >= 1 && fields[last]!.trim() === "") last--;
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

/** A stream that replays already-read chunks, then continues with `reader`. */
function replay<T>(
  head: T[],
  reader: ReadableStreamDefaultReader<T>,
): ReadableStream<T> {
  return new ReadableStream<T>({
    async pull(controller) {
      const next = head.shift();
      if (next !== undefined) {
        controller.enqueue(next);
        return;
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

interface ParsedRecord {
  record: string[];
  info: { lines: number; "empty_lines": number };
}

function csvErrorMessage(
  name: string,
  error: CsvError,
  start: number,
  maxRecordChars: number,
): { message: string; line: number } {
  const at = typeof error.lines === "number" ? error.lines : start;
  switch (error.code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return {
        message:
          `Cannot read "${name}": the record starting on line ${start} has a quote that is never closed`,
        line: start,
      };
    case "CSV_INVALID_CLOSING_QUOTE": {
      const got = /got "(.*)" at line/s.exec(error.message)?.[1] ?? "?";
      return {
        message:
          `Cannot read "${name}": line ${at} has "${got}" right after the closing quote of a field (record starting on line ${start}); inside quotes write a quote as ""`,
        line: at,
      };
    }
    case "INVALID_OPENING_QUOTE":
      return {
        message:
          `Cannot read "${name}": line ${at} has a quote inside an unquoted field; quote the whole field and write the quote as ""`,
        line: at,
      };
    case "CSV_MAX_RECORD_SIZE":
      return {
        message:
          `Cannot read "${name}": the record starting on line ${start} is longer than ${maxRecordChars} characters; is a quote not closed?`,
        line: start,
      };
    default:
      return {
        message: `Cannot read "${name}": line ${at}: ${error.message}`,
        line: at,
      };
  }
}

/**
 * Streams the items of one MMLU CSV file: each data row becomes a Question
 * or a SkippedRow (its `reason` names what is wrong), in file order, as they
 * are parsed — memory does not grow with the file.
 *
 * Accepted: RFC 4180 quoting with line breaks inside quoted fields (kept
 * byte-exact, CR included), CRLF/LF/CR record ends (mixed too), no final
 * newline, a UTF-8 BOM, UTF-16 with a BOM, semicolon- or tab-separated files
 * (see `detectDelimiter`), one optional header row (see `isHeaderRow`; not
 * counted as a row), blank lines (ignored), answers with spaces or in lower
 * case (`" b "` -> `B`), and trailing empty options (dropped). Question and
 * option text is never trimmed.
 *
 * Skipped rows: a field count unlike the first row's, fewer than 2 or more
 * than 10 options, an empty question or option, an answer that is not a
 * letter within the options. Whole-file problems (empty, header only,
 * binary, an image, invalid UTF-8, a quote never closed, unreadable) are
 * yielded as `{ kind: "problem" }` and end the file; rows yielded before
 * stay valid.
 *
 * `firstIndex` is the dataset-wide index of the first row; indices count
 * skipped rows too. Ids are `<relative>:<line>`, the 1-based physical line
 * where the record starts.
 */
export async function* readCsvFile(
  file: DatasetFile,
  firstIndex: number,
  options: ReadCsvOptions = {},
): AsyncGenerator<ReadItem> {
  const name = file.relative;
  const maxRecordChars = options.maxRecordChars ?? 16 * 1024 * 1024;
  const subject = subjectFromFile(name);
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
  const bytes = handle.readable.pipeThrough(utf8Stream(name, stats));
  const reader = bytes.getReader();
  let records: ReadableStream<ParsedRecord> | null = null;
  let index = firstIndex;
  let prevEnd = 0;
  let prevEmpty = 0;
  let sawRecord = false;
  let header = false;
  let expectedFields = 0;
  let firstRowLine = 0;
  try {
    // Peek at the first record to choose the delimiter.
    const head: Buffer[] = [];
    let headLength = 0;
    const decoder = new TextDecoder();
    let headText = "";
    while (headLength < PEEK_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      head.push(value);
      headLength += value.length;
      headText += decoder.decode(value, { stream: true });
      if (/[^\r\n][\r\n]/.test(headText) && !headText.includes('"')) break;
    }
    const delimiter = detectDelimiter(headText);
    records = replay(head, reader).pipeThrough(
      parse({
        delimiter,
        info: true,
        "record_delimiter": ["\r\n", "\n", "\r"],
        "skip_empty_lines": true,
        "relax_quotes": false,
        "relax_column_count": true,
        "max_record_size": maxRecordChars,
      }),
    ) as ReadableStream<ParsedRecord>;

    for await (const { record, info } of records) {
      const start = prevEnd + 1 + (info.empty_lines - prevEmpty);
      prevEnd = info.lines;
      prevEmpty = info.empty_lines;
      // A line of spaces, or a lone "" field, is a blank line too.
      if (record.length === 1 && record[0]!.trim() === "") continue;
      if (!sawRecord) {
        sawRecord = true;
        if (isHeaderRow(record)) {
          header = true;
          expectedFields = record.length;
          firstRowLine = start;
          continue;
        }
        if (record.length === 1) {
          yield problem(
            `Cannot read "${name}": line ${start} has 1 field; llm-bench reads comma-separated rows (question, 2 to 10 options, answer letter)`,
            start,
          );
          return;
        }
      }
      if (expectedFields === 0) {
        expectedFields = record.length;
        firstRowLine = start;
      }
      const id = `${name}:${start}`;
      const checked = checkRow(record, expectedFields, firstRowLine);
      if (typeof checked === "string") {
        const row: SkippedRow = {
          id,
          index: index++,
          file: name,
          line: start,
          subject,
          reason: checked,
        };
        yield { kind: "skipped", row };
      } else {
        const question: Question = {
          id,
          index: index++,
          file: name,
          line: start,
          subject,
          question: checked.question,
          choices: checked.choices,
          answer: checked.answer,
        };
        yield { kind: "question", question };
      }
    }
  } catch (error) {
    if (error instanceof FileProblemError) {
      yield problem(error.message, error.line);
    } else if (error instanceof CsvError) {
      const start = prevEnd + 1 +
        ((typeof error.empty_lines === "number"
          ? error.empty_lines
          : prevEmpty) - prevEmpty);
      const { message, line } = csvErrorMessage(
        name,
        error,
        start,
        maxRecordChars,
      );
      yield problem(message, line);
    } else {
      yield problem(readErrorMessage(name, error), null);
    }
    return;
  } finally {
    // Cancelling closes the file when the consumer stops early; after an
    // error or the end of the stream it is already closed.
    if (records !== null) await records.cancel().catch(() => {});
    else await reader.cancel().catch(() => {});
  }
  if (index === firstIndex) {
    if (stats.bytes === 0) {
      yield problem(`Cannot read "${name}": the file is empty`, null);
    } else if (header) {
      yield problem(
        `Cannot read "${name}": the file has a header row but no questions`,
        null,
      );
    } else {
      yield problem(`Cannot read "${name}": the file has no rows`, null);
    }
  }
}
