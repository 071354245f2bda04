// Comparing runs on the same questions, as the leaderboard's code: the
// `compare A B` command (two rows, A and B named, per-subject and
// per-category paired differences) and the end of a multi-model run
// (leaderboard printed once, written into the run folder with report.html).

import { join, relative, resolve, sep } from "node:path";
import { UsageError } from "../errors.ts";
import {
  orientPair,
  pairTwoWay,
  renderTwoWayMarkdown,
  renderTwoWayText,
  twoWaySection,
} from "../report/compare_two.ts";
import { comparePaired } from "../report/compare.ts";
import { outcomeKey } from "../report/details.ts";
import { DEFAULT_COLUMNS, escapeHtml } from "../report/format.ts";
import {
  type BoardModel,
  buildLeaderboard,
  type Leaderboard,
} from "../report/leaderboard.ts";
import type { BoardPair } from "../report/leaderboard_pairs.ts";
import { findRunFolders } from "../report/leaderboard_input.ts";
import { renderLeaderboardHtml } from "../report/leaderboard_html.ts";
import {
  renderLeaderboardMarkdown,
  renderLeaderboardText,
} from "../report/leaderboard_text.ts";
import type { Summary } from "../report/summary.ts";
import type { Status } from "../schema.ts";
import { writeFileAtomic, writeJsonAtomic } from "../store/atomic.ts";
import { streamResults } from "../store/results_file.ts";
import { RUN_FILES } from "../store/run_folder.ts";
import {
  multiModelRunOf,
  tallyRuns,
  writeLeaderboardFiles,
} from "./leaderboard.ts";

/** One run taking part in a comparison. */
export interface ComparedRun {
  model: string;
  dir: string;
  summary: Summary;
}

/** Per-question outcomes of a run folder (id#repeat -> status). */
async function readOutcomes(dir: string): Promise<Map<string, Status>> {
  const out = new Map<string, Status>();
  for await (const r of streamResults(join(dir, RUN_FILES.results))) {
    out.set(outcomeKey(r), r.status);
  }
  return out;
}

/** comparison.json as before the leaderboard (kept for scripts that read it). */
async function writeLegacyComparison(dir: string, runs: ComparedRun[]) {
  const outcomes = [];
  for (const r of runs) outcomes.push(await readOutcomes(r.dir));
  const pairs = [];
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
}

function modelLinks(dir: string, b: Leaderboard): string {
  const items = b.models.map((m) => {
    const href = relative(dir, join(m.dir, RUN_FILES.report)).split("\\")
      .join("/");
    return `<li><a href="${escapeHtml(encodeURI(href))}">${
      escapeHtml(m.label)
    }</a></li>`;
  }).join("");
  return `<section><h2>Per-model reports</h2><ul>${items}</ul></section>`;
}

/**
 * The end of a multi-model run (and `report` of its folder): writes
 * leaderboard.json/.md/.html, comparison.json and a small report.html (the
 * leaderboard with links to each model's report) into `dir`; returns the
 * leaderboard text to print once.
 */
export async function writeComparison(
  dir: string,
  runs: ComparedRun[],
  width = DEFAULT_COLUMNS,
): Promise<string> {
  // A model stopped before its first answer has nothing to rank.
  runs = runs.filter((r) => r.summary.counts.total > 0);
  if (runs.length < 2) return "";
  const { runs: tallies, index } = await tallyRuns(runs.map((r) => r.dir));
  const board = buildLeaderboard(tallies, index.subjects, { all: true });
  await writeLeaderboardFiles(dir, board);
  await writeLegacyComparison(dir, runs);
  await writeFileAtomic(
    join(dir, RUN_FILES.report),
    renderLeaderboardHtml(board, {
      title: "Comparison",
      extra: modelLinks(dir, board),
    }),
  );
  return `\n${
    renderLeaderboardText(board, { width, title: "Comparison" })
  }${`Report: ${join(dir, RUN_FILES.report)}\n`}`;
}

/** A run folder, or a UsageError naming the model folders to pick from. */
async function oneRun(path: string): Promise<string> {
  const found = await findRunFolders([path]);
  if (found.length === 1 && resolve(found[0]!) === resolve(path)) return path;
  const list = found.slice(0, 12).map((d) => `  ${d}`).join("\n");
  throw new UsageError(
    `Cannot compare "${path}": it holds ${found.length} runs; pick one of them:\n${list}${
      found.length > 12 ? `\n  … and ${found.length - 12} more` : ""
    }`,
  );
}

