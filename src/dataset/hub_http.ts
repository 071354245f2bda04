// HTTP to the Hugging Face Hub: requests with the token sent to the Hub's
// own origin only (redirects followed by hand), Hub error answers turned
// into messages that say what to do, retries, and paginated JSON listings.

import { UsageError } from "../errors.ts";
import { redactText, redactUrl } from "../redact.ts";
import { TOOL } from "../version.ts";

/** The Hub could not be reached or sent something unusable (exit 1). */
export class HubError extends Error {
  override name = "HubError";
  /** HTTP status, when the Hub answered. */
  readonly status: number | null;
  constructor(
    message: string,
    options: { status?: number | null; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.status = options.status ?? null;
  }
}

/** How to talk to the Hub. */
export interface HubClientOptions {
  /** Base URL, e.g. `https://huggingface.co` (HF_ENDPOINT). */
  endpoint: string;
  /** HF_TOKEN, sent as `Authorization: Bearer` to the endpoint's origin only. */
  token: string | null;
  /** Aborts every request (Ctrl-C). */
  signal?: AbortSignal;
  /** Attempts per request for network errors, 429 and 5xx. @default 3 */
  attempts?: number;
  /** Seconds before a metadata request gives up. @default 30 */
  timeoutSeconds?: number;
}

/** Collaborators of the Hub client (swapped in tests). */
export interface HubDeps {
  fetch?: typeof fetch;
  /** Waits between attempts. */
  sleep?: (ms: number) => Promise<void>;
}

const MAX_REDIRECTS = 5;
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A small Hub client: GET with safe redirects, errors, retries, listings. */
export class HubClient {
  readonly endpoint: string;
  readonly #origin: string;
  readonly #token: string | null;
  readonly #signal: AbortSignal | undefined;
  readonly #attempts: number;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: HubClientOptions, deps: HubDeps = {}) {
    this.endpoint = options.endpoint.replace(/\/+$/, "");
    this.#origin = new URL(this.endpoint).origin;
    this.#token = options.token;
    this.#signal = options.signal;
    this.#attempts = options.attempts ?? 3;
    this.#timeoutMs = (options.timeoutSeconds ?? 30) * 1000;
    this.#fetch = deps.fetch ?? fetch;
    this.#sleep = deps.sleep ?? defaultSleep;
  }

  /** The endpoint as it may be shown or written (no credentials). */
  get shownEndpoint(): string {
    return redactUrl(this.endpoint);
  }

