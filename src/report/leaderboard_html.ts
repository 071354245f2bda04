// leaderboard.html: one self-contained page (report.html's stylesheet plus a
// few rules, inline SVG, a tiny sorting script, no network) that reads at
// 1400 px and at phone width; and the section report.html embeds.

import type { BoardModel, Leaderboard } from "./leaderboard.ts";
import { heatmapTable, scatterChart } from "./leaderboard_charts.ts";
import {
  escapeHtml as h,
  formatCi,
  formatNumber,
  formatP,
  formatPercent,
  formatPoints,
} from "./format.ts";
import { MOCK_NOTE, shownLabel } from "./leaderboard_text.ts";
import { pageStart, REPORT_CSS } from "./html_style.ts";

/** CSS the leaderboard adds to report.html's. */
export const LEADERBOARD_CSS = `
.scroll { max-width: 100%; overflow-x: auto; }
table.board td.grp { text-align: left; font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 600; }
table.board td.name { max-width: 300px; }
table.board td.ci, table.pairs td.ci, table.board td.date { white-space: nowrap; }
svg.scatter { width: 100%; max-width: 540px; }
svg.scatter .lbl { font-size: 14px; }
svg.scatter .tick { font-size: 13px; }
table.pairs td.name { min-width: 64px; overflow-wrap: break-word; }
table.board .dig { color: var(--muted); font-size: 11.5px; }
.mock { color: var(--warn); }
table.heat td { text-align: center; min-width: 44px; font-size: 12.5px; }
table.heat td.na { color: var(--muted); }
table.heat th.sort { cursor: pointer; font-size: 11.5px; max-width: 110px; overflow-wrap: anywhere; }
table.heat th.sort:hover { text-decoration: underline; }
svg .front { fill: none; stroke: var(--pred); stroke-width: 1.6; stroke-dasharray: 5 3; }
svg .pt { fill: var(--exp); stroke: var(--panel); stroke-width: 1.5; }
svg .pt.front-pt { fill: var(--pred); }
ul.warn { color: var(--warn); margin: 4px 0 8px; padding-left: 20px; }
@media (max-width: 640px) {
  header { padding: 14px 14px 10px; }
  main { padding: 10px 8px; }
  section { padding: 12px 10px; }
  table.board .opt, table.pairs .opt, table.board .dig { display: none; }
  th, td { padding: 3px 4px; }
  table.board, table.heat, table.pairs { font-size: 12.5px; }
  table.board td.name { min-width: 96px; max-width: 150px; overflow-wrap: break-word; }
  table.heat th.name { min-width: 84px; overflow-wrap: normal; }
  table.heat td { min-width: 34px; }
}
`;

const SORT_SCRIPT = `
document.querySelectorAll("table.sortable").forEach((t) => {
  t.querySelectorAll("th.sort").forEach((th) => th.addEventListener("click", () => {
    const col = Number(th.dataset.col), body = t.tBodies[0];
    const desc = th.dataset.dir !== "desc"; th.dataset.dir = desc ? "desc" : "asc";
    const key = (r) => col === 0 ? r.cells[0].textContent : Number(r.cells[col].dataset.v);
    [...body.rows].sort((a, b) => {
      const x = key(a), y = key(b);
      const c = typeof x === "string" ? x.localeCompare(y) : x - y;
      return col === 0 ? (desc ? c : -c) : (desc ? -c : c);
    }).forEach((r) => body.appendChild(r));
  }));
});
document.documentElement.dataset.ready = "1";
`;

function modelName(m: BoardModel): string {
  const extra = [
    m.quantization,
    m.digest ? m.digest.replace(/^sha256:/, "").slice(0, 7) : null,
  ].filter((x) => x !== null).join(" · ");
  return `${h(shownLabel(m))}${
    m.backend === "mock" ? ` <span class="mock">(mock)</span>` : ""
  }${extra ? ` <span class="dig">${h(extra)}</span>` : ""}`;
}

function boardTable(b: Leaderboard): string {
  const rows = b.models.map((m) =>
    `<tr><td>${m.rank}</td><td class="grp">${h(m.group)}</td><td class="name">${
      modelName(m)
    }</td><td class="acc">${formatPercent(m.accuracy)}</td><td class="ci">${
      formatCi(m.ci95)
    }</td><td class="opt">${
      formatPercent(m["macro_accuracy"])
    }</td><td class="opt">${m.scored}</td><td class="opt">${m.unparsed}</td><td class="opt">${m.errors}</td><td>${
      formatNumber(m["service_ms_per_question"])
    }</td><td class="opt">${
      formatNumber(m["tokens_per_second"], 1)
    }</td><td class="opt date">${h(m["started_at"].slice(0, 10))}</td></tr>`
  ).join("\n");
  return `<div class="scroll"><table class="board"><thead><tr><th>#</th><th>Group</th><th class="name">Model</th><th>Accuracy</th><th>95% CI</th><th class="opt">Macro</th><th class="opt">Scored</th><th class="opt">Unparsed</th><th class="opt">Errors</th><th title="model time per question, ms">ms/q</th><th class="opt">Tokens/s</th><th class="opt">Run date</th></tr></thead><tbody>\n${rows}\n</tbody></table></div>
<p class="muted">Group: rows sharing a letter are not significantly different (${
    h(b.test)
  }). ms/question: model time (prompt evaluation + generation) from the server's timings.</p>${
    b.models.some((m) => m.backend === "mock")
      ? `\n<p class="mock">${h(MOCK_NOTE)}</p>`
      : ""
  }`;
}

