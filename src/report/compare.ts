// Paired comparison of two runs on the same questions: accuracies on the
// common scored questions, discordant pairs and McNemar's test, as data
// (rendered by compare_two.ts).

import type { Status } from "../schema.ts";
import { mcnemar, type McNemarResult } from "./stats.ts";
import { wilson } from "../stats.ts";

/** What the comparison needs of a result line. */
export interface PairedOutcome {
  /** Question id; use `id#repeat` to pair repeats. */
  id: string;
  status: Status;
}

/** Result of {@link comparePaired}. */
export interface PairedComparison {
  /** Distinct ids on side A / B. */
  "n_a": number;
  "n_b": number;
  /** Ids scored (correct, wrong or unparsed) on both sides: the paired set. */
  "n_common": number;
  /** Ids present on A only / B only (excluded). */
  "only_a": number;
  "only_b": number;
  /** Ids on both sides but error or skipped on at least one (excluded). */
  excluded: number;
  /** Accuracy of A / B over the paired set; null when it is empty. */
  "accuracy_a": number | null;
  "accuracy_b": number | null;
  "ci95_a": [number, number] | null;
  "ci95_b": [number, number] | null;
  /** accuracy_a − accuracy_b; null when the paired set is empty. */
  difference: number | null;
  "both_correct": number;
  "both_wrong": number;
  /** A right, B not. */
  b: number;
  /** B right, A not. */
  c: number;
  mcnemar: McNemarResult;
}

const SCORED: ReadonlySet<Status> = new Set(["correct", "wrong", "unparsed"]);

/** One side of a comparison: outcome lines, or a map of id to status. */
export type PairedSide = Iterable<PairedOutcome> | ReadonlyMap<string, Status>;

function isStatusMap(
  side: PairedSide,
): side is ReadonlyMap<string, Status> {
  return side instanceof Map;
}

function toMap(items: PairedSide): ReadonlyMap<string, Status> {
  if (isStatusMap(items)) return items;
  const map = new Map<string, Status>();
  for (const item of items) map.set(item.id, item.status);
  return map;
}

/**
 * Pairs two runs by question id and compares correctness. Only questions
 * scored on both sides enter the test; missing or errored ones are counted
 * and excluded. When an id repeats within one side, its last status counts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { comparePaired } from "./compare.ts";
 * const r = comparePaired(
 *   [{ id: "q1", status: "correct" }, { id: "q2", status: "wrong" }],
 *   [{ id: "q1", status: "wrong" }, { id: "q2", status: "wrong" }],
 * );
 * assert.equal(r.b, 1);
 * assert.equal(r.mcnemar.p_value, 1);
 * ```
 */
export function comparePaired(
  a: PairedSide,
  b: PairedSide,
): PairedComparison {
  const mapA = toMap(a);
  const mapB = toMap(b);
  let onlyA = 0;
  let excluded = 0;
  let common = 0;
  let correctA = 0;
  let correctB = 0;
  let bothCorrect = 0;
  let bothWrong = 0;
  let disB = 0;
  let disC = 0;
  for (const [id, sa] of mapA) {
    const sb = mapB.get(id);
    if (sb === undefined) {
      onlyA++;
      continue;
    }
    if (!SCORED.has(sa) || !SCORED.has(sb)) {
      excluded++;
      continue;
    }
    common++;
    const ra = sa === "correct";
    const rb = sb === "correct";
    if (ra) correctA++;
    if (rb) correctB++;
    if (ra && rb) bothCorrect++;
    else if (!ra && !rb) bothWrong++;
    else if (ra) disB++;
    else disC++;
  }
  let onlyB = 0;
  for (const id of mapB.keys()) if (!mapA.has(id)) onlyB++;
  const accA = common === 0 ? null : correctA / common;
  const accB = common === 0 ? null : correctB / common;
  return {
    "n_a": mapA.size,
    "n_b": mapB.size,
    "n_common": common,
    "only_a": onlyA,
    "only_b": onlyB,
    excluded,
    "accuracy_a": accA,
    "accuracy_b": accB,
    "ci95_a": wilson(correctA, common),
    "ci95_b": wilson(correctB, common),
    difference: accA === null || accB === null ? null : accA - accB,
    "both_correct": bothCorrect,
    "both_wrong": bothWrong,
    b: disB,
    c: disC,
    mcnemar: mcnemar(disB, disC),
  };
}
