// report.html: one self-contained page (inline CSS, server-side SVG, a tiny
// inline script, no network) for one run or a side-by-side comparison of
// several. Every piece of data text is HTML-escaped.

import type { GroupStats } from "../schema.ts";
import {
  accuracyChart,
  type AccuracyGroup,
  breakable,
  histogramChart,
  letterShareChart,
} from "./charts.ts";
import { comparePaired } from "./compare.ts";
import type { FailureSample, ReportDetails } from "./details.ts";
import {
  type CountColumn,
  escapeHtml as h,
  formatCi,
  formatNumber,
  formatP,
  formatPercent,
  formatPoints,
  jsonForScript,
  shownCountColumns,
  truncate,
} from "./format.ts";
import { pageStart, REPORT_CSS } from "./html_style.ts";
import { scoredCount } from "../stats.ts";
import { cacheNote, type Summary } from "./summary.ts";

/** Colours given to runs, in order. */
export const RUN_COLORS = [
  "#2563eb",
  "#ea580c",
  "#16a34a",
  "#9333ea",
  "#db2777",
  "#0891b2",
] as const;

/** Dataset problems listed before "and N more". */
const MAX_PROBLEMS = 200;

function color(i: number): string {
  return RUN_COLORS[i % RUN_COLORS.length]!;
}

function runLabel(s: Summary, all: readonly Summary[]): string {
  const sameModel = all.filter((x) => x.model === s.model).length > 1;
  return sameModel ? `${s.model} (${s["run_id"]})` : s.model;
}

function chanceLevel(s: Summary): number | null {
  const k = Object.keys(s.letters.expected).length;
  return k >= 2 ? 1 / k : null;
}

/** One tile; `valueHtml` is already escaped. */
function card(label: string, valueHtml: string, noteHtml = ""): string {
  return `<div class="card"><div class="card-label" title="${h(label)}">${
    h(label)
  }</div><div class="card-value">${valueHtml}</div>${
    noteHtml === "" ? "" : `<div class="card-note">${noteHtml}</div>`
  }</div>`;
}

const nowrap = (text: string) => `<span class="nowrap">${h(text)}</span>`;

function scoredCard(s: Summary): string {
  const c = s.counts;
  const scored = scoredCount(c);
  const planned = s.planned?.questions;
  const of = planned !== undefined && planned > c.total
    ? `of ${planned} planned`
    : `of ${c.total}`;
  return card(
    "Scored",
    `${scored} <small>${h(of)}</small>`,
    `${nowrap(`${c.correct} correct,`)} ${nowrap(`${c.wrong} wrong`)}`,
  );
}

function latencyCard(s: Summary): string {
  const lat = s["latency_ms"];
  if (lat === null) return card("Latency p50", "-");
  return card(
    "Latency p50",
    h(`${formatNumber(lat.p50)} ms`),
    `${nowrap(`p90 ${formatNumber(lat.p90)} ms,`)} ${
      nowrap(`max ${formatNumber(lat.max)} ms`)
    }`,
  );
}

function cards(s: Summary): string {
  const c = s.counts;
  const wall = s["wall_time_s"];
  return `<div class="cards">${
    [
      card(
        "Accuracy",
        h(formatPercent(s.accuracy)),
        nowrap(`95% CI ${formatCi(s["accuracy_ci95"])}`),
      ),
      card(
        "Macro accuracy",
        h(formatPercent(s["accuracy_macro"])),
        "mean over subjects",
      ),
      scoredCard(s),
      card("Unparsed", String(c.unparsed), "counted as wrong"),
      card("Errors", String(c.errors), h(`${c.skipped} skipped rows`)),
      latencyCard(s),
      card(
        "Tokens/s",
        h(formatNumber(s["tokens_per_second"], 1)),
        `${nowrap(`${s["eval_tokens"]} generated,`)} ${
          nowrap(`${s["prompt_tokens"]} prompt`)
        }`,
      ),
      card(
        "Retries",
        String(s.retries),
        wall === null ? "" : h(`wall time ${formatNumber(wall, 1)} s`),
      ),
    ].join("")
  }</div>`;
}

