// Everything a finished (or interrupted) run folder shows: summary.json,
// summary.md, report.html and results.csv, rebuilt by streaming results.jsonl
// so a fresh, resumed or merged run summarises the same way.

import { renderReport } from "./html.ts";
import { renderSummaryMarkdown } from "./markdown.ts";
import { type ReportDetails, ReportDetailsBuilder } from "./details.ts";
import { type RunMeta, type Summary, SummaryBuilder } from "./summary.ts";
import {
  writeAtomic,
  writeFileAtomic,
  writeJsonAtomic,
} from "../store/atomic.ts";
import { streamResults } from "../store/results_file.ts";
import { RUN_FILES } from "../store/run_folder.ts";
import { join } from "node:path";
import { csvHeader, csvLine } from "./csv_export.ts";

/** Summary and report details of one run folder, read from its results.jsonl. */
export async function summariseResults(
  dir: string,
  meta: RunMeta,
  opts: { keepOutcomes?: boolean } = {},
): Promise<{ summary: Summary; details: ReportDetails }> {
  const builder = new SummaryBuilder();
  const details = new ReportDetailsBuilder({
    keepOutcomes: opts.keepOutcomes ?? false,
  });
  try {
    for await (const r of streamResults(join(dir, RUN_FILES.results))) {
      builder.add(r);
      details.add(r);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return { summary: builder.build(meta), details: details.build() };
}

/** Writes results.csv from results.jsonl (streamed; replaced atomically). */
export async function writeResultsCsv(dir: string): Promise<void> {
  await writeAtomic(join(dir, RUN_FILES.csv), async (write) => {
    write(csvHeader());
    try {
      for await (const r of streamResults(join(dir, RUN_FILES.results))) {
        write(csvLine(r));
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  });
}

/** Writes summary.json, summary.md, report.html and results.csv of one run folder. */
export async function writeRunOutputs(
  dir: string,
  summary: Summary,
  details: ReportDetails,
): Promise<void> {
  await writeJsonAtomic(join(dir, RUN_FILES.summary), summary);
  await writeFileAtomic(
    join(dir, RUN_FILES.markdown),
    renderSummaryMarkdown(summary),
  );
  await writeFileAtomic(
    join(dir, RUN_FILES.report),
    renderReport([summary], [details]),
  );
  await writeResultsCsv(dir);
}
