// hf: datasets against a fake Hub: tokens (sent to the Hub only, never
// shown), gated and missing datasets, bad names, the Hub down, the cache
// folder not writable.

import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../src/errors.ts";
import { resolveHubDataset } from "../src/dataset/hub.ts";
import { HubClient, HubError } from "../src/dataset/hub_http.ts";
import { redactText } from "../src/redact.ts";
import { parseHubPath } from "../src/dataset/hub_spec.ts";
import { hubProgress } from "../src/dataset/hub_progress.ts";
import { commitId, sha256Hex, startFakeHub } from "./fake_hub.ts";
import { arcRepo, blob, envOf, noSleep, TOKEN } from "./hub_helper.ts";
import { tempDir } from "./cli_helper.ts";

Deno.test("resolveHubDataset() sends HF_TOKEN to the Hub only, never to the CDN, and names gated datasets", async (t) => {
  await using tmp = await tempDir();
  const gated = { ...arcRepo(), repo: "org/gated", tokens: [TOKEN] };
  await using hub = await startFakeHub([gated]);
  const path = "hf:org/gated:ARC-Challenge:test";
  await t.step("no token: gated, set HF_TOKEN", async () => {
    await assert.rejects(
      resolveHubDataset(path, {
        env: envOf({ HF_ENDPOINT: hub.url, XDG_CACHE_HOME: tmp.path }),
      }, noSleep),
      (e: unknown) =>
        e instanceof UsageError && /gated/.test(e.message) &&
        /HF_TOKEN/.test(e.message) && e.message.includes(`"${path}"`) &&
        e.message.includes(`${hub.url}/datasets/org/gated`),
    );
  });
  await t.step(
    "a token without access: gated, accept the conditions",
    async () => {
      const other = "hf_" + "Z9y8X7w6".repeat(5);
      hub.repos.push({ ...arcRepo(), repo: "org/other", tokens: [other] });
      await assert.rejects(
        resolveHubDataset(path, {
          env: envOf({
            HF_ENDPOINT: hub.url,
            XDG_CACHE_HOME: tmp.path,
            HF_TOKEN: other,
          }),
        }, noSleep),
        (e: unknown) =>
          e instanceof UsageError && /accept its conditions/.test(e.message) &&
          !e.message.includes(other),
      );
    },
  );
  await t.step("an invalid token: refused", async () => {
    const bad = "hf_" + "Q".repeat(34);
    await assert.rejects(
      resolveHubDataset(path, {
        env: envOf({
          HF_ENDPOINT: hub.url,
          XDG_CACHE_HOME: tmp.path,
          HF_TOKEN: bad,
        }),
      }, noSleep),
      (e: unknown) =>
        e instanceof UsageError && /refused HF_TOKEN/.test(e.message) &&
        !e.message.includes(bad),
    );
  });
  await t.step(
    "the right token: downloaded; Bearer to the Hub only",
    async () => {
      hub.requests.length = 0;
      const got = await resolveHubDataset(path, {
        env: envOf({
          HF_ENDPOINT: hub.url,
          XDG_CACHE_HOME: tmp.path,
          HF_TOKEN: TOKEN,
        }),
      }, noSleep);
      assert.equal(got.downloaded, 1);
      const toHub = hub.requests.filter((r) => r.server === "hub");
      const toCdn = hub.requests.filter((r) => r.server === "cdn");
      assert.ok(toHub.length >= 3 && toCdn.length === 1);
      assert.ok(toHub.every((r) => r.authorization === `Bearer ${TOKEN}`));
      assert.ok(toCdn.every((r) => r.authorization === null));
      // The cache holds no trace of the token.
      for await (const e of walk(join(tmp.path, "llm-bench"))) {
        const text = new TextDecoder().decode(await Deno.readFile(e));
        assert.ok(!text.includes(TOKEN), `${e} holds the token`);
      }
    },
  );
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* walk(p);
    else if (e.isFile) yield p;
  }
}

Deno.test("resolveHubDataset() explains bad names, missing datasets, configs and splits (UsageError, exit 2)", async (t) => {
  await using tmp = await tempDir();
  await using hub = await startFakeHub([arcRepo()]);
  const env = envOf({ HF_ENDPOINT: hub.url, XDG_CACHE_HOME: tmp.path });
  const cases: Array<[string, RegExp]> = [
    ["hf:nope/missing", /Hub answered 401 .*no such dataset.*set HF_TOKEN/],
    [
      "hf:allenai/ai2_arc",
      /Cannot choose a config .*"ARC-Challenge", "ARC-Easy"/,
    ],
    [
      "hf:allenai/ai2_arc:ARC-Hard:test",
      /Cannot find config "ARC-Hard" .*"ARC-Challenge", "ARC-Easy"/,
    ],
    [
      "hf:allenai/ai2_arc:ARC-Challenge:validation",
      /Cannot find split "validation" .*"test", "train"/,
    ],
    [
      `hf:allenai/ai2_arc@${"0".repeat(40)}:ARC-Easy`,
      /no Parquet conversion .*or no such revision/,
    ],
  ];
  for (const [path, want] of cases) {
    await t.step(path, async () => {
      await assert.rejects(
        resolveHubDataset(path, { env }, noSleep),
        (e: unknown) => e instanceof UsageError && want.test(e.message),
      );
    });
  }
  await t.step("a missing dataset with a token: 404", async () => {
    hub.repos.push({ ...arcRepo(), repo: "x/y", tokens: [TOKEN] });
    await assert.rejects(
      resolveHubDataset("hf:nope/missing", {
        env: envOf({
          ...{ HF_ENDPOINT: hub.url, XDG_CACHE_HOME: tmp.path },
          HF_TOKEN: TOKEN,
        }),
      }, noSleep),
      (e: unknown) =>
        e instanceof UsageError &&
        /no such dataset on http:\/\/127/.test(e.message),
    );
  });
  await t.step("malformed paths", () => {
    for (
      const bad of [
        "hf:",
        "hf:mmlu",
        "hf:a/b/c",
        "hf:a/b:c:d:e",
        "hf:-a/b",
        "hf:a/b..c",
        "hf:a/b@main",
        "hf:a/b::test",
        "hf:a/b:..:test",
      ]
    ) {
      assert.throws(() => parseHubPath(bad), UsageError, bad);
    }
  });
  assert.ok(
    !hub.requests.some((r) => r.server === "cdn"),
    "nothing was downloaded",
  );
});

