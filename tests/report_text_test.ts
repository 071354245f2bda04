import assert from "node:assert/strict";
import type { ResultRecord } from "../src/schema.ts";
import { SummaryBuilder } from "../src/report/summary.ts";
import { asciiTable, renderSummaryText } from "../src/report/text.ts";
import { meta, record } from "./report_sample.ts";

function summaryOf(records: ResultRecord[], model = "llama3.2:3b") {
  const b = new SummaryBuilder();
  for (const r of records) b.add(r);
  return b.build(meta({ model }));
}

const HOSTILE = "evil\x1b[2J\x1b[31mred\x1b]0;title\x07\r\nnext\u202ertl\x00";

Deno.test("renderSummaryText() shows a row per subject and an overall row", () => {
  const text = renderSummaryText(
    summaryOf([
      record({ subject: "anatomy" }),
      record({ subject: "anatomy", status: "wrong" }),
      record({ subject: "virology", status: "unparsed" }),
      record({ subject: "virology", status: "error", "error_kind": "timeout" }),
    ]),
    { columns: 120 },
  );
  const lines = text.split("\n");
  const anatomy = lines.find((l) => l.startsWith("| anatomy"));
  assert.ok(anatomy !== undefined, text);
  assert.match(
    anatomy,
    /\|\s+2 \|\s+1 \|\s+1 \|\s+0 \|\s+0 \|\s+50\.0% \| 9\.5-90\.5 \|/,
  );
  const overall = lines.find((l) => l.startsWith("| Overall"));
  assert.match(
    overall!,
    /\|\s+4 \|\s+1 \|\s+1 \|\s+1 \|\s+1 \|\s+33\.3% \|/,
  );
  assert.match(text, /^Latency ms: mean 100, p50 100/m);
  assert.match(text, /^Tokens: prompt 200, generated 20, 100\.0 tokens\/s/m);
  assert.match(text, /^Retries: 0/m);
  assert.match(text, /^Errors by kind: timeout 1/m);
  // An error occurred, nothing was skipped: Errors shows, Skipped does not.
  assert.match(
    lines.find((l) => l.startsWith("| Subject"))!,
    /\| Errors \| Accuracy \|/,
  );
  // Every table line has the same width: columns adapt to the widest cell.
  const table = lines.filter((l) => l.startsWith("|") || l.startsWith("+"));
  assert.equal(new Set(table.map((l) => l.length)).size, 1);
});

Deno.test("renderSummaryText() strips escape and control characters from data", () => {
  const text = renderSummaryText(summaryOf([
    record({ subject: HOSTILE, status: "unparsed", reason: HOSTILE }),
  ], `model${HOSTILE}`));
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(text, /[\x00-\x09\x0b-\x1f\x7f\u202e]/);
  assert.match(text, /evilred next ?rtl/);
  const table = text.split("\n").filter((l) =>
    l.startsWith("|") || l.startsWith("+")
  );
  assert.equal(new Set(table.map((l) => l.length)).size, 1);
});

Deno.test("asciiTable() uses plain ASCII borders", () => {
  const t = asciiTable(["Name", "N"], [["ab", "1"], ["c", "100"]], [1]);
  assert.equal(
    t,
    [
      "+------+-----+",
      "| Name |   N |",
      "+------+-----+",
      "| ab   |   1 |",
      "+------+-----+",
      "| c    | 100 |",
      "+------+-----+",
    ].join("\n"),
  );
});

Deno.test("renderSummaryText() fits the terminal, dropping Correct and Wrong before cutting names short", () => {
  const long = "high_school_government_and_politics_and_more_words";
  const s = summaryOf([
    record({ subject: long }),
    record({ subject: long, status: "skipped", reason: "bad row" }),
    record({ subject: "virology", status: "error", "error_kind": "timeout" }),
    record({ subject: "virology", status: "wrong" }),
  ], "a-very-long-model-name:with-a-tag-that-goes-on-and-on-q4_K_M");
  for (const columns of [80, 72]) {
    // Correct and Wrong give way to the subject name; N and accuracy stay.
    const text = renderSummaryText(s, { columns });
    const wide = text.split("\n").filter((l) => l.length > columns);
    assert.deepEqual(wide, [], `wider than ${columns}:\n${text}`);
    const header = text.split("\n").find((l) => l.startsWith("| Subject"))!;
    assert.match(
      header,
      /\| N \| (Correct \| Wrong \| )?Unparsed \| Errors \| Skipped \| Accuracy \| +95% CI \|/,
    );
    assert.equal(/\| Correct \| Wrong \|/.test(header), false);
    assert.match(text, /\| Overall .*\| +50\.0% \|/);
  }
  // Wide terminals keep every column; without a width, 80 is assumed.
  assert.match(
    renderSummaryText(s, { columns: 120 }),
    /\| N \| Correct \| Wrong \|/,
  );
  assert.ok(renderSummaryText(s).split("\n").every((l) => l.length <= 80));
});
