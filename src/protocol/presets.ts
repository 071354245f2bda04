// Named prompt presets: each one reproduces a published evaluation setup as
// a mode, a number of few-shot examples and a prompt format. Data only; the
// formats themselves are written out in src/prompt.ts.

import type { Mode } from "../schema.ts";

/**
 * Built-in prompt wordings (see src/prompt.ts):
 * - `mmlu`: hendrycks/test `gen_prompt` + `format_example`, ends with "Answer:".
 * - `simple-evals`: openai/simple-evals `QUERY_TEMPLATE_MULTICHOICE`.
 * - `mmlu-pro`: TIGER-AI-Lab/MMLU-Pro `generate_cot_prompt` (CoT).
 */
export type PromptFormatName = "mmlu" | "simple-evals" | "mmlu-pro";

/** A named evaluation setup (`--preset NAME`). */
export interface Preset {
  /** Name given to `--preset`. */
  name: string;
  /** One line for `--help` and reports. */
  description: string;
  /** Where the setup comes from (repository, file, function). */
  source: string;
  /** Mode the preset runs in. */
  mode: Mode;
  /** Few-shot examples taken from the dev split (fewer if the dev file has fewer). */
  shots: number;
  /** Prompt wording. */
  format: PromptFormatName;
}

/**
 * The built-in presets.
 *
 * - `mmlu-5shot`: the original MMLU evaluation (Hendrycks et al., ICLR 2021):
 *   5 dev examples, the prompt of `gen_prompt`/`format_example`, and the
 *   prediction is the answer letter with the highest next-token probability
 *   (`logprobs` mode), as `eval()` does with `top_logprobs[-1][" A"]`.
 * - `simple-evals-cot`: OpenAI simple-evals MMLU: zero-shot chain of thought,
 *   the model ends with "Answer: X".
 * - `mmlu-pro-cot`: MMLU-Pro (Wang et al., 2024): 5-shot chain of thought
 *   ending with "the answer is (X)"; the dev examples carry worked reasoning
 *   when the dataset provides it (`cot_content`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./presets.ts";
 * assert.ok(PRESETS.map((p) => p.name).includes("mmlu-5shot"));
 * ```
 */
export const PRESETS: readonly Preset[] = Object.freeze([
  Object.freeze(
    {
      name: "mmlu-5shot",
      description:
        "Original MMLU: 5-shot, next-token letter probabilities (logprobs mode)",
      source:
        "https://github.com/hendrycks/test evaluate.py (gen_prompt, format_example, eval)",
      mode: "logprobs",
      shots: 5,
      format: "mmlu",
    } as const,
  ),
  Object.freeze(
    {
      name: "simple-evals-cot",
      description:
        "OpenAI simple-evals MMLU: zero-shot chain of thought, 'Answer: X' on the last line",
      source:
        "https://github.com/openai/simple-evals common.py (QUERY_TEMPLATE_MULTICHOICE), mmlu_eval.py",
      mode: "cot",
      shots: 0,
      format: "simple-evals",
    } as const,
  ),
  Object.freeze(
    {
      name: "mmlu-pro-cot",
      description:
        "MMLU-Pro: 5-shot chain of thought, 'the answer is (X)' at the end",
      source:
        "https://github.com/TIGER-AI-Lab/MMLU-Pro evaluate_from_local.py (generate_cot_prompt, format_cot_example)",
      mode: "cot",
      shots: 5,
      format: "mmlu-pro",
    } as const,
  ),
]);

/**
 * Looks a preset up by name.
 *
 * @throws {TypeError} when no preset has that name; the message lists the known ones.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { presetByName } from "./presets.ts";
 * assert.equal(presetByName("mmlu-pro-cot").shots, 5);
 * ```
 */
export function presetByName(name: string): Preset {
  const preset = PRESETS.find((p) => p.name === name);
  if (preset === undefined) {
    const known = PRESETS.map((p) => `"${p.name}"`).join(", ");
    throw new TypeError(
      `Cannot use preset "${name}": unknown preset, expected one of ${known}`,
    );
  }
  return preset;
}
