// Streaming reader for CSV/TSV files: MMLU rows without a header (question,
// 2-10 options, answer letter; judged row by row), or rows under a header
// whose columns name the parts (mapped by `shapes.ts` like JSON records).

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
import { checkRow, isColumnHeader, isHeaderRow } from "./csv_rows.ts";
import { type CsvRecord, csvRecords } from "./csv_records.ts";

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
  /** The header names no known shape: the rows are not read. */
  #unread = false;

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
    if (this.#unread) return null;
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
    if (isColumnHeader(fields)) {
      this.header = true;
      this.#unread = true;
      return { kind: "problem", problem: this.#noShape(fields) };
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

  #noShape(fields: string[]) {
    const columns = fields.map((f) => `"${f.trim()}"`).join(", ");
    return {
      file: this.#name,
      line: null,
      message:
        `Cannot read "${this.#name}": its columns are in no known question shape (columns ${columns}); name the fields with --fields question=PATH,choices=PATH,answer=PATH (see docs/datasets.md)`,
    };
  }

  #mapped(fields: string[], line: number): ReadItem[] {
    const columns = this.#columns!;
    const mapper = this.#mapper!;
    let items: ReadItem[];
    if (fields.length !== columns.length) {
      items = mapper.skip(
        line,
        `row has ${fields.length} fields; the header has ${columns.length}`,
      );
    } else {
      const record: Record<string, string> = {};
      for (let i = 0; i < columns.length; i++) record[columns[i]!] = fields[i]!;
      items = mapper.add(record, line);
    }
    this.index = mapper.index;
    return items;
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
