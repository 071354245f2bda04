// Logger setup: LogTape with a JSON Lines formatter. A record is one flat
// object per line (timestamp, level, event, fields); sinks are the run's
// log file and, with --verbose, stderr. Also the synchronous writer that
// stdout, stderr, the log file and results.jsonl share.

import {
  configure,
  getLogger,
  type LogLevel,
  type LogRecord,
  reset,
  type Sink,
} from "@logtape/logtape";

/** Flat fields of a log event. */
export type LogFields = Record<string, unknown>;

/** The logger the rest of the program sees. */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

const LEVEL_NAMES: Record<LogLevel, string> = {
  trace: "trace",
  debug: "debug",
  info: "info",
  warning: "warn",
  error: "error",
  fatal: "fatal",
};

/**
 * Formats a LogTape record as one JSON line: `{timestamp, level, event, ...fields}`.
 *
 * @example
 * ```ts
 * import { formatJsonLine } from "./log.ts";
 * formatJsonLine({
 *   category: ["llm-bench"], level: "info", message: ["run_started"],
 *   rawMessage: "run_started", timestamp: 0, properties: { model: "m" },
 * }); // '{"timestamp":"1970-01-01T00:00:00.000Z","level":"info","event":"run_started","model":"m"}\n'
 * ```
 */
export function formatJsonLine(record: LogRecord): string {
  const event = typeof record.rawMessage === "string"
    ? record.rawMessage
    : record.message.join("");
  return JSON.stringify({
    timestamp: new Date(record.timestamp).toISOString(),
    level: LEVEL_NAMES[record.level],
    event,
    ...record.properties,
  }) + "\n";
}

const ENCODER = new TextEncoder();

/**
 * Writes all of `text` with synchronous writes (a write may be short), so it
 * is in the kernel before the caller goes on.
 */
export function writeAllSync(
  file: { writeSync(p: Uint8Array): number },
  text: string,
): void {
  const bytes = ENCODER.encode(text);
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
}

/** A sink that writes each formatted line with a synchronous write (survives kill -9). */
export function fileSink(file: { writeSync(p: Uint8Array): number }): Sink {
  return (record: LogRecord) => {
    writeAllSync(file, formatJsonLine(record));
  };
}

/** A sink that keeps lines in memory (tests). */
export function arraySink(lines: string[]): Sink {
  return (record: LogRecord) => {
    lines.push(formatJsonLine(record));
  };
}

/** Configures LogTape with the given sinks and returns the program's logger. */
export async function setupLogging(
  sinks: Sink[],
  lowestLevel: LogLevel = "debug",
): Promise<Logger> {
  const named: Record<string, Sink> = {};
  sinks.forEach((s, i) => (named[`s${i}`] = s));
  await configure({
    reset: true,
    sinks: named,
    loggers: [
      { category: ["llm-bench"], lowestLevel, sinks: Object.keys(named) },
      { category: ["logtape", "meta"], lowestLevel: "error", sinks: [] },
    ],
  });
  const log = getLogger(["llm-bench"]);
  return {
    debug: (event, fields) => log.debug(event, fields ?? {}),
    info: (event, fields) => log.info(event, fields ?? {}),
    warn: (event, fields) => log.warn(event, fields ?? {}),
    error: (event, fields) => log.error(event, fields ?? {}),
  };
}

/** Removes the LogTape configuration (end of run, tests). */
export async function teardownLogging(): Promise<void> {
  await reset();
}

/** A logger that drops everything. */
export const NULL_LOGGER: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
