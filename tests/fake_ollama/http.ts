// Minimal HTTP/1.1 over a raw TCP listener: requests (Content-Length or
// chunked), whole and chunked responses, and the ways to break a connection
// that Deno.serve cannot (close, garbage before any status line).

import { dec, enc, goJson } from "./wire.ts";

/** One parsed HTTP/1.1 request. */
export interface HttpRequest {
  method: string;
  path: string;
  headers: Headers;
  body: Uint8Array;
  keepAlive: boolean;
}

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Payload Too Large",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

function indexOfCrlf(buf: Uint8Array): number {
  for (let i = 0; i + 1 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10) return i;
  }
  return -1;
}

function indexOfCrlfCrlf(buf: Uint8Array): number {
  for (let i = 0; i + 3 < buf.length; i++) {
    if (
      buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 &&
      buf[i + 3] === 10
    ) return i;
  }
  return -1;
}

/** One TCP connection: a read pump (so a client hang-up is seen at once) and writes. */
export class HttpConnection {
  readonly gone = new AbortController();
  readonly pumped: Promise<void>;
  #conn: Deno.Conn;
  #buf: Uint8Array = new Uint8Array(0);
  #eof = false;
  #wake: (() => void) | null = null;
  #closed = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.pumped = this.#pump();
  }

  async #pump(): Promise<void> {
    const chunk = new Uint8Array(64 * 1024);
    while (true) {
      let n: number | null;
      try {
        n = await this.#conn.read(chunk);
      } catch {
        n = null;
      }
      if (n === null) break;
      const next = new Uint8Array(this.#buf.length + n);
      next.set(this.#buf);
      next.set(chunk.subarray(0, n), this.#buf.length);
      this.#buf = next;
      this.#notify();
    }
    this.#eof = true;
    this.gone.abort(new Error("client closed the connection"));
    this.#notify();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  async #more(): Promise<boolean> {
    if (this.#eof) return false;
    await new Promise<void>((r) => (this.#wake = r));
    return true;
  }

  #take(n: number): Uint8Array {
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  /** Reads the next request, or null at end of connection or on garbage. */
  async readRequest(): Promise<HttpRequest | null> {
    let end: number;
    while ((end = indexOfCrlfCrlf(this.#buf)) < 0) {
      if (this.#buf.length > 64 * 1024 || !(await this.#more())) return null;
    }
    const head = dec.decode(this.#take(end + 4)).split("\r\n");
    const [method, target, version] = (head[0] ?? "").split(" ");
    if (!method || !target || !version?.startsWith("HTTP/1.")) return null;
    const headers = new Headers();
    for (const line of head.slice(1)) {
      const i = line.indexOf(":");
      if (i > 0) {
        try {
          headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
        } catch {
          return null;
        }
      }
    }
    if (/100-continue/i.test(headers.get("expect") ?? "")) {
      await this.write(enc.encode("HTTP/1.1 100 Continue\r\n\r\n")); // curl waits for it
    }
    let body: Uint8Array;
    if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) {
      const b = await this.#readChunked();
      if (!b) return null;
      body = b;
    } else {
      const len = Number(headers.get("content-length") ?? "0");
      if (!Number.isSafeInteger(len) || len < 0) return null;
      while (this.#buf.length < len) if (!(await this.#more())) return null;
      body = this.#take(len);
    }
    const conn = (headers.get("connection") ?? "").toLowerCase();
    const keepAlive = version === "HTTP/1.1"
      ? !conn.includes("close")
      : conn.includes("keep-alive");
    const path = target.split("?")[0] ?? target;
    return { method, path, headers, body, keepAlive };
  }

  async #readLine(): Promise<string | null> {
    let i: number;
    while ((i = indexOfCrlf(this.#buf)) < 0) {
      if (this.#buf.length > 64 * 1024 || !(await this.#more())) return null;
    }
    const line = dec.decode(this.#take(i));
    this.#take(2);
    return line;
  }

  async #readChunked(): Promise<Uint8Array | null> {
    const parts: Uint8Array[] = [];
    while (true) {
      const sizeLine = await this.#readLine();
      if (sizeLine === null) return null;
      const size = parseInt(sizeLine, 16);
      if (Number.isNaN(size) || size < 0) return null;
      if (size === 0) {
        let trailer: string | null;
        do trailer = await this.#readLine(); while (trailer);
        if (trailer === null) return null;
        break;
      }
      while (this.#buf.length < size + 2) {
        if (!(await this.#more())) return null;
      }
      parts.push(this.#take(size));
      this.#take(2);
    }
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  /** Writes all bytes; false when the client is gone. */
  async write(bytes: Uint8Array): Promise<boolean> {
    try {
      let off = 0;
      while (off < bytes.length) {
        off += await this.#conn.write(bytes.subarray(off));
      }
      return true;
    } catch {
      this.gone.abort(new Error("client closed the connection"));
      return false;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/** The response side of one request. */
export class HttpResponse {
  started = false;
  destroyed = false;
  #hc: HttpConnection;
  #req: HttpRequest;
  #chunked = false;

  constructor(hc: HttpConnection, req: HttpRequest) {
    this.#hc = hc;
    this.#req = req;
  }

  #head(status: number, headers: Record<string, string>): string {
    const lines = [`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Status"}`];
    lines.push(`Date: ${new Date().toUTCString()}`);
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    if (!this.#req.keepAlive) lines.push("Connection: close");
    return lines.join("\r\n") + "\r\n\r\n";
  }

  /** Sends a whole response with Content-Length (no body for HEAD). */
  async send(
    status: number,
    headers: Record<string, string>,
    body: string,
  ): Promise<void> {
    this.started = true;
    const bytes = enc.encode(body);
    const head = this.#head(status, {
      ...headers,
      "Content-Length": String(bytes.length),
    });
    const out = this.#req.method === "HEAD"
      ? enc.encode(head)
      : new Uint8Array([...enc.encode(head), ...bytes]);
    await this.#hc.write(out);
  }

  json(status: number, value: unknown): Promise<void> {
    return this.send(status, {
      "Content-Type": "application/json; charset=utf-8",
    }, goJson(value));
  }

  error(status: number, message: string): Promise<void> {
    return this.json(status, { error: message });
  }

  /** Sends the status line and the first chunk together, as Ollama flushes headers with it. */
  async startChunked(
    status: number,
    contentType: string,
    first: string,
  ): Promise<boolean> {
    this.started = true;
    this.#chunked = true;
    const head = this.#head(status, {
      "Content-Type": contentType,
      "Transfer-Encoding": "chunked",
    });
    return await this.#hc.write(enc.encode(head + this.#frame(first)));
  }

  #frame(text: string): string {
    const n = enc.encode(text).length;
    return n === 0 ? "" : `${n.toString(16)}\r\n${text}\r\n`;
  }

  writeChunk(text: string): Promise<boolean> {
    return this.#hc.write(enc.encode(this.#frame(text)));
  }

  async end(): Promise<void> {
    if (this.#chunked) await this.#hc.write(enc.encode("0\r\n\r\n"));
  }

  /** Drops the connection without (further) bytes. */
  destroy(): void {
    this.destroyed = true;
    this.#hc.close();
  }

  /**
   * Breaks the connection before any valid status line, so fetch rejects with a
   * TypeError. A close with no byte at all is not observable: on a reused
   * keep-alive connection Deno's fetch silently resends the request once.
   */
  async reset(): Promise<void> {
    this.started = true;
    await this.#hc.write(enc.encode("\x15\x03\x01\r\n\r\n"));
    this.destroy();
  }
}
