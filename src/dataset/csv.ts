// Streaming reader for CSV/TSV files: MMLU rows without a header (question,
// 2-10 options, answer letter; judged row by row), or rows under a header
// whose columns name the parts (mapped by `shapes.ts` like JSON records).

import { Buffer } from "node:buffer";
import { CsvError, parse } from "csv-parse/stream";
import type { Question, SkippedRow } from "../schema.ts";
import { readErrorMessage } from "./discover.ts";
import type { DatasetFile } from "./discover.ts";
import { normalizeKey } from "./fields.ts";
import {
  type FileInfo,
  type ReaderOptions,
  type ReadItem,
  RecordMapper,
} from "./records.ts";
import { detectShape } from "./shapes.ts";
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

export type { ReadItem } from "./records.ts";

/** Options of `readCsvFile`. */
export interface ReadCsvOptions extends ReaderOptions {
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

/** One CSV record and the 1-based physical line it starts on. */
interface CsvRecord {
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
async function* csvRecords(
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

/** Whether a first record is a header the shapes understand (MMMLU, GPQA ...). */
function shapeHeader(fields: readonly string[]): boolean {
  const last = (fields[fields.length - 1] ?? "").trim();
  const lastIsLetter = last.length === 1 && /[A-Ja-j]/.test(last);
  // A headerless MMLU row ends in an answer letter; a header ending in a
  // letter column (`question,answer,A,B,C,D`) names its answer column.
  if (
    lastIsLetter &&
    !fields.some((f) => ["answer", "label", "target"].includes(normalizeKey(f)))
  ) {
    return false;
  }
  return true;
}

/**
 * Turns CSV records into items: the first record decides between a header
 * (mapped by column names) and headerless MMLU rows (judged one by one).
 */
class CsvRows {
  /** The next item's dataset-wide index. */
  index: number;
  /** A header row was seen. */
  header = false;
  readonly #name: string;
  readonly #subject: string;
  readonly #options: ReaderOptions;
  #sawRecord = false;
  #columns: string[] | null = null;
  #mapper: RecordMapper | null = null;

  constructor(name: string, firstIndex: number, options: ReaderOptions) {
    this.#name = name;
    this.#subject = subjectFromFile(name);
    this.index = firstIndex;
    this.#options = options;
  }

  /** The items for one record: none for a blank line or a header. */
  take(record: CsvRecord): ReadItem[] {
    const item = this.#take(record);
    return item === null ? [] : Array.isArray(item) ? item : [item];
  }

  /** Items still held by the header mapper at the end of the file. */
  finish(): ReadItem[] {
    if (this.#mapper === null) return [];
    const items = this.#mapper.finish();
    this.index = this.#mapper.index;
    return items;
  }

  #take({ fields, line }: CsvRecord): ReadItem | ReadItem[] | null {
    // A line of spaces, or a lone "" field, is a blank line too.
    if (fields.length === 1 && fields[0]!.trim() === "") return null;
    if (!this.#sawRecord) {
      this.#sawRecord = true;
      const first = this.#first(fields, line);
      if (first !== "row") return first;
    }
    if (this.#mapper !== null) return this.#mapped(fields, line);
    const id = `${this.#name}:${line}`;
    const checked = checkRow(fields);
    if (typeof checked === "string") {
      const row: SkippedRow = {
        id,
        index: this.index++,
        file: this.#name,
        line,
        subject: this.#subject,
        reason: checked,
      };
      return { kind: "skipped", row };
    }
    const question: Question = {
      id,
      index: this.index++,
      file: this.#name,
      line,
      subject: this.#subject,
      ...checked,
    };
    return { kind: "question", question };
  }

  #first(fields: string[], line: number): ReadItem | null | "row" {
    const info: FileInfo | undefined = this.#options.info;
    const sample = Object.fromEntries(fields.map((f) => [f, ""]));
    const fieldMap = this.#options.fields ?? null;
    const shape =
      fields.length > 1 && (fieldMap !== null || shapeHeader(fields))
        ? detectShape(sample, fieldMap)
        : null;
    if (shape !== null) {
      this.header = true;
      this.#columns = fields;
      this.#mapper = new RecordMapper(this.#name, this.#subject, this.index, {
        ...this.#options,
        shape,
      });
      return null;
    }
    if (info) info.shape = "mmlu-csv";
    if (isHeaderRow(fields)) {
      this.header = true;
      return null;
    }
    if (fields.length === 1) {
      return {
        kind: "problem",
        problem: {
          file: this.#name,
          line,
          message:
            `Cannot read "${this.#name}": line ${line} has 1 field; llm-bench reads comma-separated rows (question, 2 to 10 options, answer letter)`,
        },
      };
    }
    return "row";
  }

