// Field paths into records (`question.choices[].text`): parsing `--fields`,
// case-insensitive key lookup, and reading a path out of a JSON-like value.

/** The record parts `--fields` can name. */
export const FIELD_NAMES = [
  "question",
  "choices",
  "labels",
  "answer",
  "subject",
] as const;

/** One record part. */
export type FieldName = typeof FIELD_NAMES[number];

/** One step of a path: a key, and whether the value is a list to map over (`key[]`). */
export interface PathStep {
  key: string;
  each: boolean;
}

/** A parsed path, and the text it was written as (for messages). */
export interface FieldPath {
  text: string;
  steps: PathStep[];
}

/** `--fields`: a path per record part; question, choices and answer are required. */
export type FieldMap = Partial<Record<FieldName, FieldPath>>;

/**
 * A column or key name compared loosely: lower case, runs of spaces, dashes
 * and dots as `_`.
 *
 * @example
 * ```ts
 * import { normalizeKey } from "./fields.ts";
 * import assert from "node:assert/strict";
 * assert.equal(normalizeKey(" Incorrect Answer 1"), "incorrect_answer_1");
 * ```
 */
export function normalizeKey(key: string): string {
  return key.trim().toLowerCase().replace(/[\s\-.]+/g, "_");
}

/**
 * Parses one path (`question.choices[].text`).
 *
 * @example
 * ```ts
 * import { parsePath } from "./fields.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parsePath("choices[].text").steps, [
 *   { key: "choices", each: true },
 *   { key: "text", each: false },
 * ]);
 * ```
 */
export function parsePath(text: string): FieldPath {
  const steps = text.split(".").map((part) => {
    const each = part.endsWith("[]");
    return { key: each ? part.slice(0, -2) : part, each };
  });
  return { text, steps };
}

/**
 * Parses the value of `--fields`: `name=path` pairs separated by commas.
 * Returns the map, or a message saying what is wrong.
 *
 * @example
 * ```ts
 * import { parseFieldMap } from "./fields.ts";
 * import assert from "node:assert/strict";
 * const map = parseFieldMap("question=q,choices=opts[],answer=gold");
 * assert.ok(typeof map !== "string" && map.answer?.text === "gold");
 * assert.equal(typeof parseFieldMap("question=q"), "string");
 * ```
 */
export function parseFieldMap(value: string): FieldMap | string {
  const map: FieldMap = {};
  for (const pair of value.split(",")) {
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const path = pair.slice(eq + 1).trim();
    if (eq === -1 || path === "" || path.split(".").includes("")) {
      return `"${pair}" is not NAME=PATH (e.g. answer=answerKey)`;
    }
    if (!(FIELD_NAMES as readonly string[]).includes(name)) {
      return `"${name}" is not one of ${FIELD_NAMES.join(", ")}`;
    }
    map[name as FieldName] = parsePath(path);
  }
  const missing = ["question", "choices", "answer"].filter((n) => !(n in map));
  if (missing.length > 0) return `${missing.join(", ")} must be given`;
  return map;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `record[key]`, else the first key equal to `key` once normalised. */
export function getKey(value: unknown, key: string): unknown {
  if (!isObject(value)) return undefined;
  const exact = value[key];
  if (exact !== undefined) return exact;
  const wanted = normalizeKey(key);
  for (const k of Object.keys(value)) {
    if (normalizeKey(k) === wanted) return value[k];
  }
  return undefined;
}

/**
 * The value at `path` in `value`; a `[]` step maps the rest of the path over
 * a list. Missing steps give `undefined`.
 *
 * @example
 * ```ts
 * import { getPath, parsePath } from "./fields.ts";
 * import assert from "node:assert/strict";
 * const rec = { Question: { choices: [{ text: "a" }, { text: "b" }] } };
 * assert.deepEqual(getPath(rec, parsePath("question.choices[].text")), ["a", "b"]);
 * ```
 */
export function getPath(value: unknown, path: FieldPath): unknown {
  return walk(value, path.steps, 0);
}

function walk(value: unknown, steps: PathStep[], from: number): unknown {
  let current = value;
  for (let i = from; i < steps.length; i++) {
    const step = steps[i]!;
    current = getKey(current, step.key);
    if (step.each) {
      if (!Array.isArray(current)) return undefined;
      return current.map((item) => walk(item, steps, i + 1));
    }
  }
  return current;
}

/** `--fields` text as a map (the option parser already refused a bad one); null when not given. */
export function fieldMapOf(text: string | null): FieldMap | null {
  if (text === null) return null;
  const map = parseFieldMap(text);
  return typeof map === "string" ? null : map;
}
