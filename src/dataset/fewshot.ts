// Few-shot examples: finds a subject's dev file (`SUBJECT_dev.csv`) beside
// the test files and reads its first K rows, caching per dev file.

import { basename, dirname, join, relative as relativePath } from "node:path";
import type { Question } from "../schema.ts";
import { readCsvFile } from "./csv.ts";

/** Options of `FewshotSource`. */
export interface FewshotOptions {
  /** Folder holding `SUBJECT_dev.csv` files; null to look beside each test file. */
  fewshotDir: string | null;
}

/** Few-shot examples found for one question's subject. */
export interface FewshotResult {
  /** Up to K questions from the dev file, in file order (skipped rows left out). */
  examples: Question[];
  /** Path of the dev file used, or null when none was found. */
  source: string | null;
  /** Why there are fewer than K examples, or null. */
  reason: string | null;
}

interface DevFile {
  questions: Question[];
  problem: string | null;
}

/**
 * Few-shot examples per subject: the first K questions of the subject's dev
 * file. `SUBJECT_dev.csv` is looked for in the explicit `fewshotDir` when
 * given (only there); otherwise in `<folder>/../dev/`, then `<folder>/dev/`,
 * then `<folder>` itself, where `<folder>` holds the test file. A dev file is
 * read once and cached. A candidate that is the test file itself is never
 * used, so a question cannot be its own example.
 */
export class FewshotSource {
  readonly #fewshotDir: string | null;
  readonly #files = new Map<string, Promise<DevFile>>();
  readonly #exists = new Map<string, Promise<boolean>>();

  constructor(options: FewshotOptions) {
    this.#fewshotDir = options.fewshotDir;
  }

  /** Candidate dev file paths for `testPath`, in lookup order. */
  candidates(testPath: string, subject: string): string[] {
    const name = `${subject}_dev.csv`;
    if (this.#fewshotDir !== null) return [join(this.#fewshotDir, name)];
    const folder = dirname(testPath);
    return [
      join(folder, "..", "dev", name),
      join(folder, "dev", name),
      join(folder, name),
    ].filter((path) => path !== testPath);
  }

  /**
   * The first `k` questions of the subject's dev file. Returns no examples
   * and a reason when no dev file is found or it cannot be read.
   */
  async examples(
    file: { path: string },
    subject: string,
    k: number,
  ): Promise<FewshotResult> {
    if (k <= 0) return { examples: [], source: null, reason: null };
    const candidates = this.candidates(file.path, subject);
    for (const path of candidates) {
      if (!(await this.#isFile(path))) continue;
      const dev = await this.#read(path);
      const examples = dev.questions.slice(0, k);
      let reason = dev.problem;
      if (reason === null && examples.length < k) {
        reason = `"${path}" has only ${examples.length} usable row${
          examples.length === 1 ? "" : "s"
        }, ${k} asked for`;
      }
      return { examples, source: path, reason };
    }
    const tried = candidates.map((path) => `"${path}"`).join(", ");
    return {
      examples: [],
      source: null,
      reason: `no few-shot file for "${subject}" (looked for ${tried})`,
    };
  }

  #isFile(path: string): Promise<boolean> {
    let known = this.#exists.get(path);
    if (known === undefined) {
      known = Deno.stat(path).then((info) => info.isFile, () => false);
      this.#exists.set(path, known);
    }
    return known;
  }

  #read(path: string): Promise<DevFile> {
    let cached = this.#files.get(path);
    if (cached === undefined) {
      cached = readDevFile(path);
      this.#files.set(path, cached);
    }
    return cached;
  }
}

async function readDevFile(path: string): Promise<DevFile> {
  const questions: Question[] = [];
  let problem: string | null = null;
  const relative = relativePath(Deno.cwd(), path) || basename(path);
  for await (const item of readCsvFile({ path, relative }, 0)) {
    if (item.kind === "question") questions.push(item.question);
    else if (item.kind === "problem") problem = item.problem.message;
  }
  return { questions, problem };
}
