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
import { writeAllSync } from "./src/log.ts";
import {
  DUPLICATE_WINDOW_MS,
  Interrupts,
  watchParent,
} from "./src/cli/interrupts.ts";
import {
  displayPath,
  resumeCommandFor,
  startedByDenoTask,
} from "./src/cli/launch.ts";
import type { BenchControl } from "./src/commands/bench_io.ts";

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
      if (args.action === "help") {
        console.log(CACHE_HELP);
        return 0;
      }
      // The same folder a run's --cache-dir names under `deno task`.
      args.dir = userPath(args.dir, env("INIT_CWD") ?? null, false);
      console.log(runCacheCommand(args));
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
    case "inspect": {
      const { inspectCommand } = await import("./src/commands/inspect.ts");
      const cwd = env("INIT_CWD") ?? null;
      const runConfig = (args: string[]) => {
        const run = withUserPaths(parseCommand(args, env), cwd);
        if (run.kind !== "run") throw new Error("inspect: not a run config");
        return run.config;
      };
      const userPathOf = (p: string) => userPath(p, cwd, true);
      console.log(
        await inspectCommand(command.argv, { runConfig, userPath: userPathOf }),
      );
      return 0;
    }
  }

  // Loaded only for a run, so that --help and --version start fast.
  const { runBench } = await import("./src/commands/benchmark.ts");
  const underTask = startedByDenoTask(env("INIT_CWD"));
  return await withInterrupts(
    underTask,
    (control) =>
      runBench(command.config, command.explicit, {
        stdout: (t) => writeAllSync(Deno.stdout, t),
        stderr: (t) => writeAllSync(Deno.stderr, t),
        stderrIsTty: Deno.stderr.isTerminal(),
        columns: terminalColumns(),
        env,
        resumeCommand: (dir) =>
          `${
            resumeCommandFor({
              underTask,
              standalone: Deno.build.standalone,
              execPath: Deno.execPath(),
            })
          } --resume ${displayPath(dir, env("INIT_CWD") ?? Deno.cwd())}`,
      }, control),
  );
}

/**
 * Runs `f` with SIGINT/SIGTERM turned into one graceful stop (a second one
 * exits at once), and, under `deno task`, a stop when that parent is gone.
 */
async function withInterrupts(
  underTask: boolean,
  f: (control: BenchControl) => Promise<number>,
): Promise<number> {
  const irq = new Interrupts({
    stderr: (t) => writeAllSync(Deno.stderr, t),
    exit: (code) => Deno.exit(code),
    now: () => performance.now(),
    tty: Deno.stderr.isTerminal(),
  }, { duplicateWindowMs: underTask ? DUPLICATE_WINDOW_MS : 0 });
  const onSignal = () => irq.signal("signal");
  const installed: Deno.Signal[] = [];
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(sig, onSignal);
      installed.push(sig);
    } catch {
      // SIGTERM cannot be listened to on Windows.
    }
  }
  const unwatch = underTask ? watchParent(() => irq.orphaned()) : () => {};
  try {
    return await f({
      stop: irq.stop,
      abort: irq.abort,
      served: irq.served,
      serving: () => irq.serving(),
    });
  } finally {
    unwatch();
    irq.dispose();
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
