// Turns HTTP failures (status codes, error bodies, Retry-After, fetch
// rejections) into BackendError, and scrubs credentials from URLs and text.
// Shared by every HTTP backend (Ollama native and OpenAI-compatible).

import { BackendError } from "../errors.ts";
import type { ErrorKind } from "../schema.ts";

/** Statuses worth another attempt besides every 5xx. */
export const RETRYABLE_STATUSES: readonly number[] = [408, 429];

/** Query parameter names whose values are credentials (compared lower-cased). */
export const SENSITIVE_QUERY_PARAMS: readonly string[] = [
  "key",
  "api_key",
  "apikey",
  "api-key",
  "token",
  "access_token",
  "auth",
  "password",
  "secret",
  "sig",
  "signature",
];

/** Longest server message kept in a BackendError, in characters. */
export const MAX_ERROR_MESSAGE_CHARS = 500;

const REDACTED = "REDACTED";
const MODEL_NOT_FOUND_REGEXP =
  /\bmodel\b.*(?:not found|does not exist|not exist)|model_not_found/i;
const URL_USERINFO_REGEXP = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;
const SENSITIVE_QUERY_REGEXP = new RegExp(
  `([?&](?:${
    SENSITIVE_QUERY_PARAMS.map((p) => p.replace(/[-]/g, "\\-")).join("|")
  })=)[^&#\\s)"']*`,
  "gi",
);

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

/**
 * Removes credentials from a URL: `user:pass@` and the values of sensitive
 * query parameters (`key`, `api_key`, `token`, ...). Unparseable input is
 * scrubbed textually.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./http_errors.ts";
 * redactUrl("http://bob:pw@host:8000/v1?api_key=s3cret&x=1");
 * // "http://host:8000/v1?api_key=REDACTED&x=1"
 * ```
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactText(url);
  }
  let changed = false;
  if (parsed.username !== "" || parsed.password !== "") {
    parsed.username = "";
    parsed.password = "";
    changed = true;
  }
  for (const name of [...parsed.searchParams.keys()]) {
    if (SENSITIVE_QUERY_PARAMS.includes(name.toLowerCase())) {
      parsed.searchParams.set(name, REDACTED);
      changed = true;
    }
  }
  return changed ? parsed.toString() : url;
}

/**
 * Scrubs credentials from free text: URL userinfo, sensitive query values,
 * and every given secret (e.g. the API key) replaced by `***`.
 *
 * @example
 * ```ts
 * import { redactText } from "./http_errors.ts";
 * redactText("bad key sk-123 for http://a:b@h/?token=x", ["sk-123"]);
 * // "bad key *** for http://h/?token=REDACTED"
 * ```
 */
export function redactText(
  text: string,
  secrets: readonly (string | null | undefined)[] = [],
): string {
  let out = text;
  for (const secret of secrets) {
    if (secret) out = out.split(secret).join("***");
  }
  return out
    .replace(URL_USERINFO_REGEXP, "$1")
    .replace(SENSITIVE_QUERY_REGEXP, `$1${REDACTED}`);
}

/** Options for {@linkcode errorFromResponse} and {@linkcode errorFromFetchFailure}. */
export interface HttpErrorOptions {
  /** Strings that must never appear in the error (API keys). @default [] */
  secrets?: readonly (string | null | undefined)[];
  /** Clock for HTTP-date Retry-After, ms since epoch. @default Date.now() */
  now?: number;
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
 * (TypeError: refused, reset, DNS) is `network`. The message and cause are
 * scrubbed of secrets and URL credentials.
 */
export function errorFromFetchFailure(
  error: unknown,
  options: HttpErrorOptions = {},
): BackendError {
  if (error instanceof BackendError) return error;
  const reason = redactText(describeFailure(error), options.secrets);
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
  return new BackendError(`Network error: ${reason}`, {
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

function truncate(text: string): string {
  return text.length > MAX_ERROR_MESSAGE_CHARS
    ? `${text.slice(0, MAX_ERROR_MESSAGE_CHARS)}…`
    : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
