// summary.md: a GitHub-flavoured Markdown rendering of a Summary for PR
// comments and job summaries. All data text is escaped.

import type { GroupStats } from "../schema.ts";
import {
  escapeMarkdown,
  formatCi,
  formatNumber,
  formatPercent,
} from "./format.ts";
import { scoredCount } from "../stats.ts";
import { cacheNote, type Summary } from "./summary.ts";

const HEADER =
  "| Subject | N | Correct | Wrong | Unparsed | Errors | Skipped | Accuracy | 95% CI |\n" +
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |";

function tableRow(name: string, g: GroupStats, bold = false): string {
  const b = (t: string) => bold ? `**${t}**` : t;
  return `| ${
    b(name)
  } | ${g.total} | ${g.correct} | ${g.wrong} | ${g.unparsed} | ${g.errors} | ${g.skipped} | ${
    b(formatPercent(g.accuracy))
  } | ${formatCi(g.ci95)} |`;
}

function countsList(map: Record<string, number>): string {
  return Object.entries(map)
    .map(([k, n]) => `${escapeMarkdown(k)} ${n}`)
    .join(", ");
}

/** An interrupted run: how much of the plan has results, which subjects were never asked. */
function incompleteNote(s: Summary): string {
  if (s.complete) return "";
  if (s.planned === undefined) return " **Run incomplete.**";
  const notAsked = Object.keys(s.planned.subjects).filter((name) =>
    (s.subjects[name]?.total ?? 0) === 0
  );
  return ` **Run incomplete: ${s.counts.total} of ${s.planned.questions} planned; ${notAsked.length} subject${
    notAsked.length === 1 ? "" : "s"
  } not asked.**${
    notAsked.length > 0
      ? ` Not asked: ${notAsked.map((n) => escapeMarkdown(n)).join(", ")}.`
      : ""
  }`;
}

/**
 * Renders `summary.md`: a title naming model and run id, the headline
 * accuracy, the per-subject table with an overall row, MMLU categories when
 * present, and latency/tokens/retries/failure lines.
 */
export function renderSummaryMarkdown(s: Summary): string {
  return [
    `## llm-bench: ${escapeMarkdown(s.model)}${
      s.backend === "mock" ? " (mock: simulated answers)" : ""
    } (run ${escapeMarkdown(s["run_id"])})`,
    "",
    headline(s),
    "",
    ...tables(s),
    "",
    ...latencyLines(s),
    ...runLines(s),
    ...modelLine(s),
    "",
  ].join("\n");
}

function headline(s: Summary): string {
  const scored = scoredCount(s.counts);
  return `**Accuracy ${formatPercent(s.accuracy)}** ${
    formatCi(s["accuracy_ci95"])
  } over ${scored} scored questions; macro ${
    formatPercent(s["accuracy_macro"])
  }. Mode ${escapeMarkdown(s.mode)}, backend ${escapeMarkdown(s.backend)}.` +
    incompleteNote(s);
}

/** The subject table with its overall row, then the categories table. */
function tables(s: Summary): string[] {
  const out = [HEADER];
  for (const [name, g] of Object.entries(s.subjects)) {
    out.push(tableRow(escapeMarkdown(name), g));
  }
  out.push(
    tableRow(
      "Overall",
      { ...s.counts, accuracy: s.accuracy, ci95: s["accuracy_ci95"] },
      true,
    ),
  );
  if (s.categories !== null) {
    out.push("");
    out.push(HEADER.replace("| Subject |", "| Category |"));
    for (const [name, g] of Object.entries(s.categories)) {
      out.push(tableRow(escapeMarkdown(name), g));
    }
  }
  return out;
}

function latencyLines(s: Summary): string[] {
  const out: string[] = [];
  const lat = s["latency_ms"];
  if (lat !== null) {
    out.push(
      `- Latency (ms): mean ${formatNumber(lat.mean)}, p50 ${
        formatNumber(lat.p50)
      }, p90 ${formatNumber(lat.p90)}, p99 ${formatNumber(lat.p99)}, max ${
        formatNumber(lat.max)
      }`,
    );
  }
  const svc = s["service_ms"] ?? null;
  if (svc !== null) {
    out.push(
      `- Model time (ms, prompt eval + generation, no queueing): mean ${
        formatNumber(svc.mean)
      }, p50 ${formatNumber(svc.p50)}, p90 ${formatNumber(svc.p90)}, max ${
        formatNumber(svc.max)
      }`,
    );
  }
  return out;
}

/** Tokens, cache, retries, failures, calibration, repeats, dataset problems. */
function runLines(s: Summary): string[] {
  const out = [
    `- Tokens: prompt ${s["prompt_tokens"]}, generated ${s["eval_tokens"]}, ${
      formatNumber(s["tokens_per_second"], 1)
    } tokens/s`,
  ];
  const fromCache = cacheNote(s);
  if (fromCache !== null) out.push(`- ${fromCache}`);
  out.push(`- Retries: ${s.retries}`);
  if (Object.keys(s["errors_by_kind"]).length > 0) {
    out.push(`- Errors by kind: ${countsList(s["errors_by_kind"])}`);
  }
  if (Object.keys(s["unparsed_by_reason"]).length > 0) {
    out.push(`- Unparsed by reason: ${countsList(s["unparsed_by_reason"])}`);
  }
  if (s.calibration !== null) {
    out.push(
      `- Calibration: Brier ${formatNumber(s.calibration.brier, 3)}, ECE ${
        formatNumber(s.calibration.ece, 3)
      } (n=${s.calibration.n})`,
    );
  }
  if (s.repeats !== null) {
    out.push(
      `- Repeats: ${s.repeats.consistent}/${s.repeats.questions} questions consistent over ${s.repeats.runs} runs`,
    );
  }
  if (s.dataset.problems.length > 0) {
    out.push(`- Dataset problems: ${s.dataset.problems.length}`);
  }
  return out;
}

function modelLine(s: Summary): string[] {
  const info = s["model_info"];
  if (info === null) return [];
  const parts = [
    info.family,
    info["parameter_size"],
    info.quantization,
    info.digest === null ? null : `digest ${info.digest.slice(0, 12)}`,
  ].filter((x): x is string => x !== null && x !== "");
  return parts.length > 0
    ? [`- Model: ${parts.map(escapeMarkdown).join(", ")}`]
    : [];
}
