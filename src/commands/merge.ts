// `llm-bench merge RUN_DIR… --output-dir DIR`: combines the run folders of
// `--shard I/N` runs into one run folder, refusing shards of different
// models, datasets or options and naming missing or overlapping shards.

import { join } from "node:path";
import { UsageError } from "../errors.ts";
import {
  type Manifest,
  MANIFEST_FILE,
  PROMPT_AFFECTING,
} from "../store/manifest.ts";
import { writeFileAtomic, writeJsonAtomic } from "../store/atomic.ts";
import { streamResults } from "../store/results_file.ts";
import {
  RUN_FILES,
  summariseResults,
  writeRunOutputs,
} from "../report/outputs.ts";
import { metaFromSummary, readSummary } from "./report.ts";
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
async function readManifest(dir: string): Promise<Manifest> {
  const read = async (d: string) =>
    JSON.parse(await Deno.readTextFile(join(d, MANIFEST_FILE))) as Manifest;
  try {
    return await read(dir);
  } catch {
    // a model folder: its run.json is one level up
  }
  try {
    const parent = await read(join(dir, ".."));
    let model: string | null = null;
    for await (const r of streamResults(join(dir, RUN_FILES.results))) {
      model = r.model;
      break;
    }
    if (model !== null) {
      return { ...parent, config: { ...parent.config, models: [model] } };
    }
  } catch {
    // fall through to the message below
  }
  throw new UsageError(
    `Cannot merge "${dir}": no ${MANIFEST_FILE} (is it a run folder?)`,
  );
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

/** Merges shard run folders into `outputDir`; returns what to print. */
export async function mergeRuns(
  dirs: string[],
  outputDir: string,
): Promise<string> {
  const shards: Shard[] = [];
  for (const dir of dirs) {
    const manifest = await readManifest(dir);
    const shard = (manifest.config.shard ?? null) as Shard["shard"];
    shards.push({ dir, manifest, shard });
  }
  const first = shards[0]!;
  for (const s of shards.slice(1)) {
    const diff = sameSetup(first.manifest, s.manifest);
    if (diff) {
      throw new UsageError(
        `Cannot merge "${s.dir}" with "${first.dir}": ${diff}`,
      );
    }
  }
  const models = first.manifest.config.models as string[];
  if (models.length !== 1) {
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
  records.sort((a, b) => a.index - b.index || a.repeat - b.repeat);

  // Every check before anything is written.
  const summaries = await Promise.all(shards.map((s) => readSummary(s.dir)));
  // The same name on two servers can be two different builds of a model.
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
  await Deno.mkdir(outputDir, { recursive: true });
  try {
    await Deno.stat(join(outputDir, RUN_FILES.results));
    throw new UsageError(
      `Cannot merge into "${outputDir}": it already holds ${RUN_FILES.results}`,
    );
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await writeFileAtomic(
    join(outputDir, RUN_FILES.results),
    records.map((r) => JSON.stringify(r)).join("\n") +
      (records.length ? "\n" : ""),
  );
  const meta = metaFromSummary(summaries[0]!);
  meta.complete = missing.length === 0 && summaries.every((s) => s.complete);
  meta.startedAt = summaries.map((s) => s["started_at"]).sort()[0]!;
  const ends = summaries.map((s) => s["finished_at"]).filter((x): x is string =>
    x !== null
  ).sort();
  meta.finishedAt = ends.length ? ends[ends.length - 1]! : null;
  meta.wallTimeS = meta.finishedAt
    ? (Date.parse(meta.finishedAt) - Date.parse(meta.startedAt)) / 1000
    : null;
  meta.config = { ...meta.config, shard: null };
  meta.runId = outputDir.split(/[\\/]/).filter(Boolean).pop() ?? meta.runId;
  await writeJsonAtomic(join(outputDir, MANIFEST_FILE), {
    ...first.manifest,
    "run_id": meta.runId,
    config: { ...first.manifest.config, shard: null },
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
