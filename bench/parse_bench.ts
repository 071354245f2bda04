// Micro benchmarks of the pure hot paths: CSV reading (a real MMLU file and
// 1000 synthetic questions), answer extraction and prompt building.
//
//   deno bench --allow-read --allow-write bench/parse_bench.ts

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { extractAnswer } from "../src/protocol/answer.ts";
import { readCsvFile } from "../src/dataset/csv.ts";
import { discoverFiles } from "../src/dataset/discover.ts";
import { readDataset } from "../src/dataset/read.ts";
import { buildPrompt, type PromptOptions } from "../src/protocol/prompt.ts";
import type { Question } from "../src/schema.ts";
import {
  MMLU_TEST_DIR,
  readSampleRows,
  writeSyntheticDataset,
} from "./dataset.ts";

const tmp = await Deno.makeTempDir({ prefix: "llm-bench-parse-" });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(tmp, { recursive: true });
});
const sample = await readSampleRows();
const synthetic = join(tmp, "data");
await writeSyntheticDataset(synthetic, 1000, sample);
const syntheticFiles = (await discoverFiles(synthetic, "*.csv")).files;
const realFile = {
  path: fileURLToPath(
    new URL("college_computer_science_test.csv", MMLU_TEST_DIR),
  ),
  relative: "college_computer_science_test.csv",
};

async function drain(items: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of items) n++;
  return n;
}

Deno.bench("readCsvFile: college_computer_science_test.csv (100 q, 40 KB)", {
  group: "csv",
}, async () => {
  await drain(readCsvFile(realFile, 0));
});

Deno.bench("readDataset: 1000 synthetic questions (240 KB)", {
  group: "csv",
}, async () => {
  await drain(readDataset(syntheticFiles));
});

const LETTERS4 = ["A", "B", "C", "D"];
const choices = ["0", "4", "2", "6"];
const COT = "Let me think step by step. ".repeat(60) +
  "The field Q(sqrt(2), sqrt(3)) has degree 4 over Q, and sqrt(18) = 3 sqrt(2) adds nothing.\n\n" +
  "Answer: B";
const OUTPUTS: Array<[string, string]> = [
  ["json", '{"answer":"B"}'],
  ["lone letter", "B"],
  ["answer is", "The answer is (C)."],
  ["cot 1.7 KB", COT],
  ["think block", `<think>${"hmm ".repeat(200)}</think>\nAnswer: D`],
  ["no answer", "I am not sure about this one. ".repeat(10)],
];
for (const [name, content] of OUTPUTS) {
  Deno.bench(`extractAnswer: ${name}`, { group: "answer" }, () => {
    extractAnswer({ content, doneReason: "stop" }, LETTERS4, { choices });
  });
}

const q: Question = {
  id: "abstract_algebra_test.csv:1",
  index: 0,
  file: "abstract_algebra_test.csv",
  line: 1,
  subject: "abstract_algebra",
  question:
    "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.",
  choices,
  answer: "B",
};
const shots = Array.from({ length: 5 }, (_, i) => ({
  ...q,
  id: `dev:${i}`,
  question: `${q.question} (example ${i})`,
}));
const base: PromptOptions = {
  mode: "answer",
  shots: [],
  fewshotAsChat: false,
  system: null,
  template: null,
  preset: null,
};
Deno.bench("buildPrompt: answer, 0-shot", { group: "prompt" }, () => {
  buildPrompt(q, base);
});
Deno.bench("buildPrompt: cot, 0-shot", { group: "prompt" }, () => {
  buildPrompt(q, { ...base, mode: "cot" });
});
Deno.bench("buildPrompt: answer, 5-shot", { group: "prompt" }, () => {
  buildPrompt(q, { ...base, shots });
});
Deno.bench("buildPrompt: logprobs, 5-shot", { group: "prompt" }, () => {
  buildPrompt(q, { ...base, mode: "logprobs", shots });
});
