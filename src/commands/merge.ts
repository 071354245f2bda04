// `llm-bench merge RUN_DIR… --output-dir DIR`: combines the run folders of
// `--shard I/N` runs into one run folder, refusing shards of different
// models, datasets or options and naming missing or overlapping shards.

import { join } from "node:path";
import { UsageError } from "../errors.ts";
import {
  type Manifest,
  PROMPT_AFFECTING,
  recordedModels,
  recordedShard,
} from "../store/manifest.ts";
import { writeFileAtomic, writeJsonAtomic } from "../store/atomic.ts";
import { streamResults } from "../store/results_file.ts";
import {
  MANIFEST_FILE,
  readManifestNear,
  readSummary,
  RUN_FILES,
} from "../store/run_folder.ts";
import { summariseResults, writeRunOutputs } from "../report/outputs.ts";
import type { RunMeta, Summary } from "../report/summary.ts";
import type { PlannedWork } from "../store/summary_json.ts";
import { metaFromSummary } from "./report.ts";
import { renderSummaryText } from "../report/text.ts";
import type { ResultRecord } from "../schema.ts";

interface Shard {
  dir: string;
  manifest: Manifest;
  shard: { index: number; count: number } | null;
}

/**
 * The manifest of a run folder, or of its parent for one model's folder of a
 * multi-model run (then narrowed to that model).
 */
