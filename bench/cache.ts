// Performance of the response cache (`deno task perf --only cache`): a fully
// cached 14,042-question run (wall time, questions/s, server requests) and
// the cost of an empty cache on a live run, side by side with the cache off.

import { join } from "node:path";
import { writeSyntheticDataset } from "./dataset.ts";
import type { FakeStats, Timed } from "./proc.ts";
import {
  harness,
  type Scenario,
  type ScenarioContext,
  withFake,
} from "./scenarios.ts";
import { fmt, median, spread } from "./stats.ts";

/** One CLI run against a fresh fake; returns the CLI's figures and the fake's. */
function cliRun(
  ctx: ScenarioContext,
  data: string,
  extra: string[],
  serviceMs = 0,
): Promise<{ t: Timed; stats: FakeStats }> {
  return withFake(
    8,
    serviceMs,
    (url) =>
      harness(
        ctx,
        data,
        url,
        ["--quiet", "--concurrency", "8", ...extra],
        [],
        "off",
      ),
  );
}

const cpu = (t: Timed) => t.userS + t.sysS;

/** A fresh synthetic dataset of `n` questions. */
async function data(ctx: ScenarioContext, n: number): Promise<string> {
  const dir = join(ctx.tmp, `cache-data-${n}`);
  await writeSyntheticDataset(dir, n, ctx.sample);
  return dir;
}

/** Fills a cache with one live run, then runs from it `repeats` times. */
async function fullyCached(ctx: ScenarioContext, n: number, repeats: number) {
  const dir = await data(ctx, n);
  const cacheArgs = ["--cache", "--cache-dir", join(ctx.tmp, "cache-full")];
  const fill = (await cliRun(ctx, dir, cacheArgs)).t;
  ctx.log(`cache fill: ${n} q live in ${fmt(fill.wallS, 1)} s`);
  const cached: Timed[] = [];
  let requests = 0;
  for (let r = 0; r < repeats; r++) {
    const run = await cliRun(ctx, dir, cacheArgs);
    if (!run.t.stdout.includes(`${n} of ${n} answers from cache`)) {
      throw new Error(`not every answer came from the cache:\n${run.t.stdout}`);
    }
    cached.push(run.t);
    requests += run.stats.served;
    ctx.log(
      `cached run ${r + 1}/${repeats}: ${
        fmt(run.t.wallS, 2)
      } s, ${run.stats.served} server requests`,
    );
  }
  return { fill, cached, requests };
}

/** Live runs of `n` questions, cache off and cache on but empty, alternating. */
async function sideBySide(
  ctx: ScenarioContext,
  n: number,
  serviceMs: number,
  repeats: number,
) {
  const dir = await data(ctx, n);
  const off: Timed[] = [];
  const on: Timed[] = [];
  for (let r = 0; r < repeats; r++) {
    off.push((await cliRun(ctx, dir, ["--no-cache"], serviceMs)).t);
    const empty = join(ctx.tmp, `cache-empty-${serviceMs}-${r}`);
    on.push(
      (await cliRun(ctx, dir, ["--cache", "--cache-dir", empty], serviceMs)).t,
    );
    ctx.log(
      `live ${n} q, service ${serviceMs} ms, ${r + 1}/${repeats}: off ${
        fmt(off.at(-1)!.wallS, 2)
      } s (${fmt(cpu(off.at(-1)!), 2)} s CPU), empty cache ${
        fmt(on.at(-1)!.wallS, 2)
      } s (${fmt(cpu(on.at(-1)!), 2)} s CPU)`,
    );
  }
  return { off, on };
}

const wallOf = (ts: Timed[]) => median(ts.map((t) => t.wallS));

function row(label: string, ts: Timed[], q: number): string[] {
  return [
    label,
    spread(ts.map((t) => t.wallS), 2),
    fmt(q / wallOf(ts), 0),
    spread(ts.map(cpu), 2),
    spread(ts.map((t) => t.maxRssKb / 1024), 1),
  ];
}

/** The cache scenario of `deno task perf`. */
export const CACHE_SCENARIO: Scenario = {
  name: "cache",
  title: "7. Response cache: a fully cached run, and an empty cache's cost",
  async run(ctx) {
    const full = ctx.quick ? 2000 : 14_042;
    const instant = ctx.quick ? 500 : 3000;
    const slow = ctx.quick ? 200 : 1000;
    const repeats = ctx.quick ? 1 : 3;
    const f = await fullyCached(ctx, full, repeats);
    const a = await sideBySide(ctx, instant, 0, repeats);
    const b = await sideBySide(ctx, slow, 20, ctx.quick ? 1 : 5);
    const wall = wallOf(f.cached);
    const cpuPerQUs = (median(a.on.map(cpu)) - median(a.off.map(cpu))) /
      instant * 1e6;
    const slowCost = wallOf(b.on) / wallOf(b.off) - 1;
    return {
      setup:
        `fake Ollama P=8 answering in 0 ms (the client is the bottleneck: the worst case for the cache's cost) or 20 ms; \`--concurrency 8 --quiet\`, metrics off; ${repeats} repeat(s) (5 with the 20 ms server), cache off and on alternating. Wall time includes Deno start-up; CPU = user+sys of the CLI process (GNU time).`,
      tables: [{
        headers: ["run", "wall s", "q/s", "CPU s", "peak RSS MiB"],
        rows: [
          row(`live, filling the cache, ${full} q`, [f.fill], full),
          row(`**fully cached, ${full} q**`, f.cached, full),
          row(`live 0 ms, cache off, ${instant} q`, a.off, instant),
          row(`live 0 ms, cache on but empty, ${instant} q`, a.on, instant),
          row(`live 20 ms, cache off, ${slow} q`, b.off, slow),
          row(`live 20 ms, cache on but empty, ${slow} q`, b.on, slow),
        ],
      }],
      checks: [
        {
          target: "7a. Fully cached run",
          goal: "a few seconds, no server requests",
          measured: `${fmt(wall, 2)} s (${
            fmt(full / wall, 0)
          } q/s), ${f.requests} requests`,
          pass: wall <= 5 && f.requests === 0,
        },
        {
          target: "7b. Empty cache on a live run (20 ms server)",
          goal: "≤ 5% slower",
          measured: `wall ${fmt(slowCost * 100, 1)}%; client CPU +${
            fmt(cpuPerQUs, 0)
          } µs per question (0 ms server)`,
          pass: slowCost <= 0.05,
        },
      ],
      notes: [],
    };
  },
};
