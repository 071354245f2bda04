import assert from "node:assert/strict";
import type {
  AskResponse,
  Backend,
  ModelInfo,
} from "../src/backend/backend.ts";
import { preflightAll } from "../src/backend/factory.ts";
import { RunAbortedError } from "../src/errors.ts";

const INFO: ModelInfo = {
  name: "llama3.2",
  serverVersion: "0.6.0",
  digest: "sha256:" + "a".repeat(64),
  family: "llama",
  parameterSize: "3B",
  quantization: "Q4_K_M",
  capabilities: ["completion"],
  contextLength: 131072,
};

function server(endpoint: string, digest: string | null): Backend {
  return {
    endpoint,
    preflight: () => Promise.resolve({ ...INFO, digest }),
    ask: () => Promise.reject(new Error("not asked")) as Promise<AskResponse>,
    unload: () => Promise.resolve(),
  };
}

const signal = new AbortController().signal;

Deno.test("preflightAll() accepts endpoints serving the same build", async () => {
  const info = await preflightAll(
    [server("http://a", INFO.digest), server("http://b", INFO.digest)],
    signal,
  );
  assert.equal(info.digest, INFO.digest);
});

Deno.test("preflightAll() refuses endpoints serving different builds of the model", async () => {
  const other = "sha256:" + "b".repeat(64);
  let e: unknown = null;
  try {
    await preflightAll(
      [server("http://a", INFO.digest), server("http://b", other)],
      signal,
    );
  } catch (err) {
    e = err;
  }
  assert.ok(e instanceof RunAbortedError);
  assert.equal(e.exitCode, 2);
  assert.match(e.message, /different builds/);
  assert.match(e.message, /http:\/\/a has aaaaaaaaaaaa/);
  assert.match(e.message, /http:\/\/b has bbbbbbbbbbbb/);
});

Deno.test("preflightAll() lets an endpoint without a digest join any build", async () => {
  const info = await preflightAll(
    [server("http://a", null), server("http://b", INFO.digest)],
    signal,
  );
  assert.equal(info.name, "llama3.2");
});
