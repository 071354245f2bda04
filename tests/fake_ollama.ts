// A fake Ollama server for tests and the performance benchmark, faithful to
// Ollama's HTTP API as of v0.33.0-rc2 (ollama/ollama api/types.go,
// server/routes.go): native /api endpoints, scripted replies and faults,
// NUM_PARALLEL slots. It speaks HTTP/1.1 over a raw TCP listener so that it
// can break a connection before any status line, which Deno.serve cannot do.
//
// This file is the fake's front door (what tests import, and the program the
// benchmark runs); the parts live in tests/fake_ollama/: api.ts (options,
// replies, faults, messages), server.ts (routes, loading, slots, streaming),
// scenarios.ts (scripted replies, answer keys), faults.ts (how each fault
// breaks an attempt), validate.ts, reply.ts, http.ts, slots.ts, wire.ts, cli.ts.

export * from "./fake_ollama/api.ts";
export { startFakeOllama } from "./fake_ollama/server.ts";

if (import.meta.main) {
  const { main } = await import("./fake_ollama/cli.ts");
  await main(Deno.args);
}
