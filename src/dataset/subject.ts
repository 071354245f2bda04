// Subject names derived from dataset file names (`anatomy_test.csv` ->
// `anatomy`), shared by the CSV and JSONL readers and the few-shot lookup.

const SPLIT_SUFFIXES = ["_test", "_dev", "_val"] as const;

/** A Hub Parquet shard's name: `test-00000-of-00001` (extension removed). */
const HUB_SHARD_REGEXP = /^[A-Za-z0-9_.]+-\d{5}-of-\d{5}$/;

/**
 * The subject of a dataset file: its basename without the extension and
 * without a trailing `_test`, `_dev` or `_val`; for a Hub Parquet shard
 * (`CONFIG/test-00000-of-00001.parquet`), its folder's name.
 *
 * @example
 * ```ts
 * import { subjectFromFile } from "./subject.ts";
 * import assert from "node:assert/strict";
 * assert.equal(subjectFromFile("mmlu/test/high_school_geography_test.csv"), "high_school_geography");
 * assert.equal(subjectFromFile("anatomy.csv"), "anatomy");
 * assert.equal(subjectFromFile("ARC-Easy/test-00000-of-00001.parquet"), "ARC-Easy");
 * ```
 */
export function subjectFromFile(relative: string): string {
  const slash = relative.lastIndexOf("/");
  let name = slash === -1 ? relative : relative.slice(slash + 1);
  const dot = name.lastIndexOf(".");
  if (dot > 0) name = name.slice(0, dot);
  // The Hub's `CONFIG/SPLIT-00000-of-00001.parquet`: the config names the
  // questions, so every split of it (and its dev split) shares a subject.
  if (HUB_SHARD_REGEXP.test(name) && slash > 0) {
    const parent = relative.slice(0, slash);
    return parent.slice(parent.lastIndexOf("/") + 1);
  }
  for (const suffix of SPLIT_SUFFIXES) {
    if (name.length > suffix.length && name.endsWith(suffix)) {
      return name.slice(0, -suffix.length);
    }
  }
  return name;
}
