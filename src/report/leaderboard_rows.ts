// What makes two runs the same leaderboard row: the model and the settings
// that change the prompt or the sampling (from summary.json `config`), and
// the labels that tell rows apart by what differs.

import type { Summary } from "./summary.ts";

/** Prompt-affecting settings of a run. */
export type Settings = Record<string, string | number | boolean | null>;

/** config keys that change what the model is asked or how it samples. */
const CONFIG_KEYS = [
  "shots",
  "fewshotAsChat",
  "templateFile",
  "think",
  "temperature",
  "preset",
  "system",
  "shuffleChoices",
  "maxTokens",
  "numCtx",
  "repeats",
  // Which questions were asked: a smoke test with --limit is not a rerun.
  "subjects",
  "limit",
  "sample",
] as const;

function scalar(v: unknown): string | number | boolean | null {
  if (v === undefined || v === null) return null;
  if (
    typeof v === "string" || typeof v === "number" || typeof v === "boolean"
  ) {
    return v;
  }
  return JSON.stringify(v);
}

/**
 * The settings of a run that make it a different row: backend, mode and the
 * prompt and sampling options of its configuration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rowSettings } from "./leaderboard_rows.ts";
 * import type { Summary } from "./summary.ts";
 * const s = { backend: "ollama", mode: "cot", config: { shots: 5 } } as unknown as Summary;
 * assert.equal(rowSettings(s).shots, 5);
 * ```
 */
export function rowSettings(s: Summary): Settings {
  const out: Settings = { backend: s.backend, mode: s.mode };
  for (const k of CONFIG_KEYS) out[k] = scalar(s.config[k]);
  return out;
}

function shortValue(v: string | number | boolean | null): string {
  const text = v === null ? "none" : String(v);
  return text.length > 24 ? `${text.slice(0, 21)}...` : text;
}

function shortDigest(s: Summary): string | null {
  const d = s["model_info"]?.digest;
  if (typeof d !== "string" || d === "") return null;
  return d.replace(/^sha256:/, "").slice(0, 7);
}

/**
 * Display labels, one per summary: the model tag, plus the settings whose
 * values differ between the runs (`tag (mode=cot, shots=5)`), plus the short
 * digest when the same tag has several builds, plus the run id when labels
 * still collide.
 */
export function settingsLabel(summaries: readonly Summary[]): string[] {
  const settings = summaries.map(rowSettings);
  const keys = Object.keys(settings[0] ?? {}).filter((k) =>
    new Set(settings.map((s) => JSON.stringify(s[k]))).size > 1
  );
  let labels = summaries.map((s, i) => {
    const parts = keys.map((k) =>
      `${k}=${shortValue(settings[i]![k] ?? null)}`
    );
    const digests = new Set(
      summaries.filter((x) => x.model === s.model).map(shortDigest),
    );
    const d = shortDigest(s);
    if (digests.size > 1 && d !== null) parts.unshift(`@${d}`);
    return parts.length === 0 ? s.model : `${s.model} (${parts.join(", ")})`;
  });
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  labels = labels.map((l, i) =>
    counts.get(l)! > 1 ? `${l} [${summaries[i]!["run_id"]}]` : l
  );
  // Still the same (one run id twice, e.g. --model x,x): number them.
  const seen = new Map<string, number>();
  return labels.map((l) => {
    const k = (seen.get(l) ?? 0) + 1;
    seen.set(l, k);
    return k === 1 ? l : `${l} #${k}`;
  });
}
