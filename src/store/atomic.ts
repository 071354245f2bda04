// Writes a file atomically: a temporary file in the same folder, flushed,
// then renamed over the target, so a reader never sees half a file.

import { writeAllSync } from "../log.ts";

/**
 * Writes `path` atomically from text that `fill` produces piece by piece
 * (a temporary file in the same folder, flushed to disk, then renamed over
 * the target): a reader sees the old file or the whole new one. On failure
 * the temporary file is removed and the target is untouched.
 */
export async function writeAtomic(
  path: string,
  fill: (write: (text: string) => void) => Promise<void> | void,
): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const file = await Deno.open(tmp, {
    write: true,
    create: true,
    truncate: true,
  });
  try {
    try {
      await fill((text) => writeAllSync(file, text));
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Writes `text` to `path` atomically (temp file + fsync + rename). */
export function writeFileAtomic(path: string, text: string): Promise<void> {
  return writeAtomic(path, (write) => write(text));
}

/** Writes `value` as pretty JSON (with a final newline) atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Streams `chunks` to `path` atomically: a hidden temporary file in the same
 * folder (`.NAME.part-…`, skipped by dataset discovery), flushed, checked by
 * `check(bytesWritten)` (which may throw to reject it), then renamed over
 * `path`. On any failure the temporary file is removed, so a partial file is
 * never found under `path`. Returns the bytes written.
 */
export async function writeChunksAtomic(
  path: string,
  chunks: AsyncIterable<Uint8Array>,
  check: (bytes: number) => void | Promise<void> = () => {},
): Promise<number> {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const tmp = `${path.slice(0, slash + 1)}.${
    path.slice(slash + 1)
  }.part-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const file = await Deno.open(tmp, {
    write: true,
    create: true,
    truncate: true,
  });
  let written = 0;
  try {
    try {
      for await (const chunk of chunks) {
        let off = 0;
        while (off < chunk.length) off += await file.write(chunk.subarray(off));
        written += chunk.length;
      }
      await file.syncData();
    } finally {
      file.close();
    }
    await check(written);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  return written;
}
