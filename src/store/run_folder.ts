// The run folder's layout: the names of the files in it, and reading them back.

import { join } from "node:path";
import { UsageError } from "../errors.ts";
import type { Summary } from "../report/summary.ts";

/** File names inside a run folder. */
export const RUN_FILES = Object.freeze({
  results: "results.jsonl",
  csv: "results.csv",
  summary: "summary.json",
  markdown: "summary.md",
  report: "report.html",
});

/** Reads a run folder's summary.json. */
export async function readSummary(dir: string): Promise<Summary> {
  try {
    return JSON.parse(
      await Deno.readTextFile(join(dir, RUN_FILES.summary)),
    ) as Summary;
  } catch (e) {
    throw new UsageError(
      `Cannot read "${join(dir, RUN_FILES.summary)}": ${
        e instanceof Error ? e.message : String(e)
      }`,
    );
  }
}
