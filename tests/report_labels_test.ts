import assert from "node:assert/strict";
import { metaFromSummary } from "../src/commands/report.ts";
import { renderReport } from "../src/report/html.ts";
import { renderSummaryMarkdown } from "../src/report/markdown.ts";
import { SummaryBuilder } from "../src/report/summary.ts";
import { renderSummaryText } from "../src/report/text.ts";
import type { ResultRecord } from "../src/schema.ts";
import type { RunMeta } from "../src/report/summary.ts";
import { meta, record } from "./report_sample.ts";

function summaryOf(records: ResultRecord[], over: Partial<RunMeta> = {}) {
  const b = new SummaryBuilder();
  for (const r of records) b.add(r);
  return b.build(meta(over));
}

/** An interrupted run: 2 of 6 planned asked, virology and zoology never reached. */
function interrupted() {
  return summaryOf(
    [record({ subject: "anatomy" }), record({ subject: "anatomy" })],
    {
      complete: false,
      planned: {
        questions: 6,
        subjects: { anatomy: 2, virology: 2, zoology: 2 },
      },
    },
  );
}

Deno.test("mock runs say their answers are simulated in text, markdown and HTML", () => {
  const s = summaryOf([record({ subject: "anatomy" })], {
    model: "llama3.2:1b",
    backend: "mock",
  });
  assert.match(
    renderSummaryText(s, { columns: 80 }),
    /^Model llama3\.2:1b \(mock: simulated answers\)/,
  );
  assert.match(
    renderSummaryMarkdown(s).split("\n")[0]!,
    /^## llm-bench: llama3\.2:1b \(mock: simulated answers\) \(run /,
  );
  const html = renderReport([s]);
  assert.match(
    html,
    /<h1>llm-bench: llama3\.2:1b \(mock: simulated answers\)<\/h1>/,
  );
  assert.match(
    html,
    /<span class="badge warn">mock: simulated answers<\/span>/,
  );
  // A real backend carries no such label.
  const real = summaryOf([record({ subject: "anatomy" })], { model: "x" });
  assert.doesNotMatch(renderReport([real]), /simulated/);
  assert.doesNotMatch(renderSummaryMarkdown(real), /simulated/);
});

Deno.test("an interrupted run names what was planned and the subjects never asked", () => {
  const s = interrupted();
  const text = renderSummaryText(s, { columns: 80 });
  assert.match(
    text,
    /^Incomplete: 2 of 6 planned; 2 subjects not asked: virology, zoology$/m,
  );
  assert.match(
    renderSummaryMarkdown(s),
    /\*\*Run incomplete: 2 of 6 planned; 2 subjects not asked\.\*\* Not asked: virology, zoology\./,
  );
  assert.match(
    renderReport([s]),
    /2 of 6 planned questions have results; 2 subjects not asked\. Not asked: virology, zoology\./,
  );
  // A complete run has no such line.
  const done = summaryOf([record({ subject: "anatomy" })]);
  assert.doesNotMatch(renderSummaryText(done, { columns: 80 }), /Incomplete/);
});

Deno.test("renderSummaryText() keeps the not-asked list within the terminal width", () => {
  const subjects: Record<string, number> = { anatomy: 1 };
  for (let i = 0; i < 12; i++) subjects[`high_school_subject_${i}`] = 1;
  const s = summaryOf([record({ subject: "anatomy" })], {
    complete: false,
    planned: { questions: 13, subjects },
  });
  const text = renderSummaryText(s, { columns: 80 });
  for (const line of text.split("\n")) assert.ok(line.length <= 80, line);
  assert.match(text, /high_school_subject_11$/m);
});

Deno.test("renderSummaryText() reads model time without a stray comma", () => {
  const s = summaryOf([record({ subject: "anatomy", "service_ms": 40 })]);
  const text = renderSummaryText(s, { columns: 120 });
  assert.match(
    text,
    /^Model time ms: .*, max 40 \(prompt eval \+ generation\)$/m,
  );
});

Deno.test("metaFromSummary() keeps what was planned, so a rebuilt report still names what was not asked", () => {
  const s = interrupted();
  const rebuilt = summaryOf(
    [record({ subject: "anatomy" }), record({ subject: "anatomy" })],
    metaFromSummary(s),
  );
  assert.deepEqual(rebuilt.planned, s.planned);
  assert.match(
    renderReport([rebuilt]),
    /2 of 6 planned questions have results/,
  );
});