/** An interrupted run: what was planned, what has results, which subjects were never asked. */
function incompleteNote(s: Summary): string {
  if (s.complete) return "";
  const planned = s.planned;
  if (planned === undefined) {
    return `<p class="not-asked">Incomplete run: some questions have no result yet (resume it with --resume).</p>`;
  }
  const notAsked = Object.keys(planned.subjects).filter((name) =>
    (s.subjects[name]?.total ?? 0) === 0
  );
  const list = notAsked.length === 0
    ? ""
    : ` Not asked: ${notAsked.map((n) => h(n)).join(", ")}.`;
  return `<p class="not-asked">Incomplete run: ${s.counts.total} of ${planned.questions} planned questions have results; ${notAsked.length} subject${
    notAsked.length === 1 ? "" : "s"
  } not asked.${list} Resume it with --resume.</p>`;
}

function statsRow(
  name: string,
  g: GroupStats,
  columns: readonly CountColumn[],
  strong = false,
): string {
  const tag = strong ? "th" : "td";
  return `<tr${strong ? ' class="total"' : ""}><${tag} class="name">${
    breakable(name)
  }</${tag}><td class="acc">${
    formatPercent(g.accuracy)
  }</td><td class="ci nowrap">${formatCi(g.ci95)}</td>${
    columns.map((c) => `<td>${g[c]}</td>`).join("")
  }</tr>`;
}

/**
 * A stats table: name, accuracy and interval first (what a phone shows
 * without scrolling), then the counts.
 */
function statsTable(
  first: string,
  rows: Array<[string, GroupStats]>,
  total: GroupStats | null,
): string {
  const all = total === null ? rows.map(([, g]) => g) : [total];
  const shown = shownCountColumns(all);
  const columns = shown.map(([c]) => c);
  return `<div class="tablewrap"><table class="stats"><thead><tr><th class="name">${
    h(first)
  }</th><th>Accuracy</th><th>95% CI</th>${
    shown.map(([, heading]) => `<th>${heading}</th>`).join("")
  }</tr></thead><tbody>${
    rows.map(([n, g]) => statsRow(n, g, columns)).join("")
  }${
    total === null ? "" : statsRow("Overall", total, columns, true)
  }</tbody></table></div>`;
}

function overall(s: Summary): GroupStats {
  return { ...s.counts, accuracy: s.accuracy, ci95: s["accuracy_ci95"] };
}

function letterMatrix(s: Summary): string {
  const { matrix } = s.letters;
  const expected = Object.keys(matrix).sort();
  if (expected.length === 0) return `<p class="muted">No scored questions.</p>`;
  const predictedSet = new Set<string>();
  for (const row of Object.values(matrix)) {
    for (const p of Object.keys(row)) predictedSet.add(p);
  }
  const cols = [...predictedSet].filter((p) => p !== "none").sort();
  if (predictedSet.has("none")) cols.push("none");
  const body = expected.map((e) => {
    const row = matrix[e] ?? {};
    const total = Object.values(row).reduce((a, b) => a + b, 0);
    const cells = cols.map((p) => {
      const n = row[p] ?? 0;
      const share = total === 0 ? 0 : n / total;
      const cls = p === e ? "hit" : "miss";
      const alpha = n === 0 ? 0 : 0.12 + 0.88 * share;
      return `<td class="${cls}" style="--a:${
        alpha.toFixed(3)
      }" title="expected ${h(e)}, predicted ${h(p)}: ${n} (${
        formatPercent(share)
      })">${n === 0 ? "" : n}</td>`;
    }).join("");
    return `<tr><th>${
      h(e)
    }</th>${cells}<td class="rowtotal">${total}</td><td class="rowtotal">${
      formatPercent(total === 0 ? null : (row[e] ?? 0) / total)
    }</td></tr>`;
  }).join("");
  return `<table class="matrix"><thead><tr><th class="corner">expected ↓ predicted →</th>${
    cols.map((p) => `<th>${h(p)}</th>`).join("")
  }<th>N</th><th>recall</th></tr></thead><tbody>${body}</tbody></table>`;
}

function countsTable(title: string, map: Record<string, number>): string {
  const entries = Object.entries(map).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return "";
  return `<table class="kv"><thead><tr><th>${
    h(title)
  }</th><th>N</th></tr></thead><tbody>${
    entries.map(([k, n]) => `<tr><td>${h(k)}</td><td>${n}</td></tr>`).join("")
  }</tbody></table>`;
}

