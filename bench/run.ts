// deno-lint-ignore-file no-console -- the entry of `deno task perf` owns the terminal (progress lines)
// Entry of `deno task perf`: runs the performance scenarios of
// bench/scenarios.ts and writes bench/RESULTS.md (machine, command, a table
// per scenario with medians over repeats, and the targets side by side).
//
//   deno task perf [--quick] [--only NAME[,NAME]] [--out FILE]

import { parseArgs } from "node:util";
import { join } from "node:path";
import { readSampleRows } from "./dataset.ts";
import { REPO_DIR } from "./proc.ts";
import {
  type Check,
  type ScenarioContext,
  type ScenarioResult,
  SCENARIOS as BASE_SCENARIOS,
} from "./scenarios.ts";
import { autoShort } from "./auto_ramp.ts";
import { leaderboardScenario } from "./leaderboard.ts";
import { readers } from "./readers.ts";
import { renderTable } from "./stats.ts";
import { CACHE_SCENARIO } from "./cache.ts";

const SCENARIOS = [
  ...BASE_SCENARIOS,
  autoShort,
  CACHE_SCENARIO,
  leaderboardScenario,
  readers,
];

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string", multiple: true },
    out: { type: "string", default: join(REPO_DIR, "bench/RESULTS.md") },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(
    `deno task perf [--quick] [--only NAME[,NAME]] [--out FILE]\n  scenarios: ${
      SCENARIOS.map((s) => s.name).join(", ")
    }`,
  );
  Deno.exit(0);
}
const only = (values.only ?? []).flatMap((s) => s.split(",")).filter((s) =>
  s !== ""
);
for (const name of only) {
  if (!SCENARIOS.some((s) => s.name === name)) {
    console.error(
      `Unknown scenario "${name}"; one of ${
        SCENARIOS.map((s) => s.name).join(", ")
      }`,
    );
    Deno.exit(2);
  }
}
const chosen = SCENARIOS.filter((s) =>
  only.length === 0 || only.includes(s.name)
);

async function machine(): Promise<string[]> {
  let cpu = "?";
  try {
    // Deno needs --allow-all to read /proc directly; `cat` needs only --allow-run.
    const out = await new Deno.Command("cat", { args: ["/proc/cpuinfo"] })
      .output();
    const info = new TextDecoder().decode(out.stdout);
    cpu = /model name\s*:\s*(.+)/.exec(info)?.[1]?.trim() ?? "?";
  } catch {
    // not Linux
  }
  const mem = Deno.systemMemoryInfo();
  return [
    `- CPUs: ${navigator.hardwareConcurrency} × ${cpu}`,
    `- memory: ${(mem.total / 2 ** 30).toFixed(1)} GiB`,
    `- OS: ${Deno.build.os} ${Deno.osRelease()} (${Deno.build.arch})`,
    `- Deno ${Deno.version.deno}, V8 ${Deno.version.v8}`,
    `- load average at start: ${
      Deno.loadavg().map((x) => x.toFixed(2)).join(" ")
    }`,
  ];
}

const started = performance.now();
const elapsed = () => ((performance.now() - started) / 1000).toFixed(0);
const tmp = await Deno.makeTempDir({ prefix: "llm-bench-perf-" });
const ctx: ScenarioContext = {
  quick: values.quick,
  tmp,
  sample: await readSampleRows(),
  log: (m) => console.error(`[${elapsed()}s] ${m}`),
};

const results: Array<
  { title: string; result: ScenarioResult | null; error: string | null }
> = [];
try {
  for (const s of chosen) {
    ctx.log(`${s.name}: ${s.title}`);
    try {
      results.push({ title: s.title, result: await s.run(ctx), error: null });
    } catch (e) {
      const message = e instanceof Error ? e.stack ?? e.message : String(e);
      ctx.log(`${s.name} failed: ${message}`);
      results.push({ title: s.title, result: null, error: message });
    }
  }
} finally {
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
}

const checks: Check[] = results.flatMap((r) => r.result?.checks ?? []);
const mark = (p: boolean | null) =>
  p === null ? "–" : p ? "✅ met" : "❌ missed";
const args = Deno.args.length > 0 ? ` ${Deno.args.join(" ")}` : "";
let md = `# llm-bench performance results

Written by \`bench/run.ts\`; do not edit by hand.

- date: ${new Date().toISOString()}
- command: \`deno task perf${args}\`${
  values.quick ? " (quick smoke run: small sizes, one repeat)" : ""
}
- total time: ${elapsed()} s
${(await machine()).join("\n")}

Every client (the CLI, the bare loop) runs as its own process; the fake
Ollama (\`tests/fake_ollama.ts\`) runs in another. CPU and peak RSS are the
measured process's own, from GNU time. Figures are medians over repeats,
with (min–max).

## Targets

${
  renderTable({
    headers: ["target", "goal", "measured", "result"],
    rows: checks.map((c) => [c.target, c.goal, c.measured, mark(c.pass)]),
  })
}`;
for (const r of results) {
  md += `\n## ${r.title}\n\n`;
  if (r.result === null) {
    md += "Failed:\n\n```\n" + r.error + "\n```\n";
    continue;
  }
  md += `${r.result.setup}\n\n`;
  for (const t of r.result.tables) md += renderTable(t) + "\n";
  for (const n of r.result.notes) md += `${n}\n\n`;
}
await Deno.writeTextFile(values.out, md);
// Keep the file as `deno fmt` wants it, so `deno task check` stays green.
await new Deno.Command(Deno.execPath(), {
  args: ["fmt", "--quiet", values.out],
  cwd: REPO_DIR,
}).output();
ctx.log(`wrote ${values.out}`);
console.log(
  renderTable({
    headers: ["target", "goal", "measured", "result"],
    rows: checks.map((c) => [c.target, c.goal, c.measured, mark(c.pass)]),
  }),
);
