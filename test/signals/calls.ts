// Generated call sequences for the signal engines (property and differential
// tests): a few venues, a spot/perp symbol pair, every kind of call, and
// optionally hostile values (zero, negative, NaN, ±Infinity, huge, tiny).
import fc from 'fast-check';
import type { VenueId } from '../../src/events';
import type { SignalRecord } from '../../src/engine/signals';
import type { SignalEngine } from '../../src/reference/signals';

export const VENUE_CHOICES: VenueId[] = ['binance', 'binance-futures', 'bybit'];
export const SYMBOLS = ['BTC-USDT', 'BTC-USDT-PERP'];
export const weird = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((x) => x / 100) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0, -1, NaN, Infinity, -Infinity, 1e300, 1e-300, Number.MAX_VALUE, Number.MIN_VALUE),
  },
);

export type Call =
  | { k: 'now'; now: number }
  | { k: 'trade'; v: number; s: number; ts: number | null; recv: number; px: number; qty: number; sell: boolean }
  | {
      k: 'top';
      v: number;
      s: number;
      ts: number | null;
      recv: number;
      bp: number;
      bq: number;
      ap: number;
      aq: number;
      valid: boolean;
    }
  | {
      k: 'depth';
      v: number;
      s: number;
      ts: number | null;
      recv: number;
      bids: number[];
      asks: number[];
      valid: boolean;
    }
  | { k: 'state'; v: number; s: number; valid: boolean; emit: boolean }
  | { k: 'idle'; now: number }
  | { k: 'flush' };

const base = 1_700_000_000_000_000;
const time = fc.integer({ min: 0, max: 20_000_000 }).map((x) => base + x);
const maybeNull = fc.option(time, { nil: null, freq: 8 });
const venue = fc.integer({ min: 0, max: VENUE_CHOICES.length - 1 });
const sym = fc.integer({ min: 0, max: SYMBOLS.length - 1 });

export const callArb = (values: fc.Arbitrary<number>): fc.Arbitrary<Call> =>
  fc.oneof(
    { weight: 1, arbitrary: time.map((now): Call => ({ k: 'now', now })) },
    {
      weight: 6,
      arbitrary: fc
        .record({ v: venue, s: sym, ts: maybeNull, recv: time, px: values, qty: values, sell: fc.boolean() })
        .map((c): Call => ({ k: 'trade', ...c })),
    },
    {
      weight: 6,
      arbitrary: fc
        .record({
          v: venue,
          s: sym,
          ts: maybeNull,
          recv: time,
          bp: values,
          bq: values,
          ap: values,
          aq: values,
          valid: fc.boolean(),
        })
        .map((c): Call => ({ k: 'top', ...c })),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({
          v: venue,
          s: sym,
          ts: maybeNull,
          recv: time,
          bids: fc.array(values, { maxLength: 7 }),
          asks: fc.array(values, { maxLength: 7 }),
          valid: fc.boolean(),
        })
        .map((c): Call => ({ k: 'depth', ...c })),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({ v: venue, s: sym, valid: fc.boolean(), emit: fc.boolean() })
        .map((c): Call => ({ k: 'state', ...c })),
    },
    { weight: 1, arbitrary: time.map((now): Call => ({ k: 'idle', now })) },
    { weight: 1, arbitrary: fc.constant<Call>({ k: 'flush' }) },
  );

export function apply(e: SignalEngine, c: Call): SignalRecord[] {
  switch (c.k) {
    case 'now':
      e.setNow(c.now);
      return [];
    case 'trade':
      return e.onTrade(VENUE_CHOICES[c.v]!, SYMBOLS[c.s]!, c.ts, c.recv, c.px, c.qty, c.sell ? 'sell' : 'buy');
    case 'top':
      return e.onTop(VENUE_CHOICES[c.v]!, SYMBOLS[c.s]!, c.ts, c.recv, c.bp, c.bq, c.ap, c.aq, c.valid);
    case 'depth':
      return e.onDepth(VENUE_CHOICES[c.v]!, SYMBOLS[c.s]!, c.ts, c.recv, c.bids, c.asks, c.valid);
    case 'state':
      return e.onBookState(VENUE_CHOICES[c.v]!, SYMBOLS[c.s]!, c.valid, c.emit);
    case 'idle':
      return e.advanceIdle(c.now);
    case 'flush':
      return e.flush();
  }
}
