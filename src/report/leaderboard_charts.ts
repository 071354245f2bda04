// The leaderboard's pictures, as server-side strings: a models × subjects
// (or categories) accuracy heatmap table with hover details, and an
// accuracy-against-model-time scatter (inline SVG) with the Pareto front.

import type { BoardModel, Tally } from "./leaderboard.ts";
import {
  escapeHtml as h,
  formatCi,
  formatPercent,
  truncate,
} from "./format.ts";
import { wilson } from "../stats.ts";

/** Cell colour for an accuracy: red (0) through amber to green (1). */
function heat(acc: number): string {
  const hue = Math.round(Math.max(0, Math.min(1, acc)) * 120);
  return `hsl(${hue} 70% 45% / .38)`;
}

function cell(g: Tally | undefined, model: string, row: string): string {
  if (g === undefined || g.scored === 0) {
    return `<td class="na" data-v="-1">-</td>`;
  }
  const acc = g.correct / g.scored;
  const tip = `${model} · ${row}: ${
    formatPercent(acc)
  } (${g.correct}/${g.scored}), 95% CI ${
    formatCi(wilson(g.correct, g.scored))
  }`;
  return `<td style="background:${heat(acc)}" data-v="${
    acc.toFixed(5)
  }" title="${h(tip)}">${(acc * 100).toFixed(0)}</td>`;
}

/**
 * A sortable heatmap table: one row per subject (or category), one column per
 * model (best first), cells coloured by accuracy with n and interval on hover.
 */
export function heatmapTable(
  models: readonly BoardModel[],
  kind: "subjects" | "categories",
): string {
  const names = new Set<string>();
  for (const m of models) {
    for (
      const k of Object.keys(
        (kind === "subjects" ? m.subjects : m.categories) ?? {},
      )
    ) {
      names.add(k);
    }
  }
  const rows = [...names].sort();
  const head = models.map((m, i) =>
    `<th class="sort" data-col="${i + 1}" title="${h(m.label)}">${
      h(truncate(m.label, 18))
    }</th>`
  ).join("");
  const body = rows.map((r) =>
    `<tr><th class="name">${h(r.replaceAll("_", " "))}</th>${
      models.map((m) =>
        cell(
          (kind === "subjects" ? m.subjects : m.categories ?? {})[r],
          m.label,
          r,
        )
      ).join("")
    }</tr>`
  ).join("\n");
  return `<div class="scroll"><table class="heat sortable"><thead><tr><th class="name sort" data-col="0">${
    kind === "subjects" ? "Subject" : "Category"
  }</th>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function niceTicks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (
      let e = Math.floor(Math.log10(lo));
      e <= Math.ceil(Math.log10(hi));
      e++
    ) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= lo && v <= hi) out.push(v);
      }
    }
    return out.length >= 2 ? out : [lo, hi];
  }
  const span = hi - lo || 1;
  const step = 10 ** Math.floor(Math.log10(span / 4));
  const unit = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 6) ??
    step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(lo / unit) * unit; v <= hi + 1e-9; v += unit) {
    out.push(Number(v.toPrecision(6)));
  }
  return out;
}

function fmtMs(v: number): string {
  return v >= 1000 ? `${(v / 1000).toPrecision(2)} s` : `${Math.round(v)} ms`;
}

const W = 520, H = 360, L = 52, R = 12, T = 16, B = 48;

/** Data → pixel mapping of the scatter. */
interface Frame {
  px: (ms: number) => number;
  py: (acc: number) => number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  log: boolean;
}

const msOf = (m: BoardModel) => m["service_ms_per_question"]!;

function frameOf(pts: readonly BoardModel[]): Frame {
  const xs = pts.map(msOf);
  let x0 = Math.min(...xs), x1 = Math.max(...xs);
  // Log scale when model times span nearly an order of magnitude.
  const log = x1 / x0 > 8;
  if (log) [x0, x1] = [x0 / 1.3, x1 * 1.3];
  else {
    const pad = (x1 - x0) * 0.12 || x0 * 0.2 || 1;
    [x0, x1] = [Math.max(0, x0 - pad), x1 + pad];
  }
  const lo = Math.min(...pts.map((m) => m.ci95?.[0] ?? m.accuracy!));
  const hi = Math.max(...pts.map((m) => m.ci95?.[1] ?? m.accuracy!));
  const y0 = Math.max(0, Math.floor(lo * 20) / 20 - 0.05);
  const y1 = Math.min(1, Math.ceil(hi * 20) / 20 + 0.02);
  const fx = (v: number) =>
    log
      ? (Math.log(v) - Math.log(x0)) / (Math.log(x1) - Math.log(x0))
      : (v - x0) / (x1 - x0);
  return {
    px: (v) => L + fx(v) * (W - L - R),
    py: (v) => T + (1 - (v - y0) / (y1 - y0 || 1)) * (H - T - B),
    x0,
    x1,
    y0,
    y1,
    log,
  };
}

function axes(f: Frame): string[] {
  const parts: string[] = [];
  for (const t of niceTicks(f.y0, f.y1, false)) {
    const y = f.py(t).toFixed(1);
    parts.push(
      `<line class="grid" x1="${L}" x2="${
        W - R
      }" y1="${y}" y2="${y}"/><text class="tick" x="${L - 6}" y="${
        (f.py(t) + 4).toFixed(1)
      }" text-anchor="end">${Math.round(t * 100)}%</text>`,
    );
  }
  for (const t of niceTicks(f.x0, f.x1, f.log)) {
    const x = f.px(t).toFixed(1);
    parts.push(
      `<line class="grid" y1="${T}" y2="${
        H - B
      }" x1="${x}" x2="${x}"/><text class="tick" y="${
        H - B + 16
      }" x="${x}" text-anchor="middle">${fmtMs(t)}</text>`,
    );
  }
  parts.push(
    `<text class="tick" x="${(L + W - R) / 2}" y="${
      H - 8
    }" text-anchor="middle">model time per question${
      f.log ? " (log scale)" : ""
    }</text>`,
  );
  return parts;
}

