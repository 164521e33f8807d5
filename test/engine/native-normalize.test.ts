// The native normalize pipeline (C++ normalizers -> output records -> TS
// decoder) against the shared venue fixtures, hostile input, and the TS
// reference engine frame by frame.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  MARKETS,
  VENUES,
  marketCode,
  venueCode,
  type CanonicalEvent,
  type Market,
  type RejectReason,
  type VenueId,
} from '../../src/events';
import { Engine } from '../../src/engine/engine';
import { normalizeFrames, type NormalizeFramesOptions } from '../../src/engine/normalize';
import { FRAME_RECORD_TYPE, RecordDecoder } from '../../src/engine/records';
import { ReferenceNormalizer } from '../../src/reference/index';
import { DEFAULT_RECV_TS, checkCase, loadFixtureCases, type FixtureCase, type NormalizeFn } from '../support/fixtures';
import { mutateOneField } from '../support/mutate';

const RECV_TS = 1_700_000_000_123_456;
const utf8 = new TextEncoder();

const nativeOne: NormalizeFn = (venue, raw, recvTs, market) => normalizeFrames([{ venue, raw, recvTs, market }]);

function run(
  venue: VenueId,
  frame: string | Uint8Array,
  market?: Market,
  opts?: NormalizeFramesOptions,
): CanonicalEvent[] {
  return normalizeFrames([{ venue, raw: frame, recvTs: RECV_TS, market }], opts);
}

function expectReject(
  venue: VenueId,
  frame: string | Uint8Array,
  reason: RejectReason,
  opts?: NormalizeFramesOptions,
): void {
  const out = run(venue, frame, undefined, opts);
  assert.equal(out.length, 1, `expected one reject, got ${JSON.stringify(out).slice(0, 300)}`);
  const [event] = out;
  assert.ok(event?.type === 'reject', `expected reject ${reason}, got ${JSON.stringify(event).slice(0, 300)}`);
  assert.equal(
    event.reason,
    reason,
    `frame ${typeof frame === 'string' ? frame.slice(0, 120) : `${frame.byteLength} bytes`}`,
  );
  assert.equal(event.venue, venue);
}

// Four fixture records carry an ISO local_recv_ts that the harness turns into
// NaN; a real engine needs an integer receive time, so those use the default.
const cases: FixtureCase[] = loadFixtureCases().map((c) =>
  Number.isSafeInteger(c.recvTs) ? c : { ...c, recvTs: DEFAULT_RECV_TS },
);
const mapped = cases.filter((c) => c.expected !== null);

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
const GOOD: [VenueId, string] = ['binance', binanceTrade({})];

describe('native normalize: venue fixtures', () => {
  for (const venue of VENUES) {
    const mine = mapped.filter((c) => c.venue === venue);
    it(`reproduces the expected events of every mappable ${venue} fixture record (${mine.length} cases)`, () => {
      assert.ok(mine.length > 0);
      const failures: string[] = [];
      for (const c of mine) {
        try {
          checkCase(nativeOne, c);
        } catch (err) {
          failures.push(err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err));
        }
      }
      assert.deepEqual(failures, [], `${failures.length} of ${mine.length} ${venue} cases differ`);
    });
  }

  it('gives the same events for all fixture frames in one engine run as frame by frame, in input order', () => {
    const frames = mapped.map((c) => ({ venue: c.venue, raw: c.raw, recvTs: c.recvTs, market: c.market }));
    const batched = normalizeFrames(frames);
    const oneByOne = mapped.flatMap((c) => nativeOne(c.venue, utf8.encode(c.raw), c.recvTs, c.market));
    assert.equal(batched.length, oneByOne.length);
    assert.deepStrictEqual(batched, oneByOne);
  });
});

