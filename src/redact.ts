// Scrubs credentials from URLs and free text before anything is printed,
// logged or written: URL userinfo, sensitive query values, known secrets.

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

const REDACTED = "REDACTED";
/** `Bearer <token>` in text (an Authorization header echoed in a message). */
const BEARER_REGEXP = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
/** A Hugging Face access token (`hf_` and 30+ letters and digits). */
const HF_TOKEN_REGEXP = /\bhf_[A-Za-z0-9]{30,}\b/g;
const URL_USERINFO_REGEXP = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;
const SENSITIVE_QUERY_REGEXP = new RegExp(
  `([?&](?:${
    SENSITIVE_QUERY_PARAMS.map((p) => p.replace(/[-]/g, "\\-")).join("|")
  })=)[^&#\\s)"']*`,
  "gi",
);

/**
 * Removes credentials from a URL: `user:pass@` and the values of sensitive
 * query parameters (`key`, `api_key`, `token`, ...). Unparseable input is
 * scrubbed textually.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./redact.ts";
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
 * `Bearer` tokens, Hugging Face tokens (`hf_…`), and every given secret
 * (e.g. the API key or HF_TOKEN) replaced by `***`.
 *
 * @example
 * ```ts
 * import { redactText } from "./redact.ts";
 * redactText("bad key sk-123 for http://a:b@h/?token=x", ["sk-123"]);
 * // "bad key *** for http://h/?token=REDACTED"
 * redactText("sent Authorization: Bearer abc.def");
 * // "sent Authorization: Bearer ***"
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
    .replace(BEARER_REGEXP, "$1***")
    .replace(HF_TOKEN_REGEXP, "hf_***")
    .replace(URL_USERINFO_REGEXP, "$1")
    .replace(SENSITIVE_QUERY_REGEXP, `$1${REDACTED}`);
}
