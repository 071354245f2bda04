// Exit codes chosen by main.ts: a network failure is a failure (exit 1) with
// a message, never a usage error (exit 2), even when fetch throws TypeError.

import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./cli_helper.ts";

/**
 * A server that answers GET /api/version and breaks every other connection
 * with a few bytes that are no HTTP status line, so fetch rejects.
 */
function startBreakingServer(): { url: string; close: () => Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const encoder = new TextEncoder();
  const serve = async () => {
    for await (const conn of listener) {
      const buf = new Uint8Array(4096);
      const n = await conn.read(buf).catch(() => null);
      const head = new TextDecoder().decode(buf.subarray(0, n ?? 0));
      const body = '{"version":"0.12.0"}';
      const reply = head.startsWith("GET /api/version ")
        ? `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`
        : "XX\r\n";
      await conn.write(encoder.encode(reply)).catch(() => 0);
      conn.close();
    }
  };
  const done = serve().catch(() => {});
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      listener.close();
      await done;
    },
  };
}

Deno.test("a server that breaks after /api/version ends with exit 1 and a message, not exit 2", async () => {
  const server = startBreakingServer();
  const dir = await Deno.makeTempDir({ prefix: "llm-bench-exit-" });
  try {
    await Deno.writeTextFile(
      join(dir, "a_test.csv"),
      "What is 1+1?,1,2,3,4,B\n",
    );
    const r = await runCli([
      dir,
      "--base-url",
      server.url,
      "--output-dir",
      join(dir, "out"),
      "--metrics-port",
      "off",
      "--max-retries",
      "0",
      "--quiet",
    ]);
    assert.equal(r.code, 1, r.stderr);
    const last = r.stderr.trim().split("\n").at(-1) ?? "";
    // The message names the server and the request that failed.
    assert.ok(
      last.startsWith(`Error: Network error: cannot reach ${server.url}/api/`),
      r.stderr,
    );
    assert.ok(!/^TypeError/m.test(r.stderr), r.stderr);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
