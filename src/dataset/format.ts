// A dataset file's format, from its extension: which reader reads it, and
// what to call it in messages.

/** The file formats read, by the extension that selects them. */
export type DatasetFormat = "csv" | "tsv" | "jsonl" | "json" | "parquet";

/**
 * The format of a dataset file from its extension (case-insensitive);
 * anything else is read as CSV, as a file named explicitly may be.
 *
 * @example
 * ```ts
 * import { formatOf } from "./format.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatOf("arc/ARC-Challenge-Test.JSONL"), "jsonl");
 * assert.equal(formatOf("data.txt"), "csv");
 * ```
 */
export function formatOf(relative: string): DatasetFormat {
  const lower = relative.toLowerCase();
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return "jsonl";
  if (lower.endsWith(".json")) return "json";
  if (lower.endsWith(".parquet")) return "parquet";
  if (lower.endsWith(".tsv")) return "tsv";
  return "csv";
}

/** A format's name in messages ("not a JSON Lines file"). */
export const FORMAT_NAMES: Readonly<Record<DatasetFormat, string>> = {
  csv: "CSV",
  tsv: "TSV",
  jsonl: "JSON Lines",
  json: "JSON",
  parquet: "Parquet",
};
