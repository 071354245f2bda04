// The performance scenarios of `deno task perf`: each runs the real CLI (or
// the bare loop) as its own process against the fake Ollama in another
// process, repeats, and returns tables of medians plus checks against the
// targets. Never run as tests: they take minutes and depend on the machine.

import { parse as parseCsvSync } from "csv-parse/sync";
import { join } from "node:path";
import { discoverFiles } from "../src/dataset/discover.ts";
import { readDataset } from "../src/dataset/read.ts";
import { type Row, writeSyntheticDataset } from "./dataset.ts";
import {
  type FakeStats,
  type GcTrace,
  mustSucceed,
  parseGcTrace,
  REPO_DIR,
  runCli,
  runTimed,
  startFake,
  type Timed,
} from "./proc.ts";
import { fmt, median, spread, type Table } from "./stats.ts";

/** What every scenario gets. */
export interface ScenarioContext {
  /** Smaller sizes and one repeat: a smoke run. */
  quick: boolean;
  /** Scratch folder, removed by the caller. */
  tmp: string;
  sample: readonly Row[];
  /** Progress line on stderr. */
  log(message: string): void;
}

/** One target of the issue, measured. */
export interface Check {
  target: string;
  goal: string;
  measured: string;
  /** null when there is no pass/fail (informational). */
  pass: boolean | null;
}

/** What a scenario reports. */
export interface ScenarioResult {
  setup: string;
  tables: Table[];
  checks: Check[];
  notes: string[];
}

