// Trade backfill: after an abrupt disconnect, trades made while the client was
// away are fetched from the venue's REST trades endpoint (or, Coinbase
// Advanced, cut from the subscription's trade snapshot) and written with ring
// flag 0x100; together with the live trades every id appears exactly once.
// Where the REST endpoint only has the last N trades (Bybit spot: 60), the
// part of the gap it cannot fill is counted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VenueId } from '../../src/events';
import { FLAG_BACKFILLED } from '../../src/venues/types';
import {
  Capture,
  assertContiguousUnique,
  connectorFor,
  guarded,
  sleep,
  tradeIdsOf,
  tradeNumber,
  waitFor,
  withSim,
} from './helpers';

/** Trade ids written in a frame (whatever the venue spelling). */
function frameTradeIds(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/"(?:t|trade_id|tradeId|i)":"?(\d+)/g)) out.push(tradeNumber(m[1]!));
  return out;
}

interface Case {
  venue: VenueId;
  /** Model steps made while the client is away (≈ 0.15 trades per step). */
  gapSteps: number;
  /** What should fill the gap. */
  how: 'rest' | 'snapshot' | 'partial';
}

const CASES: Case[] = [
  { venue: 'binance', gapSteps: 120, how: 'rest' },
  { venue: 'coinbase', gapSteps: 120, how: 'rest' },
  { venue: 'okx', gapSteps: 120, how: 'rest' },
  { venue: 'kraken', gapSteps: 120, how: 'rest' },
  { venue: 'kraken', gapSteps: 2000, how: 'rest' },
  { venue: 'bybit', gapSteps: 120, how: 'rest' },
  // More than the 60 trades Bybit's spot recent-trade endpoint returns.
  { venue: 'bybit', gapSteps: 700, how: 'partial' },
  // Fewer than the 50 trades of the market_trades snapshot: the snapshot's new part fills the gap.
  { venue: 'coinbase-advanced', gapSteps: 120, how: 'snapshot' },
  // More: the snapshot's trades and the REST ticker trades before them.
  { venue: 'coinbase-advanced', gapSteps: 700, how: 'rest' },
];

describe('trade backfill after a reconnect', { timeout: 120_000 }, () => {
  for (const c of CASES) {
    const { venue } = c;
    it(`${venue}: ${c.gapSteps}-step gap filled (${c.how}), marked 0x100`, async () => {
      await guarded(() =>
        withSim({ venues: [venue], symbols: ['BTC-USDT'], rate: 0, paused: true, clock: 'virtual' }, async (sim) => {
          const cap = new Capture();
          const { connector, statuses } = connectorFor(sim, venue, cap, {
            symbols: ['BTC-USDT'],
            channels: ['trades'],
            keepAlive: { staleMs: 20_000, probeIdleMs: 0, pingIntervalMs: 0 },
            backoff: { baseMs: 300, maxMs: 300, stableMs: 60_000 },
          });
          const model = sim.instruments(venue)[0]!.model;
          let missedFirst = 0;
          let missedLast = 0;
          try {
            await connector.start();
            await waitFor(() => statuses.some((s) => s.state === 'subscribed'), 5000, 'subscribed');
            sim.step(400);
            const lastBefore = model.lastTrades(1)[0]!.id;
            await waitFor(
              () => Math.max(...tradeIdsOf(cap.events, venue, 'BTC-USDT')) === lastBefore,
              5000,
              'live trades',
            );
            missedFirst = lastBefore + 1;
            const subs = statuses.filter((s) => s.state === 'subscribed' && !s.symbol).length;
            sim.faults.inject({ venue, kind: 'disconnect', count: 1 });
            // The fault fires on the next data frame: step until the socket is cut, then (synchronously, before
            // the client can reconnect) make trades nobody receives.
            for (let i = 0; i < 200 && sim.stats().faults.disconnect === 0; i++) sim.step(1);
            sim.step(c.gapSteps);
            missedLast = model.lastTrades(1)[0]!.id;
            assert.ok(missedLast - missedFirst > 3, `trades made while away (${missedFirst}..${missedLast})`);
            await waitFor(() => connector.counters().reconnects === 1, 5000, 'disconnect seen');
            await waitFor(
              () => statuses.filter((s) => s.state === 'subscribed' && !s.symbol).length > subs,
              5000,
              'resubscribed',
            );
            // Step slowly until the first live trade has shown the gap and the backfill is in.
            const deadline = Date.now() + 8000;
            const done = (): boolean => {
              const k = connector.counters();
              if (c.how === 'snapshot') return k.backfilledTrades > 0;
              return k.backfillGaps > 0 && k.backfilledTrades + k.backfillTradesUnfilled > 0;
            };
            while (!done() && Date.now() < deadline) {
              sim.step(4);
              await sleep(25);
            }
            await sleep(100);
            assert.ok(connector.counters().backfilledTrades > 0, 'backfilled');
            sim.step(100);
            const last = model.lastTrades(1)[0]!.id;
            await waitFor(() => Math.max(...tradeIdsOf(cap.events, venue, 'BTC-USDT')) === last, 5000, 'last trade');
          } finally {
            await connector.close();
            cap.close();
          }
          const k = connector.counters();
          const backfilled = cap.frames.filter((f) => (f.flags & FLAG_BACKFILLED) !== 0);
          assert.ok(backfilled.length > 0);
          assert.equal(
            backfilled.reduce((n, f) => n + frameTradeIds(f.text).length, 0),
            k.backfilledTrades,
            'backfilledTrades counts the trades of 0x100 frames',
          );
          for (const f of backfilled) {
            for (const id of frameTradeIds(f.text)) {
              assert.ok(id >= missedFirst && id <= missedLast, `backfilled id ${id} was made while away`);
            }
          }
          for (const f of cap.frames) assert.equal(f.flags & 1, 0, 'spot market code kept');
          const ids = tradeIdsOf(cap.events, venue, 'BTC-USDT');
          const inst = connector.instrumentStatus()[0]!;
          assert.equal(inst.backfilledTrades, k.backfilledTrades);
          assert.equal(inst.backfillTradesUnfilled, k.backfillTradesUnfilled);
          if (c.how === 'snapshot') {
            assert.equal(k.backfillGaps, 0, 'the snapshot reached back: no REST gap');
          } else {
            assert.equal(k.backfillGaps, 1);
            assert.equal(inst.backfillGaps, 1);
          }
          if (c.how === 'partial') {
            // Unique ids; the missing ones are exactly the counted unfilled part, all from the gap's oldest end.
            assert.equal(new Set(ids).size, ids.length, 'no duplicate trade ids');
            const seen = new Set(ids);
            const missing: number[] = [];
            for (let id = Math.min(...ids); id <= Math.max(...ids); id++) if (!seen.has(id)) missing.push(id);
            assert.ok(missing.length > 0, 'part of the gap is unfillable');
            assert.equal(k.backfillTradesUnfilled, missing.length);
            assert.equal(k.backfillGapsUnfilled, 1);
            // The oldest trades of the gap are the ones lost: REST had the last 60 (some of them live ones).
            assert.deepEqual(
              missing,
              missing.map((_, i) => missedFirst + i),
              'lost: the oldest part of the gap',
            );
            assert.ok(k.backfilledTrades > 40 && k.backfilledTrades <= 60, `${k.backfilledTrades} of the last 60`);
          } else {
            assert.equal(k.backfillTradesUnfilled, 0);
            assert.equal(k.backfillGapsUnfilled, 0);
            // Every trade the model made from the first one seen on: live or backfilled, each exactly once.
            assertContiguousUnique(ids, `${venue} trades`);
          }
        }),
      );
    });
  }
});
