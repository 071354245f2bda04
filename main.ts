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

/** Seconds requests in flight get to finish after the first Ctrl-C. */
const GRACE_SECONDS = 5;

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
    case "inspect": {
      const { inspectCommand } = await import("./src/commands/inspect.ts");
      const runConfig = (args: string[]) => {
        const run = parseCommand(args, env);
        if (run.kind !== "run") throw new Error("inspect: not a run config");
        return run.config;
      };
      console.log(await inspectCommand(command.argv, { runConfig }));
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
        console.error(
          `\nStopping: no new questions; ${GRACE_SECONDS}s for requests in flight (Ctrl-C again to exit now)`,
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
