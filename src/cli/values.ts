// Readers for option values: each turns the text of a flag or environment
// variable into a typed value, or throws a one-line UsageError naming where
// the text came from ("Invalid --max-retries: -1 is out of range (0 to 100)").

import { UsageError } from "../errors.ts";

/** Turns the text of one flag or variable into a value; `source` names it in errors. */
export type ValueReader<T> = (text: string, source: string) => T;

/** Throws the UsageError of a bad value from `source`. */
export function fail(source: string, message: string): never {
  throw new UsageError(`Invalid ${source}: ${message}`);
}

function rangeText(min: number, max: number): string {
  const top = max === Infinity || max === Number.MAX_SAFE_INTEGER ? "any" : max;
  return `(${min} to ${top})`;
}

/**
 * Reads true/false, 1/0, yes/no, on/off (any case; empty is false).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(readBool("ON", "VERBOSE"), true);
 * ```
 */
export function readBool(text: string, source: string): boolean {
  const v = text.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off", ""].includes(v)) return false;
  return fail(source, `"${text}" is not a boolean (use true or false)`);
}

/**
 * A reader of whole numbers from `min` to `max`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => int(0, 100)("-1", "--max-retries"), /-1 is out of range \(0 to 100\)/);
 * ```
 */
export function int(
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): ValueReader<number> {
  return (text, source) => {
    const v = text.trim();
    if (!/^[-+]?\d+$/.test(v)) fail(source, `"${text}" is not a whole number`);
    const n = Number(v);
    if (n < min || n > max) {
      fail(source, `${n} is out of range ${rangeText(min, max)}`);
    }
    return n;
  };
}

/** A reader of finite numbers from `min` to `max`. */
export function num(min: number, max = Infinity): ValueReader<number> {
  return (text, source) => {
    const v = text.trim();
    const n = Number(v);
    if (v === "" || !Number.isFinite(n)) {
      fail(source, `"${text}" is not a number`);
    }
    if (n < min || n > max) {
      fail(source, `${n} is out of range ${rangeText(min, max)}`);
    }
    return n;
  };
}

/** A reader of one of `values` (any case). */
export function oneOf<T extends string>(
  values: readonly T[],
): ValueReader<T> {
  return (text, source) => {
    const v = text.trim().toLowerCase();
    const found = values.find((x) => x === v);
    if (found === undefined) {
      fail(source, `"${text}" is not one of ${values.join(", ")}`);
    }
    return found;
  };
}

/** Reads text that is not blank, trimmed. */
export function nonEmpty(text: string, source: string): string {
  const t = text.trim();
  if (t === "") fail(source, "must not be empty");
  return t;
}

/** Reads text as given (may be empty). */
export function anyText(text: string): string {
  return text;
}

/** A reader of a comma-separated list with at least one item; `what` names an item. */
export function list(
  what: string,
  item: ValueReader<string> = (t) => t,
): ValueReader<string[]> {
  return (text, source) => {
    const items = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
    if (items.length === 0) fail(source, `no ${what} given`);
    return items.map((s) => item(s, source));
  };
}

/** Reads an http(s) URL, without trailing slashes. */
export function url(text: string, source: string): string {
  let parsed: URL;
  try {
    parsed = new URL(text.trim());
  } catch {
    return fail(
      source,
      `"${text}" is not a URL (expected e.g. http://localhost:11434)`,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    fail(source, `"${text}" must start with http:// or https://`);
  }
  return parsed.href.replace(/\/+$/, "");
}

/** Reads a shard as `I/N` (1-based). */
export function shard(
  text: string,
  source: string,
): { index: number; count: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) fail(source, `"${text}" is not of the form I/N (e.g. 1/4)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) {
    fail(source, `"${text}": I must be between 1 and N`);
  }
  return { index, count };
}
