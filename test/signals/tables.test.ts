// Hand-computed cases for every signal of the TS reference: the same tables as
// test/native/signals_test.cpp (docs/signals.md has the definitions).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  BarSignal,
  BasisSignal,
  BboSignal,
  DepthImbalanceSignal,
  EmaSignal,
  NbboSignal,
  OfiSignal,
  SignalName,
  SignalRecord,
  TradeStatsSignal,
} from '../../src/engine/signals';
import { SignalEngine, type SignalConfig } from '../../src/reference/signals';

type Of<N extends SignalName> = Extract<SignalRecord, { signal: N }>;
const only = <N extends SignalName>(rs: SignalRecord[], name: N): Of<N>[] =>
  rs.filter((r): r is Of<N> => r.signal === name);

function near(actual: number, expected: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} expected ${expected}`,
  );
}

const oneOfEach = (over: Partial<SignalConfig> = {}): SignalEngine =>
  new SignalEngine({ tradeWindowsUs: [1_000_000], emaHalfLivesUs: [1_000_000], barIntervalsUs: [1_000_000], ...over });

describe('bbo', () => {
  // | # | bidPx | bidQty | askPx | askQty | valid | mid    | spreadBps         | microprice         | imbalance |
  // |---|-------|--------|-------|--------|-------|--------|-------------------|--------------------|-----------|
  // | 1 | 100   | 2      | 101   | 1      | yes   | 100.5  | 99.50248756218905 | 100.66666666666667 | 1/3       |
  // | 2 | 100   | 2      | 101   | 1      | yes   | (unchanged: no record)                                       |
  // | 3 | 100   | 3      | 100.5 | 1      | yes   | 100.25 | 49.87531172069826 | 100.375            | 0.5       |
  // | 4 | 100   | 3      | 0     | 0      | yes   | (one-sided: no record)                                       |
  // | 5 | 100   | 0      | 100.5 | 0      | yes   | (no quantity: no record, no division by zero)                |
  // | 6 | 100   | 3      | 100.5 | 1      | no    | 100.25 | 49.87531172069826 | 100.375            | 0.5, valid=false |
  const rows: [number, number, number, number, boolean, [number, number, number, number] | null][] = [
    [100, 2, 101, 1, true, [100.5, 99.50248756218905, 100.66666666666667, 1 / 3]],
    [100, 2, 101, 1, true, null],
    [100, 3, 100.5, 1, true, [100.25, 49.87531172069826, 100.375, 0.5]],
    [100, 3, 0, 0, true, null],
    [100, 0, 100.5, 0, true, null],
    [100, 3, 100.5, 1, false, [100.25, 49.87531172069826, 100.375, 0.5]],
  ];
  it('follows the table', () => {
    const e = oneOfEach();
    let ts = 1000;
    for (const [bp, bq, ap, aq, valid, exp] of rows) {
      const bbo: BboSignal[] = only(e.onTop('binance', 'BTC-USDT', ts, ts, bp, bq, ap, aq, valid), 'bbo');
      assert.equal(bbo.length, exp === null ? 0 : 1);
      if (exp !== null) {
        const s = bbo[0]!;
        assert.equal(s.valid, valid);
        assert.equal(s.ts, ts);
        near(s.mid, exp[0], 'mid');
        near(s.spreadBps, exp[1], 'spreadBps');
        near(s.microprice, exp[2], 'microprice');
        near(s.imbalance, exp[3], 'imbalance');
      }
      ts += 1000;
    }
    // No exchange time: the receive time is the event time.
    assert.equal(only(e.onTop('binance', 'BTC-USDT', null, 555, 1, 1, 2, 1, true), 'bbo')[0]!.ts, 555);
  });
});

describe('depth_imbalance (N = 5)', () => {
  // | bids (qty, best first) | asks    | Σbid(top 5) | Σask | value               |
  // |------------------------|---------|-------------|------|---------------------|
  // | 1 2 3 4 5 6            | 2 2     | 15          | 4    | 11/19 = 0.57894736… |
  // | 1 2 3 4 5 7            | 2 2     | (level 6 changed: top 5 unchanged, no record)     |
  // | 1                      | 3       | 1           | 3    | -0.5 (book not VALID: valid=false) |
  // | (empty)                | (empty) | 0           | 0    | (no record)         |
  it('follows the table', () => {
    const e = oneOfEach();
    let r: DepthImbalanceSignal[] = only(
      e.onDepth('coinbase', 'X', 10, 10, [1, 2, 3, 4, 5, 6], [2, 2], true),
      'depth_imbalance',
    );
    assert.equal(r.length, 1);
    assert.equal(r[0]!.levels, 5);
    near(r[0]!.value, 11 / 19, 'value');
    assert.equal(
      only(e.onDepth('coinbase', 'X', 11, 11, [1, 2, 3, 4, 5, 7], [2, 2], true), 'depth_imbalance').length,
      0,
    );
    r = only(e.onDepth('coinbase', 'X', 12, 12, [1], [3], false), 'depth_imbalance');
    assert.equal(r.length, 1);
    assert.equal(r[0]!.valid, false);
    near(r[0]!.value, -0.5, 'value');
    assert.equal(only(e.onDepth('coinbase', 'X', 13, 13, [], [], true), 'depth_imbalance').length, 0);
  });
});

describe('trade_stats (W = 1 s)', () => {
  // | ts (µs) | px  | qty | side | window holds     | vwap               | volume | buy | sell | trades | tfi  | rv          |
  // |---------|-----|-----|------|------------------|--------------------|--------|-----|------|--------|------|-------------|
  // | 0       | 100 | 1   | buy  | #1               | 100                | 1      | 1   | 0    | 1      | 1    | 0           |
  // | 500000  | 101 | 2   | sell | #1 #2            | 100.66666666666667 | 3      | 1   | 2    | 2      | -1/3 | ln(101/100) |
  // | 1000000 | 102 | 1   | buy  | #2 #3 (#1 = T−W) | 101.33333333333333 | 3      | 1   | 2    | 2      | -1/3 | ln(102/101) |
  // | 0       | 1   | 1   | buy  | (ts <= T−W: outside, same as above)                                             |
  const rows: [number, number, number, 'buy' | 'sell', number[]][] = [
    [0, 100, 1, 'buy', [100, 1, 1, 0, 1, 1, 0]],
    [500000, 101, 2, 'sell', [100.66666666666667, 3, 1, 2, 2, -1 / 3, Math.log(101 / 100)]],
    [1000000, 102, 1, 'buy', [101.33333333333333, 3, 1, 2, 2, -1 / 3, Math.log(102 / 101)]],
    [0, 1, 1, 'buy', [101.33333333333333, 3, 1, 2, 2, -1 / 3, Math.log(102 / 101)]],
  ];
  it('follows the table', () => {
    const e = oneOfEach();
    for (const [ts, px, qty, side, exp] of rows) {
      const s: TradeStatsSignal[] = only(e.onTrade('bybit', 'ETH-USDT', ts, ts, px, qty, side), 'trade_stats');
      assert.equal(s.length, 1);
      const p = s[0]!;
      assert.equal(p.window, 1_000_000);
      const got = [p.vwap, p.volume, p.buyVolume, p.sellVolume, p.trades, p.tfi, p.rv];
      got.forEach((v, i) => near(v, exp[i]!, `field ${i} at ts ${ts}`));
    }
  });
  it('counts an out-of-order trade in ts order (rv over ts-consecutive trades)', () => {
    const e = oneOfEach();
    e.onTrade('okx', 'X', 0, 0, 100, 1, 'buy');
    e.onTrade('okx', 'X', 200000, 200000, 110, 1, 'buy');
    const p = only(e.onTrade('okx', 'X', 100000, 100000, 105, 1, 'buy'), 'trade_stats')[0]!;
    assert.equal(p.ts, 200000);
    assert.equal(p.trades, 3);
    near(p.vwap, 105, 'vwap');
    near(p.rv, 0.06741358894429825, 'rv');
  });
  it('never divides by zero: trades without a positive price and quantity are ignored', () => {
    const e = oneOfEach();
    for (const [px, qty] of [
      [100, 0],
      [0, 1],
      [NaN, 1],
      [100, -1],
      [Infinity, 1],
    ] as const) {
      assert.deepEqual(e.onTrade('okx', 'X', 0, 0, px, qty, 'buy'), []);
    }
    assert.equal(e.stats().ignoredTrades, 5);
  });
});

describe('ema (H = 1 s)', () => {
  // | ts (µs) | px  | Δt     | α                   | value              | record ts |
  // |---------|-----|--------|---------------------|--------------------|-----------|
  // | 0       | 100 | –      | (first)             | 100                | 0         |
  // | 1000000 | 110 | 1 s    | 0.5                 | 105                | 1000000   |
  // | 1500000 | 100 | 0.5 s  | 1−2^−0.5 = 0.29289… | 103.53553390593274 | 1500000   |
  // | 1200000 | 200 | <0 → 0 | 0                   | 103.53553390593274 | 1500000   |
  const rows = [
    [0, 100, 100, 0],
    [1000000, 110, 105, 1000000],
    [1500000, 100, 103.53553390593274, 1500000],
    [1200000, 200, 103.53553390593274, 1500000],
  ] as const;
  it('follows the table', () => {
    const e = oneOfEach();
    for (const [ts, px, value, recTs] of rows) {
      const r: EmaSignal[] = only(e.onTrade('kraken', 'X', ts, ts, px, 1, 'buy'), 'ema');
      assert.equal(r.length, 1);
      assert.equal(r[0]!.halfLife, 1_000_000);
      assert.equal(r[0]!.ts, recTs);
      near(r[0]!.value, value, `ema at ${ts}`);
    }
  });
});

describe('ofi (W = 1 s)', () => {
  // | ts (µs) | bid       | ask       | eₙ (bid part + ask part)            | window sum |
  // |---------|-----------|-----------|-------------------------------------|------------|
  // | 0       | 100 × 1   | 101 × 1   | (baseline: no record)               |            |
  // | 100000  | 100 × 3   | 101 × 1   | (+3 − 1) + (−1 + 1) = 2             | 2          |
  // | 200000  | 101 × 1   | 101.5 × 2 | (+1) + (+1) = 2                     | 4          |
  // | 1150000 | 100.5 × 2 | 102 × 1   | (−1) + (+2) = 1; #1 leaves window   | 3          |
  // | 1200000 | book not VALID        | (no ofi; baseline reset)            |            |
  // | 1300000 | 100 × 1   | 101 × 1   | (new baseline: no record)           |            |
  // | 1400000 | 100 × 2   | 101 × 1   | (+2 − 1) + (−1 + 1) = 1; #2 leaves  | 1 + 1 = 2  |
  const rows: [number, number, number, number, number, boolean, number | null][] = [
    [0, 100, 1, 101, 1, true, null],
    [100000, 100, 3, 101, 1, true, 2],
    [200000, 101, 1, 101.5, 2, true, 4],
    [1150000, 100.5, 2, 102, 1, true, 3],
    [1200000, 100, 9, 101, 9, false, null],
    [1300000, 100, 1, 101, 1, true, null],
    [1400000, 100, 2, 101, 1, true, 2],
  ];
  it('follows the table', () => {
    const e = oneOfEach();
    for (const [ts, bp, bq, ap, aq, valid, sum] of rows) {
      const r: OfiSignal[] = only(e.onTop('binance', 'X', ts, ts, bp, bq, ap, aq, valid), 'ofi');
      assert.equal(r.length, sum === null ? 0 : 1, `records at ${ts}`);
      if (sum !== null) {
        assert.equal(r[0]!.ts, ts);
        assert.equal(r[0]!.window, 1_000_000);
        near(r[0]!.value, sum, `ofi at ${ts}`);
      }
    }
  });
});

// [start, open, high, low, close, volume, vwap, trades, revision], 1 s bars.
type BarRow = [number, number, number, number, number, number, number, number, number];
function checkBar(b: BarSignal | undefined, row: BarRow): void {
  assert.ok(b !== undefined, `expected bar ${row[0]}`);
  const [start, open, high, low, close, volume, vwap, trades, revision] = row;
  assert.equal(b.start, start);
  assert.equal(b.ts, start);
  assert.equal(b.end, start + 1_000_000);
  assert.equal(b.interval, 1_000_000);
  near(b.open, open, 'open');
  near(b.high, high, 'high');
  near(b.low, low, 'low');
  near(b.close, close, 'close');
  near(b.volume, volume, 'volume');
  near(b.vwap, vwap, 'vwap');
  assert.equal(b.trades, trades);
  assert.equal(b.revision, revision);
}

describe('bars (I = 1 s, lateness 0.5 s)', () => {
  // | arrival | ts (µs) | px | qty | watermark after    | bars emitted                                                  |
  // |---------|---------|----|-----|--------------------|---------------------------------------------------------------|
  // | 1       | 100000  | 10 | 1   | -400000            |                                                               |
  // | 2       | 900000  | 12 | 1   | 400000             |                                                               |
  // | 3       | 1200000 | 11 | 2   | 700000             |                                                               |
  // | 4       | 1600000 | 13 | 1   | 1100000            | [0,1s) O10 H12 L10 C12 V2 vwap 11 n2                          |
  // | 5       | 1300000 | 9  | 1   | 1100000            | (out of order within lateness: joins [1s,2s))                 |
  // | 6       | 2600000 | 14 | 1   | 2100000            | [1s,2s) O11 H13 L9 C13 V4 vwap 11 n3 (in ts order)            |
  // | 7       | 1500000 | 20 | 5   | 2100000            | late: drop → counted; revise → [1s,2s) O11 H20 L9 C13 V9 vwap 16 n4 rev 1 |
  // | idle    | clock +1.9 s           | –                  | (idle < 2 s: nothing)                                  |
  // | idle    | clock +2.0 s           | 2.6+2.0−0.5 = 4.1 s | [2s,3s) O14 H14 L14 C14 V1 n1, emitTs = clock         |
  // | 8       | 5200000 | 15 | 1   |                    | (gap [3s,5s): no bars)                                        |
  // | flush   |         |    |     | 5.2 s              | (bar [5s,6s) holds the last trade: incomplete, not emitted)   |
  for (const policy of ['drop', 'revise'] as const) {
    it(`follows the table (policy ${policy})`, () => {
      const e = oneOfEach({ latePolicy: policy });
      e.setNow(10_000_000);
      const bars = (ts: number, px: number, qty: number): BarSignal[] =>
        only(e.onTrade('binance', 'X', ts, ts, px, qty, 'buy'), 'bar');
      assert.deepEqual(bars(100000, 10, 1), []);
      assert.deepEqual(bars(900000, 12, 1), []);
      assert.deepEqual(bars(1200000, 11, 2), []);
      let b = bars(1600000, 13, 1);
      assert.equal(b.length, 1);
      checkBar(b[0], [0, 10, 12, 10, 12, 2, 11, 2, 0]);
      assert.deepEqual(bars(1300000, 9, 1), []);
      b = bars(2600000, 14, 1);
      assert.equal(b.length, 1);
      checkBar(b[0], [1000000, 11, 13, 9, 13, 4, 11, 3, 0]);
      b = bars(1500000, 20, 5);
      assert.equal(e.stats().lateTrades, 1);
      if (policy === 'drop') {
        assert.deepEqual(b, []);
        assert.equal(e.stats().lateDropped, 1);
      } else {
        assert.equal(b.length, 1);
        checkBar(b[0], [1000000, 11, 20, 9, 13, 9, 16, 4, 1]);
      }
    });
  }
  it('closes the last bar by processing time when idle; a gap emits no bars; flush emits only complete bars', () => {
    const e = oneOfEach();
    e.setNow(10_000_000);
    e.onTrade('binance', 'X', 2_600_000, 2_600_000, 14, 1, 'buy');
    assert.deepEqual(e.advanceIdle(11_900_000), []);
    const idle = only(e.advanceIdle(12_000_000), 'bar');
    assert.equal(idle.length, 1);
    checkBar(idle[0], [2000000, 14, 14, 14, 14, 1, 14, 1, 0]);
    assert.equal(idle[0]!.emitTs, 12_000_000);
    e.setNow(13_000_000);
    assert.deepEqual(only(e.onTrade('binance', 'X', 5_200_000, 5_200_000, 15, 1, 'buy'), 'bar'), []);
    assert.deepEqual(e.flush(), []);
  });
  // After trades at 2.6 s and 5 s (watermark 4.5 s) bar [2s,3s) is final and [4s,5s) is open:
  // | late trade | its bar  | bar state        | outcome                                        |
  // |------------|----------|------------------|------------------------------------------------|
  // | 4.2 s @ 8  | [4s,5s)  | open             | merged in order; emitted with it, revision 0   |
  // | 3.1 s @ 7  | [3s,4s)  | final, no trades | new bar O=H=L=C=7 V2 n1, revision 1            |
  // | 3.2 s @ 9  | [3s,4s)  | final (revised)  | O7 H9 L7 C9 V3 vwap 23/3 n2, revision 2        |
  // | 5 s (at watermark 99.5 s) | [5s,6s) | past the 60 s horizon | dropped, counted         |
  it('revise: open bars take late trades in order, final bars are re-emitted with revision + 1', () => {
    const e = oneOfEach({ latePolicy: 'revise' });
    const bars = (ts: number, px: number, qty: number): BarSignal[] =>
      only(e.onTrade('binance', 'X', ts, ts, px, qty, 'buy'), 'bar');
    bars(2_600_000, 14, 1);
    let b = bars(5_000_000, 30, 1);
    assert.equal(b.length, 1);
    checkBar(b[0], [2000000, 14, 14, 14, 14, 1, 14, 1, 0]);
    assert.deepEqual(bars(4_200_000, 8, 1), []);
    checkBar(bars(3_100_000, 7, 2)[0], [3000000, 7, 7, 7, 7, 2, 7, 1, 1]);
    checkBar(bars(3_200_000, 9, 1)[0], [3000000, 7, 9, 7, 9, 3, 23 / 3, 2, 2]);
    b = bars(5_600_000, 31, 1);
    assert.equal(b.length, 1);
    checkBar(b[0], [4000000, 8, 8, 8, 8, 1, 8, 1, 0]);
    assert.equal(e.stats().lateTrades, 3);
    assert.equal(e.stats().barRevisions, 2);
    bars(100_000_000, 30, 1);
    assert.deepEqual(bars(5_000_000, 7, 2), []);
    assert.equal(e.stats().lateDropped, 1);
  });
});

describe('nbbo', () => {
  // | step | event                                 | bid (venue)                         | ask (venue)    | crossed | crossBps          |
  // |------|---------------------------------------|-------------------------------------|----------------|---------|-------------------|
  // | 1    | binance 100×1 / 101×1 (recv 0)        | 100×1 (binance)                     | 101×1 (binance)| no      | 0                 |
  // | 2    | coinbase 100.5×2 / 101.5×1 (recv 1 s) | 100.5×2 (coinbase)                  | 101×1 (binance)| no      | 0                 |
  // | 3    | kraken 102×1 / 103×1 (recv 2 s)       | 102×1 (kraken)                      | 101×1 (binance)| yes     | 99.00990099009901 |
  // | 4    | kraken book not VALID                 | 100.5×2 (coinbase)                  | 101×1 (binance)| no      | 0                 |
  // | 5    | coinbase 100.5×2 / 101.5×1 (recv 6 s) | binance stale (recv 0 < 6 s − 5 s): 100.5×2 (coinbase) | 101.5×1 (coinbase) | no | 0 |
  // | 6    | binance 100.5×2 / 101×1 (recv 6.1 s)  | tie 100.5×2 → lower venue code: binance | 101×1 (binance) | no | 0          |
  type Exp = [number, number, string, number, number, string, boolean, number];
  const check = (rs: SignalRecord[], exp: Exp): void => {
    const n: NbboSignal[] = only(rs, 'nbbo');
    assert.equal(n.length, 1);
    const p = n[0]!;
    assert.equal(p.venue, null);
    assert.equal(p.valid, true);
    assert.deepEqual([p.bidPx, p.bidQty, p.bidVenue, p.askPx, p.askQty, p.askVenue, p.crossed], exp.slice(0, 7));
    near(p.crossBps, exp[7], 'crossBps');
  };
  it('follows the table', () => {
    const e = oneOfEach();
    check(e.onTop('binance', 'S', 0, 0, 100, 1, 101, 1, true), [100, 1, 'binance', 101, 1, 'binance', false, 0]);
    check(e.onTop('coinbase', 'S', 1, 1_000_000, 100.5, 2, 101.5, 1, true), [
      100.5,
      2,
      'coinbase',
      101,
      1,
      'binance',
      false,
      0,
    ]);
    check(e.onTop('kraken', 'S', 2, 2_000_000, 102, 1, 103, 1, true), [
      102,
      1,
      'kraken',
      101,
      1,
      'binance',
      true,
      99.00990099009901,
    ]);
    check(e.onBookState('kraken', 'S', false, true), [100.5, 2, 'coinbase', 101, 1, 'binance', false, 0]);
    check(e.onTop('coinbase', 'S', 3, 6_000_000, 100.5, 2, 101.5, 1, true), [
      100.5,
      2,
      'coinbase',
      101.5,
      1,
      'coinbase',
      false,
      0,
    ]);
    check(e.onTop('binance', 'S', 4, 6_100_000, 100.5, 2, 101, 1, true), [
      100.5,
      2,
      'binance',
      101,
      1,
      'binance',
      false,
      0,
    ]);
    assert.deepEqual(only(e.onTop('kraken', 'S', 5, 6_200_000, 100, 1, 104, 1, false), 'nbbo'), []);
  });
});

describe('basis', () => {
  // | event                                       | per venue (binance)                   | consolidated                 |
  // |---------------------------------------------|---------------------------------------|------------------------------|
  // | BTC-USDT on binance 100 / 102 (mid 101)     | (no perp yet)                         | (no perp yet)                |
  // | BTC-USDT-PERP on binance-futures 101 / 103  | spot 101, perp 102, 99.00990099009901 | same (one venue each)        |
  // | binance-futures book not VALID              | valid=false, same mids                | perp nbbo empty → valid=false |
  it('follows the table', () => {
    const e = oneOfEach();
    assert.deepEqual(only(e.onTop('binance', 'BTC-USDT', 10, 10, 100, 1, 102, 1, true), 'basis'), []);
    const b: BasisSignal[] = only(e.onTop('binance-futures', 'BTC-USDT-PERP', 20, 20, 101, 1, 103, 1, true), 'basis');
    assert.equal(b.length, 2);
    assert.equal(b[0]!.venue, null);
    assert.equal(b[1]!.venue, 'binance');
    assert.equal(b[1]!.spotVenue, 'binance');
    assert.equal(b[1]!.perpVenue, 'binance-futures');
    for (const r of b) {
      assert.equal(r.symbol, 'BTC-USDT');
      assert.equal(r.perpSymbol, 'BTC-USDT-PERP');
      assert.equal(r.valid, true);
      assert.equal(r.ts, 20);
      near(r.spotMid, 101, 'spotMid');
      near(r.perpMid, 102, 'perpMid');
      near(r.bps, 99.00990099009901, 'bps');
    }
    const inv = only(e.onBookState('binance-futures', 'BTC-USDT-PERP', false, true), 'basis');
    assert.equal(inv.length, 2);
    assert.ok(inv.every((r) => !r.valid));
  });
});

describe('valid flag', () => {
  it('is false on every record while the book is not VALID', () => {
    const e = oneOfEach();
    e.setNow(1);
    assert.ok(e.onTrade('binance', 'V', 0, 0, 100, 1, 'buy').every((r) => r.valid)); // no book known
    e.onBookState('binance', 'V', false);
    const rs = e.onTrade('binance', 'V', 2_000_000, 2_000_000, 101, 1, 'buy');
    assert.deepEqual(
      rs.map((r) => r.signal),
      ['trade_stats', 'ema', 'bar'],
    );
    assert.ok(rs.every((r) => !r.valid));
    const top = e.onTop('binance', 'V', 2_000_001, 2_000_001, 100, 1, 101, 1, false);
    assert.deepEqual(
      top.map((r) => [r.signal, r.valid]),
      [['bbo', false]],
    );
    e.onBookState('binance', 'V', true);
    assert.ok(e.onTrade('binance', 'V', 2_000_002, 2_000_002, 101, 1, 'buy').every((r) => r.valid));
  });
});