function pairsTable(b: Leaderboard): string {
  if (b.pairs.length === 0) return "";
  const rows = b.pairs.map((p) => {
    const ci = `${formatPoints(p["diff_ci95"]?.[0] ?? null)} to ${
      formatPoints(p["diff_ci95"]?.[1] ?? null)
    }`;
    const pv = p["p_value"] === null ? "-" : formatP(p["p_value"]);
    const ph = p["p_holm"] === null ? "-" : formatP(p["p_holm"]);
    return `<tr><td class="name">${h(p.a)}</td><td class="name">${
      h(p.b)
    }</td><td>${p.shared}</td><td class="opt">${
      p["a_only"]
    }</td><td class="opt">${p["b_only"]}</td><td>${
      formatPoints(p.diff)
    }</td><td class="ci">${ci}</td><td class="opt">${pv}</td><td${
      p.significant ? ' class="sig"' : ""
    }>${ph}</td></tr>`;
  }).join("\n");
  return `<details${
    b.pairs.length <= 6 ? " open" : ""
  }><summary>Every pair (${b.pairs.length}): paired difference in points on the questions both answered</summary><div class="scroll"><table class="pairs"><thead><tr><th class="name">A</th><th class="name">B</th><th>Shared</th><th class="opt">Only A right</th><th class="opt">Only B right</th><th>A − B</th><th>95% CI</th><th class="opt">p (exact)</th><th>p (Holm)</th></tr></thead><tbody>\n${rows}\n</tbody></table></div></details>`;
}

function notes(b: Leaderboard): string {
  const parts: string[] = [];
  if (b.warnings.length > 0) {
    parts.push(
      `<ul class="warn">${
        b.warnings.map((w) => `<li>${h(w)}</li>`).join("")
      }</ul>`,
    );
  }
  if (b.excluded.runs.length > 0) {
    parts.push(
      `<details><summary>Not ranked (${b.excluded.runs.length} runs)</summary><ul class="problems">${
        b.excluded.runs.map((e) =>
          `<li>${h(e.model)} <span class="mono">${h(e.run)}</span>: ${
            h(e.reason)
          }</li>`
        ).join("")
      }</ul></details>`,
    );
  }
  return parts.join("\n");
}

/** The ranked table, pairs and notes: the section report.html embeds. */
export function leaderboardSection(
  b: Leaderboard,
  title = "Leaderboard",
): string {
  return `<section id="leaderboard"><h2>${h(title)}</h2>${boardTable(b)}${
    pairsTable(b)
  }${notes(b)}</section>`;
}

/** Options of {@link renderLeaderboardHtml}. */
export interface LeaderboardHtmlOptions {
  /** Page title. @default "Leaderboard" */
  title?: string;
  /** Extra sections (already HTML) placed after the table. @default "" */
  extra?: string;
}

/** The whole self-contained leaderboard.html. */
export function renderLeaderboardHtml(
  b: Leaderboard,
  opts: LeaderboardHtmlOptions = {},
): string {
  const title = opts.title ?? "Leaderboard";
  const scatter = scatterChart(b.models);
  const hasCategories = b.models.some((m) => m.categories !== null);
  const heat = `<section><h2>Accuracy by ${
    hasCategories ? "category" : "subject"
  }</h2><p class="muted">Percent correct; hover a cell for n and its 95% interval; click a column head to sort.</p>${
    heatmapTable(b.models, hasCategories ? "categories" : "subjects")
  }${
    hasCategories
      ? `<details><summary>By subject</summary>${
        heatmapTable(b.models, "subjects")
      }</details>`
      : ""
  }</section>`;
  const speed = `<section><h2>Accuracy against model time</h2>${
    scatter === null
      ? `<p class="muted">No model timings in these runs (the server did not report them).</p>`
      : `<p class="muted">Mean model time per question (prompt evaluation + generation) against accuracy with its 95% interval. Filled points joined by the dashed line form the Pareto front: no other row is both faster and more accurate.</p><div class="scroll">${scatter}</div>`
  }</section>`;
  return `${
    pageStart(
      `llm-bench ${h(title.toLowerCase())}`,
      REPORT_CSS + LEADERBOARD_CSS,
    )
  }<header><h1>llm-bench ${
    h(title.toLowerCase())
  }</h1><p class="sub">${b.models.length} models · ${b.questions} questions · ranked by ${
    b.metric === "macro" ? "macro accuracy" : "accuracy"
  }</p></header>
<main>
${leaderboardSection(b, "Ranking")}
${opts.extra ?? ""}
${heat}
${speed}
</main>
<footer>Written by llm-bench. Self-contained: no network needed.</footer>
<script>${SORT_SCRIPT}</script>
</body>
</html>
`;
}