/** Short and full forms of a long text: a one-line summary that opens to the whole. */
function expandable(text: string, short: string): string {
  return `<details><summary>${h(short || "(empty)")}</summary><pre>${
    h(text)
  }</pre></details>`;
}

/** The question itself: the last paragraph of what was asked (few-shot examples come first). */
function questionCell(f: FailureSample): string {
  const id = `<div class="mono">${h(f.id)}${
    f.repeat > 0 ? ` #${f.repeat}` : ""
  }</div>`;
  if (f.question === null) return id;
  const blocks = f.question.trim().split(/\n\s*\n/);
  const last = blocks[blocks.length - 1] ?? "";
  return `${id}${
    expandable(f.question, truncate(last.replace(/\s+/g, " ").trim(), 140))
  }`;
}

function failureRow(f: FailureSample): string {
  const raw = f.raw === null
    ? `<span class="muted">no output</span>`
    : expandable(
      `${f.raw}${f.rawTruncated ? "\n… (cut)" : ""}`,
      truncate(f.raw.replace(/\s+/g, " ").trim(), 90),
    );
  // data-label names each cell where phones stack the row (no table head).
  return `<tr class="failure"><td class="question">${
    questionCell(f)
  }</td><td data-label="Subject">${
    breakable(f.subject)
  }</td><td><span class="status st-${h(f.status)}">${
    h(f.status)
  }</span></td><td class="reason">${
    h([f.errorKind, f.reason].filter((x) => x !== null).join(": "))
  }</td><td class="mono" data-label="Exp.">${
    h(f.expected ?? "-")
  }</td><td class="mono" data-label="Pred.">${
    h(f.predicted ?? "-")
  }</td><td class="raw" data-label="Raw answer">${raw}</td></tr>`;
}

function failuresSection(d: ReportDetails | undefined): string {
  if (d === undefined) return "";
  if (d.failuresTotal === 0) {
    return `<p class="muted">No errors, unparsed answers or skipped rows.</p>`;
  }
  const shown = d.failures.length;
  return `<p class="muted">${
    shown < d.failuresTotal
      ? `Showing the first ${shown} of ${d.failuresTotal} in dataset order.`
      : `${d.failuresTotal} in dataset order.`
  } <input class="filter" type="search" placeholder="filter…" aria-label="filter failures"></p><div class="tablewrap"><table class="failures"><thead><tr><th>Question</th><th>Subject</th><th>Status</th><th>Reason</th><th>Exp.</th><th>Pred.</th><th>Raw answer</th></tr></thead><tbody>${
    d.failures.map(failureRow).join("")
  }</tbody></table></div>`;
}

function identity(s: Summary): string {
  const info = s["model_info"];
  const items: Array<[string, string]> = [
    ["Model", s.model],
    ["Run id", s["run_id"]],
    ["Backend", s.backend],
    ["Mode", s.mode],
    ["Family", info?.family ?? "-"],
    ["Parameters", info?.["parameter_size"] ?? "-"],
    ["Quantization", info?.quantization ?? "-"],
    ["Digest", info?.digest ?? "-"],
    ["Capabilities", info === null ? "-" : info.capabilities.join(", ") || "-"],
    ["Context length", info?.["context_length"]?.toString() ?? "-"],
    ["Server version", info?.["server_version"] ?? "-"],
    ["Started", s["started_at"]],
    ["Finished", s["finished_at"] ?? "-"],
    ["Tool", `${s.tool.name} ${s.tool.version}`],
  ];
  return `<dl class="ident">${
    items.map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join("")
  }</dl><details open><summary>Configuration</summary><pre>${
    h(JSON.stringify(s.config, null, 2))
  }</pre></details>`;
}

function datasetSection(s: Summary): string {
  const files = s.dataset.files.map((f) =>
    `<tr><td class="mono">${
      h(f.file)
    }</td><td>${f.rows}</td><td class="mono" title="${h(f.sha256)}">${
      h(f.sha256.slice(0, 16))
    }…</td></tr>`
  ).join("");
  const problems = s.dataset.problems;
  const shown = problems.slice(0, MAX_PROBLEMS);
  return `<div class="tablewrap"><table class="kv"><thead><tr><th>File</th><th>Rows</th><th>sha256</th></tr></thead><tbody>${files}</tbody></table></div>${
    problems.length === 0
      ? `<p class="muted">No dataset problems.</p>`
      : `<h4>Problems (${problems.length})</h4><ul class="problems">${
        shown.map((p) => `<li>${h(p)}</li>`).join("")
      }${
        problems.length > shown.length
          ? `<li class="muted">… and ${
            problems.length - shown.length
          } more</li>`
          : ""
      }</ul>`
  }`;
}

function subjectGroups(s: Summary, c: string): AccuracyGroup[] {
  const groups: AccuracyGroup[] = Object.entries(s.subjects).map((
    [name, g],
  ) => ({
    label: name,
    bars: [{
      accuracy: g.accuracy,
      ci: g.ci95,
      color: c,
      title: `${name}: ${formatPercent(g.accuracy)} ${formatCi(g.ci95)}, n=${
        scoredCount(g)
      }`,
    }],
  }));
  groups.push({
    label: "Overall",
    strong: true,
    bars: [{
      accuracy: s.accuracy,
      ci: s["accuracy_ci95"],
      color: c,
      title: `Overall: ${formatPercent(s.accuracy)} ${
        formatCi(s["accuracy_ci95"])
      }`,
    }],
  });
  return groups;
}

/** A model name with "(note)" added for the mock backend, whose answers are simulated. */
function mockLabel(s: Summary, note: string): string {
  return s.backend === "mock" ? `${s.model} (${note})` : s.model;
}

function runHeader(s: Summary, all: readonly Summary[]): string {
  return `<h2><span class="swatch"></span>${
    h(runLabel(s, all))
  } <span class="badge">${h(s["run_id"])}</span>${
    s.backend === "mock"
      ? ` <span class="badge warn">mock: simulated answers</span>`
      : ""
  }${s.complete ? "" : ` <span class="badge warn">incomplete</span>`}</h2>
