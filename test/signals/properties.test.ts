// Properties of the signal reference, checked with fast-check over generated
// event streams: bars are invariant under any reordering within the allowed
// lateness; trade_stats windows hold exactly the trades of (T − W, T] and
// their VWAP (and every bar's) lies within the window's [min, max] price; no
// NaN or Infinity is ever emitted whatever the input; valid=false whenever
// the book is not VALID.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { BarSignal, SignalRecord, TradeStatsSignal } from '../../src/engine/signals';
import { SignalEngine } from '../../src/reference/signals';
import { apply, callArb, SYMBOLS, VENUE_CHOICES, weird } from './calls';

const RUNS = 60;
const LATENESS = 500_000;

interface Trade {
  ts: number;
  price: number;
  qty: number;
  side: 'buy' | 'sell';
}

/** Trades in event-time order: gaps of 0 … 0.4 s (ties included), prices on a 0.01 grid. */
const sortedTrades = fc
  .array(
    fc.record({
      gap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 400_000 })),
      price: fc.integer({ min: 9_000, max: 11_000 }),
      qty: fc.integer({ min: 1, max: 50_000 }),
      sell: fc.boolean(),
    }),
    { minLength: 1, maxLength: 150 },
  )
  .map((xs) => {
    let ts = 1_700_000_000_000_000;
    return xs.map((x): Trade => {
      ts += x.gap;
      return { ts, price: x.price / 100, qty: x.qty / 1000, side: x.sell ? 'sell' : 'buy' };
    });
  });

function bars(engine: SignalEngine, trades: readonly Trade[]): BarSignal[] {
  const out: SignalRecord[] = [];
  for (const t of trades) out.push(...engine.onTrade('binance', 'BTC-USDT', t.ts, t.ts, t.price, t.qty, t.side));
  out.push(...engine.flush());
  return out.filter((r): r is BarSignal => r.signal === 'bar');
}

