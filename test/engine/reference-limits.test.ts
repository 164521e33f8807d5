// The limits native enforces on what goes into its records (docs/records.md:
// trade id and canonical symbol at most 64 UTF-8 bytes, else `wrong_type`;
// int64 fields, which have no -0) must be the reference's too: every frame
// here goes through both engines, which must agree, and gives a fixed outcome.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CanonicalEvent, Market, RejectReason, VenueId } from '../../src/events';
import { normalizeFrames } from '../../src/engine/normalize';
import { ReferenceNormalizer } from '../../src/reference/index';

const RECV_TS = 1_700_000_000_123_456;
const utf8 = new TextEncoder();
const reference = new ReferenceNormalizer();

/** Both engines' events for one frame, required to be identical. */
function both(venue: VenueId, raw: string, market?: Market): CanonicalEvent[] {
  const native = normalizeFrames([{ venue, raw, recvTs: RECV_TS, market }]);
  const ref = reference.normalize(venue, utf8.encode(raw), RECV_TS, market);
  assert.deepStrictEqual(ref, native, `engines disagree on ${venue} ${raw.slice(0, 160)}`);
  return native;
}

function expectReject(venue: VenueId, raw: string, reason: RejectReason, market?: Market): void {
  const out = both(venue, raw, market);
  assert.equal(out.length, 1, JSON.stringify(out).slice(0, 300));
  assert.ok(out[0]?.type === 'reject', `expected reject ${reason}: ${JSON.stringify(out[0]).slice(0, 300)}`);
  assert.equal(out[0].reason, reason);
}

function expectTrade(venue: VenueId, raw: string, symbol: string, id: string, market?: Market): void {
  const out = both(venue, raw, market);
  assert.equal(out.length, 1, JSON.stringify(out).slice(0, 300));
  assert.ok(out[0]?.type === 'trade', `expected a trade: ${JSON.stringify(out[0]).slice(0, 300)}`);
  assert.equal(out[0].symbol, symbol);
  assert.equal(out[0].id, id);
}

const bytes = (s: string): number => utf8.encode(s).byteLength;

interface TradeVenue {
  venue: VenueId;
  market?: Market;
  /** A trade frame with raw symbol `sym` and `id` (string, or the JSON text of a number). */
  frame(sym: string, id: string): string;
  /** A raw symbol whose canonical form is `n` bytes long (n >= 30), and that form. */
  symbolOf(n: number): [raw: string, canonical: string];
}

const TIME = '2023-01-01T00:00:00.123456Z';