${incompleteNote(s)}
${cards(s)}`;
}

function accuracySection(s: Summary, c: string): string {
  return `<h3>Accuracy by subject</h3>
<p class="muted">Bars: accuracy over scored questions (unparsed count as wrong). Whiskers: Wilson 95% interval.${
    chanceLevel(s) === null ? "" : " Dashed line: chance."
  }</p>
${accuracyChart(subjectGroups(s, c), { chance: chanceLevel(s) })}
${
    s.categories === null
      ? ""
      : `<h3>MMLU categories</h3>${
        statsTable("Category", Object.entries(s.categories), null)
      }`
  }
<h3>Subjects</h3>
${statsTable("Subject", Object.entries(s.subjects), overall(s))}`;
}

function latencyBlock(s: Summary, d: ReportDetails | undefined, c: string) {
  const hist = d?.latencyHistogram ?? null;
  const lat = s["latency_ms"];
  const marks = lat === null ? [] : [
    { label: "p50", ms: lat.p50 },
    { label: "p90", ms: lat.p90 },
    { label: "p99", ms: lat.p99 },
  ];
  return `<div><h3>Latency</h3>${
    hist === null
      ? `<p class="muted">No latency data.</p>`
      : histogramChart(hist, c, marks)
  }${
    lat === null
      ? ""
      : `<p class="muted">mean ${formatNumber(lat.mean)} ms · p50 ${
        formatNumber(lat.p50)
      } · p90 ${formatNumber(lat.p90)} · p99 ${formatNumber(lat.p99)} · max ${
        formatNumber(lat.max)
      } ms · ${formatNumber(s["tokens_per_second"], 1)} tokens/s</p>`
  }${
    cacheNote(s) === null ? "" : `<p class="muted">${h(cacheNote(s)!)}</p>`
  }</div>`;
}

function lettersSection(s: Summary): string {
  return `<div><h3>Answer letters</h3>${
    letterShareChart(s.letters.expected, s.letters.predicted)
  }</div>
