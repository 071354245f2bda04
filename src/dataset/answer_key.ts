// Turning a record's options and answer into question parts: option lists
// in their several layouts, and the answer as a label, letter, index or text.

import { LETTERS } from "../schema.ts";

/** Options as read from a record, with their original labels when it has them. */
export interface RawOptions {
  texts: string[];
  labels: string[] | null;
}

/** Where the answer points, and the label it was written as. */
export interface ResolvedAnswer {
  position: number;
  label: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A scalar option or label as text (numbers included); null for anything else. */
export function scalarText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "bigint") return String(value);
  return null;
}

function textsOf(list: unknown[]): string[] | null {
  const out: string[] = [];
  for (const item of list) {
    const text = scalarText(item);
    if (text === null) return null;
    out.push(text);
  }
  return out;
}

/**
 * Reads options in any of their layouts: a list of strings, a list of
 * `{text, label}` objects, an object of parallel `text`/`label` lists (the
 * Hub's ARC layout) or an object keyed by label (`{"A": ..., "B": ...}`).
 * Returns null when the value is none of these.
 *
 * @example
 * ```ts
 * import { readOptions } from "./answer_key.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(readOptions({ text: ["x", "y"], label: ["1", "2"] }), { texts: ["x", "y"], labels: ["1", "2"] });
 * assert.deepEqual(readOptions({ A: "x", B: "y" }), { texts: ["x", "y"], labels: ["A", "B"] });
 * ```
 */
export function readOptions(value: unknown): RawOptions | null {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every(isObject)) {
      const texts = textsOf(value.map((o) => o.text));
      const labels = textsOf(value.map((o) => o.label));
      return texts === null ? null : { texts, labels };
    }
    const texts = textsOf(value);
    return texts === null ? null : { texts, labels: null };
  }
  if (!isObject(value)) return null;
  if (Array.isArray(value.text)) {
    const texts = textsOf(value.text);
    const labels = Array.isArray(value.label) ? textsOf(value.label) : null;
    if (texts === null) return null;
    if (labels !== null && labels.length !== texts.length) return null;
    return { texts, labels };
  }
  const entries = Object.entries(value);
  const texts = textsOf(entries.map(([, v]) => v));
  return texts === null ? null : { texts, labels: entries.map(([k]) => k) };
}

/** `A-D` for 4 options. */
export function letterRange(options: number): string {
  return `A-${LETTERS[Math.max(0, options - 1)] ?? "?"}`;
}

const DIGITS_REGEXP = /^\d+$/;

function byIndex(
  n: number,
  count: number,
  raw: string,
): ResolvedAnswer | string {
  if (n >= 0 && n < count) return { position: n, label: raw };
  return `answer ${raw} is out of range 0-${
    count - 1
  } (a number is a 0-based option index)`;
}

/**
 * Finds the option an answer points to. With labels, the answer must be one
 * of them (compared without case and surrounding spaces). Without, it may be
 * a letter (`"B"`), a 0-based index (`1` or `"1"`), or the option's exact
 * text. Returns a reason when it is none of these.
 *
 * @example
 * ```ts
 * import { resolveAnswer } from "./answer_key.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(resolveAnswer("2", ["x", "y"], ["1", "2"]), { position: 1, label: "2" });
 * assert.deepEqual(resolveAnswer(0, ["x", "y"], null), { position: 0, label: "0" });
 * assert.deepEqual(resolveAnswer("y", ["x", "y"], null), { position: 1, label: "y" });
 * ```
 */
export function resolveAnswer(
  raw: unknown,
  texts: readonly string[],
  labels: readonly string[] | null,
): ResolvedAnswer | string {
  const count = texts.length;
  if (typeof raw === "bigint") raw = Number(raw);
  if (raw === undefined || raw === null || raw === "") {
    return "answer is missing";
  }
  if (labels !== null) {
    const wanted = scalarText(raw)?.trim().toLowerCase();
    const at = labels.findIndex((l) => l.trim().toLowerCase() === wanted);
    if (at !== -1) return { position: at, label: labels[at]! };
    return `answer ${JSON.stringify(raw)} is not among the labels ${
      labels.join(", ")
    }`;
  }
  if (typeof raw === "number") {
    if (!Number.isInteger(raw)) return `answer ${raw} is not an option index`;
    return byIndex(raw, count, String(raw));
  }
  if (typeof raw !== "string") {
    return `answer ${JSON.stringify(raw)} is not a letter, index or text`;
  }
  const trimmed = raw.trim();
  const upper = trimmed.toUpperCase();
  if (upper.length === 1 && upper >= "A" && upper <= "Z") {
    const position = upper.charCodeAt(0) - 0x41;
    if (position < count) return { position, label: trimmed };
    const byText = texts.indexOf(raw);
    if (byText !== -1) return { position: byText, label: raw };
    return `answer "${raw}" is not one of ${letterRange(count)}`;
  }
  if (DIGITS_REGEXP.test(trimmed)) {
    return byIndex(Number(trimmed), count, trimmed);
  }
  const byText = texts.indexOf(raw);
  if (byText !== -1) return { position: byText, label: raw };
  const byTrimmed = texts.findIndex((t) => t.trim() === trimmed);
  if (byTrimmed !== -1) return { position: byTrimmed, label: raw };
  return `answer "${
    raw.length > 60 ? raw.slice(0, 57) + "..." : raw
  }" is not a letter, an index or the text of an option`;
}

/**
 * Checks the final option list: 2 to 10 options, none empty, labels unique.
 * Returns null when it is fine, else the reason.
 */
export function checkOptions(
  texts: readonly string[],
  labels: readonly string[] | null,
): string | null {
  if (texts.length === 0) return "choices are empty";
  if (texts.length < 2) {
    return `row has ${texts.length} real option; a question needs 2 to 10`;
  }
  if (texts.length > LETTERS.length) {
    return `row has ${texts.length} options; at most 10 are supported`;
  }
  for (let i = 0; i < texts.length; i++) {
    if (texts[i]!.trim() === "") return `option ${LETTERS[i]} is empty`;
  }
  if (labels !== null) {
    const seen = new Set<string>();
    for (const label of labels) {
      const key = label.trim().toLowerCase();
      if (seen.has(key)) return `label "${label}" appears twice`;
      seen.add(key);
    }
  }
  return null;
}
