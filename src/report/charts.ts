// Inline SVG charts for report.html, built as strings on the server side:
// accuracy bars with Wilson whiskers, a latency histogram and a letter-share
// chart. Every label is HTML-escaped here.

import type { LatencyHistogram } from "./details.ts";
import { escapeHtml, formatPercent } from "./format.ts";

/** One bar of an accuracy chart. */
export interface AccuracyBar {
  accuracy: number | null;
  ci: [number, number] | null;
  /** CSS colour. */
  color: string;
  /** Tooltip text (escaped here). */
  title: string;
}

/** A labelled group of bars (one bar per model). */
export interface AccuracyGroup {
  label: string;
  bars: AccuracyBar[];
  /** Draw the label in bold (e.g. the overall row). */
  strong?: boolean;
}

/** Options for {@link accuracyChart}. */
export interface AccuracyChartOptions {
  /** Chance level to mark with a dashed line, as a fraction. @default null */
  chance?: number | null;
}

const f1 = (x: number) => (Math.round(x * 10) / 10).toString();

function pct(v: number): string {
  return `${f1(Math.min(1, Math.max(0, v)) * 100)}%`;
}

function barLine(bar: AccuracyBar, chance: number | null): string {
  const title = escapeHtml(bar.title);
  const chanceLine = chance === null
    ? ""
    : `<span class="chance-line" style="left:${pct(chance)}" title="chance ${
      formatPercent(chance)
    }"></span>`;
  if (bar.accuracy === null) {
    return `<div class="track" title="${title}">${chanceLine}</div><div class="bar-val">-</div>`;
  }
  const ci = bar.ci === null
    ? ""
    : `<span class="ci-bar" style="left:${pct(bar.ci[0])};width:${
      pct(bar.ci[1] - bar.ci[0])
    }"></span>`;
  return `<div class="track" title="${title}"><span class="bar" style="width:${
    pct(bar.accuracy)
  };background:${
    escapeHtml(bar.color)
  }"></span>${ci}${chanceLine}</div><div class="bar-val">${
    formatPercent(bar.accuracy)
  }</div>`;
}

function groupRows(g: AccuracyGroup, chance: number | null): string {
  return g.bars.map((bar, i) => {
    const label = i === 0
      ? `<div class="bar-label" title="${escapeHtml(g.label)}">${
        breakable(g.label)
      }</div>`
      : `<div class="bar-label"></div>`;
    const cls = [
      "bar-row",
      i === 0 ? "group-start" : "",
      g.strong ? "strong" : "",
    ]
      .filter((c) => c !== "").join(" ");
    return `<div class="${cls}">${label}${barLine(bar, chance)}</div>`;
  }).join("");
}

/**
 * Escapes a label and lets the browser break it after `_`, `/` and `-`, so
 * long subject names wrap on a phone instead of widening the page.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { breakable } from "./charts.ts";
 * assert.equal(breakable("a_b<c"), "a_<wbr>b&lt;c");
 * ```
 */
export function breakable(label: string): string {
  return escapeHtml(label).replace(/([_/-])/g, "$1<wbr>");
}

/**
 * Horizontal accuracy bars on a 0-100% axis with Wilson 95% whiskers; one
 * row of bars per group, one bar per model. Plain HTML and CSS, so rows
 * reflow at phone width (the label moves above its bar).
 */
export function accuracyChart(
  groups: readonly AccuracyGroup[],
  options: AccuracyChartOptions = {},
): string {
  const chance = options.chance ?? null;
  const shownChance = chance !== null && chance > 0 && chance < 1
    ? chance
    : null;
  const axis =
    `<div class="bar-axis" aria-hidden="true"><span></span><div class="ticks">${
      [0, 25, 50, 75, 100].map((t) => `<span>${t}%</span>`).join("")
    }</div><span></span></div>`;
  return `<div class="bars" role="img" aria-label="accuracy by group with 95% intervals${
    shownChance === null ? "" : "; dashed line: chance"
  }">${axis}${groups.map((g) => groupRows(g, shownChance)).join("")}</div>`;
}

function formatMs(ms: number): string {
  if (ms >= 60_000) return `${f1(ms / 60_000)} min`;
  if (ms >= 1000) return `${f1(ms / 1000)} s`;
  return `${Math.round(ms)} ms`;
}

/** A vertical marker on the latency histogram (e.g. p50). */
export interface LatencyMark {
  label: string;
  ms: number;
}

