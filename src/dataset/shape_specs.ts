// Shape recognition: which keys or columns of a sample record hold the
// question, options, answer and subject, for each known dataset layout
// (GPQA, HellaSwag, ARC-like, flat records) or as `--fields` names them.

import { LETTERS } from "../schema.ts";
import {
  type FieldMap,
  type FieldPath,
  normalizeKey,
  parsePath,
} from "./fields.ts";

/** A record as read: a JSON object, a Parquet row or a header CSV row. */
export type DataRecord = Record<string, unknown>;

/** How one shape reads its parts: paths into a record, and its quirks. */
export interface ShapeSpec {
  name: string;
  /** Joined with a space (HellaSwag `ctx_a` + `ctx_b`). */
  question: FieldPath[];
  /** One path to a list/object of options, or one path per option column. */
  choices: FieldPath | FieldPath[];
  labels: FieldPath | null;
  answer: FieldPath;
  /** MMLU-Pro: an answer letter that must agree with `answer`. */
  answerLetter: FieldPath | null;
  subject: FieldPath | null;
  /** MMLU-Pro pads options with "N/A"; those are dropped. */
  dropPadding: boolean;
  /** GPQA: the options besides `answer`, which holds the correct text. */
  incorrect: FieldPath[] | null;
  /**
   * A numeric answer counts from 0; or its base is judged from the file,
   * defaulting to 0 without evidence (`detect`) or left unknown (`detect
   * strict`, for MedMCQA's `cop`, published both ways).
   */
  indexBase: "zero" | "detect" | "detect strict";
}

const QUESTION_KEYS = ["question", "prompt", "input", "stem", "query"];
const ANSWER_KEYS = [
  "answer_idx",
  "answer_index",
  "answer",
  "answerkey",
  "label",
  "target",
  "correct",
  "cop",
  "correct_answer",
  "gold",
];
const LIST_KEYS = ["options", "choices", "endings"];
const SUBJECT_KEYS = ["subject", "category"];
const LETTER_COLUMN_FAMILIES: ((i: number) => string)[] = [
  (i) => LETTERS[i]!.toLowerCase(),
  (i) => `option_${LETTERS[i]!.toLowerCase()}`,
  (i) => `option${LETTERS[i]!.toLowerCase()}`,
  (i) => `option_${i + 1}`,
  (i) => `option${i + 1}`,
  (i) => `choice_${LETTERS[i]!.toLowerCase()}`,
  (i) => `choice${i + 1}`,
  (i) => `choice_${i + 1}`,
  (i) => `op${LETTERS[i]!.toLowerCase()}`,
];

/** Names of a sample record's keys, by normalised name. */
type KeyIndex = Map<string, string>;

/** Recognises a shape from a sample record's keys (see `detectShape`). */
export function specFor(
  sample: DataRecord,
  fields: FieldMap | null,
): ShapeSpec | null {
  if (fields !== null) return fieldsSpec(fields);
  const keys = indexKeys(sample);
  return gpqaSpec(keys) ?? hellaswagSpec(keys) ?? arcSpec(sample, keys) ??
    flatSpec(keys);
}

function indexKeys(sample: DataRecord): KeyIndex {
  const keys: KeyIndex = new Map();
  for (const key of Object.keys(sample)) {
    const norm = normalizeKey(key);
    if (!keys.has(norm)) keys.set(norm, key);
  }
  return keys;
}

function keyPath(key: string): FieldPath {
  return { text: key, steps: [{ key, each: false }] };
}

function pickKey(keys: KeyIndex, names: readonly string[]): FieldPath | null {
  for (const name of names) {
    const key = keys.get(name);
    if (key !== undefined) return keyPath(key);
  }
  return null;
}

function letterColumns(keys: KeyIndex): FieldPath[] | null {
  for (const family of LETTER_COLUMN_FAMILIES) {
    const columns: FieldPath[] = [];
    for (let i = 0; i < LETTERS.length; i++) {
      const key = keys.get(family(i));
      if (key === undefined) break;
      columns.push(keyPath(key));
    }
    if (columns.length >= 2) return columns;
  }
  return null;
}

