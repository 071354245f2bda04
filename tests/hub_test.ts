// hf: datasets against a fake Hub: download and cache hit, ETag change,
// truncated or corrupt downloads, offline mode, pinned revisions, progress.

import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../src/errors.ts";
import { resolveHubDataset, resumeDatasetPath } from "../src/dataset/hub.ts";
import { HubError } from "../src/dataset/hub_http.ts";
import { hubProgress } from "../src/dataset/hub_progress.ts";
import {
  commitId,
  type FakeHubFile,
  sha256Hex,
  startFakeHub,
} from "./fake_hub.ts";
import { arcRepo, blob, envOf, mmluRepo, noSleep } from "./hub_helper.ts";
import { tempDir } from "./cli_helper.ts";

function dataRequests(hub: { requests: { server: string; path: string }[] }) {
  return hub.requests.filter((r) =>
    r.server === "cdn" || r.path.includes("/resolve/")
  );
}

/**
 * Checks that the cache under `cacheHome` has the ARC-Easy/test folder of
 * commit arc-1 and that it holds no file (no partial download is kept).
 */
async function assertArcEasyTestEmpty(cacheHome: string): Promise<void> {
  const dir = join(
    cacheHome,
    "llm-bench/hub/datasets/allenai/ai2_arc",
    commitId("arc-1"),
    "ARC-Easy/test",
  );
  const left = [];
  for await (const e of Deno.readDir(dir)) left.push(e.name);
  assert.deepEqual(left, []);
}

Deno.test("resolveHubDataset() downloads a split once, then serves it from the cache with no data request", async () => {
  await using tmp = await tempDir();
  await using hub = await startFakeHub([arcRepo()]);
  const env = envOf({ HF_ENDPOINT: hub.url, XDG_CACHE_HOME: tmp.path });
  const first = await resolveHubDataset(
    "hf:allenai/ai2_arc:ARC-Challenge:test",
    { env },
    noSleep,
  );
  const want = arcRepo().commits[0]!;
  const bytes = want.files[0]!.bytes;
  assert.equal(first.downloaded, 1);
  assert.equal(
    first.dir,
    join(
      tmp.path,
      "llm-bench",
      "hub",
      "datasets",
      "allenai",
      "ai2_arc",
      want.sha,
      "ARC-Challenge",
      "test",
    ),
  );
  assert.deepEqual(
    await Deno.readFile(join(first.dir, "ARC-Challenge_test.parquet")),
    bytes,
  );
  assert.deepEqual(first.source, {
    kind: "hf",
    path: `hf:allenai/ai2_arc@${want.sha}:ARC-Challenge:test`,
    endpoint: hub.url,
    repo: "allenai/ai2_arc",
    revision: want.sha,
    config: "ARC-Challenge",
    split: "test",
    partial: false,
    files: [{
      path: "ARC-Challenge/test/0000.parquet",
      file: "ARC-Challenge_test.parquet",
      size: bytes.length,
      sha256: sha256Hex(bytes),
    }],
  });
  // Only the split asked for was fetched.
  assert.equal(dataRequests(hub).filter((r) => r.server === "cdn").length, 1);
  // Nothing but the file and the hidden record is left in the folder.
  const names = [];
  for await (const e of Deno.readDir(first.dir)) names.push(e.name);
  assert.deepEqual(names.sort(), [".hub.json", "ARC-Challenge_test.parquet"]);

  hub.requests.length = 0;
  const second = await resolveHubDataset(
    "hf:allenai/ai2_arc:ARC-Challenge:test",
    { env },
    noSleep,
  );
  assert.equal(second.downloaded, 0);
  assert.deepEqual(second.source, first.source);
  assert.deepEqual(dataRequests(hub), []);
});

