// The live page served at `GET /`: one self-contained HTML document (inline
// style and script, no external assets) that polls `api/live` and renders the
// run's progress. Kept as string constants so `deno compile` embeds it.

/** Stylesheet of the live page (its hash goes into the Content-Security-Policy). */
export const LIVE_PAGE_STYLE = `
:root {
  --bg: #f5f7fb; --card: #ffffff; --ink: #1c2433; --muted: #667085;
  --line: #e4e8f0; --accent: #3b6cf6; --good: #12a150; --bad: #d92d20;
  --warn: #dc8a04; --track: #e8ecf4;
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 40px; }
header { display: flex; align-items: center; gap: 14px; flex-wrap: wrap; margin-bottom: 18px; }
h1 { font-size: 20px; margin: 0; font-weight: 650; letter-spacing: -0.01em; }
h1 .brand { color: var(--muted); font-weight: 500; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); margin: 0 0 10px; font-weight: 600; }
.model { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eef2ff; color: #3538cd; padding: 3px 9px; border-radius: 6px; font-size: 13px; overflow-wrap: anywhere; }
.pill { margin-left: auto; padding: 4px 12px; border-radius: 999px; font-size: 12px; font-weight: 600; background: #e0eaff; color: #2f4fc9; }
.pill.complete { background: #dcfae6; color: #067647; }
.pill.lost { background: #fee4e2; color: #b42318; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px; box-shadow: 0 1px 2px rgba(16,24,40,0.04); }
.progress-card { margin-bottom: 16px; }
.progress-head { display: flex; justify-content: space-between; align-items: baseline; margin-bottom: 8px; }
.progress-head .big { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.progress-head .sub { color: var(--muted); font-variant-numeric: tabular-nums; }
.track { height: 12px; background: var(--track); border-radius: 999px; overflow: hidden; }
.fill { height: 100%; width: 0; background: linear-gradient(90deg, #5b8cff, var(--accent)); border-radius: 999px; transition: width 0.4s ease; }
.fill.complete { background: linear-gradient(90deg, #32d583, var(--good)); }
.stats { display: grid; grid-template-columns: 1.7fr repeat(5, 1fr); gap: 12px; margin-bottom: 16px; }
.stat .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; font-weight: 600; }
.stat .value { font-size: 24px; font-weight: 650; margin-top: 4px; font-variant-numeric: tabular-nums; }
.stat .note { color: var(--muted); font-size: 12px; margin-top: 2px; font-variant-numeric: tabular-nums; }
.stat.accuracy .value { font-size: 34px; color: var(--accent); }
.grid2 { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 1fr); gap: 16px; align-items: start; }
@media (max-width: 980px) { .stats { grid-template-columns: repeat(3, 1fr); } }
@media (max-width: 820px) { .grid2 { grid-template-columns: minmax(0, 1fr); } .stats { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
.scroll { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th { text-align: left; font-size: 12px; color: var(--muted); font-weight: 600; padding: 6px 7px; white-space: nowrap; border-bottom: 1px solid var(--line); }
td { padding: 6px 7px; border-bottom: 1px solid var(--line); }
tr:last-child td { border-bottom: none; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.name { max-width: 190px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
td.ci { white-space: nowrap; color: var(--muted); }
tbody tr:hover td { background: #f8faff; }
.bar { position: relative; height: 8px; width: 80px; background: var(--track); border-radius: 999px; }
.bar .acc { position: absolute; left: 0; top: 0; bottom: 0; background: var(--accent); border-radius: 999px; }
.bar .ci { position: absolute; top: -3px; bottom: -3px; border-left: 2px solid rgba(28,36,51,0.45); border-right: 2px solid rgba(28,36,51,0.45); }
.kinds { list-style: none; margin: 0; padding: 0; }
.kinds li { display: flex; justify-content: space-between; padding: 5px 0; border-bottom: 1px solid var(--line); font-variant-numeric: tabular-nums; }
.kinds li:last-child { border-bottom: none; }
.kinds .k { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.kinds .n.err { color: var(--bad); font-weight: 600; }
.kinds .n.retry { color: var(--warn); font-weight: 600; }
.empty { color: var(--muted); font-style: italic; }
.side { display: grid; grid-template-columns: minmax(0, 1fr); gap: 16px; min-width: 0; }
.hidden { display: none; }
.model-of { color: var(--muted); font-size: 13px; }
.report { font-weight: 600; color: var(--accent); }
@media (max-width: 560px) {
  main { padding: 14px 12px 28px; }
  .pill { margin-left: 0; }
  .stats { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }
  .stat .value { font-size: 20px; }
  .stat.accuracy .value { font-size: 26px; }
  .stat.accuracy { grid-column: 1 / -1; }
  td.name { max-width: 118px; }
  th, td { padding: 5px 4px; }
  .card { padding: 14px 12px; }
  .barcell { display: none; }
}
footer { margin-top: 18px; color: var(--muted); font-size: 12px; }
`;

