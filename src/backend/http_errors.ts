// Turns HTTP failures (status codes, error bodies, Retry-After, fetch
// rejections) into BackendError (credentials scrubbed through src/redact.ts).
// Shared by every HTTP backend (Ollama native and OpenAI-compatible).

import { BackendError } from "../errors.ts";
import type { ErrorKind } from "../schema.ts";
import { redactText, redactUrl, SENSITIVE_QUERY_PARAMS } from "../redact.ts";

export { redactText, redactUrl, SENSITIVE_QUERY_PARAMS };

/** Statuses worth another attempt besides every 5xx. */
export const RETRYABLE_STATUSES: readonly number[] = [408, 429];

/** Longest server message kept in a BackendError, in characters. */
export const MAX_ERROR_MESSAGE_CHARS = 500;

const MODEL_NOT_FOUND_REGEXP =
  /\bmodel\b.*(?:not found|does not exist|not exist)|model_not_found/i;

/** Kind and retry decision for one HTTP status. */
export interface StatusClass {
  kind: ErrorKind;
  retryable: boolean;
}

/**
 * Classifies an HTTP error status. A 404 whose message names a missing model
 * is `model_not_found` (never retried: the run should stop and say so); other
 * 404s (a wrong base URL) are plain `http_4xx`.
 *
 * @example
 * ```ts
 * import { classifyStatus } from "./http_errors.ts";
 * classifyStatus(503); // { kind: "busy", retryable: true }
 * classifyStatus(404, "model 'foo' not found"); // { kind: "model_not_found", retryable: false }
 * ```
 */
export function classifyStatus(status: number, message = ""): StatusClass {
  if (status === 404 && MODEL_NOT_FOUND_REGEXP.test(message)) {
    return { kind: "model_not_found", retryable: false };
  }
  if (status === 408) return { kind: "timeout", retryable: true };
  if (status === 429) return { kind: "rate_limited", retryable: true };
  if (status === 503) return { kind: "busy", retryable: true };
  if (status >= 500 && status <= 599) {
    return { kind: "http_5xx", retryable: true };
  }
  return {
    kind: "http_4xx",
    retryable: RETRYABLE_STATUSES.includes(status),
  };
}

/**
 * Parses a `Retry-After` header: delay seconds or an HTTP date. Returns the
 * seconds to wait (≥ 0, uncapped: the caller caps it), or null when absent or
 * unreadable.
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from "./http_errors.ts";
 * parseRetryAfter("7"); // 7
 * parseRetryAfter("Wed, 21 Oct 2015 07:28:10 GMT", Date.UTC(2015, 9, 21, 7, 28, 0)); // 10
 * parseRetryAfter("soon"); // null
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (text === "") return null;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text);
  // HTTP dates always name a weekday or month; refuse bare numbers like "-5".
  if (!/[a-z]/i.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** Options for {@linkcode errorFromResponse} and {@linkcode errorFromFetchFailure}. */
export interface HttpErrorOptions {
  /** Strings that must never appear in the error (API keys). @default [] */
  secrets?: readonly (string | null | undefined)[];
  /** Clock for HTTP-date Retry-After, ms since epoch. @default Date.now() */
  now?: number;
  /** The URL that was fetched, named (redacted) in network errors. */
  url?: string;
}

/**
 * Extracts the message of an error body: OpenAI `{"error":{"message"}}`,
 * Ollama `{"error":"..."}`, or `{"message"|"detail":"..."}`. Null when the
 * body is not JSON or carries no message.
 *
 * @example
 * ```ts
 * import { errorMessageFromBody } from "./http_errors.ts";
 * errorMessageFromBody('{"error":{"message":"model \'x\' not found","type":"not_found_error"}}');
 * // "model 'x' not found"
 * errorMessageFromBody("<html>"); // null
 * ```
 */