describe('bars', () => {
  it('are exactly the bars of the sorted stream under any reordering within the lateness', () => {
    fc.assert(
      fc.property(
        sortedTrades.chain((trades) =>
          fc.tuple(
            fc.constant(trades),
            fc.array(fc.integer({ min: 0, max: LATENESS }), { minLength: trades.length, maxLength: trades.length }),
          ),
        ),
        fc.constantFrom<'drop' | 'revise'>('drop', 'revise'),
        ([trades, delays], latePolicy) => {
          // Each trade arrives up to `lateness` after its event time; stable for ties.
          const order = trades.map((t, i) => ({ t, at: t.ts + delays[i]! })).sort((a, b) => a.at - b.at);
          const shuffled = order.map((o) => o.t);
          // The sorted stream, stable: equal times keep their arrival order.
          const sorted = [...shuffled].sort((a, b) => a.ts - b.ts);
          const a = new SignalEngine({ latePolicy });
          const b = new SignalEngine({ latePolicy });
          assert.deepStrictEqual(bars(a, shuffled), bars(b, sorted));
          assert.equal(a.stats().lateTrades, 0);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('have their VWAP within [low, high] and never leave a trade in the wrong bar', () => {
    fc.assert(
      fc.property(sortedTrades, (trades) => {
        const e = new SignalEngine({ barIntervalsUs: [1_000_000, 60_000_000] });
        for (const b of bars(e, trades)) {
          assert.ok(
            b.vwap >= b.low * (1 - 1e-12) && b.vwap <= b.high * (1 + 1e-12),
            `vwap ${b.vwap} in [${b.low}, ${b.high}]`,
          );
          const inBar = trades.filter((t) => t.ts >= b.start && t.ts < b.end);
          assert.equal(b.trades, inBar.length);
          assert.equal(b.open, inBar[0]!.price);
          assert.equal(b.close, inBar[inBar.length - 1]!.price);
          assert.equal(b.high, Math.max(...inBar.map((t) => t.price)));
          assert.equal(b.low, Math.min(...inBar.map((t) => t.price)));
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('trade_stats', () => {
  it('holds exactly the trades of (T − W, T], with VWAP within their [min, max]', () => {
    const W = 1_000_000;
    fc.assert(
      fc.property(
        // Arbitrary arrival order (out of order and far behind included).
        sortedTrades.chain((ts) => fc.shuffledSubarray(ts, { minLength: ts.length, maxLength: ts.length })),
        (trades) => {
          const e = new SignalEngine({ tradeWindowsUs: [W], emaHalfLivesUs: [], barIntervalsUs: [] });
          const seen: Trade[] = [];
          let T = -Infinity;
          for (const t of trades) {
            const rs = e.onTrade('okx', 'ETH-USDT', t.ts, t.ts, t.price, t.qty, t.side);
            // A trade at or before the window start when it arrives is outside for good.
            if (!(t.ts <= T - W)) seen.push(t);
            T = Math.max(T, t.ts);
            const s = rs.filter((r): r is TradeStatsSignal => r.signal === 'trade_stats');
            assert.equal(s.length, 1);
            const stat = s[0]!;
            const inWin = seen.filter((x) => x.ts > T - W && x.ts <= T).sort((a, b) => a.ts - b.ts);
            assert.equal(stat.ts, T);
            assert.equal(stat.trades, inWin.length);
            const prices = inWin.map((x) => x.price);
            const lo = Math.min(...prices);
            const hi = Math.max(...prices);
            assert.ok(
              stat.vwap >= lo * (1 - 1e-12) && stat.vwap <= hi * (1 + 1e-12),
              `vwap ${stat.vwap} in [${lo}, ${hi}]`,
            );
            const vol = inWin.reduce((a, x) => a + x.qty, 0);
            assert.ok(Math.abs(stat.volume - vol) <= 1e-9 * vol);
            // rv from the definition, ts-consecutive (ties: arrival order, as the window keeps them).
            let rv2 = 0;
            for (let i = 1; i < inWin.length; i++) rv2 += Math.log(inWin[i]!.price / inWin[i - 1]!.price) ** 2;
            assert.ok(
              Math.abs(stat.rv - Math.sqrt(rv2)) <= 1e-9 * Math.max(1e-6, Math.sqrt(rv2)),
              `rv ${stat.rv} vs ${Math.sqrt(rv2)}`,
            );
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------- arbitrary call sequences

describe('any call sequence', () => {
  it('never emits NaN or Infinity (zero, negative, NaN, huge and tiny inputs included)', () => {
    fc.assert(
      fc.property(
        fc.array(callArb(weird), { maxLength: 200 }),
        fc.constantFrom<'drop' | 'revise'>('drop', 'revise'),
        (calls, latePolicy) => {
          const e = new SignalEngine({ latePolicy });
          for (const c of calls) {
            for (const r of apply(e, c)) {
              for (const [k, v] of Object.entries(r)) {
                if (typeof v === 'number') assert.ok(Number.isFinite(v), `${r.signal}.${k} = ${v}`);
              }
            }
          }
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('marks valid=false whenever the book is not VALID', () => {
    fc.assert(
      fc.property(fc.array(callArb(weird), { maxLength: 200 }), (calls) => {
        const e = new SignalEngine({ latePolicy: 'revise' });
        const invalid = new Set<string>(); // "venue symbol" whose book was last reported not VALID
        const key = (v: string | null, s: string): string => `${v} ${s}`;
        for (const c of calls) {
          if (c.k === 'top' || c.k === 'depth' || c.k === 'state') {
            const k = key(VENUE_CHOICES[c.v]!, SYMBOLS[c.s]!);
            if (c.valid) invalid.delete(k);
            else invalid.add(k);
          }
          for (const r of apply(e, c)) {
            if (r.signal === 'nbbo') {
              if (r.bidVenue !== null)
                assert.ok(!invalid.has(key(r.bidVenue, r.symbol)), 'nbbo bid from an invalid book');
              if (r.askVenue !== null)
                assert.ok(!invalid.has(key(r.askVenue, r.symbol)), 'nbbo ask from an invalid book');
            } else if (r.signal === 'basis') {
              if (
                r.venue !== null &&
                (invalid.has(key(r.spotVenue, r.symbol)) || invalid.has(key(r.perpVenue, r.perpSymbol)))
              ) {
                assert.equal(r.valid, false, 'basis over an invalid book');
              }
            } else if (invalid.has(key(r.venue, r.symbol))) {
              assert.equal(r.valid, false, `${r.signal} while its book is not VALID`);
            }
          }
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });
});
