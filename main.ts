// deno-lint-ignore-file no-console
// The only wiring: argv/env -> command, real dependencies, signals, and the
// one place that prints errors and chooses exit codes (0 complete, 1 errors
// or aborted, 2 usage or input error, 130 interrupted).

import { parseCommand } from "./src/cli/parse.ts";
import { withUserPaths } from "./src/cli/user_paths.ts";
import { helpText } from "./src/cli/options.ts";
import {
  BackendError,
  DatasetError,
  RunAbortedError,
  UsageError,
} from "./src/errors.ts";
import { VERSION } from "./src/version.ts";
import { writeAllSync } from "./src/store/atomic.ts";
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
  if (!verbose) return e.message;
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

function exitCodeFor(e: unknown): number {
  if (e instanceof UsageError || e instanceof DatasetError) return 2;
  if (e instanceof RunAbortedError) return e.exitCode;
  if (e instanceof TypeError || e instanceof RangeError) return 2;
  return 1;
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
      console.log(helpText(VERSION));
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
        ),
      );
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
  const underTask = startedByDenoTask(env("INIT_CWD"));
  return await withInterrupts(
    underTask,
    (control) =>
      runBench(command.config, command.explicit, {
        stdout: (t) => writeAllSync(Deno.stdout, t),
        stderr: (t) => writeAllSync(Deno.stderr, t),
        stderrIsTty: Deno.stderr.isTerminal(),
        columns: terminalColumns(),
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
    return 100;
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