export function errorMessageFromBody(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (!isRecord(parsed)) return null;
  const error = parsed.error;
  if (typeof error === "string" && error !== "") return error;
  if (isRecord(error) && typeof error.message === "string") {
    return error.message;
  }
  for (const key of ["message", "detail"]) {
    const value = parsed[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return null;
}

/**
 * Builds the BackendError for a non-2xx response. Reads (and so releases) the
 * body. The message is the server's own (error envelope), else the status
 * line; secrets are scrubbed from it.
 */
export async function errorFromResponse(
  response: Response,
  options: HttpErrorOptions = {},
): Promise<BackendError> {
  let body = "";
  try {
    body = await response.text();
  } catch {
    // The status alone classifies the failure; a broken body adds nothing.
  }
  const serverMessage = errorMessageFromBody(body);
  const statusLine = `HTTP ${response.status}${
    response.statusText ? ` ${response.statusText}` : ""
  }`;
  const message = truncate(
    redactText(serverMessage ?? statusLine, options.secrets),
  );
  const { kind, retryable } = classifyStatus(response.status, message);
  return new BackendError(message, {
    kind,
    status: response.status,
    retryable,
    retryAfterSeconds: parseRetryAfter(
      response.headers.get("retry-after"),
      options.now,
    ),
  });
}

/**
 * Classifies a rejection from `fetch()` or from reading a body: a
 * `TimeoutError` (from `AbortSignal.timeout`) is `timeout`, an `AbortError`
 * (the run was stopped) is `interrupted` and not retried, anything else
 * (TypeError: refused, reset, DNS) is `network`, naming `options.url`
 * (redacted) when given. The message and cause are scrubbed of secrets and
 * URL credentials.
 */
export function errorFromFetchFailure(
  error: unknown,
  options: HttpErrorOptions = {},
): BackendError {
  if (error instanceof BackendError) return error;
  const reason = redactText(describeConnectFailure(error), options.secrets);
  const name = error instanceof Error || error instanceof DOMException
    ? error.name
    : "";
  // Keep a scrubbed copy, not the original: its message may hold the URL.
  const cause = new Error(reason);
  cause.name = name || "Error";
  if (name === "TimeoutError") {
    return new BackendError(`Request timed out: ${reason}`, {
      kind: "timeout",
      retryable: true,
      cause,
    });
  }
  if (name === "AbortError") {
    return new BackendError(`Request aborted: ${reason}`, {
      kind: "interrupted",
      retryable: false,
      cause,
    });
  }
  const where = options.url === undefined
    ? ""
    : `cannot reach ${redactUrl(options.url)}: `;
  return new BackendError(`Network error: ${where}${reason}`, {
    kind: "network",
    retryable: true,
    cause,
  });
}

/**
 * The most specific text for a failure: the deepest message in the cause
 * chain (Deno puts "Connection refused" in `cause`, "fetch failed" on top).
 *
 * @example
 * ```ts
 * import { describeFailure } from "./http_errors.ts";
 * describeFailure(new TypeError("fetch failed", { cause: new Error("Connection refused") }));
 * // "Connection refused"
 * ```
 */
export function describeFailure(error: unknown): string {
  let current: unknown = error;
  let message = "";
  for (let depth = 0; depth < 8 && current !== undefined; depth++) {
    if (current instanceof Error || current instanceof DOMException) {
      if (current.message) message = current.message;
      current = current instanceof Error ? current.cause : undefined;
    } else {
      if (message === "" && current !== null) message = String(current);
      break;
    }
  }
  return truncate(message || "unknown error");
}

/**
 * {@link describeFailure} without the runtime's wrappers around a failed
 * connection ("error sending request for url (URL): client error (Connect):
 * tcp connect error: … (os error 111)"): what a person needs on one line.
 *
 * @example
 * ```ts
 * import { describeConnectFailure } from "./http_errors.ts";
 * describeConnectFailure(new TypeError("error sending request for url (http://h/): client error (Connect): tcp connect error: Connection refused (os error 111)"));
 * // "Connection refused"
 * ```
 */
export function describeConnectFailure(error: unknown): string {
  return describeFailure(error)
    .replace(
      /^error sending request (?:from \S+ )?for (?:url )?\S+ \([^)]*\): /,
      "",
    )
    .replace(/^error sending request for url \([^)]*\): /, "")
    .replace(/^client error \((?:Connect|SendRequest)\): /, "")
    .replace(/^tcp connect error: /, "")
    .replace(/ \(os error \d+\)$/, "");
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_MESSAGE_CHARS
    ? `${text.slice(0, MAX_ERROR_MESSAGE_CHARS)}…`
    : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
