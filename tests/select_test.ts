import assert from "node:assert/strict";
import type { DatasetItem } from "../src/schema.ts";
import {
  fnv1a,
  inSample,
  makeSelector,
  selectItems,
  type SelectOptions,
  shardOf,
} from "../src/dataset/select.ts";

const NONE: SelectOptions = {
  subjects: null,
  limit: null,
  sample: null,
  seed: 1234,
  shard: null,
};

/** `perSubject` rows for each subject, in file order; every 10th is skipped. */
function dataset(subjects: string[], perSubject: number): DatasetItem[] {
  const out: DatasetItem[] = [];
  let index = 0;
  for (const subject of subjects) {
    for (let line = 2; line < perSubject + 2; line++) {
      const file = `${subject}_test.csv`;
      const base = {
        id: `${file}:${line}`,
        index: index++,
        file,
        line,
        subject,
      };
      out.push(
        line % 10 === 0
          ? { kind: "skipped", row: { ...base, reason: "bad row" } }
          : {
            kind: "question",
            question: {
              ...base,
              question: "q?",
              choices: ["a", "b", "c", "d"],
              answer: "A",
            },
          },
      );
    }
  }
  return out;
}

function idOf(item: DatasetItem): string {
  return item.kind === "question" ? item.question.id : item.row.id;
}

async function* stream(items: DatasetItem[]): AsyncGenerator<DatasetItem> {
  for (const item of items) yield item;
}

async function select(
  items: DatasetItem[],
  opts: Partial<SelectOptions>,
): Promise<string[]> {
  const out: string[] = [];
  for await (const item of selectItems(stream(items), { ...NONE, ...opts })) {
    out.push(idOf(item));
  }
  return out;
}

/** Deterministic Fisher-Yates shuffle. */
function shuffled<T>(list: T[], seed: number): T[] {
  const out = [...list];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const ITEMS = dataset(["anatomy", "astronomy", "virology"], 400);
const ALL_IDS = ITEMS.map(idOf);

Deno.test("selectItems() with no options keeps every item in order", async () => {
  assert.deepEqual(await select(ITEMS, {}), ALL_IDS);
});

Deno.test("selectItems() shards partition the items", async (t) => {
  for (const count of [1, 2, 3, 5, 8]) {
    await t.step(`${count} shard(s)`, async () => {
      const seen = new Map<string, number>();
      const sizes: number[] = [];
      for (let index = 1; index <= count; index++) {
        const ids = await select(ITEMS, { shard: { index, count } });
        sizes.push(ids.length);
        for (const id of ids) {
          assert.ok(
            !seen.has(id),
            `${id} in shards ${seen.get(id)} and ${index}`,
          );
          seen.set(id, index);
        }
      }
      assert.equal(seen.size, ITEMS.length, "union is everything");
      // Roughly even: no shard below half its fair share.
      const fair = ITEMS.length / count;
      assert.ok(Math.min(...sizes) > fair / 2, `sizes ${sizes}`);
    });
  }
});

Deno.test("selectItems() puts an item in the same shard whatever the file order", async () => {
  const opts = { shard: { index: 2, count: 3 } };
  const inOrder = await select(ITEMS, opts);
  const reordered = await select(shuffled(ITEMS, 42), opts);
  assert.deepEqual([...reordered].sort(), [...inOrder].sort());
  for (const id of inOrder) assert.equal(shardOf(id, 3), 2);
});

Deno.test("selectItems() samples about the given fraction", async (t) => {
  for (const fraction of [0.1, 0.3, 0.5, 0.9]) {
    await t.step(`${fraction}`, async () => {
      const ids = await select(ITEMS, { sample: fraction });
      const got = ids.length / ITEMS.length;
      assert.ok(
        Math.abs(got - fraction) < 0.05,
        `kept ${got} for ${fraction}`,
      );
    });
  }
  await t.step("1 keeps everything", async () => {
    assert.equal((await select(ITEMS, { sample: 1 })).length, ITEMS.length);
  });
});

Deno.test("selectItems() sample depends on the seed, not on the order", async () => {
  const a = await select(ITEMS, { sample: 0.3, seed: 1 });
  const a2 = await select(shuffled(ITEMS, 7), { sample: 0.3, seed: 1 });
  const b = await select(ITEMS, { sample: 0.3, seed: 2 });
  assert.deepEqual([...a2].sort(), [...a].sort());
  assert.notDeepEqual(b, a);
  const overlap = a.filter((id) => b.includes(id)).length;
  // Independent samples of 30% overlap by about 9%, not by 30%.
  assert.ok(overlap < a.length * 0.5, `overlap ${overlap} of ${a.length}`);
});

Deno.test("inSample() keeps a smaller sample inside a larger one", () => {
  for (const id of ALL_IDS) {
    if (inSample(id, 0.2, 9)) assert.ok(inSample(id, 0.5, 9), id);
  }
});

Deno.test("selectItems() limits rows per subject in file order", async () => {
  const ids = await select(ITEMS, { limit: 5 });
  assert.deepEqual(ids, [
    ...[2, 3, 4, 5, 6].map((l) => `anatomy_test.csv:${l}`),
    ...[2, 3, 4, 5, 6].map((l) => `astronomy_test.csv:${l}`),
    ...[2, 3, 4, 5, 6].map((l) => `virology_test.csv:${l}`),
  ]);
  // Interleaved subjects still get 5 each.
  const mixed = shuffled(ITEMS, 3);
  const picked = await select(mixed, { limit: 5 });
  for (const s of ["anatomy", "astronomy", "virology"]) {
    assert.equal(picked.filter((id) => id.startsWith(s)).length, 5);
  }
});

Deno.test("selectItems() with a limit and shards still partitions the limited set", async () => {
  const limited = await select(ITEMS, { limit: 50 });
  const union: string[] = [];
  for (let index = 1; index <= 3; index++) {
    union.push(
      ...await select(ITEMS, { limit: 50, shard: { index, count: 3 } }),
    );
  }
  assert.deepEqual(union.sort(), [...limited].sort());
});

Deno.test("selectItems() keeps only the given subjects", async () => {
  const ids = await select(ITEMS, { subjects: ["virology", "anatomy"] });
  assert.equal(ids.length, 800);
  assert.ok(ids.every((id) => !id.startsWith("astronomy")));
  assert.deepEqual(await select(ITEMS, { subjects: ["nope"] }), []);
});

Deno.test("selectItems() keeps skipped rows it selects", async () => {
  const items = await Array.fromAsync(
    selectItems(stream(ITEMS), { ...NONE, subjects: ["anatomy"] }),
  );
  assert.equal(items.filter((i) => i.kind === "skipped").length, 40);
});

Deno.test("makeSelector() combines subject, sample and limit", () => {
  const keep = makeSelector({
    ...NONE,
    subjects: ["astronomy"],
    sample: 0.5,
    limit: 10,
  });
  const kept = ITEMS.filter(keep).map(idOf);
  assert.equal(kept.length, 10);
  assert.ok(kept.every((id) => id.startsWith("astronomy")));
  assert.ok(kept.every((id) => inSample(id, 0.5, 1234)));
});

Deno.test("fnv1a() returns distinct unsigned 32-bit hashes", () => {
  assert.notEqual(fnv1a("a.csv:1"), fnv1a("a.csv:2"));
  for (const id of ALL_IDS.slice(0, 50)) {
    const h = fnv1a(id);
    assert.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 32);
  }
});