// In each venue's own key order, so the native fast paths see them too.
const TRADE_VENUES: TradeVenue[] = [
  {
    venue: 'binance',
    frame: (s, id) =>
      JSON.stringify({ e: 'trade', E: 1672515782136, s, t: id, p: '0.001', q: '100', T: 1672515782136, m: true }),
    symbolOf: (n) => ['A'.repeat(n - 5) + 'USDT', 'A'.repeat(n - 5) + '-USDT'],
  },
  {
    venue: 'binance-futures',
    frame: (s, id) =>
      JSON.stringify({ e: 'trade', E: 1672515782136, T: 1672515782136, s, t: id, p: '0.001', q: '100', m: false }),
    symbolOf: (n) => ['a'.repeat(n - 10) + 'usdt', 'A'.repeat(n - 10) + '-USDT-PERP'],
  },
  {
    venue: 'coinbase',
    frame: (s, id) =>
      JSON.stringify({
        type: 'match',
        trade_id: id,
        maker_order_id: 'm',
        taker_order_id: 't',
        side: 'buy',
        size: '1',
        price: '2',
        product_id: s,
        sequence: 1,
        time: TIME,
      }),
    // Multi-byte text: the limit counts UTF-8 bytes, and only ASCII is upper-cased.
    symbolOf: (n) => ['é'.repeat(10) + 'x'.repeat(n - 24) + '-USD', 'é'.repeat(10) + 'X'.repeat(n - 24) + '-USD'],
  },
  {
    venue: 'coinbase-advanced',
    frame: (s, id) =>
      JSON.stringify({
        channel: 'market_trades',
        client_id: '',
        timestamp: TIME,
        sequence_num: 0,
        events: [
          {
            type: 'update',
            trades: [{ trade_id: id, product_id: s, price: '2', size: '1', side: 'SELL', time: TIME }],
          },
        ],
      }),
    symbolOf: (n) => ['B'.repeat(n - 4) + '-USD', 'B'.repeat(n - 4) + '-USD'],
  },
  {
    venue: 'kraken',
    frame: (s, id) =>
      JSON.stringify({
        channel: 'trade',
        type: 'update',
        data: [{ symbol: s, side: 'buy', price: 2, qty: 1, ord_type: 'market', trade_id: id, timestamp: TIME }],
      }),
    symbolOf: (n) => ['K'.repeat(n - 4) + '/USD', 'K'.repeat(n - 4) + '-USD'],
  },
  {
    venue: 'bybit',
    market: 'spot',
    frame: (s, id) =>
      JSON.stringify({
        topic: `publicTrade.${s}`,
        type: 'snapshot',
        ts: 1672304486868,
        data: [{ T: 1672304486865, s, S: 'Buy', v: '0.001', p: '16578.50', L: 'PlusTick', i: id, BT: false }],
      }),
    symbolOf: (n) => ['A'.repeat(n - 5) + 'USDT', 'A'.repeat(n - 5) + '-USDT'],
  },
  {
    venue: 'bybit',
    market: 'perp',
    frame: (s, id) =>
      JSON.stringify({
        topic: `publicTrade.${s}`,
        type: 'snapshot',
        ts: 1672304486868,
        data: [{ T: 1672304486865, s, S: 'Sell', v: '0.001', p: '16578.50', L: 'PlusTick', i: id, BT: false }],
      }),
    symbolOf: (n) => ['A'.repeat(n - 10) + 'USDT', 'A'.repeat(n - 10) + '-USDT-PERP'],
  },
  {
    venue: 'okx',
    frame: (s, id) =>
      JSON.stringify({
        arg: { channel: 'trades', instId: s },
        data: [{ instId: s, tradeId: id, px: '2', sz: '1', side: 'buy', ts: '1672304486865' }],
      }),
    symbolOf: (n) => ['O'.repeat(n - 10) + '-USDT-SWAP', 'O'.repeat(n - 10) + '-USDT-PERP'],
  },
];

// A JSON number id in the frame: the builders write ids as strings, so this swaps one in.
const numericId = (frame: string, token: string): string => frame.replace('"__ID__"', token);

