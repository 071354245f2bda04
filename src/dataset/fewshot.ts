// Few-shot examples: finds a subject's dev file (`SUBJECT_dev.csv`, or any
// other supported format) beside the test files and reads its first K
// questions of that subject, caching per dev file.

import { basename, dirname, join, relative as relativePath } from "node:path";
import type { Question } from "../schema.ts";
import type { FieldMap } from "./fields.ts";
import { readFile } from "./read.ts";

/** Extensions a dev file may have, in lookup order. */
const DEV_EXTENSIONS = ["csv", "tsv", "jsonl", "json", "parquet"];

/** Options of `FewshotSource`. */
export interface FewshotOptions {
  /** Folder holding `SUBJECT_dev.csv` files; null to look beside each test file. */
  fewshotDir: string | null;
  /** `--fields`, for dev files in an unrecognised shape. @default null */
  fields?: FieldMap | null;
  /**
   * The dataset's dev files (`*_dev.*`, `dev/`, the Hub's `dev-*.parquet`),
   * searched by record subject when no `SUBJECT_dev` file is found.
   * @default []
   */
  devFiles?: readonly { path: string }[];
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
  readonly #fields: FieldMap | null;
  readonly #devFiles: readonly { path: string }[];
  readonly #files = new Map<string, Promise<DevFile>>();
  readonly #exists = new Map<string, Promise<boolean>>();

  constructor(options: FewshotOptions) {
    this.#fewshotDir = options.fewshotDir;
    this.#fields = options.fields ?? null;
    this.#devFiles = options.devFiles ?? [];
  }

  /**
   * Candidate dev file paths for `testPath`, in lookup order, each with its
   * extension left as `{ext}`.
   */
  candidates(testPath: string, subject: string): string[] {
    const name = `${subject}_dev.{ext}`;
    if (this.#fewshotDir !== null) return [join(this.#fewshotDir, name)];
    const folder = dirname(testPath);
    return [
      join(folder, "..", "dev", name),
      join(folder, "dev", name),
      join(folder, name),
    ];
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
    for (const pattern of candidates) {
      const path = await this.#firstFile(pattern, file.path);
      if (path === null) continue;
      const dev = await this.#read(path);
      const own = dev.questions.filter((q) => q.subject === subject);
      // A file named after the subject holds that subject, whatever its
      // records call themselves.
      const examples = (own.length > 0 ? own : dev.questions).slice(0, k);
      let reason = dev.problem;
      if (reason === null && examples.length < k) {
        reason = `"${path}" has only ${examples.length} usable row${
          examples.length === 1 ? "" : "s"
        }, ${k} asked for`;
      }
      return { examples, source: path, reason };
    }
    const pooled = await this.#fromPool(subject, k);
    if (pooled !== null) return pooled;
    const tried = candidates.map((path) =>
      `"${path.replace("{ext}", `{${DEV_EXTENSIONS.join(",")}}`)}"`
    ).join(", ");
    return {
      examples: [],
      source: null,
      reason: `no few-shot file for "${subject}" (looked for ${tried})`,
    };
  }

  /**
   * Examples of `subject` from the dataset's own dev files (records that
   * carry their subject, like the Hub's `dev` split of cais/mmlu), or null
   * when none of them has the subject.
   */
  async #fromPool(subject: string, k: number): Promise<FewshotResult | null> {
    if (this.#fewshotDir !== null) return null;
    for (const file of this.#devFiles) {
      const dev = await this.#read(file.path);
      const own = dev.questions.filter((q) => q.subject === subject);
      if (own.length === 0) continue;
      const examples = own.slice(0, k);
      return {
        examples,
        source: file.path,
        reason: examples.length < k
          ? `"${file.path}" has only ${examples.length} usable row${
            examples.length === 1 ? "" : "s"
          } of "${subject}", ${k} asked for`
          : null,
      };
    }
    return null;
  }

  async #firstFile(pattern: string, testPath: string): Promise<string | null> {
    for (const ext of DEV_EXTENSIONS) {
      const path = pattern.replace("{ext}", ext);
      if (path !== testPath && await this.#isFile(path)) return path;
    }
    return null;
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
      cached = readDevFile(path, this.#fields);
      this.#files.set(path, cached);
    }
    return cached;
  }
}

async function readDevFile(
  path: string,
  fields: FieldMap | null,
): Promise<DevFile> {
  const questions: Question[] = [];
  let problem: string | null = null;
  const relative = relativePath(Deno.cwd(), path) || basename(path);
  for await (const item of readFile({ path, relative }, 0, { fields })) {
    if (item.kind === "question") questions.push(item.question);
    else if (item.kind === "problem") problem = item.problem.message;
  }
  return { questions, problem };
}