/** Round numbers of ms to label a log axis with (1-2-5 per decade). */
function niceTicks(loMs: number, hiMs: number): number[] {
  const out: number[] = [];
  for (let d = Math.floor(Math.log10(Math.max(loMs, 1e-3)));; d++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** d;
      if (v > hiMs) return out;
      if (v >= loMs) out.push(v);
    }
  }
}

/**
 * x and text-anchor of a label centred on `x`, kept inside 0..width: near an
 * edge it is anchored at the edge instead (`chars` sizes its half width).
 */
function anchorWithin(x: number, width: number, chars = 6): string {
  const room = chars * 3.5 + 2;
  if (x > width - room) return `x="${f1(width - 2)}" text-anchor="end"`;
  if (x < room) return `x="2" text-anchor="start"`;
  return `x="${f1(x)}" text-anchor="middle"`;
}

/** Marks in x order; a mark whose label would touch the previous label joins it ("p50/p90"). */
function markGroups(
  marks: readonly LatencyMark[],
  xOf: (ms: number) => number,
): LatencyMark[][] {
  const sorted = marks.filter((m) => m.ms > 0).sort((a, b) => a.ms - b.ms);
  const groups: LatencyMark[][] = [];
  const mid = (g: LatencyMark[]) =>
    g.reduce((a, m) => a + xOf(m.ms), 0) / g.length;
  const chars = (g: LatencyMark[]) => g.map((m) => m.label).join("/").length;
  for (const m of sorted) {
    const last = groups[groups.length - 1];
    const touches = last !== undefined &&
      xOf(m.ms) - mid(last) < (chars(last) + m.label.length) * 3.5 + 6;
    if (touches) last.push(m);
    else groups.push([m]);
  }
  return groups;
}

/**
 * A latency histogram on a log time axis (every bin between the first and
 * last non-empty one is drawn), with count ticks, round time ticks and
 * dashed markers such as p50/p90/p99.
 */
export function histogramChart(
  hist: LatencyHistogram,
  color: string,
  marks: readonly LatencyMark[] = [],
  width = 460,
): string {
  const first = hist.bins[0]![0];
  const last = hist.bins[hist.bins.length - 1]![0];
  const counts = new Map(hist.bins);
  const maxCount = Math.max(...hist.bins.map(([, c]) => c));
  const geo = { left: 40, top: 26, plotW: width - 40 - 16, plotH: 120 };
  const height = geo.top + geo.plotH + 36;
  const lo = Math.log10(10 ** (first / hist.binsPerDecade));
  const hi = Math.log10(10 ** ((last + 1) / hist.binsPerDecade));
  const xOf = (ms: number) =>
    geo.left + ((Math.log10(ms) - lo) / (hi - lo)) * geo.plotW;
  const yOf = (c: number) => geo.top + geo.plotH - (c / maxCount) * geo.plotH;
  const edge = (k: number) => 10 ** (k / hist.binsPerDecade);
  const parts: string[] = [];
  for (const c of [0, maxCount / 2, maxCount]) {
    const y = f1(yOf(c));
    parts.push(
      `<line class="grid" x1="${geo.left}" x2="${
        geo.left + geo.plotW
      }" y1="${y}" y2="${y}"/><text class="tick" x="${
        geo.left - 4
      }" y="${y}" dy="4" text-anchor="end">${Math.round(c)}</text>`,
    );
  }
  for (let k = first; k <= last; k++) {
    const c = counts.get(k) ?? 0;
    if (c === 0) continue;
    const x0 = xOf(edge(k));
    const x1 = xOf(edge(k + 1));
    parts.push(
      `<rect x="${f1(x0 + 0.5)}" y="${f1(yOf(c))}" width="${
        f1(Math.max(1, x1 - x0 - 1))
      }" height="${f1(geo.top + geo.plotH - yOf(c))}" fill="${color}"><title>${
        formatMs(edge(k))
      } – ${formatMs(edge(k + 1))}: ${c}</title></rect>`,
    );
  }
  const ticks = niceTicks(edge(first), edge(last + 1));
  const step = Math.max(1, Math.ceil(ticks.length / 6));
  ticks.filter((_, i) => i % step === 0).forEach((t) => {
    parts.push(
      `<text class="tick" ${
        anchorWithin(xOf(t), width, formatMs(t).length)
      } y="${geo.top + geo.plotH + 14}">${formatMs(t)}</text>`,
    );
  });
  const xMark = (ms: number) =>
    Math.min(geo.left + geo.plotW, Math.max(geo.left, xOf(ms)));
  for (const group of markGroups(marks, xMark)) {
    for (const m of group) {
      const x = f1(xMark(m.ms));
      parts.push(
        `<line class="chance" x1="${x}" x2="${x}" y1="${geo.top - 4}" y2="${
          geo.top + geo.plotH
        }"><title>${escapeHtml(m.label)} ${formatMs(m.ms)}</title></line>`,
      );
    }
    const mid = group.reduce((a, m) => a + xMark(m.ms), 0) / group.length;
    const text = group.map((m) => m.label).join("/");
    parts.push(
      `<text class="tick" ${anchorWithin(mid, width, text.length)} y="14">${
        escapeHtml(text)
      }</text>`,
    );
  }
  parts.push(
    `<line class="axis" x1="${geo.left}" x2="${geo.left + geo.plotW}" y1="${
      geo.top + geo.plotH
    }" y2="${geo.top + geo.plotH}"/>`,
    `<text class="tick" x="${geo.left + geo.plotW / 2}" y="${
      height - 4
    }" text-anchor="middle">latency (log scale); answers per bin</text>`,
  );
  return `<svg class="chart" role="img" aria-label="latency histogram" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${
    parts.join("")
  }</svg>`;
}