/** A named scenario. */
export interface Scenario {
  name: string;
  title: string;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

const datasets = new Map<string, { dir: string; bytes: number }>();

/** A synthetic dataset of `n` questions, written once per bench run. */
export async function dataset(
  ctx: ScenarioContext,
  n: number,
): Promise<{ dir: string; bytes: number }> {
  const key = `${ctx.tmp}:${n}`;
  const have = datasets.get(key);
  if (have) return have;
  const dir = join(ctx.tmp, `data-${n}`);
  const bytes = await writeSyntheticDataset(dir, n, ctx.sample);
  const got = { dir, bytes };
  datasets.set(key, got);
  return got;
}

let outCounter = 0;

/**
 * One CLI benchmark run against `url`; the run folder is removed afterwards.
 * `metricsPort` is the `--metrics-port` value ("off" for no metrics server).
 */
export async function harness(
  ctx: ScenarioContext,
  data: string,
  url: string,
  extra: string[],
  v8Flags: string[] = [],
  metricsPort = "0",
): Promise<Timed> {
  const out = join(ctx.tmp, `out-${outCounter++}`);
  try {
    return mustSucceed(
      await runCli([
        data,
        "--model",
        "llama3.2",
        "--base-url",
        url,
        "--output-dir",
        out,
        "--metrics-port",
        metricsPort,
        ...extra,
      ], v8Flags),
      "llm-bench",
    );
  } finally {
    await Deno.remove(out, { recursive: true }).catch(() => {});
  }
}

/** The bare fetch loop against `url`. */
async function bareLoop(data: string, url: string, workers: number) {
  return mustSucceed(
    await runTimed(Deno.execPath(), [
      "run",
      "--allow-net",
      "--allow-read",
      join(REPO_DIR, "bench/bare_loop.ts"),
      "--url",
      url,
      "--dataset",
      data,
      "--workers",
      String(workers),
    ]),
    "bare loop",
  );
}

/** Runs `client` against a fresh fake; returns the client's figures and the fake's slot stats. */
export async function withFake(
  parallel: number,
  serviceMs: number,
  client: (url: string) => Promise<Timed>,
): Promise<{ t: Timed; stats: FakeStats }> {
  const fake = await startFake(parallel, serviceMs);
  let t: Timed;
  try {
    t = await client(fake.url);
  } catch (e) {
    await fake.stop().catch(() => {});
    throw e;
  }
  return { t, stats: await fake.stop() };
}

const cpu = (t: Timed) => t.userS + t.sysS;

const utilisation: Scenario = {
  name: "utilisation",
  title: "1. Slot utilisation: harness vs bare fetch loop",
  async run(ctx) {
    const p = 8, serviceMs = 50;
    const n = ctx.quick ? 120 : 400;
    const repeats = ctx.quick ? 1 : 5;
    const { dir } = await dataset(ctx, n);
    const h: Array<{ t: Timed; stats: FakeStats }> = [];
    const b: Array<{ t: Timed; stats: FakeStats }> = [];
    for (let r = 0; r < repeats; r++) {
      const runH = async () => {
        h.push(
          await withFake(
            p,
            serviceMs,
            (url) => harness(ctx, dir, url, ["--concurrency", "8", "--quiet"]),
          ),
        );
      };
      const runB = async () => {
        b.push(await withFake(p, serviceMs, (url) => bareLoop(dir, url, 8)));
      };
      // Alternate the order so drift on a noisy machine hits both alike.
      if (r % 2 === 0) {
        await runH();
        await runB();
      } else {
        await runB();
        await runH();
      }
      ctx.log(
        `utilisation ${r + 1}/${repeats}: harness ${
          fmt(h.at(-1)!.stats.utilisation, 4)
        }, bare ${fmt(b.at(-1)!.stats.utilisation, 4)}`,
      );
    }
    const uh = h.map((x) => x.stats.utilisation);
    const ub = b.map((x) => x.stats.utilisation);
    const ratio = median(uh) / median(ub);
    const paired = median(uh.map((u, i) => u / ub[i]!));
    const row = (name: string, xs: typeof h) => [
      name,
      spread(xs.map((x) => x.stats.utilisation), 4),
      spread(xs.map((x) => x.stats.windowMs / 1000), 3),
      spread(xs.map((x) => x.stats.busyMsTotal / x.stats.served), 2),
      String(median(xs.map((x) => x.stats.maxInFlight))),
      spread(xs.map((x) => cpu(x.t)), 2),
    ];
    return {
      setup:
        `fake Ollama P=${p} slots, service ${serviceMs} ms; ${n} questions; harness \`--concurrency 8 --quiet\` vs bare loop with 8 workers (bench/bare_loop.ts); ${repeats} repeat(s), order alternated. Utilisation = busy slot-time / (P × serving window), from the fake's stats.`,
      tables: [{
        headers: [
          "client",
          "utilisation median (min–max)",
          "serving window s",
          "slot ms / request",
          "max in flight",
          "client CPU s",
        ],
        rows: [
          row("llm-bench", h),
          row("bare fetch loop", b),
          [
            "**ratio harness / bare**",
            `${fmt(ratio, 4)} (paired median ${fmt(paired, 4)})`,
            "",
            "",
            "",
            "",
          ],
        ],
      }],
      checks: [{
        target: "1. utilisation vs bare loop",
        goal: "≥ 0.97 × bare",
        measured: `${fmt(ratio, 4)} × (${fmt(median(uh), 4)} vs ${
          fmt(median(ub), 4)
        })`,
        pass: ratio >= 0.97,
      }],
      notes: [],
    };
  },
};

const SETTLED_REGEXP = /concurrency auto settled at ([\d, ]+)/;

const auto: Scenario = {
  name: "auto",
  title: "2. `--concurrency auto` against 6 unknown slots",
  async run(ctx) {
    const p = 6, serviceMs = 50;
    // Long enough (300 rounds of the 6 slots) that the ramp from 1 and the
    // drain at the end are a small part of the serving window.
    const n = ctx.quick ? 150 : 1800;
    const repeats = ctx.quick ? 1 : 3;
    const { dir } = await dataset(ctx, n);
    const runs: Array<{ t: Timed; stats: FakeStats; settled: string }> = [];
    const bare: FakeStats[] = [];
    for (let r = 0; r < repeats; r++) {
      const got = await withFake(
        p,
        serviceMs,
        (url) => harness(ctx, dir, url, ["--concurrency", "auto", "--quiet"]),
      );
      const settled = SETTLED_REGEXP.exec(got.t.stderr)?.[1]?.trim() ?? "?";
      runs.push({ ...got, settled });
      bare.push(
        (await withFake(p, serviceMs, (url) => bareLoop(dir, url, p))).stats,
      );
      ctx.log(
        `auto ${r + 1}/${repeats}: utilisation ${
          fmt(got.stats.utilisation, 4)
        }, settled at ${settled}, max waiting ${got.stats.maxWaiting}`,
      );
    }
    const u = median(runs.map((x) => x.stats.utilisation));
    return {
      setup:
        `fake Ollama P=${p} slots (not told to the harness), service ${serviceMs} ms; ${n} questions; \`--concurrency auto --quiet\`; reference: bare loop with exactly ${p} workers; ${repeats} repeat(s).`,
      tables: [{
        headers: [
          "client",
          "utilisation median (min–max)",
          "settled at",
          "max in flight",
          "max waiting on server",
          "serving window s",
        ],
        rows: [
          [
            "llm-bench auto",
            spread(runs.map((x) => x.stats.utilisation), 4),
            runs.map((x) => x.settled).join(" / "),
            runs.map((x) => x.stats.maxInFlight).join(" / "),
            runs.map((x) => x.stats.maxWaiting).join(" / "),
            spread(runs.map((x) => x.stats.windowMs / 1000), 3),
          ],
          [
            `bare loop, ${p} workers`,
            spread(bare.map((x) => x.utilisation), 4),
            String(p),
            bare.map((x) => x.maxInFlight).join(" / "),
            bare.map((x) => x.maxWaiting).join(" / "),
            spread(bare.map((x) => x.windowMs / 1000), 3),
          ],
        ],
      }],
      checks: [{
        target: "2. auto utilisation (6 slots)",
        goal: "≥ 0.97",
        measured: `${fmt(u, 4)}, settled at ${
          runs.map((x) => x.settled).join(" / ")
        }`,
        pass: u >= 0.97,
      }],
      notes: [],
    };
  },
};

const cpuPerQuestion: Scenario = {
  name: "cpu",
  title: "3. Harness CPU per question (instant server)",
  async run(ctx) {
    const n = ctx.quick ? 100 : 779;
    const repeats = ctx.quick ? 1 : 5;
    const small = await dataset(ctx, n);
    const large = await dataset(ctx, 4 * n);
    const a: Timed[] = [], b: Timed[] = [];
    const bareA: Timed[] = [], bareB: Timed[] = [];
    for (let r = 0; r < repeats; r++) {
      for (const [data, into] of [[small, a], [large, b]] as const) {
        into.push(
          (await withFake(
            8,
            0,
            (url) => harness(ctx, data.dir, url, ["--concurrency", "8"]),
          )).t,
        );
      }
      for (const [data, into] of [[small, bareA], [large, bareB]] as const) {
        into.push(
          (await withFake(8, 0, (url) => bareLoop(data.dir, url, 8))).t,
        );
      }
      ctx.log(
        `cpu ${r + 1}/${repeats}: ${n} q ${fmt(cpu(a.at(-1)!), 2)} s, ${
          4 * n
        } q ${fmt(cpu(b.at(-1)!), 2)} s (bare loop ${
          fmt(cpu(bareA.at(-1)!), 2)
        } s, ${fmt(cpu(bareB.at(-1)!), 2)} s)`,
      );
    }
    const perQOf = (x: Timed[], y: Timed[]) =>
      (median(y.map(cpu)) - median(x.map(cpu))) / (3 * n) * 1000;
    const perQ = perQOf(a, b);
    const barePerQ = perQOf(bareA, bareB);
    const paired = median(b.map((t, i) => (cpu(t) - cpu(a[i]!)) / (3 * n))) *
      1000;
    const row = (label: string, ts: Timed[], q: number) => [
      label,
      spread(ts.map(cpu), 3),
      spread(ts.map((t) => t.userS), 3),
      spread(ts.map((t) => t.sysS), 3),
      spread(ts.map((t) => t.wallS), 2),
      fmt(q / median(ts.map((t) => t.wallS)), 0),
      spread(ts.map((t) => t.maxRssKb / 1024), 1),
    ];
    return {
      setup:
        `fake Ollama P=8, service 0 ms; \`--concurrency 8\`, metrics on (port 0), JSON log file, progress on (stderr piped, not a TTY); ${repeats} repeat(s). CPU = user+sys of the CLI process alone (GNU time). Per question = (cpu(4N) − cpu(N)) / 3N so start-up cancels.`,
      tables: [{
        headers: [
          "client, questions",
          "CPU s (user+sys)",
          "user s",
          "sys s",
          "wall s",
          "q/s",
          "peak RSS MiB",
        ],
        rows: [
          row(`llm-bench, N = ${n}`, a, n),
          row(`llm-bench, 4N = ${4 * n}`, b, 4 * n),
          [
            "**llm-bench per question**",
            `${fmt(perQ, 3)} ms (paired median ${fmt(paired, 3)} ms)`,
            "",
            "",
            "",
            "",
            "",
          ],
          row(`bare loop, N = ${n}`, bareA, n),
          row(`bare loop, 4N = ${4 * n}`, bareB, 4 * n),
          [
            "bare loop per question (fetch floor)",
            `${fmt(barePerQ, 3)} ms`,
            "",
            "",
            "",
            "",
            "",
          ],
        ],
      }],
      checks: [{
        target: "3. CPU per question",
        goal: "≤ 0.3 ms",
        measured: `${fmt(perQ, 3)} ms (bare fetch loop ${fmt(barePerQ, 3)} ms)`,
        pass: perQ <= 0.3,
      }],
      notes: [],
    };
  },
};

const memory: Scenario = {
  name: "memory",
  title: "4. Peak memory: 10× the questions",
  async run(ctx) {
    const n = ctx.quick ? 500 : 5000;
    const repeats = ctx.quick ? 1 : 3;
    const small = await dataset(ctx, n);
    const large = await dataset(ctx, 10 * n);
    const a: Timed[] = [], b: Timed[] = [];
    for (let r = 0; r < repeats; r++) {
      for (const [data, into] of [[small, a], [large, b]] as const) {
        into.push(
          (await withFake(
            8,
            0,
            (url) => harness(ctx, data.dir, url, ["--concurrency", "8"]),
          )).t,
        );
      }
      ctx.log(
        `memory ${r + 1}/${repeats}: ${n} q ${
          fmt(a.at(-1)!.maxRssKb / 1024, 1)
        } MiB, ${10 * n} q ${fmt(b.at(-1)!.maxRssKb / 1024, 1)} MiB`,
      );
    }
    // One more run of each size with --trace-gc: the heap left after a full
    // GC is the live data, whatever V8 keeps committed.
    const traces = [];
    for (const data of [small, large]) {
      const { t } = await withFake(
        8,
        0,
        (url) =>
          harness(ctx, data.dir, url, ["--concurrency", "8"], ["--trace-gc"]),
      );
      traces.push(parseGcTrace(t.stdout));
    }
    const [ta, tb] = traces as [GcTrace, GcTrace];
    ctx.log(
      `memory: live heap after full GC ${fmt(ta.maxLiveMb, 1)} MB vs ${
        fmt(tb.maxLiveMb, 1)
      } MB`,
    );
    const rss = (ts: Timed[]) => median(ts.map((t) => t.maxRssKb / 1024));
    const ratio = rss(b) / rss(a);
    const row = (
      label: string,
      ts: Timed[],
      bytes: number,
      gc: GcTrace,
    ) => [
      label,
      fmt(bytes / 1e6, 1),
      spread(ts.map((t) => t.maxRssKb / 1024), 1),
      `${fmt(gc.maxLiveMb, 1)} (${gc.fullGcs} full GCs)`,
      fmt(gc.maxCommittedMb, 1),
      spread(ts.map(cpu), 2),
      spread(ts.map((t) => t.wallS), 1),
    ];
    return {
      setup:
        `synthetic MMLU CSVs (1000 questions per file), fake Ollama P=8, service 0 ms; \`--concurrency 8\`, metrics and progress on; ${repeats} repeat(s). Peak RSS of the CLI process (GNU time %M). Heap columns: one extra run of each size with \`--v8-flags=--trace-gc\` (diagnostic only).`,
      tables: [{
        headers: [
          "questions",
          "dataset MB",
          "peak RSS MiB",
          "V8 live heap after full GC, max MB",
          "V8 heap committed, max MB",
          "CPU s",
          "wall s",
        ],
        rows: [
          row(String(n), a, small.bytes, ta),
          row(String(10 * n), b, large.bytes, tb),
          [
            "**ratio**",
            "",
            fmt(ratio, 3),
            fmt(tb.maxLiveMb / ta.maxLiveMb, 3),
            fmt(tb.maxCommittedMb / ta.maxCommittedMb, 3),
            "",
            "",
          ],
        ],
      }],
      checks: [{
        target: "4. peak RSS 50k / 5k",
        goal: "≤ 1.3",
        measured: `${fmt(ratio, 3)} (${fmt(rss(b), 1)} vs ${
          fmt(rss(a), 1)
        } MiB)`,
        pass: ratio <= 1.3,
      }],
      notes: [],
    };
  },
};

const startup: Scenario = {
  name: "startup",
  title: "5. Start-up",
  async run(ctx) {
    const repeats = ctx.quick ? 3 : 10;
    const empty = join(ctx.tmp, "empty.ts");
    await Deno.writeTextFile(empty, "");
    const mmlu = join(REPO_DIR, "tests/fixtures/mmlu/test");
    const floor: Timed[] = [], help: Timed[] = [], pre: Timed[] = [];
    // One warm-up of each so the module cache is filled.
    await runTimed(Deno.execPath(), ["run", empty]);
    mustSucceed(await runCli(["--help"]), "llm-bench --help");
    const fake = await startFake(1, 0);
    try {
      for (let r = 0; r < repeats; r++) {
        floor.push(await runTimed(Deno.execPath(), ["run", empty]));
        help.push(mustSucceed(await runCli(["--help"]), "llm-bench --help"));
        const out = join(ctx.tmp, `pre-${r}`);
        pre.push(mustSucceed(
          await runCli([
            mmlu,
            "--model",
            "llama3.2",
            "--base-url",
            fake.url,
            "--output-dir",
            out,
            "--metrics-port",
            "0",
            "--preflight-only",
            "--quiet",
          ]),
          "llm-bench --preflight-only",
        ));
      }
    } finally {
      await fake.stop();
    }
    ctx.log(
      `startup: deno floor ${
        fmt(median(floor.map((t) => t.wallS)) * 1000, 0)
      } ms, --help ${
        fmt(median(help.map((t) => t.wallS)) * 1000, 0)
      } ms, --preflight-only ${
        fmt(median(pre.map((t) => t.wallS)) * 1000, 0)
      } ms`,
    );
    const row = (label: string, ts: Timed[]) => [
      label,
      fmt(median(ts.map((t) => t.wallS)) * 1000, 0),
      `${fmt(Math.min(...ts.map((t) => t.wallS)) * 1000, 0)}–${
        fmt(Math.max(...ts.map((t) => t.wallS)) * 1000, 0)
      }`,
      fmt(median(ts.map(cpu)) * 1000, 0),
      fmt(median(ts.map((t) => t.maxRssKb / 1024)), 1),
    ];
    const helpMs = median(help.map((t) => t.wallS)) * 1000;
    const preMs = median(pre.map((t) => t.wallS)) * 1000;
    return {
      setup:
        `wall time of the whole process as the parent sees it (spawn to exit), median of ${repeats}; \`deno run\` with the \`deno task cli\` flags, module cache warm. --preflight-only reads the shared MMLU test sample (398 questions) and asks a fake Ollama.`,
      tables: [{
        headers: [
          "command",
          "wall ms median",
          "min–max ms",
          "CPU ms",
          "peak RSS MiB",
        ],
        rows: [
          row("`deno run empty.ts` (floor)", floor),
          row("`llm-bench --help`", help),
          row("`llm-bench --preflight-only`", pre),
        ],
      }],
      checks: [
        {
          target: "5a. `--help` wall",
          goal: "< 100 ms",
          measured: `${fmt(helpMs, 0)} ms`,
          pass: helpMs < 100,
        },
        {
          target: "5b. `--preflight-only` wall",
          goal: "< 100 ms",
          measured: `${fmt(preMs, 0)} ms`,
          pass: preMs < 100,
        },
      ],
      notes: [],
    };
  },
};

/** Seconds to read every question of `dir` through readDataset. */
async function timeReadDataset(dir: string): Promise<number> {
  const files = await discoverFiles(dir, "*.csv");
  const t0 = performance.now();
  let n = 0;
  for await (const item of readDataset(files.files)) {
    if (item.kind === "question") n++;
  }
  if (n === 0) throw new Error("no questions read");
  return (performance.now() - t0) / 1000;
}

/** Seconds for csv-parse's sync parser alone on the same files (the floor). */
async function timeCsvParseSync(dir: string): Promise<number> {
  const texts: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    texts.push(await Deno.readTextFile(join(dir, e.name)));
  }
  const t0 = performance.now();
  for (const t of texts) parseCsvSync(t, { relaxColumnCount: true });
  return (performance.now() - t0) / 1000;
}

