// The tool's name and version, read from deno.json so there is one source.

import denoJson from "../deno.json" with { type: "json" };

/** The tool's version, from deno.json. */
export const VERSION: string = denoJson.version;

/** Name and version as recorded in summaries and manifests. */
export const TOOL = Object.freeze({ name: "llm-bench", version: VERSION });
