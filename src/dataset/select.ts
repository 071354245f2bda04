// Which questions a run asks: subject filter, per-subject limit, a seeded
// sample and a shard. Every decision depends only on the question id and the
// options, so it is stable under file order and concurrency.

import type { DatasetItem } from "../schema.ts";
import { hashString } from "../stats.ts";

/** Options of makeSelector and selectItems. */
export interface SelectOptions {
  /** Only these subjects, or null for all. */
  subjects: string[] | null;
  /** At most this many rows per subject, in file order, or null. */
  limit: number | null;
  /** Keep a seeded random fraction of the rows, or null. */
  sample: number | null;
  seed: number;
  /** Take part `index` (1-based) of `count`, or null. */
  shard: { index: number; count: number } | null;
}

/** 32-bit FNV-1a hash with a final avalanche (the one shuffling uses). */
export const fnv1a: (text: string) => number = hashString;

/** The 1-based shard a question id belongs to. */
export function shardOf(id: string, count: number): number {
  return (fnv1a(`shard:${id}`) % count) + 1;
}

/** Whether a row id is in a seeded sample of `fraction`. */
export function inSample(id: string, fraction: number, seed: number): boolean {
  return fnv1a(`sample:${seed}:${id}`) / 0x1_0000_0000 < fraction;
}

/** A predicate over item ids for the options (limit is stateful: use a fresh one per pass). */
export function makeSelector(
  opts: SelectOptions,
): (item: DatasetItem) => boolean {
  const subjects = opts.subjects ? new Set(opts.subjects) : null;
  const perSubject = new Map<string, number>();
  return (item) => {
    const row = item.kind === "question" ? item.question : item.row;
    if (subjects && !subjects.has(row.subject)) return false;
    if (opts.sample !== null && !inSample(row.id, opts.sample, opts.seed)) {
      return false;
    }
    if (opts.limit !== null) {
      const n = perSubject.get(row.subject) ?? 0;
      if (n >= opts.limit) return false;
      perSubject.set(row.subject, n + 1);
    }
    if (opts.shard && shardOf(row.id, opts.shard.count) !== opts.shard.index) {
      return false;
    }
    return true;
  };
}

/** Filters a stream of dataset items with makeSelector. */
export async function* selectItems(
  items: AsyncIterable<DatasetItem>,
  opts: SelectOptions,
): AsyncGenerator<DatasetItem> {
  const keep = makeSelector(opts);
  for await (const item of items) {
    if (keep(item)) yield item;
  }
}
