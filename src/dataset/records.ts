// Records to dataset items: recognises a file's shape from its first records
// and turns each record into a Question or a SkippedRow, numbered in file
// order. Used by the JSON, JSON Lines, Parquet and header CSV readers.

import type { DatasetItem, Question, SkippedRow } from "../schema.ts";
import type { FileProblem } from "./discover.ts";
import type { FieldMap } from "./fields.ts";
import { type DataRecord, detectShape, type Shape } from "./shapes.ts";

/** What the dataset readers yield: items in file order, or a whole-file problem that ends the file. */
export type ReadItem = DatasetItem | { kind: "problem"; problem: FileProblem };

/** What a reader learnt about a file, for `inspect`. */
export interface FileInfo {
  /** `csv`, `tsv`, `jsonl`, `json` or `parquet`. */
  format: string;
  /** Shape recognised (`mmlu-csv`, `arc`, `hf-mmlu` ...), or null. */
  shape: string | null;
}

/** Options shared by every reader. */
export interface ReaderOptions {
  /** `--fields`: how to read records of an unrecognised shape. @default null */
  fields?: FieldMap | null;
  /** Filled in as the file is read. */
  info?: FileInfo;
}

/** Key under which a held record that failed to parse keeps its reason. */
const BROKEN = "\u0000llm-bench-broken";

/** Records held to judge a numeric answer's base (see `Shape.needsBase`). */
const HOLD_RECORDS = 1000;

/** Records read before giving up on recognising a file's shape. */
const DETECT_RECORDS = 20;

function isRecord(value: unknown): value is DataRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Maps the records of one file to items. Records are held back only until
 * the shape is known (at most 20), or a numeric answer's base is judged (at
 * most 1000), so memory does not grow with the file.
 */
export class RecordMapper {
  /** The next item's dataset-wide index. */
  index: number;
  /** The file's shape, once recognised. */
  shape: Shape | null;
  readonly #file: string;
  readonly #fallbackSubject: string;
  readonly #fields: FieldMap | null;
  readonly #info: FileInfo | undefined;
  readonly #notObject: string;
  #held: { record: unknown; line: number }[] = [];
  #objects = 0;
  #keys: string[] = [];
  /** Line of the last item and how many items started on it. */
  #lastLine = 0;
  #onLine = 0;

  constructor(
    file: string,
    fallbackSubject: string,
    firstIndex: number,
    opts: ReaderOptions & { shape?: Shape; notObject?: string },
  ) {
    this.#file = file;
    this.#fallbackSubject = fallbackSubject;
    this.index = firstIndex;
    this.#fields = opts.fields ?? null;
    this.#info = opts.info;
    this.#notObject = opts.notObject ?? "record is not an object";
    this.shape = opts.shape ?? null;
    if (this.shape !== null && this.#info) this.#info.shape = this.shape.name;
  }

  /**
   * Items for one record (`line`: its 1-based line or row number); several
   * when held records are released, none while the shape is unknown. A
   * `problem` item means the file is in no known shape: stop reading it.
   */
  add(record: unknown, line: number): ReadItem[] {
    if (this.shape !== null) {
      if (!this.shape.needsBase()) return [this.#item(record, line)];
      this.#held.push({ record, line });
      this.shape.observe(record);
      return this.#releaseIfReady();
    }
    this.#held.push({ record, line });
    if (!isRecord(record)) return [];
    this.#objects++;
    if (this.#keys.length === 0) this.#keys = Object.keys(record);
    const shape = detectShape(record, this.#fields);
    if (shape !== null) return this.#settle(shape);
    return this.#objects >= DETECT_RECORDS ? [this.#noShape()] : [];
  }

  /** Items still held at the end of the file. */
  finish(): ReadItem[] {
    if (this.#held.length === 0) return [];
    if (this.shape !== null) return this.#release();
    if (this.#objects > 0) return [this.#noShape()];
    const held = this.#held;
    this.#held = [];
    return held.map(({ record, line }) => {
      const broken = isRecord(record) ? record[BROKEN] : undefined;
      return this.#skip(
        line,
        typeof broken === "string" ? broken : this.#notObject,
        null,
      );
    });
  }

  /** A skipped row for a record that could not be parsed at all. */
  skip(line: number, reason: string): ReadItem[] {
    if (this.#held.length > 0 || this.shape === null) {
      this.#held.push({ record: { [BROKEN]: reason }, line });
      return [];
    }
    return [this.#skip(line, reason, null)];
  }

  #settle(shape: Shape): ReadItem[] {
    this.shape = shape;
    if (this.#info) this.#info.shape = shape.name;
    for (const { record } of this.#held) shape.observe(record);
    return this.#releaseIfReady();
  }

  /** Held records, once the shape can map them or enough are held to judge. */
  #releaseIfReady(): ReadItem[] {
    const shape = this.shape!;
    if (shape.needsBase() && this.#held.length < HOLD_RECORDS) return [];
    return this.#release();
  }

  #release(): ReadItem[] {
    this.shape!.decide();
    const held = this.#held;
    this.#held = [];
    return held.map(({ record, line }) => this.#item(record, line));
  }

  #noShape(): ReadItem {
    const keys = this.#keys.map((k) => `"${k}"`).join(", ");
    return {
      kind: "problem",
      problem: {
        file: this.#file,
        line: null,
        message:
          `Cannot read "${this.#file}": its records are in no known question shape (keys ${keys}); name the fields with --fields question=PATH,choices=PATH,answer=PATH (see docs/datasets.md)`,
      },
    };
  }

  #item(record: unknown, line: number): ReadItem {
    if (isRecord(record) && typeof record[BROKEN] === "string") {
      return this.#skip(line, record[BROKEN], null);
    }
    if (!isRecord(record)) return this.#skip(line, this.#notObject, null);
    const mapped = this.shape!.map(record);
    if (typeof mapped === "string") {
      return this.#skip(line, mapped, this.shape!.subjectOf(record));
    }
    const question: Question = {
      id: this.#id(line),
      index: this.index++,
      file: this.#file,
      line,
      subject: mapped.subject ?? this.#fallbackSubject,
      question: mapped.question,
      choices: mapped.choices,
      answer: mapped.answer,
      label: mapped.label,
    };
    if (mapped.labels !== null) question.labels = mapped.labels;
    return { kind: "question", question };
  }

  /**
   * `<file>:<line>`; records after the first that start on the same line (a
   * JSON array written on one line) get `<file>:<line>:<k>`, so ids stay
   * unique. Items are made in record order, so k is stable.
   */
  #id(line: number): string {
    this.#onLine = line === this.#lastLine ? this.#onLine + 1 : 1;
    this.#lastLine = line;
    return this.#onLine === 1
      ? `${this.#file}:${line}`
      : `${this.#file}:${line}:${this.#onLine}`;
  }

  #skip(line: number, reason: string, subject: string | null): ReadItem {
    const row: SkippedRow = {
      id: this.#id(line),
      index: this.index++,
      file: this.#file,
      line,
      subject: subject ?? this.#fallbackSubject,
      reason,
    };
    return { kind: "skipped", row };
  }
}
