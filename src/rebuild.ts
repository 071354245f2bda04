// `llm-bench report RUN_DIR…`: rebuilds summary.json, summary.md and
// report.html from results.jsonl (after a resume, a merge, or with a newer
// version), keeping the run facts recorded in the old summary.

import { join } from "node:path";
import type { ModelInfo } from "./backend/backend.ts";
import { writeComparison } from "./comparison.ts";
import { RUN_FILES, summariseResults, writeRunOutputs } from "./outputs.ts";
import type { RunMeta, Summary } from "./report/summary.ts";
import { renderSummaryText } from "./report/text.ts";
import { UsageError } from "./errors.ts";
import { TOOL } from "./version.ts";

/** The run facts of an existing summary, to summarise its results again. */
export function metaFromSummary(s: Summary): RunMeta {
  const mi = s["model_info"];
  const modelInfo: ModelInfo | null = mi === null ? null : {
    name: s.model,
    serverVersion: mi["server_version"],
    digest: mi.digest,
    family: mi.family,
    parameterSize: mi["parameter_size"],
    quantization: mi.quantization,
    capabilities: mi.capabilities,
    contextLength: mi["context_length"],
  };
  return {
    runId: s["run_id"],
    complete: s.complete,
    startedAt: s["started_at"],
    finishedAt: s["finished_at"],
    wallTimeS: s["wall_time_s"],
    model: s.model,
    modelInfo,
    backend: s.backend,
    mode: s.mode,
    dataset: s.dataset,
    config: s.config,
    tool: { ...TOOL },
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

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

/** Rebuilds one run folder (or each model folder of a multi-model run). */
async function rebuildOne(dir: string): Promise<string> {
  if (await exists(join(dir, RUN_FILES.results))) {
    const old = await readSummary(dir);
    const { summary, details } = await summariseResults(
      dir,
      metaFromSummary(old),
    );
    await writeRunOutputs(dir, summary, details);
    return renderSummaryText(summary) + `\nRebuilt ${dir}\n`;
  }
  const runs = [];
  for await (const entry of Deno.readDir(dir)) {
    const sub = join(dir, entry.name);
    if (entry.isDirectory && await exists(join(sub, RUN_FILES.results))) {
      const old = await readSummary(sub);
      const { summary, details } = await summariseResults(
        sub,
        metaFromSummary(old),
      );
      await writeRunOutputs(sub, summary, details);
      runs.push({ model: summary.model, dir: sub, summary });
    }
  }
  if (runs.length === 0) {
    throw new UsageError(
      `Cannot rebuild "${dir}": no ${RUN_FILES.results} in it`,
    );
  }
  runs.sort((a, b) => (a.dir < b.dir ? -1 : 1));
  return runs.length > 1
    ? await writeComparison(dir, runs)
    : renderSummaryText(runs[0]!.summary);
}

/** Rebuilds the reports of each run folder; returns what to print. */
export async function rebuildReports(dirs: string[]): Promise<string> {
  const out: string[] = [];
  for (const d of dirs) out.push(await rebuildOne(d));
  return out.join("\n");
}
