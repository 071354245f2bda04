// The short `--concurrency auto` run of issue 13: 779 questions against 6
// slots, where the ramp from one request in flight is a large part of the
// serving window. Utilisation here measures how fast auto reaches the slots.

import { dataset, harness, type Scenario, withFake } from "./scenarios.ts";
import { fmt, median, spread } from "./stats.ts";

const SETTLED_REGEXP = /concurrency auto settled at ([\d, ]+)/;

/** `--concurrency auto`, 779 questions, 6 slots: whole-run utilisation. */
export const autoShort: Scenario = {
  name: "auto_short",
  title: "2b. `--concurrency auto`, short run (779 questions, 6 slots)",
  async run(ctx) {
    const p = 6, serviceMs = 50, n = 779;
    const repeats = ctx.quick ? 1 : 5;
    const { dir } = await dataset(ctx, n);
    const runs: Array<{ utilisation: number; settled: string }> = [];
    for (let r = 0; r < repeats; r++) {
      const got = await withFake(
        p,
        serviceMs,
        (url) => harness(ctx, dir, url, ["--concurrency", "auto", "--quiet"]),
      );
      const settled = SETTLED_REGEXP.exec(got.t.stderr)?.[1]?.trim() ?? "?";
      runs.push({ utilisation: got.stats.utilisation, settled });
      ctx.log(
        `auto_short ${r + 1}/${repeats}: utilisation ${
          fmt(got.stats.utilisation, 4)
        }, settled at ${settled}`,
      );
    }
    const u = median(runs.map((x) => x.utilisation));
    return {
      setup:
        `fake Ollama P=${p} slots (not told to the harness), service ${serviceMs} ms; ${n} questions (the run of issue 13); \`--concurrency auto --quiet\`; ${repeats} repeat(s). The ramp from 1 in flight is part of the window.`,
      tables: [{
        headers: ["client", "utilisation median (min–max)", "settled at"],
        rows: [[
          "llm-bench auto",
          spread(runs.map((x) => x.utilisation), 4),
          runs.map((x) => x.settled).join(" / "),
        ]],
      }],
      checks: [{
        target: "2b. auto utilisation, 779 questions",
        goal: "≥ 0.97",
        measured: fmt(u, 4),
        pass: u >= 0.97,
      }],
      notes: [],
    };
  },
};
