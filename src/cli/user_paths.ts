// Relative paths mean the folder the user typed them in. `deno task` runs the
// program in the project folder and passes the user's folder as INIT_CWD, so
// relative paths given on the command line are resolved against it when they
// exist there (the tasks' own paths, like `benchmark_data`, still work).

import { isAbsolute, join } from "node:path";
import type { Command, Config } from "./parse.ts";

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * `path` as the user meant it: against `initCwd` when it is relative and
 * exists there (or `mustExist` is false), else unchanged.
 *
 * @example
 * ```ts
 * import { userPath } from "./user_paths.ts";
 * userPath("/abs/data", "/home/me", true); // "/abs/data"
 * userPath("out", "/home/me", false); // "/home/me/out"
 * ```
 */
export function userPath(
  path: string,
  initCwd: string | null,
  mustExist: boolean,
): string {
  if (initCwd === null || isAbsolute(path)) return path;
  const candidate = join(initCwd, path);
  return !mustExist || existsSync(candidate) ? candidate : path;
}

/** The command with its relative paths resolved against `initCwd` (see userPath). */
export function withUserPaths(
  command: Command,
  initCwd: string | null,
): Command {
  if (initCwd === null || initCwd === Deno.cwd()) return command;
  const p = (path: string, mustExist = true) =>
    userPath(path, initCwd, mustExist);
  switch (command.kind) {
    case "report":
      return { ...command, runDirs: command.runDirs.map((d) => p(d)) };
    case "compare":
      return {
        ...command,
        runDirs: command.runDirs.map((d) => p(d)),
        outputDir: command.outputDir === null
          ? null
          : p(command.outputDir, false),
      };
    case "merge":
      return {
        ...command,
        runDirs: command.runDirs.map((d) => p(d)),
        outputDir: p(command.outputDir, false),
      };
    case "run": {
      const c = command.config;
      const explicitOutput = command.explicit.has("outputDir");
      const config: Config = Object.freeze({
        ...c,
        csvDir: p(c.csvDir),
        outputDir: explicitOutput ? p(c.outputDir, false) : c.outputDir,
        resume: c.resume === null ? null : p(c.resume),
        fewshotDir: c.fewshotDir === null ? null : p(c.fewshotDir),
        templateFile: c.templateFile === null ? null : p(c.templateFile),
        cacheDir: c.cacheDir === null || !command.explicit.has("cacheDir")
          ? c.cacheDir
          : p(c.cacheDir, false),
      });
      return { ...command, config };
    }
    default:
      return command;
  }
}