interface BenchJson {
  benches: Array<{
    name: string;
    results: Array<{ ok?: { avg: number; n: number; p75: number } }>;
  }>;
}

const parsing: Scenario = {
  name: "parse",
  title: "6. CSV parsing, answer extraction, prompt building",
  async run(ctx) {
    const n = ctx.quick ? 2000 : 20000;
    const repeats = ctx.quick ? 2 : 5;
    const { dir, bytes } = await dataset(ctx, n);
    await timeReadDataset(dir); // warm-up (JIT)
    const read: number[] = [], sync: number[] = [];
    for (let r = 0; r < repeats; r++) {
      read.push(await timeReadDataset(dir));
      sync.push(await timeCsvParseSync(dir));
    }
    const mb = bytes / 1e6;
    ctx.log(
      `parse: readDataset ${fmt(mb / median(read), 1)} MB/s, csv-parse sync ${
        fmt(mb / median(sync), 1)
      } MB/s`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "bench",
        "--json",
        "--allow-read",
        "--allow-write",
        join(REPO_DIR, "bench/parse_bench.ts"),
      ],
      cwd: REPO_DIR,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (out.code !== 0) {
      throw new Error(
        `deno bench failed: ${new TextDecoder().decode(out.stderr)}`,
      );
    }
    const json = JSON.parse(text) as BenchJson;
    const micro = json.benches.map((b) => {
      const ok = b.results[0]?.ok;
      return [
        b.name,
        ok ? fmt(ok.avg / 1000, 2) : "failed",
        ok ? fmt(ok.p75 / 1000, 2) : "",
        ok ? fmt(1e9 / ok.avg, 0) : "",
      ];
    });
    return {
      setup: `${n} synthetic questions (${fmt(mb, 2)} MB in ${
        Math.ceil(n / 1000)
      } files), read ${repeats}× after a warm-up, in the bench process; micro benchmarks: \`deno bench bench/parse_bench.ts\`.`,
      tables: [
        {
          headers: ["reader", "MB/s median (min–max)", "questions/s"],
          rows: [
            [
              "`readDataset` (src/dataset/read.ts, streaming)",
              spread(read.map((s) => mb / s), 1),
              fmt(n / median(read), 0),
            ],
            [
              "csv-parse/sync alone (floor, no checks)",
              spread(sync.map((s) => mb / s), 1),
              fmt(n / median(sync), 0),
            ],
          ],
        },
        {
          headers: ["Deno.bench", "avg µs/iter", "p75 µs", "iter/s"],
          rows: micro,
        },
      ],
      checks: [{
        target: "6. CSV parse throughput",
        goal: "(informational)",
        measured: `${fmt(mb / median(read), 1)} MB/s`,
        pass: null,
      }],
      notes: [],
    };
  },
};

/** Every scenario, in report order. */
export const SCENARIOS: readonly Scenario[] = [
  utilisation,
  auto,
  cpuPerQuestion,
  memory,
  startup,
  parsing,
];
