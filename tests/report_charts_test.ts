import assert from "node:assert/strict";
import { histogramChart } from "../src/report/charts.ts";

// 10 bins per decade; bin k covers 10^(k/10) .. 10^((k+1)/10) ms: 80-100 ms.
const HIST = { binsPerDecade: 10, bins: [[10, 1], [18, 2], [19, 56]] } as {
  binsPerDecade: number;
  bins: Array<[number, number]>;
};

function labels(
  svg: string,
): Array<{ x: number; anchor: string; text: string }> {
  return [
    ...svg.matchAll(
      /<text class="tick" x="([\d.]+)"[^>]*text-anchor="(\w+)"[^>]*>([^<]*)<\/text>/g,
    ),
  ].map((m) => ({ x: Number(m[1]), anchor: m[2]!, text: m[3]! }));
}

Deno.test("histogramChart() gives close percentile marks one shared label", () => {
  const svg = histogramChart(HIST, "#00f", [
    { label: "p50", ms: 86 },
    { label: "p90", ms: 88 },
    { label: "p99", ms: 97 },
  ]);
  const texts = labels(svg).map((l) => l.text);
  assert.ok(
    texts.includes("p50/p90/p99") || texts.includes("p50/p90"),
    texts.join(" | "),
  );
  assert.ok(!texts.includes("p50"), "p50 drawn alone over p90");
  // Every mark keeps its own dashed line.
  assert.equal(svg.match(/<line class="chance"/g)?.length, 3);
  // Marks far apart keep separate labels.
  const apart = labels(
    histogramChart(HIST, "#00f", [
      { label: "p50", ms: 12 },
      { label: "p99", ms: 97 },
    ]),
  ).map((l) => l.text);
  assert.ok(apart.includes("p50") && apart.includes("p99"), apart.join(" | "));
});

Deno.test("histogramChart() keeps axis labels inside the chart", () => {
  const width = 460;
  const svg = histogramChart(HIST, "#00f", [{ label: "p99", ms: 99 }], width);
  for (const l of labels(svg)) {
    // A centred label too close to an edge would be cut (about 3.5 px per
    // character each side): it is anchored at the edge instead.
    const half = l.text.length * 3.5;
    if (l.anchor === "middle") {
      assert.ok(l.x >= half && l.x <= width - half, `${l.text} at ${l.x}`);
    } else assert.ok(l.x >= 0 && l.x <= width, `${l.text} at ${l.x}`);
  }
  assert.ok(
    labels(svg).some((l) => l.text === "100 ms" && l.anchor === "end"),
    svg,
  );
});
