// Listing a Hub dataset's Parquet conversion: the commit of
// refs/convert/parquet (revision endpoint), its configs, splits and files
// (tree endpoint), with the config and split chosen when not named.

import { UsageError } from "../errors.ts";
import { type HubClient, HubError } from "./hub_http.ts";
import { formatHubPath, type HubSpec } from "./hub_spec.ts";

/** The branch the Hub's dataset viewer writes its Parquet conversion to. */
export const PARQUET_BRANCH = "refs/convert/parquet";

/** A file or folder of the tree listing. */
export interface TreeEntry {
  type: "file" | "directory";
  path: string;
  size: number;
  /** LFS sha256 when the file is in LFS, else the git object id. */
  etag: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseTree(body: unknown, what: string): TreeEntry[] {
  if (!Array.isArray(body)) throw badAnswer(what, "tree");
  return body.map((e: unknown): TreeEntry => {
    if (!isObject(e)) throw badAnswer(what, "tree");
    const lfs = isObject(e.lfs) ? e.lfs : null;
    const etag = typeof lfs?.oid === "string" ? lfs.oid : e.oid;
    const size = typeof lfs?.size === "number" ? lfs.size : e.size;
    if (
      (e.type !== "file" && e.type !== "directory") ||
      typeof e.path !== "string" || typeof etag !== "string" ||
      (e.type === "file" && (typeof size !== "number" || size < 0))
    ) throw badAnswer(what, "tree");
    return {
      type: e.type,
      path: e.path,
      size: typeof size === "number" ? size : 0,
      etag: etag.replace(/^W\//, "").replace(/"/g, ""),
    };
  });
}

function badAnswer(what: string, endpoint: string): HubError {
  return new HubError(
    `Cannot read the Hub's answer for ${what}: the ${endpoint} listing is not in the documented shape`,
  );
}

/**
 * The config or split to read: the one named (if it exists), else `test`
 * (splits), else the only one; a `UsageError` listing the choices otherwise.
 */
export function pick(
  what: string,
  kind: "config" | "split",
  choices: string[],
  wanted: string | null,
): string {
  if (wanted !== null) {
    if (choices.includes(wanted)) return wanted;
    throw new UsageError(
      `Cannot find ${kind} "${wanted}" of ${what}: ${kind}s are ${
        listed(choices)
      }`,
    );
  }
  if (kind === "split" && choices.includes("test")) return "test";
  if (choices.length === 1) return choices[0]!;
  throw new UsageError(
    `Cannot choose a ${kind} of ${what}: name one of ${
      listed(choices)
    } (hf:OWNER/NAME:CONFIG:SPLIT)`,
  );
}

function listed(names: string[]): string {
  if (names.length === 0) return "none";
  const shown = names.slice(0, 20).map((n) => `"${n}"`).join(", ");
  return names.length > 20 ? `${shown} … (${names.length} in all)` : shown;
}

/** One split of the Parquet conversion at one commit. */
export interface SplitListing {
  /** The dataset, quoted, for messages. */
  what: string;
  revision: string;
  config: string;
  split: string;
  /** Only `partial-SPLIT` exists (the Hub converted the first part only). */
  partial: boolean;
  /** The split's files, sorted by path. */
  files: TreeEntry[];
}

/**
 * Lists the split `spec` names (or the one chosen for it) at the pinned
 * revision, else at the head of refs/convert/parquet: one revision request
 * and one or two tree requests (pages followed).
 */
export async function listSplit(
  spec: HubSpec,
  client: HubClient,
): Promise<SplitListing> {
  const what = `"${formatHubPath(spec)}"`;
  const api = `${client.endpoint}/api/datasets/${spec.owner}/${spec.name}`;
  let revision = spec.revision;
  if (revision === null) {
    const info = await client.getJson(
      `${api}/revision/${encodeURIComponent(PARQUET_BRANCH)}`,
      what,
    );
    const sha = typeof info === "object" && info !== null && "sha" in info
      ? info.sha
      : null;
    if (typeof sha !== "string" || !/^[0-9a-f]{40}$/.test(sha)) {
      throw badAnswer(what, "revision");
    }
    revision = sha;
  }
  const tree = async (path: string, recursive: boolean) =>
    parseTree(
      await client.getJson(
        `${api}/tree/${revision}${path ? `/${encodeURIComponent(path)}` : ""}${
          recursive ? "?recursive=true" : ""
        }`,
        what,
        true,
      ),
      what,
    );
  // Folder names at `depth`, from folder entries and from file paths alike
  // (a recursive listing need not list every folder).
  const dirsOf = (entries: TreeEntry[], depth: number) =>
    [
      ...new Set(entries.flatMap((e) => {
        const parts = e.path.split("/");
        const deeper = e.type === "directory"
          ? parts.length >= depth
          : parts.length > depth;
        return deeper ? [parts[depth - 1]!] : [];
      })),
    ].sort();
  const config = spec.config ??
    pick(what, "config", dirsOf(await tree("", false), 1), null);
  let entries: TreeEntry[];
  try {
    entries = await tree(config, true);
  } catch (e) {
    if (!(e instanceof UsageError) || spec.config === null) throw e;
    // No such config: name the ones there are.
    pick(what, "config", dirsOf(await tree("", false), 1), config);
    throw e;
  }
  const folders = dirsOf(entries, 2);
  const splits = [
    ...new Set(folders.map((f) => f.replace(/^partial-/, ""))),
  ].sort();
  const split = pick(what, "split", splits, spec.split);
  const partial = !folders.includes(split);
  const folder = `${config}/${partial ? `partial-${split}` : split}`;
  const files = entries.filter((e) =>
    e.type === "file" && e.path.startsWith(`${folder}/`) &&
    !e.path.slice(folder.length + 1).includes("/")
  ).sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  if (files.length === 0) {
    throw new UsageError(
      `Cannot download ${what}: split "${split}" has no files`,
    );
  }
  return { what, revision, config, split, partial, files };
}
