// Streaming reader for `.json` files: a JSON array of records, or objects one
// after another (JSON Lines saved as .json, or one pretty-printed object).
// Each top-level record is cut out by a small scanner and parsed alone, so a
// syntax error costs one record and memory does not grow with the file.

import type { DatasetFile } from "./discover.ts";
import {
  emptyProblem,
  fileProblem,
  openRecords,
  streamProblem,
} from "./jsonl.ts";
import { type ReaderOptions, type ReadItem, RecordMapper } from "./records.ts";
import { subjectFromFile } from "./subject.ts";

/** Longest record accepted, in characters (a string never closed ends here). */
const MAX_RECORD_CHARS = 64 * 1024 * 1024;

/** One top-level record's text and the line it starts on. */
export interface JsonRecordText {
  text: string;
  line: number;
}

/**
 * Cuts a JSON text stream into its records: the elements of a top-level
 * array, or top-level values one after another. Throws a `JsonShapeError`
 * when the text ends inside a value or is not an array or object.
 */
export class JsonSplitter {
  #line = 1;
  #depth = 0;
  #inString = false;
  #escape = false;
  /** null until the first character: then "array" or "sequence". */
  #mode: "array" | "sequence" | "done" | null = null;
  #parts: string[] = [];
  #length = 0;
  #startLine = 0;
  #inRecord = false;
  #scalar = false;
  #error: JsonShapeError | null = null;

  /**
   * Records completed by `chunk`. An error found in the chunk is thrown by
   * the next `push` or `end`, so the records before it are returned first.
   */
  push(chunk: string): JsonRecordText[] {
    if (this.#error !== null) throw this.#error;
    const out: JsonRecordText[] = [];
    try {
      this.#scan(chunk, out);
    } catch (error) {
      if (!(error instanceof JsonShapeError)) throw error;
      this.#error = error;
    }
    return out;
  }

  #scan(chunk: string, out: JsonRecordText[]): void {
    let from = this.#inRecord ? 0 : -1;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) this.#line++;
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (c === 92) this.#escape = true;
        else if (c === 34) this.#inString = false;
        continue;
      }
      if (c === 32 || c === 10 || c === 13 || c === 9) continue;
      if (!this.#inRecord) {
        if (this.#between(c, chunk, i)) continue;
        this.#inRecord = true;
        this.#scalar = c !== 123 && c !== 91;
        this.#startLine = this.#line;
        from = i;
      }
      if (this.#scalar) {
        if (c === 44 || c === 93) {
          out.push(this.#take(chunk.slice(from, i)));
          from = -1;
          if (c === 93) this.#mode = "done";
        } else if (c === 34) this.#inString = true;
        continue;
      }
      if (c === 34) this.#inString = true;
      else if (c === 123 || c === 91) this.#depth++;
      else if (c === 125 || c === 93) {
        this.#depth--;
        if (this.#depth === this.#base) {
          out.push(this.#take(chunk.slice(from, i + 1)));
          from = -1;
        }
      }
    }
    if (from !== -1) this.#keep(chunk.slice(from));
  }

  get #base(): number {
    return this.#mode === "array" ? 1 : 0;
  }

  /** Handles a character outside any record; true when it is consumed. */
  #between(c: number, chunk: string, i: number): boolean {
    if (this.#mode === null) {
      if (c === 91) {
        this.#mode = "array";
        this.#depth = 1;
        return true;
      }
      if (c !== 123) {
        throw new JsonShapeError(
          `line ${this.#line} starts with "${
            chunk[i]
          }"; expected a JSON array of records or JSON objects`,
          this.#line,
        );
      }
      this.#mode = "sequence";
      return false;
    }
    if (this.#mode === "done") {
      throw new JsonShapeError(
        `line ${this.#line} has text after the end of the array`,
        this.#line,
      );
    }
    if (this.#mode === "array") {
      if (c === 44) return true;
      if (c === 93) {
        this.#mode = "done";
        this.#depth = 0;
        return true;
      }
      return false;
    }
    if (c !== 123) {
      throw new JsonShapeError(
        `line ${this.#line} has "${chunk[i]}" between objects; expected "{"`,
        this.#line,
      );
    }
    return false;
  }

  /** Checks the text ended between records. */
  end(): void {
    if (this.#error !== null) throw this.#error;
    if (this.#inRecord || this.#mode === "array") {
      const where = this.#inRecord
        ? `the record starting on line ${this.#startLine}`
        : "the array";
      throw new JsonShapeError(
        `the file ends inside ${where}; is it cut short?`,
        this.#inRecord ? this.#startLine : this.#line,
      );
    }
  }

  #keep(part: string): void {
    this.#parts.push(part);
    this.#length += part.length;
    if (this.#length > MAX_RECORD_CHARS) {
      throw new JsonShapeError(
        `the record starting on line ${this.#startLine} is longer than ${MAX_RECORD_CHARS} characters; is a quote not closed?`,
        this.#startLine,
      );
    }
  }

  #take(last: string): JsonRecordText {
    this.#parts.push(last);
    const text = this.#parts.join("");
    this.#parts = [];
    this.#length = 0;
    this.#inRecord = false;
    return { text, line: this.#startLine };
  }
}

