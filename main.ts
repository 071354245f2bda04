// deno-lint-ignore-file no-console
// The only wiring: argv/env -> command, real dependencies, signals, and the
// one place that prints errors and chooses exit codes (0 complete, 1 errors
// or aborted, 2 usage or input error, 130 interrupted).

import { parseCommand } from "./src/cli/parse.ts";
import { userPath, withUserPaths } from "./src/cli/user_paths.ts";
import { helpColumns, helpText, subcommandHelp } from "./src/cli/help.ts";
import {
  BackendError,
  DatasetError,
  RunAbortedError,
  UsageError,
} from "./src/errors.ts";
import { VERSION } from "./src/version.ts";
import { writeAllSync } from "./src/store/atomic.ts";

/** Seconds requests in flight get to finish after the first Ctrl-C. */
const GRACE_SECONDS = 5;

function describe(e: unknown, verbose: boolean): string {
  if (!(e instanceof Error)) return String(e);
  if (!verbose) return isUnexpected(e) ? unexpected(e) : e.message;
  const parts = [e.stack ?? e.message];
  let cause = e.cause;
  for (let depth = 0; cause !== undefined && depth < 8; depth++) {
    parts.push(
      `caused by: ${
        cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)
      }`,
    );
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return parts.join("\n");
}

function isUnexpected(e: Error): boolean {
  return e instanceof TypeError || e instanceof RangeError;
}

function unexpected(e: Error): string {
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : "";
  return `Cannot finish: ${e.name}: ${e.message}${cause} (a network failure or a bug; --verbose shows where)`;
}

// Usage and input mistakes are UsageError/DatasetError; a TypeError is a bug
// or the network (fetch throws TypeError), so it exits 1 like any failure.
function exitCodeFor(e: unknown): number {
  if (e instanceof UsageError || e instanceof DatasetError) return 2;
  if (e instanceof RunAbortedError) return e.exitCode;
  return 1;
}

/** Help fits the terminal; COLUMNS or 80 when the output is not one. */
function helpWidth(): number {
  let terminal: number | null = null;
  try {
    if (Deno.stdout.isTerminal()) terminal = Deno.consoleSize().columns;
  } catch {
    // No console size: use COLUMNS or 80.
  }
  return helpColumns(terminal, safeEnv("COLUMNS"));
}

async function main(argv: string[]): Promise<number> {
  const env = (name: string) => Deno.env.get(name);
  // Under `deno task`, relative paths mean the folder the user is in.
  const command = withUserPaths(
    parseCommand(argv, env),
    env("INIT_CWD") ?? null,
  );
  switch (command.kind) {
    case "help":
      console.log(
        command.topic
          ? subcommandHelp(command.topic, helpWidth())
          : helpText(VERSION, helpWidth()),
      );
      return 0;
    case "version":
      console.log(
        `llm-bench ${VERSION} (deno ${Deno.version.deno}, v8 ${Deno.version.v8})`,
      );
      return 0;
    case "report": {
      const { rebuildReports } = await import("./src/commands/report.ts");
      console.log(await rebuildReports(command.runDirs));
      return 0;
    }
    case "compare": {
      const { compareRuns } = await import("./src/commands/compare.ts");
      console.log(
        await compareRuns(
          command.runDirs[0]!,
          command.runDirs[1]!,
          command.outputDir,
          Deno.stdout.isTerminal() ? terminalColumns() : 80,
        ),
      );
      return 0;
    }
    case "cache": {
      const { CACHE_HELP, parseCacheArgs, runCacheCommand } = await import(
        "./src/commands/cache.ts"
      );
      const args = parseCacheArgs(command.args, env);
      console.log(args.action === "help" ? CACHE_HELP : runCacheCommand(args));
      return 0;
    }
    case "leaderboard": {
      const { parseLeaderboardArgs, runLeaderboard } = await import(
        "./src/commands/leaderboard.ts"
      );
      const width = Deno.stdout.isTerminal() ? terminalColumns() : 80;
      const args = parseLeaderboardArgs(command.argv);
      const cwd = env("INIT_CWD") ?? null;
      args.paths = args.paths.map((p) => userPath(p, cwd, true));
      if (args.outputDir) args.outputDir = userPath(args.outputDir, cwd, false);
      console.log(await runLeaderboard(args, width));
      return 0;
    }
    case "merge": {
      const { mergeRuns } = await import("./src/commands/merge.ts");
      console.log(await mergeRuns(command.runDirs, command.outputDir));
      return 0;
    }
  }

  // Loaded only for a run, so that --help and --version start fast.
  const { runBench } = await import("./src/commands/benchmark.ts");
  const stopCtl = new AbortController();
  const abortCtl = new AbortController();
  let serveDone: () => void = () => {};
  const served = new Promise<void>((resolve) => (serveDone = resolve));
  let signals = 0;
  let grace: ReturnType<typeof setTimeout> | null = null;
  const onSignal = () => {
    signals++;
    if (signals === 1) {
      serveDone();
      if (!stopCtl.signal.aborted) {
        // On a terminal, clear the progress line and the echoed ^C first.
        const lead = Deno.stderr.isTerminal() ? "\r\x1b[2K" : "\n";
        console.error(
          `${lead}Stopping: no new questions; ${GRACE_SECONDS}s for requests in flight (Ctrl-C again to exit now)`,
        );
      }
      stopCtl.abort("interrupted");
      grace = setTimeout(
        () => abortCtl.abort("interrupted"),
        GRACE_SECONDS * 1000,
      );
    } else {
      // Results so far are already on disk, one line per finished question.
      console.error("Exiting now; results so far are saved");
      Deno.exit(130);
    }
  };
  const installed: Deno.Signal[] = [];
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(sig, onSignal);
      installed.push(sig);
    } catch {
      // SIGTERM cannot be listened to on Windows.
    }
  }
  try {
    return await runBench(command.config, command.explicit, {
      stdout: (t) => writeAllSync(Deno.stdout, t),
      stderr: (t) => writeAllSync(Deno.stderr, t),
      stderrIsTty: Deno.stderr.isTerminal(),
      columns: terminalColumns(),
      env,
    }, { stop: stopCtl.signal, abort: abortCtl.signal, served });
  } finally {
    if (grace !== null) clearTimeout(grace);
    for (const sig of installed) Deno.removeSignalListener(sig, onSignal);
  }
}

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}

if (import.meta.main) {
  const verbose = Deno.args.includes("--verbose") ||
    /^(1|true|yes|on)$/i.test(safeEnv("VERBOSE") ?? "");
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (e) {
    code = exitCodeFor(e);
    const prefix = e instanceof BackendError
      ? "Error: "
      : code === 2
      ? ""
      : "Error: ";
    console.error(`${prefix}${describe(e, verbose && code !== 2)}`);
  }
  Deno.exit(code);
}

function safeEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}
