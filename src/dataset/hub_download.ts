// Downloads one Hub file into the cache: the resolve URL pinned to a
// commit, checked against the listed size, ETag and SHA-256 while it
// streams to a hidden temporary file, renamed into place only when whole.
// A short, stalled or corrupt download is retried, never used.

import { writeChunksAtomic } from "../store/atomic.ts";
import { type HubClient, HubError } from "./hub_http.ts";
import type { HubProgress } from "./hub_progress.ts";

/** One file to download. */
export interface DownloadTarget {
  /** `ENDPOINT/datasets/OWNER/NAME/resolve/COMMIT/PATH`. */
  url: string;
  /** Where the file goes. */
  dest: string;
  /** Name shown in progress and errors (the path in the repo). */
  name: string;
  /** Size the listing gave. */
  size: number;
  /** ETag the listing gave (a SHA-256 for LFS files). */
  etag: string;
  /** Commit the URL is pinned to. */
  revision: string;
  /** The dataset, quoted, for error messages. */
  what: string;
}

/** A download that sends no byte for this long is abandoned (and retried). */
const STALL_MS = 60_000;
const SHA256_REGEXP = /^[0-9a-f]{64}$/;

/** Strips the weak marker and quotes of an ETag header value. */
function normalizeEtag(value: string | null): string | null {
  return value === null ? null : value.replace(/^W\//, "").replace(/"/g, "");
}

/**
 * Downloads `target` (with the client's retries) and returns the SHA-256 of
 * the bytes now at `target.dest`.
 */
export function downloadFile(
  client: HubClient,
  target: DownloadTarget,
  progress: HubProgress,
  signal?: AbortSignal,
): Promise<string> {
  return client.retry(() => downloadOnce(client, target, progress, signal));
}

async function downloadOnce(
  client: HubClient,
  target: DownloadTarget,
  progress: HubProgress,
  signal: AbortSignal | undefined,
): Promise<string> {
  const stall = new AbortController();
  let timer = setTimeout(() => stall.abort("stalled"), STALL_MS);
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort("stalled"), STALL_MS);
  };
  const both = signal ? AbortSignal.any([signal, stall.signal]) : stall.signal;
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256");
  let started = false;
  try {
    let got: Awaited<ReturnType<HubClient["get"]>>;
    try {
      got = await client.get(target.url, both);
    } catch (e) {
      throw client.networkError(target.url, target.what, e);
    }
    const { response, first } = got;
    if (!response.ok || response.body === null) {
      const text = await response.text().catch(() => "");
      throw client.statusError(response, target.what, text);
    }
    checkHeaders(target, first, response);
    progress.start(target.name, target.size);
    started = true;
    const body = response.body;
    const chunks = async function* (): AsyncGenerator<Uint8Array> {
      for await (const chunk of body) {
        arm();
        hash.update(chunk);
        progress.advance(chunk.length);
        yield chunk;
      }
    };
    let sha256 = "";
    try {
      await writeChunksAtomic(target.dest, chunks(), (bytes) => {
        sha256 = hash.digest("hex");
        verify(target, bytes, sha256);
      });
    } catch (e) {
      if (e instanceof HubError) throw e;
      if (e instanceof Deno.errors.PermissionDenied) throw e;
      throw client.networkError(target.url, target.what, e);
    }
    progress.end(true);
    return sha256;
  } catch (e) {
    if (started) progress.end(false);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

function mismatch(target: DownloadTarget, detail: string): HubError {
  return new HubError(
    `Cannot download ${target.what}: "${target.name}" ${detail}`,
  );
}

/** The Hub's headers must agree with the listing before any byte is kept. */
function checkHeaders(
  target: DownloadTarget,
  first: Headers,
  response: Response,
): void {
  const commit = first.get("x-repo-commit");
  if (commit !== null && commit !== target.revision) {
    throw mismatch(
      target,
      `was served from commit ${commit}, not ${target.revision}`,
    );
  }
  const etag = normalizeEtag(first.get("x-linked-etag")) ??
    (first === response.headers ? normalizeEtag(first.get("etag")) : null);
  if (etag !== null && etag !== target.etag) {
    throw mismatch(target, `has ETag ${etag}, the listing said ${target.etag}`);
  }
  const sizeText = first.get("x-linked-size") ??
    response.headers.get("content-length");
  if (sizeText !== null && Number(sizeText) !== target.size) {
    throw mismatch(
      target,
      `is ${sizeText} bytes, the listing said ${target.size}`,
    );
  }
}

/** The downloaded bytes must be whole and, for LFS files, hash to the ETag. */
function verify(target: DownloadTarget, bytes: number, sha256: string): void {
  if (bytes !== target.size) {
    throw mismatch(
      target,
      `ended after ${bytes} of ${target.size} bytes (connection dropped)`,
    );
  }
  if (SHA256_REGEXP.test(target.etag) && sha256 !== target.etag) {
    throw mismatch(
      target,
      `has SHA-256 ${sha256}, expected ${target.etag} (corrupt download)`,
    );
  }
}