/** Script of the live page: polls `api/live` and renders with textContent only. */
export const LIVE_PAGE_SCRIPT = `
"use strict";
const $ = (id) => document.getElementById(id);
const POLL_MS = 1000;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function pct(x, d) { return x === null || x === undefined ? "\\u2013" : (x * 100).toFixed(d === undefined ? 1 : d) + "%"; }
function num(x, d) { return x === null || x === undefined ? "\\u2013" : Number(x).toFixed(d); }
function dur(s) {
  if (s === null || s === undefined || !isFinite(s)) return "\\u2013";
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (h > 0) return h + "h " + String(m).padStart(2, "0") + "m";
  if (m > 0) return m + "m " + String(r).padStart(2, "0") + "s";
  return r + "s";
}
function ms(x) {
  if (x === null || x === undefined) return "\\u2013";
  return x >= 1000 ? (x / 1000).toFixed(2) + " s" : Math.round(x) + " ms";
}
function ciText(ci) { return ci ? (ci[0] * 100).toFixed(1) + "\\u2013" + pct(ci[1]) : "\\u2013"; }
function answered(g) { return g.correct + g.wrong + g.unparsed; }

function bar(g) {
  const b = el("div", null, "bar");
  if (g.accuracy !== null) {
    const a = el("div", null, "acc");
    a.style.width = (g.accuracy * 100).toFixed(1) + "%";
    b.appendChild(a);
  }
  if (g.ci95) {
    const c = el("div", null, "ci");
    c.style.left = (g.ci95[0] * 100).toFixed(1) + "%";
    c.style.width = ((g.ci95[1] - g.ci95[0]) * 100).toFixed(1) + "%";
    b.appendChild(c);
  }
  return b;
}

function finished(g) { return answered(g) + g.errors + g.skipped; }

function groupRow(g) {
  const tr = el("tr");
  const name = el("td", g.name, "name");
  name.title = g.name;
  tr.appendChild(name);
  const done = finished(g);
  tr.appendChild(el("td", g.planned === undefined ? done : done + " / " + g.planned, "num"));
  tr.appendChild(el("td", pct(g.accuracy), "num"));
  tr.appendChild(el("td", ciText(g.ci95), "num ci"));
  const td = el("td", null, "barcell"); td.appendChild(bar(g)); tr.appendChild(td);
  tr.appendChild(el("td", g.unparsed, "num"));
  tr.appendChild(el("td", g.errors, "num"));
  tr.appendChild(el("td", g.skipped, "num"));
  return tr;
}

function kinds(list, map, cls, emptyText) {
  const entries = Object.entries(map).sort((a, b) => b[1] - a[1]);
  list.replaceChildren();
  if (entries.length === 0) { list.appendChild(el("li", emptyText, "empty")); return; }
  for (const [k, n] of entries) {
    const li = el("li");
    li.appendChild(el("span", k, "k"));
    li.appendChild(el("span", n, "n " + cls));
    list.appendChild(li);
  }
}

function render(s) {
  document.title = (s.complete ? "\\u2713 " : pct(s.progress, 0) + " \\u00b7 ") + s.model + " \\u00b7 llm-bench";
  $("model").textContent = s.model;
  $("model-of").textContent = s.model_count > 1 ? "model " + s.model_index + " of " + s.model_count : "";
  const pill = $("state");
  pill.textContent = s.complete ? "Complete" : "Running";
  pill.className = "pill" + (s.complete ? " complete" : "");
  $("report").className = s.report ? "report" : "report hidden";
  $("done").textContent = s.done + " / " + s.planned;
  $("percent").textContent = pct(s.progress);
  const fill = $("fill");
  fill.style.width = ((s.progress || 0) * 100).toFixed(2) + "%";
  fill.className = "fill" + (s.complete ? " complete" : "");
  $("acc-label").textContent = s.complete ? "Accuracy" : "Accuracy so far";
  $("acc").textContent = pct(s.overall.accuracy, 2);
  $("acc-ci").textContent = "95% CI " + ciText(s.overall.ci95) + " \\u00b7 " + s.overall.correct + " / " + answered(s.overall) + " correct";
  $("qps").textContent = num(s.qps, 2);
  $("tps").textContent = s.tokens_per_second === null ? "" : num(s.tokens_per_second, 1) + " tokens/s";
  $("eta").textContent = s.complete ? "done" : dur(s.eta_seconds);
  $("model-progress").textContent = s.model_count > 1 && s.model_planned !== null ? "this model " + s.model_done + " / " + s.model_planned : "";
  $("elapsed").textContent = "elapsed " + dur(s.elapsed_seconds);
  $("p50").textContent = ms(s.latency.p50);
  $("p90").textContent = "p90 " + ms(s.latency.p90) + " \\u00b7 last " + s.latency.count;
  $("inflight").textContent = s.in_flight;
  $("retries").textContent = s.total_retries + " retries";
  const errs = s.overall.errors, unp = s.overall.unparsed, sk = s.overall.skipped;
  $("errs").textContent = errs;
  $("errs-note").textContent = unp + " unparsed \\u00b7 " + sk + " skipped";
  $("subject-count").textContent = s.subjects.length > 0 ? "\\u00b7 " + s.subjects.length : "";
  const body = $("subjects");
  body.replaceChildren();
  if (s.subjects.length === 0) {
    const tr = el("tr"); const td = el("td", "No results yet", "empty"); td.colSpan = 9; tr.appendChild(td); body.appendChild(tr);
  }
  for (const g of s.subjects) body.appendChild(groupRow(g));
  $("models-card").className = s.models.length > 1 ? "card" : "card hidden";
  const mb = $("models");
  mb.replaceChildren();
  for (const g of s.models) mb.appendChild(groupRow(g));
  kinds($("errors-by-kind"), s.errors_by_kind, "err", "No errors");
  kinds($("retries-by-kind"), s.retries_by_kind, "retry", "No retries");
  $("updated").textContent = "Updated " + new Date().toLocaleTimeString();
}

async function poll() {
  let complete = false;
  try {
    const r = await fetch("api/live", { cache: "no-store", headers: { accept: "application/json" } });
    if (!r.ok) throw new Error("HTTP " + r.status);
    const s = await r.json();
    render(s);
    complete = s.complete;
  } catch (e) {
    const pill = $("state");
    pill.textContent = "Connection lost";
    pill.className = "pill lost";
    $("updated").textContent = "Last error: " + String(e && e.message ? e.message : e);
  }
  if (!complete) setTimeout(poll, POLL_MS);
}
poll();
`;

