// Writes a file atomically: a temporary file in the same folder, flushed,
// then renamed over the target, so a reader never sees half a file.

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

const ENCODER = new TextEncoder();

/**
 * Writes all of `text` with synchronous writes (a write may be short), so it
 * is in the kernel before the caller goes on.
 */
export function writeAllSync(
  file: { writeSync(p: Uint8Array): number },
  text: string,
): void {
  const bytes = ENCODER.encode(text);
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
}
