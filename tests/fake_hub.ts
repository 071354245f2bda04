// A fake Hugging Face Hub on 127.0.0.1 port 0, faithful to the documented
// HTTP API llm-bench uses: /api/datasets/{repo}/revision/{rev},
// /api/datasets/{repo}/tree/{rev}/{path} (paginated with Link), and
// /datasets/{repo}/resolve/{rev}/{path} (302 to a separate CDN origin for
// LFS files, with X-Repo-Commit, X-Linked-Etag and X-Linked-Size; GET and
// HEAD). Hub error answers carry X-Error-Code / X-Error-Message like the
// real one: 401 without a token for missing, private or gated repos, 403
// GatedRepo for a token without access, 404 RepoNotFound /
// RevisionNotFound / EntryNotFound. Faults can be scripted per download.

import { createHash } from "node:crypto";

/** A file in a commit of the parquet branch. */
export interface FakeHubFile {
  path: string;
  bytes: Uint8Array<ArrayBuffer>;
  /** Stored in LFS (served through the CDN). @default true */
  lfs?: boolean;
}

/** A dataset repo. */
export interface FakeHubRepo {
  repo: string;
  /** Commits of `refs/convert/parquet`, oldest first; the last is the head. */
  commits: Array<{ sha: string; files: FakeHubFile[] }>;
  /** Only these tokens may download (gated or private). */
  tokens?: string[];
  /** Gated (listing public, downloads need an accepted token) rather than private. @default true when tokens is set */
  gated?: boolean;
}

/** A fault applied to the next download(s) from the CDN. */
export type FakeFault =
  | "drop" // Content-Length announced, connection cut after half the bytes
  | "short" // chunked, a clean end after half the bytes
  | "corrupt" // right size, one byte flipped
  | "500" // server error
  | "none"; // served normally

/** One request the fake saw. */
export interface FakeHubRequest {
  server: "hub" | "cdn";
  method: string;
  /** Path and query as sent (still percent-encoded). */
  path: string;
  authorization: string | null;
}

/** A running fake Hub. */
export interface FakeHub extends AsyncDisposable {
  /** The Hub endpoint (HF_ENDPOINT). */
  url: string;
  /** The CDN origin (another port). */
  cdnUrl: string;
  requests: FakeHubRequest[];
  repos: FakeHubRepo[];
  /** Faults for the next CDN downloads, used up in order. */
  faults: FakeFault[];
  /** Tree entries per page (Link rel="next" beyond). @default 1000 */
  pageSize: number;
  /** Answer every API request with this status (e.g. 500). */
  apiStatus: number | null;
  /** Recursive tree listings include folder entries. @default true */
  recursiveFolders: boolean;
  close(): Promise<void>;
}

/** Hex SHA-256 of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A stable fake 40-hex commit id from a label. */
export function commitId(label: string): string {
  return createHash("sha1").update(label).digest("hex");
}

function gitOid(bytes: Uint8Array): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes)
    .digest("hex");
}

function hubError(status: number, code: string | null, message: string) {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-error-message": message,
  };
  if (code) headers["x-error-code"] = code;
  return Response.json({ error: message }, { status, headers });
}

interface Ctx {
  hub: FakeHub;
  cdn: Map<string, Uint8Array<ArrayBuffer>>;
}