/** The complete live page served at `GET /`. */
export const LIVE_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>llm-bench live</title>
<style>${LIVE_PAGE_STYLE}</style>
</head>
<body>
<main>
  <header>
    <h1><span class="brand">llm-bench</span> live</h1>
    <span class="model" id="model">\u2013</span>
    <span class="model-of" id="model-of"></span>
    <span class="pill" id="state">Connecting\u2026</span>
  </header>

  <section class="card progress-card">
    <div class="progress-head">
      <span class="big" id="done">0 / 0</span>
      <span class="sub"><span id="model-progress"></span> <span id="percent">\u2013</span></span>
    </div>
    <div class="track"><div class="fill" id="fill"></div></div>
  </section>

  <section class="stats">
    <div class="card stat accuracy">
      <div class="label" id="acc-label">Accuracy so far</div>
      <div class="value" id="acc">\u2013</div>
      <div class="note" id="acc-ci">95% CI \u2013</div>
    </div>
    <div class="card stat">
      <div class="label">Questions / s</div>
      <div class="value" id="qps">\u2013</div>
      <div class="note" id="tps"></div>
    </div>
    <div class="card stat">
      <div class="label">ETA</div>
      <div class="value" id="eta">\u2013</div>
      <div class="note" id="elapsed"></div>
    </div>
    <div class="card stat">
      <div class="label">Latency p50</div>
      <div class="value" id="p50">\u2013</div>
      <div class="note" id="p90"></div>
    </div>
    <div class="card stat">
      <div class="label">In flight</div>
      <div class="value" id="inflight">0</div>
      <div class="note" id="retries"></div>
    </div>
    <div class="card stat">
      <div class="label">Errors</div>
      <div class="value" id="errs">0</div>
      <div class="note" id="errs-note"></div>
    </div>
  </section>

  <div class="grid2">
    <div class="side">
      <section class="card">
        <h2>Accuracy by subject <span id="subject-count"></span></h2>
        <div class="scroll"><table>
          <thead><tr><th>Subject</th><th class="num">Done</th><th class="num">Accuracy</th><th class="num">95% CI</th><th class="barcell"></th><th class="num">Unparsed</th><th class="num">Errors</th><th class="num">Skipped</th></tr></thead>
          <tbody id="subjects"></tbody>
        </table></div>
      </section>
      <section class="card hidden" id="models-card">
        <h2>Models</h2>
        <div class="scroll"><table>
          <thead><tr><th>Model</th><th class="num">Done</th><th class="num">Accuracy</th><th class="num">95% CI</th><th class="barcell"></th><th class="num">Unparsed</th><th class="num">Errors</th><th class="num">Skipped</th></tr></thead>
          <tbody id="models"></tbody>
        </table></div>
      </section>
    </div>
    <div class="side">
      <section class="card">
        <h2>Errors by kind</h2>
        <ul class="kinds" id="errors-by-kind"></ul>
      </section>
      <section class="card">
        <h2>Retries by kind</h2>
        <ul class="kinds" id="retries-by-kind"></ul>
      </section>
    </div>
  </div>
  <footer><a class="report hidden" id="report" href="report.html">Open report.html</a> <span id="updated"></span></footer>
</main>
<script>${LIVE_PAGE_SCRIPT}</script>
</body>
</html>
`;
