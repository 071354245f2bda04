// Formatting and escaping shared by the renderers: percentages, intervals,
// and neutralising hostile dataset text for terminals, Markdown and HTML.

/** Width of text output when it does not go to a terminal (and COLUMNS is unset). */
export const DEFAULT_COLUMNS = 80;

const ANSI_REGEXP =
  // deno-lint-ignore no-control-regex
  /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;
// C0, DEL, C1, bidi overrides/isolates, line/paragraph separators, BOM.
const CONTROL_REGEXP =
  // deno-lint-ignore no-control-regex
  /[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]/g;

/**
 * Removes ANSI escape sequences and control, bidi-override and separator
 * characters; line breaks and tabs become a space. Safe to print.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sanitizeText } from "./format.ts";
 * assert.equal(sanitizeText("a\x1b[31mb\x1b[0m\nc\x07"), "ab c");
 * ```
 */
export function sanitizeText(text: string): string {
  return text
    .replace(ANSI_REGEXP, "")
    .replace(/[\r\n\t]+/g, " ")
    .replace(CONTROL_REGEXP, "");
}

/**
 * Shortens text to at most `max` characters (code points), ending in `…`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { truncate } from "./format.ts";
 * assert.equal(truncate("abcdef", 4), "abc…");
 * ```
 */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return chars.slice(0, Math.max(0, max - 1)).join("") + "…";
}

/**
 * A fraction as a percentage with one decimal, or `-` for null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatPercent } from "./format.ts";
 * assert.equal(formatPercent(0.8125), "81.3%");
 * assert.equal(formatPercent(null), "-");
 * ```
 */
export function formatPercent(
  x: number | null | undefined,
  digits = 1,
): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "-";
  return `${(x * 100).toFixed(digits)}%`;
}

/**
 * A Wilson interval as `[lo, hi]` in percent, or `-` for null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCi } from "./format.ts";
 * assert.equal(formatCi([0.7222, 0.8749]), "[72.2, 87.5]");
 * ```
 */
export function formatCi(
  ci: readonly [number, number] | null | undefined,
): string {
  if (ci === null || ci === undefined) return "-";
  return `[${(ci[0] * 100).toFixed(1)}, ${(ci[1] * 100).toFixed(1)}]`;
}

/**
 * A Wilson interval as two bare percentages, e.g. `64.6-85.6`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compactCi } from "./format.ts";
 * assert.equal(compactCi([0.646, 0.856]), "64.6-85.6");
 * assert.equal(compactCi(null), "-");
 * ```
 */
export function compactCi(ci: readonly [number, number] | null): string {
  if (ci === null) return "-";
  return `${(ci[0] * 100).toFixed(1)}-${(ci[1] * 100).toFixed(1)}`;
}

/**
 * A difference of proportions in signed percentage points, one decimal, or
 * `-` for null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatPoints } from "./format.ts";
 * assert.equal(formatPoints(0.0456), "+4.6");
 * assert.equal(formatPoints(-0.1), "-10.0");
 * ```
 */
export function formatPoints(d: number | null): string {
  if (d === null) return "-";
  return `${d >= 0 ? "+" : ""}${(d * 100).toFixed(1)}`;
}

/**
 * A number with a fixed number of decimals, or `-` for null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatNumber } from "./format.ts";
 * assert.equal(formatNumber(12.345, 1), "12.3");
 * ```
 */
export function formatNumber(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "-";
  return x.toFixed(digits);
}

/**
 * A p-value: 3 significant digits, `<0.001` below that.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatP } from "./format.ts";
 * assert.equal(formatP(0.0026631), "0.00266");
 * assert.equal(formatP(1e-9), "<0.001");
 * ```
 */
export function formatP(p: number): string {
  if (p < 0.001) return "<0.001";
  return Number(p.toPrecision(3)).toString();
}

/**
 * Escapes text for HTML element content and quoted attribute values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeHtml } from "./format.ts";
 * assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * JSON safe to embed in a `<script>` element: `<`, `>`, `&` and the
 * U+2028/U+2029 separators become `\u` escapes, so data cannot close the tag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonForScript } from "./format.ts";
 * assert.equal(jsonForScript({ a: "</script>" }), '{"a":"\\u003c/script\\u003e"}');
 * ```
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/**
 * Escapes data text for a Markdown table cell or heading: control characters
 * removed, line breaks become spaces, and `\ | ` < > & [ ] *` are neutralised.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeMarkdown } from "./format.ts";
 * assert.equal(escapeMarkdown("a|b`<c>\nd"), "a\\|b\\`&lt;c&gt; d");
 * ```
 */
export function escapeMarkdown(text: string): string {
  return sanitizeText(text).replace(/[\\|`<>&[\]*]/g, (c) => {
    switch (c) {
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case "&":
        return "&amp;";
      default:
        return `\\${c}`;
    }
  });
}

/** A count column of the stats tables (console, Markdown, HTML). */
export type CountColumn =
  | "total"
  | "correct"
  | "wrong"
  | "unparsed"
  | "errors"
  | "skipped";

/** The stats tables' count columns and their headings, in order. */
export const COUNT_COLUMNS: ReadonlyArray<readonly [CountColumn, string]> = [
  ["total", "N"],
  ["correct", "Correct"],
  ["wrong", "Wrong"],
  ["unparsed", "Unparsed"],
  ["errors", "Errors"],
  ["skipped", "Skipped"],
];

/**
 * The count columns a stats table shows for these rows: Errors and Skipped
 * only when some row has one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shownCountColumns } from "./format.ts";
 * const row = { total: 2, correct: 1, wrong: 1, unparsed: 0, errors: 0, skipped: 0 };
 * assert.deepEqual(shownCountColumns([row]).map(([k]) => k), ["total", "correct", "wrong", "unparsed"]);
 * ```
 */
export function shownCountColumns(
  rows: ReadonlyArray<Readonly<Record<CountColumn, number>>>,
): Array<readonly [CountColumn, string]> {
  return COUNT_COLUMNS.filter(([k]) =>
    (k !== "errors" && k !== "skipped") || rows.some((g) => g[k] > 0)
  );
}
