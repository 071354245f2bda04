// Console rendering of a Summary: an ASCII table per subject and overall,
// then latency, tokens, retries and failure lines. Data text is sanitised.

import type { Counts, GroupStats } from "../schema.ts";
import {
  compactCi,
  DEFAULT_COLUMNS,
  formatNumber,
  formatPercent,
  sanitizeText,
  shownCountColumns,
  truncate,
} from "./format.ts";
import { scoredCount } from "../stats.ts";
import { cacheNote, type Summary } from "./summary.ts";

/** Narrowest first column before Correct and Wrong are dropped instead. */
const MIN_NAME = 20;

function tableWidth(widths: readonly number[]): number {
  return widths.reduce((a, w) => a + w + 3, 1);
}

/**
 * Subject (or category) table fitted to `columns`: Errors and Skipped appear
 * only when some row has one; names are cut with `…` before Correct and Wrong
 * are dropped (N, accuracy and the interval always stay).
 */
export function statsTable(
  first: string,
  named: ReadonlyArray<[string, GroupStats]>,
  columns: number,
  breakBefore: readonly number[] = [],
): string {
  let keys = shownCountColumns(named.map(([, g]) => g));
  const cells = (ks: typeof keys, [, g]: [string, GroupStats]) => [
    ...ks.map(([k]) => String(g[k])),
    formatPercent(g.accuracy),
    compactCi(g.ci95),
  ];
  const restWidths = (ks: typeof keys) =>
    [...ks.map(([, h]) => h), "Accuracy", "95% CI"].map((h, i) =>
      Math.max(width(h), ...named.map((r) => width(cells(ks, r)[i]!)))
    );
  const nameRoom = (ks: typeof keys) =>
    columns - tableWidth([0, ...restWidths(ks)]);
  if (nameRoom(keys) < MIN_NAME) {
    keys = keys.filter(([k]) => k !== "correct" && k !== "wrong");
  }
  const room = Math.max(8, nameRoom(keys));
  const rows = named.map((r) => [
    truncate(sanitizeText(r[0]), room),
    ...cells(keys, r),
  ]);
  return asciiTable(
    [first, ...keys.map(([, h]) => h), "Accuracy", "95% CI"],
    rows,
    breakBefore,
  );
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

/** Options for {@link renderSummaryText}. */
export interface SummaryTextOptions {
  /** Terminal width to fit. @default 80 */
  columns?: number;
}

/** Words joined with `sep`, starting a new line where the next would pass `columns`. */
function fitLine(
  parts: readonly string[],
  columns: number,
  sep = " | ",
): string {
  const lines: string[] = [];
  let cur = "";
  for (const p of parts) {
    if (cur !== "" && width(cur) + sep.length + width(p) > columns) {
      lines.push(cur);
      cur = p;
    } else cur = cur === "" ? p : cur + sep + p;
  }
  if (cur !== "") lines.push(cur);
  return lines.join("\n");
}

function headerLine(s: Summary, columns: number): string {
  const clean = (t: string) => sanitizeText(t);
  const model = s.backend === "mock"
    ? `Model ${clean(s.model)} (mock: simulated answers)`
    : `Model ${clean(s.model)}`;
  return fitLine(
    [
      model,
      `run ${clean(s["run_id"])}`,
      `mode ${clean(s.mode)}`,
      `backend ${clean(s.backend)}`,
      ...(s.complete ? [] : ["INCOMPLETE"]),
    ],
    columns,
  );
}

/** An interrupted run: how much of the plan has results and which subjects were never asked. */
function plannedLine(s: Summary, columns: number): string | null {
  if (s.complete || s.planned === undefined) return null;
  const notAsked = Object.keys(s.planned.subjects).filter((name) =>
    (s.subjects[name]?.total ?? 0) === 0
  );
  const head =
    `Incomplete: ${s.counts.total} of ${s.planned.questions} planned; ${notAsked.length} subject${
      notAsked.length === 1 ? "" : "s"
    } not asked${notAsked.length > 0 ? ":" : ""}`;
  return fitLine(
    [
      head,
      ...notAsked.map((n, i) =>
        sanitizeText(n) + (i < notAsked.length - 1 ? "," : "")
      ),
    ],
    columns,
    " ",
  );
}

function timingLines(s: Summary, columns: number): string[] {
  const lines: string[] = [];
  const lat = s["latency_ms"];
  lines.push(
    lat === null
      ? `Latency: no ${
        (s["cached_answers"] ?? 0) > 0 ? "live" : "answered"
      } questions`
      : fitLine(
        [
          `Latency ms: mean ${formatNumber(lat.mean)}`,
          `p50 ${formatNumber(lat.p50)}`,
          `p90 ${formatNumber(lat.p90)}`,
          `p99 ${formatNumber(lat.p99)}`,
          `max ${formatNumber(lat.max)} (n=${lat.count})`,
        ],
        columns,
        ", ",
      ),
  );
  const svc = s["service_ms"] ?? null;
  if (svc !== null) {
    lines.push(fitLine(
      [
        `Model time ms: mean ${formatNumber(svc.mean)}`,
        `p50 ${formatNumber(svc.p50)}`,
        `p90 ${formatNumber(svc.p90)}`,
        `max ${formatNumber(svc.max)} (prompt eval + generation)`,
      ],
      columns,
      ", ",
    ));
  }
  lines.push(fitLine(
    [
      `Tokens: prompt ${s["prompt_tokens"]}`,
      `generated ${s["eval_tokens"]}`,
      `${formatNumber(s["tokens_per_second"], 1)} tokens/s`,
    ],
    columns,
    ", ",
  ));
  const fromCache = cacheNote(s);
  if (fromCache !== null) lines.push(fromCache);
  lines.push(fitLine([
    `Retries: ${s.retries}`,
    ...(s["wall_time_s"] === null
      ? []
      : [`wall time ${formatNumber(s["wall_time_s"], 1)} s`]),
  ], columns));
  return lines;
}

function extraLines(s: Summary, columns: number): string[] {
  const lines: string[] = [];
  if (Object.keys(s["errors_by_kind"]).length > 0) {
    lines.push(fitLine(
      ["Errors by kind:", formatCounts(s["errors_by_kind"])],
      columns,
      " ",
    ));
  }
  if (Object.keys(s["unparsed_by_reason"]).length > 0) {
    lines.push(fitLine(
      ["Unparsed by reason:", formatCounts(s["unparsed_by_reason"])],
      columns,
      " ",
    ));
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
      `Repeats: ${s.repeats.runs} runs, ${s.repeats.consistent}/${s.repeats.questions} consistent (${
        formatPercent(s.repeats.consistency)
      })`,
    );
  }
  for (const [url, ep] of Object.entries(s.endpoints ?? {})) {
    lines.push(fitLine(
      [
        `Endpoint ${sanitizeText(url)}:`,
        `${ep.requests} requests, ${ep.errors} errors,`,
        `mean ${formatNumber(ep["latency_ms_mean"])} ms`,
      ],
      columns,
      " ",
    ));
  }
  const problems = s.dataset.problems.length;
  if (problems > 0) {
    lines.push(`Dataset problems: ${problems} (see summary.json)`);
  }
  return lines;
}

