// Inline SVG charts for report.html, built as strings on the server side:
// accuracy bars with Wilson whiskers, a latency histogram and a letter-share
// chart. Every label is HTML-escaped here.

import type { LatencyHistogram } from "./details.ts";
import { escapeHtml, formatPercent, truncate } from "./format.ts";

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
  /** Chart width in px. @default 760 */
  width?: number;
}

const f1 = (x: number) => (Math.round(x * 10) / 10).toString();

/**
 * Horizontal accuracy bars on a 0-100% axis with Wilson 95% whiskers; one
 * row of bars per group, one bar per model.
 */
export function accuracyChart(
  groups: readonly AccuracyGroup[],
  options: AccuracyChartOptions = {},
): string {
  const width = options.width ?? 760;
  const labelW = 230;
  const valueW = 64;
  const plotX = labelW + 8;
  const plotW = width - plotX - valueW;
  const barH = 14;
  const barGap = 3;
  const groupGap = 10;
  const top = 22;
  const x = (v: number) => plotX + v * plotW;
  const parts: string[] = [];
  let y = top;
  for (const g of groups) {
    const groupH = g.bars.length * (barH + barGap) - barGap;
    const label = escapeHtml(truncate(g.label, 34));
    parts.push(
      `<text class="lbl${g.strong ? " strong" : ""}" x="${labelW}" y="${
        f1(y + groupH / 2 + 4)
      }" text-anchor="end"><title>${
        escapeHtml(g.label)
      }</title>${label}</text>`,
    );
    for (const bar of g.bars) {
      const title = `<title>${escapeHtml(bar.title)}</title>`;
      if (bar.accuracy === null) {
        parts.push(
          `<text class="na" x="${plotX + 4}" y="${
            y + barH - 3
          }">${title}no scored questions</text>`,
        );
      } else {
        parts.push(
          `<rect x="${plotX}" y="${y}" width="${
            f1(Math.max(0.5, bar.accuracy * plotW))
          }" height="${barH}" rx="2" fill="${bar.color}" fill-opacity="0.85">${title}</rect>`,
        );
        if (bar.ci !== null) {
          const [lo, hi] = bar.ci;
          const cy = y + barH / 2;
          parts.push(
            `<path class="whisker" d="M${f1(x(lo))} ${cy}H${f1(x(hi))}M${
              f1(x(lo))
            } ${cy - 4}V${cy + 4}M${f1(x(hi))} ${cy - 4}V${cy + 4}"/>`,
          );
        }
        parts.push(
          `<text class="val" x="${width - 4}" y="${
            y + barH - 3
          }" text-anchor="end">${formatPercent(bar.accuracy)}</text>`,
        );
      }
      y += barH + barGap;
    }
    y += groupGap - barGap;
  }
  const chance = options.chance ?? null;
  const showChance = chance !== null && chance > 0 && chance < 1;
  const plotBottom = y + 4;
  const height = plotBottom + (showChance ? 14 : 0);
  const axis: string[] = [];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    axis.push(
      `<line class="grid" x1="${f1(x(t))}" x2="${f1(x(t))}" y1="${
        top - 6
      }" y2="${plotBottom - 4}"/><text class="tick" x="${
        f1(x(t))
      }" y="12" text-anchor="middle">${t * 100}%</text>`,
    );
  }
  if (showChance) {
    axis.push(
      `<line class="chance" x1="${f1(x(chance))}" x2="${f1(x(chance))}" y1="${
        top - 6
      }" y2="${plotBottom - 2}"><title>chance ${
        formatPercent(chance)
      }</title></line><text class="chance-lbl" x="${f1(x(chance))}" y="${
        height - 3
      }" text-anchor="middle">chance</text>`,
    );
  }
  return `<svg class="chart" role="img" aria-label="accuracy by group with 95% intervals" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${
    axis.join("")
  }${parts.join("")}</svg>`;
}

function formatMs(ms: number): string {
  if (ms >= 60_000) return `${f1(ms / 60_000)} min`;
  if (ms >= 1000) return `${f1(ms / 1000)} s`;
  return `${Math.round(ms)} ms`;
}

/** A latency histogram on a log time axis; every bin between the first and last non-empty one is drawn. */
export function histogramChart(
  hist: LatencyHistogram,
  color: string,
  width = 460,
): string {
  const first = hist.bins[0]![0];
  const last = hist.bins[hist.bins.length - 1]![0];
  const counts = new Map(hist.bins);
  const n = last - first + 1;
  const maxCount = Math.max(...hist.bins.map(([, c]) => c));
  const left = 36;
  const bottom = 34;
  const height = 190;
  const right = 24;
  const plotW = width - left - right;
  const plotH = height - bottom - 10;
  const bw = plotW / n;
  const edge = (k: number) => 10 ** (k / hist.binsPerDecade);
  const parts: string[] = [];
  for (let k = first; k <= last; k++) {
    const c = counts.get(k) ?? 0;
    if (c === 0) continue;
    const h = (c / maxCount) * plotH;
    const bx = left + (k - first) * bw;
    parts.push(
      `<rect x="${f1(bx + 0.5)}" y="${f1(10 + plotH - h)}" width="${
        f1(Math.max(1, bw - 1))
      }" height="${f1(h)}" fill="${color}"><title>${formatMs(edge(k))} – ${
        formatMs(edge(k + 1))
      }: ${c}</title></rect>`,
    );
  }
  // Label about five bin edges evenly spread.
  const step = Math.max(1, Math.ceil((n + 1) / 5));
  for (let k = first; k <= last + 1; k += step) {
    const tx = left + (k - first) * bw;
    parts.push(
      `<line class="grid" x1="${f1(tx)}" x2="${f1(tx)}" y1="10" y2="${
        10 + plotH + 4
      }"/><text class="tick" x="${f1(tx)}" y="${
        10 + plotH + 16
      }" text-anchor="middle">${formatMs(edge(k))}</text>`,
    );
  }
  parts.push(
    `<line class="axis" x1="${left}" x2="${width - right}" y1="${
      10 + plotH
    }" y2="${10 + plotH}"/>`,
    `<text class="tick" x="${
      left - 4
    }" y="14" text-anchor="end">${maxCount}</text>`,
    `<text class="tick" x="${left - 4}" y="${
      10 + plotH
    }" text-anchor="end">0</text>`,
    `<text class="tick" x="${left + plotW / 2}" y="${
      height - 2
    }" text-anchor="middle">latency (log scale)</text>`,
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
    `<text class="tick" x="${left - 4}" y="14" text-anchor="end">${
      formatPercent(maxShare, 0)
    }</text>`,
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
