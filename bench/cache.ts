// Performance of the response cache (`deno task perf --only cache`): a fully
// cached 14,042-question run (wall time, questions/s, server requests) and
// the cost of an empty cache on a live run, side by side with the cache off.

import { join } from "node:path";
import { writeSyntheticDataset } from "./dataset.ts";
import {
  type FakeStats,
  mustSucceed,
  runCli,
  startFake,
  type Timed,
} from "./proc.ts";
import type { Scenario, ScenarioContext } from "./scenarios.ts";
import { fmt, median, spread } from "./stats.ts";

let outCounter = 0;

/** One CLI run against a fresh fake; returns the CLI's figures and the fake's. */
async function cliRun(
  ctx: ScenarioContext,
  data: string,
  extra: string[],
): Promise<{ t: Timed; stats: FakeStats }> {
  const fake = await startFake(8, 0);
  const out = join(ctx.tmp, `cache-out-${outCounter++}`);
  let t: Timed;
  try {
    t = mustSucceed(
      await runCli([
        data,
        "--model",
        "llama3.2",
        "--base-url",
        fake.url,
        "--output-dir",
        out,
        "--metrics-port",
        "off",
        "--quiet",
        "--concurrency",
        "8",
        ...extra,
      ]),
      "llm-bench",
    );
  } catch (e) {
    await fake.stop().catch(() => {});
    throw e;
  } finally {
    await Deno.remove(out, { recursive: true }).catch(() => {});
  }
  return { t, stats: await fake.stop() };
}

const cpu = (t: Timed) => t.userS + t.sysS;

/** The cache scenario of `deno task perf`. */
export const CACHE_SCENARIO: Scenario = {
  name: "cache",
  title: "7. Response cache: a fully cached run, and an empty cache's cost",
  async run(ctx) {
    const full = ctx.quick ? 2000 : 14_042;
    const live = ctx.quick ? 500 : 3000;
    const repeats = ctx.quick ? 1 : 3;
    const fullDir = join(ctx.tmp, `cache-data-${full}`);
    await writeSyntheticDataset(fullDir, full, ctx.sample);
    const liveDir = join(ctx.tmp, `cache-data-${live}`);
    await writeSyntheticDataset(liveDir, live, ctx.sample);

    // 1. Fill a cache with one live run, then run again from it.
    const cacheDir = join(ctx.tmp, "cache-full");
    const fill = await cliRun(ctx, fullDir, [
      "--cache",
      "--cache-dir",
      cacheDir,
    ]);
    ctx.log(`cache fill: ${full} q live in ${fmt(fill.t.wallS, 1)} s`);
    const cached: Timed[] = [];
    const served: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const run = await cliRun(ctx, fullDir, [
        "--cache",
        "--cache-dir",
        cacheDir,
      ]);
      if (!run.t.stdout.includes(`${full} of ${full} answers from cache`)) {
        throw new Error(
          `not every answer came from the cache:\n${run.t.stdout}`,
        );
      }
      cached.push(run.t);
      served.push(run.stats.served);
      ctx.log(
        `cached run ${r + 1}/${repeats}: ${
          fmt(run.t.wallS, 2)
        } s, ${run.stats.served} server requests`,
      );
    }

    // 2. Live runs, cache off and cache on but empty, alternating.
    const off: Timed[] = [];
    const on: Timed[] = [];
    for (let r = 0; r < repeats; r++) {
      off.push((await cliRun(ctx, liveDir, ["--no-cache"])).t);
      const empty = join(ctx.tmp, `cache-empty-${r}`);
      on.push(
        (await cliRun(ctx, liveDir, ["--cache", "--cache-dir", empty])).t,
      );
      ctx.log(
        `live ${r + 1}/${repeats}: off ${
          fmt(cpu(off.at(-1)!), 2)
        } s CPU, empty cache ${fmt(cpu(on.at(-1)!), 2)} s CPU`,
      );
    }
    const wall = median(cached.map((t) => t.wallS));
    const qps = full / wall;
    const cpuCost = median(on.map(cpu)) / median(off.map(cpu)) - 1;
    const wallCost = median(on.map((t) => t.wallS)) /
        median(off.map((t) => t.wallS)) - 1;
    const row = (label: string, ts: Timed[], q: number) => [
      label,
      spread(ts.map((t) => t.wallS), 2),
      fmt(q / median(ts.map((t) => t.wallS)), 0),
      spread(ts.map(cpu), 2),
      spread(ts.map((t) => t.maxRssKb / 1024), 1),
    ];
    return {
      setup:
        `fake Ollama P=8, service 0 ms (the client is the bottleneck: the worst case for cache overhead); \`--concurrency 8 --quiet\`, metrics off; ${repeats} repeat(s). Wall time includes Deno start-up.`,
      tables: [{
        headers: ["run", "wall s", "q/s", "CPU s", "peak RSS MiB"],
        rows: [
          row(`live, filling the cache, ${full} q`, [fill.t], full),
          row(`fully cached, ${full} q`, cached, full),
          row(`live, cache off, ${live} q`, off, live),
          row(`live, cache on but empty, ${live} q`, on, live),
        ],
      }],
      checks: [
        {
          target: "7a. Fully cached run",
          goal: "a few seconds, no server requests",
          measured: `${fmt(wall, 2)} s (${fmt(qps, 0)} q/s), ${
            Math.max(...served)
          } requests`,
          pass: wall <= 5 && Math.max(...served) === 0,
        },
        {
          target: "7b. Empty cache on a live run",
          goal: "≤ 5% slower",
          measured: `CPU ${fmt(cpuCost * 100, 1)}%, wall ${
            fmt(wallCost * 100, 1)
          }%`,
          pass: cpuCost <= 0.05 || wallCost <= 0.05,
        },
      ],
      notes: [],
    };
  },
};
