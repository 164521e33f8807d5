// The TS reference engine against every mappable venue fixture record.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VENUES, type CanonicalEvent, type VenueId } from '../../src/events';
import { ReferenceNormalizer } from '../../src/reference/index';
import { checkCase, loadFixtureCases, summarizeByFile, type NormalizeFn } from '../support/fixtures';

const reference = new ReferenceNormalizer();
const normalize: NormalizeFn = (venue, raw, recvTs, market) => reference.normalize(venue, raw, recvTs, market);
const cases = loadFixtureCases();

/**
 * Mapped cases per file, pinned: a change means the loader or the fixtures
 * changed, and the skip reasons (printed below) need a fresh look.
 */
const MAPPED_PER_FILE: Readonly<Record<string, number>> = {
  'binance-spot/aggTrade.jsonl': 3,
  'binance-spot/bookTicker.jsonl': 8,
  'binance-spot/combined_stream.jsonl': 5,
  'binance-spot/control.jsonl': 1,
  'binance-spot/depthUpdate.jsonl': 5,
  'binance-spot/depth_snapshot_rest.jsonl': 0,
  'binance-spot/depth_sync_sequence.jsonl': 60,
  'binance-spot/depth_sync_sequence_derived_gap.jsonl': 6,
  'binance-spot/trade.jsonl': 3,
  'binance-usdm/aggTrade.jsonl': 12,
  'binance-usdm/bookTicker.jsonl': 7,
  'binance-usdm/depthUpdate.jsonl': 1,
  'binance-usdm/depth_sync_sequence.jsonl': 40,
  'binance-usdm/depth_sync_sequence_derived_gap.jsonl': 9,
  'binance-usdm/markPrice.jsonl': 4,
  'binance-usdm/trade.jsonl': 3,
  'bybit-v5/control.jsonl': 3,
  'bybit-v5/orderbook.jsonl': 6,
  'bybit-v5/orderbook_sequence.jsonl': 37,
  'bybit-v5/orderbook_sequence_derived_gap.jsonl': 14,
  'bybit-v5/publicTrade.jsonl': 15,
  'bybit-v5/tickers.jsonl': 20,
  'coinbase-advanced/connection_sequence.jsonl': 54,
  'coinbase-advanced/connection_sequence_derived_gap.jsonl': 53,
  'coinbase-advanced/control.jsonl': 2,
  'coinbase-advanced/heartbeats.jsonl': 4,
  'coinbase-advanced/level2.jsonl': 9,
  'coinbase-advanced/market_trades.jsonl': 9,
  'coinbase-advanced/ticker.jsonl': 7,
  'coinbase-exchange/control.jsonl': 1,
  'coinbase-exchange/heartbeat.jsonl': 1,
  'coinbase-exchange/level2.jsonl': 8,
  'coinbase-exchange/level2_sequence.jsonl': 40,
  'coinbase-exchange/match.jsonl': 22,
  'coinbase-exchange/ticker.jsonl': 14,
  'kraken-v2/book.jsonl': 3,
  'kraken-v2/book_sequence.jsonl': 2,
  'kraken-v2/control.jsonl': 2,
  'kraken-v2/heartbeat.jsonl': 1,
  'kraken-v2/ticker.jsonl': 3,
  'kraken-v2/trade.jsonl': 4,
  'okx-v5/bbo-tbt.jsonl': 1,
  'okx-v5/books.jsonl': 5,
  'okx-v5/books5.jsonl': 1,
  'okx-v5/books_sequence.jsonl': 20,
  'okx-v5/books_sequence_derived_missing_update.jsonl': 6,
  'okx-v5/control.jsonl': 5,
  'okx-v5/tickers.jsonl': 7,
  'okx-v5/trades.jsonl': 13,
};

describe('venue fixtures → reference normalizer', () => {
  const summaries = summarizeByFile(cases);

  it('maps the pinned number of cases in every fixture file, and only skips for a stated reason', () => {
    const actual = Object.fromEntries(summaries.map((s) => [s.file, s.mapped]));
    assert.deepEqual(actual, MAPPED_PER_FILE);
    for (const c of cases)
      if (c.expected === null) assert.ok(c.skipReason, `${c.file}:${c.line} skipped without reason`);
  });

  const checkedPerVenue = new Map<VenueId, number>();
  for (const venue of VENUES) {
    const mine = cases.filter((c) => c.venue === venue && c.expected !== null);
    it(`reproduces the expected events of every mappable ${venue} record (${mine.length} cases)`, () => {
      assert.ok(mine.length > 0, `no fixture cases for ${venue}`);
      const failures: string[] = [];
      for (const c of mine) {
        try {
          checkCase(normalize, c);
        } catch (err) {
          failures.push(err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err));
        }
      }
      checkedPerVenue.set(venue, mine.length);
      assert.deepEqual(failures, [], `${failures.length} of ${mine.length} ${venue} cases differ`);
    });
  }

  it('notices an engine that gets a price, a side or a timestamp wrong', () => {
    const c = cases.find((x) => x.file === 'binance-spot/trade.jsonl' && x.expected !== null);
    assert.ok(c);
    const tamper =
      (change: (e: CanonicalEvent) => CanonicalEvent): NormalizeFn =>
      (v, r, t, m) =>
        normalize(v, r, t, m).map(change);
    assert.throws(() =>
      checkCase(
        tamper((e) => (e.type === 'trade' ? { ...e, price: e.price * (1 + 1e-15) } : e)),
        c,
      ),
    );
    assert.throws(() =>
      checkCase(
        tamper((e) => (e.type === 'trade' ? { ...e, side: e.side === 'buy' ? 'sell' : 'buy' } : e)),
        c,
      ),
    );
    assert.throws(() =>
      checkCase(
        tamper((e) => (e.type === 'trade' ? { ...e, ts: (e.ts ?? 0) + 1 } : e)),
        c,
      ),
    );
  });

  it('summary', () => {
    const lines = summaries.map((s) => {
      const reasons = [...s.skipReasons].map(([r, n]) => `${n}× ${r}`).join('; ');
      return `  ${s.file.padEnd(56)} ${String(s.mapped).padStart(3)} checked, ${s.skipped} skipped${reasons ? ` (${reasons})` : ''}`;
    });
    const perVenue = VENUES.map((v) => `${v}=${checkedPerVenue.get(v) ?? 0}`).join(' ');
    console.log(`fixture cases checked per venue: ${perVenue}\n${lines.join('\n')}`);
  });
});