/**
 * The console report of a run, fitted to `columns` (80 by default): a header
 * line, the per-subject table with an `Overall` row, MMLU categories when
 * present, then accuracy, latency, tokens, retries, errors and
 * unparsed-answer lines. Plain ASCII; data text is stripped of control and
 * escape characters.
 */
export function renderSummaryText(
  s: Summary,
  options: SummaryTextOptions = {},
): string {
  const columns = Math.max(40, options.columns ?? DEFAULT_COLUMNS);
  const lines = [headerLine(s, columns)];
  const planned = plannedLine(s, columns);
  if (planned !== null) lines.push(planned);
  const subjects = Object.entries(s.subjects);
  lines.push(statsTable(
    "Subject",
    [...subjects, ["Overall", overallStats(s)]],
    columns,
    [subjects.length],
  ));
  if (s.categories !== null) {
    lines.push(statsTable("Category", Object.entries(s.categories), columns));
  }
  lines.push(fitLine(
    [
      `Accuracy ${formatPercent(s.accuracy)} [${
        compactCi(s["accuracy_ci95"])
      }]`,
      `over ${scoredCount(s.counts)} scored`,
      `(macro over subjects ${formatPercent(s["accuracy_macro"])})`,
    ],
    columns,
    " ",
  ));
  lines.push(...timingLines(s, columns), ...extraLines(s, columns));
  return lines.join("\n") + "\n";
}
