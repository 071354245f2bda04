// Subject names derived from dataset file names (`anatomy_test.csv` ->
// `anatomy`), shared by the CSV and JSONL readers and the few-shot lookup.

const SPLIT_SUFFIXES = ["_test", "_dev", "_val"] as const;

/**
 * The subject of a dataset file: its basename without the extension and
 * without a trailing `_test`, `_dev` or `_val`.
 *
 * @example
 * ```ts
 * import { subjectFromFile } from "./subject.ts";
 * import assert from "node:assert/strict";
 * assert.equal(subjectFromFile("mmlu/test/high_school_geography_test.csv"), "high_school_geography");
 * assert.equal(subjectFromFile("anatomy.csv"), "anatomy");
 * ```
 */
export function subjectFromFile(relative: string): string {
  const slash = relative.lastIndexOf("/");
  let name = slash === -1 ? relative : relative.slice(slash + 1);
  const dot = name.lastIndexOf(".");
  if (dot > 0) name = name.slice(0, dot);
  for (const suffix of SPLIT_SUFFIXES) {
    if (name.length > suffix.length && name.endsWith(suffix)) {
      return name.slice(0, -suffix.length);
    }
  }
  return name;
}
