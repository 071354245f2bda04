// Test data for the hf: dataset tests: fake repos shaped like the Hub's
// Parquet conversions of ai2_arc and mmlu, and small helpers.

import type { FakeHubRepo } from "./fake_hub.ts";
import { commitId } from "./fake_hub.ts";

/** A Hugging Face token shape (never a real one). */
export const TOKEN = "hf_" + "A1b2C3d4".repeat(5);

/** Bytes that stand for a Parquet file (the Hub code never parses them). */
export function blob(label: string, size = 5000): Uint8Array<ArrayBuffer> {
  const seed = new TextEncoder().encode(label);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (seed[i % seed.length]! + i) & 0xff;
  return out;
}

/** allenai/ai2_arc: two configs, one file per split. */
export function arcRepo(): FakeHubRepo {
  return {
    repo: "allenai/ai2_arc",
    commits: [{
      sha: commitId("arc-1"),
      files: [
        { path: "ARC-Challenge/test/0000.parquet", bytes: blob("ch-test") },
        { path: "ARC-Challenge/train/0000.parquet", bytes: blob("ch-train") },
        { path: "ARC-Easy/test/0000.parquet", bytes: blob("ez-test") },
      ],
    }],
  };
}

/** cais/mmlu: one config whose test split has two files. */
export function mmluRepo(): FakeHubRepo {
  return {
    repo: "cais/mmlu",
    commits: [{
      sha: commitId("mmlu-1"),
      files: [
        { path: "all/test/0000.parquet", bytes: blob("t0", 7000) },
        { path: "all/test/0001.parquet", bytes: blob("t1", 3000) },
        { path: "all/dev/0000.parquet", bytes: blob("dev", 900) },
      ],
    }],
  };
}

/** An env reader over a record. */
export function envOf(vars: Record<string, string>) {
  return (name: string) => vars[name];
}

/** Deps that do not wait between attempts. */
export const noSleep = { sleep: () => Promise.resolve() };
