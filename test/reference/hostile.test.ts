// Hostile input: every bad frame yields exactly one reject with the documented
// reason (docs/events.md, "Rejects"), and nothing makes normalize() throw.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MARKETS, VENUES, type CanonicalEvent, type Market, type RejectReason, type VenueId } from '../../src/events';
import { ReferenceNormalizer } from '../../src/reference/index';
import { loadFixtureCases } from '../support/fixtures';
import { mutateOneField } from '../support/mutate';

const engine = new ReferenceNormalizer();
const utf8 = new TextEncoder();
const RECV_TS = 1_700_000_000_000_000;

function run(
  venue: VenueId,
  frame: string | Uint8Array,
  market?: Market,
  n: ReferenceNormalizer = engine,
): CanonicalEvent[] {
  return n.normalize(venue, typeof frame === 'string' ? utf8.encode(frame) : frame, RECV_TS, market);
}

function expectReject(
  venue: VenueId,
  frame: string | Uint8Array,
  reason: RejectReason,
  market?: Market,
  n?: ReferenceNormalizer,
): void {
  const out = run(venue, frame, market, n);
  assert.equal(out.length, 1, `expected one reject, got ${JSON.stringify(out).slice(0, 300)}`);
  const [event] = out;
  assert.ok(
    event !== undefined && event.type === 'reject',
    `expected reject, got ${JSON.stringify(event).slice(0, 300)}`,
  );
  assert.equal(event.reason, reason);
  assert.equal(event.venue, venue);
}

const BINANCE_TRADE = {
  e: 'trade',
  E: 1672515782136,
  s: 'BNBBTC',
  t: 12345,
  p: '0.001',
  q: '100',
  T: 1672515782136,
  m: true,
};
const binanceTrade = (patch: Record<string, unknown>): string => JSON.stringify({ ...BINANCE_TRADE, ...patch });
const krakenTrade = (patch: Record<string, unknown>): string =>
  JSON.stringify({
    channel: 'trade',
    type: 'update',
    data: [
      {
        symbol: 'BTC/USD',
        side: 'buy',
        price: 1,
        qty: 2,
        ord_type: 'limit',
        trade_id: 7,
        timestamp: '2023-09-25T07:49:37.708706Z',
        ...patch,
      },
    ],
  });
const okxTrade = (patch: Record<string, unknown>): string =>
  JSON.stringify({
    arg: { channel: 'trades', instId: 'BTC-USDT' },
    data: [{ instId: 'BTC-USDT', tradeId: '1', px: '1', sz: '2', side: 'buy', ts: '1630048897897', ...patch }],
  });

/** One valid frame per venue (from the shared fixtures), to truncate and mutate. */
const SAMPLE_FRAMES: ReadonlyArray<[VenueId, string, Market]> = VENUES.map((venue) => {
  const c = loadFixtureCases().find((x) => x.venue === venue && x.expected?.some((e) => e.type === 'trade'));
  assert.ok(c, `no trade fixture for ${venue}`);
  return [venue, c.raw, c.market];
});

