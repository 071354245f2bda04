// Comparing runs on the same questions: comparison.json, comparison.md and a
// comparison report.html for a multi-model run, and the `compare` command.
// Per-question outcomes are streamed from each run's results.jsonl.

import { join, resolve } from "node:path";
import { UsageError } from "../errors.ts";
import {
  comparePaired,
  type PairedComparison,
  renderCompareMarkdown,
  renderCompareText,
} from "../report/compare.ts";
import {
  outcomeKey,
  type ReportDetails,
  ReportDetailsBuilder,
} from "../report/details.ts";
import { renderReport } from "../report/html.ts";
import { asciiTable } from "../report/text.ts";
import { formatCi, formatPercent, sanitizeText } from "../report/format.ts";
import type { Summary } from "../report/summary.ts";
import type { Status } from "../schema.ts";
import { writeFileAtomic, writeJsonAtomic } from "../store/atomic.ts";
import { streamResults } from "../store/results_file.ts";
import { RUN_FILES } from "../report/outputs.ts";
import { readSummary } from "../store/run_folder.ts";

/** One run taking part in a comparison. */
export interface ComparedRun {
  model: string;
  dir: string;
  summary: Summary;
}

/** Per-question outcomes of a run folder (id#repeat -> status). */
export async function readOutcomes(dir: string): Promise<Map<string, Status>> {
  const out = new Map<string, Status>();
  for await (const r of streamResults(join(dir, RUN_FILES.results))) {
    out.set(outcomeKey(r), r.status);
  }
  return out;
}

/** Compares every pair; writes comparison.json, comparison.md and report.html into `dir`. Returns a console table. */
export async function writeComparison(
  dir: string,
  runs: ComparedRun[],
): Promise<string> {
  const outcomes: Map<string, Status>[] = [];
  const details: ReportDetails[] = [];
  for (const r of runs) {
    const builder = new ReportDetailsBuilder({ keepOutcomes: true });
    for await (const rec of streamResults(join(r.dir, RUN_FILES.results))) {
      builder.add(rec);
    }
    const d = builder.build();
    details.push(d);
    outcomes.push(d.outcomes ?? new Map());
  }
  const pairs: Array<{ a: string; b: string; result: PairedComparison }> = [];
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      pairs.push({
        a: runs[i]!.model,
        b: runs[j]!.model,
        result: comparePaired(outcomes[i]!, outcomes[j]!),
      });
    }
  }
  const models = runs.map((r) => ({
    model: r.model,
    dir: r.dir,
    accuracy: r.summary.accuracy,
    "accuracy_ci95": r.summary["accuracy_ci95"],
    "accuracy_macro": r.summary["accuracy_macro"],
    counts: r.summary.counts,
    "latency_ms": r.summary["latency_ms"],
    "tokens_per_second": r.summary["tokens_per_second"],
  }));
  await writeJsonAtomic(join(dir, "comparison.json"), {
    "schema_version": 1,
    models,
    pairs,
  });
  const md = pairs.map((p) =>
    renderCompareMarkdown(p.result, { a: p.a, b: p.b })
  ).join("\n");
  await writeFileAtomic(join(dir, "comparison.md"), md);
  await writeFileAtomic(
    join(dir, RUN_FILES.report),
    renderReport(runs.map((r) => r.summary), details),
  );

  const rows = runs.map((r) => [
    sanitizeText(r.model),
    String(r.summary.counts.total),
    formatPercent(r.summary.accuracy),
    formatCi(r.summary["accuracy_ci95"]),
    r.summary["latency_ms"]
      ? `${Math.round(r.summary["latency_ms"].p50)} ms`
      : "-",
    r.summary["tokens_per_second"] === null
      ? "-"
      : r.summary["tokens_per_second"].toFixed(1),
  ]);
  const table = asciiTable([
    "Model",
    "N",
    "Accuracy",
    "95% CI",
    "p50 latency",
    "tok/s",
  ], rows);
  const tests = pairs.map((p) =>
    renderCompareText(p.result, { a: p.a, b: p.b })
  ).join("\n");
  return `\nComparison\n${table}\n${tests}\nComparison written to ${
    join(dir, "comparison.json")
  }\n`;
}

/** The `compare RUN_A RUN_B` command: terminal, Markdown and HTML. */
export async function compareRuns(
  dirA: string,
  dirB: string,
  outputDir: string | null,
): Promise<string> {
  const [sa, sb] = [await readSummary(dirA), await readSummary(dirB)];
  // Questions are paired by file:line: that only means something on the same files.
  const hashes = (s: Summary) =>
    JSON.stringify(s.dataset.files.map((f) => [f.file, f.sha256]));
  const warning = hashes(sa) === hashes(sb)
    ? ""
    : "warning: the two runs read different dataset files (names or contents); questions are paired by file:line\n";
  const runs: ComparedRun[] = [
    { model: `${sa.model} (${sa["run_id"]})`, dir: dirA, summary: sa },
    { model: `${sb.model} (${sb["run_id"]})`, dir: dirB, summary: sb },
  ];
  if (
    outputDir !== null &&
    [dirA, dirB].some((d) => resolve(d) === resolve(outputDir))
  ) {
    throw new UsageError(
      `Cannot compare into "${outputDir}": it is one of the compared runs (pick another --output-dir)`,
    );
  }
  if (outputDir !== null) {
    await Deno.mkdir(outputDir, { recursive: true });
    return warning + await writeComparison(outputDir, runs);
  }
  const result = comparePaired(
    await readOutcomes(dirA),
    await readOutcomes(dirB),
  );
  return warning +
    renderCompareText(result, { a: runs[0]!.model, b: runs[1]!.model });
}