</div>
<h3>Predicted vs expected letter</h3>
<p class="muted">Rows: correct letter. Green: right answers; red: where wrong answers went. A heavy column shows position bias.</p>
<div class="tablewrap">${letterMatrix(s)}</div>`;
}

function endpointsTable(eps: NonNullable<Summary["endpoints"]>): string {
  return `<h3>Endpoints</h3><div class="tablewrap"><table class="kv"><thead><tr><th>Endpoint</th><th>Requests</th><th>Errors</th><th>Mean latency</th></tr></thead><tbody>${
    Object.entries(eps).map(([u, e]) =>
      `<tr><td class="mono">${
        h(u)
      }</td><td>${e.requests}</td><td>${e.errors}</td><td>${
        formatNumber(e["latency_ms_mean"])
      } ms</td></tr>`
    ).join("")
  }</tbody></table></div>`;
}

function optionalSections(s: Summary): string {
  const cal = s.calibration;
  const reps = s.repeats;
  return `${
    cal === null
      ? ""
      : `<h3>Calibration</h3><p>Brier ${formatNumber(cal.brier, 3)} · ECE ${
        formatNumber(cal.ece, 3)
      } · n=${cal.n}</p>`
  }${
    reps === null
      ? ""
      : `<h3>Repeats</h3><p>${reps.consistent} of ${reps.questions} questions gave the same answer in all ${reps.runs} runs (${
        formatPercent(reps.consistency)
      }).</p>`
  }${s.endpoints === null ? "" : endpointsTable(s.endpoints)}`;
}

function runSection(
  s: Summary,
  d: ReportDetails | undefined,
  i: number,
  all: readonly Summary[],
): string {
  const c = color(i);
  return `<section class="run" id="run-${i}" style="--run:${c}">
${runHeader(s, all)}
${accuracySection(s, c)}
<div class="two">
${latencyBlock(s, d, c)}
${lettersSection(s)}
${optionalSections(s)}
<h3>Errors, unparsed answers and skipped rows</h3>
<div class="two">${countsTable("Error kind", s["errors_by_kind"])}${
    countsTable("Unparsed reason", s["unparsed_by_reason"])
  }</div>
${failuresSection(d)}
<h3>Model and configuration</h3>
${identity(s)}
<h3>Dataset</h3>
${datasetSection(s)}
</section>`;
}

function comparisonSection(
  summaries: readonly Summary[],
  details: readonly (ReportDetails | undefined)[],
): string {
  const labels = summaries.map((s) => runLabel(s, summaries));
  const legend = summaries.map((_, i) =>
    `<span class="legend"><span class="swatch" style="--run:${
      color(i)
    }"></span>${h(labels[i]!)}</span>`
  ).join("");
  const table = comparisonTable(summaries, labels);
  const groups = comparisonGroups(summaries, labels);
  const pairs = pairRows(details, labels);
  return `<section class="compare" id="compare">
<h2>Comparison</h2>
<div class="legends">${legend}</div>
${table}
<h3>Accuracy with 95% intervals</h3>
${accuracyChart(groups, { chance: chanceLevel(summaries[0]!) })}
<h3>Paired tests (McNemar)</h3>
<p class="muted">On questions scored in both runs. b: only A right; c: only B right. Shaded p-values are below 0.05.</p>
<div class="tablewrap"><table class="kv pairs"><thead><tr><th>A</th><th>B</th><th>Paired N</th><th>A − B</th><th>b</th><th>c</th><th>Test</th><th>p</th></tr></thead><tbody>${
    pairs.join("")
  }</tbody></table></div>
</section>`;
}

/** One row per run: scored, accuracy, interval, macro, latency, speed, errors. */
function comparisonTable(
  summaries: readonly Summary[],
  labels: readonly string[],
): string {
  return `<div class="tablewrap"><table class="stats"><thead><tr><th class="name">Run</th><th>Scored</th><th>Accuracy</th><th>95% CI</th><th>Macro</th><th>Latency p50</th><th>Tokens/s</th><th>Errors</th></tr></thead><tbody>${
    summaries.map((s, i) => {
      const c = s.counts;
      return `<tr><td class="name"><span class="swatch" style="--run:${
        color(i)
      }"></span>${h(labels[i]!)}</td><td>${
        scoredCount(c)
      }</td><td class="acc">${formatPercent(s.accuracy)}</td><td class="ci">${
        formatCi(s["accuracy_ci95"])
      }</td><td>${formatPercent(s["accuracy_macro"])}</td><td>${
        s["latency_ms"] === null
          ? "-"
          : `${formatNumber(s["latency_ms"].p50)} ms`
      }</td><td>${
        formatNumber(s["tokens_per_second"], 1)
      }</td><td>${c.errors}</td></tr>`;
    }).join("")
  }</tbody></table></div>`;
}

