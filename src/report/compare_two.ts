// `compare A B` as the two-model case of the leaderboard: A and B named
// everywhere, the paired difference with its interval overall, per subject
// and per category, as terminal text, Markdown and an HTML section.

import { mmluCategory } from "./categories.ts";
import { accuracyChart, type AccuracyGroup } from "./charts.ts";
import {
  escapeHtml as h,
  escapeMarkdown,
  formatCi,
  formatP,
  formatPercent,
  formatPoints,
  sanitizeText,
  truncate,
} from "./format.ts";
import type { BoardModel } from "./leaderboard.ts";
import type { BoardPair } from "./leaderboard_pairs.ts";
import { STATUS_CODE } from "./leaderboard_input.ts";
import { pairedTest } from "./leaderboard_stats.ts";
import { wilson } from "../stats.ts";

/** The paired figures of A and B on one group of shared questions. */
export interface PairedGroup {
  name: string;
  /** Questions scored by both. */
  shared: number;
  both: number;
  /** A right, B not / B right, A not. */
  aOnly: number;
  bOnly: number;
  neither: number;
  "accuracy_a": number | null;
  "accuracy_b": number | null;
  /** A − B. */
  diff: number | null;
  "diff_ci95": [number, number] | null;
  /** Exact McNemar, not adjusted. */
  "p_value": number | null;
}

/** Paired figures overall, per subject and per MMLU category. */
export interface TwoWay {
  overall: PairedGroup;
  subjects: PairedGroup[];
  /** Null unless every subject is an MMLU subject. */
  categories: PairedGroup[] | null;
}

/** both, aOnly, bOnly, neither. */
type Counts4 = number[];

function group(name: string, c: Counts4): PairedGroup {
  const [both = 0, aOnly = 0, bOnly = 0, neither = 0] = c;
  const n = both + aOnly + bOnly + neither;
  return {
    name,
    shared: n,
    both,
    aOnly,
    bOnly,
    neither,
    "accuracy_a": n === 0 ? null : (both + aOnly) / n,
    "accuracy_b": n === 0 ? null : (both + bOnly) / n,
    ...pairedTest({ both, aOnly, bOnly, neither }),
  };
}

const isScored = (c: number | undefined) =>
  c !== undefined && c >= STATUS_CODE.correct && c <= STATUS_CODE.unparsed;

/**
 * Pairs two per-question status arrays (leaderboard_input.ts codes) on the
 * questions both scored, overall, per subject and per category.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pairTwoWay } from "./compare_two.ts";
 * const t = pairTwoWay(new Uint8Array([1, 1, 2]), new Uint8Array([2, 1, 2]), ["x", "x", "y"]);
 * assert.equal(t.overall.aOnly, 1);
 * assert.equal(t.subjects[0]!.shared, 2);
 * ```
 */
export function pairTwoWay(
  a: Uint8Array,
  b: Uint8Array,
  subjectOf: readonly string[],
  keep: ReadonlySet<string> | null = null,
): TwoWay {
  const per = new Map<string, Counts4>();
  const total: Counts4 = [0, 0, 0, 0];
  for (let i = 0; i < subjectOf.length; i++) {
    const x = a[i], y = b[i];
    if (!isScored(x) || !isScored(y)) continue;
    const subject = subjectOf[i]!;
    if (keep !== null && !keep.has(subject)) continue;
    const k = x === STATUS_CODE.correct
      ? (y === STATUS_CODE.correct ? 0 : 1)
      : (y === STATUS_CODE.correct ? 2 : 3);
    const c = per.get(subject) ?? [0, 0, 0, 0];
    c[k] = c[k]! + 1;
    total[k] = total[k]! + 1;
    per.set(subject, c);
  }
  const names = [...per.keys()].sort();
  const cats = new Map<string, Counts4>();
  let mmlu = names.length > 0;
  for (const name of names) {
    const cat = mmluCategory(name);
    if (cat === null) {
      mmlu = false;
      break;
    }
    const c = cats.get(cat) ?? [0, 0, 0, 0];
    per.get(name)!.forEach((v, k) => (c[k] = c[k]! + v));
    cats.set(cat, c);
  }
  return {
    overall: group("Overall", total),
    subjects: names.map((n) => group(n, per.get(n)!)),
    categories: mmlu
      ? [...cats.keys()].sort().map((n) => group(n, cats.get(n)!))
      : null,
  };
}

