// results.csv: the per-question results for spreadsheets. Dataset and model
// text is hostile here too: a cell starting with = + - @ (or a tab or CR) is
// prefixed with ' so no spreadsheet runs it as a formula.

import type { ResultRecord } from "../schema.ts";

/** Columns of results.csv, in order. */
export const CSV_COLUMNS = [
  "id",
  "subject",
  "status",
  "expected",
  "predicted",
  "method",
  "reason",
  "error_kind",
  "latency_ms",
  "prompt_tokens",
  "eval_tokens",
  "attempts",
  "repeat",
] as const;

const FORMULA_START_REGEXP = /^[=+\-@\t\r]/;
const NEEDS_QUOTES_REGEXP = /[",\r\n]/;

/**
 * One CSV cell (RFC 4180 quoting), with text that a spreadsheet would read
 * as a formula neutralised by a leading `'`. Numbers are written as they are.
 *
 * @example
 * ```ts
 * import { csvCell } from "./csv_export.ts";
 * csvCell("=HYPERLINK(1)"); // "'=HYPERLINK(1)"
 * csvCell('say "hi", then'); // '"say ""hi"", then"'
 * csvCell(-1.5); // "-1.5"
 * ```
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") {
    return Number.isFinite(value) ? String(value) : "";
  }
  let text = FORMULA_START_REGEXP.test(value) ? `'${value}` : value;
  if (NEEDS_QUOTES_REGEXP.test(text)) text = `"${text.replace(/"/g, '""')}"`;
  return text;
}

/** The header line of results.csv (with CRLF, as RFC 4180 has it). */
export function csvHeader(): string {
  return CSV_COLUMNS.join(",") + "\r\n";
}

/** One result as a results.csv line. */
export function csvLine(r: ResultRecord): string {
  return CSV_COLUMNS.map((c) => csvCell(r[c] as string | number | null)).join(
    ",",
  ) + "\r\n";
}
