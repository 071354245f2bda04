// Streaming reader for MMLU-style CSV files (question, 2-10 options, answer
// letter; no header): turns each record into a Question or a SkippedRow with
// the physical line it starts on, and whole-file trouble into a FileProblem.

import { Buffer } from "node:buffer";
import { CsvError, parse } from "csv-parse/stream";
import type { DatasetItem, Question, SkippedRow } from "../schema.ts";
import { readErrorMessage } from "./discover.ts";
import type { DatasetFile, FileProblem } from "./discover.ts";
import { FileProblemError, utf8Stream } from "./sniff.ts";
import type { SniffStats } from "./sniff.ts";
import { subjectFromFile } from "./subject.ts";
import {
  breaksIn,
  checkRow,
  detectDelimiter,
  firstRecord,
  isHeaderRow,
} from "./csv_rows.ts";

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
interface ParsedRecord {
  record: string[];
  info: { lines: number; "empty_lines": number };
}

function csvErrorMessage(
  name: string,
  error: CsvError,
  start: number,
  at: number,
  maxRecordChars: number,
): { message: string; line: number } {
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
  const reader = handle.readable.pipeThrough(utf8Stream(name, stats))
    .getReader();
  // Records are taken from `on_record` rather than from the parser's
  // readable side: when csv-parse fails it discards its queue, and the rows
  // parsed before the error must still be yielded.
  const pending: ParsedRecord[] = [];
  let writer: WritableStreamDefaultWriter<Buffer> | null = null;
  let index = firstIndex;
  let prevEnd = 0;
  let prevEmpty = 0;
  let prevParserLines = 0;
  let sawRecord = false;
  let header = false;
  let expectedFields = 0;
  let firstRowLine = 0;

  // Turns one parsed record into an item, or null for a blank line or header.
  const take = (parsed: ParsedRecord): ReadItem | null => {
    const { record, info } = parsed;
    const start = prevEnd + 1 + (info.empty_lines - prevEmpty);
    prevEnd = start + breaksIn(record);
    prevEmpty = info.empty_lines;
    prevParserLines = info.lines;
    // A line of spaces, or a lone "" field, is a blank line too.
    if (record.length === 1 && record[0]!.trim() === "") return null;
    if (!sawRecord) {
      sawRecord = true;
      if (isHeaderRow(record)) {
        header = true;
        expectedFields = record.length;
        firstRowLine = start;
        return null;
      }
      if (record.length === 1) {
        return problem(
          `Cannot read "${name}": line ${start} has 1 field; llm-bench reads comma-separated rows (question, 2 to 10 options, answer letter)`,
          start,
        );
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
      return { kind: "skipped", row };
    }
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
    return { kind: "question", question };
  };

  try {
    // Peek at the first record to choose the delimiter.
    const head: Buffer[] = [];
    let headLength = 0;
    const decoder = new TextDecoder();
    let headText = "";
    let ended = false;
    while (headLength < PEEK_BYTES) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      head.push(value);
      headLength += value.length;
      headText += decoder.decode(value, { stream: true });
      if (firstRecord(headText, ",").complete) break;
    }
    const parser = parse({
      delimiter: detectDelimiter(headText),
      info: true,
      "record_delimiter": ["\r\n", "\n", "\r"],
      "skip_empty_lines": true,
      "relax_quotes": false,
      "relax_column_count": true,
      "max_record_size": maxRecordChars,
      "on_record": (record) => {
        pending.push(record as unknown as ParsedRecord);
        return null;
      },
    });
    writer = parser.writable.getWriter();
    while (true) {
      let chunk = head.shift();
      if (chunk === undefined && !ended) {
        const next = await reader.read();
        if (next.done) ended = true;
        else chunk = next.value;
      }
      try {
        if (chunk === undefined) await writer.close();
        else await writer.write(chunk);
      } catch (error) {
        // A failed write reports "stream errored"; the parse error itself is
        // the writer's closed reason.
        const failed = writer;
        throw await failed.closed.then(() => error, (reason) => reason);
      }
      while (pending.length > 0) {
        const item = take(pending.shift()!);
        if (item === null) continue;
        yield item;
        if (item.kind === "problem") return;
      }
      if (chunk === undefined) break;
    }
  } catch (error) {
    // Rows parsed before a failure are valid: yield them first.
    while (pending.length > 0) {
      const item = take(pending.shift()!);
      if (item === null) continue;
      yield item;
      if (item.kind === "problem") return;
    }
    if (error instanceof FileProblemError) {
      yield problem(error.message, error.line);
    } else if (error instanceof CsvError) {
      const emptyLines = typeof error.empty_lines === "number"
        ? error.empty_lines - prevEmpty
        : 0;
      const start = prevEnd + 1 + emptyLines;
      // csv-parse's line count is only trusted within the failing record.
      const at = typeof error.lines === "number"
        ? start + Math.max(0, error.lines - (prevParserLines + 1 + emptyLines))
        : start;
      const { message, line } = csvErrorMessage(
        name,
        error,
        start,
        at,
        maxRecordChars,
      );
      yield problem(message, line);
    } else {
      yield problem(readErrorMessage(name, error), null);
    }
    return;
  } finally {
    // Closes the file when the consumer stops early; after the end of the
    // stream or an error this does nothing.
    await reader.cancel().catch(() => {});
    await writer?.abort().catch(() => {});
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