function datasetWarning(a: Summary, b: Summary): string {
  const hashes = (s: Summary) =>
    JSON.stringify(s.dataset.files.map((f) => [f.file, f.sha256]));
  return hashes(a) === hashes(b)
    ? ""
    : "warning: the two runs read different dataset files (names or contents); only questions of identical files are paired\n";
}

/** The board with rows labelled `A: …`/`B: …` and its one pair oriented A − B. */
function markAB(
  board: Leaderboard,
  pair: BoardPair,
  a: string,
  b: string,
): Leaderboard {
  const rename = (l: string) => l === a ? `A: ${a}` : l === b ? `B: ${b}` : l;
  return {
    ...board,
    models: board.models.map((m) => ({ ...m, label: rename(m.label) })),
    pairs: [{ ...pair, a: rename(pair.a), b: rename(pair.b) }],
  };
}

/** The ranked row of run folder `dir`, or a UsageError saying why it has none. */
function rowOf(board: Leaderboard, dir: string, given: string): BoardModel {
  const row = board.models.find((m) => resolve(m.dir) === resolve(dir));
  if (row !== undefined) return row;
  const why = board.excluded.runs.find((r) => resolve(r.dir) === resolve(dir));
  throw new UsageError(
    `Cannot compare "${given}": ${why?.reason ?? "it has no scored question"}`,
  );
}

/** The `compare RUN_A RUN_B` command: terminal text, and files with an output folder. */
export async function compareRuns(
  dirA: string,
  dirB: string,
  outputDir: string | null,
  width = DEFAULT_COLUMNS,
): Promise<string> {
  const dirs = [await oneRun(dirA), await oneRun(dirB)];
  if (
    outputDir !== null &&
    dirs.some((d) => {
      const out = resolve(outputDir), run = resolve(d);
      return out === run || out.startsWith(run + "/");
    })
  ) {
    throw new UsageError(
      `Cannot compare into "${outputDir}": it is one of the compared runs (pick another --output-dir)`,
    );
  }
  if (outputDir !== null) {
    const out = resolve(outputDir);
    for (const top of dirs.map(multiModelRunOf)) {
      if (top !== null && (out === top || out.startsWith(top + sep))) {
        throw new UsageError(
          `Cannot compare into "${outputDir}": it is inside the run folder "${top}" of a compared run, which is only read (pick another --output-dir)`,
        );
      }
    }
  }
  const { runs, index } = await tallyRuns(dirs);
  if (resolve(dirs[0]!) === resolve(dirs[1]!)) {
    throw new UsageError(`Cannot compare "${dirA}" with itself`);
  }
  const ranked = buildLeaderboard(runs, index.subjects, { all: true });
  const a = rowOf(ranked, dirs[0]!, dirA);
  const b = rowOf(ranked, dirs[1]!, dirB);
  const pair = orientPair(ranked.pairs[0]!, a.label);
  const two = pairTwoWay(runs[0]!.status, runs[1]!.status, index.subjects);
  const names = { a: { ...a }, b: { ...b } };
  const board = markAB(ranked, pair, a.label, b.label);
  const warning = datasetWarning(runs[0]!.summary, runs[1]!.summary);
  let text = warning +
    renderLeaderboardText(board, { width, title: "Comparison", pairs: false }) +
    "\n" +
    renderTwoWayText(pair, two, names, width);
  if (outputDir !== null) {
    await Deno.mkdir(outputDir, { recursive: true });
    await writeJsonAtomic(join(outputDir, "comparison.json"), {
      ...board,
      a: names.a.label,
      b: names.b.label,
      "by_subject": two.subjects,
      "by_category": two.categories,
    });
    await writeFileAtomic(
      join(outputDir, "comparison.md"),
      renderLeaderboardMarkdown(board, "Comparison") + "\n" +
        renderTwoWayMarkdown(pair, two, names),
    );
    await writeFileAtomic(
      join(outputDir, RUN_FILES.report),
      renderLeaderboardHtml(board, {
        title: "Comparison",
        extra: twoWaySection(pair, two, names),
      }),
    );
    text += `Comparison written to ${
      join(outputDir, RUN_FILES.report)
    } (and comparison.json, comparison.md)\n`;
  }
  return text;
}