async function readShard(dir: string): Promise<Shard> {
  const near = await readManifestNear(dir);
  let manifest = near?.manifest ?? null;
  if (near?.inParent) {
    manifest = null;
    try {
      for await (const r of streamResults(join(dir, RUN_FILES.results))) {
        manifest = {
          ...near.manifest,
          config: { ...near.manifest.config, models: [r.model] },
        };
        break;
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  if (manifest === null) {
    throw new UsageError(
      `Cannot merge "${dir}": no ${MANIFEST_FILE} (is it a run folder?)`,
    );
  }
  return { dir, manifest, shard: recordedShard(manifest) };
}

function sameSetup(a: Manifest, b: Manifest): string | null {
  for (const key of PROMPT_AFFECTING) {
    if (key === "shard") continue;
    if (JSON.stringify(a.config[key]) !== JSON.stringify(b.config[key])) {
      return `option "${key}" differs`;
    }
  }
  const fa = JSON.stringify(a.dataset.files.map((f) => [f.file, f.sha256]));
  const fb = JSON.stringify(b.dataset.files.map((f) => [f.file, f.sha256]));
  if (fa !== fb) return "the dataset files differ";
  return null;
}

/** Refuses shards of different setups, counts or the same index; returns the missing ones. */
function checkShards(shards: Shard[]): string[] {
  const first = shards[0]!;
  for (const s of shards.slice(1)) {
    const diff = sameSetup(first.manifest, s.manifest);
    if (diff) {
      throw new UsageError(
        `Cannot merge "${s.dir}" with "${first.dir}": ${diff}`,
      );
    }
  }
  if (recordedModels(first.manifest).length !== 1) {
    throw new UsageError(
      "Cannot merge multi-model runs: merge each model's folder (e.g. shard1/MODEL shard2/MODEL)",
    );
  }
  const count = first.shard?.count ?? 1;
  const seen = new Map<number, string>();
  for (const s of shards) {
    if ((s.shard?.count ?? 1) !== count) {
      throw new UsageError(
        `Cannot merge "${s.dir}": it is one of ${
          s.shard?.count ?? 1
        } shards, others of ${count}`,
      );
    }
    const idx = s.shard?.index ?? 1;
    if (seen.has(idx)) {
      throw new UsageError(
        `Cannot merge: shard ${idx}/${count} appears twice ("${
          seen.get(idx)
        }", "${s.dir}")`,
      );
    }
    seen.set(idx, s.dir);
  }
  const missing = [];
  for (let i = 1; i <= count; i++) {
    if (!seen.has(i)) missing.push(`${i}/${count}`);
  }
  return missing;
}

/** Every result of every shard, in question order; refuses overlaps. */
async function collectResults(shards: Shard[]): Promise<ResultRecord[]> {
  const records: ResultRecord[] = [];
  const ids = new Map<string, string>();
  for (const s of shards) {
    for await (const r of streamResults(join(s.dir, RUN_FILES.results))) {
      const key = `${r.id}#${r.repeat}`;
      if (ids.has(key)) {
        throw new UsageError(
          `Cannot merge: question "${r.id}" is in both "${
            ids.get(key)
          }" and "${s.dir}" (overlapping shards)`,
        );
      }
      ids.set(key, s.dir);
      records.push(r);
    }
  }
  return records.sort((a, b) => a.index - b.index || a.repeat - b.repeat);
}

/** The same name on two servers can be two different builds of a model. */
function checkOneBuild(summaries: Summary[]): void {
  const digests = new Set(
    summaries.map((s) => s["model_info"]?.digest ?? null).filter((
      d,
    ): d is string => d !== null),
  );
  if (digests.size > 1) {
    throw new UsageError(
      `Cannot merge: the shards ran different builds of the model (digests ${
        [...digests].map((d) => d.slice(0, 12)).join(", ")
      })`,
    );
  }
}

async function claimOutput(outputDir: string): Promise<void> {
  await Deno.mkdir(outputDir, { recursive: true });
  try {
    await Deno.stat(join(outputDir, RUN_FILES.results));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  throw new UsageError(
    `Cannot merge into "${outputDir}": it already holds ${RUN_FILES.results}`,
  );
}

/** Run facts of the merged run: first start, last finish, no shard. */
function mergedMeta(
  summaries: Summary[],
  complete: boolean,
  outputDir: string,
): RunMeta {
  const meta = metaFromSummary(summaries[0]!);
  meta.complete = complete && summaries.every((s) => s.complete);
  meta.startedAt = summaries.map((s) => s["started_at"]).sort()[0]!;
  const ends = summaries.map((s) => s["finished_at"]).filter((x): x is string =>
    x !== null
  ).sort();
  meta.finishedAt = ends.length ? ends[ends.length - 1]! : null;
  meta.wallTimeS = meta.finishedAt
    ? (Date.parse(meta.finishedAt) - Date.parse(meta.startedAt)) / 1000
    : null;
  meta.config = { ...meta.config, shard: null };
  meta.planned = plannedOfAll(summaries);
  meta.runId = outputDir.split(/[\\/]/).filter(Boolean).pop() ?? meta.runId;
  return meta;
}

/** What the shards planned together; unknown when one of them does not say. */
function plannedOfAll(summaries: Summary[]): PlannedWork | undefined {
  const all: PlannedWork = { questions: 0, subjects: {} };
  for (const s of summaries) {
    if (s.planned === undefined) return undefined;
    all.questions += s.planned.questions;
    for (const [name, n] of Object.entries(s.planned.subjects)) {
      all.subjects[name] = (all.subjects[name] ?? 0) + n;
    }
  }
  return all;
}

/** Merges shard run folders into `outputDir`; returns what to print. */
export async function mergeRuns(
  dirs: string[],
  outputDir: string,
): Promise<string> {
  const shards: Shard[] = [];
  for (const dir of dirs) shards.push(await readShard(dir));
  const missing = checkShards(shards);
  const records = await collectResults(shards);
  // Every check before anything is written.
  const summaries = await Promise.all(shards.map((s) => readSummary(s.dir)));
  checkOneBuild(summaries);
  await claimOutput(outputDir);
  await writeFileAtomic(
    join(outputDir, RUN_FILES.results),
    records.map((r) => JSON.stringify(r)).join("\n") +
      (records.length ? "\n" : ""),
  );
  const meta = mergedMeta(summaries, missing.length === 0, outputDir);
  const first = shards[0]!.manifest;
  await writeJsonAtomic(join(outputDir, MANIFEST_FILE), {
    ...first,
    "run_id": meta.runId,
    config: { ...first.config, shard: null },
  });
  const { summary, details } = await summariseResults(outputDir, meta);
  await writeRunOutputs(outputDir, summary, details);
  const warn = missing.length
    ? `\nwarning: missing shard(s) ${
      missing.join(", ")
    }: the merged run is incomplete\n`
    : "";
  return renderSummaryText(summary) + warn +
    `\nMerged ${shards.length} shard(s) into ${outputDir}\n`;
}
