// Independent reference computations for the leaderboard tests: the exact
// McNemar p-value from BigInt binomial sums, and Holm's adjustment written
// out directly (no code shared with src/).

/** 2·Σ_{i≤min(b,c)} C(b+c, i) / 2^(b+c), capped at 1, with exact integers. */
export function bigMcnemar(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  let coef = 1n;
  let tail = 0n;
  for (let i = 0; i <= k; i++) {
    tail += coef;
    coef = coef * BigInt(n - i) / BigInt(i + 1);
  }
  // 2·tail / 2^n: keep the top 64 bits of tail, then scale by an exact power of 2.
  const shift = Math.max(0, tail.toString(2).length - 64);
  return Math.min(1, 2 * Number(tail >> BigInt(shift)) * 2 ** (shift - n));
}

/** Holm: sort ascending, p_(i)·(m−i+1), running maximum, capped at 1. */
export function holmOracle(ps: number[]): number[] {
  const order = ps.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p);
  const out = new Array<number>(ps.length);
  let max = 0;
  order.forEach(({ p, i }, r) => {
    max = Math.max(max, Math.min(1, p * (ps.length - r)));
    out[i] = max;
  });
  return out;
}
