/** A Bybit book of `levels` levels per side and a stream of deltas of `perDelta` levels, u consecutive. */
export function bybitBook(levels: number, perDelta: number, deltas: number): { snapshot: string; deltas: string[] } {
  const side = (n: number, from: number, step: number, seed: number) =>
    Array.from(
      { length: n },
      (_, i) => `["${(from + step * i).toFixed(2)}","${(1 + ((i * 7919 + seed) % 997) / 10).toFixed(3)}"]`,
    );
  const frame = (type: string, u: number, b: string[], a: string[]) =>
    `{"topic":"orderbook.1000.BTCUSDT","type":"${type}","ts":${1_786_310_819_053 + u},"data":{"s":"BTCUSDT","b":[${b.join(',')}],"a":[${a.join(',')}],"u":${u},"seq":${u}},"cts":${1_786_310_819_050 + u}}`;
  const snapshot = frame('snapshot', 1, side(levels, 50000, -0.5, 1), side(levels, 50000.5, 0.5, 2));
  const out: string[] = [];
  for (let d = 0; d < deltas; d++) {
    // Changes near the top of the book, where real deltas land; never crossing.
    const half = Math.ceil(perDelta / 2);
    out.push(
      frame(
        'delta',
        d + 2,
        side(half, 50000 - (d % 20) * 0.5, -0.5, d),
        side(perDelta - half, 50000.5 + (d % 20) * 0.5, 0.5, d + 3),
      ),
    );
  }
  return { snapshot, deltas: out };
}
