// What a benchmark run gets from the process around it: output streams and
// the stop/abort signals main.ts raises on Ctrl-C or SIGTERM.

/** The process around a benchmark run. */
export interface BenchIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stderrIsTty: boolean;
  columns: number;
  /** Reads an environment variable (the Hub variables of `hf:` datasets). */
  env?: (name: string) => string | undefined;
  /**
   * The command a user can type to resume the run in `dir`, as started
   * (`deno task cli --resume …`, `llm-bench --resume …`).
   * @default `llm-bench --resume ${dir}`
   */
  resumeCommand?: (dir: string) => string;
}

/** Signals from main.ts: `stop` = stop dispatching, `abort` = abort requests in flight. */
export interface BenchControl {
  stop: AbortSignal;
  abort: AbortSignal;
  /** Resolves when the user asks to stop serving (--serve). */
  served?: Promise<void>;
  /** Called when the run is over and only the metrics server is left. */
  serving?: () => void;
}
