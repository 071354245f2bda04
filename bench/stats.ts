// Small numeric and table helpers of the performance benchmarks: medians
// over repeats and Markdown tables.

/**
 * Median of a list (mean of the two middle values for an even count); NaN when empty.
 *
 * @example
 * ```ts
 * import { median } from "./stats.ts";
 * median([3, 1, 2]); // 2
 * median([4, 1, 3, 2]); // 2.5
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Formats a number with `digits` decimals; "n/a" for NaN.
 *
 * @example
 * ```ts
 * import { fmt } from "./stats.ts";
 * fmt(0.123456, 3); // "0.123"
 * ```
 */
export function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "n/a";
}

/** Formats several values as `median (min–max)`. */
export function spread(values: readonly number[], digits = 2): string {
  if (values.length === 0) return "n/a";
  if (values.length === 1) return fmt(values[0]!, digits);
  return `${fmt(median(values), digits)} (${fmt(Math.min(...values), digits)}–${
    fmt(Math.max(...values), digits)
  })`;
}

/** A Markdown table. */
export interface Table {
  headers: string[];
  rows: string[][];
}

/**
 * Renders a Markdown table.
 *
 * @example
 * ```ts
 * import { renderTable } from "./stats.ts";
 * renderTable({ headers: ["a", "b"], rows: [["1", "2"]] });
 * // "| a | b |\n| --- | --- |\n| 1 | 2 |\n"
 * ```
 */
export function renderTable(t: Table): string {
  const line = (cells: string[]) =>
    `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |\n`;
  return line(t.headers) + line(t.headers.map(() => "---")) +
    t.rows.map(line).join("");
}