/** A JSON file that is not a list of records, or ends inside one. */
export class JsonShapeError extends Error {
  override name = "JsonShapeError";
  /** 1-based line. */
  readonly line: number;
  constructor(message: string, line: number) {
    super(message);
    this.line = line;
  }
}

function parseRecord(
  record: JsonRecordText,
): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(record.text) };
  } catch (error) {
    return {
      error: `invalid JSON in the record starting on line ${record.line}: ${
        error instanceof Error ? error.message : String(error)
      }`,
    };
  }
}

/** The one list of objects a lone wrapper object holds, or null. */
function wrappedList(value: unknown): unknown[] | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return null;
  }
  const lists = Object.values(value).filter((v) =>
    Array.isArray(v) && v.length > 0 &&
    v.every((x) => typeof x === "object" && x !== null && !Array.isArray(x))
  );
  return lists.length === 1 ? lists[0] as unknown[] : null;
}

/** Items of the records a wrapper object lists, numbered 1, 2, ... */
function* readWrapped(
  list: unknown[],
  name: string,
  firstIndex: number,
  options: ReaderOptions,
): Generator<ReadItem> {
  const mapper = new RecordMapper(name, subjectFromFile(name), firstIndex, {
    ...options,
    notObject: "record is not a JSON object",
  });
  for (let i = 0; i < list.length; i++) {
    for (const item of mapper.add(list[i], i + 1)) {
      yield item;
      if (item.kind === "problem") return;
    }
  }
  yield* mapper.finish();
}

/**
 * Streams the items of one `.json` file: each record of a top-level array
 * (or each top-level object) becomes a Question or a SkippedRow, in any
 * shape `shapes.ts` knows. A record with a syntax error is skipped with its
 * line; a file cut short keeps the records before the cut. Ids are
 * `<relative>:<line the record starts on>`. A file holding one object that
 * wraps a single list of records (`{"questions": [...]}`) is read as that
 * list; its ids number the records 1, 2, ...
 */
export async function* readJsonFile(
  file: DatasetFile,
  firstIndex: number,
  options: ReaderOptions = {},
): AsyncGenerator<ReadItem> {
  const name = file.relative;
  const opened = await openRecords(
    file,
    firstIndex,
    options,
    "record is not a JSON object",
  );
  if (!("mapper" in opened)) {
    yield opened;
    return;
  }
  const { text, mapper, stats } = opened;
  const splitter = new JsonSplitter();
  // The first record is kept while the shape is unknown: a lone object may
  // wrap the records in a list (`{"questions": [...]}`).
  let first: unknown = undefined;
  let records = 0;
  try {
    for await (const chunk of text) {
      for (const record of splitter.push(chunk)) {
        const parsed = parseRecord(record);
        if (records++ === 0 && "value" in parsed) first = parsed.value;
        else first = undefined;
        const items = "error" in parsed
          ? mapper.skip(record.line, parsed.error)
          : mapper.add(parsed.value, record.line);
        for (const item of items) {
          yield item;
          if (item.kind === "problem") return;
        }
      }
    }
    splitter.end();
  } catch (error) {
    for (const item of mapper.finish()) {
      yield item;
      if (item.kind === "problem") return;
    }
    yield error instanceof JsonShapeError
      ? fileProblem(name, `Cannot read "${name}": ${error.message}`, error.line)
      : streamProblem(name, error);
    return;
  } finally {
    await text.cancel().catch(() => {});
  }
  const list = mapper.shape === null ? wrappedList(first) : null;
  if (list !== null) {
    yield* readWrapped(list, name, firstIndex, options);
    return;
  }
  for (const item of mapper.finish()) {
    yield item;
    if (item.kind === "problem") return;
  }
  if (mapper.index === firstIndex) yield emptyProblem(name, stats);
}
