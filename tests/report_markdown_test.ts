import assert from "node:assert/strict";
import { renderSummaryMarkdown } from "../src/report/markdown.ts";
import { SummaryBuilder } from "../src/report/summary.ts";
import { meta, record } from "./report_sample.ts";

Deno.test("renderSummaryMarkdown() titles the report with model and run id", () => {
  const b = new SummaryBuilder();
  b.add(record({ subject: "anatomy" }));
  b.add(record({ subject: "anatomy", status: "wrong" }));
  const md = renderSummaryMarkdown(
    b.build(meta({ model: "llama3.2:3b", runId: "run-42" })),
  );
  assert.equal(md.split("\n")[0], "## llm-bench: llama3.2:3b (run run-42)");
  assert.match(md, /^\*\*Accuracy 50\.0%\*\* \[9\.5, 90\.5\] over 2 scored/m);
  assert.match(
    md,
    /^\| anatomy \| 2 \| 1 \| 1 \| 0 \| 0 \| 0 \| 50\.0% \| \[9\.5, 90\.5\] \|$/m,
  );
  assert.match(md, /^\| \*\*Overall\*\* \| 2 \|/m);
});

Deno.test("renderSummaryMarkdown() escapes pipes, backticks, angle brackets and newlines in data", () => {
  const hostile = "a|b`c<script>x</script>\nd";
  const b = new SummaryBuilder();
  b.add(record({ subject: hostile }));
  b.add(record({ subject: "plain", status: "unparsed", reason: "x|y" }));
  const md = renderSummaryMarkdown(
    b.build(meta({ model: "m|`<img src=x onerror=alert(1)>`", runId: "r\nr" })),
  );
  assert.ok(!md.includes("<script>"));
  assert.ok(!md.includes("<img"));
  assert.match(md, /a\\\|b\\`c&lt;script&gt;x&lt;\/script&gt; d/);
  assert.equal(
    md.split("\n")[0],
    "## llm-bench: m\\|\\`&lt;img src=x onerror=alert(1)&gt;\\` (run r r)",
  );
  // Every table row keeps exactly its 10 cell separators.
  for (const line of md.split("\n").filter((l) => l.startsWith("| "))) {
    const separators = line.match(/(?<!\\)\|/g) ?? [];
    assert.equal(separators.length, 10, line);
  }
  assert.match(md, /Unparsed by reason: x\\\|y 1/);
});