  /** Scrubs the token and URL credentials from a message. */
  scrub(text: string): string {
    return redactText(text, [this.#token]);
  }

  /**
   * GETs `url`, following up to 5 redirects by hand so the token goes to the
   * Hub's origin only (never to a CDN). Returns the final response (any
   * status) and the headers of the first one (where the Hub puts
   * `X-Repo-Commit`, `X-Linked-Etag` and `X-Linked-Size`).
   */
  async get(
    url: string,
    signal?: AbortSignal,
  ): Promise<{ response: Response; first: Headers }> {
    let current = url;
    let first: Headers | null = null;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = {
        "user-agent": `${TOOL.name}/${TOOL.version}`,
        "accept-encoding": "identity",
      };
      if (this.#token && new URL(current).origin === this.#origin) {
        headers.authorization = `Bearer ${this.#token}`;
      }
      const response = await this.#fetch(current, {
        headers,
        redirect: "manual",
        signal: signal ?? this.#signal,
      });
      first ??= response.headers;
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        current = new URL(location, current).toString();
        continue;
      }
      return { response, first };
    }
    throw new HubError(
      `Cannot download ${redactUrl(url)}: more than ${MAX_REDIRECTS} redirects`,
    );
  }

  /**
   * Runs `attempt` up to `attempts` times while it throws a retryable
   * `HubError` (network, 408/429/5xx, a short or corrupt download).
   */
  async retry<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1;; n++) {
      try {
        return await attempt();
      } catch (e) {
        const retryable = e instanceof HubError &&
          (e.status === null || RETRY_STATUSES.has(e.status));
        if (!retryable || n >= this.#attempts || this.#signal?.aborted) throw e;
        await this.#sleep(500 * 2 ** (n - 1));
      }
    }
  }

  /**
   * GETs a JSON document of the Hub API, following `Link: rel="next"`
   * pages when `paginate` is set (pages are concatenated arrays). `what`
   * names the dataset in error messages.
   */
  async getJson(
    url: string,
    what: string,
    paginate = false,
  ): Promise<unknown> {
    const pages: unknown[] = [];
    let next: string | null = url;
    while (next !== null) {
      const page: string = next;
      const { body, link } = await this.retry(() =>
        this.#getJsonOnce(page, what)
      );
      if (!paginate) return body;
      if (!Array.isArray(body)) {
        throw new HubError(
          `Cannot read the Hub's answer for ${what}: expected a list from ${
            redactUrl(page)
          }`,
        );
      }
      pages.push(...body);
      next = nextLink(link, page);
    }
    return pages;
  }

  async #getJsonOnce(
    url: string,
    what: string,
  ): Promise<{ body: unknown; link: string | null }> {
    const signal = this.#signal
      ? AbortSignal.any([this.#signal, AbortSignal.timeout(this.#timeoutMs)])
      : AbortSignal.timeout(this.#timeoutMs);
    let response: Response;
    try {
      ({ response } = await this.get(url, signal));
    } catch (e) {
      throw this.networkError(url, what, e);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      throw this.statusError(response, what, text);
    }
    try {
      return {
        body: await response.json(),
        link: response.headers.get("link"),
      };
    } catch (e) {
      throw new HubError(
        `Cannot read the Hub's answer for ${what}: ${
          redactUrl(url)
        } sent no JSON`,
        { cause: e },
      );
    }
  }

  /** A failure to reach the Hub, as a retryable `HubError`. */
  networkError(url: string, what: string, e: unknown): HubError {
    if (e instanceof HubError) return e;
    const detail = e instanceof Error ? e.message : String(e);
    return new HubError(
      this.scrub(
        `Cannot reach the Hub for ${what} at ${redactUrl(url)}: ${detail}`,
      ),
      { cause: e },
    );
  }

  /**
   * The error for a Hub answer that is not 2xx: 401/403/404 are the user's
   * to fix (UsageError, exit 2) and say how; others are `HubError`.
   */
  statusError(response: Response, what: string, body: string): Error {
    const code = response.headers.get("x-error-code") ?? "";
    const message = response.headers.get("x-error-message") ?? "";
    const status = response.status;
    const page = `${this.shownEndpoint}/datasets/`;
    if (code === "GatedRepo" || (status === 403 && /gated/i.test(message))) {
      return new UsageError(
        `Cannot download ${what}: the dataset is gated; accept its conditions at ${page}${
          repoOf(what)
        } ${
          this.#token
            ? "with the account HF_TOKEN belongs to"
            : "and set HF_TOKEN to a token of that account"
        }`,
      );
    }
    if (status === 401) {
      return new UsageError(
        this.#token && /invalid credentials/i.test(message)
          ? `Cannot download ${what}: the Hub refused HF_TOKEN (invalid credentials); set HF_TOKEN to a valid token`
          : `Cannot download ${what}: the Hub answered 401 (no such dataset, or it is private or gated); check the name${
            this.#token ? " and that HF_TOKEN can read it" : ", or set HF_TOKEN"
          }`,
      );
    }
    if (status === 403) {
      return new UsageError(
        `Cannot download ${what}: the Hub answered 403 (access denied); make sure HF_TOKEN can read ${page}${
          repoOf(what)
        }`,
      );
    }
    if (status === 404) {
      const detail = code === "RevisionNotFound"
        ? "it has no Parquet conversion (branch refs/convert/parquet) or no such revision"
        : code === "EntryNotFound"
        ? "no such config or split"
        : `no such dataset on ${this.shownEndpoint}`;
      return new UsageError(
        `Cannot download ${what}: ${detail}${
          this.#token ? "" : " (a private dataset needs HF_TOKEN)"
        }`,
      );
    }
    const snippet = this.scrub(body.slice(0, 200).replace(/\s+/g, " ").trim());
    return new HubError(
      `Cannot download ${what}: the Hub answered ${status}${
        snippet ? `: ${snippet}` : ""
      }`,
      { status },
    );
  }
}

function repoOf(what: string): string {
  const m = /hf:([^:@"]+)/.exec(what);
  return m?.[1] ?? "";
}

const LINK_NEXT_REGEXP = /<([^>]+)>\s*;\s*rel="?next"?/;

/**
 * The `rel="next"` URL of a `Link` header, resolved against `base`.
 *
 * @example
 * ```ts
 * import { nextLink } from "./hub_http.ts";
 * nextLink('<https://h/api?cursor=2>; rel="next"', "https://h/api"); // "https://h/api?cursor=2"
 * nextLink(null, "https://h/api"); // null
 * ```
 */
export function nextLink(link: string | null, base: string): string | null {
  if (!link) return null;
  for (const part of link.split(",")) {
    const m = LINK_NEXT_REGEXP.exec(part);
    if (m?.[1]) return new URL(m[1], base).toString();
  }
  return null;
}