/** Overall, then each subject: one bar per run. */
function comparisonGroups(
  summaries: readonly Summary[],
  labels: readonly string[],
): AccuracyGroup[] {
  const subjects = [
    ...new Set(summaries.flatMap((s) => Object.keys(s.subjects))),
  ]
    .sort();
  const groups: AccuracyGroup[] = [{
    label: "Overall",
    strong: true,
    bars: summaries.map((s, i) => ({
      accuracy: s.accuracy,
      ci: s["accuracy_ci95"],
      color: color(i),
      title: `${labels[i]}: ${formatPercent(s.accuracy)} ${
        formatCi(s["accuracy_ci95"])
      }`,
    })),
  }];
  for (const name of subjects) {
    groups.push({
      label: name,
      bars: summaries.map((s, i) => {
        const g = s.subjects[name];
        return {
          accuracy: g?.accuracy ?? null,
          ci: g?.ci95 ?? null,
          color: color(i),
          title: `${labels[i]} · ${name}: ${formatPercent(g?.accuracy)} ${
            formatCi(g?.ci95)
          }`,
        };
      }),
    });
  }
  return groups;
}

/** McNemar rows for every pair of runs. */
function pairRows(
  details: readonly (ReportDetails | undefined)[],
  labels: readonly string[],
): string[] {
  const pairs: string[] = [];
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      const oa = details[i]?.outcomes ?? null;
      const ob = details[j]?.outcomes ?? null;
      const names = `<td>${h(labels[i]!)}</td><td>${h(labels[j]!)}</td>`;
      if (oa === null || ob === null) {
        pairs.push(
          `<tr>${names}<td colspan="6" class="muted">per-question results not available</td></tr>`,
        );
        continue;
      }
      const r = comparePaired(oa, ob);
      const p = r.mcnemar["p_value"];
      const d = r.difference;
      pairs.push(
        `<tr>${names}<td>${r["n_common"]}</td><td>${
          d === null ? "-" : `${formatPoints(d)} pts`
        }</td><td>${r.b}</td><td>${r.c}</td><td>${r.mcnemar.method}</td><td class="${
          r["n_common"] > 0 && p < 0.05 ? "sig" : ""
        }">${r["n_common"] === 0 ? "-" : formatP(p)}</td></tr>`,
      );
    }
  }
  return pairs;
}

const SCRIPT = `(function () {
  var rows = document.querySelectorAll("input.filter");
  rows.forEach(function (input) {
    input.addEventListener("input", function () {
      var q = input.value.toLowerCase();
      var table = input.closest("p").nextElementSibling;
      table.querySelectorAll("tr.failure").forEach(function (tr) {
        tr.hidden = q !== "" && tr.textContent.toLowerCase().indexOf(q) < 0;
      });
    });
  });
  document.documentElement.setAttribute("data-ready", "1");
})();`;

/**
 * Renders report.html for one or more runs. `details[i]` belongs to
 * `summaries[i]` and may be missing. With several runs the page opens with a
 * comparison (intervals side by side, McNemar p-values for each pair whose
 * per-question outcomes are given).
 */
export function renderReport(
  summaries: readonly Summary[],
  details: readonly ReportDetails[] = [],
): string {
  if (summaries.length === 0) {
    throw new RangeError("Cannot render a report: no summaries given");
  }
  const title = summaries.length === 1
    ? `llm-bench: ${mockLabel(summaries[0]!, "mock: simulated answers")}`
    : `llm-bench: ${summaries.map((s) => mockLabel(s, "mock")).join(" vs ")}`;
  const subtitle = summaries.map((s) => `${s.model} · run ${s["run_id"]}`)
    .join(" — ");
  return `${pageStart(h(title), REPORT_CSS)}<header><h1>${
    h(title)
  }</h1><p class="sub">${h(subtitle)}</p></header>
<main>
${summaries.length > 1 ? comparisonSection(summaries, details) : ""}
${summaries.map((s, i) => runSection(s, details[i], i, summaries)).join("\n")}
</main>
<footer>Generated by ${h(summaries[0]!.tool.name)} ${
    h(summaries[0]!.tool.version)
  }. Self-contained: no network access needed.</footer>
<script type="application/json" id="llm-bench-data">${
    jsonForScript(summaries)
  }</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