Deno.test("resolveHubDataset() fails with HubError (exit 1) when the Hub is down, after retries", async (t) => {
  await using tmp = await tempDir();
  await t.step("500 on the API", async () => {
    await using hub = await startFakeHub([arcRepo()]);
    hub.apiStatus = 503;
    await assert.rejects(
      resolveHubDataset("hf:allenai/ai2_arc:ARC-Easy", {
        env: envOf({ HF_ENDPOINT: hub.url, XDG_CACHE_HOME: tmp.path }),
      }, noSleep),
      (e: unknown) => e instanceof HubError && /answered 503/.test(e.message),
    );
    assert.equal(hub.requests.length, 3);
  });
  await t.step(
    "down, but the split is cached: the cached copy, with a warning",
    async () => {
      const hub = await startFakeHub([arcRepo()]);
      const env = envOf({ HF_ENDPOINT: hub.url, XDG_CACHE_HOME: tmp.path });
      const first = await resolveHubDataset("hf:allenai/ai2_arc:ARC-Easy", {
        env,
      }, noSleep);
      await hub.close();
      let err = "";
      const again = await resolveHubDataset("hf:allenai/ai2_arc:ARC-Easy", {
        env,
        progress: hubProgress({
          write: (s) => (err += s),
          tty: false,
          quiet: false,
        }),
      }, noSleep);
      assert.equal(again.dir, first.dir);
      assert.equal(again.downloaded, 0);
      assert.match(
        err,
        /warning: Cannot reach the Hub .*; using the cached copy at [0-9a-f]{12}/,
      );
    },
  );
  await t.step("nothing listening", async () => {
    const hub = await startFakeHub([]);
    const url = hub.url;
    await hub.close();
    await assert.rejects(
      resolveHubDataset("hf:allenai/ai2_arc:ARC-Easy", {
        env: envOf({
          HF_ENDPOINT: url,
          XDG_CACHE_HOME: join(tmp.path, "empty"),
        }),
      }, noSleep),
      (e: unknown) =>
        e instanceof HubError && /Cannot reach the Hub/.test(e.message),
    );
  });
  await t.step("HF_ENDPOINT not a URL: UsageError", async () => {
    await assert.rejects(
      resolveHubDataset("hf:a/b", {
        env: envOf({ HF_ENDPOINT: "ftp://x", XDG_CACHE_HOME: tmp.path }),
      }),
      /Invalid HF_ENDPOINT/,
    );
  });
});

Deno.test("the fake Hub answers HEAD on resolve URLs with the headers of GET and no body", async () => {
  await using hub = await startFakeHub([arcRepo()]);
  const url = `${hub.url}/datasets/allenai/ai2_arc/resolve/${
    commitId("arc-1")
  }/ARC-Easy/test/0000.parquet`;
  const head = await fetch(url, { method: "HEAD", redirect: "manual" });
  await head.body?.cancel();
  const get = await fetch(url, { redirect: "manual" });
  await get.body?.cancel();
  assert.equal(head.status, 302);
  for (
    const h of ["x-repo-commit", "x-linked-etag", "x-linked-size", "location"]
  ) {
    assert.equal(head.headers.get(h), get.headers.get(h), h);
  }
  assert.equal(
    head.headers.get("x-linked-etag"),
    `"${sha256Hex(blob("ez-test"))}"`,
  );
});

Deno.test("redactText() scrubs Bearer values and hf_ tokens; Hub errors never echo HF_TOKEN", async () => {
  assert.equal(
    redactText(`sent Authorization: Bearer ${TOKEN} and ${TOKEN}`),
    "sent Authorization: Bearer *** and hf_***",
  );
  const client = new HubClient({
    endpoint: "http://127.0.0.1:9",
    token: "tok-123",
  });
  const answer = new Response(null, { status: 500 });
  const e = client.statusError(
    answer,
    '"hf:a/b"',
    "bad header tok-123 Bearer tok-123",
  );
  assert.ok(e instanceof HubError);
  assert.ok(!e.message.includes("tok-123"), e.message);
  await answer.body?.cancel();
});

Deno.test("resolveHubDataset() names the cache folder when it cannot be written", async () => {
  await using tmp = await tempDir();
  await using hub = await startFakeHub([arcRepo()]);
  const notDir = join(tmp.path, "file");
  await Deno.writeTextFile(notDir, "not a folder");
  await assert.rejects(
    resolveHubDataset("hf:allenai/ai2_arc:ARC-Easy", {
      env: envOf({ HF_ENDPOINT: hub.url, XDG_CACHE_HOME: notDir }),
    }, noSleep),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message.startsWith(
        `Cannot write the hf: cache at ${notDir}/llm-bench/`,
      ) &&
      e.message.endsWith("set XDG_CACHE_HOME to a writable folder"),
  );
});
