// The official MMLU subject -> category map (hendrycks/test categories.py:
// 57 subjects -> subcategory -> STEM / humanities / social sciences / other).

/** The four MMLU categories, in the order the MMLU paper reports them. */
export const MMLU_CATEGORIES = [
  "STEM",
  "humanities",
  "social sciences",
  "other",
] as const;

/** One of the four MMLU categories. */
export type MmluCategory = typeof MMLU_CATEGORIES[number];

const SUBCATEGORY_TO_CATEGORY: Readonly<Record<string, MmluCategory>> = {
  "physics": "STEM",
  "chemistry": "STEM",
  "biology": "STEM",
  "computer science": "STEM",
  "math": "STEM",
  "engineering": "STEM",
  "history": "humanities",
  "philosophy": "humanities",
  "law": "humanities",
  "politics": "social sciences",
  "culture": "social sciences",
  "economics": "social sciences",
  "geography": "social sciences",
  "psychology": "social sciences",
  "other": "other",
  "business": "other",
  "health": "other",
};

/** MMLU subject -> subcategory, exactly as in hendrycks/test categories.py. */
export const MMLU_SUBCATEGORIES: Readonly<Record<string, string>> = {
  "abstract_algebra": "math",
  "anatomy": "health",
  "astronomy": "physics",
  "business_ethics": "business",
  "clinical_knowledge": "health",
  "college_biology": "biology",
  "college_chemistry": "chemistry",
  "college_computer_science": "computer science",
  "college_mathematics": "math",
  "college_medicine": "health",
  "college_physics": "physics",
  "computer_security": "computer science",
  "conceptual_physics": "physics",
  "econometrics": "economics",
  "electrical_engineering": "engineering",
  "elementary_mathematics": "math",
  "formal_logic": "philosophy",
  "global_facts": "other",
  "high_school_biology": "biology",
  "high_school_chemistry": "chemistry",
  "high_school_computer_science": "computer science",
  "high_school_european_history": "history",
  "high_school_geography": "geography",
  "high_school_government_and_politics": "politics",
  "high_school_macroeconomics": "economics",
  "high_school_mathematics": "math",
  "high_school_microeconomics": "economics",
  "high_school_physics": "physics",
  "high_school_psychology": "psychology",
  "high_school_statistics": "math",
  "high_school_us_history": "history",
  "high_school_world_history": "history",
  "human_aging": "health",
  "human_sexuality": "culture",
  "international_law": "law",
  "jurisprudence": "law",
  "logical_fallacies": "philosophy",
  "machine_learning": "computer science",
  "management": "business",
  "marketing": "business",
  "medical_genetics": "health",
  "miscellaneous": "other",
  "moral_disputes": "philosophy",
  "moral_scenarios": "philosophy",
  "nutrition": "health",
  "philosophy": "philosophy",
  "prehistory": "history",
  "professional_accounting": "other",
  "professional_law": "law",
  "professional_medicine": "health",
  "professional_psychology": "psychology",
  "public_relations": "politics",
  "security_studies": "politics",
  "sociology": "culture",
  "us_foreign_policy": "politics",
  "virology": "health",
  "world_religions": "philosophy",
};

/**
 * The MMLU category of a subject, or null when it is not one of the 57 MMLU
 * subjects.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mmluCategory } from "./categories.ts";
 * assert.equal(mmluCategory("high_school_geography"), "social sciences");
 * assert.equal(mmluCategory("toString"), null);
 * ```
 */
export function mmluCategory(subject: string): MmluCategory | null {
  if (!Object.hasOwn(MMLU_SUBCATEGORIES, subject)) return null;
  const sub = MMLU_SUBCATEGORIES[subject]!;
  return SUBCATEGORY_TO_CATEGORY[sub] ?? null;
}
