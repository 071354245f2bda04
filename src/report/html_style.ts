// The inline stylesheet of report.html (system fonts only, light and dark)
// and the page head that report.html and leaderboard.html share.

/** CSS inlined into report.html. */
export const REPORT_CSS = `
:root {
  --fg: #1f2937; --muted: #6b7280; --bg: #f6f7f9; --panel: #ffffff;
  --line: #e5e7eb; --grid: #eceef1; --hit: 22, 163, 74; --miss: 220, 38, 38;
  --exp: #9ca3af; --pred: #2563eb; --warn: #b45309;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--fg); background: var(--bg);
}
@media (prefers-color-scheme: dark) {
  :root { --fg: #e5e7eb; --muted: #9ca3af; --bg: #111827; --panel: #1f2937;
    --line: #374151; --grid: #2b3544; --exp: #6b7280; }
}
* { box-sizing: border-box; }
body { margin: 0; }
header { padding: 20px 32px 12px; border-bottom: 1px solid var(--line); background: var(--panel); }
h1 { margin: 0; font-size: 22px; font-weight: 650; overflow-wrap: anywhere; }
.sub { margin: 4px 0 0; color: var(--muted); overflow-wrap: anywhere; }
main { padding: 16px 32px; max-width: 1180px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px;
  padding: 18px 22px; margin: 0 0 20px; }
h2 { margin: 0 0 12px; font-size: 19px; display: flex; align-items: center; gap: 8px; flex-wrap: wrap;
  overflow-wrap: anywhere; }
h3 { margin: 22px 0 6px; font-size: 15px; }
h4 { margin: 12px 0 4px; font-size: 13px; }
p { margin: 4px 0 8px; }
.muted { color: var(--muted); font-size: 12.5px; }
.badge { font-size: 11.5px; font-weight: 500; padding: 2px 8px; border-radius: 999px;
  background: var(--grid); color: var(--muted); font-family: ui-monospace, Menlo, Consolas, monospace; }
.badge.warn { background: #fef3c7; color: var(--warn); }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px;
  background: var(--run, #2563eb); margin-right: 6px; vertical-align: -1px; }
.legends { display: flex; gap: 18px; flex-wrap: wrap; margin-bottom: 8px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(152px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; min-width: 0;
  display: grid; grid-template-rows: auto auto 1fr; }
.card:first-child { border-left: 4px solid var(--run, #2563eb); }
.card-label { font-size: 11.5px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.card-value { font-size: 20px; font-weight: 650; font-variant-numeric: tabular-nums; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
.card-value small { font-size: 13px; font-weight: 500; color: var(--muted); }
.card-note { font-size: 12px; color: var(--muted); }
.nowrap { white-space: nowrap; }
.tablewrap { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 4px 0 8px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: right; vertical-align: top; }
thead th { font-size: 12px; color: var(--muted); font-weight: 600; border-bottom: 2px solid var(--line); }
th.name, td.name { text-align: left; overflow-wrap: break-word; min-width: 7em; max-width: 360px; }
tr.total th, tr.total td { font-weight: 700; border-top: 2px solid var(--line); }
td.acc { font-weight: 600; }
td.ci { color: var(--muted); }
td.sig { background: rgba(var(--hit), .18); font-weight: 600; }
table.kv td, table.kv th { text-align: left; }
table.kv td:nth-child(n+2) { text-align: right; }
.two { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(440px, 100%), 1fr)); gap: 8px 28px; align-items: start; }
.two > * { min-width: 0; max-width: 100%; }
.bars { margin: 6px 0 10px; max-width: 820px; font-size: 12.5px; }
.bar-row { display: grid; grid-template-columns: minmax(7em, 15em) minmax(0, 1fr) 4.2em; gap: 2px 10px; align-items: center; margin: 3px 0; }
.bar-row.group-start { margin-top: 9px; }
.bar-label { text-align: right; overflow-wrap: break-word; line-height: 1.2; }
.bar-row.strong .bar-label { font-weight: 700; }
.track { position: relative; height: 14px; background: linear-gradient(90deg, var(--grid) 1px, transparent 1px) 0 0 / 25% 100%; border-right: 1px solid var(--grid); }
.bar { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 2px; opacity: .85; }
.ci-bar { position: absolute; top: 6px; height: 2px; background: var(--fg); }
.ci-bar::before, .ci-bar::after { content: ""; position: absolute; top: -4px; width: 1.5px; height: 10px; background: var(--fg); }
.ci-bar::before { left: 0; } .ci-bar::after { right: 0; }
.chance-line { position: absolute; top: -3px; bottom: -3px; border-left: 1.5px dashed var(--muted); }
.bar-val { color: var(--muted); font-variant-numeric: tabular-nums; text-align: right; }
.bar-axis { display: grid; grid-template-columns: minmax(7em, 15em) minmax(0, 1fr) 4.2em; gap: 10px; color: var(--muted); font-size: 11px; }
.bar-axis .ticks { display: flex; justify-content: space-between; }
.not-asked { color: var(--warn); }
svg.chart { display: block; max-width: 100%; height: auto; }
svg .lbl { font-size: 12px; fill: var(--fg); }
svg .lbl.strong { font-weight: 700; }
svg .val, svg .na { font-size: 11.5px; fill: var(--muted); }
svg .tick { font-size: 11px; fill: var(--muted); }
svg .grid { stroke: var(--grid); stroke-width: 1; }
svg .axis { stroke: var(--muted); stroke-width: 1; }
svg .chance-lbl { font-size: 11px; fill: var(--muted); font-style: italic; }
svg .chance { stroke: var(--muted); stroke-dasharray: 4 3; stroke-width: 1.2; }
svg .whisker { stroke: var(--fg); stroke-width: 1.4; fill: none; }
svg .exp { fill: var(--exp); }
svg .pred { fill: var(--run, var(--pred)); }
table.matrix td, table.matrix th { text-align: center; min-width: 40px; }
table.matrix th.corner { font-size: 11px; font-weight: 500; text-align: left; }
table.matrix td.hit { background: rgba(var(--hit), var(--a)); }
table.matrix td.miss { background: rgba(var(--miss), var(--a)); }
table.matrix td.rowtotal { color: var(--muted); }
table.failures { width: 100%; table-layout: fixed; font-size: 12.5px; }
table.failures th, table.failures td { text-align: left; overflow-wrap: anywhere; }
table.failures th:nth-child(1) { width: 22%; }
table.failures th:nth-child(2) { width: 14%; }
table.failures th:nth-child(3) { width: 9%; }
table.failures th:nth-child(4) { width: 17%; }
table.failures th:nth-child(5), table.failures th:nth-child(6) { width: 6%; }
.mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.status { padding: 1px 6px; border-radius: 4px; font-size: 11.5px; background: var(--grid); }
.st-error { background: #fee2e2; color: #991b1b; }
.st-unparsed { background: #fef3c7; color: #92400e; }
.st-skipped { background: #e5e7eb; color: #374151; }
details summary { cursor: pointer; color: var(--muted); overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--bg); border: 1px solid var(--line);
  border-radius: 6px; padding: 8px 10px; margin: 4px 0; font-size: 12px; max-height: 360px; overflow: auto; }
dl.ident { display: grid; grid-template-columns: max-content minmax(0, 1fr) max-content minmax(0, 1fr); gap: 3px 16px; margin: 4px 0 8px; }
td.question { max-width: 28em; }
td.question details summary, td.raw details summary { color: inherit; }
dl.ident dt { color: var(--muted); }
dl.ident dd { margin: 0; overflow-wrap: anywhere; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px; }
ul.problems { margin: 4px 0; padding-left: 20px; font-size: 12.5px; max-height: 260px; overflow: auto; }
input.filter { margin-left: 8px; padding: 2px 8px; border: 1px solid var(--line); border-radius: 6px;
  background: var(--panel); color: var(--fg); font: inherit; }
#js-errors { color: #b91c1c; margin: 8px 32px; }
footer { color: var(--muted); font-size: 12px; padding: 0 32px 24px; }
@media (max-width: 640px) {
  header { padding: 14px 14px 10px; }
  main { padding: 10px; }
  section { padding: 12px; }
  footer { padding: 0 14px 18px; }
  dl.ident { grid-template-columns: max-content minmax(0, 1fr); }
  .bar-row, .bar-axis { grid-template-columns: minmax(0, 1fr) 4.2em; }
  .bar-row .bar-label { grid-column: 1 / -1; text-align: left; }
  .bar-axis > :first-child { display: none; }
  /* Failures: each row stacked as a small card, cells named by data-label. */
  table.failures, table.failures tbody { display: block; }
  table.failures thead { display: none; }
  table.failures tr.failure { display: block; padding: 8px 0; border-bottom: 1px solid var(--line); }
  table.failures tr.failure[hidden] { display: none; }
  table.failures td { display: inline-block; border: 0; padding: 1px 10px 1px 0; vertical-align: baseline; }
  table.failures td.question, table.failures td.reason, table.failures td.raw { display: block; max-width: none; }
  table.failures td[data-label]::before { content: attr(data-label) " "; color: var(--muted); font-family: system-ui, sans-serif; }
}
`;

const ERROR_HOOK = `window.onerror = function (msg, src, line) {
  var box = document.getElementById("js-errors");
  if (box) { box.textContent += String(msg) + " @" + line + "\\n"; box.hidden = false; }
};`;

/** Policy of the self-contained pages: their own inline style and script, nothing loaded. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/**
 * The start of a self-contained page, up to and including `<body>`: charset,
 * viewport, the Content-Security-Policy `csp` (when not null), the title
 * (already HTML), the inline stylesheet, and the hook that shows script
 * errors in `<pre id="js-errors">`.
 */
export function pageStart(
  titleHtml: string,
  css: string,
): string {
  const policy =
    `<meta http-equiv="Content-Security-Policy" content="${PAGE_CSP}">\n`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${policy}<title>${titleHtml}</title>
<style>${css}</style>
<script>${ERROR_HOOK}</script>
</head>
<body>
<pre id="js-errors" hidden></pre>
`;
}
