// Opens a rendered report.html in headless Chromium and fails on JavaScript
// errors or missing charts. Skipped (with a message) when no Chromium exists.

import assert from "node:assert/strict";
import { renderReport } from "../src/report/html.ts";
import {
  CHROMIUM_FLAGS,
  findChromium,
  sampleComparison,
} from "./report_sample.ts";

const chromium = findChromium();
if (chromium === null) {
  // deno-lint-ignore no-console -- the skip must be visible in the test output.
  console.warn(
    "SKIPPED report_browser_test: no chromium at /usr/bin/chromium or on PATH (apt-get install chromium)",
  );
}

async function dumpDom(html: string, width = 1400): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "llm-bench-browser-" });
  try {
    const file = `${dir}/report.html`;
    await Deno.writeTextFile(file, html);
    const out = await new Deno.Command(chromium!, {
      args: [
        ...CHROMIUM_FLAGS,
        `--user-data-dir=${dir}/profile`,
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=2000",
        `--window-size=${width},900`,
        "--dump-dom",
        `file://${file}`,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const dom = new TextDecoder().decode(out.stdout);
    assert.ok(
      out.success,
      `chromium exited ${out.code}: ${new TextDecoder().decode(out.stderr)}`,
    );
    return dom;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "renderReport() output runs in Chromium without script errors",
  ignore: chromium === null,
  async fn() {
    const { summaries, details } = sampleComparison(true);
    const dom = await dumpDom(renderReport(summaries, details));
    // The inline script ran to its end.
    assert.match(dom, /<html[^>]*data-ready="1"/);
    // window.onerror wrote nothing.
    const errors = dom.match(/<pre id="js-errors"[^>]*>([\s\S]*?)<\/pre>/);
    assert.ok(errors !== null, "error box missing");
    assert.equal(errors[1], "", `script errors: ${errors[1]}`);
    // Charts survived parsing: accuracy bars (comparison + per run) and
    // two SVG charts per run.
    assert.equal(dom.match(/<div class="bars"/g)?.length, 3);
    assert.equal(dom.match(/<svg /g)?.length, 4);
    assert.ok((dom.match(/<rect /g)?.length ?? 0) > 20);
    // Hostile raw output stayed text: no element came from data.
    assert.equal(dom.match(/<script/g)?.length, 3);
    assert.doesNotMatch(dom, /<img/);
  },
});

Deno.test({
  name: "renderReport() reports a script error through the error box",
  ignore: chromium === null,
  async fn() {
    // Guards the guard: a page that throws must show up as an error.
    const { summaries, details } = sampleComparison();
    const html = renderReport(summaries, details).replace(
      "</body>",
      "<script>null.boom();</script></body>",
    );
    const dom = await dumpDom(html);
    const errors = dom.match(/<pre id="js-errors"[^>]*>([\s\S]*?)<\/pre>/);
    assert.ok(errors !== null);
    assert.match(errors[1]!, /TypeError/);
  },
});

/** Marks the root element with whether the page is wider than the window. */
const MEASURE_WIDTH = `<script>addEventListener("load", function () {
  var d = document.documentElement;
  d.setAttribute("data-overflow", String(d.scrollWidth - window.innerWidth));
});</script></body>`;

for (const width of [420, 1400]) {
  Deno.test({
    name: `renderReport() does not scroll sideways at ${width} px`,
    ignore: chromium === null,
    async fn() {
      const { summaries, details } = sampleComparison(true);
      for (
        const page of [
          renderReport(summaries, details),
          renderReport([summaries[0]!], [details[0]!]),
        ]
      ) {
        const html = page.replace("</body>", MEASURE_WIDTH);
        const dom = await dumpDom(html, width);
        const m = dom.match(/<html[^>]*data-overflow="(-?\d+)"/);
        assert.ok(m !== null, "width not measured");
        assert.ok(
          Number(m[1]) <= 0,
          `page is ${m[1]} px wider than the window`,
        );
      }
    },
  });
}

/** Marks the root with whether every failure row is stacked: raw answer under the question. */
const MEASURE_STACK = `<script>addEventListener("load", function () {
  var rows = document.querySelectorAll("tr.failure");
  var stacked = rows.length > 0;
  rows.forEach(function (tr) {
    var q = tr.querySelector("td.question").getBoundingClientRect();
    var raw = tr.querySelector("td.raw").getBoundingClientRect();
    if (Math.abs(raw.left - q.left) > 2 || raw.top < q.bottom) stacked = false;
    if (raw.right > window.innerWidth) stacked = false;
  });
  document.documentElement.setAttribute("data-stacked", String(stacked));
});</script></body>`;

for (const [width, stacked] of [[420, "true"], [1400, "false"]] as const) {
  Deno.test({
    name: `renderReport() ${
      stacked === "true" ? "stacks" : "does not stack"
    } the failures at ${width} px`,
    ignore: chromium === null,
    async fn() {
      const { summaries, details } = sampleComparison(true);
      const html = renderReport([summaries[0]!], [details[0]!]).replace(
        "</body>",
        MEASURE_STACK,
      );
      const dom = await dumpDom(html, width);
      assert.match(dom, new RegExp(`<html[^>]*data-stacked="${stacked}"`));
    },
  });
}
