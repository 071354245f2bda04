// Finding dataset files: glob matching, the recursive walk of a dataset
// folder (hidden entries skipped, symlink loops cut) and its stable order.

import { basename, join, resolve } from "node:path";
import { DatasetError } from "../errors.ts";

/** The default `--csv-pattern`: every supported extension. */
export const DEFAULT_PATTERN = "*.{csv,tsv,jsonl,json,parquet}";

/** One dataset file to read. */
export interface DatasetFile {
  /** Absolute path. */
  path: string;
  /**
   * Path relative to the dataset root with `/` separators; when the root is
   * a single file, its basename. Used in ids (`<relative>:<line>`).
   */
  relative: string;
}

/** Something wrong with one file (or folder) that does not stop the others. */
export interface FileProblem {
  /** The file, relative to the dataset root. */
  file: string;
  /** 1-based line the problem is on, when known. */
  line: number | null;
  /** Complete message, e.g. `Cannot read "a.csv": line 3 holds a NUL byte; ...`. */
  message: string;
}

/** Result of `discoverFiles`. */
export interface DiscoveredFiles {
  /** Matching files, sorted byte-wise by `relative`. */
  files: DatasetFile[];
  /** Unreadable files or folders found on the way. */
  problems: FileProblem[];
}

/**
 * Compares two strings by Unicode code point, which is the byte order of
 * their UTF-8 encodings (plain `<` compares UTF-16 code units instead).
 *
 * @example
 * ```ts
 * import { compareCodePoints } from "./discover.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(["b", "a_test", "a"].sort(compareCodePoints), ["a", "a_test", "b"]);
 * assert.ok(compareCodePoints("\u{1F600}", "\uFF01") > 0);
 * ```
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (0xD800-0xDFFF) stands for a code point above 0xFFFF, so it
    // sorts after every other UTF-16 unit.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

const REGEXP_SPECIAL_REGEXP = /[\\^$.*+?()[\]{}|/]/;

/**
 * Compiles a glob to an anchored RegExp. `*` matches within one path
 * segment, `?` one character except `/`, `**` any number of segments
 * (`**\/` also matches none), `{a,b}` alternatives (nestable), `[abc]`,
 * `[a-z]` and `[!abc]` / `[^abc]` character classes.
 *
 * @example
 * ```ts
 * import { globToRegExp } from "./discover.ts";
 * import assert from "node:assert/strict";
 * assert.ok(globToRegExp("*.csv").test("anatomy_test.csv"));
 * assert.ok(globToRegExp("**\/*_test.{csv,jsonl}").test("mmlu/test/a_test.jsonl"));
 * assert.ok(!globToRegExp("*.csv").test("dev/a.csv"));
 * ```
 */
export function globToRegExp(pattern: string): RegExp {
  let out = "";
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        const atStart = i === 0 || pattern[i - 1] === "/";
        i++;
        if (atStart && pattern[i + 1] === "/") {
          out += "(?:[^/]*(?:/|$))*";
          i++;
        } else {
          out += ".*";
        }
      } else {
        out += "[^/]*";
      }
    } else if (c === "?") {
      out += "[^/]";
    } else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close === -1) {
        out += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, close);
      let negate = false;
      if (body[0] === "!" || body[0] === "^") {
        negate = true;
        body = body.slice(1);
      }
      body = body.replace(/[\\\]^]/g, "\\$&");
      out += negate ? `[^/${body}]` : `[${body}]`;
      i = close;
    } else if (c === "{") {
      depth++;
      out += "(?:";
    } else if (c === "}" && depth > 0) {
      depth--;
      out += ")";
    } else if (c === "," && depth > 0) {
      out += "|";
    } else if (c === "\\" && i + 1 < pattern.length) {
      i++;
      out += "\\" + pattern[i];
    } else {
      out += REGEXP_SPECIAL_REGEXP.test(c) ? "\\" + c : c;
    }
  }
  if (depth !== 0) {
    throw new TypeError(
      `Cannot use pattern "${pattern}": a "{" is not closed`,
    );
  }
  return new RegExp(`^${out}$`, "u");
}

function errorDetail(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotADirectory) return "not a directory";
  if (error instanceof Deno.errors.IsADirectory) return "is a directory";
  return error instanceof Error ? error.message : String(error);
}

/** `Cannot read "x": detail` for a file system error. */
export function readErrorMessage(name: string, error: unknown): string {
  return `Cannot read "${name}": ${errorDetail(error)}`;
}

