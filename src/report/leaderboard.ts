// The leaderboard as data: one row per model + prompt-affecting settings
// (newest complete run), ranked, with Wilson intervals, every pair tested
// on the questions both scored (exact McNemar, Holm), and letter groups.

import { mmluCategory } from "./categories.ts";
import { type RunTally, STATUS_CODE } from "./leaderboard_input.ts";
import { compactLetters, paretoFront } from "./leaderboard_stats.ts";
import {
  type Bits,
  type BoardPair,
  countAny,
  sharedGap,
  testPairs,
  toBits,
} from "./leaderboard_pairs.ts";
import {
  rowSettings,
  type Settings,
  settingsLabel,
} from "./leaderboard_rows.ts";
import { ExactSum } from "./stats.ts";
import { wilson } from "../stats.ts";

/** Correct and scored counts of one group of questions. */
export interface Tally {
  correct: number;
  scored: number;
}

/** One ranked row (`models[]` of leaderboard.json). */
export interface BoardModel {
  /** Model tag as configured. */
  model: string;
  /** Unique display name: the tag plus the settings that differ between rows. */
  label: string;
  /** Run id of the run used. */
  run: string;
  /** Run folder read. */
  dir: string;
  rank: number;
  /** Compact letter display: rows sharing a letter are not significantly different. */
  group: string;
  accuracy: number | null;
  ci95: [number, number] | null;
  correct: number;
  scored: number;
  "macro_accuracy": number | null;
  unparsed: number;
  errors: number;
  skipped: number;
  /** Mean model time per answered question (prompt eval + generation), ms. */
  "service_ms_per_question": number | null;
  "tokens_per_second": number | null;
  digest: string | null;
  quantization: string | null;
  backend: string;
  "started_at": string;
  complete: boolean;
  /** On the accuracy-against-model-time Pareto front. */
  pareto: boolean;
  settings: Settings;
  /** Per subject, keys sorted. */
  subjects: Record<string, Tally>;
  /** Per MMLU category; null unless every subject is an MMLU subject. */
  categories: Record<string, Tally> | null;
}

/** A run that is not a row, and why. */
export interface ExcludedRun {
  run: string;
  dir: string;
  model: string;
  reason: string;
}

/** The whole leaderboard (leaderboard.json). */
export interface Leaderboard {
  "schema_version": 1;
  metric: "accuracy" | "macro";
  test: string;
  models: BoardModel[];
  pairs: BoardPair[];
  excluded: { runs: ExcludedRun[]; "questions_not_shared": number };
  /** Distinct questions seen over all rows. */
  questions: number;
  warnings: string[];
}

/** What the leaderboard ranks by unless told otherwise (`--metric`). */
export const DEFAULT_METRIC: "accuracy" | "macro" = "accuracy";

/** Options of {@link buildLeaderboard}. */
export interface LeaderboardOptions {
  /** Rank by accuracy or by macro accuracy. @default "accuracy" */
  metric?: "accuracy" | "macro";
  /** One row per run instead of per model + settings. @default false */
  all?: boolean;
  /** Only these subjects; null for all. @default null */
  subjects?: readonly string[] | null;
}

/**
 * Builds the leaderboard from tallied runs (see leaderboard_input.ts).
 * `subjectOf[i]` is the subject of question i. Pure.
 */
export function buildLeaderboard(
  runs: readonly RunTally[],
  subjectOf: readonly string[],
  opts: LeaderboardOptions = {},
): Leaderboard {
  const metric = opts.metric ?? DEFAULT_METRIC;
  const keep = opts.subjects ? new Set(opts.subjects) : null;
  const { rows, excluded, warnings } = pickRows(runs, opts.all ?? false);
  const n = subjectOf.length;
  const bits = rows.map((r) => toBits(r.tally.status, n, subjectOf, keep));
  const models = rows.map((r) =>
    rowFigures(r.tally, r.label, r.settings, subjectOf, keep)
  );
  const order = models.map((_, i) => i).sort((i, j) =>
    compareRows(models[i]!, models[j]!, metric)
  );
  const sorted = order.map((i) => models[i]!);
  const sortedBits = order.map((i) => bits[i]!);
  const pairs = testPairs(sorted.map((m) => m.label), sortedBits);
  assignRanks(sorted, metric);
  const sig = new Set(
    pairs.filter((p) => p.significant).map((p) => `${p.a}\u0000${p.b}`),
  );
  const letters = compactLetters(
    sorted.length,
    (i, j) => sig.has(`${sorted[i]!.label}\u0000${sorted[j]!.label}`),
  );
  sorted.forEach((m, i) => (m.group = letters[i]!));
  markPareto(sorted);
  warnings.push(...datasetWarnings(sorted, runs, sortedBits, pairs));
  return {
    "schema_version": 1,
    metric,
    test:
      "exact two-sided McNemar (binomial) on questions scored by both; Holm across all pairs; significant when p_holm < 0.05",
    models: sorted,
    pairs,
    excluded: {
      runs: excluded,
      "questions_not_shared": sharedGap(sortedBits, n),
    },
    questions: countAny(sortedBits),
    warnings,
  };
}

