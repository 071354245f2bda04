// Byte-level checks shared by the dataset readers: recognises binary files,
// images and UTF-16 text, strips a byte order mark and turns a file's bytes
// into validated UTF-8 without holding more than one chunk in memory.

import { Buffer } from "node:buffer";
import { FORMAT_NAMES, formatOf } from "./format.ts";

/**
 * A problem with a whole dataset file, raised inside the byte pipeline and
 * turned into a `FileProblem` by the readers. `message` is complete
 * (`Cannot read "x.csv": ...`).
 */
export class FileProblemError extends Error {
  override name = "FileProblemError";
  /** 1-based line the problem is on, when known. */
  readonly line: number | null;
  constructor(message: string, line: number | null) {
    super(message);
    this.line = line;
  }
}

/** What `utf8Stream` saw, for messages about empty files. */
export interface SniffStats {
  /** Bytes read from the file so far. */
  bytes: number;
}

/** Bytes needed before the encoding is decided (magic numbers, UTF-16 guess). */
const HEAD_BYTES = 1024;

const MAGIC: readonly { bytes: readonly number[]; what: string }[] = [
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: "a PNG image" },
  { bytes: [0xff, 0xd8, 0xff], what: "a JPEG image" },
  { bytes: [0x47, 0x49, 0x46, 0x38], what: "a GIF image" },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], what: "a PDF document" },
  {
    bytes: [0x50, 0x4b, 0x03, 0x04],
    what: "a ZIP archive (an .xlsx workbook is one; export it as CSV)",
  },
  { bytes: [0x1f, 0x8b], what: "a gzip archive" },
  {
    bytes: [0xd0, 0xcf, 0x11, 0xe0],
    what: "an old Excel .xls workbook (export it as CSV)",
  },
];

function startsWith(buf: Uint8Array, prefix: readonly number[]): boolean {
  if (buf.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (buf[i] !== prefix[i]) return false;
  }
  return true;
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Whether NUL bytes in the head of a file without BOM look like UTF-16 text
 * (ASCII letters interleaved with NULs) rather than binary data.
 */
function looksLikeUtf16(head: Uint8Array): "le" | "be" | null {
  let even = 0;
  let odd = 0;
  const pairs = head.length >> 1;
  if (pairs < 4) return null;
  for (let i = 0; i + 1 < head.length; i += 2) {
    if (head[i] === 0) even++;
    if (head[i + 1] === 0) odd++;
  }
  if (odd >= pairs * 0.4 && even <= pairs * 0.05) return "le";
  if (even >= pairs * 0.4 && odd <= pairs * 0.05) return "be";
  return null;
}

/**
 * Validates UTF-8 incrementally (a character may span chunks), counts line
 * feeds and rejects NUL bytes. Throws `FileProblemError` naming the line.
 */
class Utf8Checker {
  /** Line feeds seen so far. */
  lines = 0;
  #need = 0;
  #lead = 0;
  #lo = 0x80;
  #hi = 0xbf;
  readonly #name: string;
  constructor(name: string) {
    this.#name = name;
  }

  check(bytes: Uint8Array): void {
    let need = this.#need;
    let lead = this.#lead;
    let lo = this.#lo;
    let hi = this.#hi;
    let lines = this.lines;
    const n = bytes.length;
    for (let i = 0; i < n; i++) {
      const b = bytes[i]!;
      if (need === 0) {
        if (b < 0x80) {
          if (b === 10) lines++;
          else if (b === 0) {
            throw new FileProblemError(
              `Cannot read "${this.#name}": line ${
                lines + 1
              } holds a NUL byte; it looks like a binary file, not text`,
              lines + 1,
            );
          }
          continue;
        }
        lead = b;
        if (b >= 0xc2 && b <= 0xdf) need = 1;
        else if (b >= 0xe0 && b <= 0xef) {
          need = 2;
          if (b === 0xe0) lo = 0xa0;
          else if (b === 0xed) hi = 0x9f;
        } else if (b >= 0xf0 && b <= 0xf4) {
          need = 3;
          if (b === 0xf0) lo = 0x90;
          else if (b === 0xf4) hi = 0x8f;
        } else {
          this.lines = lines;
          throw this.#invalid(b);
        }
      } else {
        if (b < lo || b > hi) {
          this.lines = lines;
          // Name the byte that started the broken sequence (0xE9 for "é"
          // in Latin-1), which is the one a user can look for.
          throw this.#invalid(lead);
        }
        lo = 0x80;
        hi = 0xbf;
        need--;
      }
    }
    this.#need = need;
    this.#lead = lead;
    this.#lo = lo;
    this.#hi = hi;
    this.lines = lines;
  }

  end(): void {
    if (this.#need !== 0) {
      throw new FileProblemError(
        `Cannot read "${this.#name}": the file ends inside a UTF-8 character; it is cut short or not UTF-8`,
        this.lines + 1,
      );
    }
  }

  #invalid(b: number): FileProblemError {
    const hex = b.toString(16).toUpperCase().padStart(2, "0");
    return new FileProblemError(
      `Cannot read "${this.#name}": line ${
        this.lines + 1
      } is not valid UTF-8 (byte 0x${hex}); save the file as UTF-8`,
      this.lines + 1,
    );
  }
}

