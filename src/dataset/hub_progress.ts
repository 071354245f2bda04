// The download progress of hf: datasets on stderr: one bar redrawn in place
// on a terminal, a plain line per file start and end elsewhere, nothing
// with --quiet.

/** Receives download events. */
export interface HubProgress {
  /** A line of news (revision, files, cache hit), written as is. */
  note(text: string): void;
  /** A file download starts. */
  start(file: string, size: number): void;
  /** `bytes` more bytes of the current file arrived. */
  advance(bytes: number): void;
  /** The current file is complete (`ok`) or its attempt failed. */
  end(ok: boolean): void;
}

/** Options of `hubProgress`. */
export interface HubProgressOptions {
  /** Writes text to stderr. */
  write: (text: string) => void;
  /** stderr is a terminal: redraw one line. */
  tty: boolean;
  /** --quiet: write nothing. */
  quiet: boolean;
  /** Terminal width. @default 100 */
  columns?: number;
  now?: () => number;
}

/**
 * Bytes in a short human form.
 *
 * @example
 * ```ts
 * import { formatBytes } from "./hub_progress.ts";
 * formatBytes(999); // "999 B"
 * formatBytes(3_500_000); // "3.5 MB"
 * ```
 */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

/** A progress reporter on stderr (see the module comment). */
export function hubProgress(options: HubProgressOptions): HubProgress {
  const { write, tty, quiet } = options;
  const now = options.now ?? (() => Date.now());
  const columns = options.columns ?? 100;
  let file = "";
  let size = 0;
  let done = 0;
  let startedAt = 0;
  let drawnAt = -Infinity;
  const draw = (force: boolean) => {
    const t = now();
    if (!force && t - drawnAt < REDRAW_MS) return;
    drawnAt = t;
    const frac = size > 0 ? Math.min(1, done / size) : 0;
    const fill = Math.round(frac * BAR_WIDTH);
    const line = `hf: ${file} [${"#".repeat(fill)}${
      "-".repeat(BAR_WIDTH - fill)
    }] ${(frac * 100).toFixed(0)}% ${formatBytes(done)}/${formatBytes(size)}`;
    write(`\r\x1b[2K${line.slice(0, Math.max(20, columns - 1))}`);
  };
  if (quiet) {
    return { note() {}, start() {}, advance() {}, end() {} };
  }
  return {
    note(text) {
      write(`${text}\n`);
    },
    start(name, bytes) {
      file = name;
      size = bytes;
      done = 0;
      startedAt = now();
      drawnAt = -Infinity;
      if (tty) draw(true);
      else write(`hf: downloading ${name} (${formatBytes(bytes)})\n`);
    },
    advance(bytes) {
      done += bytes;
      if (tty) draw(false);
    },
    end(ok) {
      const seconds = ((now() - startedAt) / 1000).toFixed(1);
      if (tty) {
        draw(true);
        write(ok ? "\n" : " failed\n");
      } else {
        write(
          ok
            ? `hf: downloaded ${file} (${formatBytes(done)} in ${seconds}s)\n`
            : `hf: download of ${file} failed after ${formatBytes(done)}\n`,
        );
      }
    },
  };
}