function access(
  ctx: Ctx,
  repo: FakeHubRepo | undefined,
  auth: string | null,
  download: boolean,
): Response | null {
  const token = auth?.startsWith("Bearer ") ? auth.slice(7) : null;
  const known = new Set(ctx.hub.repos.flatMap((r) => r.tokens ?? []));
  if (token !== null && !known.has(token)) {
    return hubError(401, null, "Invalid credentials in Authorization header");
  }
  if (!repo) {
    return token === null
      ? hubError(401, "RepoNotFound", "Repository not found")
      : hubError(404, "RepoNotFound", "Repository not found");
  }
  if (!repo.tokens) return null;
  const gated = repo.gated ?? true;
  if (!gated && (token === null || !repo.tokens.includes(token))) {
    return hubError(401, "RepoNotFound", "Repository not found");
  }
  if (gated && download) {
    if (token === null) {
      return hubError(
        401,
        "GatedRepo",
        `Access to dataset ${repo.repo} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      );
    }
    if (!repo.tokens.includes(token)) {
      return hubError(
        403,
        "GatedRepo",
        `Access to dataset ${repo.repo} is restricted and you are not in the authorized list.`,
      );
    }
  }
  return null;
}

function commitOf(repo: FakeHubRepo, rev: string) {
  if (rev === "refs/convert/parquet") return repo.commits.at(-1) ?? null;
  return repo.commits.find((c) => c.sha === rev) ?? null;
}

function treeEntries(
  files: FakeHubFile[],
  dir: string,
  recursive: boolean,
  folders: boolean,
) {
  const prefix = dir === "" ? "" : `${dir}/`;
  const dirs = new Set<string>();
  const out: Array<Record<string, unknown>> = [];
  for (const f of files) {
    if (!f.path.startsWith(prefix)) continue;
    const parts = f.path.slice(prefix.length).split("/");
    for (let i = 1; i < parts.length; i++) {
      if (!recursive && i > 1) break;
      dirs.add(prefix + parts.slice(0, i).join("/"));
    }
    if (!recursive && parts.length > 1) continue;
    const lfs = f.lfs ?? true;
    out.push({
      type: "file",
      oid: gitOid(f.bytes),
      size: f.bytes.length,
      path: f.path,
      ...(lfs
        ? {
          lfs: {
            oid: sha256Hex(f.bytes),
            size: f.bytes.length,
            pointerSize: 134,
          },
        }
        : {}),
    });
  }
  for (const d of !recursive || folders ? dirs : []) {
    out.push({
      type: "directory",
      oid: gitOid(new TextEncoder().encode(d)),
      size: 0,
      path: d,
    });
  }
  return out.sort((a, b) => String(a.path) < String(b.path) ? -1 : 1);
}

function api(ctx: Ctx, req: Request, url: URL): Response {
  const m =
    /^\/api\/datasets\/([^/]+)\/([^/]+)\/(revision|tree)\/([^/]+)(?:\/(.*))?$/
      .exec(url.pathname);
  if (!m) return hubError(404, null, "Not found");
  const [, owner, name, kind, revEnc, pathEnc] = m;
  const repo = ctx.hub.repos.find((r) => r.repo === `${owner}/${name}`);
  const denied = access(ctx, repo, req.headers.get("authorization"), false);
  if (denied) return denied;
  const commit = commitOf(repo!, decodeURIComponent(revEnc!));
  if (!commit) {
    return hubError(404, "RevisionNotFound", `Invalid rev id: ${revEnc}`);
  }
  if (kind === "revision") {
    return Response.json({
      id: repo!.repo,
      sha: commit.sha,
      private: false,
      gated: repo!.tokens ? "auto" : false,
      siblings: commit.files.map((f) => ({ rfilename: f.path })),
    });
  }
  const dir = decodeURIComponent(pathEnc ?? "");
  const recursive = url.searchParams.get("recursive") === "true";
  const entries = treeEntries(
    commit.files,
    dir,
    recursive,
    ctx.hub.recursiveFolders,
  );
  if (dir !== "" && entries.length === 0) {
    return hubError(
      404,
      "EntryNotFound",
      `${dir} does not exist on "${commit.sha}"`,
    );
  }
  const cursor = Number(url.searchParams.get("cursor") ?? "0");
  const page = entries.slice(cursor, cursor + ctx.hub.pageSize);
  const headers: Record<string, string> = {};
  if (cursor + ctx.hub.pageSize < entries.length) {
    const next = new URL(url);
    next.searchParams.set("cursor", String(cursor + ctx.hub.pageSize));
    headers.link = `<${next}>; rel="next"`;
  }
  return Response.json(page, { headers });
}

function resolveFile(ctx: Ctx, req: Request, url: URL): Response {
  const m = /^\/datasets\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(
    url.pathname,
  );
  if (!m) return hubError(404, null, "Not found");
  const [, owner, name, revEnc, pathEnc] = m;
  const repo = ctx.hub.repos.find((r) => r.repo === `${owner}/${name}`);
  const denied = access(ctx, repo, req.headers.get("authorization"), true);
  if (denied) return denied;
  const commit = commitOf(repo!, decodeURIComponent(revEnc!));
  if (!commit) return hubError(404, "RevisionNotFound", "Invalid rev id");
  const path = pathEnc!.split("/").map(decodeURIComponent).join("/");
  const file = commit.files.find((f) => f.path === path);
  if (!file) return hubError(404, "EntryNotFound", "Entry not found");
  const body = req.method === "HEAD" ? null : file.bytes;
  if (!(file.lfs ?? true)) {
    return new Response(body, {
      headers: {
        etag: `"${gitOid(file.bytes)}"`,
        "x-repo-commit": commit.sha,
        "content-length": String(file.bytes.length),
      },
    });
  }
  const sha = sha256Hex(file.bytes);
  ctx.cdn.set(sha, file.bytes);
  return new Response(null, {
    status: 302,
    headers: {
      location: `${ctx.hub.cdnUrl}/blobs/${sha}`,
      etag: `"${sha}"`,
      "x-linked-etag": `"${sha}"`,
      "x-linked-size": String(file.bytes.length),
      "x-repo-commit": commit.sha,
    },
  });
}

function cdnFile(ctx: Ctx, req: Request, url: URL): Response {
  const bytes = ctx.cdn.get(url.pathname.replace(/^\/blobs\//, ""));
  if (!bytes) return new Response("NoSuchKey", { status: 404 });
  if (req.method === "HEAD") {
    return new Response(null, {
      headers: { "content-length": String(bytes.length) },
    });
  }
  const fault = ctx.hub.faults.shift();
  if (fault === "500") return new Response("Internal Error", { status: 500 });
  if (fault === "corrupt") {
    const copy = bytes.slice();
    copy[copy.length >> 1] = copy[copy.length >> 1]! ^ 0xff;
    return new Response(copy);
  }
  if (fault === "drop" || fault === "short") {
    const half = bytes.subarray(0, bytes.length >> 1);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(half);
        controller.close();
      },
    });
    // "drop": the full Content-Length is announced, so the server cuts the
    // connection when the body ends early; "short": chunked, a clean end.
    return new Response(stream, {
      headers: fault === "drop"
        ? { "content-length": String(bytes.length) }
        : {},
    });
  }
  return new Response(bytes, {
    headers: { "content-length": String(bytes.length) },
  });
}

/** Starts a fake Hub (and its CDN) on 127.0.0.1, port 0. */
export function startFakeHub(
  repos: FakeHubRepo[],
): Promise<FakeHub> {
  const ctl = new AbortController();
  const cdn = new Map<string, Uint8Array<ArrayBuffer>>();
  const hub = {
    url: "",
    cdnUrl: "",
    requests: [] as FakeHubRequest[],
    repos,
    faults: [] as FakeFault[],
    pageSize: 1000,
    apiStatus: null as number | null,
    recursiveFolders: true,
  } as FakeHub;
  const ctx: Ctx = { hub, cdn };
  const record = (server: "hub" | "cdn", req: Request) => {
    const url = new URL(req.url);
    hub.requests.push({
      server,
      method: req.method,
      path: url.pathname + url.search,
      authorization: req.headers.get("authorization"),
    });
    return url;
  };
  const listen = (handler: (req: Request) => Response) =>
    Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      signal: ctl.signal,
      onListen() {},
    }, handler);
  const hubServer = listen((req) => {
    const url = record("hub", req);
    if (url.pathname.startsWith("/api/")) {
      if (hub.apiStatus !== null) {
        return new Response("unavailable", { status: hub.apiStatus });
      }
      return api(ctx, req, url);
    }
    return resolveFile(ctx, req, url);
  });
  const cdnServer = listen((req) => cdnFile(ctx, req, record("cdn", req)));
  hub.url = `http://127.0.0.1:${hubServer.addr.port}`;
  hub.cdnUrl = `http://127.0.0.1:${cdnServer.addr.port}`;
  const close = async () => {
    if (!ctl.signal.aborted) ctl.abort();
    await Promise.all([hubServer.finished, cdnServer.finished]);
  };
  hub.close = close;
  hub[Symbol.asyncDispose] = close;
  return Promise.resolve(hub);
}
