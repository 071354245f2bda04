// The SHA-256 of a dataset file, for the manifest and the hf: cache check.

/** Files up to this size are hashed in one read with Web Crypto. */
const WHOLE_FILE_HASH_BYTES = 64 * 1024 * 1024;

/**
 * SHA-256 of a file. Web Crypto for files up to 64 MiB (loading node:crypto
 * alone costs ~17 ms of start-up); larger files are streamed through
 * node:crypto so memory does not grow with the file.
 */
export async function sha256File(path: string): Promise<string> {
  const file = await Deno.open(path, { read: true });
  try {
    const { size } = await file.stat();
    if (size <= WHOLE_FILE_HASH_BYTES) {
      const bytes = new Uint8Array(size);
      let got = 0;
      while (got < size) {
        const n = await file.read(bytes.subarray(got));
        if (n === null) break;
        got += n;
      }
      const digest = await crypto.subtle.digest(
        "SHA-256",
        bytes.subarray(0, got),
      );
      return Array.from(
        new Uint8Array(digest),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
    }
    const { createHash } = await import("node:crypto");
    const hash = createHash("sha256");
    for await (const chunk of file.readable) hash.update(chunk);
    return hash.digest("hex");
  } finally {
    try {
      file.close();
    } catch {
      // already closed by the readable stream
    }
  }
}