describe('hostile frames → exactly one reject with the documented reason', () => {
  it('truncated frames of every venue are malformed_json', () => {
    for (const [venue, raw, market] of SAMPLE_FRAMES) {
      assert.ok(
        run(venue, raw, market).every((e) => e.type !== 'reject'),
        `${venue} sample itself must normalize`,
      );
      for (const cut of [1, Math.floor(raw.length / 2), raw.length - 1])
        expectReject(venue, raw.slice(0, cut), 'malformed_json', market);
    }
    expectReject('binance', '', 'malformed_json');
    expectReject('okx', 'po', 'malformed_json');
  });

  it('fields of the wrong JSON type are wrong_type', () => {
    expectReject('binance', binanceTrade({ p: 0.001 }), 'wrong_type');
    expectReject('binance', binanceTrade({ m: 'true' }), 'wrong_type');
    expectReject('binance', binanceTrade({ s: null }), 'wrong_type');
    expectReject('binance', '{"stream":"x","data":[1]}', 'wrong_type');
    expectReject('kraken', krakenTrade({ price: '1.0' }), 'wrong_type');
    expectReject('kraken', krakenTrade({ side: 'b' }), 'wrong_type');
    expectReject('okx', okxTrade({ ts: true }), 'wrong_type');
    expectReject('bybit', '{"topic":"publicTrade.BTCUSDT","ts":1,"data":{"s":"BTCUSDT"}}', 'wrong_type');
    expectReject(
      'coinbase',
      '{"type":"l2update","product_id":"BTC-USD","time":"2021-04-17T16:43:37.078325Z","changes":[["up","1","2"]]}',
      'wrong_type',
    );
  });

  it('missing required fields are missing_field', () => {
    const { p: _p, ...withoutPrice } = BINANCE_TRADE;
    expectReject('binance', JSON.stringify(withoutPrice), 'missing_field');
    expectReject('okx', okxTrade({ px: undefined }), 'missing_field');
    expectReject(
      'coinbase-advanced',
      '{"channel":"l2_data","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":0}',
      'missing_field',
    );
  });

  it('NaN, non-decimal and overflowing numbers are bad_number; a sign on a price or size is negative_value', () => {
    for (const text of [
      'NaN',
      '',
      'Infinity',
      '0x10',
      '1,5',
      '+1',
      '1.',
      '.',
      'e5',
      '1e',
      '1e999',
      ' 1',
      '0.-10000',
      '-abc',
    ]) {
      expectReject('binance', binanceTrade({ q: text }), 'bad_number');
    }
    for (const text of ['-1', '-0', '-0.5e3']) expectReject('binance', binanceTrade({ q: text }), 'negative_value');
    expectReject('kraken', krakenTrade({ qty: -1 }), 'negative_value');
    expectReject('kraken', krakenTrade({}).replace('"qty":2', '"qty":-0'), 'negative_value');
    // Numeric trade ids are kept as digits, so they must be exact: safe, non-negative integers.
    expectReject('binance', binanceTrade({ t: 2 ** 53 }), 'bad_number');
    expectReject('binance', binanceTrade({ t: 1.5 }), 'bad_number');
    expectReject('binance', binanceTrade({ t: -1 }), 'bad_number');
    expectReject('binance', binanceTrade({ t: true }), 'wrong_type');
    const [idEvent] = run('binance', binanceTrade({}).replace('"t":12345', '"t":1.2345e4'));
    assert.ok(idEvent?.type === 'trade');
    assert.equal(idEvent.id, '12345');
    // A funding rate may be negative; a mark price may not.
    const mark = { e: 'markPriceUpdate', E: 1, s: 'BTCUSDT', p: '1', i: '1', r: '-0.0001', T: 0 };
    assert.equal(run('binance-futures', JSON.stringify(mark))[0]?.type, 'derivative');
    expectReject('binance-futures', JSON.stringify({ ...mark, p: '-1' }), 'negative_value');
  });

  it('bad timestamps are bad_timestamp; pre-epoch RFC 3339 times become ts null', () => {
    expectReject('binance', binanceTrade({ T: -1 }), 'bad_timestamp');
    expectReject('binance', binanceTrade({ T: 1.5 }), 'bad_timestamp');
    expectReject('okx', okxTrade({ ts: '16300488978x7' }), 'bad_timestamp');
    expectReject('kraken', krakenTrade({ timestamp: '2023-02-30T00:00:00Z' }), 'bad_timestamp');
    expectReject('kraken', krakenTrade({ timestamp: '2023-09-25 07:49:37Z' }), 'bad_timestamp');
    expectReject('kraken', krakenTrade({ timestamp: '2023-09-25T07:49:60Z' }), 'bad_timestamp');
    const [event] = run('kraken', krakenTrade({ timestamp: '0001-01-01T00:00:00.000000Z' }));
    assert.ok(event?.type === 'trade');
    assert.equal(event.ts, null);
    const [shifted] = run('kraken', krakenTrade({ timestamp: '2023-09-25T09:49:37.7087069+02:00' }));
    assert.ok(shifted?.type === 'trade');
    assert.equal(shifted.ts, 1695628177708706);
  });

  it('structural errors outrank value errors found earlier in the frame', () => {
    const { T: _t, ...withoutTime } = BINANCE_TRADE;
    expectReject('binance', JSON.stringify({ ...withoutTime, p: 'NaN' }), 'missing_field');
    const twoTrades = JSON.stringify({
      topic: 'publicTrade.BTCUSDT',
      ts: 1,
      data: [
        { T: 1, s: 'BTCUSDT', S: 'Buy', v: '-1', p: '1', i: 'a' },
        { T: 1, s: 'BTCUSDT', S: 'Up', v: '1', p: '1', i: 'b' },
      ],
    });
    expectReject('bybit', twoTrades, 'wrong_type');
  });

  it('a frame that fails after yielding events emits only the reject', () => {
    const frame = JSON.stringify({
      topic: 'publicTrade.BTCUSDT',
      ts: 1,
      data: [
        { T: 1, s: 'BTCUSDT', S: 'Buy', v: '1', p: '1', i: 'a' },
        { T: 1, s: 'BTCUSDT', S: 'Buy', v: '1', p: 'x', i: 'b' },
      ],
    });
    expectReject('bybit', frame, 'bad_number');
  });

  it('unknown channels and event types are unknown_message', () => {
    expectReject('binance', '{"e":"kline","E":1,"s":"BTCUSDT","k":{}}', 'unknown_message');
    expectReject('binance', '{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"1"}', 'unknown_message'); // spot has no mark price
    expectReject('binance', '[1,2,3]', 'unknown_message');
    expectReject('binance-futures', '{"foo":1}', 'unknown_message');
    expectReject('coinbase', '{"type":"full"}', 'unknown_message');
    expectReject('coinbase-advanced', '{"channel":"user","events":[]}', 'unknown_message');
    expectReject('kraken', '{"channel":"ohlc","data":[]}', 'unknown_message');
    expectReject('bybit', '{"topic":"kline.1.BTCUSDT","data":[]}', 'unknown_message');
    expectReject('bybit', '{"success":true,"ret_msg":"","op":"auth"}', 'unknown_message');
    expectReject('okx', '{"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[]}', 'unknown_message');
    expectReject('okx', 'ping', 'malformed_json');
    expectReject('okx', '42', 'unknown_message');
  });

  it('a 1 MB frame under the limit is normalized; 1 MB of garbage is malformed_json', () => {
    const levels: string[] = [];
    for (let i = 0; levels.join(',').length < 1_000_000; i++) levels.push(`["${(1000 + i * 0.01).toFixed(2)}","1.5"]`);
    const big = `{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[${levels.join(',')}],"a":[]}`;
    assert.ok(big.length > 1_000_000);
    const out = run('binance', big);
    assert.equal(out.length, 1);
    assert.ok(out[0]?.type === 'book');
    assert.equal(out[0].bids.length, levels.length);
    expectReject('binance', `{"e":"trade","x":"${'a'.repeat(1_000_000)}`, 'malformed_json');
  });

  it('frames above maxFrameBytes are oversized, checked before UTF-8 and JSON', () => {
    const small = new ReferenceNormalizer({ maxFrameBytes: 64 });
    expectReject('binance', binanceTrade({}), 'oversized', undefined, small);
    expectReject('binance', new Uint8Array(65).fill(0xff), 'oversized', undefined, small);
    assert.equal(run('binance', new Uint8Array(64).fill(0x20), undefined, small)[0]?.type, 'reject');
    expectReject('binance', new Uint8Array(64).fill(0xff), 'invalid_utf8', undefined, small);
    expectReject('okx', new Uint8Array(4 * 1024 * 1024 + 1).fill(0x20), 'oversized');
  });

  it('JSON nested deeper than 64 is malformed_json; 64 levels and brackets inside strings are fine', () => {
    const nest = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
    expectReject('binance', nest(65), 'malformed_json');
    expectReject('binance', nest(100_000), 'malformed_json');
    expectReject('kraken', `{"channel":"trade","x":${nest(64)}}`, 'malformed_json');
    const deepButLegal = JSON.stringify({ ...BINANCE_TRADE, x: JSON.parse(nest(63)) as unknown });
    assert.equal(run('binance', deepButLegal)[0]?.type, 'trade');
    const bracketsInString = binanceTrade({ x: '['.repeat(1000) + '\\"{{{' });
    assert.equal(run('binance', bracketsInString)[0]?.type, 'trade');
  });

  it('invalid UTF-8 is invalid_utf8 and the sample carries U+FFFD', () => {
    const frames = [
      [0x7b, 0xff, 0x7d], // 0xFF never appears in UTF-8
      [0x7b, 0xc0, 0x80, 0x7d], // overlong NUL
      [0x7b, 0xed, 0xa0, 0x80, 0x7d], // encoded surrogate
      [0x7b, 0x22, 0xe2, 0x82], // truncated sequence
    ];
    for (const bytes of frames) expectReject('okx', Uint8Array.from(bytes), 'invalid_utf8');
    const [event] = run('binance', Uint8Array.from([0x7b, 0xff, 0x7d]));
    assert.ok(event?.type === 'reject');
    assert.equal(event.sample, '{\uFFFD}');
  });

  it('the reject sample is the first 96 bytes of the frame', () => {
    const frame = binanceTrade({ p: 'bad', pad: 'x'.repeat(200) });
    const [event] = run('binance', frame);
    assert.ok(event?.type === 'reject');
    assert.equal(event.sample, frame.slice(0, 96));
  });
});