Deno.test("resolveHubDataset() names several files of a split NNNN/CONFIG_SPLIT.parquet and picks the test split", async () => {
  await using tmp = await tempDir();
  await using hub = await startFakeHub([mmluRepo()]);
  hub.pageSize = 2; // the tree listing comes in pages
  hub.recursiveFolders = false; // splits known from file paths only
  const env = envOf({ HF_ENDPOINT: hub.url, XDG_CACHE_HOME: tmp.path });
  const got = await resolveHubDataset("hf:cais/mmlu", { env }, noSleep);
  assert.equal(got.source.config, "all");
  assert.equal(got.source.split, "test");
  assert.deepEqual(got.source.files.map((f) => [f.path, f.file]), [
    ["all/test/0000.parquet", "0000/all_test.parquet"],
    ["all/test/0001.parquet", "0001/all_test.parquet"],
  ]);
  for (const f of got.source.files) {
    assert.equal(
      sha256Hex(await Deno.readFile(join(got.dir, f.file))),
      f.sha256,
    );
  }
  assert.ok(hub.requests.some((r) => r.path.includes("cursor=")));
});

Deno.test("resolveHubDataset() downloads again when the Hub's ETag or the cached bytes change", async (t) => {
  await using tmp = await tempDir();
  await using hub = await startFakeHub([arcRepo()]);
  const env = envOf({ HF_ENDPOINT: hub.url, XDG_CACHE_HOME: tmp.path });
  const path = "hf:allenai/ai2_arc:ARC-Challenge:test";
  const first = await resolveHubDataset(path, { env }, noSleep);

  await t.step("same commit, new ETag in the listing", async () => {
    const file = hub.repos[0]!.commits[0]!.files[0]!;
    file.bytes = blob("ch-test-v2");
    hub.requests.length = 0;
    const again = await resolveHubDataset(path, { env }, noSleep);
    assert.equal(again.downloaded, 1);
    assert.equal(again.source.files[0]!.sha256, sha256Hex(file.bytes));
    assert.deepEqual(
      await Deno.readFile(join(again.dir, "ARC-Challenge_test.parquet")),
      file.bytes,
    );
  });

  await t.step("a new commit of the parquet branch", async () => {
    const files: FakeHubFile[] = [{
      path: "ARC-Challenge/test/0000.parquet",
      bytes: blob("ch-test-v3"),
    }];
    hub.repos[0]!.commits.push({ sha: commitId("arc-2"), files });
    const again = await resolveHubDataset(path, { env }, noSleep);
    assert.equal(again.downloaded, 1);
    assert.equal(again.source.revision, commitId("arc-2"));
    assert.notEqual(again.dir, first.dir);
  });

  await t.step("a cached file edited on disk", async () => {
    const before = await resolveHubDataset(path, { env }, noSleep);
    assert.equal(before.downloaded, 0);
    await Deno.writeFile(
      join(before.dir, "ARC-Challenge_test.parquet"),
      blob("tampered"),
    );
    const again = await resolveHubDataset(path, { env }, noSleep);
    assert.equal(again.downloaded, 1);
    assert.deepEqual(
      await Deno.readFile(join(again.dir, "ARC-Challenge_test.parquet")),
      blob("ch-test-v3"),
    );
  });
});

Deno.test("resolveHubDataset() retries a dropped, short or corrupt download and never keeps a partial file", async (t) => {
  for (const fault of ["drop", "short", "corrupt", "500"] as const) {
    await t.step(`${fault} once: retried, file whole`, async () => {
      await using tmp = await tempDir();
      await using hub = await startFakeHub([arcRepo()]);
      hub.faults.push(fault);
      const got = await resolveHubDataset("hf:allenai/ai2_arc:ARC-Easy", {
        env: envOf({ HF_ENDPOINT: hub.url, XDG_CACHE_HOME: tmp.path }),
      }, noSleep);
      assert.equal(
        hub.requests.filter((r) => r.server === "cdn").length,
        2,
      );
      const bytes = await Deno.readFile(join(got.dir, "ARC-Easy_test.parquet"));
      assert.equal(sha256Hex(bytes), got.source.files[0]!.sha256);
      assert.deepEqual(bytes, blob("ez-test"));
    });
  }
  await t.step(
    "dropped every time: HubError, nothing left behind",
    async () => {
      await using tmp = await tempDir();
      await using hub = await startFakeHub([arcRepo()]);
      hub.faults.push("drop", "drop", "drop");
      const opts = {
        env: envOf({ HF_ENDPOINT: hub.url, XDG_CACHE_HOME: tmp.path }),
      };
      await assert.rejects(
        resolveHubDataset("hf:allenai/ai2_arc:ARC-Easy:test", opts, noSleep),
        (e: unknown) =>
          e instanceof HubError &&
          /ARC-Easy\/test\/0000\.parquet/.test(e.message),
      );
      await assertArcEasyTestEmpty(tmp.path);
      // Offline, the failed download is not in the cache.
      await assert.rejects(
        resolveHubDataset("hf:allenai/ai2_arc:ARC-Easy:test", {
          env: envOf({ HF_HUB_OFFLINE: "1", XDG_CACHE_HOME: tmp.path }),
        }),
        UsageError,
      );
    },
  );
});