/** Side-by-side bars of the share of each letter among expected and predicted answers (position bias). */
export function letterShareChart(
  expected: Readonly<Record<string, number>>,
  predicted: Readonly<Record<string, number>>,
  width = 460,
): string {
  const letters = [
    ...new Set([...Object.keys(expected), ...Object.keys(predicted)]),
  ]
    .sort();
  const sum = (m: Readonly<Record<string, number>>) =>
    Object.values(m).reduce((a, b) => a + b, 0);
  const te = sum(expected) || 1;
  const tp = sum(predicted) || 1;
  const shares = letters.map((l) =>
    [
      (expected[l] ?? 0) / te,
      (predicted[l] ?? 0) / tp,
    ] as const
  );
  const maxShare = Math.max(0.01, ...shares.flat());
  const height = 170;
  const left = 36;
  const plotH = height - 50;
  const gw = (width - left - 8) / Math.max(1, letters.length);
  const bw = Math.min(22, (gw - 8) / 2);
  const parts: string[] = [];
  letters.forEach((l, i) => {
    const gx = left + i * gw + gw / 2;
    const [se, sp] = shares[i]!;
    const he = (se / maxShare) * plotH;
    const hp = (sp / maxShare) * plotH;
    const label = escapeHtml(l);
    parts.push(
      `<rect class="exp" x="${f1(gx - bw - 1)}" y="${
        f1(10 + plotH - he)
      }" width="${f1(bw)}" height="${f1(he)}"><title>expected ${label}: ${
        formatPercent(se)
      }</title></rect>`,
      `<rect class="pred" x="${f1(gx + 1)}" y="${f1(10 + plotH - hp)}" width="${
        f1(bw)
      }" height="${f1(hp)}"><title>predicted ${label}: ${
        formatPercent(sp)
      }</title></rect>`,
      `<text class="tick" x="${f1(gx)}" y="${
        10 + plotH + 14
      }" text-anchor="middle">${label}</text>`,
    );
  });
  parts.push(
    `<line class="axis" x1="${left}" x2="${width - 8}" y1="${10 + plotH}" y2="${
      10 + plotH
    }"/>`,
    ...[0, 0.5, 1].map((f) => {
      const y = f1(10 + plotH - f * plotH);
      return `<line class="grid" x1="${left}" x2="${
        width - 8
      }" y1="${y}" y2="${y}"/><text class="tick" x="${
        left - 4
      }" y="${y}" dy="4" text-anchor="end">${
        formatPercent(f * maxShare, 0)
      }</text>`;
    }),
    `<rect class="exp" x="${left}" y="${height - 12}" width="10" height="10"/>`,
    `<text class="tick" x="${left + 14}" y="${height - 3}">expected</text>`,
    `<rect class="pred" x="${left + 80}" y="${
      height - 12
    }" width="10" height="10"/>`,
    `<text class="tick" x="${left + 94}" y="${height - 3}">predicted</text>`,
  );
  return `<svg class="chart" role="img" aria-label="letter shares" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${
    parts.join("")
  }</svg>`;
}
