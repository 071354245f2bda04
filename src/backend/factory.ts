// Builds the backends a run talks to (one per base URL, or the mock) and
// preflights them together. Adding a backend is one new file plus a line here.

import type { Config } from "../config.ts";
import { RunAbortedError } from "../errors.ts";
import { type Backend, type ModelInfo, shortDigest } from "./backend.ts";
import { type AnswerKey, MockBackend } from "./mock.ts";
import { OllamaBackend } from "./ollama.ts";
import { OpenAIBackend } from "./openai.ts";

/**
 * The backends of one model: one per base URL, or the built-in mock, which
 * answers from `answerKey` (unused by the other backends).
 */
export function createBackends(
  config: Config,
  model: string,
  answerKey: AnswerKey | null = null,
): Backend[] {
  if (config.backend === "mock") {
    return [
      new MockBackend(
        {
          model,
          seed: config.seed,
          accuracy: config.mockAccuracy,
          latencyMs: config.mockLatencyMs,
        },
        answerKey === null ? {} : { answerKey },
      ),
    ];
  }
  return config.baseUrls.map((baseUrl) =>
    config.backend === "openai"
      ? new OpenAIBackend({ baseUrl, model, apiKey: config.apiKey })
      : new OllamaBackend({ baseUrl, model })
  );
}

/**
 * Preflights every endpoint; all must answer and have the same build of the
 * model: one run's results (and response-cache entries, keyed by the first
 * endpoint's digest) must come from one model.
 */
export async function preflightAll(
  backends: Backend[],
  signal: AbortSignal,
): Promise<ModelInfo> {
  const infos = await Promise.all(backends.map((b) => b.preflight(signal)));
  const first = infos[0]!;
  const builds = new Map<string, string>();
  infos.forEach((info, i) => {
    if (info.digest !== null && !builds.has(info.digest)) {
      builds.set(info.digest, backends[i]!.endpoint);
    }
  });
  if (builds.size > 1) {
    const list = [...builds].map(([digest, endpoint]) =>
      `${endpoint} has ${shortDigest(digest)}`
    );
    throw new RunAbortedError(
      `Cannot run "${first.name}": the servers have different builds of it (${
        list.join(", ")
      }); pull the same version on each, or give one --base-url`,
      { exitCode: 2 },
    );
  }
  return first;
}