describe('reference limits: trade id and symbol length (both engines)', () => {
  for (const v of TRADE_VENUES) {
    const name = v.market === undefined ? v.venue : `${v.venue} ${v.market}`;
    const [sym, canonical] = v.symbolOf(30);

    it(`${name}: a 64-byte trade id is kept, a 65-byte one is wrong_type`, () => {
      for (const id of ['x'.repeat(64), 'é'.repeat(32), 'ab€'.repeat(12) + 'x'.repeat(4)]) {
        assert.equal(bytes(id), 64);
        expectTrade(v.venue, v.frame(sym, id), canonical, id, v.market);
      }
      for (const id of ['x'.repeat(65), 'é'.repeat(32) + 'x', '€'.repeat(22)]) {
        assert.ok(bytes(id) > 64);
        expectReject(v.venue, v.frame(sym, id), 'wrong_type', v.market);
      }
    });

    it(`${name}: a 64-byte canonical symbol is kept, a 65-byte one is wrong_type`, () => {
      const [sym64, canonical64] = v.symbolOf(64);
      assert.equal(bytes(canonical64), 64);
      expectTrade(v.venue, v.frame(sym64, '7'), canonical64, '7', v.market);
      const [sym65, canonical65] = v.symbolOf(65);
      assert.equal(bytes(canonical65), 65);
      expectReject(v.venue, v.frame(sym65, '7'), 'wrong_type', v.market);
    });

    it(`${name}: a numeric trade id -0 is "0"`, () => {
      for (const token of ['-0', '-0.0', '-0e3']) {
        expectTrade(v.venue, numericId(v.frame(sym, '__ID__'), token), canonical, '0', v.market);
      }
    });
  }

  it('a raw symbol that is long only before canonicalisation is not limited', () => {
    // OKX `-SWAP` -> `-PERP` keeps the length; Binance futures adds a dash and `-PERP`.
    const raw = 'O'.repeat(54) + '-USDT-SWAP';
    expectTrade(
      'okx',
      TRADE_VENUES.find((t) => t.venue === 'okx')!.frame(raw, '1'),
      'O'.repeat(54) + '-USDT-PERP',
      '1',
    );
    const futures = TRADE_VENUES.find((t) => t.venue === 'binance-futures')!;
    expectReject('binance-futures', futures.frame('A'.repeat(55) + 'USDT', '1'), 'wrong_type');
  });

  // docs/events.md: a missing_field/wrong_type anywhere beats a value error
  // found earlier; within a tier the first in reading order (the id before `T`) wins.
  it('a length check outranks value errors and follows reading order', () => {
    const binance = TRADE_VENUES[0]!;
    const longId = 'x'.repeat(65);
    const longSym = binance.symbolOf(65)[0];
    const good = JSON.parse(binance.frame('BNBBTC', '1')) as Record<string, unknown>;
    const frame = (patch: Record<string, unknown>): string => JSON.stringify({ ...good, ...patch });
    expectReject('binance', frame({ t: longId, T: undefined }), 'wrong_type');
    expectReject('binance', frame({ t: 1, T: undefined }), 'missing_field');
    expectReject('binance', frame({ t: longId, p: '-1' }), 'wrong_type');
    expectReject('binance', frame({ t: longId, T: 1.5 }), 'wrong_type');
    expectReject('binance', frame({ s: longSym, p: '-1' }), 'wrong_type');
    expectReject('binance', frame({ t: 1, p: '-1' }), 'negative_value');
    // OKX books: the symbol (in `arg`) is read before the levels.
    expectReject(
      'okx',
      JSON.stringify({
        arg: { channel: 'books', instId: 'O'.repeat(65) },
        action: 'snapshot',
        data: [{ asks: [['-1', '1']], bids: [], ts: '1' }],
      }),
      'wrong_type',
    );
    // Bybit: another element's value error, before or after, does not hide a trade's long id.
    const bybit = JSON.parse(TRADE_VENUES[5]!.frame('BTCUSDT', longId)) as { data: Record<string, unknown>[] };
    bybit.data.push({ ...bybit.data[0], i: '2', p: '-1' });
    expectReject('bybit', JSON.stringify(bybit), 'wrong_type', 'spot');
    bybit.data.reverse();
    expectReject('bybit', JSON.stringify(bybit), 'wrong_type', 'spot');
  });
});

// ---- -0 in integer fields ----

/** `frame` with every `__Z__` replaced by the JSON token `token`. */
const withZero = (frame: string, token: string): string => frame.replaceAll('"__Z__"', token);

interface ZeroCase {
  venue: VenueId;
  market?: Market;
  frame: string;
  /** Expected values of the first event's fields: exact, +0 not -0. */
  expect: Record<string, number | null | undefined>;
}

