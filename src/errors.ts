// Named errors that carry data. Only main.ts turns them into messages and
// exit codes: UsageError and DatasetError exit 2, BackendError kinds decide
// whether a request is retried.

import type { ErrorKind } from "./schema.ts";

/** A bad flag, environment variable or argument combination (exit 2). */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Input data that cannot be used: names the file and, where known, the line (exit 2). */
export class DatasetError extends Error {
  override name = "DatasetError";
  readonly file: string;
  readonly line: number | null;
  constructor(
    message: string,
    options: { file: string; line?: number | null; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.file = options.file;
    this.line = options.line ?? null;
  }
}

/** One failed request to a model server. */
export class BackendError extends Error {
  override name = "BackendError";
  readonly kind: ErrorKind;
  /** HTTP status, when the server answered. */
  readonly status: number | null;
  /** Whether another attempt may succeed. */
  readonly retryable: boolean;
  /** Seconds the server asked us to wait (Retry-After), if any. */
  readonly retryAfterSeconds: number | null;
  constructor(
    message: string,
    options: {
      kind: ErrorKind;
      status?: number | null;
      retryable: boolean;
      retryAfterSeconds?: number | null;
      cause?: unknown;
    },
  ) {
    super(message, { cause: options.cause });
    this.kind = options.kind;
    this.status = options.status ?? null;
    this.retryable = options.retryable;
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
  }
}

/** The run cannot go on (server unreachable at preflight, model missing, breaker open). */
export class RunAbortedError extends Error {
  override name = "RunAbortedError";
  /** 2 when the user can fix it by changing arguments (unknown model), else 1. */
  readonly exitCode: 1 | 2;
  constructor(message: string, options: { exitCode: 1 | 2; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.exitCode = options.exitCode;
  }
}