function point(m: BoardModel, f: Frame): string {
  const x = f.px(msOf(m)).toFixed(1);
  const y = f.py(m.accuracy!);
  // Labels of points on the right go to their left, inside the chart.
  const right = Number(x) > L + (W - L - R) * 0.7;
  const tip = `${m.label}: ${formatPercent(m.accuracy)} ${formatCi(m.ci95)}, ${
    fmtMs(msOf(m))
  } per question${m.pareto ? " (Pareto front)" : ""}`;
  const ci = m.ci95
    ? `<line class="whisker" x1="${x}" x2="${x}" y1="${
      f.py(m.ci95[0]).toFixed(1)
    }" y2="${f.py(m.ci95[1]).toFixed(1)}"/>`
    : "";
  return `<g><title>${h(tip)}</title>${ci}<circle class="${
    m.pareto ? "pt front-pt" : "pt"
  }" cx="${x}" cy="${y.toFixed(1)}" r="5"/><text class="lbl" x="${
    (Number(x) + (right ? -8 : 8)).toFixed(1)
  }" y="${(y - 6).toFixed(1)}"${right ? ' text-anchor="end"' : ""}>${
    h(truncate(m.label, 18))
  }</text></g>`;
}

/**
 * Accuracy (with Wilson whiskers) against mean model time per question; the
 * Pareto front (nothing both faster and more accurate) is joined and marked.
 * Null when no row has a model time.
 */
export function scatterChart(models: readonly BoardModel[]): string | null {
  const pts = models.filter((m) =>
    m["service_ms_per_question"] !== null && m.accuracy !== null &&
    m["service_ms_per_question"] > 0
  );
  if (pts.length === 0) return null;
  const f = frameOf(pts);
  const parts = axes(f);
  const front = pts.filter((m) => m.pareto).sort((a, b) => msOf(a) - msOf(b));
  if (front.length > 1) {
    parts.push(
      `<polyline class="front" points="${
        front.map((m) =>
          `${f.px(msOf(m)).toFixed(1)},${f.py(m.accuracy!).toFixed(1)}`
        ).join(" ")
      }"/>`,
    );
  }
  parts.push(...pts.map((m) => point(m, f)));
  return `<svg class="chart scatter" viewBox="0 0 ${W} ${H}" width="${W}" role="img" aria-label="accuracy against model time per question">${
    parts.join("")
  }</svg>`;
}
