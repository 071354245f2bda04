// Record shapes: recognises how a record (a JSON object, a Parquet row or a
// header CSV row) holds a multiple-choice question, and maps records of that
// shape to question parts. One module for every format.

import { hashString } from "../stats.ts";
import { LETTERS } from "../schema.ts";
import {
  checkOptions,
  type RawOptions,
  readOptions,
  resolveAnswer,
  scalarText,
} from "./answer_key.ts";
import { type FieldMap, type FieldPath, getPath } from "./fields.ts";
import { type DataRecord, type ShapeSpec, specFor } from "./shape_specs.ts";

export type { DataRecord } from "./shape_specs.ts";

/** A record mapped to question parts; `answer` is a letter within `choices`. */
export interface MappedQuestion {
  question: string;
  choices: string[];
  answer: string;
  /** The answer as the record wrote it (`"1"`, `"C"`, `2`, an option text). */
  label: string;
  /** Original labels of the options in the order shown, when the record has them. */
  labels: string[] | null;
  /** The record's own subject or category, or null. */
  subject: string | null;
}

/** A recognised shape: its name and the mapping of one record. */
export interface Shape {
  /** Short name shown by `inspect` (`arc`, `hf-mmlu`, `mmlu-pro` ...). */
  name: string;
  /** A MappedQuestion, or the reason the record is skipped. */
  map(record: unknown): MappedQuestion | string;
  /** The record's own subject or category (for a skipped record too), or null. */
  subjectOf(record: unknown): string | null;
  /**
   * Whether numeric answers still need their base judged (0-based as on the
   * Hub, or 1-based like MedMCQA's original `cop` and Winogrande): hold the
   * first records, `observe` each, then `decide` before mapping them.
   */
  needsBase(): boolean;
  /** Counts one record's evidence for the answer base. */
  observe(record: unknown): void;
  /**
   * Fixes the base from the evidence: a 0 answer exists only counting from
   * 0, an answer equal to the option count only counting from 1; the larger
   * count wins (a tie counts from 0, as the Hub does). With no evidence
   * they count from 0, except MedMCQA's `cop`, skipped with a reason.
   */
  decide(): void;
}

/** Option text MMLU-Pro uses to pad questions to 10 options. */
const PADDING_OPTION = "N/A";

/**
 * Recognises the shape of `sample` (the first record of a file, or a CSV
 * header as `{column: ""}`), or takes the one `fields` spells out. Returns
 * null for a record in no known shape.
 *
 * @example
 * ```ts
 * import { detectShape } from "./shapes.ts";
 * import assert from "node:assert/strict";
 * const shape = detectShape({ question: "2+2?", choices: ["3", "4"], answer: 1, subject: "math" }, null);
 * assert.equal(shape?.name, "hf-mmlu");
 * assert.deepEqual(shape?.map({ question: "2+2?", choices: ["3", "4"], answer: 1, subject: "math" }), {
 *   question: "2+2?", choices: ["3", "4"], answer: "B", label: "1", labels: null, subject: "math",
 * });
 * ```
 */
export function detectShape(
  sample: DataRecord,
  fields: FieldMap | null,
): Shape | null {
  const spec = specFor(sample, fields);
  return spec === null ? null : makeShape(spec);
}

function textAt(record: unknown, path: FieldPath): string | null {
  return scalarText(getPath(record, path));
}

function readQuestion(record: unknown, spec: ShapeSpec): string {
  const parts: string[] = [];
  for (const path of spec.question) {
    const text = textAt(record, path);
    if (text === null || text.trim() === "") {
      return spec.question.length > 1 && parts.length > 0 ? parts[0]! : "";
    }
    parts.push(text);
  }
  return parts.join(" ");
}

function readChoices(record: unknown, spec: ShapeSpec): RawOptions | string {
  if (spec.incorrect !== null) return gpqaChoices(record, spec);
  if (Array.isArray(spec.choices)) {
    const texts = spec.choices.map((p) => textAt(record, p) ?? "");
    while (texts.length > 0 && texts[texts.length - 1]!.trim() === "") {
      texts.pop();
    }
    return { texts, labels: null };
  }
  const raw = readOptions(getPath(record, spec.choices));
  if (raw === null) {
    return `${spec.choices.text} is missing or not a list of strings`;
  }
  if (spec.labels !== null) {
    const labels = getPath(record, spec.labels);
    if (!Array.isArray(labels) || labels.length !== raw.texts.length) {
      return `${spec.labels.text} is not a list as long as the choices`;
    }
    const texts = labels.map(scalarText);
    if (texts.some((t) => t === null)) {
      return `${spec.labels.text} holds a value that is not text`;
    }
    return { texts: raw.texts, labels: texts as string[] };
  }
  return raw;
}

/**
 * GPQA: the correct answer and the incorrect ones, in an order drawn from a
 * hash of the question text (so the correct one is not always first, and
 * every run and machine sees the same order). Labels record where each came
 * from (`correct`, `incorrect 1` ...).
 */
