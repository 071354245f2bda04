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
  const text = renderSummaryText(summaryOf([
    record({ subject: "anatomy" }),
    record({ subject: "anatomy", status: "wrong" }),
    record({ subject: "virology", status: "unparsed" }),
    record({ subject: "virology", status: "error", "error_kind": "timeout" }),
  ]));
  const lines = text.split("\n");
  const anatomy = lines.find((l) => l.startsWith("| anatomy"));
  assert.ok(anatomy !== undefined, text);
  assert.match(
    anatomy,
    /\|\s+2 \|\s+1 \|\s+1 \|\s+0 \|\s+0 \|\s+0 \|\s+50\.0% \| \[9\.5, 90\.5\] \|/,
  );
  const overall = lines.find((l) => l.startsWith("| Overall"));
  assert.match(
    overall!,
    /\|\s+4 \|\s+1 \|\s+1 \|\s+1 \|\s+1 \|\s+0 \|\s+33\.3% \|/,
  );
  assert.match(text, /^Latency ms: mean 100, p50 100/m);
  assert.match(text, /^Tokens: prompt 200, generated 20, 100\.0 tokens\/s/m);
  assert.match(text, /^Retries: 0/m);
  assert.match(text, /^Errors by kind: timeout 1/m);
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