describe('native normalize: hostile frames give exactly one reject with the documented reason', () => {
  it('truncated frames of every venue are malformed_json, and the engine keeps going', () => {
    const samples = VENUES.map((venue) => {
      const c = mapped.find((x) => x.venue === venue && x.expected?.some((e) => e.type === 'trade'));
      assert.ok(c);
      return c;
    });
    const frames = samples.flatMap((c) => [
      { venue: c.venue, raw: c.raw.slice(0, 1), recvTs: RECV_TS, market: c.market },
      { venue: c.venue, raw: c.raw.slice(0, c.raw.length >> 1), recvTs: RECV_TS, market: c.market },
      { venue: c.venue, raw: c.raw.slice(0, -1), recvTs: RECV_TS, market: c.market },
      { venue: c.venue, raw: c.raw, recvTs: RECV_TS, market: c.market },
    ]);
    const out = normalizeFrames(frames);
    const rejects = out.filter((e) => e.type === 'reject');
    assert.equal(rejects.length, samples.length * 3);
    assert.ok(rejects.every((e) => e.type === 'reject' && e.reason === 'malformed_json'));
    for (const venue of VENUES)
      assert.ok(
        out.some((e) => e.type === 'trade' && e.venue === venue),
        `${venue} trade after rejects`,
      );
  });

  it('an empty frame is malformed_json', () => {
    expectReject('binance', '', 'malformed_json');
    expectReject('okx', new Uint8Array(0), 'malformed_json');
  });

  it('fields of the wrong JSON type are wrong_type', () => {
    expectReject('binance', binanceTrade({ p: 0.001 }), 'wrong_type');
    expectReject('binance', binanceTrade({ m: 'true' }), 'wrong_type');
    expectReject('binance', binanceTrade({ s: null }), 'wrong_type');
    expectReject('binance', binanceTrade({ t: '12345', m: 1 }), 'wrong_type');
    expectReject('binance', '{"stream":"x","data":[1]}', 'wrong_type');
    expectReject(
      'okx',
      '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1","px":"1","sz":"2","side":"buy","ts":true}]}',
      'wrong_type',
    );
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
    expectReject(
      'coinbase-advanced',
      '{"channel":"l2_data","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":0}',
      'missing_field',
    );
    expectReject('binance', '{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1"]],"a":[]}', 'missing_field');
  });

  it('NaN, non-decimal and overflowing sizes are bad_number; negative sizes are negative_value', () => {
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
    // A numeric trade id must be a non-negative safe integer.
    for (const id of [1.5, -1, 2 ** 53]) expectReject('binance', binanceTrade({ t: id }), 'bad_number');
    assert.equal(run('binance', binanceTrade({ t: 1.2e3 })).map((e) => (e.type === 'trade' ? e.id : ''))[0], '1200');
    expectReject(
      'kraken',
      '{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":1,"qty":-2,"trade_id":7,"timestamp":"2023-09-25T07:49:37.708706Z"}]}',
      'negative_value',
    );
  });

  it('bad timestamps are bad_timestamp; a pre-epoch RFC 3339 time is ts null', () => {
    expectReject('binance', binanceTrade({ T: -1 }), 'bad_timestamp');
    expectReject('binance', binanceTrade({ T: 1.5 }), 'bad_timestamp');
    const match = (time: string): string =>
      JSON.stringify({ type: 'match', trade_id: 1, side: 'sell', size: '1', price: '2', product_id: 'BTC-USD', time });
    expectReject('coinbase', match('2023-02-30T00:00:00Z'), 'bad_timestamp');
    expectReject('coinbase', match('2023-09-25 07:49:37Z'), 'bad_timestamp');
    const [zero] = run('coinbase', match('0001-01-01T00:00:00.000000Z'));
    assert.ok(zero?.type === 'trade');
    assert.equal(zero.ts, null);
    const [shifted] = run('coinbase', match('2023-09-25T09:49:37.7087069+02:00'));
    assert.ok(shifted?.type === 'trade');
    assert.equal(shifted.ts, 1695628177708706);
  });

  it('a structural error outranks a value error found earlier; a frame failing half-way leaves only its reject', () => {
    const { T: _t, ...withoutTime } = BINANCE_TRADE;
    expectReject('binance', JSON.stringify({ ...withoutTime, p: 'NaN' }), 'missing_field');
    const bybit = (second: Record<string, unknown>): string =>
      JSON.stringify({
        topic: 'publicTrade.BTCUSDT',
        ts: 1,
        data: [
          { T: 1, s: 'BTCUSDT', S: 'Buy', v: '1', p: '1', i: 'a' },
          { T: 1, s: 'BTCUSDT', S: 'Buy', v: '1', p: '1', i: 'b', ...second },
        ],
      });
    expectReject('bybit', bybit({ p: 'x' }), 'bad_number');
    expectReject('bybit', bybit({ S: 'Up' }), 'wrong_type');
    // The symbol announced by the rolled-back frame is announced again by the next one.
    const out = normalizeFrames([
      { venue: 'bybit', raw: bybit({ p: 'x' }), recvTs: RECV_TS, market: 'perp' },
      { venue: 'bybit', raw: bybit({}), recvTs: RECV_TS, market: 'perp' },
    ]);
    assert.deepEqual(
      out.map((e) => (e.type === 'trade' ? e.symbol : e.type)),
      ['reject', 'BTC-USDT-PERP', 'BTC-USDT-PERP'],
    );
  });

  it('unknown channels and event types are unknown_message', () => {
    expectReject('binance', '{"e":"kline","E":1,"s":"BTCUSDT","k":{}}', 'unknown_message');
    expectReject('binance', '[1,2,3]', 'unknown_message');
    expectReject('bybit', '{"success":true,"ret_msg":"","op":"auth"}', 'unknown_message');
    expectReject('okx', '{"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[]}', 'unknown_message');
    expectReject('okx', 'ping', 'malformed_json');
  });

  it('a 1 MB frame is normalized', () => {
    const levels: string[] = [];
    for (let i = 0, bytes = 0; bytes < 1_000_000; i++) {
      levels.push(`["${(1000 + i * 0.01).toFixed(2)}","1.5"]`);
      bytes += levels[i]!.length + 1;
    }
    const big = `{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[${levels.join(',')}],"a":[]}`;
    assert.ok(big.length > 1_000_000);
    const out = normalizeFrames([
      { venue: 'binance', raw: big, recvTs: RECV_TS },
      { venue: GOOD[0], raw: GOOD[1], recvTs: RECV_TS },
    ]);
    assert.equal(out.length, 2);
    assert.ok(out[0]?.type === 'book');
    assert.equal(out[0].bids.length, levels.length);
    assert.deepEqual(out[0].bids[levels.length - 1], [Number((1000 + (levels.length - 1) * 0.01).toFixed(2)), 1.5]);
    assert.equal(out[1]?.type, 'trade');
    expectReject('binance', `{"e":"trade","x":"${'a'.repeat(1_000_000)}`, 'malformed_json');
  });

  it('a frame over maxFrameBytes is oversized, checked before UTF-8 and JSON', () => {
    const opts = { maxFrameBytes: 64 };
    expectReject('binance', binanceTrade({}), 'oversized', opts);
    expectReject('binance', new Uint8Array(65).fill(0xff), 'oversized', opts);
    expectReject('binance', new Uint8Array(64).fill(0xff), 'invalid_utf8', opts);
    expectReject('okx', new Uint8Array(4 * 1024 * 1024 + 1).fill(0x20), 'oversized');
  });

  it('nesting depth 10,000 is malformed_json (64 levels are fine) and the next frame still normalizes', () => {
    const nest = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
    const out = normalizeFrames([
      { venue: 'binance', raw: nest(10_000), recvTs: RECV_TS },
      { venue: 'binance', raw: '{"a":'.repeat(10_000), recvTs: RECV_TS },
      { venue: 'binance', raw: nest(65), recvTs: RECV_TS },
      { venue: 'binance', raw: binanceTrade({ x: JSON.parse(nest(63)) as unknown }), recvTs: RECV_TS },
      { venue: GOOD[0], raw: GOOD[1], recvTs: RECV_TS },
    ]);
    assert.deepEqual(
      out.map((e) => (e.type === 'reject' ? e.reason : e.type)),
      ['malformed_json', 'malformed_json', 'malformed_json', 'trade', 'trade'],
    );
  });

  it('invalid UTF-8 is invalid_utf8 and the sample carries U+FFFD', () => {
    for (const bytes of [
      [0x7b, 0xff, 0x7d],
      [0x7b, 0xc0, 0x80, 0x7d],
      [0x7b, 0xed, 0xa0, 0x80, 0x7d],
      [0x7b, 0x22, 0xe2, 0x82],
    ]) {
      expectReject('okx', Uint8Array.from(bytes), 'invalid_utf8');
    }
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

describe('native normalize: engine behaviour', () => {
  it('retries frames when the output ring is full, losing and duplicating nothing', () => {
    const engine = new Engine({
      pipeline: 'normalize',
      inputCapacity: 1 << 20,
      outputCapacity: 4096,
      batchRecords: 64,
    });
    const decoder = new RecordDecoder();
    const out: CanonicalEvent[] = [];
    try {
      const n = 2000;
      for (let i = 0; i < n; i++) {
        const raw = utf8.encode(binanceTrade({ t: i, s: i % 2 === 0 ? 'BTCUSDT' : 'ETHUSDT' }));
        assert.ok(
          engine.writer.write(
            { type: FRAME_RECORD_TYPE, venue: venueCode('binance'), flags: marketCode('spot'), recvNs: 5_000_999n },
            raw,
          ),
        );
      }
      for (let spins = 0; out.length < n && spins < 10_000; spins++) {
        engine.poll();
        engine.reader.drain((r) => {
          const e = decoder.decode(r);
          if (e !== null) out.push(e);
        });
      }
      assert.ok(engine.stats().outputFull > 0, 'the output ring filled up at least once');
      assert.deepEqual(
        out.map((e) => (e.type === 'trade' ? Number(e.id) : -1)),
        Array.from({ length: n }, (_, i) => i),
      );
      assert.ok(
        out.every(
          (e) =>
            e.type === 'trade' && e.recvTs === 5000 && e.symbol === (Number(e.id) % 2 === 0 ? 'BTC-USDT' : 'ETH-USDT'),
        ),
      );
    } finally {
      engine.close();
    }
  });

  it('skips input records that are not frames', () => {
    const engine = new Engine({ pipeline: 'normalize', inputCapacity: 1 << 16, outputCapacity: 1 << 16 });
    try {
      engine.writer.write({ type: 7, venue: 1 }, utf8.encode('not a frame'));
      engine.writer.write({ type: FRAME_RECORD_TYPE, venue: 1 }, utf8.encode(GOOD[1]));
      engine.poll();
      const decoder = new RecordDecoder();
      const events: CanonicalEvent[] = [];
      engine.reader.drain((r) => {
        const e = decoder.decode(r);
        if (e) events.push(e);
      });
      assert.deepEqual(
        events.map((e) => e.type),
        ['trade'],
      );
    } finally {
      engine.close();
    }
  });
});

describe('native normalize agrees with the TS reference event by event', () => {
  const reference = new ReferenceNormalizer();
  const referenceOne = (venue: VenueId, raw: string, market?: Market): CanonicalEvent[] =>
    reference.normalize(venue, utf8.encode(raw), RECV_TS, market);

  it('on every fixture frame, skipped ones included', () => {
    const frames = cases.map((c) => ({ venue: c.venue, raw: c.raw, recvTs: RECV_TS, market: c.market }));
    const native = frames.map((f) => run(f.venue, f.raw, f.market));
    frames.forEach((f, i) =>
      assert.deepStrictEqual(native[i], referenceOne(f.venue, f.raw, f.market), `${cases[i]!.file}:${cases[i]!.line}`),
    );
  });

  it('on real frames with one field replaced by arbitrary JSON', () => {
    const frames = mapped.filter((c) => c.raw.startsWith('{') && c.raw.length < 4000);
    fc.assert(
      fc.property(
        fc.constantFrom(...frames),
        fc.jsonValue(),
        fc.nat(),
        fc.option(fc.constantFrom(...MARKETS), { nil: undefined }),
        (c, replacement, pick, market) => {
          const root: unknown = JSON.parse(c.raw);
          mutateOneField(root, replacement, pick);
          const raw = JSON.stringify(root);
          assert.deepStrictEqual(run(c.venue, raw, market), referenceOne(c.venue, raw, market));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('on arbitrary JSON and byte strings', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VENUES), fc.oneof(fc.json(), fc.string()), (venue, raw) => {
        assert.deepStrictEqual(run(venue, raw), referenceOne(venue, raw));
      }),
      { numRuns: 1500 },
    );
  });
});