function gpqaChoices(record: unknown, spec: ShapeSpec): RawOptions | string {
  const correct = textAt(record, spec.answer);
  if (correct === null || correct.trim() === "") {
    return `${spec.answer.text} is missing or empty`;
  }
  const texts = [correct];
  const labels = ["correct"];
  for (let i = 0; i < spec.incorrect!.length; i++) {
    const text = textAt(record, spec.incorrect![i]!);
    if (text === null || text.trim() === "") continue;
    texts.push(text);
    labels.push(`incorrect ${i + 1}`);
  }
  const order = gpqaOrder(readQuestion(record, spec), texts.length);
  return {
    texts: order.map((i) => texts[i]!),
    labels: order.map((i) => labels[i]!),
  };
}

/**
 * The seeded order of GPQA-style options: a Fisher-Yates shuffle driven by
 * FNV-1a hashes of `gpqa:<question text>:<step>`. Documented in
 * docs/datasets.md.
 *
 * @example
 * ```ts
 * import { gpqaOrder } from "./shapes.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([...gpqaOrder("Q?", 4)].sort(), [0, 1, 2, 3]);
 * ```
 */
export function gpqaOrder(question: string, n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = hashString(`gpqa:${question}:${i}`) % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function dropPadding(
  options: RawOptions,
  position: number,
): { options: RawOptions; position: number } | string {
  if (options.texts[position] === PADDING_OPTION) {
    return `answer ${LETTERS[position]} points to an "N/A" padding option`;
  }
  const texts: string[] = [];
  let at = position;
  for (let i = 0; i < options.texts.length; i++) {
    if (options.texts[i] === PADDING_OPTION) {
      if (i < position) at--;
      continue;
    }
    texts.push(options.texts[i]!);
  }
  return { options: { texts, labels: null }, position: at };
}

function numericAnswer(raw: unknown): number | null {
  if (typeof raw === "number" && Number.isInteger(raw)) return raw;
  if (typeof raw === "string" && /^\s*\d+\s*$/.test(raw)) return Number(raw);
  return null;
}

/** Reads a 1-based numeric answer as 0-based, keeping how it was written. */
function rebase(raw: unknown, base: 0 | 1): unknown {
  const n = numericAnswer(raw);
  return base === 1 && n !== null ? n - 1 : raw;
}

function mapRecord(
  record: unknown,
  spec: ShapeSpec,
  base: 0 | 1 | null,
): MappedQuestion | string {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    return "record is not an object";
  }
  const question = readQuestion(record, spec);
  if (question.trim() === "") {
    return `${spec.question[0]!.text} is missing or empty`;
  }
  let options = readChoices(record, spec);
  if (typeof options === "string") return options;
  if (options.texts.length === 0) return "choices are empty";
  if (options.texts.length > LETTERS.length && !spec.dropPadding) {
    return `row has ${options.texts.length} options; at most 10 are supported`;
  }
  let rawAnswer = spec.incorrect !== null
    ? "correct"
    : getPath(record, spec.answer);
  if ((rawAnswer === undefined || rawAnswer === null) && spec.answerLetter) {
    rawAnswer = getPath(record, spec.answerLetter);
  }
  if (base === null && numericAnswer(rawAnswer) !== null) {
    return `answer ${
      JSON.stringify(rawAnswer)
    }: ${spec.answer.text} counts from 0 in some files and from 1 in others, and no row of this one tells which`;
  }
  const resolved = resolveAnswer(
    rebase(rawAnswer, base ?? 0),
    options.texts,
    options.labels,
  );
  if (typeof resolved === "string") return resolved;
  if (base === 1) resolved.label = String(rawAnswer).trim();
  let position = resolved.position;
  if (spec.answerLetter !== null) {
    const letter = getPath(record, spec.answerLetter);
    if (
      typeof letter === "string" &&
      letter.trim().toUpperCase() !== LETTERS[position]
    ) {
      return `answer "${letter}" does not match ${spec.answer.text} ${resolved.label}`;
    }
  }
  if (spec.dropPadding) {
    const dropped = dropPadding(options, position);
    if (typeof dropped === "string") return dropped;
    options = dropped.options;
    position = dropped.position;
  }
  const problem = checkOptions(options.texts, options.labels);
  if (problem !== null) return problem;
  return {
    question,
    choices: options.texts,
    answer: LETTERS[position]!,
    label: resolved.label,
    labels: options.labels,
    subject: recordSubject(record, spec),
  };
}

function recordSubject(record: unknown, spec: ShapeSpec): string | null {
  const subject = spec.subject === null ? null : textAt(record, spec.subject);
  return subject !== null && subject.trim() !== "" ? subject : null;
}

function makeShape(spec: ShapeSpec): Shape {
  let base: 0 | 1 | null = spec.indexBase === "zero" ? 0 : null;
  let decided = base !== null;
  let zeros = 0;
  let tops = 0;
  return {
    name: spec.name,
    map: (record) => mapRecord(record, spec, base),
    subjectOf: (record) => recordSubject(record, spec),
    needsBase: () => !decided,
    observe(record) {
      if (decided) return;
      const n = numericAnswer(getPath(record, spec.answer));
      if (n === null) return;
      const options = readChoices(record, spec);
      if (typeof options === "string") return;
      if (n === 0) zeros++;
      else if (n === options.texts.length) tops++;
    },
    decide() {
      if (decided) return;
      decided = true;
      if (zeros > 0 || tops > 0) base = tops > zeros ? 1 : 0;
      else if (spec.indexBase === "detect") base = 0;
    },
  };
}
