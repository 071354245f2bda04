// Opens the live page in headless Chromium, fed a busy two-model snapshot,
// at phone and desktop width: no sideways scroll, no card drawn over another,
// and the finished state says Complete. Skipped when no Chromium exists.

import assert from "node:assert/strict";
import { LIVE_PAGE_HTML } from "../src/metrics/live_page.ts";
import { MetricsRegistry } from "../src/metrics/registry.ts";
import type { ResultRecord, Status } from "../src/schema.ts";
import { CHROMIUM_FLAGS, findChromium, record } from "./report_sample.ts";

const chromium = findChromium();

const SUBJECTS = [
  "high_school_government_and_politics",
  "college_computer_science",
  "anatomy",
];

function result(status: Status, subject: string, model: string): ResultRecord {
  return record({
    status,
    subject,
    model,
    "error_kind": status === "error" ? "model_not_found" : null,
  });
}

/** Model 2 of 2 halfway through, with errors, retries and long names. */
function snapshotJson(complete: boolean): string {
  const models = ["llama3.2:1b", "qwen2.5:14b-instruct-q4_K_M-long-tag"];
  const r = new MetricsRegistry({ model: models[0]!, total: 120, models });
  const plan = {
    questions: 60,
    subjects: Object.fromEntries(SUBJECTS.map((s) => [s, 20])),
  };
  r.setModel(models[0]!, plan);
  for (let i = 0; i < 60; i++) {
    r.result(result(i % 3 ? "correct" : "wrong", SUBJECTS[i % 3]!, models[0]!));
  }
  r.setModel(models[1]!, plan);
  for (let i = 0; i < (complete ? 60 : 31); i++) {
    const status = i % 7 === 0 ? "error" : i % 5 === 0 ? "unparsed" : "correct";
    r.result(result(status, SUBJECTS[i % 3]!, models[1]!));
  }
  r.retry("timeout");
  r.requestStarted();
  r.requestFinished(1234);
  if (complete) r.finish("/tmp/run/report.html");
  return JSON.stringify(r.snapshot());
}

/**
 * The page with `fetch` answering `api/live` from `json`, and a probe that
 * records, once rendered, how much wider than the window the page is and
 * whether any two cards overlap.
 */
function probedPage(json: string): string {
  const stub = `<script>window.fetch = () => Promise.resolve(new Response(${
    JSON.stringify(json)
  }, { headers: { "content-type": "application/json" } }));</script>`;
  const probe = `<script>addEventListener("load", () => setTimeout(() => {
  const d = document.documentElement;
  d.dataset.overflow = String(d.scrollWidth - window.innerWidth);
  const cards = [...document.querySelectorAll(".card")]
    .filter((c) => c.offsetParent !== null)
    .map((c) => c.getBoundingClientRect());
  let overlaps = 0;
  for (let i = 0; i < cards.length; i++) {
    for (let j = i + 1; j < cards.length; j++) {
      const a = cards[i], b = cards[j];
      if (a.left < b.right - 1 && b.left < a.right - 1 &&
          a.top < b.bottom - 1 && b.top < a.bottom - 1) overlaps++;
    }
  }
  d.dataset.overlaps = String(overlaps);
  d.dataset.state = document.getElementById("state").textContent;
  d.dataset.rows = String(document.querySelectorAll("#subjects tr").length);
}, 300));</script>`;
  return LIVE_PAGE_HTML.replace("<main>", `${stub}<main>`).replace(
    "</body>",
    `${probe}</body>`,
  );
}

async function measure(
  html: string,
  width: number,
): Promise<Record<string, string>> {
  const dir = await Deno.makeTempDir({ prefix: "llm-bench-live-" });
  try {
    await Deno.writeTextFile(`${dir}/live.html`, html);
    const out = await new Deno.Command(chromium!, {
      args: [
        ...CHROMIUM_FLAGS,
        `--user-data-dir=${dir}/profile`,
        "--virtual-time-budget=2000",
        `--window-size=${width},900`,
        "--dump-dom",
        `file://${dir}/live.html`,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const root = /<html[^>]*>/.exec(new TextDecoder().decode(out.stdout))?.[0];
    assert.ok(root !== undefined, "no root element");
    return Object.fromEntries(
      [...root.matchAll(/data-(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const width of [420, 1400]) {
  for (const complete of [false, true]) {
    Deno.test({
      name: `the live page ${
        complete ? "after the run" : "during a run"
      } fits ${width} px: no sideways scroll, no card over another`,
      ignore: chromium === null,
      async fn() {
        const m = await measure(probedPage(snapshotJson(complete)), width);
        assert.equal(m.rows, String(SUBJECTS.length), "subjects rendered");
        assert.equal(m.state, complete ? "Complete" : "Running");
        assert.ok(
          Number(m.overflow) <= 0,
          `page is ${m.overflow} px wider than the window`,
        );
        assert.equal(m.overlaps, "0", "cards overlap");
      },
    });
  }
}