function baseSpec(
  name: string,
): Omit<ShapeSpec, "question" | "choices" | "answer"> {
  return {
    name,
    labels: null,
    answerLetter: null,
    subject: null,
    dropPadding: false,
    incorrect: null,
    indexBase: "zero",
  };
}

function gpqaSpec(keys: KeyIndex): ShapeSpec | null {
  const question = pickKey(keys, ["question"]);
  const answer = pickKey(keys, ["correct_answer"]);
  const incorrect: FieldPath[] = [];
  for (let i = 1; i <= 9; i++) {
    const p = pickKey(keys, [`incorrect_answer_${i}`]);
    if (p === null) break;
    incorrect.push(p);
  }
  if (question === null || answer === null || incorrect.length === 0) {
    return null;
  }
  return {
    ...baseSpec("gpqa"),
    question: [question],
    choices: [],
    answer,
    incorrect,
    subject: pickKey(keys, ["subdomain", ...SUBJECT_KEYS]),
  };
}

function hellaswagSpec(keys: KeyIndex): ShapeSpec | null {
  const endings = pickKey(keys, ["endings"]);
  const label = pickKey(keys, ["label"]);
  const ctx = pickKey(keys, ["ctx"]);
  const ctxA = pickKey(keys, ["ctx_a"]);
  const ctxB = pickKey(keys, ["ctx_b"]);
  if (endings === null || label === null) return null;
  const question = ctx !== null
    ? [ctx]
    : ctxA !== null
    ? (ctxB !== null ? [ctxA, ctxB] : [ctxA])
    : null;
  if (question === null) return null;
  return {
    ...baseSpec("hellaswag"),
    question,
    choices: endings,
    answer: label,
  };
}

function arcSpec(sample: DataRecord, keys: KeyIndex): ShapeSpec | null {
  const answer = pickKey(keys, ["answerkey"]);
  if (answer === null) return null;
  const q = keys.get("question");
  const nested = q !== undefined && typeof sample[q] === "object" &&
    sample[q] !== null;
  const subject = pickKey(keys, SUBJECT_KEYS);
  if (nested) {
    return {
      ...baseSpec("arc"),
      question: [parsePath(`${q}.stem`)],
      choices: parsePath(`${q}.choices`),
      answer,
      subject,
    };
  }
  const question = pickKey(keys, ["question_stem", "question"]);
  const choices = pickKey(keys, ["choices"]);
  if (question === null || choices === null) return null;
  return { ...baseSpec("arc"), question: [question], choices, answer, subject };
}

function flatSpec(keys: KeyIndex): ShapeSpec | null {
  const question = pickKey(keys, QUESTION_KEYS);
  if (question === null) return null;
  const list = pickKey(keys, LIST_KEYS);
  const choices = list ?? letterColumns(keys);
  if (choices === null) return null;
  const answerIndex = pickKey(keys, ["answer_index"]);
  const answer = answerIndex ?? pickKey(keys, ANSWER_KEYS);
  if (answer === null) return null;
  const isPro = answerIndex !== null && list?.text.toLowerCase() === "options";
  const named = keys.has("choices") && keys.has("subject") &&
    keys.has("answer");
  return {
    ...baseSpec(isPro ? "mmlu-pro" : named ? "hf-mmlu" : "flat"),
    question: [question],
    choices,
    answer,
    answerLetter: answerIndex !== null ? pickKey(keys, ["answer"]) : null,
    subject: pickKey(keys, SUBJECT_KEYS),
    dropPadding: list !== null && normalizeKey(list.text) === "options",
    // MMLU-Pro's answer_index and cais/mmlu's answer count from 0; other
    // numeric answers (MedMCQA's cop, Winogrande's "1"/"2", a quiz's own
    // numbers) are judged from the file.
    indexBase: isPro || named
      ? "zero"
      : normalizeKey(answer.text) === "cop"
      ? "detect strict"
      : "detect",
  };
}

function fieldsSpec(fields: FieldMap): ShapeSpec {
  return {
    ...baseSpec("fields"),
    indexBase: "detect",
    question: [fields.question!],
    choices: fields.choices!,
    labels: fields.labels ?? null,
    answer: fields.answer!,
    subject: fields.subject ?? null,
  };
}
