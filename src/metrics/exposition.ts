// The Prometheus text 0.0.4 and OpenMetrics 1.0.0 exposition formats: content
// types, label and value spelling, and a small line writer that names
// counter families the way each format wants.

/** Content type of the Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_TEXT_CONTENT_TYPE =
  "text/plain; version=0.0.4; charset=utf-8";
/** Content type of the OpenMetrics 1.0.0 exposition format. */
export const OPENMETRICS_CONTENT_TYPE =
  "application/openmetrics-text; version=1.0.0; charset=utf-8";

/** Which exposition format to write. */
export type ExpositionFormat = "openmetrics" | "text";

/** Metric types used by llm-bench. */
export type MetricType = "counter" | "gauge" | "histogram";

/**
 * Escapes a label value for the Prometheus and OpenMetrics text formats:
 * backslash, double quote and line feed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeLabelValue } from "./exposition.ts";
 * assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
 * ```
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : "\\" + c);
}

/**
 * Formats a sample value: integers as integers, others with up to 9
 * significant digits, and the special values as the formats spell them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSampleValue } from "./exposition.ts";
 * assert.equal(formatSampleValue(3), "3");
 * assert.equal(formatSampleValue(0.1 + 0.2), "0.3");
 * assert.equal(formatSampleValue(Infinity), "+Inf");
 * ```
 */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(9)));
}

/**
 * Spells a histogram bucket bound with a decimal point, as the official
 * clients write `le` labels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatLe } from "./exposition.ts";
 * assert.equal(formatLe(5), "5.0");
 * assert.equal(formatLe(0.25), "0.25");
 * ```
 */
export function formatLe(le: number): string {
  return Number.isInteger(le) ? `${le}.0` : String(le);
}

/**
 * Collects exposition lines. Counter families are declared with their
 * `_total` name; OpenMetrics output drops that suffix from HELP/TYPE (the
 * samples keep it) and ends with `# EOF`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ExpositionWriter } from "./exposition.ts";
 * const w = new ExpositionWriter("openmetrics");
 * w.family("jobs_total", "counter", "Jobs done.");
 * w.sample("jobs_total", [["queue", "a"]], 2);
 * assert.equal(
 *   w.toString(),
 *   '# HELP jobs Jobs done.\n# TYPE jobs counter\njobs_total{queue="a"} 2\n# EOF\n',
 * );
 * ```
 */
export class ExpositionWriter {
  readonly #lines: string[] = [];
  constructor(readonly format: ExpositionFormat) {}

  /** Starts a metric family: its HELP and TYPE lines. */
  family(name: string, type: MetricType, help: string): void {
    const familyName = this.format === "openmetrics" && type === "counter"
      ? name.replace(/_total$/, "")
      : name;
    this.#lines.push(
      `# HELP ${familyName} ${help}`,
      `# TYPE ${familyName} ${type}`,
    );
  }

  /** One sample line; label values are escaped. */
  sample(name: string, labels: readonly [string, string][], v: number): void {
    const l = labels.length === 0
      ? ""
      : `{${
        labels.map(([k, val]) => `${k}="${escapeLabelValue(val)}"`).join(",")
      }}`;
    this.#lines.push(`${name}${l} ${formatSampleValue(v)}`);
  }

  /** The whole exposition, newline-terminated. */
  toString(): string {
    const lines = this.format === "openmetrics"
      ? [...this.#lines, "# EOF"]
      : this.#lines;
    return lines.join("\n") + "\n";
  }
}