Deno.test("resolveHubDataset() with a pinned revision reads that commit after the branch moved", async () => {
  await using tmp = await tempDir();
  await using hub = await startFakeHub([arcRepo()]);
  const env = envOf({ HF_ENDPOINT: hub.url, XDG_CACHE_HOME: tmp.path });
  const first = await resolveHubDataset("hf:allenai/ai2_arc:ARC-Challenge", {
    env,
  }, noSleep);
  hub.repos[0]!.commits.push({
    sha: commitId("arc-2"),
    files: [{ path: "ARC-Challenge/test/0000.parquet", bytes: blob("new") }],
  });
  // Cache cleared: the pinned path downloads the recorded commit again.
  await Deno.remove(join(tmp.path, "llm-bench"), { recursive: true });
  const pinned = resumeDatasetPath("/old/cache", false, first.source);
  const again = await resolveHubDataset(pinned, { env }, noSleep);
  assert.equal(again.source.revision, commitId("arc-1"));
  assert.deepEqual(again.source.files, first.source.files);
  assert.equal(
    resumeDatasetPath(
      "hf:allenai/ai2_arc:ARC-Challenge:test",
      true,
      first.source,
    ),
    first.source.path,
  );
  assert.equal(
    resumeDatasetPath("hf:allenai/ai2_arc:ARC-Easy", true, first.source),
    "hf:allenai/ai2_arc:ARC-Easy",
  );
  assert.equal(resumeDatasetPath("data", true, first.source), "data");
  assert.equal(resumeDatasetPath("data", false, undefined), "data");
});

Deno.test("resolveHubDataset() reads a partially converted split (partial-SPLIT) and says so", async () => {
  await using tmp = await tempDir();
  await using hub = await startFakeHub([{
    repo: "big/set",
    commits: [{
      sha: commitId("big-1"),
      files: [
        { path: "default/partial-train/0000.parquet", bytes: blob("p0") },
        { path: "default/test/0000.parquet", bytes: blob("t0") },
      ],
    }],
  }]);
  let err = "";
  const got = await resolveHubDataset("hf:big/set:default:train", {
    env: envOf({ HF_ENDPOINT: hub.url, XDG_CACHE_HOME: tmp.path }),
    progress: hubProgress({
      write: (s) => (err += s),
      tty: false,
      quiet: false,
    }),
  }, noSleep);
  assert.equal(got.source.partial, true);
  assert.equal(got.source.split, "train");
  assert.deepEqual(got.source.files.map((f) => f.path), [
    "default/partial-train/0000.parquet",
  ]);
  assert.match(err, /converted only the first part of this split/);
});

Deno.test("resolveHubDataset() stops a download when its signal aborts and keeps no partial file", async () => {
  await using tmp = await tempDir();
  await using hub = await startFakeHub([arcRepo()]);
  const ctl = new AbortController();
  const progress = hubProgress({ write: () => {}, tty: false, quiet: true });
  await assert.rejects(
    resolveHubDataset("hf:allenai/ai2_arc:ARC-Easy", {
      env: envOf({ HF_ENDPOINT: hub.url, XDG_CACHE_HOME: tmp.path }),
      signal: ctl.signal,
      progress: {
        ...progress,
        start() {
          ctl.abort("interrupted");
        },
      },
    }, noSleep),
    (e: unknown) => e instanceof HubError && /interrupted/.test(e.message),
  );
  await assertArcEasyTestEmpty(tmp.path);
  assert.equal(hub.requests.filter((r) => r.server === "cdn").length, 1);
});

