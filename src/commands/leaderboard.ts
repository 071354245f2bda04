// `llm-bench leaderboard PATH...`: finds runs under the paths, ranks one row
// per model + settings with significance between every pair, prints it and
// (with --output-dir) writes leaderboard.json, .md and .html.

import { dirname, join, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { DatasetError, UsageError } from "../errors.ts";
import {
  buildLeaderboard,
  DEFAULT_METRIC,
  type Leaderboard,
  type LeaderboardOptions,
} from "../report/leaderboard.ts";
import {
  findRunFolders,
  QuestionIndex,
  readRunSummary,
  type RunTally,
  tallyRun,
} from "../report/leaderboard_input.ts";
import { DEFAULT_COLUMNS } from "../report/format.ts";
import { renderLeaderboardHtml } from "../report/leaderboard_html.ts";
import {
  renderLeaderboardMarkdown,
  renderLeaderboardText,
} from "../report/leaderboard_text.ts";
import { writeFileAtomic, writeJsonAtomic } from "../store/atomic.ts";
import { RUN_FILES } from "../store/run_folder.ts";

/** File names the leaderboard writes. */
const LEADERBOARD_FILES = Object.freeze({
  json: "leaderboard.json",
  markdown: "leaderboard.md",
  html: "leaderboard.html",
});

/** Parsed `leaderboard` arguments. */
export interface LeaderboardArgs {
  paths: string[];
  /** Where leaderboard.json/.md/.html go; null prints only. */
  outputDir: string | null;
  subjects: string[] | null;
  metric: "accuracy" | "macro";
  all: boolean;
  help: boolean;
}

/** Help text of `llm-bench leaderboard` (fits 80 columns). */
const LEADERBOARD_HELP = `Usage: llm-bench leaderboard PATH... [options]

Ranks every model found under the PATHs (run folders, model folders of a
multi-model run, merged shard runs, or folders holding them): one row per
model + prompt settings, the newest complete run of each. Rows sharing a
group letter are not significantly different (exact McNemar test on the
questions both answered, Holm-adjusted over all pairs, 5%).

Options:
  --output-dir DIR     write leaderboard.json, leaderboard.md and
                       leaderboard.html into DIR (never into a run read)
  --subjects A,B       only these subjects
  --metric NAME        accuracy (default) or macro (mean over subjects)
  --all                one row per run (older runs of the same model and
                       settings are otherwise listed as not ranked)
  -h, --help           this help

Example:
  llm-bench leaderboard results --output-dir results/board
`;

/** Parses `leaderboard` arguments (after the subcommand); UsageError on bad ones. */
export function parseLeaderboardArgs(argv: string[]): LeaderboardArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        "output-dir": { type: "string" },
        subjects: { type: "string" },
        metric: { type: "string" },
        all: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    throw new UsageError(
      `Invalid arguments: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const v = parsed.values;
  const metric = v.metric ?? DEFAULT_METRIC;
  if (metric !== "accuracy" && metric !== "macro") {
    throw new UsageError(
      `Invalid arguments: --metric must be accuracy or macro, got "${metric}"`,
    );
  }
  const help = v.help ?? false;
  if (!help && parsed.positionals.length === 0) {
    throw new UsageError(
      "Invalid arguments: leaderboard needs at least one folder (try: llm-bench leaderboard results)",
    );
  }
  const subjects = v.subjects === undefined ? null : v.subjects.split(",")
    .map((s) => s.trim()).filter((s) => s !== "");
  return {
    paths: parsed.positionals,
    outputDir: v["output-dir"] ?? null,
    subjects: subjects && subjects.length > 0 ? subjects : null,
    metric,
    all: v.all ?? false,
    help,
  };
}

/** Reads the run folders (streaming each results file once). */
export async function tallyRuns(
  dirs: readonly string[],
): Promise<{ runs: RunTally[]; index: QuestionIndex }> {
  const index = new QuestionIndex();
  const runs: RunTally[] = [];
  for (const dir of dirs) {
    runs.push(await tallyRun(dir, await readRunSummary(dir), index));
  }
  return { runs, index };
}

/** Finds, reads and ranks the runs under `paths`. */
async function leaderboardOf(
  paths: readonly string[],
  opts: LeaderboardOptions = {},
): Promise<Leaderboard> {
  const { runs, index } = await tallyRuns(await findRunFolders(paths));
  const board = buildLeaderboard(runs, index.subjects, opts);
  checkSubjects(opts.subjects ?? null, index.subjects, board);
  checkOverlap(board);
  return board;
}

/** --subjects must name subjects the runs have. */
function checkSubjects(
  wanted: readonly string[] | null,
  subjectOf: readonly string[],
  board: Leaderboard,
) {
  if (wanted === null) return;
  const known = new Set(subjectOf);
  const unknown = wanted.filter((s) => !known.has(s));
  if (unknown.length > 0) {
    const some = [...known].sort().slice(0, 8).join(", ");
    throw new UsageError(
      `Cannot rank: no questions of subject${unknown.length > 1 ? "s" : ""} "${
        unknown.join('", "')
      }" in these runs (they have ${known.size} subjects: ${some}${
        known.size > 8 ? ", …" : ""
      })`,
    );
  }
  if (board.questions === 0) {
    throw new UsageError(
      `Cannot rank: no scored question in subjects "${wanted.join('", "')}"`,
    );
  }
}

/** A row that shares no question with any other row cannot be ranked against them. */
function checkOverlap(b: Leaderboard) {
  if (b.models.length < 2) return;
  for (const m of b.models) {
    const mine = b.pairs.filter((p) => p.a === m.label || p.b === m.label);
    if (mine.every((p) => p.shared === 0)) {
      throw new DatasetError(
        `Cannot rank "${m.label}" (${m.dir}): it shares no scored question with the other runs (different datasets); pass the runs of one dataset`,
        { file: m.dir },
      );
    }
  }
}

/** The top folder of a multi-model run holding model folder `dir` (it has run.json), or null. */
export function multiModelRunOf(dir: string): string | null {
  const parent = dirname(resolve(dir));
  try {
    Deno.statSync(join(parent, RUN_FILES.manifest));
    return parent;
  } catch {
    return null;
  }
}

/**
 * Refuses an output folder that is (or is inside) a run folder read, or the
 * top folder of a multi-model run whose model folders are read.
 */
function checkOutputDir(outputDir: string, board: Leaderboard) {
  const out = resolve(outputDir);
  const read = [
    ...board.models.map((m) => m.dir),
    ...board.excluded.runs.map((r) => r.dir),
  ];
  const tops = read.map(multiModelRunOf).filter((d) => d !== null);
  for (const d of [...read, ...tops]) {
    const run = resolve(d);
    if (out === run || out.startsWith(run + sep)) {
      throw new UsageError(
        `Cannot write into "${outputDir}": it is inside the run folder "${d}", which is only read (pick another --output-dir)`,
      );
    }
  }
}

/** Writes leaderboard.json, .md and .html into `dir` (created if needed). */
export async function writeLeaderboardFiles(
  dir: string,
  board: Leaderboard,
  title = "Leaderboard",
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await writeJsonAtomic(join(dir, LEADERBOARD_FILES.json), board);
  await writeFileAtomic(
    join(dir, LEADERBOARD_FILES.markdown),
    renderLeaderboardMarkdown(board, title),
  );
  await writeFileAtomic(
    join(dir, LEADERBOARD_FILES.html),
    renderLeaderboardHtml(board, { title }),
  );
}

/** The `leaderboard` command; returns what to print. */
export async function runLeaderboard(
  args: LeaderboardArgs,
  width = DEFAULT_COLUMNS,
): Promise<string> {
  if (args.help) return LEADERBOARD_HELP;
  const board = await leaderboardOf(args.paths, {
    metric: args.metric,
    all: args.all,
    subjects: args.subjects,
  });
  let text = renderLeaderboardText(board, { width });
  if (args.outputDir !== null) {
    checkOutputDir(args.outputDir, board);
    await writeLeaderboardFiles(args.outputDir, board);
    text += `Leaderboard written to ${
      join(args.outputDir, LEADERBOARD_FILES.html)
    } (and .json, .md)\n`;
  }
  return text;
}
