// Console rendering of a Summary: an ASCII table per subject and overall,
// then latency, tokens, retries and failure lines. Data text is sanitised.

import type { Counts, GroupStats } from "../schema.ts";
import {
  formatCi,
  formatNumber,
  formatPercent,
  sanitizeText,
  truncate,
} from "./format.ts";
import { cacheNote, type Summary } from "./summary.ts";

/** Longest subject name shown before it is cut with `…`. */
const MAX_NAME = 48;

const HEADERS = [
  "Subject",
  "N",
  "Correct",
  "Wrong",
  "Unparsed",
  "Errors",
  "Skipped",
  "Accuracy",
  "95% CI",
] as const;

function row(name: string, g: GroupStats): string[] {
  return [
    truncate(sanitizeText(name), MAX_NAME),
    String(g.total),
    String(g.correct),
    String(g.wrong),
    String(g.unparsed),
    String(g.errors),
    String(g.skipped),
    formatPercent(g.accuracy),
    formatCi(g.ci95),
  ];
}

function width(s: string): number {
  return [...s].length;
}

/**
 * Renders rows as an ASCII table (`+---+` borders); the first column is left
 * aligned, the others right aligned. `breakBefore` lists row indexes that get
 * a rule above them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { asciiTable } from "./text.ts";
 * assert.equal(asciiTable(["a", "n"], [["x", "10"]]), "+---+----+\n| a |  n |\n+---+----+\n| x | 10 |\n+---+----+");
 * ```
 */
export function asciiTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  breakBefore: readonly number[] = [],
): string {
  const widths = headers.map((h, i) =>
    Math.max(width(h), ...rows.map((r) => width(r[i] ?? "")))
  );
  const rule = "+" + widths.map((w) => "-".repeat(w + 2)).join("+") + "+";
  const line = (cells: readonly string[]) =>
    "| " +
    widths.map((w, i) => {
      const cell = cells[i] ?? "";
      const pad = " ".repeat(w - width(cell));
      return i === 0 ? cell + pad : pad + cell;
    }).join(" | ") +
    " |";
  const out = [rule, line(headers), rule];
  rows.forEach((r, i) => {
    if (breakBefore.includes(i)) out.push(rule);
    out.push(line(r));
  });
  out.push(rule);
  return out.join("\n");
}

function formatCounts(map: Record<string, number>): string {
  return Object.entries(map)
    .map(([k, n]) => `${truncate(sanitizeText(k), 60)} ${n}`)
    .join(", ");
}

function overallStats(s: Summary): GroupStats {
  const c: Counts = s.counts;
  return { ...c, accuracy: s.accuracy, ci95: s["accuracy_ci95"] };
}

/**
 * The console report of a run: a header line, the per-subject table with an
 * `Overall` row, MMLU categories when present, then latency, tokens,
 * retries, errors and unparsed-answer lines. Plain ASCII borders; all data
 * text is stripped of control and escape characters.
 */
export function renderSummaryText(s: Summary): string {
  const clean = (t: string) => sanitizeText(t);
  const lines: string[] = [];
  lines.push(
    `Model ${clean(s.model)} | run ${clean(s["run_id"])} | mode ${
      clean(s.mode)
    } | backend ${clean(s.backend)}${s.complete ? "" : " | INCOMPLETE"}`,
  );
  const subjects = Object.entries(s.subjects);
  const rows = subjects.map(([name, g]) => row(name, g));
  rows.push(row("Overall", overallStats(s)));
  lines.push(asciiTable(HEADERS, rows, [subjects.length]));

  if (s.categories !== null) {
    const catRows = Object.entries(s.categories).map(([name, g]) =>
      row(name, g)
    );
    lines.push(asciiTable(["Category", ...HEADERS.slice(1)], catRows));
  }

  lines.push(
    `Accuracy ${formatPercent(s.accuracy)} ${formatCi(s["accuracy_ci95"])}` +
      ` over ${s.counts.correct + s.counts.wrong + s.counts.unparsed} scored` +
      ` (macro over subjects ${formatPercent(s["accuracy_macro"])})`,
  );
  const lat = s["latency_ms"];
  lines.push(
    lat === null
      ? `Latency: no ${
        (s["cached_answers"] ?? 0) > 0 ? "live" : "answered"
      } questions`
      : `Latency ms: mean ${formatNumber(lat.mean)}, p50 ${
        formatNumber(lat.p50)
      }, p90 ${formatNumber(lat.p90)}, p99 ${formatNumber(lat.p99)}, max ${
        formatNumber(lat.max)
      } (n=${lat.count})`,
  );
  const svc = s["service_ms"] ?? null;
  if (svc !== null) {
    lines.push(
      `Model time ms (prompt eval + generation, no queueing): mean ${
        formatNumber(svc.mean)
      }, p50 ${formatNumber(svc.p50)}, p90 ${formatNumber(svc.p90)}, max ${
        formatNumber(svc.max)
      }`,
    );
  }
  lines.push(
    `Tokens: prompt ${s["prompt_tokens"]}, generated ${s["eval_tokens"]}, ` +
      `${formatNumber(s["tokens_per_second"], 1)} tokens/s`,
  );
  const fromCache = cacheNote(s);
  if (fromCache !== null) lines.push(fromCache);
  let timing = `Retries: ${s.retries}`;
  if (s["wall_time_s"] !== null) {
    timing += ` | wall time ${formatNumber(s["wall_time_s"], 1)} s`;
  }
  lines.push(timing);
  if (Object.keys(s["errors_by_kind"]).length > 0) {
    lines.push(`Errors by kind: ${formatCounts(s["errors_by_kind"])}`);
  }
  if (Object.keys(s["unparsed_by_reason"]).length > 0) {
    lines.push(`Unparsed by reason: ${formatCounts(s["unparsed_by_reason"])}`);
  }
  if (s.calibration !== null) {
    lines.push(
      `Calibration: Brier ${formatNumber(s.calibration.brier, 3)}, ECE ${
        formatNumber(s.calibration.ece, 3)
      } (n=${s.calibration.n})`,
    );
  }
  if (s.repeats !== null) {
    lines.push(
      `Repeats: ${s.repeats.runs} runs, ${s.repeats.consistent}/${s.repeats.questions} questions consistent (${
        formatPercent(s.repeats.consistency)
      })`,
    );
  }
  if (s.endpoints !== null) {
    for (const [url, ep] of Object.entries(s.endpoints)) {
      lines.push(
        `Endpoint ${
          clean(url)
        }: ${ep.requests} requests, ${ep.errors} errors, mean ${
          formatNumber(ep["latency_ms_mean"])
        } ms`,
      );
    }
  }
  const problems = s.dataset.problems.length;
  if (problems > 0) {
    lines.push(`Dataset problems: ${problems} (see summary.json)`);
  }
  return lines.join("\n") + "\n";
}