Deno.test("resolveHubDataset() after a failed download of a split fetches only the files it lacks", async () => {
  await using tmp = await tempDir();
  await using hub = await startFakeHub([mmluRepo()]);
  const env = envOf({ HF_ENDPOINT: hub.url, XDG_CACHE_HOME: tmp.path });
  // 0000 arrives; 0001 drops on every attempt.
  hub.faults.push("none", "drop", "drop", "drop");
  await assert.rejects(
    resolveHubDataset("hf:cais/mmlu:all:test", { env }, noSleep),
    HubError,
  );
  hub.requests.length = 0;
  const got = await resolveHubDataset(
    "hf:cais/mmlu:all:test",
    { env },
    noSleep,
  );
  assert.equal(got.downloaded, 1);
  const fetched = hub.requests.filter((r) => r.path.includes("/resolve/"));
  assert.deepEqual(fetched.map((r) => r.path.split("/").at(-1)), [
    "0001.parquet",
  ]);
  for (const f of got.source.files) {
    assert.equal(
      sha256Hex(await Deno.readFile(join(got.dir, f.file))),
      f.sha256,
    );
  }
});

Deno.test("hubProgress() redraws one line on a terminal, prints a few plain lines elsewhere, nothing when quiet", () => {
  const run = (tty: boolean, quiet: boolean) => {
    let out = "";
    let t = 0;
    const p = hubProgress({
      write: (s) => (out += s),
      tty,
      quiet,
      now: () => (t += 50),
    });
    p.start("all/test/0000.parquet", 4_000_000);
    for (let i = 0; i < 40; i++) p.advance(100_000);
    p.end(true);
    p.note("hf:cais/mmlu:all:test at abc: 1 file(s)");
    return out;
  };
  const tty = run(true, false);
  assert.ok(tty.includes("\r\x1b[2K"));
  assert.ok(tty.includes("[########################] 100% 4.0 MB/4.0 MB"));
  const plain = run(false, false);
  assert.ok(!plain.includes("\r"));
  assert.deepEqual(plain.trimEnd().split("\n"), [
    "hf: downloading all/test/0000.parquet (4.0 MB)",
    "hf: downloaded all/test/0000.parquet (4.0 MB in 0.1s)",
    "hf:cais/mmlu:all:test at abc: 1 file(s)",
  ]);
  assert.equal(run(true, true), "");
  assert.equal(run(false, true), "");
});

Deno.test("resolveHubDataset() with HF_HUB_OFFLINE=1 uses the cache only", async (t) => {
  await using tmp = await tempDir();
  const hub = await startFakeHub([arcRepo()]);
  const online = envOf({ HF_ENDPOINT: hub.url, XDG_CACHE_HOME: tmp.path });
  const first = await resolveHubDataset(
    "hf:allenai/ai2_arc:ARC-Challenge",
    { env: online },
    noSleep,
  );
  await hub.close();
  const offline = envOf({
    HF_ENDPOINT: hub.url,
    HF_HUB_OFFLINE: "1",
    XDG_CACHE_HOME: tmp.path,
  });
  await t.step("cached split: same folder and provenance", async () => {
    const got = await resolveHubDataset(
      "hf:allenai/ai2_arc:ARC-Challenge:test",
      { env: offline },
    );
    assert.equal(got.dir, first.dir);
    assert.deepEqual(got.source.files, first.source.files);
    // The only cached config is taken when none is named.
    const bare = await resolveHubDataset("hf:allenai/ai2_arc", {
      env: offline,
    });
    assert.equal(bare.dir, first.dir);
  });
  await t.step("uncached split: a clear error", async () => {
    await assert.rejects(
      resolveHubDataset("hf:allenai/ai2_arc:ARC-Easy:test", { env: offline }),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message.includes('"hf:allenai/ai2_arc:ARC-Easy:test"') &&
        e.message.includes("HF_HUB_OFFLINE") &&
        e.message.includes("not in the cache"),
    );
  });
  await t.step("a cached file changed on disk: refused", async () => {
    await Deno.truncate(join(first.dir, "ARC-Challenge_test.parquet"), 10);
    await assert.rejects(
      resolveHubDataset("hf:allenai/ai2_arc:ARC-Challenge:test", {
        env: offline,
      }),
      /incomplete or changed/,
    );
  });
});