const Z = '__Z__';
const ZERO_CASES: ZeroCase[] = [
  {
    venue: 'binance',
    frame: JSON.stringify({ e: 'trade', E: 1, s: 'BNBBTC', t: 5, p: '1', q: '1', T: Z, m: true }),
    expect: { ts: 0 },
  },
  {
    venue: 'binance',
    frame: JSON.stringify({ e: 'depthUpdate', E: Z, s: 'BNBBTC', U: Z, u: Z, b: [['1', '1']], a: [] }),
    expect: { ts: 0, seq: 0, prevSeq: -1 },
  },
  {
    venue: 'binance-futures',
    frame: JSON.stringify({ e: 'depthUpdate', E: 1, T: Z, s: 'BNBBTC', U: 1, u: Z, pu: Z, b: [], a: [] }),
    expect: { ts: 0, seq: 0, prevSeq: 0 },
  },
  {
    venue: 'binance-futures',
    frame: JSON.stringify({ rest: { lastUpdateId: Z, E: 1, T: Z, bids: [], asks: [] }, symbol: 'BTCUSDT' }),
    expect: { ts: 0, seq: 0 },
  },
  {
    venue: 'binance-futures',
    frame: JSON.stringify({ e: 'markPriceUpdate', E: Z, s: 'BTCUSDT', p: '1', i: '1', r: '0.0001', T: Z }),
    // T: -0 is "no next funding", as T: 0.
    expect: { ts: 0, nextFundingTs: undefined },
  },
  {
    venue: 'bybit',
    market: 'spot',
    frame: JSON.stringify({
      topic: 'publicTrade.BTCUSDT',
      type: 'snapshot',
      ts: 1,
      data: [{ T: Z, s: 'BTCUSDT', S: 'Buy', v: '1', p: '1', L: 'PlusTick', i: 'a', BT: false }],
    }),
    expect: { ts: 0 },
  },
  {
    venue: 'bybit',
    market: 'perp',
    frame: JSON.stringify({
      topic: 'orderbook.50.BTCUSDT',
      type: 'snapshot',
      ts: 1,
      data: { s: 'BTCUSDT', b: [['1', '1']], a: [], u: Z, seq: 1 },
      cts: Z,
    }),
    expect: { ts: 0, seq: 0 },
  },
  {
    venue: 'bybit',
    market: 'perp',
    frame: JSON.stringify({
      topic: 'tickers.BTCUSDT',
      type: 'delta',
      ts: Z,
      data: { symbol: 'BTCUSDT', markPrice: '1' },
    }),
    expect: { ts: 0 },
  },
  {
    venue: 'okx',
    frame: JSON.stringify({
      arg: { channel: 'books', instId: 'BTC-USDT' },
      action: 'snapshot',
      data: [{ asks: [['1', '1', '0', '1']], bids: [], ts: Z, checksum: Z, prevSeqId: Z, seqId: Z }],
    }),
    expect: { ts: 0, seq: 0, prevSeq: 0, checksum: 0 },
  },
  {
    venue: 'okx',
    frame: JSON.stringify({
      arg: { channel: 'funding-rate', instId: 'BTC-USDT-SWAP' },
      data: [{ instId: 'BTC-USDT-SWAP', fundingRate: '0.0001', fundingTime: Z, ts: Z }],
    }),
    expect: { ts: 0, nextFundingTs: 0 },
  },
  {
    venue: 'kraken',
    frame: JSON.stringify({
      channel: 'book',
      type: 'update',
      data: [{ symbol: 'BTC/USD', bids: [{ price: 1, qty: 1 }], asks: [], checksum: Z, timestamp: TIME }],
    }),
    expect: { checksum: 0 },
  },
  {
    venue: 'coinbase-advanced',
    frame: JSON.stringify({
      channel: 'l2_data',
      client_id: '',
      timestamp: TIME,
      sequence_num: Z,
      events: [{ type: 'update', product_id: 'BTC-USD', updates: [] }],
    }),
    expect: { seq: 0 },
  },
];

describe('reference limits: -0 in integer fields (both engines)', () => {
  for (const c of ZERO_CASES) {
    const name = `${c.venue}${c.market === undefined ? '' : ` ${c.market}`} ${Object.keys(c.expect).join(', ')}`;
    it(`${name}: -0 gives 0`, () => {
      for (const token of ['-0', '-0.0', '-0e3', '-0E-2']) {
        const raw = withZero(c.frame, token);
        const out = both(c.venue, raw, c.market);
        assert.equal(out.length, 1, JSON.stringify(out).slice(0, 300));
        const event = out[0] as unknown as Record<string, unknown>;
        assert.notEqual(event.type, 'reject', raw);
        for (const [field, value] of Object.entries(c.expect)) {
          // Object.is: deepStrictEqual's SameValue, so -0 fails where 0 is expected.
          const got = Object.is(event[field], -0) ? '-0' : String(event[field]);
          assert.ok(Object.is(event[field], value), `${field}: ${got} in ${raw}`);
        }
      }
    });
  }
});