/**
 * Files matching `pattern` under `root`: a folder (searched recursively) or a
 * single file, in byte-wise order of `relative`. The pattern is matched
 * against the basename when it holds no `/`, else against `relative`. A root
 * that is a file is taken whatever the pattern: naming it is explicit.
 * Entries whose name starts with `.` are skipped (`.git`,
 * `.ipynb_checkpoints` copies would duplicate questions). A folder or file
 * reached twice through symlinks (a loop, or two links to one target) is
 * read once, so no question is counted twice.
 *
 * @throws {DatasetError} for a missing or unreadable root, or no matching
 * file (`No files match "*.csv" in "data"`). Unreadable files and folders
 * inside the root are returned as `problems` instead.
 */
export async function discoverFiles(
  root: string,
  pattern: string,
): Promise<DiscoveredFiles> {
  const absolute = resolve(root);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(absolute);
  } catch (cause) {
    throw new DatasetError(readErrorMessage(root, cause), {
      file: root,
      cause,
    });
  }
  if (!info.isDirectory) {
    return {
      files: [{ path: absolute, relative: basename(absolute) }],
      problems: [],
    };
  }
  const w: Walk = {
    matcher: globToRegExp(pattern),
    onPath: pattern.includes("/"),
    problems: [],
    found: [],
    seenDirs: new Set<string>(),
  };
  try {
    w.seenDirs.add(await Deno.realPath(absolute));
    // Listing the root up front turns an unreadable root into an error.
    await Deno.readDir(absolute)[Symbol.asyncIterator]().next();
  } catch (cause) {
    throw new DatasetError(readErrorMessage(root, cause), {
      file: root,
      cause,
    });
  }
  await walkDir(w, absolute, "");
  w.found.sort((a, b) => compareCodePoints(a.relative, b.relative));
  const files = await oncePerRealPath(w.found);
  if (files.length === 0 && w.problems.length === 0) {
    throw new DatasetError(`No files match "${pattern}" in "${root}"`, {
      file: root,
    });
  }
  return { files, problems: w.problems };
}

/** The state of one discovery walk. */
interface Walk {
  matcher: RegExp;
  /** Match the relative path rather than the basename. */
  onPath: boolean;
  problems: FileProblem[];
  found: DatasetFile[];
  /** Real paths of folders already walked (symlink loops, double links). */
  seenDirs: Set<string>;
}

function problem(w: Walk, file: string, message: string): void {
  w.problems.push({ file, line: null, message });
}

/** Walks `dir` (shown as `prefix`), in code-point order of names. */
async function walkDir(w: Walk, dir: string, prefix: string): Promise<void> {
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) entries.push(entry);
  } catch (cause) {
    const name = prefix.slice(0, -1);
    problem(w, name, readErrorMessage(name, cause));
    return;
  }
  entries.sort((a, b) => compareCodePoints(a.name, b.name));
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    const relative = prefix + entry.name;
    const kind = await entryKind(w, entry, path, relative);
    if (kind === null) continue;
    if (kind.isDirectory) {
      let real: string;
      try {
        real = await Deno.realPath(path);
      } catch (cause) {
        problem(w, relative, readErrorMessage(relative, cause));
        continue;
      }
      if (w.seenDirs.has(real)) continue;
      w.seenDirs.add(real);
      await walkDir(w, path, relative + "/");
    } else if (
      kind.isFile && w.matcher.test(w.onPath ? relative : entry.name)
    ) {
      w.found.push({ path, relative });
    }
  }
}

/**
 * Whether an entry is a folder or a file, following a symlink; null for a
 * link that cannot be followed (a problem when its name matches).
 */
async function entryKind(
  w: Walk,
  entry: Deno.DirEntry,
  path: string,
  relative: string,
): Promise<{ isDirectory: boolean; isFile: boolean } | null> {
  if (!entry.isSymlink) {
    return { isDirectory: entry.isDirectory, isFile: entry.isFile };
  }
  try {
    const target = await Deno.stat(path);
    return { isDirectory: target.isDirectory, isFile: target.isFile };
  } catch (cause) {
    if (w.matcher.test(w.onPath ? relative : entry.name)) {
      problem(
        w,
        relative,
        cause instanceof Deno.errors.NotFound
          ? `Cannot read "${relative}": it is a broken symbolic link`
          : readErrorMessage(relative, cause),
      );
    }
    return null;
  }
}

/** `found` in order, a file reached twice (two links to it) kept once. */
async function oncePerRealPath(found: DatasetFile[]): Promise<DatasetFile[]> {
  const files: DatasetFile[] = [];
  const seenFiles = new Set<string>();
  for (const file of found) {
    let real = file.path;
    try {
      real = await Deno.realPath(file.path);
    } catch {
      // Reading it will report the problem.
    }
    if (seenFiles.has(real)) continue;
    seenFiles.add(real);
    files.push(file);
  }
  return files;
}
