// The native normalizers read their venues' hottest frames by shortcuts
// (native/normalize/scan.h: fixed key layouts, 16-byte decimal and integer
// reads) that hand anything unusual to the general path. These properties aim
// at the shortcuts' edges — numbers at and past 16 characters, near the end of
// the frame, leading zeros, fractions and exponents where integers belong,
// keys out of Binance's order, missing or repeated — and require every frame
// to give exactly what the TS reference gives.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CanonicalEvent, Market, VenueId } from '../../src/events';
import { normalizeFrames } from '../../src/engine/normalize';
import { ReferenceNormalizer } from '../../src/reference/index';

const RECV_TS = 1_700_000_000_123_456;
const utf8 = new TextEncoder();
const reference = new ReferenceNormalizer();

function agree(venue: VenueId, raw: string, market?: Market): void {
  const native: CanonicalEvent[] = normalizeFrames([{ venue, raw, recvTs: RECV_TS, market }]);
  assert.deepStrictEqual(native, reference.normalize(venue, utf8.encode(raw), RECV_TS, market), raw);
}

const digits = (min: number, max: number) =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));

// Decimal text around the 16-character fast path: plain, fractional, long,
// and the forms the fast path must hand over (exponent, sign, stray bytes).
const decimalText = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(digits(1, 10), digits(0, 10)).map(([i, f]) => (f ? `${i}.${f}` : i)) },
  { weight: 2, arbitrary: fc.tuple(digits(1, 12), digits(1, 12)).map(([i, f]) => `${i}.${f}`) },
  { weight: 1, arbitrary: digits(0, 22) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', '.', '.5', '5.', '1e5', '1E-3', '-1', '+1', ' 1', '1 ', '0x10', 'NaN', '1.2.3'),
  },
  // Mantissas either side of 2^52 (the paired converter hands 2^52 and up over) and of 2^53.
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '4503599627370495',
      '4503599627370496',
      '450359962737049.7',
      '0.4503599627370495',
      '9007199254740992',
      '9007199254740993',
      '900719925474099.3',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(digits(1, 8), fc.constantFrom('e', 'E', '-', '"', '\\\\', 'x')).map(([d, c]) => d + c),
  },
);

// A JSON number token where venues put integers (ids, times, sequences).
const intToken = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt(0n, 10n ** 16n).map(String) },
  { weight: 1, arbitrary: digits(1, 20) }, // leading zeros: not JSON
  { weight: 1, arbitrary: fc.constantFrom('0', '-5', '1.5', '1e3', '9007199254740993', '"12"', 'null', 'true') },
);

const bool = fc.constantFrom('true', 'false', '1', 'null');

type Member = [key: string, value: string];

// The members in Binance's order, or with a change that leaves the layout.
function arrange(members: Member[], change: number): Member[] {
  const out = [...members];
  const i = change % out.length;
  switch (Math.floor(change / out.length) % 5) {
    case 0:
    case 1:
      return out; // as Binance sends it (most runs)
    case 2: {
      const j = (i + 1) % out.length;
      [out[i], out[j]] = [out[j]!, out[i]!];
      return out;
    }
    case 3:
      out.splice(i, 1);
      return out;
    default:
      out.splice(i, 0, out[i]!);
      return out;
  }
}

const object = (members: Member[]): string => `{${members.map(([k, v]) => `"${k}":${v}`).join(',')}}`;
const quoted = (s: string): string => `"${s}"`;

