// CSV records with their start lines: csv-parse driven from a UTF-8 byte
// stream (delimiter guessed from the first record), records parsed before a
// syntax error kept, and csv-parse errors turned into messages with lines.

import { Buffer } from "node:buffer";
import { CsvError, parse } from "csv-parse/stream";
import { FileProblemError } from "./sniff.ts";
import { breaksIn, detectDelimiter, firstRecord } from "./csv_rows.ts";

/** Bytes of the file start searched for the first record (delimiter guess). */
const PEEK_BYTES = 64 * 1024;

interface ParsedRecord {
  record: string[];
  info: { lines: number; "empty_lines": number };
}

/** One CSV record and the 1-based physical line it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
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

/** Start lines of parsed records, from csv-parse's line and empty-line counts. */
class LineCounter {
  prevEnd = 0;
  prevEmpty = 0;
  prevParserLines = 0;

  /** The start line of `parsed`, advancing past it. */
  next(parsed: ParsedRecord): number {
    const { record, info } = parsed;
    const start = this.prevEnd + 1 + (info.empty_lines - this.prevEmpty);
    this.prevEnd = start + breaksIn(record);
    this.prevEmpty = info.empty_lines;
    this.prevParserLines = info.lines;
    return start;
  }

  /** A csv-parse error as a FileProblemError on the right line. */
  problem(name: string, error: CsvError, maxChars: number): FileProblemError {
    const emptyLines = typeof error.empty_lines === "number"
      ? error.empty_lines - this.prevEmpty
      : 0;
    const start = this.prevEnd + 1 + emptyLines;
    // csv-parse's line count is only trusted within the failing record.
    const at = typeof error.lines === "number"
      ? start +
        Math.max(0, error.lines - (this.prevParserLines + 1 + emptyLines))
      : start;
    const { message, line } = csvErrorMessage(name, error, start, at, maxChars);
    return new FileProblemError(message, line);
  }
}

/** Reads the file start until the first record is complete (for the delimiter). */
async function peekHead(
  reader: ReadableStreamDefaultReader<Buffer>,
): Promise<{ head: Buffer[]; text: string; ended: boolean }> {
  const head: Buffer[] = [];
  let length = 0;
  const decoder = new TextDecoder();
  let text = "";
  while (length < PEEK_BYTES) {
    const { done, value } = await reader.read();
    if (done) return { head, text, ended: true };
    head.push(value);
    length += value.length;
    text += decoder.decode(value, { stream: true });
    if (firstRecord(text, ",").complete) break;
  }
  return { head, text, ended: false };
}

/**
 * The records of a UTF-8 byte stream with their start lines. Records parsed
 * before a syntax error are yielded first; the error is then thrown as a
 * FileProblemError.
 */
export async function* csvRecords(
  reader: ReadableStreamDefaultReader<Buffer>,
  name: string,
  delimiter: string | null,
  maxRecordChars: number,
): AsyncGenerator<CsvRecord> {
  // Records are taken from `on_record` rather than from the parser's
  // readable side: when csv-parse fails it discards its queue, and the rows
  // parsed before the error must still be yielded.
  const pending: ParsedRecord[] = [];
  const lines = new LineCounter();
  const { head, text, ended: headEnded } = await peekHead(reader);
  let ended = headEnded;
  const parser = parse({
    delimiter: delimiter ?? detectDelimiter(text),
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
  const writer = parser.writable.getWriter();
  try {
    while (true) {
      let chunk = head.shift();
      if (chunk === undefined && !ended) {
        const next = await reader.read();
        if (next.done) ended = true;
        else chunk = next.value;
      }
      let failure: unknown = null;
      try {
        if (chunk === undefined) await writer.close();
        else await writer.write(chunk);
      } catch (error) {
        // A failed write reports "stream errored"; the parse error itself is
        // the writer's closed reason.
        failure = await writer.closed.then(() => error, (reason) => reason);
      }
      while (pending.length > 0) {
        const parsed = pending.shift()!;
        yield { fields: parsed.record, line: lines.next(parsed) };
      }
      if (failure instanceof CsvError) {
        throw lines.problem(name, failure, maxRecordChars);
      }
      if (failure !== null) throw failure;
      if (chunk === undefined) return;
    }
  } finally {
    await writer.abort().catch(() => {});
  }
}
