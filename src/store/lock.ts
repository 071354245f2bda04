// The run folder's lock: one process writes a run folder at a time. The lock
// file names its holder (pid, host, start time) and carries an OS file lock
// for as long as the holder lives, so a lock left by a process that died
// (kill -9, out of memory) is recognised and taken over.

import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { RUN_FILES } from "./run_folder.ts";

/** Who holds a run folder, as written in its lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  "started_at": string;
}

/** What {@linkcode acquireRunLock} reports besides the lock itself. */
export interface RunLock {
  /** The holder this lock replaced, whose process had died; null if none. */
  readonly tookOver: LockHolder | null;
  /** Removes the lock file and releases the lock. */
  release(): void;
}

/** This machine's name, read without asking for a permission (or "unknown"). */
function hostName(): string {
  try {
    const q = Deno.permissions.querySync({ name: "sys", kind: "hostname" });
    if (q.state === "granted") return Deno.hostname();
  } catch {
    // fall back to the file
  }
  try {
    const name = Deno.readTextFileSync("/etc/hostname").trim();
    if (name !== "") return name;
  } catch {
    // no such file (macOS, Windows)
  }
  return "unknown";
}

/**
 * Parses a lock file's text; null when it is not a complete holder record.
 *
 * @example
 * ```ts
 * import { parseLockHolder } from "./lock.ts";
 * const h = parseLockHolder('{"pid":7,"host":"a","started_at":"t"}');
 * if (h?.pid !== 7) throw new Error();
 * if (parseLockHolder("{") !== null) throw new Error();
 * ```
 */
export function parseLockHolder(text: string): LockHolder | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null) return null;
  const r = v as Record<string, unknown>;
  if (
    typeof r.pid !== "number" || typeof r.host !== "string" ||
    typeof r["started_at"] !== "string"
  ) return null;
  return { pid: r.pid, host: r.host, "started_at": r["started_at"] };
}

/** "pid 123 on host box, started 2026-…" */
export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on host ${h.host}, started ${h["started_at"]}`;
}

/** The holder record in an open lock file; null when unreadable (Windows locks block reads). */
function readHolder(file: Deno.FsFile): LockHolder | null {
  try {
    return readHolderText(file);
  } catch {
    return null;
  }
}

function readHolderText(file: Deno.FsFile): LockHolder | null {
  file.seekSync(0, Deno.SeekMode.Start);
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = file.readSync(buf);
    if (n === null || n === 0) break;
    chunks.push(buf.slice(0, n));
  }
  const all = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return parseLockHolder(new TextDecoder().decode(all));
}

function writeHolder(file: Deno.FsFile, holder: LockHolder): void {
  const bytes = new TextEncoder().encode(JSON.stringify(holder) + "\n");
  file.truncateSync(0);
  file.seekSync(0, Deno.SeekMode.Start);
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
  file.syncDataSync();
}

/** Tries the OS lock; null when the file system has no locks. */
function tryLock(file: Deno.FsFile): boolean | null {
  try {
    return file.tryLockSync(true);
  } catch {
    return null;
  }
}

function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.ino === null || (a.ino === b.ino && a.dev === b.dev);
}

function held(
  dir: string,
  holder: LockHolder | null,
  path: string,
): UsageError {
  // One short line each: the message is read in a terminal.
  const who = holder
    ? `another llm-bench (${describeHolder(holder)})\nis writing to it`
    : `another llm-bench is writing to it\n(${path})`;
  return new UsageError(
    `Cannot use run folder "${dir}":\n${who}; wait for it to finish or stop it` +
      (holder ? `\n(if that process is gone, delete ${path})` : ""),
  );
}

/**
 * Locks run folder `dir` for this process, or throws a UsageError naming
 * the process that holds it. A lock whose holder died is taken over
 * (reported in `tookOver`).
 */
export function acquireRunLock(
  dir: string,
  now: Date = new Date(),
): RunLock {
  const path = join(dir, RUN_FILES.lock);
  const me: LockHolder = {
    pid: Deno.pid,
    host: hostName(),
    "started_at": now.toISOString(),
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    const fresh = createLock(path, me);
    if (fresh) return fresh;
    const taken = takeOver(dir, path, me);
    if (taken) return taken;
  }
  throw held(dir, null, path);
}

function lockOf(
  path: string,
  file: Deno.FsFile,
  tookOver: LockHolder | null,
): RunLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    globalThis.removeEventListener("unload", release);
    // Removed while still locked, so no one takes over a file being removed.
    try {
      Deno.removeSync(path);
    } catch {
      // already gone
    }
    file.close();
  };
  // Also on Deno.exit (a second Ctrl-C exits at once).
  globalThis.addEventListener("unload", release);
  return { tookOver, release };
}

/**
 * Creates the lock file with its holder record in place and locked before
 * it appears (a hard link of a finished temporary file): null if one exists.
 */
function createLock(path: string, me: LockHolder): RunLock | null {
  const tmp = `${path}.${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const file = Deno.openSync(tmp, { read: true, write: true, createNew: true });
  try {
    writeHolder(file, me);
    tryLock(file);
    try {
      Deno.linkSync(tmp, path);
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) {
        file.close();
        return null;
      }
      // No hard links here: create the file itself, atomically.
      return createDirect(path, me, file);
    }
    return lockOf(path, file, null);
  } finally {
    try {
      Deno.removeSync(tmp);
    } catch {
      // linked or already gone
    }
  }
}

function createDirect(
  path: string,
  me: LockHolder,
  tmpFile: Deno.FsFile,
): RunLock | null {
  tmpFile.close();
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true, write: true, createNew: true });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return null;
    throw e;
  }
  tryLock(file);
  writeHolder(file, me);
  return lockOf(path, file, null);
}

/**
 * The lock file exists: take it over if its holder is gone (the OS lock is
 * free, and the file is still the one at `path`), else throw naming it.
 * Null when the file vanished meanwhile (try creating again).
 */
function takeOver(dir: string, path: string, me: LockHolder): RunLock | null {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true, write: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  const locked = tryLock(file);
  const holder = readHolder(file);
  const stale = locked === true ||
    // No OS locks on this file system: only our own pid on our host (a
    // restarted container is pid 1 again) is surely not running.
    (locked === null && holder !== null && holder.pid === me.pid &&
      holder.host === me.host);
  if (!stale) {
    file.close();
    throw held(dir, holder, path);
  }
  let current: Deno.FileInfo | null = null;
  try {
    current = Deno.statSync(path);
  } catch {
    // removed by its holder meanwhile
  }
  if (current === null || !sameFile(file.statSync(), current)) {
    file.close();
    return null;
  }
  writeHolder(file, me);
  return lockOf(path, file, holder ?? { pid: 0, host: "?", "started_at": "?" });
}