  #mapped(fields: string[], line: number): ReadItem {
    const columns = this.#columns!;
    const mapper = this.#mapper!;
    mapper.index = this.index;
    let item: ReadItem;
    if (fields.length !== columns.length) {
      item = mapper.skip(
        line,
        `row has ${fields.length} fields; the header has ${columns.length}`,
      )[0]!;
    } else {
      const record: Record<string, string> = {};
      for (let i = 0; i < columns.length; i++) record[columns[i]!] = fields[i]!;
      item = mapper.add(record, line)[0]!;
    }
    this.index = mapper.index;
    return item;
  }
}

/**
 * Streams the items of one CSV or TSV file: each data row becomes a
 * Question or a SkippedRow (its `reason` names what is wrong), in file
 * order, as they are parsed — memory does not grow with the file.
 *
 * Accepted: RFC 4180 quoting with line breaks inside quoted fields (kept
 * byte-exact, CR included), CRLF/LF/CR record ends (mixed too), no final
 * newline, a UTF-8 BOM, UTF-16 with a BOM, semicolon- or tab-separated files
 * (see `detectDelimiter`; `.tsv` files are always tab-separated), blank
 * lines (ignored), answers with spaces or in lower case (`" b "` -> `B`),
 * and trailing empty options (dropped). Question and option text is never
 * trimmed.
 *
 * Without a header, each row is judged alone: question, 2 to 10 options, and
 * an answer letter as the last field; a bad row never changes how the others
 * are read. A first row whose fields name columns (`question`, `A`...`J`,
 * `answer`, `subject` ..., see `shapes.ts`) is a header: each row is then
 * read by column name, like a JSON record. Whole-file problems (empty,
 * header only, binary, an image, invalid UTF-8, a quote never closed,
 * unreadable) are yielded as `{ kind: "problem" }` and end the file; rows
 * yielded before stay valid.
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
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(file.path, { read: true });
  } catch (cause) {
    yield problemItem(name, readErrorMessage(name, cause), null);
    return;
  }
  const stats: SniffStats = { bytes: 0 };
  const reader = handle.readable.pipeThrough(utf8Stream(name, stats))
    .getReader();
  const rows = new CsvRows(name, firstIndex, options);
  const tab = name.toLowerCase().endsWith(".tsv") ? "\t" : null;
  try {
    const maxChars = options.maxRecordChars ?? 16 * 1024 * 1024;
    for await (const record of csvRecords(reader, name, tab, maxChars)) {
      for (const item of rows.take(record)) {
        yield item;
        if (item.kind === "problem") return;
      }
    }
    yield* rows.finish();
  } catch (error) {
    yield* rows.finish();
    yield error instanceof FileProblemError
      ? problemItem(name, error.message, error.line)
      : problemItem(name, readErrorMessage(name, error), null);
    return;
  } finally {
    // Closes the file when the consumer stops early; after the end of the
    // stream or an error this does nothing.
    await reader.cancel().catch(() => {});
  }
  if (rows.index === firstIndex) {
    yield emptyFileProblem(name, stats, rows.header);
  }
}

function problemItem(
  name: string,
  message: string,
  line: number | null,
): ReadItem {
  return { kind: "problem", problem: { file: name, line, message } };
}

function emptyFileProblem(
  name: string,
  stats: SniffStats,
  header: boolean,
): ReadItem {
  if (stats.bytes === 0) {
    return problemItem(name, `Cannot read "${name}": the file is empty`, null);
  }
  return problemItem(
    name,
    header
      ? `Cannot read "${name}": the file has a header row but no questions`
      : `Cannot read "${name}": the file has no rows`,
    null,
  );
}
