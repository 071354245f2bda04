// The leaderboard as terminal text (fitted to a width: columns are dropped
// from the least important up and the model name shortened) and as Markdown.

import type { BoardModel, Leaderboard } from "./leaderboard.ts";
import type { BoardPair } from "./leaderboard_pairs.ts";
import {
  compactCi,
  DEFAULT_COLUMNS,
  escapeMarkdown,
  formatCi,
  formatNumber,
  formatP,
  formatPercent,
  formatPoints,
  sanitizeText,
  truncate,
} from "./format.ts";

interface Column {
  head: string;
  /** Lower is dropped first when the table is too wide. */
  keep: number;
  left?: boolean;
  cell: (m: BoardModel) => string;
}

/** The note under a table with mock rows: their answers are simulated. */
export const MOCK_NOTE =
  "(mock): simulated answers from the built-in mock backend, not a model's score.";

/**
 * The row's label as shown: a mock row drops its "backend=mock" setting,
 * which the "(mock)" tag after the name says instead (and a cut name keeps).
 */
export function shownLabel(m: BoardModel): string {
  if (m.backend !== "mock") return m.label;
  return m.label.replace(/ \(backend=mock\)$/, "")
    .replace(/, backend=mock(?=[,)])/, "")
    .replace(/\(backend=mock, /, "(");
}

function modelCell(m: BoardModel): string {
  const quant = m.quantization;
  const q = quant && !m.label.toLowerCase().includes(quant.toLowerCase())
    ? ` ${quant}`
    : "";
  return sanitizeText(`${shownLabel(m)}${q}`) +
    (m.backend === "mock" ? MOCK_TAG : "");
}

const COLUMNS: Column[] = [
  { head: "#", keep: 10, cell: (m) => String(m.rank) },
  { head: "Grp", keep: 9, left: true, cell: (m) => m.group },
  { head: "Model", keep: 10, left: true, cell: modelCell },
  { head: "Acc", keep: 10, cell: (m) => formatPercent(m.accuracy) },
  { head: "95% CI", keep: 8, cell: (m) => compactCi(m.ci95) },
  { head: "Macro", keep: 3, cell: (m) => formatPercent(m["macro_accuracy"]) },
  { head: "N", keep: 7, cell: (m) => String(m.scored) },
  { head: "Unp", keep: 5, cell: (m) => String(m.unparsed) },
  { head: "Err", keep: 6, cell: (m) => String(m.errors) },
  {
    head: "ms/q",
    keep: 6,
    cell: (m) => formatNumber(m["service_ms_per_question"]),
  },
  {
    head: "tok/s",
    keep: 2,
    cell: (m) => formatNumber(m["tokens_per_second"], 1),
  },
  {
    head: "Date",
    keep: 1,
    left: true,
    cell: (m) => m["started_at"].slice(0, 10),
  },
];

const MIN_MODEL = 12;
const MOCK_TAG = " (mock)";

/** Cuts a cell to `width`, keeping a trailing "(mock)" tag whole. */
function fitCell(text: string, width: number): string {
  if ([...text].length <= width || !text.endsWith(MOCK_TAG)) {
    return truncate(text, width);
  }
  const name = text.slice(0, -MOCK_TAG.length);
  return truncate(name, Math.max(1, width - MOCK_TAG.length)) + MOCK_TAG;
}

/** Lays out rows of cells in columns separated by two spaces. */
function layout(cols: Column[], models: BoardModel[], width: number): string[] {
  const cells = models.map((m) => cols.map((c) => c.cell(m)));
  const widths = cols.map((c, k) =>
    Math.max([...c.head].length, ...cells.map((r) => [...r[k]!].length))
  );
  const modelAt = cols.findIndex((c) => c.head === "Model");
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (cols.length - 1);
  if (modelAt >= 0 && total() > width) {
    widths[modelAt] = Math.max(MIN_MODEL, widths[modelAt]! - (total() - width));
  }
  const line = (row: string[]) =>
    row.map((text, k) => {
      const t = fitCell(text, widths[k]!);
      const pad = " ".repeat(Math.max(0, widths[k]! - [...t].length));
      return cols[k]!.left ? t + pad : pad + t;
    }).join("  ").trimEnd();
  return [
    line(cols.map((c) => c.head)),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.map(line),
  ];
}

function fitColumns(models: BoardModel[], width: number): Column[] {
  // A column with no figure in any row says nothing.
  let cols = COLUMNS.filter((c) =>
    c.keep >= 10 || models.some((m) => c.cell(m) !== "-")
  );
  const need = (cs: Column[]) =>
    Math.max(...layout(cs, models, 10_000).map((l) => [...l].length));
  const slack = Math.max(...models.map((m) => [...modelCell(m)].length), 5) -
    MIN_MODEL;
  while (need(cols) > width) {
    const victim = cols.filter((c) =>
      c.keep < 10
    ).sort((a, b) => a.keep - b.keep)[0];
    if (victim === undefined) break;
    // Shorten the model name rather than drop an important column.
    if (need(cols) - width <= slack && victim.keep >= 3) break;
    cols = cols.filter((c) => c !== victim);
  }
  return cols;
}

function pairLine(p: BoardPair, pos: (label: string) => number): string {
  const verdict = p["p_holm"] === null
    ? "not tested"
    : p.significant
    ? "different"
    : "tie";
  const ci = p["diff_ci95"];
  return `#${pos(p.a)} vs #${pos(p.b)}: ${formatPoints(p.diff)} pts [${
    formatPoints(ci?.[0] ?? null)
  }, ${formatPoints(ci?.[1] ?? null)}] on ${p.shared}, Holm p ${
    p["p_holm"] === null ? "-" : formatP(p["p_holm"])
  } (${verdict})`;
}