/** A pair of the board seen from A's side (diff A − B). */
export function orientPair(p: BoardPair, aLabel: string): BoardPair {
  if (p.a === aLabel) return p;
  const ci = p["diff_ci95"];
  return {
    ...p,
    a: p.b,
    b: p.a,
    "a_only": p["b_only"],
    "b_only": p["a_only"],
    diff: p.diff === null ? null : -p.diff,
    "diff_ci95": ci === null ? null : [-ci[1], -ci[0]],
  };
}

function verdict(p: BoardPair): string {
  if (p["p_value"] === null) return "no questions scored by both";
  return p["p_value"] < 0.05
    ? `difference is significant at 5% (exact McNemar p ${
      formatP(p["p_value"])
    })`
    : `no significant difference at 5% (exact McNemar p ${
      formatP(p["p_value"])
    })`;
}

function diffCi(ci: [number, number] | null): string {
  return ci === null ? "-" : `[${formatPoints(ci[0])}, ${formatPoints(ci[1])}]`;
}

function groupRows(groups: PairedGroup[]): string[][] {
  return groups.map((g) => [
    g.name.replaceAll("_", " "),
    String(g.shared),
    formatPercent(g["accuracy_a"]),
    formatPercent(g["accuracy_b"]),
    formatPoints(g.diff),
    diffCi(g["diff_ci95"]),
  ]);
}

function plainTable(head: string[], rows: string[][], width: number): string {
  const w = head.map((x, k) =>
    Math.max(x.length, ...rows.map((r) => r[k]!.length))
  );
  const spare = width - (w.reduce((a, b) => a + b, 0) + 2 * (w.length - 1));
  if (spare < 0) w[0] = Math.max(10, w[0]! + spare);
  const line = (r: string[]) =>
    r.map((c, k) => {
      const t = truncate(c, w[k]!);
      return k === 0 ? t.padEnd(w[k]!) : t.padStart(w[k]!);
    }).join("  ").trimEnd();
  return [line(head), w.map((x) => "-".repeat(x)).join("  "), ...rows.map(line)]
    .join("\n");
}

/** Who A and B are, for the renderers. */
export interface TwoNames {
  a: BoardModel;
  b: BoardModel;
}

/** The A-versus-B lines printed under the two-row table. */
export function renderTwoWayText(
  pair: BoardPair,
  two: TwoWay,
  names: TwoNames,
  width = 80,
): string {
  const a = sanitizeText(names.a.label), b = sanitizeText(names.b.label);
  const head = ["Subject", "Paired N", "A", "B", "A-B", "95% CI"];
  const out = [
    `A = ${a} (run ${sanitizeText(names.a.run)})`,
    `B = ${b} (run ${sanitizeText(names.b.run)})`,
    `Difference (A - B): ${formatPoints(pair.diff)} pts, 95% CI ${
      diffCi(pair["diff_ci95"])
    } on ${pair.shared} questions both answered`,
    `Both right ${pair["both_correct"]}, both wrong ${
      pair["both_wrong"]
    }, only A right ${pair["a_only"]}, only B right ${pair["b_only"]}`,
    `Paired test: ${verdict(pair)}`,
    `Excluded: ${pair.excluded} questions scored by only one of A and B`,
  ];
  if (two.categories !== null) {
    out.push("", "By category (paired, A - B in points):");
    out.push(
      plainTable(
        ["Category", ...head.slice(1)],
        groupRows(two.categories),
        width,
      ),
    );
  }
  out.push("", "By subject (paired, A - B in points):");
  out.push(plainTable(head, groupRows([...two.subjects, two.overall]), width));
  return out.join("\n") + "\n";
}