/**
 * A transform from a dataset file's raw bytes to UTF-8 bytes (node Buffers,
 * as csv-parse wants them): a UTF-8 BOM is dropped, UTF-16 with a BOM is
 * decoded, and images, archives, binary data, BOM-less UTF-16 and invalid
 * UTF-8 raise a `FileProblemError`. Only the first bytes are held back (to
 * decide the encoding); everything else streams through.
 */
export function utf8Stream(
  name: string,
  stats: SniffStats,
): TransformStream<Uint8Array, Buffer> {
  const checker = new Utf8Checker(name);
  const head: Uint8Array[] = [];
  let headLength = 0;
  let decoder: TextDecoder | null = null;
  let decided = false;
  const encoder = new TextEncoder();

  const emit = (
    bytes: Uint8Array,
    controller: TransformStreamDefaultController<Buffer>,
  ) => {
    if (bytes.length === 0) return;
    checker.check(bytes);
    controller.enqueue(asBuffer(bytes));
  };
  const decode = (
    bytes: Uint8Array,
    controller: TransformStreamDefaultController<Buffer>,
    final: boolean,
  ) => {
    if (decoder === null) {
      emit(bytes, controller);
      return;
    }
    let text: string;
    try {
      text = final ? decoder.decode(bytes) : decoder.decode(bytes, {
        stream: true,
      });
    } catch (cause) {
      throw new FileProblemError(
        `Cannot read "${name}": line ${
          checker.lines + 1
        } is not valid UTF-16 (${String(cause)})`,
        checker.lines + 1,
      );
    }
    emit(encoder.encode(text), controller);
  };
  const decide = (
    controller: TransformStreamDefaultController<Buffer>,
    final: boolean,
  ) => {
    decided = true;
    let buf = concat(head, headLength);
    head.length = 0;
    if (buf.length === 0) return;
    for (const magic of MAGIC) {
      if (startsWith(buf, magic.bytes)) {
        throw new FileProblemError(
          `Cannot read "${name}": it is ${magic.what}, not a ${
            FORMAT_NAMES[formatOf(name)]
          } file`,
          null,
        );
      }
    }
    if (startsWith(buf, [0xef, 0xbb, 0xbf])) {
      buf = buf.subarray(3);
    } else if (startsWith(buf, [0xff, 0xfe])) {
      decoder = new TextDecoder("utf-16le", { fatal: true, ignoreBOM: true });
      buf = buf.subarray(2);
    } else if (startsWith(buf, [0xfe, 0xff])) {
      decoder = new TextDecoder("utf-16be", { fatal: true, ignoreBOM: true });
      buf = buf.subarray(2);
    } else if (buf.indexOf(0) !== -1) {
      const utf16 = looksLikeUtf16(buf);
      if (utf16 !== null) {
        throw new FileProblemError(
          `Cannot read "${name}": it looks like UTF-16${utf16.toUpperCase()} text without a byte order mark; save it as UTF-8`,
          null,
        );
      }
    }
    decode(buf, controller, final);
  };

  return new TransformStream<Uint8Array, Buffer>({
    transform(chunk, controller) {
      stats.bytes += chunk.length;
      if (decided) {
        decode(chunk, controller, false);
        return;
      }
      head.push(chunk);
      headLength += chunk.length;
      if (headLength >= HEAD_BYTES) decide(controller, false);
    },
    flush(controller) {
      if (!decided) decide(controller, true);
      else if (decoder !== null) decode(new Uint8Array(0), controller, true);
      checker.end();
    },
  });
}