/** Options of {@link renderLeaderboardText}. */
export interface LeaderboardTextOptions {
  /** Terminal columns. @default 80 */
  width?: number;
  /** Title line. @default "Leaderboard" */
  title?: string;
  /** Print the neighbouring pairs under the table. @default true */
  pairs?: boolean;
}

/** The leaderboard for a terminal, every line at most `width` characters. */
export function renderLeaderboardText(
  b: Leaderboard,
  opts: LeaderboardTextOptions = {},
): string {
  const width = Math.max(40, opts.width ?? DEFAULT_COLUMNS);
  const title = opts.title ?? "Leaderboard";
  const out = [
    `${title}: ${b.models.length} model${
      b.models.length === 1 ? "" : "s"
    }, ${b.questions} questions, ranked by ${
      b.metric === "macro" ? "macro accuracy" : "accuracy"
    }`,
    ...layout(fitColumns(b.models, width), b.models, width),
    "",
    "Grp: rows sharing a letter are not significantly different (exact McNemar,",
    "Holm-adjusted p < 0.05, on the questions both answered).",
  ];
  if (b.models.some((m) => m.backend === "mock")) {
    out.push(wrap(MOCK_NOTE, width, ""));
  }
  // Neighbours in the ranking: is each row really ahead of the next one?
  const pos = (label: string) =>
    b.models.findIndex((m) => m.label === label) + 1;
  const shown = opts.pairs === false
    ? []
    : b.pairs.filter((p) => pos(p.b) === pos(p.a) + 1);
  if (shown.length > 0) {
    out.push(
      b.pairs.length > shown.length
        ? `Neighbours (A - B, paired; all ${b.pairs.length} pairs in leaderboard.json):`
        : "A - B, paired:",
    );
    out.push(...shown.map((p) => wrap(pairLine(p, pos), width, "  ")));
  }
  for (const w of b.warnings) out.push(wrap(`warning: ${w}`, width, ""));
  if (b.excluded.runs.length > 0) {
    out.push(`Not ranked (${b.excluded.runs.length}):`);
    for (const e of b.excluded.runs.slice(0, 10)) {
      out.push(
        wrap(
          `${sanitizeText(e.model)} [${sanitizeText(e.run)}]: ${e.reason}`,
          width,
          "  ",
        ),
      );
    }
  }
  return out.join("\n") + "\n";
}

/** Word-wraps one line to `width`, continuation lines indented. */
function wrap(text: string, width: number, indent: string): string {
  const words = text.split(" ");
  const lines: string[] = [];
  let cur = indent;
  for (const w of words) {
    if (cur.trim() !== "" && [...cur].length + 1 + [...w].length > width) {
      lines.push(cur);
      cur = indent + "    " + w;
    } else cur = cur.trim() === "" ? indent + w : `${cur} ${w}`;
  }
  lines.push(cur);
  return lines.join("\n");
}

/** The leaderboard as Markdown (data text escaped). */
export function renderLeaderboardMarkdown(
  b: Leaderboard,
  title = "Leaderboard",
): string {
  const e = escapeMarkdown;
  const lines = [
    `# llm-bench ${title.toLowerCase()}`,
    "",
    `${b.models.length} models, ${b.questions} questions. Group: rows sharing a letter are not significantly different (${b.test}).`,
    "",
    "| Rank | Group | Model | Accuracy | 95% CI | Macro | Scored | Unparsed | Errors | Model ms/question | Tokens/s | Run | Date |",
    "| ---: | :--- | :--- | ---: | :--- | ---: | ---: | ---: | ---: | ---: | ---: | :--- | :--- |",
    ...b.models.map((m) =>
      `| ${m.rank} | ${m.group} | ${e(modelCell(m))}${
        m.digest
          ? ` \`${e(m.digest.replace(/^sha256:/, "").slice(0, 7))}\``
          : ""
      } | ${formatPercent(m.accuracy)} | ${formatCi(m.ci95)} | ${
        formatPercent(m["macro_accuracy"])
      } | ${m.scored} | ${m.unparsed} | ${m.errors} | ${
        formatNumber(m["service_ms_per_question"])
      } | ${formatNumber(m["tokens_per_second"], 1)} | ${e(m.run)} | ${
        m["started_at"].slice(0, 10)
      } |`
    ),
    "",
  ];
  if (b.models.some((m) => m.backend === "mock")) lines.push(MOCK_NOTE, "");
  if (b.pairs.length > 0) {
    lines.push(
      "## Pairs",
      "",
      "| A | B | Shared | A only right | B only right | A − B (pts) | 95% CI | p (exact) | p (Holm) | Significant |",
      "| :--- | :--- | ---: | ---: | ---: | ---: | :--- | ---: | ---: | :--- |",
      ...b.pairs.map((p) =>
        `| ${e(p.a)} | ${e(p.b)} | ${p.shared} | ${p["a_only"]} | ${
          p["b_only"]
        } | ${formatPoints(p.diff)} | ${
          formatPoints(p["diff_ci95"]?.[0] ?? null)
        } to ${formatPoints(p["diff_ci95"]?.[1] ?? null)} | ${
          p["p_value"] === null ? "-" : formatP(p["p_value"])
        } | ${p["p_holm"] === null ? "-" : formatP(p["p_holm"])} | ${
          p.significant ? "yes" : "no"
        } |`
      ),
      "",
    );
  }
  for (const w of b.warnings) lines.push(`- warning: ${e(w)}`);
  if (b.excluded.runs.length > 0) {
    lines.push("", "## Not ranked", "");
    for (const x of b.excluded.runs) {
      lines.push(`- ${e(x.model)} (run ${e(x.run)}): ${e(x.reason)}`);
    }
  }
  return lines.join("\n") + "\n";
}