/** The A-versus-B part of comparison.md. */
export function renderTwoWayMarkdown(
  pair: BoardPair,
  two: TwoWay,
  names: TwoNames,
): string {
  const e = escapeMarkdown;
  const table = (title: string, groups: PairedGroup[]) => [
    `## ${title}`,
    "",
    `| ${
      title === "By category" ? "Category" : "Subject"
    } | Shared | A | B | A − B (pts) | 95% CI | p (exact) |`,
    "| :--- | ---: | ---: | ---: | ---: | :--- | ---: |",
    ...groups.map((g) =>
      `| ${e(g.name)} | ${g.shared} | ${formatPercent(g["accuracy_a"])} | ${
        formatPercent(g["accuracy_b"])
      } | ${formatPoints(g.diff)} | ${diffCi(g["diff_ci95"])} | ${
        g["p_value"] === null ? "-" : formatP(g["p_value"])
      } |`
    ),
    "",
  ];
  return [
    `- **A** = ${e(names.a.label)} (run ${e(names.a.run)})`,
    `- **B** = ${e(names.b.label)} (run ${e(names.b.run)})`,
    `- Difference A − B: ${formatPoints(pair.diff)} pts, 95% CI ${
      diffCi(pair["diff_ci95"])
    }, on ${pair.shared} questions both answered; ${e(verdict(pair))}`,
    `- Both right ${pair["both_correct"]}, both wrong ${
      pair["both_wrong"]
    }, only A right ${pair["a_only"]}, only B right ${
      pair["b_only"]
    }; ${pair.excluded} questions scored by only one`,
    "",
    ...(two.categories === null ? [] : table("By category", two.categories)),
    ...table("By subject", [...two.subjects, two.overall]),
  ].join("\n");
}

/** The A-versus-B section of the comparison page: charts ordered like report.html's. */
export function twoWaySection(
  pair: BoardPair,
  two: TwoWay,
  names: TwoNames,
): string {
  const colors = ["#2563eb", "#ea580c"];
  const bar = (g: PairedGroup, which: "a" | "b") => {
    const acc = which === "a" ? g["accuracy_a"] : g["accuracy_b"];
    const n = which === "a" ? g.both + g.aOnly : g.both + g.bOnly;
    const ci = wilson(n, g.shared);
    return {
      accuracy: acc,
      ci,
      color: colors[which === "a" ? 0 : 1]!,
      title: `${which.toUpperCase()} · ${g.name}: ${formatPercent(acc)} ${
        formatCi(ci)
      }, n=${g.shared}`,
    };
  };
  const groups: AccuracyGroup[] = [...two.subjects, two.overall].map((g) => ({
    label: g.name,
    strong: g === two.overall,
    bars: [bar(g, "a"), bar(g, "b")],
  }));
  const rows = (gs: PairedGroup[]) =>
    gs.map((g) =>
      `<tr${g === two.overall ? ' class="total"' : ""}><td class="name">${
        h(g.name.replaceAll("_", " "))
      }</td><td>${g.shared}</td><td>${formatPercent(g["accuracy_a"])}</td><td>${
        formatPercent(g["accuracy_b"])
      }</td><td class="acc">${formatPoints(g.diff)}</td><td class="ci">${
        diffCi(g["diff_ci95"])
      }</td><td class="opt${
        g["p_value"] !== null && g["p_value"] < 0.05 ? " sig" : ""
      }">${g["p_value"] === null ? "-" : formatP(g["p_value"])}</td></tr>`
    ).join("");
  const table = (first: string, gs: PairedGroup[]) =>
    `<div class="scroll"><table class="pairs"><thead><tr><th class="name">${first}</th><th>Shared</th><th>A</th><th>B</th><th>A − B</th><th>95% CI</th><th class="opt">p</th></tr></thead><tbody>${
      rows(gs)
    }</tbody></table></div>`;
  const legend = (m: BoardModel, k: 0 | 1) =>
    `<span class="legend"><span class="swatch" style="--run:${
      colors[k]
    }"></span><b>${k === 0 ? "A" : "B"}</b> = ${
      h(m.label)
    } <span class="mono">${h(m.run)}</span></span>`;
  return `<section id="a-vs-b"><h2>A − B</h2>
<div class="legends">${legend(names.a, 0)}${legend(names.b, 1)}</div>
<p><b>${formatPoints(pair.diff)} points</b> (95% CI ${
    diffCi(pair["diff_ci95"])
  }) on ${pair.shared} questions both answered; ${
    h(verdict(pair))
  }. Only A right ${pair["a_only"]}, only B right ${pair["b_only"]}.</p>
${
    two.categories === null
      ? ""
      : `<h3>By category</h3>${table("Category", two.categories)}`
  }
<h3>By subject</h3>${table("Subject", [...two.subjects, two.overall])}
<h3>Accuracy with 95% intervals (paired questions)</h3><div class="scroll">${
    accuracyChart(groups)
  }</div>
</section>`;
}