describe('native fast paths agree with the TS reference', () => {
  it('Binance trades, aggTrades and bookTickers in every layout the fast path knows, and near misses', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          'spot-trade',
          'futures-trade',
          'spot-agg',
          'futures-agg',
          'futures-agg-documented',
          'spot-ticker',
          'futures-ticker',
        ),
        fc.record({ p: decimalText, q: decimalText, b: decimalText, a: decimalText }),
        fc.record({ id: intToken, time: intToken, other: intToken }),
        fc.record({
          m: bool,
          combined: fc.boolean(),
          change: fc.nat(1000),
          // Symbols around the 16-byte string read: short, 15 and 16 bytes, long, escaped.
          symbol: fc.constantFrom(
            'BNBBTC',
            'BTCUSDT',
            'A',
            '',
            'ABCDEFGHIJKLMNO',
            'ABCDEFGHIJKLMNOP',
            '1000SATSUSDT_ABCDEFG',
            'BNB\\"BTC',
            'BNB\\u0042TC',
          ),
          M: fc.constantFrom('true', 'true', 'false', '1'),
        }),
        (layout, dec, ints, opts) => {
          const s = quoted(opts.symbol);
          const spotAggWithoutM: Member[] = [
            ['e', '"aggTrade"'],
            ['E', ints.other],
            ['s', s],
            ['a', ints.id],
            ['p', quoted(dec.p)],
            ['q', quoted(dec.q)],
            ['f', '100'],
            ['l', '105'],
            ['T', ints.time],
            ['m', opts.m],
          ];
          const byLayout: Record<string, Member[]> = {
            'spot-trade': [
              ['e', '"trade"'],
              ['E', ints.other],
              ['s', s],
              ['t', ints.id],
              ['p', quoted(dec.p)],
              ['q', quoted(dec.q)],
              ['T', ints.time],
              ['m', opts.m],
              ['M', opts.M],
            ],
            'futures-trade': [
              ['e', '"trade"'],
              ['E', ints.other],
              ['T', ints.time],
              ['s', s],
              ['t', ints.id],
              ['p', quoted(dec.p)],
              ['q', quoted(dec.q)],
              ['X', '"MARKET"'],
              ['m', opts.m],
            ],
            'spot-agg': [...spotAggWithoutM, ['M', 'true']],
            'futures-agg': [
              ['e', '"aggTrade"'],
              ['E', ints.other],
              ['a', ints.id],
              ['s', s],
              ['p', quoted(dec.p)],
              ['q', quoted(dec.q)],
              ['f', '100'],
              ['l', '105'],
              ['T', ints.time],
              ['m', opts.m],
            ],
            // Binance's documentation prints futures aggTrades in the spot order, without M.
            'futures-agg-documented': spotAggWithoutM,
            'spot-ticker': [
              ['u', ints.other],
              ['s', s],
              ['b', quoted(dec.b)],
              ['B', quoted(dec.q)],
              ['a', quoted(dec.a)],
              ['A', quoted(dec.p)],
            ],
            'futures-ticker': [
              ['e', '"bookTicker"'],
              ['u', ints.other],
              ['s', s],
              ['b', quoted(dec.b)],
              ['B', quoted(dec.q)],
              ['a', quoted(dec.a)],
              ['A', quoted(dec.p)],
              ['T', ints.time],
              ['E', ints.id],
            ],
          };
          const event = object(arrange(byLayout[layout]!, opts.change));
          const raw = opts.combined ? `{"stream":"x@trade","data":${event}}` : event;
          agree(layout.startsWith('futures') ? 'binance-futures' : 'binance', raw);
        },
      ),
      { numRuns: 4000 },
    );
  });

  // native/venues/binance.cpp depthUpdateAfterType: the spot and futures key
  // orders read straight through, levels by scan::levels (the last ones near
  // the frame's end through a zero-padded copy).
  it('Binance depth diffs in both layouts, plain and combined, and near misses', () => {
    const level = fc.oneof(
      { weight: 8, arbitrary: fc.tuple(decimalText, decimalText).map(([px, qty]) => `[${quoted(px)},${quoted(qty)}]`) },
      { weight: 1, arbitrary: fc.constantFrom('["1.5"]', '["1","2","3"]', '[1.5,"2"]', '[]', '"1"', '{}') },
    );
    fc.assert(
      fc.property(
        fc.constantFrom('binance', 'binance-futures'),
        fc.array(level, { maxLength: 6 }),
        fc.array(level, { maxLength: 6 }),
        fc.record({ E: intToken, T: intToken, U: intToken, u: intToken, pu: intToken }),
        fc.record({
          combined: fc.boolean(),
          change: fc.nat(1000),
          symbol: fc.constantFrom('BNBBTC', 'KEEPUSDT', 'ABCDEFGHIJKLMNOP', '', 'BNB\\u0042TC'),
        }),
        (venue, bids, asks, ints, opts) => {
          const futures = venue === 'binance-futures';
          const members: Member[] = [
            ['e', '"depthUpdate"'],
            ['E', ints.E],
            ...(futures ? ([['T', ints.T]] as Member[]) : []),
            ['s', quoted(opts.symbol)],
            ['U', ints.U],
            ['u', ints.u],
            ...(futures ? ([['pu', ints.pu]] as Member[]) : []),
            ['b', `[${bids.join(',')}]`],
            ['a', `[${asks.join(',')}]`],
          ];
          const event = object(arrange(members, opts.change));
          agree(venue, opts.combined ? `{"stream":"keepusdt@depth@100ms","data":${event}}` : event);
        },
      ),
      { numRuns: 4000 },
    );
  });

  // native/venues/kraken.cpp bookLayout: a book snapshot or update with one
  // book in Kraken's key order, prices and sizes as JSON numbers read from
  // their text (decimalParts' form only), checksum and timestamp optional.
  it('Kraken books in the layout the fast path knows, and near misses', () => {
    const numberText = fc.oneof(
      { weight: 6, arbitrary: decimalText.filter((t) => /^(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(t)) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('1e5', '1E-3', '-1', '-0.5', '01', '1.', '.5', '0', '0.00000000', '"1.5"', 'null'),
      },
    );
    const level = fc.tuple(numberText, numberText, fc.nat(20)).map(([px, qty, change]) =>
      object(
        arrange(
          [
            ['price', px],
            ['qty', qty],
          ],
          change,
        ),
      ),
    );
    fc.assert(
      fc.property(
        fc.array(level, { maxLength: 6 }),
        fc.array(level, { maxLength: 6 }),
        fc.record({
          type: fc.constantFrom('"update"', '"snapshot"', '"delta"'),
          checksum: fc.option(intToken, { nil: undefined }),
          timestamp: fc.option(
            fc.constantFrom(
              '"2025-05-06T09:17:26.208075Z"',
              '"2025-05-06T09:17:26Z"',
              '"1969-12-31T23:59:59.5Z"',
              '"2025-13-06T09:17:26.208075Z"',
              '"yesterday"',
              '12',
            ),
            { nil: undefined },
          ),
          symbol: fc.constantFrom('"ETH/USD"', '"BTC/USD"', '"XBT"', '""', '"ETH\\/USD"'),
          books: fc.constantFrom(1, 1, 1, 2),
          change: fc.nat(1000),
        }),
        (bids, asks, f) => {
          const book: Member[] = [
            ['symbol', f.symbol],
            ['bids', `[${bids.join(',')}]`],
            ['asks', `[${asks.join(',')}]`],
          ];
          if (f.checksum !== undefined) book.push(['checksum', f.checksum]);
          if (f.timestamp !== undefined) book.push(['timestamp', f.timestamp]);
          const data = object(arrange(book, f.change));
          const raw = object([
            ['channel', '"book"'],
            ['type', f.type],
            ['data', `[${Array(f.books).fill(data).join(',')}]`],
          ]);
          agree('kraken', raw);
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('Bybit order books and trades in the layout the fast path knows, and near misses', () => {
    const level = fc.tuple(decimalText, decimalText).map(([px, qty]) => `[${quoted(px)},${quoted(qty)}]`);
    const trade = fc
      .record({
        T: intToken,
        side: fc.constantFrom('"Buy"', '"Sell"', '"buy"'),
        v: decimalText,
        p: decimalText,
        i: fc.oneof(intToken, fc.constant('"20f43950-d8dd-5b31-9112-a178eb6023af"')),
        bt: bool,
        rpi: fc.option(bool, { nil: undefined }),
        seq: fc.option(intToken, { nil: undefined }),
        change: fc.nat(1000),
      })
      .map((t) => {
        const members: Member[] = [
          ['T', t.T],
          ['s', '"BTCUSDT"'],
          ['S', t.side],
          ['v', quoted(t.v)],
          ['p', quoted(t.p)],
          ['L', '"PlusTick"'],
          ['i', t.i],
          ['BT', t.bt],
        ];
        if (t.rpi !== undefined) members.push(['RPI', t.rpi]);
        if (t.seq !== undefined) members.push(['seq', t.seq]);
        return object(arrange(members, t.change));
      });
    fc.assert(
      fc.property(
        fc.array(level, { maxLength: 6 }),
        fc.array(level, { maxLength: 6 }),
        fc.array(trade, { minLength: 1, maxLength: 3 }),
        fc.record({
          u: intToken,
          ts: intToken,
          type: fc.constantFrom('"delta"', '"snapshot"', '"update"'),
          seq: fc.option(intToken, { nil: undefined }),
          cts: fc.option(intToken, { nil: undefined }),
          change: fc.nat(1000),
        }),
        fc.boolean(),
        (bids, asks, trades, f, isTrade) => {
          let raw: string;
          if (isTrade) {
            raw = object([
              ['topic', '"publicTrade.BTCUSDT"'],
              ['type', '"snapshot"'],
              ['ts', f.ts],
              ['data', `[${trades.join(',')}]`],
            ]);
          } else {
            const data: Member[] = [
              ['s', '"BTCUSDT"'],
              ['b', `[${bids.join(',')}]`],
              ['a', `[${asks.join(',')}]`],
              ['u', f.u],
            ];
            if (f.seq !== undefined) data.push(['seq', f.seq]);
            const top: Member[] = [
              ['topic', '"orderbook.50.BTCUSDT"'],
              ['type', f.type],
              ['ts', f.ts],
              ['data', object(arrange(data, f.change))],
            ];
            if (f.cts !== undefined) top.push(['cts', f.cts]);
            raw = object(arrange(top, Math.floor(f.change / 7)));
          }
          agree('bybit', raw, 'perp');
        },
      ),
      { numRuns: 4000 },
    );
  });

  // native/venues/bybit.cpp tradeFrame: the topic's symbol compared with each
  // trade's "s" (8-byte loads up to 16 bytes, memcmp past), strings found in
  // 16-byte steps, "type" and the booleans compared as literals, the frame's
  // ts and "seq" checked but not converted, at most 16 trades held.
  it('Bybit trades: symbols, strings and counts at the edges of the layout scan', () => {
    const symbol = fc.constantFrom(
      'BTCUSDT',
      'BTCUSD',
      'ETHBTC',
      'BTCUSDC',
      'ETH-26DEC25',
      'BTCUSDT-26DEC25',
      '1000000BABYDOGEUSDT',
      'BTC-27DEC24-100000-C',
      'ETH-PERP',
      'btcusdt',
      'X',
      '',
    );
    const char = fc.constantFrom(...'ABCXYZ0189-_.é');
    const odd = fc.constantFrom('\\"', '\\\\', '\\u0041', '\\n', '\u0001', '\u001f', '\u007f', '"', ' ');
    // Text between a string's quotes: lengths around the 16-byte steps, sometimes with an escape or a stray byte.
    const stringText = fc.oneof(
      { weight: 5, arbitrary: fc.array(char, { maxLength: 70 }).map((c) => c.join('')) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.array(char, { maxLength: 40 }), odd, fc.array(char, { maxLength: 20 }))
          .map(([a, x, b]) => a.join('') + x + b.join('')),
      },
    );
    // The topic's symbol with one byte changed (past the first 8 as often as not).
    const oneByteOff = (text: string) =>
      fc
        .tuple(fc.nat(Math.max(text.length - 1, 0)), char)
        .map(([at, c]) => text.slice(0, at) + (text[at] === c ? 'Q' : c) + text.slice(at + 1));
    // The value Bybit sends, or (one time in ten) a near miss.
    const maybe = <T>(usual: T, other: fc.Arbitrary<T>) =>
      fc.oneof({ weight: 10, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: other });
    const integer = (usual: string) =>
      maybe(
        usual,
        fc.oneof(
          intToken,
          digits(2, 16).map((d) => `0${d}`),
        ),
      );
    const trade = (topicSymbol: string) =>
      fc
        .record({
          T: integer('1786310819680'),
          s: maybe(topicSymbol, fc.oneof(symbol, stringText, oneByteOff(topicSymbol))),
          side: maybe('"Sell"', fc.constantFrom('"Buy"', '"buy"', '"Sel"', '"Selll"', 'true')),
          L: maybe('MinusTick', stringText),
          i: fc.oneof(
            stringText.map((t) => `"${t}"`),
            intToken,
            fc.constant('"a9188a0a-82bc-50de-be60-03eedbe3cdd7"'),
          ),
          bt: maybe('false', fc.constantFrom('true', 'null', 'False', '0')),
          rpi: fc.option(maybe('false', fc.constantFrom('true', 'null', '1')), { nil: undefined }),
          seq: fc.option(integer('753843954913'), { nil: undefined }),
          change: fc.nat(1000),
        })
        .map((t) => {
          const members: Member[] = [
            ['T', t.T],
            ['s', `"${t.s}"`],
            ['S', t.side],
            ['v', '"0.004"'],
            ['p', '"65114.20"'],
            ['L', `"${t.L}"`],
            ['i', t.i],
            ['BT', t.bt],
          ];
          if (t.rpi !== undefined) members.push(['RPI', t.rpi]);
          if (t.seq !== undefined) members.push(['seq', t.seq]);
          // Mostly in Bybit's order: the changes are the general path's.
          return object(t.change % 10 === 0 ? arrange(members, t.change) : members);
        });
    const frame = fc
      .record({
        topicSymbol: fc.oneof({ weight: 5, arbitrary: symbol }, { weight: 1, arbitrary: stringText }),
        type: maybe('"snapshot"', fc.constantFrom('"delta"', '"snapshot "', '1')),
        ts: integer('1786310819681'),
        count: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 3 }) }, fc.integer({ min: 0, max: 18 })),
      })
      .chain((f) =>
        fc.array(trade(f.topicSymbol), { minLength: f.count, maxLength: f.count }).map((trades) =>
          object([
            ['topic', `"publicTrade.${f.topicSymbol}"`],
            ['type', f.type],
            ['ts', f.ts],
            ['data', `[${trades.join(',')}]`],
          ]),
        ),
      );
    fc.assert(
      fc.property(frame, fc.constantFrom('perp', 'spot') as fc.Arbitrary<Market>, (raw, market) =>
        agree('bybit', raw, market),
      ),
      { numRuns: 4000 },
    );
  });
});
