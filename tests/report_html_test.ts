import assert from "node:assert/strict";
import { ReportDetailsBuilder } from "../src/report/details.ts";
import { renderReport } from "../src/report/html.ts";
import { SummaryBuilder } from "../src/report/summary.ts";
import type { ResultRecord } from "../src/schema.ts";
import { meta, record, sampleComparison } from "./report_sample.ts";

const XSS = `</script><script>alert(1)</script><img src=x onerror=alert(2)>"'&`;

function hostileReport(): string {
  const records: ResultRecord[] = [
    record({
      id: `${XSS}:1`,
      subject: XSS,
      status: "unparsed",
      raw: XSS,
      reason: XSS,
    }),
    record({
      id: "a:2",
      index: 1,
      subject: XSS,
      status: "error",
      "error_kind": "network",
      reason: XSS,
      raw: null,
    }),
    record({
      id: "a:3",
      index: 2,
      subject: "anatomy",
      expected: "A",
      status: "wrong",
      predicted: XSS,
    }),
  ];
  const sb = new SummaryBuilder();
  const db = new ReportDetailsBuilder();
  for (const r of records) {
    sb.add(r);
    db.add(r);
  }
  const summary = sb.build(meta({
    model: XSS,
    runId: XSS,
    mode: XSS,
    config: { [XSS]: XSS },
    dataset: { files: [{ file: XSS, sha256: XSS, rows: 3 }], problems: [XSS] },
  }));
  const second = { ...summary, model: "other" };
  return renderReport([summary, second], [db.build(), db.build()]);
}

Deno.test("renderReport() escapes every piece of data text", () => {
  const html = hostileReport();
  assert.ok(!html.includes("<script>alert"), "script tag from data");
  assert.ok(!html.includes("<img"), "img tag from data");
  assert.ok(!html.includes("onerror=alert(2)>"), "unescaped attribute");
  // Only the report's own three script elements exist.
  assert.equal(html.match(/<script/g)?.length, 3);
  assert.equal(html.match(/<\/script>/g)?.length, 3);
  assert.ok(
    html.includes(
      "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;",
    ),
  );
});

Deno.test("renderReport() embeds the summaries as script-safe JSON", () => {
  const html = hostileReport();
  const m = html.match(
    /<script type="application\/json" id="llm-bench-data">(.*?)<\/script>/s,
  );
  assert.ok(m !== null);
  assert.ok(!m[1]!.includes("<"));
  const data = JSON.parse(m[1]!) as Array<{ model: string }>;
  assert.equal(data[0]!.model, XSS);
  assert.equal(data[1]!.model, "other");
});

Deno.test("renderReport() is self-contained: no external resources", () => {
  const { summaries, details } = sampleComparison();
  const html = renderReport(summaries, details);
  assert.doesNotMatch(html, /<link\b/i);
  assert.doesNotMatch(html, /\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
  assert.doesNotMatch(html, /url\(\s*["']?(?:https?:)?\/\//i);
  assert.doesNotMatch(html, /@import/i);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

Deno.test("renderReport() shows charts, letter matrix, failures and a comparison", () => {
  const { summaries, details } = sampleComparison();
  const html = renderReport(summaries, details);
  assert.match(html, /<h2>Comparison<\/h2>/);
  assert.match(html, /Paired tests \(McNemar\)/);
  // One McNemar row for the single pair, with a p-value.
  assert.match(html, /<td>llama3\.2:3b<\/td><td>qwen3:4b<\/td><td>\d+<\/td>/);
  // Accuracy bars: the comparison's + one per run; SVG per run: latency, letters.
  assert.equal(html.match(/<div class="bars"/g)?.length, 1 + 2);
  assert.equal(html.match(/<svg /g)?.length, 2 * 2);
  assert.equal(html.match(/<table class="matrix">/g)?.length, 2);
  assert.match(html, /class="status st-error"/);
  assert.match(html, /class="status st-unparsed"/);
  assert.match(html, /class="status st-skipped"/);
  assert.match(html, /llama3\.2:3b/);
  assert.match(html, /MMLU categories/);
});

Deno.test("renderReport() for one run has no comparison section", () => {
  const { summaries, details } = sampleComparison();
  const html = renderReport([summaries[0]!], [details[0]!]);
  assert.doesNotMatch(html, /<h2>Comparison<\/h2>/);
  assert.equal(html.match(/<div class="bars"/g)?.length, 1);
  assert.equal(html.match(/<svg /g)?.length, 2);
  assert.throws(() => renderReport([]), RangeError);
});

Deno.test("ReportDetailsBuilder keeps the first failures in dataset order, whatever the input order", () => {
  const records = Array.from({ length: 50 }, (_, i) =>
    record({
      id: `f:${i}`,
      index: i,
      status: i % 2 === 0 ? "unparsed" : "correct",
      raw: "x".repeat(5000),
    }));
  const build = (rs: ResultRecord[]) => {
    const b = new ReportDetailsBuilder({ maxFailures: 5 });
    for (const r of rs) b.add(r);
    return b.build();
  };
  const forward = build(records);
  const backward = build([...records].reverse());
  assert.equal(forward.failuresTotal, 25);
  assert.deepEqual(forward.failures.map((f) => f.index), [0, 2, 4, 6, 8]);
  assert.deepEqual(backward.failures, forward.failures);
  assert.equal(forward.failures[0]!.raw!.length, 4000);
  assert.equal(forward.failures[0]!.rawTruncated, true);
  assert.equal(forward.outcomes!.size, 50);
  const html = renderReport(
    [new SummaryBuilder().build(meta())],
    [forward],
  );
  assert.match(html, /Showing the first 5 of 25 in dataset order/);
});