describe('normalize never throws', () => {
  const venues = fc.constantFrom(...VENUES);
  const markets = fc.option(fc.constantFrom(...MARKETS), { nil: undefined });

  function wellFormed(out: CanonicalEvent[]): void {
    assert.ok(Array.isArray(out));
    if (out.some((e) => e.type === 'reject')) assert.equal(out.length, 1, 'a reject comes alone');
  }

  it('for arbitrary byte arrays', () => {
    fc.assert(
      fc.property(venues, fc.uint8Array({ maxLength: 512 }), markets, (venue, bytes, market) => {
        wellFormed(engine.normalize(venue, bytes, RECV_TS, market));
      }),
      { numRuns: 2000 },
    );
  });

  it('for arbitrary JSON values', () => {
    fc.assert(
      fc.property(venues, fc.jsonValue(), markets, (venue, value, market) => {
        wellFormed(run(venue, JSON.stringify(value), market));
      }),
      { numRuns: 2000 },
    );
  });

  it('for real frames with venue-shaped fields replaced by arbitrary JSON', () => {
    const frames = loadFixtureCases().filter(
      (c) => c.expected !== null && c.raw.startsWith('{') && c.raw.length < 4000,
    );
    fc.assert(
      fc.property(fc.constantFrom(...frames), fc.jsonValue(), fc.nat(), (c, replacement, pick) => {
        const root: unknown = JSON.parse(c.raw);
        mutateOneField(root, replacement, pick);
        wellFormed(run(c.venue, JSON.stringify(root), c.market));
      }),
      { numRuns: 3000 },
    );
  });
});
