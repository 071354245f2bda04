// The metrics HTTP server: a read-only Hono app (seed JSON or Prometheus /
// OpenMetrics text at /metrics, the live page at /, its JSON at /api/live,
// /healthz) and its lifecycle on Deno.serve.

import { Hono } from "hono";
import type { MetricsRegistry } from "./registry.ts";
import {
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_TEXT_CONTENT_TYPE,
} from "./exposition.ts";
import {
  LIVE_PAGE_HTML,
  LIVE_PAGE_SCRIPT,
  LIVE_PAGE_STYLE,
} from "./live_page.ts";

/** What `GET /metrics` can answer. */
export type MetricsFormat = "json" | "openmetrics" | "text";

const FORMAT_MEDIA_TYPES: readonly [MetricsFormat, string][] = [
  ["json", "application/json"],
  ["openmetrics", "application/openmetrics-text"],
  ["text", "text/plain"],
];

const FORMAT_QUERY_VALUES: Record<string, MetricsFormat> = {
  json: "json",
  openmetrics: "openmetrics",
  prometheus: "text",
  text: "text",
};

async function sha256Source(text: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return `'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`;
}

/** Content-Security-Policy of every response: only the page's own inline script and style run. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${await sha256Source(LIVE_PAGE_SCRIPT)}`,
  `style-src ${await sha256Source(LIVE_PAGE_STYLE)}`,
  "connect-src 'self'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Policy of the finished run's report.html: its own inline style and script, nothing else. */
const REPORT_CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-store",
};

const ALLOWED_METHODS = "GET, HEAD";

/**
 * Picks the `/metrics` format an `Accept` header prefers, by q-value; the
 * most specific matching range sets a format's q (RFC 9110). Ties and
 * headers that accept nothing we serve fall back to JSON.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { negotiateMetricsFormat } from "./server.ts";
 * assert.equal(negotiateMetricsFormat("text/plain;version=0.0.4;q=0.5,*\/*;q=0.1"), "text");
 * assert.equal(negotiateMetricsFormat("application/openmetrics-text;version=1.0.0"), "openmetrics");
 * assert.equal(negotiateMetricsFormat(null), "json");
 * ```
 */
export function negotiateMetricsFormat(
  accept: string | null | undefined,
): MetricsFormat {
  if (!accept) return "json";
  const ranges = accept.split(",").map((part) => {
    const [type = "", ...params] = part.split(";").map((s) =>
      s.trim().toLowerCase()
    );
    let q = 1;
    for (const p of params) {
      const m = /^q\s*=\s*([0-9.]+)$/.exec(p);
      if (m?.[1] !== undefined) {
        const v = Number(m[1]);
        q = Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
      }
    }
    return { type, q };
  });
  let best: { format: MetricsFormat; q: number; specificity: number } | null =
    null;
  for (const [format, media] of FORMAT_MEDIA_TYPES) {
    const major = media.split("/")[0];
    let q = 0;
    let specificity = -1;
    for (const r of ranges) {
      const s = r.type === media
        ? 2
        : r.type === `${major}/*`
        ? 1
        : r.type === "*/*"
        ? 0
        : -1;
      if (s > specificity) {
        specificity = s;
        q = r.q;
      } else if (s === specificity && s >= 0) {
        q = Math.max(q, r.q);
      }
    }
    if (specificity < 0 || q <= 0) continue;
    if (
      best === null || q > best.q ||
      (q === best.q && specificity > best.specificity)
    ) {
      best = { format, q, specificity };
    }
  }
  return best?.format ?? "json";
}

/**
 * Builds the read-only metrics app over a registry. Only GET and HEAD are
 * allowed; every response carries the security headers.
 */
export function createMetricsApp(registry: MetricsRegistry): Hono {
  const app = new Hono();

  app.use("*", async (c, next) => {
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      c.res = new Response("method not allowed\n", {
        status: 405,
        headers: {
          "Allow": ALLOWED_METHODS,
          "Content-Type": "text/plain; charset=utf-8",
        },
      });
    } else {
      await next();
    }
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
      // report.html brings its own policy (inline style and script).
      if (k === "Content-Security-Policy" && c.res.headers.has(k)) continue;
      c.res.headers.set(k, v);
    }
  });

  app.get("/metrics", (c) => {
    const override = c.req.query("format");
    let format: MetricsFormat;
    if (override !== undefined) {
      const f = FORMAT_QUERY_VALUES[override.toLowerCase()];
      if (f === undefined) {
        return c.text(
          `Cannot serve format "${override}": use prometheus, openmetrics or json\n`,
          400,
        );
      }
      format = f;
    } else {
      format = negotiateMetricsFormat(c.req.header("Accept"));
    }
    c.header("Vary", "Accept");
    if (format === "json") return c.json(registry.json());
    const body = registry.prometheus(format);
    return c.body(body, 200, {
      "Content-Type": format === "openmetrics"
        ? OPENMETRICS_CONTENT_TYPE
        : PROMETHEUS_TEXT_CONTENT_TYPE,
    });
  });

  app.get("/api/live", (c) => c.json(registry.snapshot()));
  app.get("/", (c) => c.html(LIVE_PAGE_HTML));
  app.get("/report.html", async (c) => {
    const path = registry.reportPath;
    if (path === null) {
      return c.text("no report yet: the run is not finished\n", 404);
    }
    try {
      return c.html(await Deno.readTextFile(path), 200, {
        "Content-Security-Policy": REPORT_CONTENT_SECURITY_POLICY,
      });
    } catch {
      return c.text("report.html cannot be read\n", 404);
    }
  });
  app.get("/healthz", (c) => c.text("ok"));
  app.notFound((c) => c.text("not found\n", 404));
  app.onError((_err, c) => c.text("internal error\n", 500));
  return app;
}

/** Options of {@link startMetricsServer}. */
export interface StartMetricsServerOptions {
  /** Interface to listen on, e.g. "127.0.0.1". */
  hostname: string;
  /** Port to listen on; 0 picks a free one (see the returned `addr`). */
  port: number;
  registry: MetricsRegistry;
  /** Aborting it shuts the server down. */
  signal?: AbortSignal;
  /** Called once listening, with the real address. */
  onListen?: (addr: { hostname: string; port: number }) => void;
}

/** A running metrics server. */
export interface MetricsServer {
  /** Where it listens (the real port when 0 was asked for). */
  addr: { hostname: string; port: number };
  /** Stops accepting, finishes open requests, resolves when closed. Idempotent. */
  shutdown(): Promise<void>;
}

/** Serves {@link createMetricsApp} on Deno.serve; resolves once listening. */
export function startMetricsServer(
  opts: StartMetricsServerOptions,
): Promise<MetricsServer> {
  const app = createMetricsApp(opts.registry);
  return new Promise((resolve, reject) => {
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({
        hostname: opts.hostname,
        port: opts.port,
        signal: opts.signal,
        // Given so Deno prints nothing: the caller decides what to tell the user.
        onListen: () => {},
      }, app.fetch);
    } catch (err) {
      reject(err);
      return;
    }
    const addr = { hostname: server.addr.hostname, port: server.addr.port };
    let closing: Promise<void> | null = null;
    const shutdown = (): Promise<void> => {
      if (closing === null) {
        closing = opts.signal?.aborted
          ? server.finished
          : server.shutdown().then(() => server.finished);
      }
      return closing;
    };
    opts.onListen?.(addr);
    resolve({ addr, shutdown });
  });
}
