// How the program was started (`deno task`, the compiled binary, `deno run`),
// and so which command a user can run to resume.

import { basename, dirname, isAbsolute, relative } from "node:path";

/**
 * Whether the program was started by `deno task` (which forwards the
 * terminal's signals to its child, and can die and leave it behind):
 * `deno task` sets `INIT_CWD`. (The parent's command line in `/proc` would
 * say more, but Deno lets only `--allow-all` read `/proc`.)
 *
 * @example
 * ```ts
 * import { startedByDenoTask } from "./launch.ts";
 * if (!startedByDenoTask("/home/me")) throw new Error("deno task");
 * if (startedByDenoTask(undefined)) throw new Error("not deno task");
 * ```
 */
export function startedByDenoTask(initCwd: string | undefined): boolean {
  return initCwd !== undefined && initCwd !== "";
}

/** What {@linkcode resumeCommandFor} needs to know about the process. */
export interface Launch {
  /** Started by `deno task` (see {@linkcode startedByDenoTask}). */
  underTask: boolean;
  /** A `deno compile` binary (`Deno.build.standalone`). */
  standalone: boolean;
  /** `Deno.execPath()`. */
  execPath: string;
}

/**
 * Folders on everyone's PATH. (PATH itself is not read: the binary may read
 * only the variables it documents.)
 */
const STANDARD_BIN_DIRS = new Set([
  "/usr/local/bin",
  "/usr/bin",
  "/bin",
  "/opt/homebrew/bin",
]);

/**
 * The command a user types to run this program again: `deno task cli` from
 * a checkout, the binary's name when it is in a standard bin folder, else
 * its path.
 *
 * @example
 * ```ts
 * import { resumeCommandFor } from "./launch.ts";
 * const bin = { underTask: false, standalone: true, execPath: "/usr/local/bin/llm-bench" };
 * if (resumeCommandFor(bin) !== "llm-bench") throw new Error();
 * if (resumeCommandFor({ ...bin, underTask: true, standalone: false }) !== "deno task cli") throw new Error();
 * ```
 */
export function resumeCommandFor(launch: Launch): string {
  if (!launch.standalone) return "deno task cli";
  return STANDARD_BIN_DIRS.has(dirname(launch.execPath))
    ? basename(launch.execPath)
    : launch.execPath;
}

/**
 * `path` as the user can type it in `cwd`: relative when inside it, else
 * absolute; quoted when it holds a space or a quote.
 *
 * @example
 * ```ts
 * import { displayPath } from "./launch.ts";
 * if (displayPath("/home/me/results/r1", "/home/me") !== "results/r1") throw new Error();
 * if (displayPath("/tmp/r 1", "/home/me") !== "'/tmp/r 1'") throw new Error();
 * ```
 */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  const shown = rel !== "" && !rel.startsWith("..") && !isAbsolute(rel)
    ? rel
    : path;
  return /[\s'"$`\\]/.test(shown)
    ? `'${shown.replaceAll("'", `'\\''`)}'`
    : shown;
}