interface PickedRow {
  tally: RunTally;
  label: string;
  settings: Settings;
}

function pickRows(runs: readonly RunTally[], all: boolean) {
  const excluded: ExcludedRun[] = [];
  const warnings: string[] = [];
  const groups = new Map<string, RunTally[]>();
  for (const t of runs) {
    const s = t.summary;
    const shard: unknown = s.config.shard;
    if (typeof shard === "object" && shard !== null) {
      const { index, count } = shard as Record<string, unknown>;
      excluded.push(
        exclude(
          t,
          `shard ${String(index)}/${
            String(count)
          }: merge the shards first (llm-bench merge)`,
        ),
      );
      continue;
    }
    const key = all ? t.dir : JSON.stringify([
      s.model,
      s["model_info"]?.digest ?? null,
      rowSettings(s),
      // A run of another dataset is not a rerun of this one.
      datasetFingerprint(t),
    ]);
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  const chosen: RunTally[] = [];
  for (const group of groups.values()) {
    // Newest complete run; newest of all when none is complete.
    group.sort((x, y) =>
      Number(y.summary.complete) - Number(x.summary.complete) ||
      (y.summary["started_at"] < x.summary["started_at"] ? -1 : 1)
    );
    const used = group[0]!;
    chosen.push(used);
    for (const t of group.slice(1)) {
      excluded.push(
        exclude(
          t,
          `same model and settings as run "${
            used.summary["run_id"]
          }", which is ${
            used.summary.complete && !t.summary.complete ? "complete" : "newer"
          } (--all lists every run)`,
        ),
      );
    }
    // summary.json is checked for its identity fields only: counts may lack.
    const counted: unknown = used.summary.counts?.total;
    if (typeof counted === "number" && used.results < counted) {
      warnings.push(
        `"${used.summary.model}" (run "${
          used.summary["run_id"]
        }"): results.jsonl holds ${used.results} of the ${counted} results summary.json counts (cut short or edited): ranked on those ${used.results}`,
      );
    }
    if (!used.summary.complete) {
      warnings.push(
        `"${used.summary.model}" (run "${
          used.summary["run_id"]
        }") is incomplete: ranked on the questions it answered`,
      );
    }
  }
  const labels = settingsLabel(chosen.map((t) => t.summary));
  const rows: PickedRow[] = chosen.map((t, i) => ({
    tally: t,
    label: labels[i]!,
    settings: rowSettings(t.summary),
  }));
  return { rows, excluded, warnings };
}

function exclude(t: RunTally, reason: string): ExcludedRun {
  return {
    run: t.summary["run_id"],
    dir: t.dir,
    model: t.summary.model,
    reason,
  };
}

function rowFigures(
  t: RunTally,
  label: string,
  settings: Settings,
  subjectOf: readonly string[],
  keep: ReadonlySet<string> | null,
): BoardModel {
  const subjects: Record<string, Tally> = {};
  let unparsed = 0, errors = 0, skipped = 0, correct = 0, scored = 0;
  const len = Math.min(subjectOf.length, t.status.length);
  for (let i = 0; i < len; i++) {
    const c = t.status[i]!;
    if (c === 0) continue;
    const subject = subjectOf[i]!;
    if (keep !== null && !keep.has(subject)) continue;
    if (c === STATUS_CODE.error) errors++;
    else if (c === STATUS_CODE.skipped) skipped++;
    else {
      const g = subjects[subject] ??= { correct: 0, scored: 0 };
      g.scored++;
      scored++;
      if (c === STATUS_CODE.correct) (g.correct++, correct++);
      if (c === STATUS_CODE.unparsed) unparsed++;
    }
  }
  const sortedSubjects = Object.fromEntries(
    Object.entries(subjects).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  // Summed exactly, as summary.json's macro: the same whatever the order.
  const macro = new ExactSum();
  for (const g of Object.values(subjects)) macro.add(g.correct / g.scored);
  const nSubjects = Object.keys(subjects).length;
  const s = t.summary;
  return {
    model: s.model,
    label,
    run: s["run_id"],
    dir: t.dir,
    rank: 0,
    group: "",
    accuracy: scored === 0 ? null : correct / scored,
    ci95: wilson(correct, scored),
    correct,
    scored,
    "macro_accuracy": nSubjects === 0 ? null : macro.value() / nSubjects,
    unparsed,
    errors,
    skipped,
    "service_ms_per_question": t.serviceN === 0
      ? null
      : t.serviceMs / t.serviceN,
    "tokens_per_second": t.evalNs === 0
      ? null
      : t.evalTokens / (t.evalNs / 1e9),
    digest: s["model_info"]?.digest ?? null,
    quantization: s["model_info"]?.quantization ?? null,
    backend: s.backend,
    "started_at": s["started_at"],
    complete: s.complete,
    pareto: false,
    settings,
    subjects: sortedSubjects,
    categories: categoriesOf(sortedSubjects),
  };
}

/** Per-category tallies; null unless every subject is an MMLU subject. */
export function categoriesOf(
  subjects: Record<string, Tally>,
): Record<string, Tally> | null {
  const out: Record<string, Tally> = {};
  const names = Object.keys(subjects);
  if (names.length === 0) return null;
  for (const [name, g] of Object.entries(subjects)) {
    const cat = mmluCategory(name);
    if (cat === null) return null;
    const c = out[cat] ??= { correct: 0, scored: 0 };
    c.correct += g.correct;
    c.scored += g.scored;
  }
  return Object.fromEntries(
    Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

function metricOf(m: BoardModel, metric: "accuracy" | "macro"): number {
  return (metric === "macro" ? m["macro_accuracy"] : m.accuracy) ?? -1;
}

function compareRows(
  a: BoardModel,
  b: BoardModel,
  metric: "accuracy" | "macro",
): number {
  return metricOf(b, metric) - metricOf(a, metric) || b.scored - a.scored ||
    (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);
}

function assignRanks(sorted: BoardModel[], metric: "accuracy" | "macro") {
  sorted.forEach((m, i) => {
    const prev = sorted[i - 1];
    m.rank =
      prev !== undefined && metricOf(prev, metric) === metricOf(m, metric)
        ? prev.rank
        : i + 1;
  });
}

function markPareto(sorted: BoardModel[]) {
  const timed = sorted.filter((m) =>
    m["service_ms_per_question"] !== null && m.accuracy !== null
  );
  for (
    const i of paretoFront(timed.map((m) => ({
      cost: m["service_ms_per_question"]!,
      value: m.accuracy!,
    })))
  ) timed[i]!.pareto = true;
}

/** The dataset files a run read, by name and hash, as one string. */
function datasetFingerprint(t: RunTally): string {
  return JSON.stringify(
    t.summary.dataset.files.map((f) => [f.file, f.sha256]).sort(),
  );
}

function datasetWarnings(
  sorted: BoardModel[],
  runs: readonly RunTally[],
  bits: Bits[],
  pairs: BoardPair[],
): string[] {
  const out: string[] = [];
  const used = new Set(sorted.map((m) => m.dir));
  const prints = new Set(
    runs.filter((t) => used.has(t.dir)).map(datasetFingerprint),
  );
  if (prints.size > 1) {
    out.push(
      `the rows read different dataset files (${prints.size} different sets by name and hash): each pair is tested only on the questions both scored`,
    );
  }
  const gap = sharedGap(bits, (bits[0]?.scored.length ?? 0) * 32);
  if (gap > 0) {
    out.push(
      `the rows were scored on different questions (${gap} not scored by every row): accuracies are over each row's own questions, pairs over shared ones`,
    );
  }
  for (const p of pairs) {
    if (p.shared === 0) {
      out.push(`"${p.a}" and "${p.b}" share no scored question: not tested`);
    }
  }
  return out;
}
